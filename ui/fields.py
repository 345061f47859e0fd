"""A page's setting widget from the setting's one declaration.

A setting is declared once, on its config dataclass (``fpengine.settings.schema``: its type, default
and rule). What a page adds is said once too, in a :class:`Field`: the label's catalogue key, the
help's, the link parameter when it differs from the setting's name, the step of a number. From the
two, :func:`field` draws the widget: a number input bounded by an ``Interval``, a choice among a
``OneOf``'s names, a switch for a ``Flag``, comma-separated numbers for a ``ListOf``; its first
value is the preset's (or a shared link's ``?<param>=…``), its session key ``<page>.w.<param>``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from fpengine.i18n import LocalizedError
from fpengine.settings.schema import Flag, Interval, ListOf, OneOf, Optional, rule_of, validate

from . import links
from .common import language_safe_widget, set_widget_value, show_invalid_settings, tr, translated

Config = TypeVar("Config")


class SettingError(ValueError):
    """A widget holds text that cannot be parsed; the message is already in the visitor's language."""


def link_value(text: str, default: Any, accepts: Callable[[str], object] | None = None, **kwargs: Any) -> Any:
    """A link's ``text`` as the value of a widget made with ``default`` and ``kwargs`` (its options,
    bounds, length); ValueError when the widget could not take it. ``accepts`` checks a text
    setting (raises ValueError if the text is not one)."""
    options = kwargs.get("options")
    if options is not None:
        by_text = {links.text_of(option): option for option in options}
        if isinstance(default, (list, tuple)):  # a multiselect
            return [by_text[item] for item in text.split(",")] if text else []
        return by_text[text]
    if isinstance(default, bool):
        return links.parse_flag(text)
    if isinstance(default, (int, float)):
        return links.parse_number(text, type(default), kwargs.get("min_value"), kwargs.get("max_value"))
    if len(text) > (kwargs.get("max_chars") or links.MAX_TEXT):
        raise ValueError(text)
    if accepts is not None:
        accepts(text)
    return text


def linked(
    name: str, param: str, make: Callable[..., Any], label: str, default: Any, accepts: Callable[[str], object] | None = None, **kwargs: Any
) -> Any:
    """A language-safe widget (``ui.common.language_safe_widget``) whose value a link sets (``?<param>=…``, read
    on the page's first run) and which stands in the address bar while it differs from ``default``.
    ``accepts`` checks a link's text for a text input (raises ValueError)."""
    restored = links.restore(param, lambda text: link_value(text, default, accepts, **kwargs))
    if restored is not None:
        set_widget_value(name, restored)
    value = language_safe_widget(name, make, label, default, **kwargs)
    links.keep(param, links.text_of(value), links.text_of(default))
    return value


def setting_widget(
    key: str, field: str, make: Callable[..., Any], label: str, default: Any, accepts: Callable[[str], object] | None = None, **kwargs: Any
) -> Any:
    """A page setting ``<page>.w.<field>``; its first value comes from the preset (``default``), or
    from a shared link's ``?<field>=…`` (checked by ``accepts`` for a text input)."""
    return linked(f"{key}.w.{field}", field, make, label, default, accepts, **kwargs)


def mode_radio(key: str, field: str, label_key: str, default: str, options: list[str], **kwargs: Any) -> str:
    """A page's choice of mode (``<page>.w.<field>``): a radio of ``options``, each shown by its
    translation ``<label_key>.<option>``, linked like every setting."""
    return setting_widget(key, field, st.radio, tr(label_key), default, options=options, format_func=translated(label_key), **kwargs)


def bounds(config_type: type, path: str, kind: type = float) -> dict[str, Any]:
    """A number widget's ``min_value``/``max_value``: the declared rule's ends, as ``kind``. An open
    end is still the widget's limit; validation then refuses exactly that value, naming the rule."""
    rule = rule_of(config_type, path)
    assert isinstance(rule, Interval), (config_type, path)
    return {"min_value": None if rule.low is None else kind(rule.low), "max_value": None if rule.high is None else kind(rule.high)}


def choices(config_type: type, path: str) -> list[str]:
    """A choice widget's options: the declared rule's choices."""
    return list(rule_of(config_type, path).choices)


def parse_number_list(text: str, field_label: str, kind: type = int, allow_empty: bool = False) -> tuple:
    """Comma-separated numbers of ``kind``; SettingError naming the field if an item is empty ("1,,3"),
    does not parse or is nan/inf, as the command line's parser refuses them."""
    try:
        values = tuple(kind(part) for part in text.replace(" ", "").split(",")) if text.strip() else ()
    except ValueError:
        raise SettingError(f"{field_label}: {text!r}") from None
    if not all(math.isfinite(v) for v in values) or (not values and not allow_empty):
        raise SettingError(f"{field_label}: {text!r}")
    return values


def parse_int_list(text: str, field_label: str) -> tuple[int, ...]:
    return parse_number_list(text, field_label, int)


def number_list(kind: type = int, allow_empty: bool = False) -> Callable[[str], tuple]:
    """``accepts`` of a widget holding comma-separated numbers of ``kind``."""
    return lambda text: parse_number_list(text, "", kind, allow_empty)


@dataclasses.dataclass(frozen=True)
class Field:
    """What a page says of a declared setting beyond its declaration. ``path`` is the setting's dotted
    name within the config the page passes (``training.lr``, or ``lr`` within a ``TrainingConfig``)."""

    path: str
    label: str
    """The label's catalogue key."""
    param: str = ""
    """The link parameter and widget name (default: the setting's own name, the path's last part)."""
    help: str | None = None
    """The help's catalogue key."""
    kind: str = ""
    """``radio``, ``toggle`` or ``select_slider`` instead of the rule's own widget (number input,
    select box, checkbox, text of comma-separated numbers)."""
    options_label: str | None = None
    """Catalogue prefix of the options' texts (``settings.optimizer`` → ``settings.optimizer.adam``)."""
    horizontal: bool = False
    """A radio's options side by side."""
    step: float | None = None
    format: str | None = None

    @property
    def name(self) -> str:
        return self.param or self.path.rpartition(".")[2]


def value_at(config: Any, path: str) -> Any:
    """The value of the setting at dotted ``path`` in ``config``."""
    for part in path.split("."):
        config = getattr(config, part)
    return config


def with_values(config: Config, values: dict[str, Any]) -> Config:
    """``config`` with the settings at the dotted paths of ``values`` replaced (nested groups too)."""
    groups: dict[str, dict[str, Any]] = {}
    direct: dict[str, Any] = {}
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if rest:
            groups.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, inner in groups.items():
        direct[head] = with_values(direct.get(head, getattr(config, head)), inner)
    return dataclasses.replace(config, **direct)


def _number_rule(rule: Any) -> Any:
    """The interval of a number setting (of each item of a list; of the value of an optional one)."""
    while isinstance(rule, (Optional, ListOf)):
        rule = rule.rule if isinstance(rule, Optional) else rule.item
    return rule


def _list_text(values: Any, integer: bool) -> str:
    return ",".join(str(int(v)) if integer else f"{v:g}" for v in values)


def field(key: str, config: Any, spec: Field, where: Any = st, default: Any = None, **kwargs: Any) -> Any:
    """Draw ``spec``'s widget for the page ``key`` (in ``where``: ``st``, ``st.sidebar`` or a column)
    and return its value, typed as the setting is: its first value is the setting's in ``config``
    (the preset), or ``default`` when given (a value the declaration cannot state, e.g. one that
    follows another setting); its bounds or choices come from the declared rule. ``kwargs`` are
    the widget's own (``disabled``, ``options`` narrowed, a ``help`` with values).
    SettingError names the setting when a list's text does not parse."""
    rule = rule_of(type(config), spec.path)
    value = value_at(config, spec.path) if default is None else default
    label = tr(spec.label)
    if spec.help is not None and "help" not in kwargs:
        kwargs["help"] = tr(spec.help)
    if spec.step is not None:
        kwargs.setdefault("step", spec.step)
    if spec.format is not None:
        kwargs.setdefault("format", spec.format)
    if isinstance(rule, OneOf) or "options" in kwargs:
        if "options" not in kwargs:
            kwargs["options"] = list(rule.choices)
        if spec.options_label is not None:
            kwargs.setdefault("format_func", translated(spec.options_label))
        make = {"radio": where.radio, "select_slider": where.select_slider}.get(spec.kind, where.selectbox)
        if spec.horizontal:
            kwargs.setdefault("horizontal", True)
        return setting_widget(key, spec.name, make, label, value, **kwargs)
    if isinstance(rule, Flag):
        make = where.toggle if spec.kind == "toggle" else where.checkbox
        return bool(setting_widget(key, spec.name, make, label, bool(value), **kwargs))
    if isinstance(rule, ListOf):
        integer = isinstance(rule.item, Interval) and rule.item.integer
        kind = int if integer else float
        allow_empty = rule.min_length == 0
        text = setting_widget(
            key, spec.name, where.text_input, label, _list_text(value, integer), accepts=number_list(kind, allow_empty), **kwargs
        )
        return parse_number_list(text, label, kind, allow_empty)
    interval = _number_rule(rule)
    assert isinstance(interval, Interval), (type(config), spec.path)
    kind = int if interval.integer else float
    kwargs.setdefault("min_value", None if interval.low is None else kind(interval.low))
    kwargs.setdefault("max_value", None if interval.high is None else kind(interval.high))
    return kind(setting_widget(key, spec.name, where.number_input, label, kind(value), **kwargs))


def validated(config: Config) -> Config:
    validate(config)
    return config


def settings_or_none(build: Callable[[], Config]) -> Config | None:
    """The page's config from ``build`` (which draws the widgets and returns a config), validated;
    None, with the reason shown once in the visitor's language, when a widget's text does not parse
    or a setting breaks its rule (any error a person reads: ConfigError, ImageError, FormulaError)."""
    try:
        return validated(build())
    except (SettingError, LocalizedError) as error:
        show_invalid_settings(error)
        return None
