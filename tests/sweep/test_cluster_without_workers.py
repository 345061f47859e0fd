"""A sweep on a cluster whose workers all leave (here: a worker that cannot import fpengine, which Dask
ends at its first task) stops with one line naming the cluster instead of waiting forever, and keeps
what it wrote. A real scheduler and worker on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from fpengine.sweep import executors
from fpengine.sweep.presets import SMALL_FAST_NET
from tests.cli_helpers import assert_refused, cli_here, within

pytestmark = pytest.mark.slow  # starts a Dask cluster


def test_a_sweep_whose_workers_all_left_stops_with_a_reason(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "WORKERS_GONE_S", 2.0)
    monkeypatch.setattr(executors, "WORKERS_CHECK_S", 0.2)
    blocker = tmp_path / "no_fpengine.py"
    blocker.write_text('import sys\nsys.modules["fpengine"] = None  # this worker cannot import the package\n')
    settings = (*SMALL_FAST_NET, "training.steps=20", "target.frequencies=1", "target.amplitudes=1")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1", preload=[str(blocker)]
    ) as cluster:
        out = tmp_path / "out"
        args = ["sweep", "sine-fit", "--seeds", "2", "--scheduler", cluster.scheduler_address, "--out", str(out)]
        result = within(120, cli_here, *args, *(arg for item in settings for arg in ("--set", item)), "--no-figures", "--quiet")
    line = assert_refused(result, cluster.scheduler_address, "fpengine")
    assert "2 cells left" in line, line
    fit = json.loads((out / "fit.json").read_text())  # the tables of what finished are written, for a resume
    assert fit["cells"] == 2 and fit["finished_cells"] == 0 and (out / "sweep.json").is_file()
