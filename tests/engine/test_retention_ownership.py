"""Retention deletes only what the app wrote and counts only what it may delete; downloads hold only
a run's own regular files (issue 20, finding 9)."""

from __future__ import annotations

import io
import os
import shutil
import zipfile

from fpengine import retention
from fpengine.export import zip_run
from fpengine.retention import APP_MARKER, mark_app_folder, prune_runs
from fpengine.sweep.results import zip_sweep

DAY = 86400
NOW = 1_800_000_000.0


def run_folder(root, name: str, age_days: float, megabytes: float = 0.01, *, app: bool = True):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    if app:
        mark_app_folder(folder)
    (folder / "snapshot.npz").write_bytes(b"\0" * int(megabytes * 1e6))
    for path in (*folder.iterdir(), folder):
        os.utime(path, (NOW - age_days * DAY,) * 2, follow_symlinks=False)
    return folder


def names(root) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def test_a_folder_the_app_did_not_save_is_never_deleted(tmp_path):
    run_folder(tmp_path, "clirun", 90, app=False)  # a CLI run (or anyone's project) kept there
    run_folder(tmp_path, "apprun", 90)
    run_folder(tmp_path, "newest", 0)
    deleted = prune_runs(tmp_path, max_age_days=30, max_mb=0.001, now=NOW)
    assert [path.name for path in deleted] == ["apprun"]
    assert names(tmp_path) == ["clirun", "newest"]


def test_a_marker_that_is_a_link_or_a_folder_is_no_licence(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / APP_MARKER).touch()
    root = tmp_path / "runs"
    linked = run_folder(root, "linked", 90, app=False)
    (linked / APP_MARKER).symlink_to(elsewhere / APP_MARKER)
    folder = run_folder(root, "folder", 90, app=False)
    (folder / APP_MARKER).mkdir()
    run_folder(root, "newest", 0)
    assert prune_runs(root, max_age_days=30, max_mb=0, now=NOW) == []


def test_a_linked_run_folder_is_neither_deleted_nor_counted(tmp_path):
    outside = run_folder(tmp_path / "outside", "big", 90, megabytes=5)
    root = tmp_path / "runs"
    run_folder(root, "older", 2, megabytes=1)
    run_folder(root, "newest", 1, megabytes=1)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    assert prune_runs(root, max_age_days=30, max_mb=2.5, now=NOW) == []
    assert names(root) == ["linked", "newest", "older"] and (outside / "snapshot.npz").exists()


def test_a_link_inside_a_run_folder_is_not_counted(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 5_000_000)
    root = tmp_path / "runs"
    older = run_folder(root, "older", 2, megabytes=1)
    (older / "link.bin").symlink_to(big)
    (older / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    run_folder(root, "newest", 1, megabytes=1)
    assert prune_runs(root, max_age_days=0, max_mb=2.5, now=NOW) == []
    assert big.exists()


def test_what_cannot_be_deleted_stops_counting(tmp_path, monkeypatch):
    for name, age in (("stuck", 4), ("b", 3), ("c", 2), ("d", 1)):
        run_folder(tmp_path, name, age, megabytes=1)
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if os.path.basename(path) == "stuck":
            raise PermissionError(13, "Permission denied")
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(retention.shutil, "rmtree", rmtree)
    prune_runs(tmp_path, max_age_days=0, max_mb=3.5, now=NOW)  # b, c and d alone fit in 3.5 MB...
    assert names(tmp_path) == ["b", "c", "d", "stuck"]  # ...once 'stuck' no longer counts


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_run_download_holds_only_its_own_regular_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    folder = run_folder(tmp_path / "runs", "run1", 0)
    (folder / "summary.json").symlink_to(secret)
    (folder / "figure_x.png").symlink_to(tmp_path, target_is_directory=True)
    (folder / "fifo").mkdir()
    assert sorted(_members(zip_run(folder))) == ["config.json", "snapshot.npz"]


def test_a_sweep_download_follows_no_link(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("not yours")
    folder = tmp_path / "sweeps" / "sweep1"
    (folder / "cells").mkdir(parents=True)
    (folder / "sweep.json").write_text("{}")
    (folder / "cells" / "c1.npz").write_bytes(b"npz")
    (folder / "cells" / "c2.npz").symlink_to(secret / "key.txt")
    (folder / "cells" / "more").symlink_to(secret, target_is_directory=True)
    (folder / "results.csv").symlink_to(secret / "key.txt")
    mark_app_folder(folder)
    members = _members(zip_sweep(folder))
    assert sorted(members) == ["cells/c1.npz", "sweep.json"]
    assert b"not yours" not in b"".join(members.values())
