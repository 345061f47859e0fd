"""The one background run engine every experiment trains in.

An experiment's ``train(config, ctx)`` never touches the UI. It publishes immutable :class:`Snapshot`
objects under a lock; readers (pages, the CLI) only ever see whole snapshots. Pause/resume/stop are
checked by ``ctx.checkpoint()`` at every step.

Where ``train`` runs is the job's *placement* (:mod:`fpengine.engine.workers`): a thread of this
process (:class:`ThreadPlacement`, the CLI's and the default), or a worker process or Dask worker, whose
context sends its snapshots here and obeys the control asked for here. Either way the :class:`Job` is
the same object for its readers, and every run ends through :func:`train_to_outcome`.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from fpengine.engine.device import configure_backends, release_memory
from fpengine.i18n import LocalizedError

log = logging.getLogger(__name__)

SERVER_MAX_RUN_SECONDS = 1800
"""The default of ``FPENGINE_MAX_RUN_SECONDS``: how long one run may hold a slot of the app's server
(half an hour: every figure's quick and full presets take minutes). The CLI has no limit."""


class Status(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (Status.QUEUED, Status.RUNNING, Status.PAUSED)


class RunStopped(Exception):
    """Raised inside the worker by ``ctx.checkpoint()`` once stop was asked for."""


class RunTimeLimit(LocalizedError):
    """The run trained for longer than the server allows one run (``FPENGINE_MAX_RUN_SECONDS``): it
    ends as failed with this message, keeping what it had published, and frees its slot."""

    def __init__(self, seconds: float):
        super().__init__("run.error.time_limit", minutes=round(seconds / 60, 1), seconds=round(seconds))


class RunDiverged(Exception):
    """Training produced NaN/inf; ``step`` is the first bad step."""

    def __init__(self, step: int):
        super().__init__(f"diverged at step {step}")
        self.step = step


def _frozen(array: Any) -> np.ndarray:
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


@dataclass(frozen=True)
class ErrorTrace:
    """Relative error per component (frequency, band, δ…) over training: ``errors[T, K]``.

    ``keys`` name the columns in metrics.csv; ``values`` are the numeric frequencies (low → high)
    used for ordering and rank correlation.
    """

    steps: np.ndarray
    errors: np.ndarray
    keys: tuple[str, ...]
    values: tuple[float, ...]

    def frozen(self) -> ErrorTrace:
        return ErrorTrace(_frozen(self.steps), _frozen(self.errors), tuple(self.keys), tuple(float(v) for v in self.values))


@dataclass(frozen=True)
class Snapshot:
    step: int
    total_steps: int
    elapsed: float
    steps_per_second: float
    metrics: Mapping[str, np.ndarray]
    traces: Mapping[str, ErrorTrace]
    views: Mapping[str, Any]
    version: int = 0

    @property
    def eta_seconds(self) -> float | None:
        if self.steps_per_second <= 0:
            return None
        return max(self.total_steps - self.step, 0) / self.steps_per_second

    @property
    def final_loss(self) -> float | None:
        loss = self.metrics.get("loss")
        return None if loss is None or len(loss) == 0 else float(loss[-1])

    def __reduce__(self):
        # a worker's snapshot crosses to the server pickled; read-only mappings and arrays stay so
        return _rebuild_snapshot, (
            self.step,
            self.total_steps,
            self.elapsed,
            self.steps_per_second,
            dict(self.metrics),
            dict(self.traces),
            dict(self.views),
            self.version,
        )


def _rebuild_snapshot(step, total_steps, elapsed, steps_per_second, metrics, traces, views, version) -> Snapshot:
    return Snapshot(
        step=step,
        total_steps=total_steps,
        elapsed=elapsed,
        steps_per_second=steps_per_second,
        metrics=MappingProxyType({k: _frozen(v) for k, v in metrics.items()}),
        traces=MappingProxyType({k: v.frozen() for k, v in traces.items()}),
        views=MappingProxyType({k: _frozen(v) if isinstance(v, np.ndarray) else v for k, v in views.items()}),
        version=version,
    )


class RunContext:
    """What an experiment's ``train`` sees of the engine. ``job`` is the run's :class:`Job` in this
    process, or a worker's stand-in for it (``fpengine.engine.workers``) with the same control and
    publishing methods (``_stop_asked``, ``_resume_asked``, ``_wait_resume``, ``_set_status``,
    ``_next_version``, ``_set_snapshot``, ``max_seconds``)."""

    def __init__(self, job: Job, device: torch.device, publish_interval: float):
        self.job = job
        self.device = device
        self.publish_interval = publish_interval
        self._next_publish = 0.0
        self._active_seconds = 0.0
        self._resumed_at = self._started = time.monotonic()
        self._rate_mark: tuple[float, int] | None = None
        self._rate = 0.0
        self.total_steps = 0

    def checkpoint(self) -> None:
        """Return at once while running; block while paused; raise RunStopped once stopped, and
        RunTimeLimit once the run has held its slot (training or paused) past ``max_seconds``."""
        job = self.job
        if job._stop_asked():
            raise RunStopped
        self._check_time()
        if job._resume_asked():
            return
        self._active_seconds += time.monotonic() - self._resumed_at
        job._set_status(Status.PAUSED)
        while not job._wait_resume(0.05):
            if job._stop_asked():
                raise RunStopped
            self._check_time()
        if job._stop_asked():
            raise RunStopped
        self._resumed_at = time.monotonic()
        self._rate_mark = None
        job._set_status(Status.RUNNING)

    def elapsed(self) -> float:
        return self._active_seconds + time.monotonic() - self._resumed_at

    def _check_time(self) -> None:
        limit = self.job.max_seconds
        if limit and time.monotonic() - self._started > limit:
            raise RunTimeLimit(limit)

    def publish_due(self) -> bool:
        return time.monotonic() >= self._next_publish

    def publish(
        self,
        step: int,
        metrics: Mapping[str, Any],
        traces: Mapping[str, ErrorTrace] | None = None,
        views: Mapping[str, Any] | None = None,
    ) -> None:
        """Copy the data into an immutable snapshot. A non-finite ``loss`` raises RunDiverged
        instead, so the last good snapshot stays on show."""
        loss = metrics.get("loss")
        if loss is not None:
            finite = np.isfinite(np.asarray(loss, dtype=float))
            if not finite.all():
                bad = int(np.argmin(finite))
                raise RunDiverged(int(np.asarray(metrics["step"])[bad]))
        now = time.monotonic()
        if self._rate_mark is not None and now > self._rate_mark[0]:
            recent = (step - self._rate_mark[1]) / (now - self._rate_mark[0])
            self._rate = recent if self._rate == 0 else 0.5 * self._rate + 0.5 * recent
        elif self._rate == 0 and self.elapsed() > 0:
            self._rate = step / self.elapsed()
        self._rate_mark = (now, step)
        snapshot = Snapshot(
            step=int(step),
            total_steps=int(self.total_steps),
            elapsed=self.elapsed(),
            steps_per_second=float(self._rate),
            metrics=MappingProxyType({k: _frozen(v) for k, v in metrics.items()}),
            traces=MappingProxyType({k: v.frozen() for k, v in (traces or {}).items()}),
            views=MappingProxyType({str(k): _frozen(v) if isinstance(v, (np.ndarray, list)) else v for k, v in (views or {}).items()}),
            version=self.job._next_version(),
        )
        self.job._set_snapshot(snapshot)
        self._next_publish = time.monotonic() + self.publish_interval


Train = Callable[[Any, RunContext], None]


@dataclass(frozen=True)
class Outcome:
    """How a run's ``train`` ended, wherever it ran: its final status and, for a run that did not
    finish, why (``message`` in English, ``error`` the translatable error a visitor's input caused,
    ``diverged_at`` the first non-finite step)."""

    status: Status
    message: str = ""
    error: LocalizedError | None = None
    diverged_at: int | None = None


def train_to_outcome(train: Train, config: Any, ctx: RunContext, run_id: str) -> Outcome:
    """Run ``train(config, ctx)`` to its end and say how it ended: the one place that turns what a
    run raises into its final status, in a thread of the server as in a worker."""
    try:
        train(config, ctx)
        return Outcome(Status.DONE)
    except RunStopped:
        return Outcome(Status.STOPPED)
    except RunDiverged as error:
        return Outcome(Status.DIVERGED, f"step {error.step}", diverged_at=error.step)
    except LocalizedError as error:  # the user's input, not a bug (a δ too small
        # for these data, a picture that cannot be used): one line, never a logged traceback
        return Outcome(Status.FAILED, str(error), error.with_traceback(None))  # its frames would keep the run's tensors alive
    except Exception as error:  # a bug or bad data must end the run visibly, not kill the thread silently
        log.error("run %s failed:\n%s", run_id, traceback.format_exc())
        return Outcome(Status.FAILED, f"{type(error).__name__}: {error}")


class ThreadPlacement:
    """Train in a thread of this process (the CLI's ``run``, sweep cells inside their worker, and a
    server configured with ``FPENGINE_WORKERS=0``)."""

    name = "thread"

    def placement_for(self, job: Job) -> ThreadPlacement:
        return self

    def execute(self, job: Job) -> Outcome:
        ctx = RunContext(job, job.device, job.publish_interval)
        try:
            return train_to_outcome(job.train, job.config, ctx, job.id)
        finally:
            release_memory(job.device)

    def close(self) -> None:
        pass


THREAD = ThreadPlacement()


@dataclass
class Job:
    """One run of one experiment. Thread-safe; the worker is started by the JobManager."""

    experiment: str
    config: Any
    train: Train
    device: torch.device
    publish_interval: float = 0.2
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created: float = field(default_factory=time.time)
    owner: str | None = None
    """Who may control the run (pause, resume, stop): an opaque token of the browser that started it;
    None: anyone who has its id. Others who have its id may watch it, unless it is ``private``."""
    private: bool = False
    """Only the owner may even watch it (a run on a visitor's own photo)."""
    holds: Any = None
    """What the run keeps alive while it is held (a visitor's photo, which the upload store only
    references weakly)."""
    max_seconds: float | None = None
    """The longest the run may hold its slot, paused time included (None or 0: no limit)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._done = threading.Event()
        self._status = Status.QUEUED
        self._snapshot: Snapshot | None = None
        self._version = 0
        self.message = ""
        self.error: Exception | None = None
        """For a run the visitor's input ended: the error, whose ``message(lang)`` is translated."""
        self.diverged_at: int | None = None
        """The first step whose loss was NaN/inf, for a diverged run."""
        self.last_touch = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self._thread: threading.Thread | None = None
        self._on_finish: Callable[[Job], None] | None = None
        self.placement: Any = THREAD
        """Where ``train`` runs (set by the manager before the start): ``ThreadPlacement`` or a pool
        of workers (``fpengine.engine.workers``)."""
        self._on_control: Callable[[], None] | None = None
        """Set by a worker placement while the run trains there: passes pause/resume/stop on."""

    # --- read side -----------------------------------------------------------------------------
    @property
    def status(self) -> Status:
        with self._lock:
            return self._status

    @property
    def snapshot(self) -> Snapshot | None:
        with self._lock:
            return self._snapshot

    def owned_by(self, token: str | None) -> bool:
        """Whether ``token`` (a browser's) may control the run."""
        return self.owner is None or self.owner == token

    def touch(self) -> None:
        """A viewer is still watching (keeps the job from being reaped as abandoned)."""
        self.last_touch = time.monotonic()

    @property
    def done(self) -> bool:
        """The worker has ended and the finished run has been saved."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    # --- control -------------------------------------------------------------------------------
    @property
    def pause_requested(self) -> bool:
        """Pause was asked for (the worker acknowledges it at its next checkpoint)."""
        return not self._resume.is_set()

    def pause(self) -> None:
        self._resume.clear()
        self._signal()

    def resume(self) -> None:
        self._resume.set()
        self._signal()

    def stop(self, message: str = "") -> None:
        if message:
            self.message = message
        self._stop.set()
        self._resume.set()
        self._signal()
        with self._lock:
            if self._status is Status.QUEUED:
                self._status = Status.STOPPED
                self._done.set()

    @property
    def control(self) -> str:
        """What the run is asked to do now: ``stop``, ``pause`` or ``run`` (sent to a worker)."""
        return "stop" if self._stop.is_set() else "run" if self._resume.is_set() else "pause"

    def _signal(self) -> None:
        hook = self._on_control
        if hook is not None:
            hook()

    # --- worker side ---------------------------------------------------------------------------
    def _stop_asked(self) -> bool:
        return self._stop.is_set()

    def _resume_asked(self) -> bool:
        return self._resume.is_set()

    def _wait_resume(self, timeout: float) -> bool:
        return self._resume.wait(timeout)

    def _set_status(self, status: Status) -> None:
        with self._lock:
            self._status = status

    def _set_snapshot(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshot = snapshot

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _start(self, on_finish: Callable[[Job], None]) -> None:
        self._on_finish = on_finish
        self._thread = threading.Thread(target=self._run, name=f"fpengine-{self.experiment}-{self.id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.started = time.time()
        self._set_status(Status.RUNNING)
        try:
            outcome = self.placement.execute(self)
        except Exception as error:  # a placement's own failure (a worker that could not start) ends the run, not the server
            log.error("run %s could not train:\n%s", self.id, traceback.format_exc())
            outcome = Outcome(Status.FAILED, f"{type(error).__name__}: {error}")
        self._on_control = None
        final = outcome.status
        if outcome.message:
            self.message = outcome.message
        self.error = outcome.error
        self.diverged_at = outcome.diverged_at
        self.holds = None  # a finished run needs its picture no more
        self.finished = time.time()
        self._set_status(final)
        if self._on_finish is not None:
            try:
                self._on_finish(self)
            except Exception:
                log.error("saving run %s failed:\n%s", self.id, traceback.format_exc())
        self._done.set()


class JobManager:
    """Starts jobs, caps how many run at once (the rest wait as QUEUED), and stops jobs nobody
    has touched for ``lease_seconds`` (an abandoned browser tab must not train forever).

    Only active jobs and the ``keep_finished`` most recently finished ones stay in memory (a
    classroom server runs hundreds); an older one is dropped once its ``on_finish`` (the save to
    disk) is done, so a page reopens it from disk. A finished job whose ``group`` (a comparison
    started together) has a member still training or being saved stays: its page shows the group
    as one, from memory or else from disk."""

    def __init__(
        self,
        max_running: int = 1,
        lease_seconds: float | None = 900.0,
        on_finish: Callable[[Job], None] | None = None,
        publish_interval: float = 0.2,
        keep_finished: int | None = None,
        device_limits: Mapping[str, int] | None = None,
        max_run_seconds: float | None = None,
        placement: Any = None,
        admission: Any = None,
    ):
        configure_backends()
        self.admission = admission
        """The server's admission gate (``fpengine.engine.admission.Admission``); None: every run is
        admitted (the CLI's own manager)."""
        self.placement = placement or THREAD
        """Where runs train: ``THREAD`` (this process; the CLI) or a pool of workers
        (``fpengine.engine.workers``), which may still place a given run in a thread."""
        self.max_run_seconds = max_run_seconds or None
        """The longest one run may train (a server's ``FPENGINE_MAX_RUN_SECONDS``); None: no limit."""
        self.max_running = max_running
        self.device_limits = dict(device_limits or {})
        """Device type → the most runs training on it at once, within ``max_running``: a job waiting
        for its device lets a later job for another device start."""
        self.lease_seconds = lease_seconds
        self.keep_finished = keep_finished
        """None: keep every finished job (the CLI's one-run manager)."""
        self.publish_interval = publish_interval
        self._on_finish_hook = on_finish
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._groups: dict[str, str | None] = {}
        self._queue: list[Job] = []
        self._lent = 0
        self._reaper: threading.Thread | None = None
        self._closed = threading.Event()

    def submit(
        self,
        experiment: str,
        config: Any,
        train: Train,
        device: torch.device,
        group: str | None = None,
        owner: str | None = None,
        private: bool = False,
        holds: Any = None,
    ) -> Job:
        """Queue a run (it starts at once where a slot is free); ``Refused`` when the admission gate
        does not admit it (the server's queue is full, or ``owner`` has as many units as allowed)."""
        with self._lock:
            if group is None:
                self._admit(owner, 1)
            return self._submit(experiment, config, train, device, group, owner, private, holds)

    def _admit(self, owner: str | None, count: int) -> None:
        if self.admission is not None:
            waiting = any(j.status is Status.QUEUED for j in self._queue)
            free = 0 if waiting else max(self.max_running - self.running_count() - self._lent, 0)
            self.admission.check(self._jobs.values(), self._groups, owner, waits=max(count - free, 0))

    def _submit(
        self,
        experiment: str,
        config: Any,
        train: Train,
        device: torch.device,
        group: str | None,
        owner: str | None,
        private: bool,
        holds: Any,
    ) -> Job:
        job = Job(
            experiment,
            config,
            train,
            device,
            publish_interval=self.publish_interval,
            owner=owner,
            private=private,
            holds=holds,
            max_seconds=self.max_run_seconds,
        )
        with self._lock:
            self._groups[job.id] = group
            self._evict()  # jobs stopped while queued never reach _finished
            self._jobs[job.id] = job
            self._queue.append(job)
            self._schedule()
            if self.lease_seconds is not None and self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="fpengine-reaper", daemon=True)
                self._reaper.start()
        return job

    def submit_group(
        self, experiment: str, configs: Iterable[Any], train: Train, device: torch.device, owner: str | None = None
    ) -> list[Job]:
        """The runs of one comparison, kept in memory together while any of them is unfinished."""
        group = uuid.uuid4().hex
        configs = list(configs)
        with self._lock:  # a quick member's finish must not evict it before the others are in
            self._admit(owner, len(configs))  # admitted as one unit
            return [self._submit(experiment, config, train, device, group, owner, False, None) for config in configs]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def discard(self, job_id: str) -> None:
        """Stop the job and drop it from memory now, finished or not (a visitor's Forget: nothing of
        its run, its snapshot included, may stay)."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            self._groups.pop(job_id, None)
        if job is not None:
            job.stop()

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def queue_position(self, job: Job) -> int | None:
        """1-based place in the waiting line, or None when the job is not waiting."""
        with self._lock:
            waiting = [j for j in self._queue if j.status is Status.QUEUED]
            return waiting.index(job) + 1 if job in waiting else None

    def estimated_wait(self, job: Job) -> float | None:
        """Seconds until the queued ``job`` is expected to start (None when it is not waiting, or the
        server has no admission gate to estimate it)."""
        with self._lock:
            waiting = [j for j in self._queue if j.status is Status.QUEUED]
            if self.admission is None or job not in waiting:
                return None
            running = [j for j in self._jobs.values() if j.status in (Status.RUNNING, Status.PAUSED)]
            slots = self.max_running - self._lent
            return self.admission.estimated_wait(job, running, waiting[: waiting.index(job)], slots)

    def running_count(self, device_type: str | None = None) -> int:
        """Jobs training (or paused), on devices of ``device_type`` or on any."""
        with self._lock:
            return sum(
                1 for j in self._jobs.values() if j.status in (Status.RUNNING, Status.PAUSED) and device_type in (None, j.device.type)
            )

    def take_slots(self, wanted: int) -> int:
        """Lend up to ``wanted`` free run slots to training this manager does not run itself (a
        sweep's cells, in worker processes), so that it counts against ``max_running``. Queued runs
        come first: a freed slot goes to a waiting run at once (``_schedule``), so only slots no
        queued run can use are free here. Returns how many were lent; ``give_slots`` hands them back."""
        with self._lock:
            lent = max(0, min(wanted, self.max_running - self.running_count() - self._lent))
            self._lent += lent
            return lent

    def give_slots(self, count: int) -> None:
        with self._lock:
            self._lent = max(0, self._lent - count)
            self._schedule()

    def shutdown(self, timeout: float = 5.0) -> None:
        self._closed.set()
        for job in self.jobs():
            job.stop()
        for job in self.jobs():
            job.wait(timeout)
        self.placement.close()

    def _schedule(self) -> None:
        with self._lock:
            self._queue = [j for j in self._queue if j.status is Status.QUEUED]
            for job in list(self._queue):
                if self.running_count() + self._lent >= self.max_running:
                    break
                limit = self.device_limits.get(job.device.type)
                if limit is not None and self.running_count(job.device.type) >= limit:
                    continue  # it waits for its device; a later job for another may start
                self._queue.remove(job)
                job.placement = self.placement.placement_for(job)
                job._set_status(Status.RUNNING)
                job._start(self._finished)

    def _finished(self, job: Job) -> None:
        try:
            if self.admission is not None:
                self.admission.record(job)
            if self._on_finish_hook is not None:
                self._on_finish_hook(job)
        finally:  # a failed save must neither keep the queue waiting nor the job in memory forever
            with self._lock:
                self._evict(saved=job)
                self._schedule()

    def _evict(self, saved: Job | None = None) -> None:
        """Drop the oldest finished jobs beyond ``keep_finished``. Finished means saved: ``done``,
        or ``saved``, the job whose ``on_finish`` just returned (its ``done`` is set next)."""
        if self.keep_finished is None:
            return
        with self._lock:
            running_groups = {self._groups[j.id] for j in self._jobs.values() if not (j.done or j is saved)} - {None}
            finished = sorted((j for j in self._jobs.values() if j.done or j is saved), key=lambda j: j.finished or j.created)
            evictable = [j for j in finished if self._groups[j.id] not in running_groups]
            for job in evictable[: max(len(finished) - self.keep_finished, 0)]:
                del self._jobs[job.id]
                del self._groups[job.id]

    def _reap(self) -> None:
        assert self.lease_seconds is not None
        period = min(1.0, self.lease_seconds / 4)
        while not self._closed.wait(period):
            self._stop_abandoned(time.monotonic())
            with self._lock:
                self._schedule()

    def _stop_abandoned(self, now: float) -> None:
        # a function of its own: the reaper's waiting frame must not keep the last job it saw (a
        # visitor's forgotten photo run, its snapshot) alive
        assert self.lease_seconds is not None
        for job in self.jobs():
            if job.status.active and now - job.last_touch > self.lease_seconds:
                job.stop(message="abandoned")
