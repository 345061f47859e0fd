"""The settings schema: every setting is declared once, on its config dataclass, with its rule.

A field declared ``lr: float = setting(3e-4, Interval(0, 10, closed="right"))`` carries its type
(the annotation), its default and its rule. One generic :func:`validate` checks every field of a
config against its rule and raises :class:`ConfigError`, whose message names the setting, the rule
and the refused value, in English or Chinese from the same declaration::

    training.lr must be a number in (0, 10]; got -1
    training.lr 须为 (0, 10] 内的数；收到 -1

Pages read the same rules (:func:`rule_of`) for their widgets' bounds. A config may add

- ``rules(self) -> dict[str, Rule]``: rules that depend on other settings, by dotted path relative to
  the config (``{"spectrum.n_freq": Interval(4, self.grid.samples // 2, integer=True)}``); they
  replace the declared rule of that field for this check;
- ``checks(self) -> None``: checks no rule can state (the target has a spectral peak to track),
  raising ``ConfigError(setting, key, value, **details)`` with a message key of the catalogue.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fpengine.i18n import LocalizedError, t

_UNSET: Any = object()


def shown(value: Any, lang: str = "en") -> str:
    """A setting's value as a person typed it: ``1e-40``, ``3, 3``, ``'relu6'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(shown(v, lang) for v in value) if value else t("settings.empty", lang)
    return repr(value) if isinstance(value, str) else str(value)


def _number(value: float) -> str:
    """A bound as printed in a message: 1,000,000 and 2³²−1 read better than 1000000 and 4294967295."""
    if value == 2**32 - 1:
        return "2³²−1"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"


def _t(key: str, lang: str, **values: object) -> str:
    return t(key, lang, **values)


class ConfigError(LocalizedError):
    """A setting is invalid. ``setting`` is its dotted name; ``key`` and ``details`` give the message
    in either language (:meth:`message`), with the refused ``value`` echoed at its end;
    ``str(error)`` is the English one (the CLI prints ``message`` in the language of ``--lang``)."""

    def __init__(self, setting: str, key: str, value: Any = _UNSET, **details: Any) -> None:
        self.setting = setting
        self.value = value
        super().__init__(key, **details)

    def message(self, lang: str = "en") -> str:
        details = {
            name: (v.describe(lang) if isinstance(v, Rule) else v.message(lang) if isinstance(v, LocalizedError) else v)
            for name, v in self.details.items()
        }
        text = t(self.key, lang, setting=self.setting, **details)
        if self.value is not _UNSET:
            text += t("settings.got", lang, value=shown(self.value, lang))
        return text


class Rule(ABC):
    """What values a setting accepts, and how to say so."""

    @abstractmethod
    def accepts(self, value: Any) -> bool: ...

    @abstractmethod
    def describe(self, lang: str = "en", plural: bool = False) -> str:
        """The rule as the end of "<setting> must be …", in ``lang``."""


@dataclass(frozen=True)
class Interval(Rule):
    """A number between ``low`` and ``high`` (None: unbounded); ``closed`` says which ends belong."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"
    """``both``, ``left``, ``right`` or ``neither``."""
    integer: bool = False
    low_name: str = ""
    """When ``low`` is another setting's value, that setting's name, shown beside the number."""
    high_name: str = ""

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.integer and not float(value).is_integer():
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and not (value >= self.low if left else value > self.low):
            return False
        return self.high is None or (value <= self.high if right else value < self.high)

    def interval(self) -> str:
        def end(bound: float | None, name: str, infinite: str) -> str:
            if bound is None:
                return infinite
            return f"{name} = {_number(bound)}" if name else _number(bound)

        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{left}{end(self.low, self.low_name, '−∞')}, {end(self.high, self.high_name, '∞')}{right}"

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        kind = ("whole_numbers" if plural else "whole_number") if self.integer else ("numbers" if plural else "number")
        return _t(f"settings.rule.{kind}_in", lang, interval=self.interval())


@dataclass(frozen=True)
class OneOf(Rule):
    """One of a fixed set of names."""

    choices: tuple[str, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.choices

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        separator = "、" if lang == "zh" else ", "
        return _t("settings.rule.one_of", lang, choices=separator.join(self.choices))


@dataclass(frozen=True)
class ListOf(Rule):
    """A list of ``min_length`` to ``max_length`` items, each accepted by ``item``."""

    item: Rule
    min_length: int = 0
    max_length: int = 1000
    distinct: bool = False
    increasing: bool = False

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, (tuple, list)) or not self.min_length <= len(value) <= self.max_length:
            return False
        if not all(self.item.accepts(v) for v in value):
            return False
        if self.distinct and len(set(value)) != len(value):
            return False
        return not self.increasing or all(b > a for a, b in zip(value, value[1:], strict=False))

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        if self.max_length == 1:
            key = "settings.rule.list_of_one" if self.min_length == 1 else "settings.rule.list_of_none_or_one"
            return _t(key, lang, item=self.item.describe(lang))
        if self.min_length == self.max_length:
            count = _number(self.min_length)
        elif self.min_length == 0:
            count = _t("settings.rule.at_most", lang, n=_number(self.max_length))
        else:
            count = _t("settings.rule.range", lang, low=_number(self.min_length), high=_number(self.max_length))
        extra = "".join(
            _t(f"settings.rule.{word}", lang) for word, on in (("distinct", self.distinct), ("increasing", self.increasing)) if on
        )
        return _t("settings.rule.list_of", lang, count=count, items=self.item.describe(lang, plural=True), extra=extra)


@dataclass(frozen=True)
class Optional(Rule):
    """None (with the meaning ``none_key`` gives it, e.g. "automatic") or a value ``rule`` accepts."""

    rule: Rule
    none_key: str = "settings.none.automatic"

    def accepts(self, value: Any) -> bool:
        return value is None or self.rule.accepts(value)

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        return _t("settings.rule.optional", lang, rule=self.rule.describe(lang, plural), none=_t(self.none_key, lang))


@dataclass(frozen=True)
class Text(Rule):
    """Text of at most ``max_length`` characters (what it must say is checked where it is used)."""

    max_length: int = 1000

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) <= self.max_length

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        return _t("settings.rule.text", lang, n=_number(self.max_length))


@dataclass(frozen=True)
class Flag(Rule):
    """True or false."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        return _t("settings.rule.flag", lang)


@dataclass(frozen=True)
class Kind(Rule):
    """A value's expected type alone (``whole_number``, ``finite_number``, ``flag``, ``text``, ``list``,
    ``group``): what a wrongly typed value of a setting declared without a rule is told."""

    kind: str

    def accepts(self, value: Any) -> bool:
        return False  # only ever used to describe a refusal

    def describe(self, lang: str = "en", plural: bool = False) -> str:
        return _t(f"settings.kind.{self.kind}", lang)


RULE = "fpengine.rule"


def setting(default: Any = dataclasses.MISSING, rule: Rule | None = None, *, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with its rule: ``lr: float = setting(3e-4, Interval(0, 10, closed="right"))``."""
    metadata = {RULE: rule} if rule is not None else {}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


SEED = Interval(0, 2**32 - 1, integer=True)
"""Every experiment's ``seed``."""


def _dynamic_rules(config: Any) -> Mapping[str, Rule]:
    rules = getattr(config, "rules", None)
    return rules() if callable(rules) else {}


def validate(config: Any, prefix: str = "", overrides: Mapping[str, Rule] | None = None) -> None:
    """Check every field of ``config`` (nested groups too) against its rule, then its ``checks()``.
    Raises the ConfigError of the first setting that breaks its rule."""
    overrides = {**(overrides or {}), **{prefix + path: rule for path, rule in _dynamic_rules(config).items()}}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        path = prefix + field.name
        if dataclasses.is_dataclass(value):
            validate(value, path + ".", overrides)
            continue
        rule = overrides.get(path, field.metadata.get(RULE))
        if rule is not None and not rule.accepts(value):
            raise ConfigError(path, "settings.must_be", value, rule=rule)
    checks = getattr(config, "checks", None)
    if callable(checks):
        checks()


def rule_of(config_type: type, path: str) -> Rule:
    """The declared rule of the setting at dotted ``path`` (for a page's widget bounds)."""
    head, _, rest = path.partition(".")
    field = {f.name: f for f in dataclasses.fields(config_type)}[head]
    if rest:
        return rule_of(_field_class(config_type, head), rest)
    return field.metadata[RULE]


def _field_class(config_type: type, name: str) -> type:
    import typing

    return typing.get_type_hints(config_type)[name]
