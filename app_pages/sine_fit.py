from fpengine.oned.experiment import SINE_FIT
from ui.oned_page import oned_page

oned_page(SINE_FIT)
