"""The body of the three 1-D pages: settings → config → run panel → live views."""

from __future__ import annotations

import dataclasses
import functools

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Snapshot
from fpengine.oned import charts
from fpengine.oned.settings import OneDConfig
from fpengine.oned.views import OneDViews
from fpengine.readout.charts import theory_builders
from fpengine.readout.settings import gradient_descent_reference
from fpengine.readout.theory import PREDICTED
from fpengine.readout.views import output_frame
from fpengine.settings.config import to_dict

from .common import data_version, lang, live_chart, settings_area, tr
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
from .run_panel import Part, current_job, run_panel
from .target_designer import peak_selector, readout_values, target_designer
from .views import gradient_descent_rerun, heatmap_options, replay_view, spectral_layout, theory_layout, theory_setting

ONED_SOURCES = {
    "heatmap": ("delta_f",),
    "loss": ("metrics",),
    "theory": ("delta_f", PREDICTED),
    "ntk_spectrum": (),
    "theory_loss": ("metrics",),
}
"""What each 1-D chart is drawn from (``common.data_version``; any other chart: the snapshot's views):
a chart whose sources have no new record is not rebuilt; the kernel's spectrum never changes in a run."""


def render_oned(experiment: Experiment, snapshot: Snapshot, config, part: Part = Part.ALL, *, log_steps: bool, scheme: str) -> None:
    """Output | ΔF heatmap (the key views), then spectrum | loss, the convergence table, the snapshot
    panels and, for a run that made the prediction, the Theory view (``part``: which of the two
    groups; ``log_steps``, ``scheme``: the view options of :func:`heatmap_options`). A finished or
    paused run replays (:func:`replay_view`)."""
    key = experiment.name
    summary = experiment.summarize(config, snapshot)

    def draw(shown: Snapshot, cursor: int | None) -> None:
        builders = {
            **charts.chart_builders(shown, summary["convergence_step"], lang(), log_steps=log_steps, scheme=scheme, cursor=cursor),
            **theory_builders(shown, config.spectrum, lang(), log_steps=log_steps, scheme=scheme),
        }
        context = (id(config), lang(), log_steps, scheme)  # a run's config object lives as long as the run

        def show(chart: str) -> None:
            # the panels change only when a new one is taken; the replayed ones with the step shown
            version = (
                len(shown.views[OneDViews.panel_steps]) if chart == "panels" else data_version(shown, *ONED_SOURCES.get(chart, ("views",)))
            )
            replayed = cursor if chart in ("output", "spectrum", "heatmap") else None
            live_chart(f"{key}.{chart}", (*context, replayed), version, builders[chart], charts_on_page=len(builders))

        spectral_layout(show, shown.traces["delta_f"], summary, part)
        if Part.MORE not in part:
            return
        if "panels" in builders:
            show("panels")
        if "theory" in builders:
            theory_layout(show, summary, config.training.lr)

    replay_view(experiment, snapshot, config, output_frame, draw, part)


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
        run_panel(experiment, config, functools.partial(render_oned, experiment, log_steps=log_steps, scheme=scheme))
        job = current_job(experiment)
        shown = job.config if job is not None else config  # the network on show, else the one Start would train
        if shown is not None and shown.theory == "ntk":
            gradient_descent_rerun(experiment, gradient_descent_reference(shown))


def link_values(config: OneDConfig) -> dict[str, str]:
    """The config as the 1-D page's link parameters (for the Lab's links to a cell): the read-out's."""
    return readout_values(config, to_dict(config))
