"""The body of the three 1-D pages: settings → config → run panel → live views."""

from __future__ import annotations

import dataclasses

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.oned.settings import OneDConfig

from .common import settings_area, tr
from .controls import (
    grid_settings,
    network_settings,
    preset_base,
    seed_setting,
    snapshot_steps_setting,
    spectrum_settings,
    training_settings,
)
from .fields import settings_or_none
from .layout import page_layout
from .run_panel import current_job, run_panel
from .target_designer import peak_selector, target_designer
from .views import gradient_descent_rerun, heatmap_options, render_oned, theory_setting


def oned_settings(experiment: Experiment, key: str) -> OneDConfig | None:
    """Build the page's config from its widgets; show what is wrong and return None if invalid."""
    base: OneDConfig = preset_base(experiment, key)

    def build() -> OneDConfig:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        config = dataclasses.replace(
            base,
            network=network_settings(base.network, key),
            training=training_settings(base.training, key),
            seed=seed_setting(base, key),
            grid=grid_settings(base.grid, key),
            spectrum=spectrum_settings(base.spectrum, key),
            snapshot_steps=snapshot_steps_setting(base, key),
            theory=theory_setting(base.theory, key),
            target=target_designer(base.target, key),
        )
        return peak_selector(config, key)

    return settings_or_none(build)


def oned_page(experiment: Experiment, notes: tuple[str, ...] = ()) -> None:
    """Run controls and live views on top; the target designer and its preview below them (it
    runs first, since Start needs its config, but is drawn second)."""
    key = experiment.name
    layout = page_layout(experiment.title_key, f"{key}.intro", notes, settings_first=False)
    with layout.settings, settings_area():
        config = oned_settings(experiment, key)
    with layout.options:
        log_steps, scheme = heatmap_options(key)
    with layout.run:
        run_panel(experiment, config, lambda snapshot, run_config: render_oned(experiment, snapshot, run_config, log_steps, scheme))
        job = current_job(experiment)
        shown = job.config if job is not None else config  # the network on show, else the one Start would train
        if shown is not None and shown.theory == "ntk":
            gradient_descent_rerun(experiment, gradient_descent(shown))


def gradient_descent(config: OneDConfig) -> OneDConfig | None:
    """The same network trained by full-batch gradient descent, with the prediction; None when it already is."""
    if config.training.optimizer == "sgd":
        return None
    return dataclasses.replace(config, training=dataclasses.replace(config.training, optimizer="sgd"))
