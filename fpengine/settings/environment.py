"""The ``FPENGINE_*`` environment settings, read through one parser each for numbers and switches.

A bad value is a :class:`~fpengine.settings.config.ConfigError` naming the variable and echoing the value,
which the CLI prints as one line (exit 2) and the app shows instead of its pages.
"""

from __future__ import annotations

import math
import os

from fpengine.settings.config import check

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def env_number(name: str, default: float, *, whole: bool = True, minimum: float = 0) -> float:
    """``$name`` as a whole (``int``) or finite number of at least ``minimum``; unset or blank: ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if whole:
        check(value is not None and value >= minimum, name, f"must be a whole number of at least {minimum}",
              value=text)
    else:
        check(value is not None and math.isfinite(value) and value >= minimum, name,
              f"must be a number of at least {minimum:g}", value=text)
    return value


def env_flag(name: str, default: bool) -> bool:
    """``$name`` as a switch (1/0, true/false, yes/no, on/off); unset or blank: ``default``."""
    raw = os.environ.get(name, "")
    text = raw.strip().lower()
    if not text:
        return default
    check(text in _TRUE + _FALSE, name, "must be 1 or 0 (or true/false, yes/no, on/off)", value=raw)
    return text in _TRUE
