"""Start / Pause / Resume / Stop / Reset, progress and the live view of a page's run.

The page's job id lives in the session and in the URL (``?run=ID``): a browser refresh, or a
visit to another page and back, reattaches to the same background run. Finished runs are reopened
from disk. The live part is an ``st.fragment`` that reruns every ``REFRESH_SECONDS`` while the run
is active; it only reads the latest immutable snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from fpengine.config import to_dict
from fpengine.experiment import Experiment
from fpengine.experiments import EXPERIMENTS
from fpengine.export import load_run, runs_root, zip_run
from fpengine.runner import Job, Snapshot, Status

from .common import device_choice, job_manager, tr

REFRESH_SECONDS = 0.4

Render = Callable[[Snapshot, Any], None]


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def _job_key(experiment: Experiment) -> str:
    return f"run.{experiment.name}"


def current_job(experiment: Experiment) -> Job | None:
    """The page's live job: from the session, or from ``?run=`` after a refresh."""
    manager = job_manager()
    job_id = st.session_state.get(_job_key(experiment)) or st.query_params.get("run")
    job = manager.get(job_id) if job_id else None
    if job is not None and job.experiment == experiment.name:
        st.session_state[_job_key(experiment)] = job.id
        return job
    return None


def _saved_run(experiment: Experiment):
    job_id = st.query_params.get("run")
    if not job_id or not job_id.isalnum():
        return None
    directory = runs_root() / job_id
    if not (directory / "summary.json").exists():
        return None
    try:
        saved = load_run(directory, EXPERIMENTS)
    except (OSError, ValueError, KeyError):
        return None
    return saved if saved.experiment == experiment.name else None


def _start(experiment: Experiment, config: Any) -> None:
    job = job_manager().submit(experiment.name, config, experiment.train, device_choice())
    st.session_state[_job_key(experiment)] = job.id
    st.query_params["run"] = job.id


def _forget(experiment: Experiment) -> None:
    st.session_state.pop(_job_key(experiment), None)
    if "run" in st.query_params:
        del st.query_params["run"]


def _status_text(job: Job) -> str:
    status = job.status
    if status is Status.QUEUED:
        manager = job_manager()
        return tr("run.status.queued", position=manager.queue_position(job) or 0, limit=manager.max_running)
    if status is Status.STOPPED and job.message == "abandoned":
        return tr("run.status.abandoned")
    if status in (Status.DIVERGED, Status.FAILED):
        return tr(f"run.status.{status.value}", detail=job.message)
    return tr(f"run.status.{status.value}")


def _progress(snapshot: Snapshot | None, job: Job) -> None:
    if snapshot is None:
        st.progress(0.0, text=_status_text(job))
        return
    fraction = min(snapshot.step / max(snapshot.total_steps, 1), 1.0)
    st.progress(fraction, text=f"{_status_text(job)} · {tr('run.progress', step=snapshot.step, total=snapshot.total_steps)}")
    st.caption(" · ".join([
        tr("run.speed", rate=snapshot.steps_per_second, eta=_format_eta(snapshot.eta_seconds if job.status.active else 0)),
        tr("run.device", device=str(job.device)),
        tr("run.id", run=job.id),
    ]))


def _show_message(job: Job) -> None:
    if job.status is Status.DIVERGED:
        st.error(_status_text(job))
    elif job.status is Status.FAILED:
        st.error(_status_text(job))
    elif job.status is Status.STOPPED and job.message == "abandoned":
        st.warning(_status_text(job))


def _live(experiment: Experiment, render: Render) -> None:
    job = current_job(experiment)
    if job is None:
        return
    job.touch()
    snapshot = job.snapshot
    _progress(snapshot, job)
    _show_message(job)
    if snapshot is not None:
        render(snapshot, job.config)
    if job.done and st.session_state.get(f"{_job_key(experiment)}.shown_done") != job.id:
        # One full rerun when the run ends: it turns the polling off and shows the export button.
        st.session_state[f"{_job_key(experiment)}.shown_done"] = job.id
        st.rerun()


def _export_button(job_id: str) -> None:
    directory = runs_root() / job_id
    if (directory / "summary.json").exists():
        st.download_button(tr("run.export"), zip_run(directory), file_name=f"fpengine-{job_id}.zip",
                           mime="application/zip", help=tr("run.export_help"), key=f"export.{job_id}")


def run_panel(experiment: Experiment, config: Any | None, render: Render) -> None:
    """The controls and live view for one experiment page. ``config`` is None while the page's
    settings are invalid (the page shows why); Start is then disabled."""
    job = current_job(experiment)
    active = job is not None and job.status.active
    columns = st.columns(5)
    if columns[0].button(tr("run.start"), type="primary", disabled=active or config is None, key=f"{experiment.name}.start"):
        _start(experiment, config)
        st.rerun()
    if job is not None and job.status is Status.PAUSED:
        if columns[1].button(tr("run.resume"), key=f"{experiment.name}.resume"):
            job.resume()
            st.rerun()
    elif columns[1].button(tr("run.pause"), disabled=not active, key=f"{experiment.name}.pause"):
        job.pause()
        st.rerun()
    if columns[2].button(tr("run.stop"), disabled=not active, key=f"{experiment.name}.stop"):
        job.stop()
        job.wait(2.0)
        st.rerun()
    if columns[3].button(tr("run.reset"), disabled=job is None and "run" not in st.query_params, key=f"{experiment.name}.reset"):
        if job is not None:
            job.stop()
        _forget(experiment)
        st.rerun()

    if job is not None and config is not None and to_dict(config) != to_dict(job.config) and active:
        st.info(tr("run.settings_changed"))
        if st.button(tr("run.restart"), key=f"{experiment.name}.restart"):
            job.stop()
            job.wait(2.0)
            _start(experiment, config)
            st.rerun()

    if job is None:
        saved = _saved_run(experiment)
        if saved is not None:
            st.caption(tr("run.loaded", run=st.query_params["run"]))
            render(saved.snapshot, saved.config)
            _export_button(st.query_params["run"])
        elif st.query_params.get("run"):
            st.info(tr("run.not_found", run=st.query_params["run"]))
        else:
            st.caption(tr("run.status.idle"))
        return

    live = st.fragment(run_every=REFRESH_SECONDS if not job.done else None)(_live)
    live(experiment, render)
    if job.done:
        _export_button(job.id)
