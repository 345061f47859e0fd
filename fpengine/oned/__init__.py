"""Figs 1.3–1.6: one-dimensional regression (sine-fit, staircase, equal-amplitude)."""

from fpengine.engine.experiment import Section
from fpengine.oned import bench
from fpengine.oned.experiment import EQUAL_AMPLITUDE, SINE_FIT, STAIRCASE_FIT
from fpengine.oned.strings import STRINGS

SECTION = Section("oned", (SINE_FIT, STAIRCASE_FIT, EQUAL_AMPLITUDE), STRINGS, bench.run)
