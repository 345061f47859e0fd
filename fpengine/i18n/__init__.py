"""English / 简体中文 text for every visible string, pages and charts alike.

Each chapter section keeps its strings in its package (``<section>/strings.py``, listed by the
registry); the shared ones live in ``i18n/common.py``, ``i18n/formula.py``, ``settings/strings.py`` and
``sweep/strings.py``.
Each is ``STRINGS = {key: (english, chinese)}``.
"""

from __future__ import annotations

import functools

LANGUAGES = {"en": "English", "zh": "简体中文"}


@functools.cache
def catalog() -> dict[str, tuple[str, str]]:
    """Every string of the app, built on first use (the registry's sections import this module)."""
    from fpengine.i18n import common, formula
    from fpengine.readout import strings as readout_strings
    from fpengine.registry import SECTIONS
    from fpengine.settings import strings as settings_strings
    from fpengine.sweep import strings as sweep_strings

    merged: dict[str, tuple[str, str]] = {}
    shared = (common.STRINGS, formula.STRINGS, settings_strings.STRINGS, sweep_strings.STRINGS, readout_strings.STRINGS)
    for strings in (*shared, *(s.strings for s in SECTIONS)):
        duplicates = merged.keys() & strings.keys()
        if duplicates:
            raise RuntimeError(f"i18n keys defined twice: {sorted(duplicates)}")
        merged.update(strings)
    return merged


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang`` (``en`` or ``zh``), formatted with ``values``."""
    english, chinese = catalog()[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text


class LocalizedError(ValueError):
    """An error a person must read (a refused setting, formula or picture): ``key`` is the catalogue
    key of its message and ``details`` fill it in; ``message(lang)`` reads it in either language
    and ``str(error)`` is the English, which the command line prints."""

    def __init__(self, key: str, **details: object) -> None:
        self.key = key
        self.details = details
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.details)

    def __reduce__(self):
        # rebuilt from its message alone when it crosses a process boundary (a sweep worker's error)
        return ValueError, (str(self),)


def explain(error: Exception, lang: str) -> str:
    """An error's message in ``lang``: translated when it is a LocalizedError, else as it is."""
    return error.message(lang) if isinstance(error, LocalizedError) else str(error)
