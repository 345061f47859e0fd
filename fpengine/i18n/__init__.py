"""English / 简体中文 text for every visible string, pages and charts alike.

Each chapter section keeps its strings in its package (``<section>/strings.py``), registered here
when its package declares its ``Section``; the shared ones live in ``i18n/common.py`` and ``i18n/formula.py`` (registered below),
``settings/strings.py``, ``readout/strings.py`` and ``sweep/strings.py`` (each registered by its package).
Each is ``STRINGS = {key: (english, chinese)}``. This module imports no other part of fpengine: the
layers above it hand it their tables (:func:`register`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LANGUAGES = {"en": "English", "zh": "简体中文"}


_CATALOG: dict[str, tuple[str, str]] = {}
_TABLES: dict[str, Mapping[str, tuple[str, str]]] = {}


def register(owner: str, strings: Mapping[str, tuple[str, str]]) -> None:
    """Add ``owner``'s table of strings to the catalogue. A section registers its own when
    declared (``engine.experiment.Section``); the shared layers theirs when imported (i18n's, settings', the read-out's, the
    sweep's). Registering the same table again does nothing; a key in two tables is an error."""
    if _TABLES.get(owner) is strings:
        return
    if owner in _TABLES:
        raise RuntimeError(f"i18n table {owner!r} registered twice with different strings")
    duplicates = _CATALOG.keys() & strings.keys()
    if duplicates:
        raise RuntimeError(f"i18n keys defined twice: {sorted(duplicates)}")
    _TABLES[owner] = strings
    _CATALOG.update(strings)


def catalog() -> Mapping[str, tuple[str, str]]:
    """Every string registered so far (all of the app's once ``fpengine.registry`` is imported)."""
    return MappingProxyType(_CATALOG)


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang`` (``en`` or ``zh``), formatted with ``values``."""
    try:
        english, chinese = _CATALOG[key]
    except KeyError:
        raise KeyError(f"i18n key {key!r} is in no registered table (a section's are registered when its package is imported)") from None
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text


class LocalizedError(ValueError):
    """An error a person must read (a refused setting, formula or picture): ``key`` is the catalogue
    key of its message and ``details`` fill it in; ``message(lang)`` reads it in either language
    and ``str(error)`` is the English (the command line prints ``message`` in its ``--lang``)."""

    def __init__(self, key: str, **details: object) -> None:
        # the message is formatted when shown, not here: creating one looks nothing up
        super().__init__(key)
        self.key = key
        self.details = details

    def __str__(self) -> str:
        return self.message("en")

    def message(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.details)

    def __reduce__(self):
        # rebuilt from its message alone when it crosses a process boundary (a sweep worker's error)
        return ValueError, (str(self),)


def explain(error: Exception, lang: str) -> str:
    """An error's message in ``lang``: translated when it is a LocalizedError, else as it is."""
    return error.message(lang) if isinstance(error, LocalizedError) else str(error)


def _register_own() -> None:
    from fpengine.i18n import common, formula

    register("i18n.common", common.STRINGS)
    register("i18n.formula", formula.STRINGS)


_register_own()
