from fpengine.experiments.oned import STAIRCASE_FIT
from ui.oned_page import oned_page

oned_page(STAIRCASE_FIT)
