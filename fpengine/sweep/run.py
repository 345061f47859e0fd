"""Run a sweep's unfinished cells on a pool and write its tables, law fits and figures."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fpengine.export import atomic_file, write_json
from fpengine.settings.config import to_dict
from fpengine.sweep.cell import CellRun, run_cell, run_cell_keeping_run
from fpengine.sweep.definition import Cell, SweepDefinition
from fpengine.sweep.executors import Pool
from fpengine.sweep.figures import sweep_figures
from fpengine.sweep.fit import fit_sweep
from fpengine.sweep.results import UNFINISHED, finished_rows, results_frame, write_cell, write_tables

WORKER_DEATH_RETRIES = 2
"""A cell whose local worker died runs again at most this many times (Dask retries on its own)."""
POLL_S = 0.25
"""How often the loop looks at pause/stop while cells run."""
TABLE_INTERVAL_S = 2.0
"""results.csv is rebuilt at most this often while cells finish (each cell's own file is written at once)."""


@dataclass
class SweepReport:
    total: int
    resumed: int
    """Cells found finished in the folder and not run again."""
    ran: int = 0
    lost: dict[str, str] = field(default_factory=dict)
    """Cell id → why it has no result (its worker died, …); a rerun runs it again."""
    interrupted: bool = False
    in_flight: frozenset[str] = frozenset()
    """Ids of the cells submitted and not finished yet; kept up to date while the sweep runs."""
    waiting: bool = False
    """Cells remain, none is in flight and no run slot was free for one (``slots``)."""
    held: bool = False
    """The sweep has seen its pause and holds no cell: none is in flight and none starts until it
    resumes. (An empty ``in_flight`` alone does not say so: a pause can come while the loop is about
    to submit the next cells.)"""

    @property
    def finished(self) -> int:
        return self.resumed + self.ran

    @property
    def complete(self) -> bool:
        return self.finished == self.total


class SweepControl:
    """Pause, resume and stop for a sweep run in the background (the Lab page's buttons); the
    command line stops with Ctrl-C instead. Pausing submits no new cell; running cells finish."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


class Slots(Protocol):
    """Run slots lent by a server's run queue (``JobManager``): a cell trains only while it holds one."""

    def take_slots(self, wanted: int) -> int: ...

    def give_slots(self, count: int) -> None: ...


def run_sweep(
    definition: SweepDefinition,
    out: Path,
    pool: Pool,
    *,
    device: str = "auto",
    figures: bool = True,
    lang: str = "en",
    on_cell: Callable[[SweepReport], None] | None = None,
    control: SweepControl | None = None,
    slots: Slots | None = None,
    on_run: Callable[[Cell, CellRun], None] | None = None,
) -> SweepReport:
    """Run every cell of ``definition`` not yet finished in ``out`` (prepared by ``prepare_sweep_dir``)
    and write the results; Ctrl-C (or ``control.stop()``) stops it with every finished cell kept
    and the tables written. Cells are submitted as workers free up, so a paused or stopped sweep
    has queued nothing beyond the cells already running.

    ``on_cell`` gets the report at the start and whenever a cell finishes. With ``slots``, a cell is
    submitted only with a slot taken for it, given back when it ends (the slots of cells still
    running when the sweep is interrupted stay taken: the caller gives them back once its pool has
    stopped them). ``on_run`` receives each finished cell's run before its row is written."""
    cells = list(definition.cells())
    rows = finished_rows(out, cells)
    report = SweepReport(total=len(cells), resumed=len(rows))
    queue = deque(cell for cell in cells if cell.id not in rows)
    attempts: Counter[str] = Counter()
    # a queued cell per worker keeps every worker busy; a cell queued in the pool must not hold a slot
    in_flight = pool.workers if slots is not None else max(2 * pool.workers, 2)
    task = run_cell if on_run is None else run_cell_keeping_run
    pending: dict[Future, Cell] = {}
    written_at = time.monotonic()
    if on_cell is not None:
        on_cell(report)
    try:
        while queue or pending:
            if control is not None and control.stopped:
                raise KeyboardInterrupt
            submitting = bool(queue) and (control is None or not control.paused)
            if submitting:
                room = min(in_flight - len(pending), len(queue))
                if slots is not None and room > 0:
                    room = slots.take_slots(room)
                for _ in range(room):
                    cell = queue.popleft()
                    attempts[cell.id] += 1
                    config = to_dict(definition.cell_config(cell))
                    pending[pool.executor.submit(task, definition.experiment, config, cell.settings, device)] = cell
            report.waiting = submitting and slots is not None and not pending
            report.in_flight = frozenset(cell.id for cell in pending.values())
            # read the pause again: cells submitted on an earlier reading are pending, so held stays False
            report.held = not pending and control is not None and control.paused
            if not pending:  # paused, or waiting for a run slot
                time.sleep(POLL_S)
                continue
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                cell = pending.pop(future)
                if slots is not None:
                    slots.give_slots(1)
                if isinstance(future.exception(), BrokenExecutor) and attempts[cell.id] <= WORKER_DEATH_RETRIES:
                    queue.appendleft(cell)  # a local worker died: every cell it held is run again on a fresh pool
                elif _collect(future, cell, out, rows, report, on_run) and on_cell is not None:
                    on_cell(report)
            report.in_flight = frozenset(cell.id for cell in pending.values())
            if done and time.monotonic() - written_at > TABLE_INTERVAL_S:
                write_tables(out, results_frame(definition, rows))
                written_at = time.monotonic()
    except KeyboardInterrupt:
        report.interrupted = True
        for future in pending:
            future.cancel()
    report.in_flight, report.waiting, report.held = frozenset(), False, False
    write_results(definition, out, rows, report, figures=figures, lang=lang)
    return report


def _collect(
    future: Future,
    cell: Cell,
    out: Path,
    rows: dict[str, dict[str, Any]],
    report: SweepReport,
    on_run: Callable[[Cell, CellRun], None] | None,
) -> bool:
    """Keep a finished cell's row (and hand its run to ``on_run``); True when it finished (not
    cancelled, lost or interrupted)."""
    try:
        result = future.result()
    except CancelledError:
        return False
    except Exception as error:  # noqa: BLE001 - a worker's death or a lost connection costs this cell only
        report.lost[cell.id] = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}".rstrip(": ")
        return False
    row = result.row if isinstance(result, CellRun) else result
    if row["status"] in UNFINISHED:
        report.lost[cell.id] = row.get("message") or row["status"]
        return False
    if on_run is not None:
        on_run(cell, result)
    rows[cell.id] = write_cell(out, cell, row)
    report.ran += 1
    return True


def write_results(
    definition: SweepDefinition, out: Path, rows: dict[str, dict[str, Any]], report: SweepReport, *, figures: bool, lang: str
) -> None:
    """results.csv/.parquet, fit.json and the figures, from the cells finished so far."""
    frame = results_frame(definition, rows)
    write_tables(out, frame)
    fit = fit_sweep(frame, definition.group_keys)
    write_json(out / "fit.json", {"cells": report.total, "finished_cells": report.finished, **fit}, indent=2, allow_nan=False)
    if figures and len(frame):
        for name, chart in sweep_figures(frame, fit, definition.group_keys, lang).items():
            with atomic_file(out / f"figure_{name}.png") as handle:
                chart.save(handle, format="png", scale_factor=2)
