"""Where a server's runs train: worker processes on this machine, or a Dask cluster's workers.

The server only admits, queues, watches and draws; ``train`` runs elsewhere. A placement's
``execute(job)`` is called in the job's own thread of the server: it sends the run (experiment name,
config, device, the photo a run on an upload needs, in memory) to a worker and relays what comes back
until the run ends, so for pages the :class:`~fpengine.engine.runner.Job` is the same object as when it
trains in a thread.

- :class:`LocalWorkers`: long-lived processes forked from the fork server that imported the experiment
  code once (:func:`worker_context`, which the sweeps' local pool uses too), one run at a time each. Snapshots come back
  pickled through a pipe, sent from a thread of the worker's own (:class:`~fpengine.engine.outbox.Outbox`:
  the training never waits for the server to read them); pause/resume/stop is a shared byte the worker reads at every checkpoint. A
  worker that dies (killed, out of memory) ends its run as failed with a one-line reason; the next run
  gets a fresh worker.
- :class:`DaskWorkers`: the cluster at ``DASK_SCHEDULER_ADDRESS``. A run is one Dask future; snapshots
  come back pickled through a Dask ``Queue``, control goes out through a Dask ``Variable`` the worker
  reads at most every ``DASK_CONTROL_POLL_S``. A cluster that cannot be reached (at start or later) sends
  new runs to the local workers instead, and says so (``notice``).

A run whose ``train`` is not its registered experiment's own (a benchmark's, a test's stand-in) trains
in a thread of the server: only what a worker can look up by name crosses the boundary.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_any
from typing import Any

import torch

from fpengine.engine.device import configure_backends, release_memory
from fpengine.engine.experiment import Experiment
from fpengine.engine.outbox import Outbox
from fpengine.engine.runner import THREAD, Job, Outcome, RunContext, Status, train_to_outcome
from fpengine.i18n import LANGUAGES, LocalizedError

log = logging.getLogger(__name__)

CONTROL = {"run": 0, "pause": 1, "stop": 2}
STOP_GRACE_S = 10.0
"""A worker that has not ended its run this long after stop was asked is ended with its process."""
DASK_CONTROL_POLL_S = 0.1
"""A Dask worker asks the cluster for its run's control at most this often (not every step)."""
DASK_RECEIVE_S = 0.2
DASK_CONNECT_S = 10.0
"""Reaching the cluster (connecting, its handshake) takes at most this long."""
DASK_RETRY_S = 30.0
"""A cluster found away is tried again for a new run after this long (until then runs train locally)."""
DASK_WORKERS_GONE_S = 60.0
"""What waits on a cluster that has had no worker this long ends (Dask itself waits for a worker
forever): a worker that cannot import fpengine leaves at its first task."""
DASK_WORKERS_CHECK_S = 5.0
"""How often something waiting on a cluster asks its scheduler how many workers it has."""


class RemoteError(LocalizedError):
    """A :class:`LocalizedError` raised in a worker, brought back with its message in every language
    (the worker rendered them: its key and details need not exist here)."""

    def __init__(self, texts: dict[str, str], key: str = "run.error.remote"):
        self.key = key
        self.details: dict[str, object] = {}
        self.texts = dict(texts)
        ValueError.__init__(self, self.texts.get("en", ""))

    def message(self, lang: str = "en") -> str:
        return self.texts.get(lang) or self.texts.get("en", "")

    def __reduce__(self):
        return RemoteError, (self.texts, self.key)


def _portable(outcome: Outcome) -> tuple:
    texts = {code: outcome.error.message(code) for code in LANGUAGES} if outcome.error is not None else None
    return outcome.status.value, outcome.message, texts, outcome.diverged_at


def _restored(payload: tuple) -> Outcome:
    status, message, texts, diverged_at = payload
    return Outcome(Status(status), message, RemoteError(texts) if texts else None, diverged_at)


def _first_line(error: BaseException | None) -> str:
    text = str(error).splitlines()[0] if error is not None and str(error) else type(error).__name__
    return text[:200]


def _failed(key: str, **details: object) -> Outcome:
    error = LocalizedError(key, **details)
    return Outcome(Status.FAILED, str(error), error)


@dataclass(frozen=True)
class Task:
    """A run as it travels to a worker: plain, picklable data."""

    run_id: str
    experiment: str
    config: Any
    device: str
    threads: int
    max_seconds: float | None
    publish_interval: float
    held: Any = None
    """What a private run holds (a visitor's decoded photo): in memory only, here and in the worker,
    which never writes it anywhere (``Experiment.lends`` makes it reachable there)."""


Lookup = Callable[[str], Experiment]
"""The registry's ``get_experiment`` (the engine does not import the registry: it is handed it; a
module-level function, so it travels to a worker by name). Raises KeyError for an unknown name."""


def task_of(job: Job, threads: int) -> Task:
    held = job.holds if job.private else None
    return Task(job.id, job.experiment, job.config, str(job.device), threads, job.max_seconds, job.publish_interval, held)


def runs_remotely(job: Job, lookup: Lookup) -> bool:
    """Whether a worker can train ``job``: its ``train`` is its registered experiment's ``run``."""
    try:
        return job.train == lookup(job.experiment).run
    except KeyError:
        return False


class _WorkerRun:
    """A worker's stand-in for the server's Job: the control and publishing side ``RunContext`` uses."""

    def __init__(self, task: Task, send: Callable[[tuple], None], control: Callable[[], int]):
        self.max_seconds = task.max_seconds
        self._send = send
        self._control = control
        self._version = 0

    def _stop_asked(self) -> bool:
        return self._control() == CONTROL["stop"]

    def _resume_asked(self) -> bool:
        return self._control() == CONTROL["run"]

    def _wait_resume(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._control() == CONTROL["pause"]:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _set_status(self, status: Status) -> None:
        self._send(("status", status.value))

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _set_snapshot(self, snapshot: Any) -> None:
        self._send(("snapshot", snapshot))


def train_task(task: Task, send: Callable[[tuple], None], control: Callable[[], int], lookup: Lookup) -> tuple:
    """Train ``task`` in this process (a local worker or a Dask worker) through the same
    ``Experiment.run`` and ``train_to_outcome`` as a thread of the server; its portable outcome."""
    experiment = lookup(task.experiment)
    torch.set_num_threads(task.threads)
    device = torch.device(task.device)
    lent = experiment.lends(task.config, task.held) if task.held is not None else contextlib.nullcontext()
    outbox = Outbox(send)
    try:
        with lent:
            ctx = RunContext(_WorkerRun(task, outbox.post, control), device, task.publish_interval)  # type: ignore[arg-type]
            return _portable(train_to_outcome(experiment.run, task.config, ctx, task.run_id))
    finally:
        try:
            outbox.close()  # the run's last snapshot goes before its end
        finally:
            release_memory(device)


def relay(job: Job, message: tuple) -> Outcome | None:
    """A worker's message applied to the server's ``job``: a snapshot or a status; for its last
    message, how the run ended."""
    kind = message[0]
    if kind == "snapshot":
        job._set_snapshot(message[1])
    elif kind == "status":
        job._set_status(Status(message[1]))
    elif kind == "end":
        return _restored(message[1])
    return None


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """Start worker processes inside this: they do not run the parent's main script.

    multiprocessing makes every new process (spawned, or forked from the fork server) run the
    parent's ``__main__`` file again, as ``__mp_main__``. In a Streamlit server ``__main__`` is the
    app's script (Streamlit runs each page as ``__main__``): every worker ran the whole app in bare
    mode, importing its pages and starting a job manager of its own (~22 MB more per worker, and
    warnings in the server's log).
    While a worker starts, ``__main__`` is a bare module (restored after, unless a page run replaced
    it meanwhile). A main module imported by name (``python -m``) is left alone: the child skips it."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        if main is None or getattr(main, "__spec__", None) is not None or getattr(main, "__file__", None) is None:
            yield
            return
        bare = types.ModuleType("__main__")
        sys.modules["__main__"] = bare
        try:
            yield
        finally:
            if sys.modules.get("__main__") is bare:
                sys.modules["__main__"] = main


def worker_context() -> multiprocessing.context.BaseContext:
    """How local workers start (the app's run workers and the sweeps' cells). Never a plain fork of this
    process: the child would inherit torch's thread pools and any open run threads. Where the platform
    has it, a fork server that imported the experiment code (the sweep's cell, which imports the
    registry, and this module) once: every worker (and a replacement for a dead one) then starts as a
    fork of that clean, single-threaded process, without importing torch again (seconds of CPU each).
    Elsewhere (Windows), spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["fpengine.sweep.cell", "fpengine.engine.workers"])
    return context


# --- local worker processes ----------------------------------------------------------------------


def _worker_main(connection: Any, control: Any, lookup: Lookup) -> None:
    """A local worker: warm up, then train the tasks the server sends, one at a time, until it closes
    the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    configure_backends()
    from fpengine.engine.device import resolve_device
    from fpengine.optimizers import warm_up_optimizers

    with contextlib.suppress(Exception):
        warm_up_optimizers(resolve_device())  # torch._dynamo for fused Adam, the device probed: now, not in the first run
    connection.send(("ready", os.getpid()))
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = train_task(task, connection.send, lambda: control.value, lookup)
        except BaseException as error:  # noqa: BLE001 — the server must hear how it ended
            result = _portable(Outcome(Status.FAILED, f"{type(error).__name__}: {error}"))
        del task
        gc.collect()  # a photo run's picture goes now
        try:
            connection.send(("end", result))
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, context: Any, lookup: Lookup):
        self.control = context.RawValue("b", 0)
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, self.control, lookup), name="fpengine-worker", daemon=True)
        with main_script_hidden():
            self.process.start()
        child.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def end(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        with contextlib.suppress(OSError):
            self.connection.close()


class LocalWorkers:
    """``size`` worker processes on this machine, started (and warmed) with the server. Each trains one
    run at a time; the manager's run slots decide how many train at once."""

    name = "local"

    def __init__(self, size: int, lookup: Lookup, threads: int = 1, context: Any = None):
        self.size = size
        self.lookup = lookup
        self.threads = threads
        """Torch threads of a worker's run."""
        self._context = context or worker_context()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._closed = False

    def warm(self) -> threading.Thread:
        """Start the pool's processes in the background (the fork server imports torch once, seconds)."""
        thread = threading.Thread(target=self._fill, name="fpengine-workers-warm", daemon=True)
        thread.start()
        return thread

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._idle) + len(self._busy) >= self.size:
                    return
            worker = _Worker(self._context, self.lookup)
            with self._lock:
                # a run that found no idle worker meanwhile started its own: this one would be one too many
                surplus = self._closed or len(self._idle) + len(self._busy) >= self.size
                if not surplus:
                    self._idle.append(worker)
            if surplus:
                worker.end()
                return

    @property
    def processes(self) -> list[int]:
        """The process ids of the pool's workers (for benchmarks and tests)."""
        with self._lock:
            return [w.process.pid for w in (*self._idle, *self._busy) if w.process.pid is not None]

    def placement_for(self, job: Job) -> Any:
        return self if runs_remotely(job, self.lookup) else THREAD

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
        worker = _Worker(self._context, self.lookup)  # none idle (one died, or still warming): a fresh one
        with self._lock:
            self._busy.add(worker)
            # the warm-up may have added an idle worker meanwhile: that one would be one too many
            surplus = [self._idle.pop() for _ in range(min(len(self._idle), len(self._idle) + len(self._busy) - self.size))]
        for extra in surplus:
            extra.end()
        return worker

    def _give(self, worker: _Worker, keep: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            keep = keep and not self._closed and worker.alive() and len(self._idle) + len(self._busy) < self.size
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.end()
            if not self._closed:
                self.warm()  # a replacement, ready for the next run

    def execute(self, job: Job) -> Outcome:
        worker = self._take()
        task = task_of(job, self.threads)

        def signal_worker() -> None:
            worker.control.value = CONTROL[job.control]

        job._on_control = signal_worker
        signal_worker()
        try:
            worker.connection.send(task)
        except (OSError, ValueError):
            return self._died(worker)
        del task  # the photo, if any, is in the worker now
        stop_seen: float | None = None
        while True:
            ready = wait_any([worker.connection, worker.process.sentinel], timeout=0.5)
            if worker.connection in ready:
                try:
                    message = worker.connection.recv()
                except (EOFError, OSError):
                    return self._died(worker)
                outcome = relay(job, message)
                if outcome is not None:
                    # a photo run's worker ends with it: no copy of the pixels stays in any process
                    self._give(worker, keep=not job.private)
                    return outcome
                continue
            if ready or not worker.alive():
                return self._died(worker)
            if job._stop_asked():
                stop_seen = stop_seen or time.monotonic()
                if time.monotonic() - stop_seen > STOP_GRACE_S:  # it does not answer: ended with its process
                    self._give(worker, keep=False)
                    return Outcome(Status.STOPPED)

    def _died(self, worker: _Worker) -> Outcome:
        worker.process.join(2)
        code = worker.process.exitcode
        self._give(worker, keep=False)
        log.warning("a run's worker process ended unexpectedly (exit code %s)", code)
        return _failed("run.error.worker_died", code="?" if code is None else code)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
        for worker in workers:
            worker.end()


# --- a Dask cluster ------------------------------------------------------------------------------


def dask_train(task: Task, queue_name: str, control_name: str, lookup: Lookup) -> tuple:
    """A run on a Dask worker: snapshots out through the Queue ``queue_name`` (pickled), control in
    through the Variable ``control_name``, read at most every ``DASK_CONTROL_POLL_S``."""
    from distributed import Queue, Variable

    queue = Queue(queue_name)
    variable = Variable(control_name)
    state = {"code": CONTROL["run"], "read": 0.0}

    def control() -> int:
        now = time.monotonic()
        if now - state["read"] >= DASK_CONTROL_POLL_S:
            state["read"] = now
            with contextlib.suppress(Exception):
                state["code"] = int(variable.get(timeout=5))
        return state["code"]

    def send(message: tuple) -> None:
        queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    result = train_task(task, send, control, lookup)
    send(("end", result))
    return result


class WorkersWatch:
    """Whether the cluster of a Dask ``client`` has been without a worker for ``DASK_WORKERS_GONE_S``,
    its scheduler asked at most every ``DASK_WORKERS_CHECK_S``."""

    def __init__(self, client: Any):
        self.client = client
        self.limit = DASK_WORKERS_GONE_S
        self.asked = time.monotonic()
        self.none_since: float | None = None

    def gone(self) -> bool:
        now = time.monotonic()
        if now - self.asked >= DASK_WORKERS_CHECK_S:
            self.asked = now
            try:
                workers = len(self.client.scheduler_info().get("workers", {}))
            except (OSError, TimeoutError):  # the scheduler not answering is reported by what waits on it
                workers = 1
            self.none_since = None if workers else self.none_since or now
        return self.none_since is not None and now - self.none_since >= self.limit


class DaskWorkers:
    """Runs on the Dask cluster at ``address``; while it cannot be reached, on ``fallback`` (the local
    workers), with ``notice`` saying so."""

    name = "dask"

    def __init__(self, address: str, fallback: LocalWorkers, threads: int = 1, check: Callable[[str], None] | None = None):
        self.address = address
        self.check = check
        """Raises unless a Dask scheduler answers at the address in bounded time (Dask's own connect
        waits for a scheduler's handshake without a limit): the sweep's ``check_scheduler``."""
        self.fallback = fallback
        self.threads = threads
        self._client: Any = None
        self._failed_at = -DASK_RETRY_S
        self._lock = threading.Lock()
        self.notice: LocalizedError | None = None
        """Why runs train on the local workers although a cluster is set (None while it is used)."""

    def warm(self) -> threading.Thread:
        self.fallback.warm()
        thread = threading.Thread(target=self.client, name="fpengine-dask-connect", daemon=True)
        thread.start()
        return thread

    def client(self) -> Any:
        """The connected client, or None (and ``notice`` set) when the cluster cannot be reached."""
        with self._lock:
            if self._client is not None and self._client.status == "running":
                return self._client
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close(timeout=2)
                self._client = None
            if time.monotonic() - self._failed_at < DASK_RETRY_S:
                return None  # it was away a moment ago: no new run waits for it again so soon
            try:
                from distributed import Client

                if self.check is not None:
                    self.check(self.address)
                client = Client(self.address, timeout=DASK_CONNECT_S, set_as_default=False)
                if not client.scheduler_info().get("workers"):
                    client.close()
                    raise ConnectionError("the cluster has no workers")
            except Exception as error:  # unreachable, not a scheduler, no workers: local workers train
                reason = _first_line(error)
                self.notice = LocalizedError("run.notice.cluster_away", address=self.address, reason=reason)
                self._failed_at = time.monotonic()
                log.warning("Dask cluster %s not usable (%s): runs train on local workers", self.address, reason)
                return None
            self._client, self.notice = client, None
            return client

    def placement_for(self, job: Job) -> Any:
        # reaching the cluster is the job's own thread's work, never the scheduler's (under its lock)
        return self if runs_remotely(job, self.fallback.lookup) else THREAD

    def execute(self, job: Job) -> Outcome:
        from distributed import Queue, Variable

        client = self.client()
        if client is None:
            job.placement = self.fallback
            return self.fallback.execute(job)
        name = f"fpengine-{job.id}-{uuid.uuid4().hex[:6]}"
        queue = Queue(f"{name}-out", client=client)
        variable = Variable(f"{name}-control", client=client)

        def signal_cluster() -> None:
            with contextlib.suppress(Exception):
                variable.set(CONTROL[job.control])

        signal_cluster()
        job._on_control = signal_cluster
        future = client.submit(
            dask_train, task_of(job, self.threads), f"{name}-out", f"{name}-control", self.fallback.lookup, pure=False, key=name
        )
        watch = WorkersWatch(client)
        stop_seen: float | None = None
        try:
            while True:
                try:  # everything waiting, at once (a blocking get that times out is logged by the scheduler)
                    messages = [pickle.loads(raw) for raw in queue.get(batch=True)]
                except Exception as error:  # the cluster went away
                    return _failed("run.error.cluster_lost", address=self.address, reason=_first_line(error))
                for message in messages:
                    outcome = relay(job, message)
                    if outcome is not None:
                        return outcome
                if messages:
                    continue
                if future.done():
                    if future.status == "finished":  # the end message may trail behind: the result is the outcome
                        return _restored(future.result())
                    reason = _first_line(future.exception()) if future.status == "error" else future.status
                    return _failed("run.error.cluster_lost", address=self.address, reason=reason)
                if client.status != "running":
                    return _failed("run.error.cluster_lost", address=self.address, reason=f"client {client.status}")
                if job._stop_asked():  # a task no worker runs (or one that hangs) never reads its control
                    stop_seen = stop_seen or time.monotonic()
                    if time.monotonic() - stop_seen > STOP_GRACE_S:
                        return Outcome(Status.STOPPED)
                if watch.gone():
                    self.close_client()  # the next run connects again, and trains here while the cluster has no worker
                    return _failed("run.error.cluster_no_workers", address=self.address, seconds=watch.limit)
                time.sleep(DASK_RECEIVE_S)
        finally:
            with contextlib.suppress(Exception):
                future.cancel()
                variable.delete()
                queue.close()

    def close_client(self) -> None:
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close(timeout=2)
                self._client = None

    def close(self) -> None:
        self.close_client()
        self.fallback.close()


# --- the server's choice -------------------------------------------------------------------------

MAX_WORKERS = 64


def worker_count(default: int) -> int:
    """``FPENGINE_WORKERS``: local worker processes (0: runs train in the server's own threads, as the
    CLI's do); by default one per run slot (``default``)."""
    from fpengine.settings.environment import cores, env_number

    return int(env_number("FPENGINE_WORKERS", default, minimum=0, maximum=min(MAX_WORKERS, 4 * cores())))


def server_placement(workers: int, runs_at_once: int, lookup: Lookup, check: Callable[[str], None] | None = None) -> Any:
    """Where a server's runs train: ``workers`` local processes, warmed now in the background, behind
    the Dask cluster at ``DASK_SCHEDULER_ADDRESS`` when that is set (``check``: how to tell a scheduler
    answers there); ``THREAD`` for ``workers`` 0. Each
    run gets the server's torch threads shared among the ``runs_at_once``."""
    if workers == 0:
        return THREAD
    threads = max(1, torch.get_num_threads() // max(1, runs_at_once))
    local = LocalWorkers(workers, lookup, threads)
    address = os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip()
    placement: Any = DaskWorkers(address, local, threads, check) if address else local
    placement.warm()
    return placement
