from fpengine.oned.experiment import EQUAL_AMPLITUDE
from ui.oned_page import oned_page

oned_page(EQUAL_AMPLITUDE, notes=("equal-amplitude.timescale",))
