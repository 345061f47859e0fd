"""Settings widgets shared by every page that trains a network: presets, network, optimizer, data,
spectral analysis. Widgets are keyed ``<page>.<field>``; choosing a preset rewrites them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.models import ACTIVATIONS
from fpengine.oned.settings import MAX_BOUND, GridConfig, SpectrumConfig
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.settings.blocks import NetworkConfig, TrainingConfig

from .common import tr, translated
from .common import widget as language_safe_widget


class SettingError(ValueError):
    """A widget holds text that cannot be parsed; the message is already in the visitor's language."""


def preset_base(experiment: Experiment, key: str) -> Any:
    """The preset config the page's widgets start from; picking another preset resets them."""
    preset_key = f"{key}.preset"

    def reset_widgets() -> None:
        for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{key}.w.")]:
            del st.session_state[name]

    preset = language_safe_widget(preset_key, st.sidebar.selectbox, tr("settings.preset"), next(iter(experiment.presets)),
                                  options=list(experiment.presets), format_func=translated("settings.preset"),
                                  help=tr("settings.preset_help"), on_change=reset_widgets)
    return experiment.default_config(preset)


def widget(key: str, field: str, make: Callable[..., Any], label: str, default: Any, **kwargs: Any) -> Any:
    """A page setting ``<page>.w.<field>``; its first value comes from the preset (``default``)."""
    return language_safe_widget(f"{key}.w.{field}", make, label, default, **kwargs)


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


def network_settings(base: NetworkConfig, key: str, activations: tuple[str, ...] = ACTIVATIONS) -> NetworkConfig:
    with st.sidebar.expander(tr("settings.network"), expanded=False):
        widths_text = widget(key, "widths", st.text_input, tr("settings.widths"), ",".join(map(str, base.widths)),
                             help=tr("settings.widths_help"))
        activation = widget(key, "activation", st.selectbox, tr("settings.activation"), base.activation, options=list(activations))
        init = widget(key, "init", st.radio, tr("settings.init"), base.init, options=["chapter", "default"],
                      format_func=translated("settings.init"), horizontal=True)
        power = widget(key, "init_power", st.number_input, tr("settings.init_power"), float(base.init_power),
                       min_value=0.0, max_value=3.0, step=0.1, disabled=init != "chapter")
    widths = parse_int_list(widths_text, tr("settings.widths"))
    return NetworkConfig(widths=widths, activation=activation, init=init, init_power=float(power))


def training_settings(base: TrainingConfig, key: str, optimizers: tuple[str, ...] = GRADIENT_OPTIMIZERS) -> TrainingConfig:
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        optimizer = widget(key, "optimizer", st.selectbox, tr("settings.optimizer"), base.optimizer, options=list(optimizers),
                           format_func=translated("settings.optimizer"))
        lr = widget(key, "lr", st.number_input, tr("settings.lr"), float(base.lr), min_value=1e-7, max_value=10.0,
                    format="%.1e", step=1e-5)
        momentum = widget(key, "momentum", st.number_input, tr("settings.momentum"), float(base.momentum),
                          min_value=0.0, max_value=0.999, step=0.05, disabled=optimizer != "momentum")
        steps = widget(key, "steps", st.number_input, tr("settings.steps"), int(base.steps), min_value=1,
                       max_value=1_000_000, step=500)
    return TrainingConfig(optimizer=optimizer, lr=float(lr), momentum=float(momentum), steps=int(steps))


def seed_setting(base_seed: int, key: str) -> int:
    return int(widget(key, "seed", st.sidebar.number_input, tr("settings.seed"), int(base_seed), min_value=0,
                      max_value=2**32 - 1, step=1))


def grid_settings(base: GridConfig, key: str) -> GridConfig:
    with st.sidebar.expander(tr("settings.data"), expanded=False):
        samples = widget(key, "samples", st.number_input, tr("settings.samples"), int(base.samples), min_value=8,
                         max_value=20000, step=50)
        left, right = st.columns(2)
        with left:
            lo = widget(key, "lo", st.number_input, tr("settings.domain_lo"), float(base.lo), format="%.4f",
                        min_value=-float(MAX_BOUND), max_value=float(MAX_BOUND))
        with right:
            hi = widget(key, "hi", st.number_input, tr("settings.domain_hi"), float(base.hi), format="%.4f",
                        min_value=-float(MAX_BOUND), max_value=float(MAX_BOUND))
        periodic = widget(key, "periodic", st.checkbox, tr("settings.periodic"), bool(base.periodic))
    return dataclasses.replace(base, samples=int(samples), lo=float(lo), hi=float(hi), periodic=bool(periodic))


def spectrum_settings(base: SpectrumConfig, key: str) -> SpectrumConfig:
    with st.sidebar.expander(tr("settings.analysis"), expanded=False):
        n_freq = widget(key, "n_freq", st.number_input, tr("settings.n_freq"), int(base.n_freq), min_value=4,
                        max_value=2000, step=10)
        epsilon = widget(key, "epsilon", st.number_input, tr("settings.epsilon"), float(base.epsilon),
                         min_value=0.001, max_value=1.0, step=0.01)
        form = widget(key, "error_form", st.radio, tr("settings.error_form"), base.error_form,
                      options=["complex", "magnitude"], format_func=translated("settings.error_form"))
        rule = widget(key, "rule", st.radio, tr("settings.rule"), base.rule, options=["robust", "consecutive"],
                      format_func=translated("settings.rule"))
    return dataclasses.replace(base, n_freq=int(n_freq), epsilon=float(epsilon), error_form=form, rule=rule)


def snapshot_steps_setting(base_steps: tuple[int, ...], key: str) -> tuple[int, ...]:
    text = widget(key, "snapshot_steps", st.sidebar.text_input, tr("view.snapshot_steps"),
                  ",".join(map(str, base_steps)))
    return parse_int_list(text, tr("view.snapshot_steps")) if text.strip() else ()
