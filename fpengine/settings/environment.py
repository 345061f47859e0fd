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


def cores() -> int:
    """The cores this process may use (its CPU affinity where the system says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


MAX_THREADS_PER_CORE = 4
"""``FPENGINE_THREADS`` and ``FPENGINE_MAX_RUNNING`` stop at this many per core: beyond, threads or runs
only queue for the cores (and each torch thread is an OS thread, or two)."""


def env_number(name: str, default: float, *, whole: bool = True, minimum: float = 0, maximum: float | None = None) -> float:
    """``$name`` as a whole (``int``) or finite number in [``minimum``, ``maximum``]; unset or blank:
    ``default``. Every server setting has a maximum: what the machine can do, or a sane bound."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    rule = Interval(minimum, maximum, integer=whole)
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
