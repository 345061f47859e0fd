"""The standard spectral views of a run: output, spectrum, ΔF heatmap, loss, convergence table; and
the Theory view (the linearised prediction beside the measurement) with its gradient-descent rerun."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from fpengine import charts
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.oned import charts as oned_charts

from .common import device_choice, job_manager, lang, live_chart, tr, translated
from .controls import linked
from .controls import widget as setting_widget
from .run_panel import VIEW_REFRESH_SECONDS


def heatmap_options(key: str, log_steps: bool = False) -> tuple[bool, str]:
    """Log-step axis (first ``log_steps``) and colour map (chapter RdBu or new-book YlGnBu), chosen
    outside the live fragment; a shared link sets them too."""
    left, right = st.columns(2)
    with left:
        log_steps = linked(f"{key}.log_steps", "log_steps", st.toggle, tr("view.log_steps"), log_steps)
    with right:
        scheme = linked(
            f"{key}.scheme",
            "scheme",
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
    if "predicted_convergence_step" in summary:  # the run made the linearised prediction
        frame[tr("theory.predicted_at")] = [tr("view.never") if s is None else f"{s:,}" for s in summary["predicted_convergence_step"]]
        frame[tr("theory.needed")] = [_steps_needed(s) for s in summary["predicted_steps_needed"]]
    st.markdown(f"**{tr('view.convergence')}**")
    st.dataframe(frame, hide_index=True)
    rho = summary["spearman"]
    st.metric(tr("view.spearman"), "–" if rho is None else f"{rho:+.2f}", help=tr("view.spearman_help"))


def _steps_needed(steps: int | None) -> str:
    if steps is None:
        return tr("theory.needed_never")
    return f"{steps:,}" if steps < 1_000_000 else f"{steps:.2e}"


def render_oned(experiment: Experiment, snapshot: Snapshot, config) -> None:
    """Output | spectrum, the ΔF heatmap, loss | convergence, then the snapshot panels and, for a
    run that made the prediction, the Theory view."""
    key = experiment.name
    log_steps = bool(st.session_state.get(f"{key}.log_steps", False))
    scheme = st.session_state.get(f"{key}.scheme", "redblue")
    summary = experiment.summarize(config, snapshot)
    builders = {
        **oned_charts.chart_builders(snapshot, summary["convergence_step"], lang(), log_steps=log_steps, scheme=scheme),
        **oned_charts.theory_builders(snapshot, config.spectrum, lang(), log_steps=log_steps, scheme=scheme),
    }
    context = (id(config), lang(), log_steps, scheme)  # a run's config object lives as long as the run

    def show(chart: str) -> None:
        # the panels change only when a new one is taken
        version = len(snapshot.views["panel_steps"]) if chart == "panels" else snapshot.version
        live_chart(f"{key}.{chart}", context, version, builders[chart], charts_on_page=len(builders))

    spectral_layout(show, snapshot.traces["delta_f"], summary)
    if "panels" in builders:
        show("panels")
    if "theory" in builders:
        theory_layout(show, summary, config.training.lr)


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


def theory_setting(theory: str, key: str) -> str:
    """The sidebar switch of the Theory view: ``ntk`` or ``none``."""
    on = setting_widget(key, "theory", st.sidebar.toggle, tr("theory.toggle"), theory == "ntk", help=tr("theory.toggle_help"))
    return "ntk" if on else "none"


def theory_layout(show: Callable[[str], None], summary: Mapping[str, Any], lr: float, note: str | None = None) -> None:
    """The Theory view of a run that made the prediction: the model in a paragraph, what time scale
    the prediction runs on (``lr``: the configured learning rate; ``note``: a page's own caveat),
    measured | predicted ΔF, the kernel's spectrum | the two losses, and the drift. ``show(name)``
    draws the charts ``theory``, ``ntk_spectrum`` and ``theory_loss``."""
    st.subheader(tr("theory.title"))
    st.markdown(tr("theory.model"))
    if note:
        st.info(note)
    if summary["ntk_time_scale"] == "exact":
        st.caption(tr("theory.exact", lr=summary["ntk_learning_rate"]))
    else:
        optimizer = tr(f"settings.optimizer.{summary['ntk_optimizer']}")
        st.info(tr("theory.matched", optimizer=optimizer, eta=summary["ntk_learning_rate"], lr=lr))
    show("theory")
    left, right = st.columns(2)
    with left:
        show("ntk_spectrum")
        st.caption(tr("theory.spectrum_help"))
    with right:
        show("theory_loss")
    left, middle, right = st.columns(3)
    left.metric(tr("theory.parameter_drift"), f"{summary['parameter_drift']:.1%}", help=tr("theory.parameter_drift_help"))
    kernel = summary["kernel_drift"]
    middle.metric(tr("theory.kernel_drift"), "–" if kernel is None else f"{kernel:.1%}", help=tr("theory.kernel_drift_help"))
    right.caption(tr("theory.kernel_seconds", seconds=summary["ntk_seconds"]))


def gradient_descent_rerun(experiment: Experiment, config: Any | None, x_title: str | None = None) -> None:
    """The Theory view's one-click rerun: ``config`` (the page's network with full-batch gradient
    descent, for which the prediction is exact; None: no button) trained as a second run, shown
    below the page's own run with its measured and predicted ΔF side by side."""
    key = f"{experiment.name}.gd_run"
    job_id = st.session_state.get(key)
    job = job_manager().get(job_id) if job_id else None
    if config is not None and st.button(
        tr("theory.compare_gd"), help=tr("theory.compare_gd_help"), disabled=job is not None and job.status.active, key=f"{key}.start"
    ):
        job = job_manager().submit(experiment.name, config, experiment.run, device_choice(experiment))
        st.session_state[key] = job.id
    if job is not None:
        st.fragment(run_every=VIEW_REFRESH_SECONDS if job.status.active else None)(_gradient_descent_view)(experiment, job.id, x_title)


def _gradient_descent_view(experiment: Experiment, job_id: str, x_title: str | None) -> None:
    job = job_manager().get(job_id)
    if job is None:
        return
    st.markdown(f"**{tr('theory.gd_title')}**")
    snapshot = job.snapshot
    status = tr(f"run.status.{job.status.value}")
    if snapshot is None:
        st.progress(0.0, text=status)
        return
    st.progress(
        min(snapshot.step / max(snapshot.total_steps, 1), 1.0),
        text=f"{status} · {tr('run.progress', step=snapshot.step, total=snapshot.total_steps)}",
    )
    summary = experiment.summarize(job.config, snapshot)
    builders = oned_charts.theory_builders(snapshot, job.config.spectrum, lang(), x_title=x_title)
    if "theory" in builders:  # from its first snapshot on
        live_chart(f"{experiment.name}.gd.theory", (job.id, lang()), snapshot.version, builders["theory"])
    convergence_table(snapshot.traces["delta_f"], summary)
    if job.done and st.session_state.get(f"{experiment.name}.gd_run.shown") != job.id:
        st.session_state[f"{experiment.name}.gd_run.shown"] = job.id  # one full rerun turns the polling off
        st.rerun()
