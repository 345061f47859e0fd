"""The standard spectral views of a run: output, spectrum, ΔF heatmap, loss, convergence table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from fpengine import charts
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.oned import charts as oned_charts

from .common import lang, live_chart, tr, translated, widget


def heatmap_options(key: str) -> tuple[bool, str]:
    """Log-step axis and colour map (chapter RdBu or new-book YlGnBu), chosen outside the live fragment."""
    left, right = st.columns(2)
    with left:
        log_steps = widget(f"{key}.log_steps", st.toggle, tr("view.log_steps"), False)
    with right:
        scheme = widget(
            f"{key}.scheme",
            st.selectbox,
            tr("view.colormap"),
            charts.SCHEMES[0],
            options=charts.SCHEMES,
            format_func=translated("view.colormap"),
        )
    return log_steps, scheme


def convergence_table(trace: ErrorTrace, summary: Mapping[str, Any], key_title: str | None = None) -> None:
    """Per-component convergence step and the one-number summary (Spearman ρ), as the run's summary
    (``Experiment.summarize``) has them in ``convergence_step`` and ``spearman``. ``key_title`` heads
    the column of the trace's keys (default: DFT index)."""
    converged = summary["convergence_step"]
    frame = pd.DataFrame(
        {
            tr("table.frequency"): [f"{v:g}" for v in trace.values],
            key_title or tr("table.index"): list(trace.keys),
            tr("table.converged_at"): [tr("view.never") if s is None else f"{s:,}" for s in converged],
            tr("table.final_error"): [f"{e:.3g}" for e in trace.errors[-1]] if len(trace.errors) else ["–"] * len(trace.keys),
        }
    )
    st.markdown(f"**{tr('view.convergence')}**")
    st.dataframe(frame, hide_index=True)
    rho = summary["spearman"]
    st.metric(tr("view.spearman"), "–" if rho is None else f"{rho:+.2f}", help=tr("view.spearman_help"))


def render_oned(experiment: Experiment, snapshot: Snapshot, config) -> None:
    """Output | spectrum, the ΔF heatmap, loss | convergence, then the snapshot panels."""
    key = experiment.name
    log_steps = bool(st.session_state.get(f"{key}.log_steps", False))
    scheme = st.session_state.get(f"{key}.scheme", "redblue")
    summary = experiment.summarize(config, snapshot)
    builders = oned_charts.chart_builders(snapshot, summary["convergence_step"], lang(), log_steps=log_steps, scheme=scheme)
    context = (id(config), lang(), log_steps, scheme)  # a run's config object lives as long as the run

    def show(chart: str) -> None:
        # the panels change only when a new one is taken
        version = len(snapshot.views["panel_steps"]) if chart == "panels" else snapshot.version
        live_chart(f"{key}.{chart}", context, version, builders[chart])

    spectral_layout(show, snapshot.traces["delta_f"], summary)
    if "panels" in builders:
        show("panels")


def spectral_layout(show: Callable[[str], None], trace: ErrorTrace, summary: Mapping[str, Any]) -> None:
    """The layout every page with a 1-D target shares: output | spectrum, the ΔF heatmap, loss |
    convergence table (of the run's ``summary``). ``show(name)`` draws the chart named output,
    spectrum, heatmap or loss."""
    left, right = st.columns(2)
    with left:
        show("output")
    with right:
        show("spectrum")
    show("heatmap")
    st.caption(tr("view.heatmap_help"))
    left, right = st.columns(2)
    with left:
        show("loss")
    with right:
        convergence_table(trace, summary)
