"""Run directories: what the CLI writes and the app saves, and how a saved run is read back.

Layout (a public contract, keep it stable): ``config.json`` (the experiment's config), ``metrics.csv``
(one row per recorded step: ``step``, ``loss``, …, then ``<trace>[<key>]`` columns such as
``delta_f[3]``), ``summary.json``, ``snapshot.npz`` + ``snapshot.json`` (the final snapshot, to reopen
the run) and ``figure_<name>.png``.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .config import from_dict, to_dict
from .experiment import Experiment
from .runner import ErrorTrace, Snapshot


def runs_root() -> Path:
    """Where the app keeps finished runs: ``$FPENGINE_RUNS_DIR`` or the user cache directory."""
    configured = os.environ.get("FPENGINE_RUNS_DIR")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "fpengine" / "runs"


def metrics_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Metrics and every trace's columns joined on ``step``."""
    frame = pd.DataFrame({name: np.asarray(values) for name, values in snapshot.metrics.items()})
    for name, trace in snapshot.traces.items():
        columns = {f"{name}[{key}]": np.asarray(trace.errors)[:, i] for i, key in enumerate(trace.keys)}
        trace_frame = pd.DataFrame({"step": np.asarray(trace.steps), **columns})
        frame = trace_frame if frame.empty else frame.merge(trace_frame, on="step", how="outer")
    return frame.sort_values("step").reset_index(drop=True) if "step" in frame else frame


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def build_summary(experiment: Experiment, config: Any, snapshot: Snapshot, *, status: str, device: str,
                  message: str = "") -> dict[str, Any]:
    summary: dict[str, Any] = {
        "experiment": experiment.name,
        "status": status,
        "steps": snapshot.step,
        "total_steps": snapshot.total_steps,
        "device": device,
        "final_loss": snapshot.final_loss,
        "steps_per_second": round(snapshot.step / snapshot.elapsed, 3) if snapshot.elapsed > 0 else None,
        "wall_seconds": round(snapshot.elapsed, 3),
    }
    if message:
        summary["message"] = message
    summary.update(experiment.summarize(config, snapshot))
    return _json_safe(summary)


def save_snapshot(directory: Path, snapshot: Snapshot) -> None:
    arrays: dict[str, np.ndarray] = {f"metrics/{k}": np.asarray(v) for k, v in snapshot.metrics.items()}
    meta: dict[str, Any] = {
        "step": snapshot.step, "total_steps": snapshot.total_steps, "elapsed": snapshot.elapsed,
        "steps_per_second": snapshot.steps_per_second, "traces": {}, "views": {},
    }
    for name, trace in snapshot.traces.items():
        arrays[f"traces/{name}/steps"] = np.asarray(trace.steps)
        arrays[f"traces/{name}/errors"] = np.asarray(trace.errors)
        meta["traces"][name] = {"keys": list(trace.keys), "values": list(trace.values)}
    for name, value in snapshot.views.items():
        if isinstance(value, np.ndarray):
            arrays[f"views/{name}"] = value
        else:
            meta["views"][name] = value
    np.savez_compressed(directory / "snapshot.npz", **arrays)
    (directory / "snapshot.json").write_text(json.dumps(_json_safe(meta), indent=1))


def load_snapshot(directory: Path) -> Snapshot:
    meta = json.loads((directory / "snapshot.json").read_text())
    with np.load(directory / "snapshot.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    metrics = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("metrics/")}
    views: dict[str, Any] = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("views/")}
    views.update(meta["views"])
    traces = {
        name: ErrorTrace(arrays[f"traces/{name}/steps"], arrays[f"traces/{name}/errors"],
                         tuple(info["keys"]), tuple(info["values"])).frozen()
        for name, info in meta["traces"].items()
    }
    return Snapshot(meta["step"], meta["total_steps"], meta["elapsed"], meta["steps_per_second"],
                    MappingProxyType(metrics), MappingProxyType(traces), MappingProxyType(views))


def write_figures(directory: Path, experiment: Experiment, config: Any, snapshot: Snapshot, lang: str = "en") -> list[Path]:
    written = []
    for name, chart in experiment.figures(config, snapshot, lang).items():
        path = directory / f"figure_{name}.png"
        chart.save(str(path), format="png", scale_factor=2)
        written.append(path)
    return written


def write_run(directory: Path, experiment: Experiment, config: Any, snapshot: Snapshot, *, status: str,
              device: str, message: str = "", figures: bool = True, lang: str = "en") -> dict[str, Any]:
    """Write the whole run directory; return the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps({"experiment": experiment.name, **to_dict(config)}, indent=2, ensure_ascii=False))
    metrics_frame(snapshot).to_csv(directory / "metrics.csv", index=False, float_format="%.6g")
    summary = build_summary(experiment, config, snapshot, status=status, device=device, message=message)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    save_snapshot(directory, snapshot)
    if figures:
        write_figures(directory, experiment, config, snapshot, lang)
    return summary


def read_config(path: Path, experiment: Experiment) -> Any:
    """A config.json written by ``write_run`` (its ``experiment`` key must match)."""
    data = json.loads(Path(path).read_text())
    named = data.pop("experiment", experiment.name)
    if named != experiment.name:
        raise ValueError(f"{path} is a config of {named!r}, not {experiment.name!r}")
    return from_dict(experiment.config_type, data)


@dataclass(frozen=True)
class SavedRun:
    experiment: str
    config: Any
    snapshot: Snapshot
    summary: dict[str, Any]


def load_run(directory: Path, experiments: dict[str, Experiment]) -> SavedRun:
    summary = json.loads((directory / "summary.json").read_text())
    experiment = experiments[summary["experiment"]]
    return SavedRun(experiment.name, read_config(directory / "config.json", experiment), load_snapshot(directory), summary)


def zip_run(directory: Path) -> bytes:
    """The run directory as a zip archive (for the app's download button)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            if path.is_file():
                archive.write(path, arcname=path.name)
    return buffer.getvalue()
