"""Settings widgets shared by every page that trains a network: presets, network, optimizer, data,
spectral analysis. Widgets are keyed ``<page>.<field>``; choosing a preset rewrites them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.readout.settings import GridConfig, SpectrumConfig
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.schema import SEED, Interval, rule_of

from . import links
from .common import set_widget_value, tr, translated
from .common import widget as language_safe_widget


class SettingError(ValueError):
    """A widget holds text that cannot be parsed; the message is already in the visitor's language."""


def preset_base(experiment: Experiment, key: str) -> Any:
    """The preset config the page's widgets start from; picking another preset resets them."""
    preset_key = f"{key}.preset"

    def reset_widgets() -> None:
        for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{key}.w.")]:
            del st.session_state[name]

    preset = linked(
        preset_key,
        "preset",
        st.sidebar.selectbox,
        tr("settings.preset"),
        next(iter(experiment.presets)),
        options=list(experiment.presets),
        format_func=translated("settings.preset"),
        help=tr("settings.preset_help"),
        on_change=reset_widgets,
    )
    return experiment.default_config(preset)


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
    """A language-safe widget (``ui.common.widget``) whose value a link sets (``?<param>=…``, read
    on the page's first run) and which stands in the address bar while it differs from ``default``.
    ``accepts`` checks a link's text for a text input (raises ValueError)."""
    restored = links.restore(param, lambda text: link_value(text, default, accepts, **kwargs))
    if restored is not None:
        set_widget_value(name, restored)
    value = language_safe_widget(name, make, label, default, **kwargs)
    links.keep(param, links.text_of(value), links.text_of(default))
    return value


def widget(
    key: str, field: str, make: Callable[..., Any], label: str, default: Any, accepts: Callable[[str], object] | None = None, **kwargs: Any
) -> Any:
    """A page setting ``<page>.w.<field>``; its first value comes from the preset (``default``), or
    from a shared link's ``?<field>=…`` (checked by ``accepts`` for a text input)."""
    return linked(f"{key}.w.{field}", field, make, label, default, accepts, **kwargs)


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


def network_settings(base: NetworkConfig, key: str, activations: tuple[str, ...] | None = None) -> NetworkConfig:
    """``activations``: the page's choice among the declared ones (default: all of them)."""
    kind = type(base)
    with st.sidebar.expander(tr("settings.network"), expanded=False):
        widths_text = widget(
            key,
            "widths",
            st.text_input,
            tr("settings.widths"),
            ",".join(map(str, base.widths)),
            accepts=number_list(),
            help=tr("settings.widths_help"),
        )
        activation = widget(
            key,
            "activation",
            st.selectbox,
            tr("settings.activation"),
            base.activation,
            options=list(activations or choices(kind, "activation")),
        )
        init = widget(
            key,
            "init",
            st.radio,
            tr("settings.init"),
            base.init,
            options=choices(kind, "init"),
            format_func=translated("settings.init"),
            horizontal=True,
        )
        power = widget(
            key,
            "init_power",
            st.number_input,
            tr("settings.init_power"),
            float(base.init_power),
            **bounds(kind, "init_power"),
            step=0.1,
            disabled=init != "chapter",
        )
    widths = parse_int_list(widths_text, tr("settings.widths"))
    return dataclasses.replace(base, widths=widths, activation=activation, init=init, init_power=float(power))


def optimizer_settings(base: Any, key: str) -> tuple[str, float, float]:
    """The gradient optimizer, its learning rate and momentum, for any config with the shared
    ``optimizer``/``lr``/``momentum`` settings (``training.*`` in every experiment)."""
    kind = type(base)
    optimizer = widget(
        key,
        "optimizer",
        st.selectbox,
        tr("settings.optimizer"),
        base.optimizer,
        options=choices(kind, "optimizer"),
        format_func=translated("settings.optimizer"),
    )
    lr = widget(key, "lr", st.number_input, tr("settings.lr"), float(base.lr), **bounds(kind, "lr"), format="%.1e", step=1e-5)
    momentum = widget(
        key,
        "momentum",
        st.number_input,
        tr("settings.momentum"),
        float(base.momentum),
        **bounds(kind, "momentum"),
        step=0.05,
        disabled=optimizer != "momentum",
    )
    return optimizer, float(lr), float(momentum)


def training_settings(base: TrainingConfig, key: str) -> TrainingConfig:
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        optimizer, lr, momentum = optimizer_settings(base, key)
        steps = widget(key, "steps", st.number_input, tr("settings.steps"), int(base.steps), **bounds(type(base), "steps", int), step=500)
    return dataclasses.replace(base, optimizer=optimizer, lr=lr, momentum=momentum, steps=int(steps))


def seed_setting(base_seed: int, key: str) -> int:
    return int(
        widget(
            key,
            "seed",
            st.sidebar.number_input,
            tr("settings.seed"),
            int(base_seed),
            min_value=int(SEED.low),
            max_value=int(SEED.high),
            step=1,
        )
    )


def grid_settings(base: GridConfig, key: str) -> GridConfig:
    kind = type(base)
    with st.sidebar.expander(tr("settings.data"), expanded=False):
        samples = widget(
            key, "samples", st.number_input, tr("settings.samples"), int(base.samples), **bounds(kind, "samples", int), step=50
        )
        left, right = st.columns(2)
        with left:
            lo = widget(key, "lo", st.number_input, tr("settings.domain_lo"), float(base.lo), format="%.4f", **bounds(kind, "lo"))
        with right:
            hi = widget(key, "hi", st.number_input, tr("settings.domain_hi"), float(base.hi), format="%.4f", **bounds(kind, "hi"))
        periodic = widget(key, "periodic", st.checkbox, tr("settings.periodic"), bool(base.periodic))
        margin = widget(
            key,
            "margin",
            st.number_input,
            tr("settings.margin"),
            float(base.margin),
            **bounds(kind, "margin"),
            step=0.1,
            help=tr("settings.margin_help"),
        )
    return dataclasses.replace(base, samples=int(samples), lo=float(lo), hi=float(hi), periodic=bool(periodic), margin=float(margin))


def spectrum_settings(base: SpectrumConfig, key: str) -> SpectrumConfig:
    kind = type(base)
    with st.sidebar.expander(tr("settings.analysis"), expanded=False):
        # the top of n_freq (half the grid's samples) is checked with the grid, by validation
        n_freq = widget(key, "n_freq", st.number_input, tr("settings.n_freq"), int(base.n_freq), **bounds(kind, "n_freq", int), step=10)
        max_peaks = widget(
            key,
            "max_peaks",
            st.number_input,
            tr("settings.max_peaks"),
            int(base.max_peaks),
            **bounds(kind, "max_peaks", int),
            step=1,
            help=tr("settings.max_peaks_help"),
        )
        epsilon = widget(key, "epsilon", st.number_input, tr("settings.epsilon"), float(base.epsilon), **bounds(kind, "epsilon"), step=0.01)
        form = widget(
            key,
            "error_form",
            st.radio,
            tr("settings.error_form"),
            base.error_form,
            options=choices(kind, "error_form"),
            format_func=translated("settings.error_form"),
        )
        rule = widget(
            key, "rule", st.radio, tr("settings.rule"), base.rule, options=choices(kind, "rule"), format_func=translated("settings.rule")
        )
    return dataclasses.replace(base, n_freq=int(n_freq), max_peaks=int(max_peaks), epsilon=float(epsilon), error_form=form, rule=rule)


def snapshot_steps_setting(base_steps: tuple[int, ...], key: str) -> tuple[int, ...]:
    text = widget(
        key,
        "snapshot_steps",
        st.sidebar.text_input,
        tr("view.snapshot_steps"),
        ",".join(map(str, base_steps)),
        accepts=number_list(allow_empty=True),
    )
    return parse_int_list(text, tr("view.snapshot_steps")) if text.strip() else ()
