"""Run directories: what the CLI writes and the app saves, and how a saved run is read back.

Layout (a public contract, keep it stable): ``config.json`` (the experiment's config), ``metrics.csv``
(one row per recorded step: ``step``, ``loss``, …, then ``<trace>[<key>]`` columns such as
``delta_f[3]``), ``summary.json``, ``snapshot.npz`` + ``snapshot.json`` (the final snapshot, to reopen
the run) and ``figure_<name>.png``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from fpengine.engine.device import backend_settings
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.engine.views import renamed
from fpengine.settings.config import ConfigError, from_dict, to_dict

RUN_FILES = ("config.json", "metrics.csv", "summary.json", "snapshot.npz", "snapshot.json", "figure_*.png")
"""What ``write_run`` writes (glob patterns): the files a rerun into the same folder replaces."""
MAX_CONFIG_BYTES = 1_000_000
"""A config.json is a few kB; the bound keeps ``--config /dev/zero``-like mistakes from filling memory."""


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` under a temporary name beside it, renamed onto ``path`` only once complete:
    a crash or a failed write leaves the previous file (or none), never half a file, and no
    temporary file behind."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any, **options: Any) -> None:
    with atomic_file(path) as handle:
        handle.write(json.dumps(data, ensure_ascii=False, **options).encode())


def _is_run_folder(directory: Path) -> bool:
    return (directory / "summary.json").is_file() or (directory / "config.json").is_file()


def prepare_run_dir(directory: str | Path) -> Path:
    """Make sure a run can be written to ``directory`` before anything is trained: create it,
    refuse an empty name, a file, a folder that holds something other than an earlier run (which
    is replaced), and a folder that cannot be written. ValueError says why in one line."""
    return prepare_output_dir(directory, _is_run_folder, "no earlier run (no summary.json or config.json)")


def prepare_output_dir(directory: str | Path, is_earlier: Callable[[Path], bool], not_earlier: str) -> Path:
    """Create ``directory`` and check that it can be written; a non-empty folder must be an
    earlier output of the same command (``is_earlier``), else ValueError "… holds ``not_earlier``"."""
    if not str(directory).strip():
        raise ValueError("the folder name is empty")
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ValueError(f"{str(path)!r} exists and is not a folder") from None
    except OSError as error:
        raise ValueError(f"cannot create the folder {str(path)!r} ({error.strerror})") from None
    if any(path.iterdir()) and not is_earlier(path):
        raise ValueError(f"{str(path)!r} is not empty and holds {not_earlier}; choose a new or empty folder")
    probe = path / ".fpengine-write-test"
    try:  # os.access says yes to root, whatever the mode: really write
        with atomic_file(probe):
            pass
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write into {str(path)!r} ({error.strerror})") from None
    return path


def _remove_stale(directory: Path, written: set[Path]) -> None:
    """Drop an earlier run's files this run did not rewrite (its figures after ``--no-figures``)."""
    for pattern in RUN_FILES:
        for path in directory.glob(pattern):
            if path not in written:
                path.unlink()


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


def build_summary(
    experiment: Experiment, config: Any, snapshot: Snapshot, *, status: str, device: str, message: str = ""
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "experiment": experiment.name,
        "status": status,
        "steps": snapshot.step,
        "total_steps": snapshot.total_steps,
        "device": device,
        "backend": backend_settings(),
        "final_loss": snapshot.final_loss,
        "steps_per_second": round(snapshot.step / snapshot.elapsed, 3) if snapshot.elapsed > 0 else None,
        "wall_seconds": round(snapshot.elapsed, 3),
    }
    if message:
        summary["message"] = message
    summary.update(experiment.summarize(config, snapshot))
    return _json_safe(summary)


def save_snapshot(directory: Path, snapshot: Snapshot, aliases: Mapping[str, str] | None = None) -> list[Path]:
    """snapshot.npz and snapshot.json; a view is also written under each old name of it (``aliases``:
    old → name), for readers of an earlier version's files."""
    arrays: dict[str, np.ndarray] = {f"metrics/{k}": np.asarray(v) for k, v in snapshot.metrics.items()}
    meta: dict[str, Any] = {
        "step": snapshot.step,
        "total_steps": snapshot.total_steps,
        "elapsed": snapshot.elapsed,
        "steps_per_second": snapshot.steps_per_second,
        "traces": {},
        "views": {},
    }
    for name, trace in snapshot.traces.items():
        arrays[f"traces/{name}/steps"] = np.asarray(trace.steps)
        arrays[f"traces/{name}/errors"] = np.asarray(trace.errors)
        meta["traces"][name] = {"keys": list(trace.keys), "values": list(trace.values)}
    old_names = {new: old for old, new in (aliases or {}).items()}
    views = {**snapshot.views, **{old_names[name]: value for name, value in snapshot.views.items() if name in old_names}}
    for name, value in views.items():
        if isinstance(value, np.ndarray):
            arrays[f"views/{name}"] = value
        else:
            meta["views"][name] = value
    with atomic_file(directory / "snapshot.npz") as handle:
        np.savez_compressed(handle, **arrays)
    write_json(directory / "snapshot.json", _json_safe(meta), indent=1)
    return [directory / "snapshot.npz", directory / "snapshot.json"]


def load_snapshot(directory: Path, aliases: Mapping[str, str] | None = None) -> Snapshot:
    """A saved snapshot; a view saved under an old name (``aliases``: old → name) is read as the new one."""
    meta = json.loads((directory / "snapshot.json").read_text())
    with np.load(directory / "snapshot.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    metrics = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("metrics/")}
    views: dict[str, Any] = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("views/")}
    views.update(meta["views"])
    views = renamed(views, aliases or {})
    traces = {
        name: ErrorTrace(
            arrays[f"traces/{name}/steps"], arrays[f"traces/{name}/errors"], tuple(info["keys"]), tuple(info["values"])
        ).frozen()
        for name, info in meta["traces"].items()
    }
    return Snapshot(
        meta["step"],
        meta["total_steps"],
        meta["elapsed"],
        meta["steps_per_second"],
        MappingProxyType(metrics),
        MappingProxyType(traces),
        MappingProxyType(views),
    )


def write_figures(directory: Path, experiment: Experiment, config: Any, snapshot: Snapshot, lang: str = "en") -> list[Path]:
    written = []
    for name, chart in experiment.figures(config, snapshot, lang).items():
        path = directory / f"figure_{name}.png"
        with atomic_file(path) as handle:
            chart.save(handle, format="png", scale_factor=2)
        written.append(path)
    return written


def write_run(
    directory: Path,
    experiment: Experiment,
    config: Any,
    snapshot: Snapshot,
    *,
    status: str,
    device: str,
    message: str = "",
    figures: bool = True,
    lang: str = "en",
) -> dict[str, Any]:
    """Write the whole run directory, each file atomically; an earlier run's files that this run
    does not rewrite are removed last. Returns the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "config.json", {"experiment": experiment.name, **to_dict(config)}, indent=2)
    with atomic_file(directory / "metrics.csv") as handle:
        metrics_frame(snapshot).to_csv(handle, index=False, float_format="%.6g")
    summary = build_summary(experiment, config, snapshot, status=status, device=device, message=message)
    write_json(directory / "summary.json", summary, indent=2)
    written = {directory / name for name in ("config.json", "metrics.csv", "summary.json")}
    written.update(save_snapshot(directory, snapshot, experiment.views.aliases()))
    if figures:
        written.update(write_figures(directory, experiment, config, snapshot, lang))
    _remove_stale(directory, written)
    return summary


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a setting can take")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise ValueError(f"{text} is beyond the range of numbers")
    return value


def read_json_object(path: str | Path) -> dict[str, Any]:
    """A JSON object from a regular file of at most ``MAX_CONFIG_BYTES``; ValueError names the file
    (and the line and column of a syntax error). The size and the kind of file are checked before
    reading: a device would never end, a FIFO would block."""
    shown_path = repr(str(path))
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{shown_path} is not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ValueError(f"{shown_path} is {info.st_size:,} bytes; a config is at most {MAX_CONFIG_BYTES:,}")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ValueError(f"cannot read {shown_path} ({error.strerror})") from None
    if len(raw) > MAX_CONFIG_BYTES:  # it grew since the stat
        raise ValueError(f"{shown_path} is over {MAX_CONFIG_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise ValueError(f"{shown_path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{shown_path} is not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{shown_path} is nested too deeply") from None
    except ValueError as error:  # NaN, Infinity, 1e999, an integer of thousands of digits
        raise ValueError(f"{shown_path}: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{shown_path} holds a JSON {type(data).__name__}, not an object of settings")
    return data


def read_config(path: str | Path, experiment: Experiment) -> Any:
    """A config.json written by ``write_run`` (its ``experiment`` key must match)."""
    data = read_json_object(path)
    named = data.pop("experiment", experiment.name)
    if named != experiment.name:
        raise ValueError(f"{str(path)!r} is a config of {named!r}, not {experiment.name!r}")
    try:
        return from_dict(experiment.config_type, data)
    except ConfigError as error:  # the file's content is wrong, not a typed setting: name the file
        raise ValueError(f"{str(path)!r}: {error}") from None


@dataclass(frozen=True)
class SavedRun:
    experiment: str
    config: Any
    snapshot: Snapshot
    summary: dict[str, Any]


def load_run(directory: Path, experiments: dict[str, Experiment]) -> SavedRun:
    summary = json.loads((directory / "summary.json").read_text())
    experiment = experiments[summary["experiment"]]
    snapshot = load_snapshot(directory, experiment.views.aliases())
    return SavedRun(experiment.name, read_config(directory / "config.json", experiment), snapshot, summary)


def zip_run(directory: Path) -> bytes:
    """The run directory as a zip archive (for the app's download button)."""
    return zip_folder(directory, recursive=False)


def _read_own_file(path: Path) -> tuple[bytes, float] | None:
    """The bytes and modified time of ``path`` when it is a regular file of its own: a symbolic link
    (even one swapped in after the listing) is not opened."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return handle.read(), info.st_mtime


def zip_folder(directory: Path, *, recursive: bool) -> bytes:
    """A zip of the folder's own regular files (in its sub-folders too when ``recursive``), hidden
    files left out. Symbolic links are never followed: a download holds only what the app wrote."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if directory.is_symlink():
            return _closed(archive, buffer)
        for top, folders, names in os.walk(directory, followlinks=False):
            folders[:] = sorted(name for name in folders if recursive and not name.startswith("."))
            for name in sorted(names):
                path = Path(top) / name
                own = None if name.startswith(".") else _read_own_file(path)
                if own is None:
                    continue
                data, modified = own
                info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), _zip_time(modified))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    return buffer.getvalue()


def _closed(archive: zipfile.ZipFile, buffer: io.BytesIO) -> bytes:
    archive.close()
    return buffer.getvalue()


def _zip_time(modified: float) -> tuple[int, int, int, int, int, int]:
    return max(time.localtime(modified)[:6], (1980, 1, 1, 0, 0, 0))
