"""The settings schema, config I/O, the setting blocks several experiments share and the FPENGINE_*
variables. Its strings are registered with i18n on import."""

from fpengine.i18n import register
from fpengine.settings.strings import STRINGS

register("settings", STRINGS)
