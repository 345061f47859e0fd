"""Retention of the app's runs folder: a classroom server saves every run, so its disk must not fill.

Run folders older than a number of days, and then the oldest beyond a total size, are deleted; never
a run still in use (training or being saved) and never the newest one. The Lab page's sweeps folder
is kept by the same limits.

Only folders the app itself saved are touched, and only they count: the app marks each one
(:func:`mark_app_folder`), so a CLI run, or anything else kept in the same folder, is never deleted.
Symbolic links are never followed, and what retention could not delete does not count towards the
size limit (it would otherwise delete every other run).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
from collections.abc import Collection
from pathlib import Path

from fpengine.settings.environment import env_number

log = logging.getLogger(__name__)

MAX_AGE_DAYS = 30
MAX_MB = 2000
MOST_DAYS = 36_500
MOST_MB = 1e9
"""Bounds of the two settings (a century; a petabyte): 0 already means no limit."""
APP_MARKER = ".fpengine-app"
"""The empty file the app writes into every folder it saves (runs, Lab sweeps): retention's licence."""


def mark_app_folder(folder: Path) -> None:
    """Mark ``folder`` as saved by the app, so retention may delete it later."""
    (folder / APP_MARKER).touch()


def _regular_file(path: Path) -> os.stat_result | None:
    """``path``'s own status when it is a regular file (a symbolic link is not), else None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _own_files(folder: Path) -> list[os.stat_result]:
    """The status of every regular file under ``folder``; links to files or folders not followed."""
    found = []
    for top, _, names in os.walk(folder, followlinks=False):
        for name in names:
            info = _regular_file(Path(top) / name)
            if info is not None:
                found.append(info)
    return found


def retention_limits() -> tuple[float, float]:
    """(days, megabytes) from ``FPENGINE_RUNS_MAX_AGE_DAYS`` and ``FPENGINE_RUNS_MAX_MB`` (0: no limit)."""
    return (
        env_number("FPENGINE_RUNS_MAX_AGE_DAYS", MAX_AGE_DAYS, whole=False, maximum=MOST_DAYS),
        env_number("FPENGINE_RUNS_MAX_MB", MAX_MB, whole=False, maximum=MOST_MB),
    )


def _run_folders(root: Path, marker: str) -> list[tuple[float, int, Path]]:
    """(modified time, bytes, folder) of every run folder, oldest first. Only real folders (not
    links) named like a run id, holding ``marker`` and the app's own mark count: the folder may be
    shared with other things. A sweep's folder holds a folder of cells, counted too."""
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            if not (folder.name.isalnum() and stat.S_ISDIR(os.lstat(folder).st_mode)):
                continue
            if _regular_file(folder / marker) is None or _regular_file(folder / APP_MARKER) is None:
                continue
            stats = [os.lstat(folder), *_own_files(folder)]
        except OSError:  # deleted meanwhile (another run's retention)
            continue
        found.append((max(s.st_mtime for s in stats), sum(s.st_size for s in stats[1:]), folder))
    return sorted(found, key=lambda entry: entry[0])


def prune_runs(
    root: Path,
    *,
    max_age_days: float,
    max_mb: float,
    busy: Collection[str] = (),
    now: float | None = None,
    marker: str = "config.json",
) -> list[Path]:
    """Delete run folders under ``root`` older than ``max_age_days``, then the oldest until the rest
    take at most ``max_mb`` megabytes (0: no limit of that kind). ``busy`` names runs in use; they
    and the newest folder are kept. A folder counts when it holds ``marker`` (``sweep.json`` for
    the sweeps folder). Returns the deleted folders."""
    folders = _run_folders(root, marker)
    keep = {folder.name for *_, folder in folders[-1:]} | set(busy)
    now = time.time() if now is None else now
    total = sum(size for _, size, _ in folders)
    deleted = []
    for modified, size, folder in folders:
        too_old = max_age_days > 0 and now - modified > max_age_days * 86400
        too_big = max_mb > 0 and total > max_mb * 1e6
        if folder.name in keep or not (too_old or too_big):
            continue
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:  # another run's retention was first
            pass
        except OSError as error:  # what cannot be deleted no longer counts
            log.warning("could not delete old run %s: %s", folder, error)
            total -= size
            continue
        total -= size
        deleted.append(folder)
    return deleted
