"""The ``FPENGINE_*`` environment settings, read through one parser each for numbers and switches.

A bad value is a :class:`~fpengine.settings.schema.ConfigError` naming the variable, its rule and the
value, which the CLI prints as one line (exit 2) and the app shows, translated, instead of its pages.
"""

from __future__ import annotations

import os
from typing import Any

from fpengine.settings.schema import ConfigError, Interval, Rule

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Switch(Rule):
    """An environment switch: 1/0, true/false, yes/no, on/off (any case)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        from fpengine.i18n import t

        return t("settings.rule.switch", lang)


def env_number(name: str, default: float, *, whole: bool = True, minimum: float = 0) -> float:
    """``$name`` as a whole (``int``) or finite number of at least ``minimum``; unset or blank: ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    rule = Interval(minimum, None, integer=whole)
    try:
        value: float | None = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not rule.accepts(value):
        raise ConfigError(name, "settings.must_be", text, rule=rule)
    return value


def env_flag(name: str, default: bool) -> bool:
    """``$name`` as a switch (1/0, true/false, yes/no, on/off); unset or blank: ``default``."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    if not Switch().accepts(raw):
        raise ConfigError(name, "settings.must_be", raw, rule=Switch())
    return raw.strip().lower() in _TRUE
