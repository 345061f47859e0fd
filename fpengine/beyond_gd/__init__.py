"""Sec 1.6: the F-Principle beyond gradient descent (CG, BFGS, Powell, particle swarm)."""

from fpengine.beyond_gd import bench
from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.beyond_gd.strings import STRINGS
from fpengine.engine.experiment import Section

SECTION = Section("beyond", (BEYOND_GD,), STRINGS, bench.run)
