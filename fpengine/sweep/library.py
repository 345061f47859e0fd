"""The Lab page's sweeps on disk: one folder per sweep under ``<runs folder>/sweeps`` (a sweep folder
as the command line writes it, plus ``status.json`` and each cell's thinned ΔF trace), each cell's
run kept among the app's runs, the results a page shows, and the list of earlier sweeps."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from fpengine.engine.runner import ErrorTrace
from fpengine.export import read_json_object, runs_root, write_json
from fpengine.i18n import t
from fpengine.sweep.definition import SweepDefinition
from fpengine.sweep.fit import fit_sweep
from fpengine.sweep.results import DEFINITION_FILE, finished_rows, read_cell_traces, results_frame

STATUS_FILE = "status.json"
ACTIVE = frozenset({"running"})
"""A status.json saying so, of a sweep no manager holds, was cut short (the server stopped)."""


def sweeps_root() -> Path:
    """Where the Lab keeps its sweeps: a folder of the app's runs folder."""
    return runs_root() / "sweeps"


def cell_run_id(sweep_id: str, cell_id: str) -> str:
    """The run id of a sweep's cell among the app's runs (letters and digits, as every run id)."""
    return f"{sweep_id}{cell_id}"


def write_status(out: Path, status: str, cells: int, finished: int, *, created: float, message: str = "") -> None:
    write_json(
        out / STATUS_FILE,
        {"status": status, "cells": cells, "finished_cells": finished, "created": created, "updated": time.time(), "message": message},
        indent=2,
    )


def read_definition(out: Path) -> SweepDefinition:
    """The sweep.json of a Lab sweep (ValueError when it is missing or not a definition)."""
    return SweepDefinition.from_json(read_json_object(out / DEFINITION_FILE))


@dataclass(frozen=True)
class SavedSweep:
    id: str
    definition: SweepDefinition
    status: str
    """As its status.json says; ``interrupted`` for a sweep cut short by a server stop."""
    finished: int
    created: float
    message: str


def open_saved(root: Path, sweep_id: str, live: Collection[str] = ()) -> SavedSweep | None:
    """A sweep of the folder, or None when there is none by that id. A sweep whose status.json
    still says running and that no manager holds (``live``) was cut short: ``interrupted``."""
    if not sweep_id.isalnum():
        return None
    out = root / sweep_id
    try:
        definition = read_definition(out)
        status = json.loads((out / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    state = str(status.get("status", ""))
    if state in ACTIVE and sweep_id not in live:
        state = "interrupted"
    finished = len(finished_rows(out, list(definition.cells())))
    return SavedSweep(sweep_id, definition, state, finished, float(status.get("created", 0)), str(status.get("message", "")))


def list_saved(root: Path, live: Collection[str] = (), most: int = 20) -> list[SavedSweep]:
    """The newest ``most`` sweeps of the folder, newest first."""
    folders = [path for path in root.iterdir() if path.is_dir()] if root.is_dir() else []
    stamped = []
    for folder in folders:
        try:
            stamped.append(((folder / STATUS_FILE).stat().st_mtime, folder.name))
        except OSError:
            continue
    saved = (open_saved(root, name, live) for _, name in sorted(stamped, reverse=True)[:most])
    return [sweep for sweep in saved if sweep is not None]


@dataclass(frozen=True)
class SweepResults:
    """A sweep's finished cells as a page shows them: the results table, the law fits and each
    cell's thinned ΔF trace."""

    definition: SweepDefinition
    frame: pd.DataFrame
    fit: dict[str, Any]
    traces: Mapping[str, ErrorTrace]


def results_of(out: Path, definition: SweepDefinition, finished: int) -> SweepResults:
    """The results of ``out``; read and fitted once per count of finished cells (a live page asks often)."""
    return _results(out, json.dumps(definition.to_json(), sort_keys=True), finished)


@functools.lru_cache(maxsize=8)
def _results(out: Path, definition_json: str, finished: int) -> SweepResults:
    definition = SweepDefinition.from_json(json.loads(definition_json))
    rows = finished_rows(out, list(definition.cells()))
    frame = results_frame(definition, rows)
    return SweepResults(definition, frame, fit_sweep(frame, definition.group_keys), read_cell_traces(out, rows))


def cell_label(settings: Mapping[str, Any], seed: int, lang: str = "en") -> str:
    """``target.frequencies=1,2 · seed 0`` (``种子 0`` in Chinese): a cell's name in the heatmaps
    and the Lab's links; setting names stay as typed."""
    return " · ".join([*(f"{key}={value}" for key, value in settings.items()), f"{t('lab.table.seed', lang)} {seed}"])


def cell_table(
    results: SweepResults,
    in_flight: Collection[str],
    lost: Mapping[str, str],
    links: Mapping[str, str],
    lang: str,
    active: bool = True,
) -> pd.DataFrame:
    """Every cell in grid order with its status (finished, training, lost, waiting, or not run when
    the sweep is no longer ``active``), its figures and ``open``, the address of its run (where
    kept; ``links``: cell id → address)."""
    frame = results.frame.set_index("cell") if len(results.frame) else None
    steps = [name for name in results.frame.columns if name.startswith("convergence_step[")]
    rows = []
    for cell in results.definition.cells():
        done = frame is not None and cell.id in frame.index
        if done:
            status = str(frame.at[cell.id, "status"])
        elif cell.id in in_flight:
            status = "running"
        elif cell.id in lost:
            status = "lost"
        else:
            status = "waiting" if active else "unrun"
        row: dict[str, Any] = {
            **cell.settings,
            t("lab.table.seed", lang): cell.seed,
            t("lab.table.status", lang): t(f"lab.cell.{status}", lang),
        }
        for name, column in (("spearman", "lab.table.spearman"), ("wall_seconds", "lab.table.seconds")):
            row[t(column, lang)] = frame.at[cell.id, name] if done else None
        for name in steps:
            row[name] = frame.at[cell.id, name] if done else None
        row[t("lab.table.open", lang)] = links.get(cell.id)
        rows.append(row)
    return pd.DataFrame(rows)


def cell_links(
    runs_dir: Path,
    sweep_id: str,
    experiment: str,
    cell_ids: Collection[str],
    lang: str,
    setups: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """Cell id → the address of its run on its experiment's page (``<experiment>?run=ID``, relative
    to the app), for the cells whose run is kept (retention may have deleted it); ``setups`` (cell id
    → the page's link parameters of the cell's settings) follow the run, so that the page's
    settings show the cell's too."""
    links = {}
    for cell_id in cell_ids:
        run_id = cell_run_id(sweep_id, cell_id)
        if (runs_dir / run_id / "summary.json").is_file():
            setup = (setups or {}).get(cell_id)
            links[cell_id] = f"{experiment}?run={run_id}&lang={lang}" + (f"&{urlencode(setup, safe=',:')}" if setup else "")
    return links
