"""Figs 1.10 and 1.12: the F-Principle on high-dimensional classification (projection and filtering methods)."""

from fpengine.engine.experiment import Section
from fpengine.highdim import bench
from fpengine.highdim.filtering import FILTERING
from fpengine.highdim.projection import PROJECTION
from fpengine.highdim.strings import STRINGS

SECTION = Section("highdim", (PROJECTION, FILTERING), STRINGS, bench.run)
