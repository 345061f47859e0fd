from fpengine.oned.experiment import STAIRCASE_FIT
from ui.oned_page import oned_page

oned_page(STAIRCASE_FIT)
