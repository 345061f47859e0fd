"""Sweeps run in the background of a server (the Lab page): the same ``run_sweep`` and executor as the
command line, in a thread, with pause/resume/stop, a progress snapshot a page can read at any time,
and a lease: a sweep nobody has looked at for ``lease_seconds`` is stopped, as an abandoned run is.

On the local pool every running cell holds one of the server's run slots (``JobManager.take_slots``),
so single runs and sweeps together never train more at once than the server allows; on a Dask
cluster the cells train on the cluster's workers, which bound them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType

from fpengine.export import write_run
from fpengine.i18n import LocalizedError
from fpengine.registry import get_experiment
from fpengine.retention import mark_app_folder, prune_runs
from fpengine.sweep.cell import CellRun
from fpengine.sweep.definition import Cell, SweepDefinition, SweepError
from fpengine.sweep.executors import Pool, open_pool
from fpengine.sweep.library import cell_run_id, write_status
from fpengine.sweep.results import DEFINITION_FILE, prepare_sweep_dir, write_cell_trace
from fpengine.sweep.run import Slots, SweepControl, SweepReport, run_sweep

log = logging.getLogger(__name__)

LOCAL_POOL = "local pool"
"""Where a sweep trains when no Dask scheduler is given (``SweepProgress.where``); the Lab translates it."""
LAB_MAX_CELLS = 200
"""The default cap on one sweep's cells on a server (``FPENGINE_MAX_SWEEP_CELLS``): ≈15 minutes of the
presets' cells on one worker, and far more than a class needs to see a law."""
TRACE = "delta_f"
"""The error trace every sweepable experiment publishes: a cell keeps it for its small heatmap."""


MAX_SWEEPS = 1
"""The default of ``FPENGINE_MAX_SWEEPS``: how many Lab sweeps train at once on a server (each keeps a
pool of worker processes); the rest wait in line."""


class SweepStatus(str, Enum):
    QUEUED = "queued"
    """It waits for its turn: the server's sweeps allowed at once are all training."""
    STARTING = "starting"
    """Its pool is being opened (local workers spawned, or the cluster reached)."""
    WAITING = "waiting"
    """Cells remain but the server's run slots are all taken."""
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self not in (SweepStatus.DONE, SweepStatus.STOPPED, SweepStatus.FAILED)


@dataclass(frozen=True)
class SweepProgress:
    """What a page shows of a sweep at one moment."""

    status: SweepStatus
    total: int
    finished: int
    in_flight: frozenset[str]
    """Ids of the cells training now."""
    lost: Mapping[str, str]
    """Cell id → why it has no result."""
    elapsed: float
    """Seconds spent not paused."""
    eta_seconds: float | None
    where: str
    """``LOCAL_POOL`` or the Dask scheduler's address."""
    workers: int
    message: str
    """``abandoned`` for a sweep its lease ended, else the error of a failed sweep (English)."""
    error: Exception | None
    queue_position: int | None = None
    held: bool = False
    """Paused, and the cell that was training when it was paused has finished: nothing trains."""
    """1-based place in the line of sweeps waiting for their turn (``QUEUED``), else None."""


class Turns:
    """At most ``limit`` sweeps train at once; the others wait for their turn in the order they came.
    A sweep stopped while it waits leaves the line without ever opening its pool."""

    def __init__(self, limit: int):
        self.limit = limit
        self._condition = threading.Condition()
        self._training: set[str] = set()
        self._waiting: list[str] = []

    def join(self, sweep_id: str) -> None:
        with self._condition:
            self._waiting.append(sweep_id)

    def wait_turn(self, sweep_id: str, stopped: Callable[[], bool]) -> bool:
        """Block until it is ``sweep_id``'s turn (True) or it was stopped while waiting (False)."""
        with self._condition:
            if sweep_id not in self._waiting:
                self._waiting.append(sweep_id)
            try:
                while not stopped():
                    if self._waiting[0] == sweep_id and len(self._training) < self.limit:
                        self._training.add(sweep_id)
                        return True
                    self._condition.wait(0.1)
                return False
            finally:
                self._waiting.remove(sweep_id)
                self._condition.notify_all()

    def release(self, sweep_id: str) -> None:
        with self._condition:
            self._training.discard(sweep_id)
            self._condition.notify_all()

    def position(self, sweep_id: str) -> int | None:
        with self._condition:
            return self._waiting.index(sweep_id) + 1 if sweep_id in self._waiting else None


class _Lender:
    """The slots a sweep holds, so that what it still holds when it ends is given back."""

    def __init__(self, slots: Slots):
        self._slots = slots
        self._held = 0

    def take_slots(self, wanted: int) -> int:
        taken = self._slots.take_slots(wanted)
        self._held += taken
        return taken

    def give_slots(self, count: int) -> None:
        count = min(count, self._held)
        self._held -= count
        self._slots.give_slots(count)

    def give_back(self) -> None:
        self.give_slots(self._held)


PoolOpener = Callable[[], contextlib.AbstractContextManager[Pool]]


class _StoppedInLine(Exception):
    """Stopped before its turn came: it never trained."""


class BackgroundSweep:
    """One sweep trained by a thread of its own; thread-safe to read and control."""

    def __init__(
        self,
        sweep_id: str,
        definition: SweepDefinition,
        out: Path,
        *,
        runs_dir: Path,
        open_pool: PoolOpener,
        slots: Slots | None = None,
        device: str = "auto",
        lang: str = "en",
        figures: bool = True,
        estimate_s: float | None = None,
        on_end: Callable[[BackgroundSweep], None] | None = None,
        turns: Turns | None = None,
        owner: str | None = None,
    ):
        self.id = sweep_id
        self.owner = owner
        """Who may control the sweep (an opaque token of the browser that started it); None: anyone.
        Others who have its id may watch it."""
        self._turns = turns
        self.definition = definition
        self.out = out
        self.runs_dir = runs_dir
        self.control = SweepControl()
        self.created = time.time()
        self.last_touch = time.monotonic()
        self.message = ""
        self.error: Exception | None = None
        self._open_pool = open_pool
        self._slots = slots
        self._device = device
        self._lang = lang
        self._figures = figures
        self._estimate_s = estimate_s
        self._on_end = on_end
        self._lock = threading.Lock()
        self._report: SweepReport | None = None
        self._final: SweepStatus | None = None
        self._where = ""
        self._workers = 0
        self._active_s = 0.0
        self._since: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fpengine-sweep-{sweep_id}", daemon=True)

    # --- read side -----------------------------------------------------------------------------
    def progress(self) -> SweepProgress:
        with self._lock:
            report, final, elapsed = self._report, self._final, self._elapsed()
        position = self._turns.position(self.id) if self._turns is not None and final is None else None
        if final is not None:
            status = final
        elif position is not None:
            status = SweepStatus.QUEUED
        elif self.control.stopped:
            status = SweepStatus.STOPPING
        elif self.control.paused:
            status = SweepStatus.PAUSED
        elif report is None:
            status = SweepStatus.STARTING
        else:
            status = SweepStatus.WAITING if report.waiting else SweepStatus.RUNNING
        total = self.definition.size
        finished = report.finished if report is not None else 0
        lost = MappingProxyType(dict(report.lost)) if report is not None else MappingProxyType({})
        return SweepProgress(
            status=status,
            total=total,
            finished=finished,
            in_flight=report.in_flight if report is not None else frozenset(),
            lost=lost,
            elapsed=elapsed,
            eta_seconds=self._eta(report, elapsed, total - finished - len(lost)) if status.active else 0.0,
            where=self._where,
            workers=self._workers,
            message=self.message,
            error=self.error,
            queue_position=position,
            held=report.held if report is not None else False,
        )

    def _elapsed(self) -> float:
        return self._active_s + (time.monotonic() - self._since if self._since is not None else 0.0)

    def _eta(self, report: SweepReport | None, elapsed: float, remaining: int) -> float | None:
        if report is not None and report.ran:
            return elapsed / report.ran * remaining
        if self._estimate_s is None:
            return None
        return max(self._estimate_s - elapsed, 0.0)

    @property
    def done(self) -> bool:
        """The thread has ended and the results are written."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def owned_by(self, token: str | None) -> bool:
        """Whether ``token`` (a browser's) may pause, resume or stop the sweep."""
        return self.owner is None or self.owner == token

    def touch(self) -> None:
        """Someone is watching: keeps the lease."""
        self.last_touch = time.monotonic()

    # --- control -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._turns is not None:
            self._turns.join(self.id)  # in line at once: its place shows before its thread runs
        with self._lock:
            self._since = time.monotonic()
        write_status(self.out, "running", self.definition.size, 0, created=self.created)
        self._thread.start()

    def pause(self) -> None:
        """No new cell starts; the running ones finish."""
        with self._lock:
            if self._since is not None:
                self._active_s += time.monotonic() - self._since
                self._since = None
        self.control.pause()

    def resume(self) -> None:
        with self._lock:
            if self._since is None and self._final is None:
                self._since = time.monotonic()
        self.control.resume()

    def stop(self, message: str = "") -> None:
        if message and not self.done:
            self.message = message
        self.control.stop()

    # --- the thread ------------------------------------------------------------------------------
    def _follow(self, report: SweepReport) -> None:
        with self._lock:
            self._report = report

    def _keep(self, cell: Cell, run: CellRun) -> None:
        """A finished cell's thinned ΔF trace beside its row, and its run where the app keeps runs,
        so the cell reopens as a single run on its experiment's page (``?run=``)."""
        if run.snapshot is None:
            return
        if TRACE in run.snapshot.traces:
            write_cell_trace(self.out, cell, run.snapshot.traces[TRACE])
        write_run(
            self.runs_dir / cell_run_id(self.id, cell.id),
            get_experiment(self.definition.experiment),
            self.definition.cell_config(cell),
            run.snapshot,
            status=run.row["status"],
            device=run.device,
            message=run.row.get("message", ""),
            figures=False,
        )
        mark_app_folder(self.runs_dir / cell_run_id(self.id, cell.id))

    def _run(self) -> None:
        lender = _Lender(self._slots) if self._slots is not None else None
        report = None
        turn = False
        try:
            if self._turns is not None:
                turn = self._turns.wait_turn(self.id, lambda: self.control.stopped)
                if not turn:
                    raise _StoppedInLine
                with self._lock:  # its time starts with its turn
                    self._active_s, self._since = 0.0, None if self.control.paused else time.monotonic()
            with self._open_pool() as pool:
                self._where, self._workers = pool.where, pool.workers
                report = run_sweep(
                    self.definition,
                    self.out,
                    pool,
                    device=self._device,
                    figures=self._figures,
                    lang=self._lang,
                    on_cell=self._follow,
                    control=self.control,
                    slots=lender,
                    on_run=self._keep,
                )
            final = SweepStatus.STOPPED if report.interrupted else SweepStatus.DONE
        except _StoppedInLine:
            final = SweepStatus.STOPPED
        except LocalizedError as error:  # an unreachable cluster, a full disk: one line for the page
            final, self.error, self.message = SweepStatus.FAILED, error, str(error)
        except Exception as error:  # a bug must end the sweep visibly, not kill its thread silently
            log.error("sweep %s failed:\n%s", self.id, traceback.format_exc())
            final, self.message = SweepStatus.FAILED, f"{type(error).__name__}: {error}"
        finally:
            if lender is not None:
                lender.give_back()  # after the pool has stopped its workers
            if turn:
                self._turns.release(self.id)
        with self._lock:
            if self._since is not None:
                self._active_s += time.monotonic() - self._since
                self._since = None
            self._final = final
        finished = report.finished if report is not None else 0
        try:
            write_status(self.out, final.value, self.definition.size, finished, created=self.created, message=self.message)
        except OSError as error:
            log.warning("could not write the status of sweep %s: %s", self.id, error)
        self._done.set()
        if self._on_end is not None:
            self._on_end(self)


class SweepManager:
    """Starts background sweeps, refuses those over the server's cap, keeps the active ones and the
    ``keep_finished`` latest finished ones in memory (older ones reopen from disk), stops sweeps
    nobody watches for ``lease_seconds`` and applies the runs folder's retention to the sweeps folder."""

    def __init__(
        self,
        root: Path,
        runs_dir: Path,
        *,
        slots: Slots | None = None,
        max_cells: int,
        workers: int,
        scheduler: str | None = None,
        lease_seconds: float | None = 600.0,
        keep_finished: int = 8,
        figures: bool = True,
        retention: tuple[float, float] = (0, 0),
        pool_opener: Callable[[int, str | None], contextlib.AbstractContextManager[Pool]] = open_pool,
        max_sweeps: int | None = None,
    ):
        self.root = root
        self.turns = Turns(max_sweeps) if max_sweeps else None
        """``max_sweeps`` train at once, the rest wait in line; None: no bound (the CLI's own sweep)."""
        self.runs_dir = runs_dir
        self.max_cells = max_cells
        self.scheduler = scheduler
        self.workers = workers
        """Local workers: the slots bound how many of them train at once."""
        self.lease_seconds = lease_seconds
        self.keep_finished = keep_finished
        self._slots = None if scheduler else slots
        self._figures = figures
        self._retention = retention
        self._pool_opener = pool_opener
        self._lock = threading.RLock()
        self._sweeps: dict[str, BackgroundSweep] = {}
        self._reaper: threading.Thread | None = None
        self._closed = threading.Event()
        self.prune()

    @property
    def where(self) -> str:
        """Where new sweeps train: ``local pool`` or the Dask scheduler's address."""
        return self.scheduler or LOCAL_POOL

    def check_size(self, cells: int) -> None:
        """A sweep of ``cells`` cells may run on this server (``SweepError`` says why not)."""
        if cells > self.max_cells:
            raise SweepError("lab.error.too_many_cells", size=cells, most=self.max_cells)

    def start(
        self,
        definition: SweepDefinition,
        *,
        device: str = "auto",
        lang: str = "en",
        estimate_s: float | None = None,
        owner: str | None = None,
    ) -> BackgroundSweep:
        """Start (or put in line) a sweep; ``owner`` (an opaque visitor token) may have one unfinished
        sweep at a time."""
        self.check_size(definition.size)
        if owner is not None and any(sweep.owner == owner and not sweep.done for sweep in self.sweeps()):
            raise SweepError("lab.error.one_sweep_each")
        sweep_id = uuid.uuid4().hex[:10]
        out = prepare_sweep_dir(self.root / sweep_id, definition, where="FPENGINE_RUNS_DIR")
        mark_app_folder(out)
        sweep = BackgroundSweep(
            sweep_id,
            definition,
            out,
            runs_dir=self.runs_dir,
            open_pool=lambda: self._pool_opener(self.workers, self.scheduler),
            slots=self._slots,
            device=device,
            lang=lang,
            figures=self._figures,
            estimate_s=estimate_s,
            on_end=self._ended,
            turns=self.turns,
            owner=owner,
        )
        with self._lock:
            self._sweeps[sweep_id] = sweep
            self._evict()
            if self.lease_seconds is not None and self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="fpengine-sweep-reaper", daemon=True)
                self._reaper.start()
        sweep.start()
        return sweep

    def get(self, sweep_id: str) -> BackgroundSweep | None:
        with self._lock:
            return self._sweeps.get(sweep_id)

    def sweeps(self) -> list[BackgroundSweep]:
        with self._lock:
            return list(self._sweeps.values())

    def prune(self) -> None:
        """The sweeps folder's retention; active sweeps are kept."""
        max_age_days, max_mb = self._retention
        busy = [sweep.id for sweep in self.sweeps() if not sweep.done]
        prune_runs(self.root, max_age_days=max_age_days, max_mb=max_mb, busy=busy, marker=DEFINITION_FILE)

    def shutdown(self, timeout: float = 30.0) -> None:
        self._closed.set()
        for sweep in self.sweeps():
            sweep.stop()
        for sweep in self.sweeps():
            sweep.wait(timeout)

    def _ended(self, sweep: BackgroundSweep) -> None:
        with self._lock:
            self._evict()
        with contextlib.suppress(OSError):
            self.prune()

    def _evict(self) -> None:
        with self._lock:
            finished = sorted((s for s in self._sweeps.values() if s.done), key=lambda s: s.created)
            for sweep in finished[: max(len(finished) - self.keep_finished, 0)]:
                del self._sweeps[sweep.id]

    def _reap(self) -> None:
        assert self.lease_seconds is not None
        period = min(1.0, self.lease_seconds / 4)
        while not self._closed.wait(period):
            now = time.monotonic()
            for sweep in self.sweeps():
                if not sweep.done and now - sweep.last_touch > self.lease_seconds:
                    sweep.stop(message="abandoned")
