"""Run a sweep's unfinished cells on a pool and write its tables, law fits and figures."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpengine.export import atomic_file, write_json
from fpengine.settings.config import to_dict
from fpengine.sweep.cell import run_cell
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
) -> SweepReport:
    """Run every cell of ``definition`` not yet finished in ``out`` (prepared by ``prepare_sweep_dir``)
    and write the results; Ctrl-C (or ``control.stop()``) stops it with every finished cell kept
    and the tables written. Cells are submitted as workers free up, so a paused or stopped sweep
    has queued nothing beyond the cells already running."""
    cells = list(definition.cells())
    rows = finished_rows(out, cells)
    report = SweepReport(total=len(cells), resumed=len(rows))
    waiting = iter([cell for cell in cells if cell.id not in rows])
    retry: deque[Cell] = deque()
    attempts: Counter[str] = Counter()
    in_flight = max(2 * pool.workers, 2)  # a queued cell per worker: no worker waits for the parent
    pending: dict[Future, Cell] = {}
    written_at = time.monotonic()
    if on_cell is not None:
        on_cell(report)
    try:
        while True:
            if control is not None and control.stopped:
                raise KeyboardInterrupt
            if control is None or not control.paused:
                for cell in itertools.islice(itertools.chain(_drain(retry), waiting), in_flight - len(pending)):
                    attempts[cell.id] += 1
                    config = to_dict(definition.cell_config(cell))
                    pending[pool.executor.submit(run_cell, definition.experiment, config, cell.settings, device)] = cell
            if not pending:
                if control is not None and control.paused:
                    time.sleep(POLL_S)
                    continue
                break
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                cell = pending.pop(future)
                if isinstance(future.exception(), BrokenExecutor) and attempts[cell.id] <= WORKER_DEATH_RETRIES:
                    retry.append(cell)  # a local worker died: every cell it held is run again on a fresh pool
                elif _collect(future, cell, out, rows, report) and on_cell is not None:
                    on_cell(report)
            if done and time.monotonic() - written_at > TABLE_INTERVAL_S:
                write_tables(out, results_frame(definition, rows))
                written_at = time.monotonic()
    except KeyboardInterrupt:
        report.interrupted = True
        for future in pending:
            future.cancel()
    write_results(definition, out, rows, report, figures=figures, lang=lang)
    return report


def _drain(queue: deque[Cell]) -> Iterator[Cell]:
    while queue:
        yield queue.popleft()


def _collect(future: Future, cell: Cell, out: Path, rows: dict[str, dict[str, Any]], report: SweepReport) -> bool:
    """Keep a finished cell's row; True when it finished (not cancelled, lost or interrupted)."""
    try:
        row = future.result()
    except CancelledError:
        return False
    except Exception as error:  # noqa: BLE001 - a worker's death or a lost connection costs this cell only
        report.lost[cell.id] = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}".rstrip(": ")
        return False
    if row["status"] in UNFINISHED:
        report.lost[cell.id] = row.get("message") or row["status"]
        return False
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
