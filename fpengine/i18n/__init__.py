"""English / 简体中文 text for every visible string, pages and charts alike.

Each area keeps its strings in its own module as ``STRINGS = {key: (english, chinese)}``.
"""

from __future__ import annotations

from fpengine.beyond_gd import strings as beyond
from fpengine.highdim import strings as highdim
from fpengine.i18n import common
from fpengine.image import strings as image
from fpengine.oned import strings as oned
from fpengine.sweep import strings as sweep

LANGUAGES = {"en": "English", "zh": "简体中文"}

CATALOG: dict[str, tuple[str, str]] = {}
for _module in (common, oned, beyond, highdim, image, sweep):
    _duplicates = CATALOG.keys() & _module.STRINGS.keys()
    if _duplicates:
        raise RuntimeError(f"i18n keys defined twice: {sorted(_duplicates)}")
    CATALOG.update(_module.STRINGS)


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang`` (``en`` or ``zh``), formatted with ``values``."""
    english, chinese = CATALOG[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text
