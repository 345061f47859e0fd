"""A sweep's folder: ``sweep.json``, one ``cells/<id>.json`` per finished cell (written atomically
as the cell ends, so an interrupted sweep keeps every finished cell), and the tables built from
them: ``results.csv`` and ``results.parquet``. A sweep of the Lab page also keeps each cell's ΔF
trace, thinned, as ``cells/<id>.npz``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fpengine.engine.runner import ErrorTrace
from fpengine.export import atomic_file, prepare_output_dir, read_json_object, write_json, zip_folder
from fpengine.sweep.cell import BATCH, ROW_FIELDS, RUN_STEPS, THEORY_FIELDS
from fpengine.sweep.definition import Cell, SweepDefinition, SweepError

DEFINITION_FILE = "sweep.json"
CELLS_DIR = "cells"
UNFINISHED = frozenset({"stopped", "queued", "running", "paused"})
"""A cell that ended so was interrupted, not finished: a rerun runs it again."""
TRACE_RECORDS = 200
"""A kept trace has at most this many records (steps): enough for a small heatmap, a few kB a cell."""


def prepare_sweep_dir(directory: str | Path, definition: SweepDefinition, *, where: str = "--out") -> Path:
    """Create or reopen a sweep folder. An earlier sweep of the same experiment and base config is
    resumed (and may gain seeds or grid values); any other folder content is refused. ``where``
    names what chose the folder in a refusal: the CLI's ``--out``, or the server's runs folder."""
    try:
        path = prepare_output_dir(directory, lambda p: (p / DEFINITION_FILE).is_file(), "no earlier sweep (no sweep.json)")
    except ValueError as error:
        if where == "--out":
            raise SweepError("sweep.error.at", where="--out", error=error) from None
        raise SweepError("sweep.error.server_folder", where=where, error=error) from None
    if (path / DEFINITION_FILE).is_file():
        try:
            earlier = SweepDefinition.from_json(read_json_object(path / DEFINITION_FILE))
        except ValueError as error:
            raise SweepError("sweep.error.at", where=f"--out: {path / DEFINITION_FILE}", error=error) from None
        if (earlier.experiment, earlier.base_config) != (definition.experiment, definition.base_config):
            other = "other_experiment" if earlier.experiment != definition.experiment else "other_base_config"
            raise SweepError(f"sweep.error.{other}", path=str(path))
    (path / CELLS_DIR).mkdir(exist_ok=True)
    write_json(path / DEFINITION_FILE, definition.to_json(), indent=2)
    return path


def write_cell(directory: Path, cell: Cell, row: dict[str, Any]) -> dict[str, Any]:
    """Keep a finished cell's row, named by its id; returns the row as stored."""
    stored = {"cell": cell.id, **row}
    write_json(directory / CELLS_DIR / f"{cell.id}.json", stored, allow_nan=False)
    return stored


def finished_rows(directory: Path, cells: Sequence[Cell]) -> dict[str, dict[str, Any]]:
    """The rows of ``cells`` already finished in ``directory`` (an unreadable file counts as not run)."""
    rows = {}
    for cell in cells:
        path = directory / CELLS_DIR / f"{cell.id}.json"
        try:
            row = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(row, dict) and row.get("status") not in UNFINISHED:
            rows[cell.id] = row
    return rows


def results_frame(definition: SweepDefinition, rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per finished cell in the grid's order: the grid keys as typed, ``seed``, ``status``,
    the summary figures, ``convergence_step[ω]`` by increasing ω, then ``frequencies``, ``message``,
    ``cell``; then (added later, so after the older columns) ``run_steps`` and, for cells that made the
    linearised prediction, ``predicted_convergence_step[ω]`` and the drifts; ``batch`` (how many cells
    trained together; empty: alone) when any cell trained in a batch; ``predicted_convergence_step_in_run[ω]``
    (the prediction read on the run's own record, as the measured step is)."""
    ordered = [rows[cell.id] for cell in definition.cells() if cell.id in rows]
    frame = pd.DataFrame(ordered)
    convergence = _step_columns(ordered, "convergence_step")
    predicted = _step_columns(ordered, "predicted_convergence_step")
    theory = [name for name in THEORY_FIELDS if any(name in row for row in ordered)] if predicted else []
    batched = [BATCH] if any(BATCH in row for row in ordered) else []
    in_run = _step_columns(ordered, "predicted_convergence_step_in_run")
    added = ([RUN_STEPS] if any(RUN_STEPS in row for row in ordered) else []) + predicted + theory + batched + in_run
    columns = [*definition.grid_keys, *ROW_FIELDS, *convergence, "frequencies", "message", "cell", *added]
    frame = frame.reindex(columns=columns)
    for key in definition.grid_keys:  # as typed, even where every value looks like a number
        frame[key] = frame[key].astype("string")
    frame["seed"] = frame["seed"].astype("Int64")
    frame["status"] = frame["status"].astype("string")
    for name in (*ROW_FIELDS[2:], *convergence, *added):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("frequencies", "message", "cell"):
        frame[name] = frame[name].astype("string")
    return frame


def _step_columns(rows: list[dict[str, Any]], prefix: str) -> list[str]:
    """The ``<prefix>[ω]`` columns of ``rows``, by increasing ω."""
    return sorted(
        {name for row in rows for name in row if name.startswith(f"{prefix}[")}, key=lambda name: float(name[len(prefix) + 1 : -1])
    )


def write_tables(directory: Path, frame: pd.DataFrame) -> None:
    with atomic_file(directory / "results.csv") as handle:
        handle.write(frame.to_csv(index=False).encode())
    with atomic_file(directory / "results.parquet") as handle:
        frame.to_parquet(handle, index=False)


def write_cell_trace(directory: Path, cell: Cell, trace: ErrorTrace) -> None:
    """Keep a cell's error trace thinned to at most ``TRACE_RECORDS`` evenly spread records (the
    first and the last among them)."""
    steps = np.asarray(trace.steps)
    keep = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), TRACE_RECORDS)).round().astype(int)) if len(steps) else []
    with atomic_file(directory / CELLS_DIR / f"{cell.id}.npz") as handle:
        np.savez_compressed(
            handle,
            steps=steps[keep],
            errors=np.asarray(trace.errors)[keep],
            keys=np.asarray(trace.keys, dtype=str),
            values=np.asarray(trace.values, dtype=float),
        )


def read_cell_traces(directory: Path, cell_ids: Iterable[str]) -> dict[str, ErrorTrace]:
    """The kept traces of these cells (a cell without one, or with an unreadable one, is left out)."""
    traces = {}
    for cell_id in cell_ids:
        try:
            with np.load(directory / CELLS_DIR / f"{cell_id}.npz", allow_pickle=False) as data:
                traces[cell_id] = ErrorTrace(data["steps"], data["errors"], tuple(data["keys"].tolist()), tuple(data["values"].tolist()))
        except (OSError, ValueError, KeyError):
            continue
    return traces


def zip_sweep(directory: Path) -> bytes:
    """The whole sweep folder (definition, tables, fit, figures and cells) as one zip archive."""
    return zip_folder(directory, recursive=True)
