"""Helpers shared by every experiment's config dataclass.

A config is a (possibly nested) dataclass. It serialises to JSON-ready dicts, is rebuilt from them,
and takes command-line overrides such as ``target.frequencies=1,3,5`` parsed by the field's type.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from typing import Any, TypeVar

C = TypeVar("C")


class ConfigError(ValueError):
    """A setting is invalid; the message names the setting and says what is allowed."""


_UNSET: Any = object()


def shown(value: Any) -> str:
    """A setting's value as a person typed it: ``1e-40``, ``3, 3``, ``'relu6'``."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(shown(v) for v in value) if value else "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


def check(condition: bool, field: str, message: str, value: Any = _UNSET) -> None:
    """Raise ConfigError("field: message") unless ``condition``; with ``value``, the bad value is
    echoed as " (got …)" so the visitor sees what was refused."""
    if not condition:
        suffix = "" if value is _UNSET else f" (got {shown(value)})"
        raise ConfigError(f"{field}: {message}{suffix}")


def to_dict(config: Any) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    return json.loads(json.dumps(data))  # tuples → lists, so the dict is exactly what JSON holds


def to_json(config: Any) -> str:
    return json.dumps(to_dict(config), indent=2, ensure_ascii=False)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], name)
    if dataclasses.is_dataclass(annotation):
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a group of settings, got {value!r}")
        return from_dict(annotation, value, prefix=f"{name}.")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}: expected a list, got {value!r}")
        return tuple(_coerce(v, args[0], name) for v in value)
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true or false, got {value!r}")
        return value
    if annotation is int:
        # is_integer() is False for inf and nan, which int() would turn into a traceback
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}")
        return int(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: expected a number, got {value!r}")
        return _finite(value, name, repr(value))
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name}: expected text, got {value!r}")
        return value
    return value


def from_dict(cls: type[C], data: dict[str, Any], prefix: str = "") -> C:
    """Rebuild a config from a dict; unknown keys and wrongly typed values raise ConfigError."""
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown setting (known: {', '.join(sorted(names))})")
    kwargs = {key: _coerce(value, hints[key], prefix + key) for key, value in data.items()}
    return cls(**kwargs)


def _finite(number: float | int, name: str, typed: str) -> float:
    """``number`` as a float; no setting takes nan or ±inf (they pass or fail range checks at
    random, since nan fails every comparison), so they are refused here, where every value enters."""
    try:
        value = float(number)
    except OverflowError:  # an integer beyond float range, e.g. from a JSON file
        value = math.inf
    if not math.isfinite(value):
        raise ConfigError(f"{name}: expected a finite number, got {typed}")
    return value


def _parse_text(text: str, annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.strip().lower() in ("none", "null", ""):
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse_text(text, inner[0], name)
    if origin is tuple:
        if not text.strip():
            return ()
        parts = text.replace(" ", "").split(",")
        check(all(parts), name, "a list item is empty", text)  # "1,,3" is a typo, not 1,3
        return tuple(_parse_text(p, args[0], name) for p in parts)
    if annotation is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {text!r}")
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {text!r}") from None
    if annotation is float:
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {text!r}") from None
        return _finite(number, name, repr(text))
    return text


def apply_override(config: C, key: str, text: str, _prefix: str = "") -> C:
    """Return a copy of ``config`` with the dotted ``key`` set from command-line ``text``."""
    head, _, rest = key.partition(".")
    path = _prefix + head
    if not dataclasses.is_dataclass(config):
        raise ConfigError(f"{path}: unknown setting")
    names = {f.name for f in dataclasses.fields(config)}
    if head not in names:
        raise ConfigError(f"{path}: unknown setting (known: {', '.join(sorted(names))})")
    current = getattr(config, head)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ConfigError(f"{path}.{rest}: {path} has no sub-settings")
        return dataclasses.replace(config, **{head: apply_override(current, rest, text, f"{path}.")})
    if dataclasses.is_dataclass(current):
        raise ConfigError(f"{path}: is a group; set one of its fields, e.g. {path}.<name>")
    value = _parse_text(text, _field_types(type(config))[head], path)
    return dataclasses.replace(config, **{head: value})
