"""Start / Pause / Resume / Stop / Reset, progress and the live view of a page's run.

The page's job id lives in the session and in the URL (``?run=ID``): a browser refresh, or a
visit to another page and back, reattaches to the same background run. Its controls belong to the
browser that started it (``visitor()``); anyone else who opens it by its id watches, read-only, and
a run on a visitor's own photo is not shown to anyone else at all. Finished runs are reopened
from disk (a photo run, never saved, from the session that keeps it). The live part is an
``st.fragment`` that reruns every ``REFRESH_SECONDS`` while the run trains and draws the key views;
the rest of the views follow in a second one every ``MORE_REFRESH_SECONDS``. Both only read the
latest immutable snapshot.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from fpengine.engine.admission import Refused
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Job, Snapshot, Status
from fpengine.export import SavedRun, load_run, runs_root, zip_run
from fpengine.i18n import explain
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import to_dict

from . import links
from .common import device_choice, format_duration, job_manager, lang, plain, tr, zip_download

REFRESH_SECONDS = 2.0
"""How often a training run's counter and key views (:class:`Part`) are redrawn, in one fragment.
What a live page costs is its browser's, and that is a cost per chart drawn, not per datum:
on a 2-core box every Vega-Lite chart a fragment run sends again costs chromium 70–130 ms of CPU,
changed or not (Streamlit's chart element re-lays out its view), a fragment run itself about 80 ms,
and a picture (``st.image``) about 15 ms (scripts/bench_live_app.py and the notes of issue 23).
Measured (bench_live_app, Fig 1.6 Quick, three runs each, alternating in one window): chromium's CPU
per second watched 0.31, 0.31, 0.35 at 1.5 s; 0.24, 0.30, 0.28 at 2 s (issue 23 asks ≤ 0.3)."""
MORE_REFRESH_SECONDS = 10.0
"""How often the rest of a training run's views (secondary charts, tables, snapshots) are redrawn:
in a second fragment, so the key views' refreshes do not send them again each time. The key views
(ΔF heatmap) carry the spectrum's story meanwhile. Measured (bench_live_app, Fig 1.6 Quick, two runs
each, one window): the browser's CPU per second watched 0.30, 0.31 at 6 s; 0.22, 0.21 at 12 s; 0.16,
0.12 with no views at all while training (the Start click's and the end's page draws remain)."""
PAUSED_REFRESH_SECONDS = 5.0
"""How often a paused run's page looks for a change it did not make itself (a watcher's, whose
owner resumed or stopped it); its owner's clicks redraw the page at once."""
QUEUED_REFRESH_SECONDS = 3.0
"""How often a queued run's page looks for its turn (its place in the queue and the estimated wait
change only as runs ahead of it end): a classroom's queued pages all rerun their fragments in the one
server process, beside the pages that draw training runs. Its first training refresh comes at most
this much later."""
END_WAIT_SECONDS = 0.75
"""A tick of the live fragment that finds its run this close to its last step (by the run's own rate)
waits for the training to end, at most this long, and then draws its last snapshot (or the finished
run, once saved): rather than the key views a moment before the end, taking the browser's share of
the cores from the run's last steps (a Fig 1.6 Quick run stretched past ~4 s got a second key-view
redraw, chromium ~0.4 CPU-s more). Holds this visitor's page (a tick, or a click's page run in that
last moment), not the server: the wait is the session's script thread asleep, looking every
``END_WAIT_POLL_SECONDS``."""
END_WAIT_POLL_SECONDS = 0.05
VISITOR_KEY = "_visitor"


class Part(enum.Flag):
    """What a page's render draws of a run: its key views (the learning: output against target, the
    ΔF heatmap, the network's picture — what a projector shows first), the rest, or both. While a
    run trains, each has its own fragment and pace (``REFRESH_SECONDS``, ``MORE_REFRESH_SECONDS``);
    a paused, finished or reopened run is drawn whole."""

    KEY = enum.auto()
    MORE = enum.auto()
    ALL = KEY | MORE


Render = Callable[[Snapshot, Any, Part], None]


def whole(render: Callable[[Snapshot, Any], None]) -> Render:
    """The :data:`Render` of a page whose views are all key views: drawn together, at the key views' pace."""
    return lambda snapshot, config, part: render(snapshot, config) if Part.KEY in part else None


def _job_key(experiment: Experiment) -> str:
    return f"run.{experiment.name}"


def is_run_id(text: str) -> bool:
    """Whether ``text`` can be a run id (letters and digits, not too long)."""
    return text.isalnum() and len(text) <= MAX_RUN_ID


def linked_id(param: str) -> str | None:
    """The run (or sweep) id a link gives in ``?<param>=``; one that cannot be an id is named in the
    link notice and leaves the address bar."""
    text = st.query_params.get(param)
    if text is None or is_run_id(text):
        return text
    links.ignore(param, text)
    del st.query_params[param]
    return None


def _job_id(experiment: Experiment) -> str | None:
    """The page's run id: from the session, or from ``?run=`` after a refresh."""
    return st.session_state.get(_job_key(experiment)) or linked_id("run")


BROWSER_COOKIE = "_streamlit_xsrf"
"""Streamlit's XSRF cookie: a secret of this browser that no link carries, kept across reloads."""


def xsrf_secret(cookie: str) -> bytes | None:
    """The token inside a Streamlit XSRF cookie (``2|mask|masked token|time``: the mask changes with
    every page load, the token does not); None for anything else."""
    try:
        version, mask, masked, _ = cookie.strip("\"'").split("|")
        mask_bytes, masked_bytes = bytes.fromhex(mask), bytes.fromhex(masked)
    except ValueError:
        return None
    if version != "2" or not mask_bytes or not masked_bytes:
        return None
    return bytes(byte ^ mask_bytes[i % len(mask_bytes)] for i, byte in enumerate(masked_bytes))


def _browser_secret() -> bytes | None:
    """This browser's XSRF secret; None without one (XSRF protection off, or no browser: AppTest)."""
    try:
        cookie = st.context.cookies.get(BROWSER_COOKIE)
    except (AttributeError, RuntimeError, KeyError):
        return None
    return xsrf_secret(cookie) if isinstance(cookie, str) else None


def visitor() -> str:
    """This browser's own opaque token, the owner of the runs and sweeps it starts: derived from the
    browser's XSRF secret, so a reload (a new Streamlit session) keeps control of them while a link
    (the address bar holds only ids) gives none; without that cookie, this Streamlit session's own."""
    token = st.session_state.get(VISITOR_KEY)
    if token is None:
        secret = _browser_secret()
        token = hashlib.sha256(b"fpengine-visitor:" + secret).hexdigest()[:32] if secret else uuid.uuid4().hex
        st.session_state[VISITOR_KEY] = token
    return token


def _visible(job: Job) -> bool:
    return not job.private or job.owned_by(visitor())


def controls_mine(jobs: Sequence[Job]) -> bool:
    """Whether this browser may pause, resume, stop or restart ``jobs`` (all of them its own)."""
    token = visitor()
    return all(job.owned_by(token) for job in jobs)


def _held_key(experiment: Experiment) -> str:
    return f"{_job_key(experiment)}.held"


def current_job(experiment: Experiment) -> Job | None:
    """The page's job while the manager holds it (active or recently finished) and this visitor may
    see it; the session's own run on its photo (never saved to disk) as long as the session keeps it."""
    job_id = _job_id(experiment)
    job = job_manager().get(job_id) if job_id else None
    held = st.session_state.get(_held_key(experiment))
    if job is None and held is not None and held.id == job_id:
        job = held
    if job is not None and job.experiment == experiment.name and _visible(job):
        st.session_state[_job_key(experiment)] = job.id
        st.query_params["run"] = job.id  # back in the URL after a visit to another page
        return job
    return None


MAX_GROUP_RUNS = 9
"""The most runs a comparison holds: Sec 1.6's nine methods side by side (Fig 1.12 compares three
models). A link's ``runs`` beyond that are dropped and named in the page's notice: one link must not
make a page view draw a saved run thousands of times over."""
MAX_RUN_ID = 64
"""The longest run id there is (a sweep cell's: the sweep's id and the cell's) is far shorter."""


@functools.lru_cache(maxsize=MAX_GROUP_RUNS + 3)
def _load_saved(directory: Path, modified_ns: int) -> SavedRun | None:
    """A saved run, read once per change of its summary: a comparison's live view asks for the
    members the manager no longer holds several times a second. Bounded, since each holds a snapshot."""
    try:
        return load_run(directory, EXPERIMENTS)
    except (OSError, ValueError, KeyError):
        return None


def saved_run(experiment: Experiment, job_id: str | None) -> SavedRun | None:
    """The run ``job_id`` of ``experiment`` as saved in the runs folder; None when there is none."""
    if not job_id or not is_run_id(job_id):
        return None
    directory = runs_root() / job_id
    try:
        modified_ns = (directory / "summary.json").stat().st_mtime_ns
    except OSError:
        return None
    saved = _load_saved(directory, modified_ns)
    return saved if saved is not None and saved.experiment == experiment.name else None


REFUSED_KEY = "_run_refused"


def admitted(submit: Callable[[], Any]) -> Any:
    """``submit()`` (a run, a comparison, the GD rerun) through the server's admission gate: what it
    returns, or None when the gate refused it; the refusal is shown, once, on the page's next run."""
    try:
        return submit()
    except Refused as refusal:
        st.session_state[REFUSED_KEY] = refusal
        return None


def show_refusal() -> None:
    """The gate's refusal of this visitor's last Start (server busy, or their own runs at the limit)."""
    refusal = st.session_state.pop(REFUSED_KEY, None)
    if refusal is not None:
        st.error(plain(refusal.message(lang())), icon=":material/hourglass_top:")
    notice = getattr(job_manager().placement, "notice", None)
    if notice is not None:  # a Dask cluster is set but cannot be reached: runs train here meanwhile
        st.warning(plain(notice.message(lang())), icon=":material/cloud_off:")


def _start(experiment: Experiment, config: Any) -> None:
    private = experiment.private(config)
    # a private run (on a visitor's photo) keeps its data while it trains, and the session keeps the run: it is not saved
    holds = experiment.holds(config)
    job = admitted(
        lambda: job_manager().submit(
            experiment.name, config, experiment.run, device_choice(experiment), owner=visitor(), private=private, holds=holds
        )
    )
    if job is None:
        return
    if private:
        st.session_state[_held_key(experiment)] = job
    else:
        st.session_state.pop(_held_key(experiment), None)
    st.session_state[_job_key(experiment)] = job.id
    st.query_params["run"] = job.id


def _forget(experiment: Experiment) -> None:
    st.session_state.pop(_job_key(experiment), None)
    st.session_state.pop(_held_key(experiment), None)
    if "run" in st.query_params:
        del st.query_params["run"]


def forget_photo_runs(experiment: Experiment, image: str) -> None:
    """This visitor's runs on its photo ``image``, stopped and dropped from memory with their
    snapshots (its Forget leaves no copy of the pixels)."""
    manager = job_manager()
    for job in manager.jobs():
        if job.private and job.owned_by(visitor()) and getattr(job.config, "image", None) == image:
            manager.discard(job.id)
    held = st.session_state.get(_held_key(experiment))
    if held is not None and getattr(held.config, "image", None) == image:
        held.stop()
        _forget(experiment)


def _status_text(job: Job) -> str:
    status = job.status
    if status is Status.QUEUED:
        manager = job_manager()
        position, wait = manager.queue_position(job) or 0, manager.estimated_wait(job)
        if wait is None:
            return tr("run.status.queued", position=position, limit=manager.max_running)
        return tr("run.status.queued_wait", position=position, wait=format_duration(wait), limit=manager.max_running)
    if status is Status.STOPPED and job.message == "abandoned":
        return tr("run.status.abandoned")
    if status is Status.DIVERGED:
        return tr("run.status.diverged", step=job.diverged_at or 0)
    if status is Status.FAILED:
        return tr("run.status.failed", detail=plain(explain(job.error, lang()) if job.error else job.message))  # a δ the data refuse
    return tr(f"run.status.{status.value}")


def _progress(snapshot: Snapshot | None, job: Job) -> None:
    where = [tr("run.device", device=str(job.device)), tr("run.id", run=plain(job.id))]
    if snapshot is None:  # queued, or before its first step: the run is still named (a reattached page says which)
        st.progress(0.0, text=_status_text(job))
        st.caption(" · ".join(where))
        return
    fraction = min(snapshot.step / max(snapshot.total_steps, 1), 1.0)
    st.progress(fraction, text=f"{_status_text(job)} · {tr('run.progress', step=snapshot.step, total=snapshot.total_steps)}")
    speed = tr("run.speed", rate=snapshot.steps_per_second, eta=format_duration(snapshot.eta_seconds if job.status.active else 0))
    st.caption(" · ".join([speed, *where]))


def _show_message(job: Job) -> None:
    if job.status is Status.DIVERGED:
        st.error(_status_text(job))
    elif job.status is Status.FAILED:
        st.error(_status_text(job))
    elif job.status is Status.STOPPED and job.message == "abandoned":
        st.warning(_status_text(job))


def training(job: Job) -> bool:
    """A run whose views still change: neither finished nor paused (those replay, drawn whole)."""
    return not (job.done or job.pause_requested)


def _drawn_key(experiment: Experiment) -> str:
    return f"{_job_key(experiment)}.drawn"


def _started_key(experiment: Experiment, part: Part) -> str:
    return f"{_job_key(experiment)}.started.{part.name}"


def _just_started(experiment: Experiment, part: Part, job: Job) -> bool:
    """Whether this is the page run that pressed Start, for the fragment of ``part`` (marked by
    :func:`run_panel` while the run trains; true once). That run draws none of the run's views, the fragments' first ticks
    do: whether the worker has published by then is a race (won in 1 of 6 Fig 1.6 runs on a 2-core box),
    and when it was, the views were drawn with the whole page beside the run's first second, then again
    at the ticks: the key views twice inside a 3.5 s run instead of once, and the rest (~1 CPU-s of the
    browser's, against ~0.3 for the page) on top (issue 23's notes)."""
    return st.session_state.pop(_started_key(experiment, part), None) == job.id


def _wait_for_last_step(job: Job) -> None:
    """Wait (at most ``END_WAIT_SECONDS``) for a training run that will have taken its last step by
    then to take it."""
    eta = job.snapshot.eta_seconds if job.snapshot is not None and training(job) else None
    if eta is None or eta > END_WAIT_SECONDS:
        return
    deadline = time.monotonic() + END_WAIT_SECONDS
    while job.status is Status.RUNNING and training(job) and time.monotonic() < deadline:
        job.wait(END_WAIT_POLL_SECONDS)


def _drawn(job: Job) -> tuple[str, bool, bool, bool]:
    """What the page's layout and pace follow: the run, whether it ended, trains, waits in the queue."""
    return job.id, job.done, training(job), job.status is Status.QUEUED


def _pace(job: Job) -> float | None:
    """Seconds between the live fragment's reruns (None: it no longer polls)."""
    if job.done:
        return None
    if not training(job):
        return PAUSED_REFRESH_SECONDS
    return QUEUED_REFRESH_SECONDS if job.status is Status.QUEUED else REFRESH_SECONDS


def _live(experiment: Experiment, render: Render) -> None:
    """The live part of a run's panel: its counter and, once it has published (a queued run has
    nothing to draw yet), its key views, or all of them once it no longer trains."""
    job = current_job(experiment)
    if job is None:  # finished and dropped from memory meanwhile: the full run shows it from disk
        st.rerun()
    just_started = _just_started(experiment, Part.KEY, job)
    job.touch()
    if not just_started:
        _wait_for_last_step(job)  # a run saved meanwhile is drawn whole by the rerun below
    _progress(job.snapshot, job)
    _show_message(job)
    if st.session_state.get(_drawn_key(experiment)) != _drawn(job):
        # One full rerun when the run leaves the queue, ends, pauses or resumes (here, for a watcher):
        # it sets the fragments' pace, turns the polling off at the end and shows the export button.
        st.session_state[_drawn_key(experiment)] = _drawn(job)
        st.rerun()
    if job.snapshot is not None and not (just_started and training(job)):  # one that ended is drawn whole now
        render(job.snapshot, job.config, Part.KEY if training(job) else Part.ALL)


def _live_more(experiment: Experiment, render: Render) -> None:
    """The rest of a training run's views, at their own pace (``MORE_REFRESH_SECONDS``)."""
    job = current_job(experiment)
    if job is not None and not _just_started(experiment, Part.MORE, job) and job.snapshot is not None and training(job):
        render(job.snapshot, job.config, Part.MORE)


def _export_button(job_id: str) -> None:
    directory = runs_root() / job_id
    if (directory / "summary.json").exists():
        zip_download("run.export", zip_run(directory), f"fpengine-{job_id}.zip", f"export.{job_id}")


def _owned(jobs: Sequence[Job], act: Callable[[Any], None], what: Any) -> None:
    """``act(what)`` if this browser controls ``jobs`` (checked again at the click: a disabled
    button's click can still be sent)."""
    if controls_mine(jobs):
        act(what)


def _pause(jobs: Sequence[Job]) -> None:
    for job in jobs:
        job.pause()


def _resume(jobs: Sequence[Job]) -> None:
    for job in jobs:
        job.resume()


def _started(name: str, jobs: Sequence[Job], configs: Sequence[Any] | None, start: Callable[[], None]) -> bool:
    """Whether the click that started this rerun was Start (or Restart, with the settings changed)
    of the controls ``name``, and ``start`` has acted on it: with this rerun's settings (a value
    typed just before the click comes with it), before the controls are drawn."""
    active = [job for job in jobs if job.status.active]
    if configs is None:
        return False
    if st.session_state.get(f"{name}.start") and not active:
        start()
        return True
    if st.session_state.get(f"{name}.restart") and active and controls_mine(jobs):
        _stop_group(active)
        start()
        return True
    return False


def _reset(jobs: Sequence[Job], active: Sequence[Job], forget: Callable[[], None]) -> None:
    if controls_mine(jobs):  # a watcher leaves the runs training for whoever started them
        for job in active:
            job.stop()
    forget()


def _controls(name: str, jobs: list[Job], configs: Sequence[Any] | None, forget: Callable[[], None], resettable: bool) -> None:
    """Start, Pause or Resume, Stop and Reset of a run, or of a comparison's runs controlled as one
    (``jobs``: those the manager holds; widget keys ``<name>.start`` …). ``configs``: what Start
    would run (None while the page's settings are invalid: Start is disabled; :func:`_started` starts it);
    ``forget`` lets go of the runs on show (Reset, enabled while there are some or ``resettable``).
    Only the browser that started the runs controls them; others who opened them by their ids
    watch. While they train, settings changed since are offered as a restart."""
    active = [job for job in jobs if job.status.active]
    mine = controls_mine(jobs)
    columns = st.columns(5)
    # Pause, Resume, Stop and Reset act in their callbacks and Start and Restart in
    # :func:`_started`, before the controls are drawn: the one rerun a click starts already shows
    # the new state (a rerun requested after acting drew the whole page twice)
    columns[0].button(tr("run.start"), type="primary", disabled=bool(active) or configs is None, key=f"{name}.start")
    # the request, not the worker's acknowledgement, decides the button, so the rerun that follows
    # the click already offers Resume
    pause_or_resume = ("resume", _resume) if any(job.pause_requested for job in active) else ("pause", _pause)
    for column, (label, act) in zip(columns[1:3], (pause_or_resume, ("stop", _stop_group)), strict=True):
        disabled = not active or not mine
        column.button(tr(f"run.{label}"), disabled=disabled, key=f"{name}.{label}", on_click=_owned, args=(jobs, act, active))
    reset_args = (jobs, active, forget)
    columns[3].button(tr("run.reset"), disabled=not (jobs or resettable), key=f"{name}.reset", on_click=_reset, args=reset_args)
    show_refusal()
    if not mine:
        st.info(tr("run.watching", run=plain(", ".join(job.id for job in jobs))), icon=":material/visibility:")
    if mine and active and configs is not None and [to_dict(c) for c in configs] != [to_dict(job.config) for job in jobs]:
        st.info(tr("run.settings_changed"))
        st.button(tr("run.restart"), key=f"{name}.restart")


def run_panel(experiment: Experiment, config: Any | None, render: Render) -> None:
    """The controls and live view for one experiment page. ``config`` is None while the page's
    settings are invalid (the page shows why); Start is then disabled."""
    configs = None if config is None else [config]
    job = current_job(experiment)
    started = _started(experiment.name, [] if job is None else [job], configs, lambda: _start(experiment, config))
    if started:
        job = current_job(experiment)
    jobs = [] if job is None else [job]
    _controls(experiment.name, jobs, configs, lambda: _forget(experiment), bool(_job_id(experiment)))
    if config is None:
        st.warning(tr("run.fix_settings"))

    if job is None:
        job_id = _job_id(experiment)
        saved = saved_run(experiment, job_id)
        if saved is not None:
            st.query_params["run"] = job_id  # back in the URL after a visit to another page
            st.caption(tr("run.loaded", run=plain(job_id)))
            render(saved.snapshot, saved.config, Part.ALL)
            _export_button(job_id)
        elif job_id and (held := job_manager().get(job_id)) is not None and not _visible(held):
            st.warning(tr("run.private", run=plain(job_id)))
        elif job_id:
            st.info(tr("run.not_found", run=plain(job_id, limit=MAX_RUN_ID)))
        else:
            st.caption(tr("run.status.idle"))
        return

    st.session_state[_drawn_key(experiment)] = _drawn(job)
    for part in (Part.KEY, Part.MORE):  # any other page run clears a mark its fragments did not take
        if started and training(job):
            st.session_state[_started_key(experiment, part)] = job.id
        else:
            st.session_state.pop(_started_key(experiment, part), None)
    st.fragment(run_every=_pace(job))(_live)(experiment, render)
    if training(job) and job.status is not Status.QUEUED:
        st.fragment(run_every=MORE_REFRESH_SECONDS)(_live_more)(experiment, render)
    if job.done:
        _export_button(job.id)


GroupRender = Callable[[list[tuple[Any, Snapshot]]], None]


def _keep_alive(experiment: Experiment) -> None:
    """Renew the lease of the page's run and comparison runs as this session holds them (ids only:
    nothing is read from or written to the address bar here)."""
    manager = job_manager()
    for job_id in [st.session_state.get(_job_key(experiment)), *st.session_state.get(_group_key(experiment), ())]:
        job = manager.get(job_id) if job_id else None
        if job is not None and job.experiment == experiment.name:
            job.touch()


def keep_alive(experiment: Experiment) -> None:
    """The page's runs stay watched while their panel is not drawn (in a tab not on show): a fragment
    that draws nothing and only renews their lease, well within it."""
    lease = job_manager().lease_seconds
    if lease is not None:
        st.fragment(run_every=max(1.0, min(60.0, lease / 3)))(_keep_alive)(experiment)


def _group_key(experiment: Experiment) -> str:
    return f"runs.{experiment.name}"


def group_ids_of(text: str) -> tuple[list[str], list[str]]:
    """A link's ``runs`` text → (the run ids a comparison shows: each once, at most
    ``MAX_GROUP_RUNS``; what the link had besides, each once, in the link's order)."""
    kept: list[str] = []
    dropped: list[str] = []
    for item in text.split(","):
        if item in kept or item in dropped or not item:
            if item and item in kept and item not in dropped:
                dropped.append(item)  # a repeat of a shown run: named once
            continue
        usable = is_run_id(item)
        (kept if usable and len(kept) < MAX_GROUP_RUNS else dropped).append(item)
        if len(dropped) > MAX_GROUP_RUNS:  # the notice names a few; the rest of a huge link is not read
            break
    return kept, dropped


def _group_ids(experiment: Experiment) -> list[str]:
    """The ids of the page's run group: from the session, or from ``?runs=ID,ID`` after a refresh
    or in a shared link (de-duplicated and capped; what was dropped is named in the link notice and
    leaves the address bar)."""
    ids = st.session_state.get(_group_key(experiment))
    if ids:
        return list(ids)
    text = st.query_params.get("runs", "")
    ids, dropped = group_ids_of(text)
    if dropped:
        links.ignore("runs", ",".join(dropped))
        if ids:
            st.query_params["runs"] = ",".join(ids)
        else:
            del st.query_params["runs"]
    return ids


def group_replayable(experiment: Experiment) -> bool:
    """A comparison replays once none of its runs advances: each finished, paused, or reopened from disk."""
    jobs = [job_manager().get(job_id) for job_id in _group_ids(experiment)]
    return all(job is None or job.done or job.pause_requested for job in jobs)


def _start_group(experiment: Experiment, configs: Sequence[Any]) -> None:
    started = admitted(
        lambda: job_manager().submit_group(experiment.name, configs, experiment.run, device_choice(experiment), owner=visitor())
    )
    if started is None:
        return
    ids = [job.id for job in started]
    st.session_state[_group_key(experiment)] = ids
    st.query_params["runs"] = ",".join(ids)


def _stop_group(jobs: Sequence[Job]) -> None:
    for job in jobs:
        job.stop()
    for job in jobs:
        job.wait(2.0)


def _live_group(experiment: Experiment, render: GroupRender, describe: Callable[[Any], str]) -> None:
    ids = _group_ids(experiment)
    jobs = [job for job in map(job_manager().get, ids) if job is not None]
    if len(jobs) < len(ids):  # finished and dropped from memory meanwhile: the full run shows it from disk
        st.rerun()
    for job in jobs:
        job.touch()
        st.markdown(f"**{plain(describe(job.config))}**")
        _progress(job.snapshot, job)
        _show_message(job)
    render([(job.config, job.snapshot) for job in jobs if job.snapshot is not None])
    ids = ",".join(job.id for job in jobs)
    if jobs and all(job.done for job in jobs) and st.session_state.get(f"{_group_key(experiment)}.shown_done") != ids:
        st.session_state[f"{_group_key(experiment)}.shown_done"] = ids
        st.rerun()


def run_group_panel(experiment: Experiment, configs: Sequence[Any] | None, render: GroupRender, describe: Callable[[Any], str]) -> None:
    """Several runs of one experiment started together (a comparison): one job per config through
    the same JobManager, controlled as one, reattached after a refresh through ``?runs=``.
    ``render`` gets (config, snapshot) of every run that has published; ``describe`` labels a run.
    ``configs`` is None while the page's settings are invalid."""
    name = f"{experiment.name}.group"

    def held() -> tuple[list[str], list[Job]]:
        ids = _group_ids(experiment)
        return ids, [job for job in map(job_manager().get, ids) if job is not None and job.experiment == experiment.name]

    ids, jobs = held()
    if _started(name, jobs, configs, lambda: _start_group(experiment, configs or ())):
        ids, jobs = held()
    active = [job for job in jobs if job.status.active]

    def forget() -> None:
        st.session_state.pop(_group_key(experiment), None)
        if "runs" in st.query_params:
            del st.query_params["runs"]

    _controls(name, jobs, configs, forget, bool(ids))

    if not jobs or (not active and len(jobs) < len(ids)):  # finished, some dropped from memory: all from disk
        saved = [run for run in (saved_run(experiment, job_id) for job_id in ids) if run is not None]
        if saved:
            st.caption(tr("run.loaded", run=plain(", ".join(ids))))
            render([(run.config, run.snapshot) for run in saved])
        elif ids:
            st.info(tr("run.not_found", run=plain(", ".join(ids))))
        else:
            st.caption(tr("run.status.idle"))
        return

    st.session_state[_group_key(experiment)] = [job.id for job in jobs]
    st.fragment(run_every=None if all(job.done for job in jobs) else REFRESH_SECONDS)(_live_group)(experiment, render, describe)
    if not active:
        for column, job in zip(st.columns(len(jobs)), jobs, strict=True):
            with column:
                st.caption(describe(job.config))
                _export_button(job.id)
