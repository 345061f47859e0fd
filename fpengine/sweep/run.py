"""Run a sweep's unfinished cells on a pool and write its tables, law fits and figures."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fpengine.export import atomic_file, write_json
from fpengine.registry import get_experiment
from fpengine.settings.config import to_dict
from fpengine.sweep.cell import CellRun, run_cell, run_cell_keeping_run, run_cells
from fpengine.sweep.definition import Cell, SweepDefinition, SweepError
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
MAX_BATCH = 16
"""The most cells that train together as one stacked model (measured on one CPU thread for the 64-64-64
sweep net: 2× a loop's net-steps/s at 3 cells, ≈3× at 8, little more beyond)."""


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
    batch: bool = True,
) -> SweepReport:
    """Run every cell of ``definition`` not yet finished in ``out`` (prepared by ``prepare_sweep_dir``)
    and write the results; Ctrl-C (or ``control.stop()``) stops it with every finished cell kept
    and the tables written. Cells are submitted as workers free up, so a paused or stopped sweep
    has queued nothing beyond the cells already running.

    ``on_cell`` gets the report at the start and whenever a cell finishes. With ``slots``, a cell is
    submitted only with a slot taken for it, given back when it ends (the slots of cells still
    running when the sweep is interrupted stay taken: the caller gives them back once its pool has
    stopped them). ``on_run`` receives each finished cell's run before its row is written.

    With ``batch`` (the default), cells whose configs differ only in what each member keeps for
    itself (the experiment's ``batch_key``: seed, target, …) train together as one stacked model,
    one task per batch (``plan_batches``); each still gets its own row, equal to its single run's.
    Progress, resume and lost cells stay per cell: a batch whose worker died costs its cells, which
    run again."""
    cells = list(definition.cells())
    rows = finished_rows(out, cells)
    report = SweepReport(total=len(cells), resumed=len(rows))
    queue = deque(plan_batches(definition, [cell for cell in cells if cell.id not in rows], pool.workers if batch else 0))
    attempts: Counter[str] = Counter()
    # a queued task per worker keeps every worker busy; a task queued in the pool must not hold a slot
    in_flight = pool.workers if slots is not None else max(2 * pool.workers, 2)
    pending: dict[Future, list[Cell]] = {}
    written_at = time.monotonic()
    cannot_go_on: SweepError | None = None
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
                    group = queue.popleft()
                    attempts.update(cell.id for cell in group)
                    pending[_submit(pool, definition, group, device, keep_runs=on_run is not None)] = group
            report.waiting = submitting and slots is not None and not pending
            report.in_flight = _ids(pending)
            # read the pause again: cells submitted on an earlier reading are pending, so held stays False
            report.held = not pending and control is not None and control.paused
            if not pending:  # paused, or waiting for a run slot
                time.sleep(POLL_S)
                continue
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            if not done and pool.check is not None:
                pool.check(len(queue) + sum(len(group) for group in pending.values()))
            for future in done:
                group = pending.pop(future)
                if slots is not None:
                    slots.give_slots(1)
                if isinstance(future.exception(), BrokenExecutor) and max(attempts[cell.id] for cell in group) <= WORKER_DEATH_RETRIES:
                    queue.appendleft(group)  # a local worker died: every cell it held is run again on a fresh pool
                    continue
                for cell, result in _results(future, group, report):
                    if _collect(result, cell, out, rows, report, on_run) and on_cell is not None:
                        on_cell(report)
            report.in_flight = _ids(pending)
            if done and time.monotonic() - written_at > TABLE_INTERVAL_S:
                write_tables(out, results_frame(definition, rows))
                written_at = time.monotonic()
    except (KeyboardInterrupt, SweepError) as error:
        report.interrupted = True
        for future in pending:
            future.cancel()
        # the pool cannot run the rest (SweepError): the finished cells are written, then the reason raised
        cannot_go_on = error if isinstance(error, SweepError) else None
    report.in_flight, report.waiting, report.held = frozenset(), False, False
    write_results(definition, out, rows, report, figures=figures, lang=lang)
    if cannot_go_on is not None:
        raise cannot_go_on
    return report


def plan_batches(definition: SweepDefinition, cells: Sequence[Cell], workers: int) -> list[list[Cell]]:
    """``cells`` as the tasks they run in: cells of one ``batch_key`` together, at most
    ``MAX_BATCH`` and at most a worker's share of the cells a batch (so that every worker has work),
    split evenly; every other cell alone. ``workers`` 0: every cell alone (no batching)."""
    experiment = get_experiment(definition.experiment)
    key = experiment.batch_key
    if workers <= 0 or experiment.train_together is None or key is None or len(cells) < 2:
        return [[cell] for cell in cells]
    groups: dict[Hashable, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(key(definition.cell_config(cell)), []).append(cell)
    size = max(1, min(MAX_BATCH, math.ceil(len(cells) / workers)))
    tasks = []
    for group in groups.values():
        count = math.ceil(len(group) / size)
        tasks += [group[i * len(group) // count : (i + 1) * len(group) // count] for i in range(count)]
    return tasks


def _submit(pool: Pool, definition: SweepDefinition, group: list[Cell], device: str, *, keep_runs: bool) -> Future:
    """One task: a cell alone (``run_cell``, as ever), or a batch (``run_cells``)."""
    configs = [to_dict(definition.cell_config(cell)) for cell in group]
    if len(group) == 1:
        task = run_cell_keeping_run if keep_runs else run_cell
        return pool.executor.submit(task, definition.experiment, configs[0], group[0].settings, device)
    settings = [cell.settings for cell in group]
    return pool.executor.submit(run_cells, definition.experiment, configs, settings, device, keep_runs)


def _ids(pending: dict[Future, list[Cell]]) -> frozenset[str]:
    return frozenset(cell.id for group in pending.values() for cell in group)


def _results(future: Future, group: list[Cell], report: SweepReport) -> list[tuple[Cell, Any]]:
    """Each cell of a finished task with its row or run; none for a cancelled task, and for a task
    that failed (a worker's death, a lost connection) none, with every one of its cells lost."""
    try:
        result = future.result()
    except CancelledError:
        return []
    except Exception as error:  # noqa: BLE001 - a worker's death or a lost connection costs this task's cells only
        reason = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}".rstrip(": ")
        report.lost.update(dict.fromkeys((cell.id for cell in group), reason))
        return []
    return list(zip(group, result if len(group) > 1 else [result], strict=True))


def _collect(
    result: dict[str, Any] | CellRun,
    cell: Cell,
    out: Path,
    rows: dict[str, dict[str, Any]],
    report: SweepReport,
    on_run: Callable[[Cell, CellRun], None] | None,
) -> bool:
    """Keep a finished cell's row (and hand its run to ``on_run``); True when it finished (not
    lost or interrupted)."""
    row = result.row if isinstance(result, CellRun) else result
    if row["status"] in UNFINISHED:
        report.lost[cell.id] = row.get("message") or row["status"]
        return False
    if on_run is not None:
        assert isinstance(result, CellRun)
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
