"""A config's values in and out: JSON-ready dicts, command-line overrides, and old names.

A config is a (possibly nested) dataclass whose fields are declared with their rules
(:mod:`fpengine.settings.schema`). It serialises to JSON-ready dicts, is rebuilt from them, and takes
command-line overrides such as ``target.frequencies=1,3,5`` parsed by the field's type. A config
class may list old names of its settings in ``ALIASES`` (old dotted name → current dotted name):
``from_dict`` and ``apply_override`` accept both, so earlier config files and scripts keep working.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from typing import Any, TypeVar

from fpengine.settings.schema import RULE, SEED, ConfigError, Interval, Kind, Rule, setting, shown, validate

__all__ = ["SEED", "ConfigError", "Interval", "apply_override", "from_dict", "setting", "shown", "to_dict", "validate"]

C = TypeVar("C")


def to_dict(config: Any) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    return json.loads(json.dumps(data))  # tuples → lists, so the dict is exactly what JSON holds


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _declared_rule(cls: type, name: str) -> Rule | None:
    return next((f.metadata.get(RULE) for f in dataclasses.fields(cls) if f.name == name), None)


def _refuse(cls: type, name: str, path: str, kind: str, value: Any) -> ConfigError:
    """A wrongly typed value, named by the setting's declared rule where it has one, else by its type."""
    return ConfigError(path, "settings.must_be", value, rule=_declared_rule(cls, name) or Kind(kind))


def _coerce(value: Any, annotation: Any, cls: type, name: str, path: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], cls, name, path)
    if dataclasses.is_dataclass(annotation):
        if not isinstance(value, dict):
            raise _refuse(cls, name, path, "group", value)
        return from_dict(annotation, value, prefix=f"{path}.")
    if origin is tuple:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]  # a lone number is a one-item list: an old config's ``"width": 30`` is ``widths: [30]``
        if not isinstance(value, (list, tuple)):
            raise _refuse(cls, name, path, "list", value)
        return tuple(_coerce(v, args[0], cls, name, path) for v in value)
    if annotation is bool:
        if not isinstance(value, bool):
            raise _refuse(cls, name, path, "flag", value)
        return value
    if annotation is int:
        # is_integer() is False for inf and nan, which int() would turn into a traceback
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
            raise _refuse(cls, name, path, "whole_number", value)
        return int(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(cls, name, path, "finite_number", value)
        return _finite(value, cls, name, path, value)
    if annotation is str:
        if not isinstance(value, str):
            raise _refuse(cls, name, path, "text", value)
        return value
    return value


def _nest(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def resolve_aliases(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every old top-level name of ``cls.ALIASES`` moved to its current dotted place."""
    aliases: dict[str, str] = getattr(cls, "ALIASES", {})
    if not any(key in aliases for key in data):
        return data
    resolved = {key: value for key, value in data.items() if key not in aliases}
    for key, value in data.items():
        if key in aliases:
            _merge(resolved, _nest(aliases[key], value))
    return resolved


def from_dict(cls: type[C], data: dict[str, Any], prefix: str = "") -> C:
    """Rebuild a config from a dict (old names too); unknown keys and wrongly typed values raise ConfigError."""
    data = resolve_aliases(cls, data)
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(prefix + unknown[0], "settings.unknown", known=", ".join(sorted(names)))
    kwargs = {key: _coerce(value, hints[key], cls, key, prefix + key) for key, value in data.items()}
    return cls(**kwargs)


def _finite(number: float | int, cls: type, name: str, path: str, typed: Any) -> float:
    """``number`` as a float; no setting takes nan or ±inf (they pass or fail range checks at
    random, since nan fails every comparison), so they are refused here, where every value enters."""
    try:
        value = float(number)
    except OverflowError:  # an integer beyond float range, e.g. from a JSON file
        value = math.inf
    if not math.isfinite(value):
        raise _refuse(cls, name, path, "finite_number", typed)
    return value


def _parse_text(text: str, annotation: Any, cls: type, name: str, path: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.strip().lower() in ("none", "null", ""):
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse_text(text, inner[0], cls, name, path)
    if origin is tuple:
        if not text.strip():
            return ()
        parts = text.replace(" ", "").split(",")
        if not all(parts):  # "1,,3" is a typo, not 1,3
            raise ConfigError(path, "settings.empty_item", text)
        return tuple(_parse_text(p, args[0], cls, name, path) for p in parts)
    if annotation is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise _refuse(cls, name, path, "flag", text)
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise _refuse(cls, name, path, "whole_number", text) from None
    if annotation is float:
        try:
            number = float(text)
        except ValueError:
            raise _refuse(cls, name, path, "finite_number", text) from None
        return _finite(number, cls, name, path, text)
    return text


def apply_override(config: C, key: str, text: str, _prefix: str = "") -> C:
    """Return a copy of ``config`` with the dotted ``key`` (or an old name of it) set from command-line ``text``."""
    if not _prefix:
        key = getattr(type(config), "ALIASES", {}).get(key, key)
    head, _, rest = key.partition(".")
    path = _prefix + head
    if not dataclasses.is_dataclass(config):
        raise ConfigError(path, "settings.unknown", known="")
    names = {f.name for f in dataclasses.fields(config)}
    if head not in names:
        raise ConfigError(path, "settings.unknown", known=", ".join(sorted(names)))
    current = getattr(config, head)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ConfigError(path, "settings.no_sub_settings")
        return dataclasses.replace(config, **{head: apply_override(current, rest, text, f"{path}.")})
    if dataclasses.is_dataclass(current):
        raise ConfigError(path, "settings.is_group", example=dataclasses.fields(current)[0].name)
    value = _parse_text(text, _field_types(type(config))[head], type(config), head, path)
    return dataclasses.replace(config, **{head: value})
