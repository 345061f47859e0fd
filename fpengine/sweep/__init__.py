"""Sweeps: many configurations × seeds of one experiment, on a local process pool or a Dask cluster."""

from fpengine.i18n import register
from fpengine.sweep.strings import STRINGS

register("sweep", STRINGS)
