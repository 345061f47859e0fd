"""Run a sweep's unfinished cells on a pool and write its tables, law fits and figures."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import to_dict
from ..export import atomic_file, write_json
from .cell import run_cell
from .definition import Cell, SweepDefinition
from .executors import Pool
from .figures import sweep_figures
from .fit import fit_sweep
from .results import UNFINISHED, finished_rows, results_frame, write_cell, write_tables

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


def run_sweep(definition: SweepDefinition, out: Path, pool: Pool, *, device: str = "auto", figures: bool = True,
              lang: str = "en", on_cell: Callable[[SweepReport], None] | None = None) -> SweepReport:
    """Run every cell of ``definition`` not yet finished in ``out`` (prepared by ``prepare_sweep_dir``)
    and write the results; Ctrl-C stops it with every finished cell kept and the tables written."""
    cells = list(definition.cells())
    rows = finished_rows(out, cells)
    report = SweepReport(total=len(cells), resumed=len(rows))
    pending: dict[Future, Cell] = {}
    written_at = time.monotonic()
    if on_cell is not None:
        on_cell(report)
    try:
        for cell in cells:
            if cell.id not in rows:
                config = to_dict(definition.cell_config(cell))
                pending[pool.executor.submit(run_cell, definition.experiment, config, cell.settings, device)] = cell
        for future in as_completed(pending):
            cell = pending.pop(future)
            try:
                row = future.result()
            except CancelledError:
                continue
            except Exception as error:  # noqa: BLE001 - a worker's death or a lost connection costs this cell only
                report.lost[cell.id] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")
                continue
            if row["status"] in UNFINISHED:
                report.lost[cell.id] = row.get("message") or row["status"]
                continue
            rows[cell.id] = write_cell(out, cell, row)
            report.ran += 1
            if on_cell is not None:
                on_cell(report)
            if time.monotonic() - written_at > TABLE_INTERVAL_S:
                write_tables(out, results_frame(definition, rows))
                written_at = time.monotonic()
    except KeyboardInterrupt:
        report.interrupted = True
        for future in pending:
            future.cancel()
    write_results(definition, out, rows, report, figures=figures, lang=lang)
    return report


def write_results(definition: SweepDefinition, out: Path, rows: dict[str, dict[str, Any]], report: SweepReport, *,
                  figures: bool, lang: str) -> None:
    """results.csv/.parquet, fit.json and the figures, from the cells finished so far."""
    frame = results_frame(definition, rows)
    write_tables(out, frame)
    fit = fit_sweep(frame, definition.group_keys)
    write_json(out / "fit.json", {"cells": report.total, "finished_cells": report.finished, **fit}, indent=2, allow_nan=False)
    if figures and len(frame):
        for name, chart in sweep_figures(frame, fit, definition.group_keys, lang).items():
            with atomic_file(out / f"figure_{name}.png") as handle:
                chart.save(handle, format="png", scale_factor=2)
