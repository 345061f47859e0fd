"""Settings widgets shared by every page that trains a network: presets, network, optimizer, data,
spectral analysis. Widgets are keyed ``<page>.<field>``; choosing a preset rewrites them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.readout.settings import GridConfig, SpectrumConfig
from fpengine.settings.blocks import NetworkConfig, TrainingConfig

from .common import tr, translated
from .fields import Field, field, linked, with_values


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


# the shared blocks' fields: what each page says of a shared setting beyond its declaration
WIDTHS = Field("widths", "settings.widths", help="settings.widths_help")
ACTIVATION = Field("activation", "settings.activation")
INIT = Field("init", "settings.init", kind="radio", options_label="settings.init", horizontal=True)
INIT_POWER = Field("init_power", "settings.init_power", step=0.1)
OUTPUT_INIT = Field(
    "output_init", "settings.output_init", help="settings.output_init_help", kind="radio", options_label="settings.output_init"
)
OPTIMIZER = Field("optimizer", "settings.optimizer", options_label="settings.optimizer")
LR = Field("lr", "settings.lr", format="%.1e", step=1e-5)
MOMENTUM = Field("momentum", "settings.momentum", step=0.05)
STEPS = Field("steps", "settings.steps", step=500)
SEED = Field("seed", "settings.seed", step=1)
SAMPLES = Field("samples", "settings.samples", step=50)
DOMAIN_LO = Field("lo", "settings.domain_lo", format="%.4f")
DOMAIN_HI = Field("hi", "settings.domain_hi", format="%.4f")
PERIODIC = Field("periodic", "settings.periodic")
MARGIN = Field("margin", "settings.margin", help="settings.margin_help", step=0.1)
N_FREQ = Field("n_freq", "settings.n_freq", step=10)  # its top (half the grid's samples) is checked with the grid
MAX_PEAKS = Field("max_peaks", "settings.max_peaks", help="settings.max_peaks_help", step=1)
EPSILON = Field("epsilon", "settings.epsilon", step=0.01)
ERROR_FORM = Field("error_form", "settings.error_form", kind="radio", options_label="settings.error_form")
RULE = Field("rule", "settings.rule", kind="radio", options_label="settings.rule")
SNAPSHOT_STEPS = Field("snapshot_steps", "view.snapshot_steps")


def network_settings(
    base: NetworkConfig, key: str, activations: tuple[str, ...] | None = None, output_inits: tuple[str, ...] | None = None
) -> NetworkConfig:
    """``activations`` and ``output_inits``: the page's choice among the declared ones (default: all of
    them); a page whose network allows one initial output shows no widget for it."""
    with st.sidebar.expander(tr("settings.network"), expanded=False):
        widths = field(key, base, WIDTHS)
        activation = field(key, base, ACTIVATION, **({"options": list(activations)} if activations else {}))
        init = field(key, base, INIT)
        power = field(key, base, INIT_POWER, disabled=init != "chapter")
        values = {"widths": widths, "activation": activation, "init": init, "init_power": power}
        if output_inits is None or len(output_inits) > 1:
            values["output_init"] = field(key, base, OUTPUT_INIT, **({"options": list(output_inits)} if output_inits else {}))
    return with_values(base, values)


def optimizer_settings(base: Any, key: str) -> tuple[str, float, float]:
    """The gradient optimizer, its learning rate and momentum, for any config with the shared
    ``optimizer``/``lr``/``momentum`` settings (``training.*`` in every experiment)."""
    optimizer = field(key, base, OPTIMIZER)
    lr = field(key, base, LR)
    momentum = field(key, base, MOMENTUM, disabled=optimizer != "momentum")
    return optimizer, lr, momentum


def training_settings(base: TrainingConfig, key: str) -> TrainingConfig:
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        optimizer, lr, momentum = optimizer_settings(base, key)
        steps = field(key, base, STEPS)
    return with_values(base, {"optimizer": optimizer, "lr": lr, "momentum": momentum, "steps": steps})


def seed_setting(config: Any, key: str, where: Any = st.sidebar) -> int:
    """The run's ``seed`` (every experiment's, declared once)."""
    return field(key, config, SEED, where)


def grid_settings(base: GridConfig, key: str) -> GridConfig:
    with st.sidebar.expander(tr("settings.data"), expanded=False):
        samples = field(key, base, SAMPLES)
        left, right = st.columns(2)
        lo = field(key, base, DOMAIN_LO, left)
        hi = field(key, base, DOMAIN_HI, right)
        periodic = field(key, base, PERIODIC)
        margin = field(key, base, MARGIN)
    return with_values(base, {"samples": samples, "lo": lo, "hi": hi, "periodic": periodic, "margin": margin})


def spectrum_settings(base: SpectrumConfig, key: str) -> SpectrumConfig:
    with st.sidebar.expander(tr("settings.analysis"), expanded=False):
        values = {spec.path: field(key, base, spec) for spec in (N_FREQ, MAX_PEAKS, EPSILON, ERROR_FORM, RULE)}
    return with_values(base, values)


def snapshot_steps_setting(config: Any, key: str) -> tuple[int, ...]:
    return field(key, config, SNAPSHOT_STEPS, st.sidebar)
