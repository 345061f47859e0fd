"""The standard spectral views of a run: output, spectrum, ΔF heatmap, loss, convergence table; and
the Theory view (the linearised prediction beside the measurement) with its gradient-descent rerun."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from fpengine import charts, replay
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.readout.charts import theory_builders

from .common import classroom_mode, device_choice, job_manager, lang, live_chart, result_table, tr, translated
from .fields import linked, setting_widget
from .run_panel import REFRESH_SECONDS, Part, admitted, current_job, group_replayable, saved_run, show_refusal, training, visitor

REPLAY_TICK_SECONDS = 0.5
ReplayFrame = Callable[[Snapshot, float], tuple[int, Snapshot]]
"""(snapshot, step) → the kept frame nearest the step: its step, and the snapshot showing it."""
Draw = Callable[[Snapshot, int | None], None]
"""Draws a run's views from a snapshot, a cursor on the heatmap at the given step (None: no cursor)."""


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
    result_table(frame)
    rho = summary["spearman"]
    st.metric(tr("view.spearman"), "–" if rho is None else f"{rho:+.2f}", help=tr("view.spearman_help"))


def _steps_needed(steps: int | None) -> str:
    if steps is None:
        return tr("theory.needed_never")
    return f"{steps:,}" if steps < 1_000_000 else f"{steps:.2e}"


def replayable(experiment: Experiment) -> bool:
    """A run that no longer advances replays: finished, paused, or reopened from disk."""
    job = current_job(experiment)
    return job is None or not training(job)


def replay_keys(key: str) -> tuple[str, str, str, str]:
    """Session keys of a page's replay: the step shown, play, speed, and "the end was reached"."""
    return f"{key}.replay.step", f"{key}.replay.play", f"{key}.replay.speed", f"{key}.replay.ended"


def advance_replay(state: MutableMapping[str, Any], key: str, steps: Sequence[int]) -> None:
    """One tick of a playing replay (``state`` is the session's): the step shown moves on by the
    chosen speed; after the last frame the replay stops (at the next full rerun, which turns the
    ticking off)."""
    step_key, play_key, speed_key, ended_key = replay_keys(key)
    if not state.get(play_key):
        return
    following = replay.advance(np.asarray(steps), int(state.get(step_key, steps[-1])), int(state.get(speed_key, 1)))
    if following is None:
        state[ended_key] = True
    else:
        state[step_key] = following


def _play_or_pause(key: str, steps: Sequence[int]) -> None:
    """Play, or pause a playing replay; Play pressed on the last frame starts from the first.
    A button, not a toggle: a fragment tick sent before the end reached the browser carries the
    toggle's old "on", which read as a new press and restarted a replay that had just ended."""
    step_key, play_key, _, _ = replay_keys(key)
    playing = not st.session_state.get(play_key, False)
    st.session_state[play_key] = playing
    if playing and st.session_state.get(step_key) == steps[-1]:
        st.session_state[step_key] = steps[0]


def _replay_controls(key: str, shown_runs: object, steps: Sequence[int], draw_step: Callable[[int], None]) -> None:
    """A step slider over ``steps`` and a play control (session keys under ``key``), and
    ``draw_step(step chosen)`` in a fragment that ticks while playing. ``shown_runs`` identifies
    what is replayed: when it changes, or a paused run has more steps, the replay starts at the
    latest step."""
    step_key, play_key, speed_key, ended_key = replay_keys(key)
    run_key = f"{key}.replay.run"
    if st.session_state.get(run_key) != (shown_runs, steps[-1]) or st.session_state.get(step_key) not in steps:
        st.session_state[run_key] = (shown_runs, steps[-1])
        st.session_state[step_key] = steps[-1]
        st.session_state[play_key] = False
    if st.session_state.pop(ended_key, False):
        st.session_state[play_key] = False
    # on a projector the replayed views keep the place of the live ones: the controls go below them
    below = classroom_mode()
    frames_area = st.container() if below else None
    st.markdown(f"**{tr('replay.title')}**")
    left, right = st.columns([1, 3])
    playing = bool(st.session_state.get(play_key))
    left.button(
        tr("replay.pause" if playing else "replay.play"),
        key=f"{key}.replay.play_button",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_play_or_pause,
        args=(key, steps),
    )
    right.select_slider(tr("replay.speed"), options=replay.SPEEDS, key=speed_key, format_func=lambda n: f"{n}×")

    def frames() -> None:
        advance_replay(st.session_state, key, steps)
        if st.session_state.get(ended_key):
            st.rerun()  # a full rerun stops the ticking
        views = st.container() if below else None
        chosen = st.select_slider(
            tr("replay.step"), options=steps, key=step_key, format_func=lambda s: f"{s:,}", help=tr("replay.step_help")
        )
        with views if views is not None else nullcontext():
            draw_step(chosen)

    with frames_area if frames_area is not None else nullcontext():
        st.fragment(run_every=REPLAY_TICK_SECONDS if playing else None)(frames)()


def replay_view(experiment: Experiment, snapshot: Snapshot, config: Any, frame: ReplayFrame, draw: Draw, part: Part = Part.ALL) -> None:
    """``draw`` the latest snapshot of a running run; for one that no longer advances, a step
    slider over its kept frames (``history_steps``) and a play control, and ``draw`` of the frame
    chosen (``frame``) with a cursor at its step. A part of the views (``part``: a training run's,
    drawn by its fragments) never replays."""
    if part != Part.ALL or not replayable(experiment):
        draw(snapshot, None)
        return

    def draw_step(chosen: int) -> None:
        shown_step, shown = frame(snapshot, chosen)
        st.caption(tr("replay.showing", step=shown_step, total=snapshot.step))
        draw(shown, shown_step)

    steps = [int(s) for s in replay.replay_steps(snapshot)]
    _replay_controls(experiment.name, id(config), steps, draw_step)


GroupDraw = Callable[[list[tuple[Any, Snapshot, int | None]]], None]
"""Draws a comparison from (config, snapshot, step of the cursor or None) of each run."""


def group_replay_view(experiment: Experiment, runs: Sequence[tuple[Any, Snapshot]], frame: ReplayFrame, draw: GroupDraw) -> None:
    """:func:`replay_view` for the runs of a comparison, once none of them advances: one slider
    over the steps any run kept, each run showing its frame nearest the step chosen (its last, past
    its end: methods stop after different numbers of iterations)."""
    if not group_replayable(experiment):
        draw([(config, snapshot, None) for config, snapshot in runs])
        return

    def draw_step(chosen: int) -> None:
        st.caption(tr("replay.showing", step=chosen, total=steps[-1]))
        shown = []
        for config, snapshot in runs:
            step, frame_snapshot = frame(snapshot, min(chosen, snapshot.step))
            shown.append((config, frame_snapshot, step))
        draw(shown)

    steps = sorted({int(s) for _, snapshot in runs for s in replay.replay_steps(snapshot)})
    _replay_controls(f"{experiment.name}.group", tuple(id(config) for config, _ in runs), steps, draw_step)


def spectral_layout(show: Callable[[str], None], trace: ErrorTrace, summary: Mapping[str, Any], part: Part = Part.ALL) -> None:
    """The layout every page with a 1-D target shares: the learning first, output | ΔF heatmap (the
    key views, ``part`` KEY), then spectrum | loss and the convergence table (of the run's
    ``summary``; ``part`` MORE). ``show(name)`` draws the chart named output, spectrum, heatmap or loss."""

    def heatmap() -> None:
        show("heatmap")
        st.caption(tr("view.heatmap_help"))

    if Part.KEY in part:
        side_by_side(lambda: show("output"), heatmap)
    if Part.MORE in part:
        side_by_side(lambda: show("spectrum"), lambda: show("loss"))
        convergence_table(trace, summary)


def side_by_side(left: Callable[[], None], right: Callable[[], None]) -> None:
    """Two parts of a view in two columns."""
    columns = st.columns(2)
    with columns[0]:
        left()
    with columns[1]:
        right()


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
        job = admitted(lambda: job_manager().submit(experiment.name, config, experiment.run, device_choice(experiment), owner=visitor()))
        if job is None:
            show_refusal()  # the page's own panel is drawn already: the refusal shows here
        else:
            st.session_state[key] = job.id
    if job is not None:
        st.fragment(run_every=REFRESH_SECONDS if job.status.active else None)(_gradient_descent_view)(experiment, job.id, x_title)
    elif (saved := saved_run(experiment, job_id)) is not None:  # finished, and dropped from memory since
        st.markdown(f"**{tr('theory.gd_title')}**")
        _gradient_descent_result(experiment, job_id, saved.config, saved.snapshot, x_title)


def _gradient_descent_view(experiment: Experiment, job_id: str, x_title: str | None) -> None:
    job = job_manager().get(job_id)
    if job is None:
        return
    job.touch()  # watched: its lease goes on, as the page's own run's does
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
    _gradient_descent_result(experiment, job.id, job.config, snapshot, x_title)
    if job.done and st.session_state.get(f"{experiment.name}.gd_run.shown") != job.id:
        st.session_state[f"{experiment.name}.gd_run.shown"] = job.id  # one full rerun turns the polling off
        st.rerun()


def _gradient_descent_result(experiment: Experiment, run_id: str, config: Any, snapshot: Snapshot, x_title: str | None) -> None:
    """The rerun's measured and predicted ΔF and its convergence table."""
    summary = experiment.summarize(config, snapshot)
    builders = theory_builders(snapshot, config.spectrum, lang(), x_title=x_title)
    if "theory" in builders:  # from its first snapshot on
        live_chart(f"{experiment.name}.gd.theory", (run_id, lang()), snapshot.version, builders["theory"])
    convergence_table(snapshot.traces["delta_f"], summary)
