"""Fig 1.7: regression of a picture, (x, y) → grey level or colour."""

from fpengine.engine.experiment import Section
from fpengine.image import bench
from fpengine.image.experiment import IMAGE_FIT
from fpengine.image.strings import STRINGS

SECTION = Section("image", (IMAGE_FIT,), STRINGS, bench.run)
