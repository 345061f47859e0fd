"""What waits on a Dask cluster whose workers all left (here: a worker that cannot import fpengine,
which Dask ends at its first task) ends with one line naming the cluster instead of waiting forever:
a sweep, with what it finished written; a run, which Stop also ends. A real scheduler and worker on
127.0.0.1."""

from __future__ import annotations

import json

import pytest
import torch

from fpengine.engine import workers
from fpengine.engine.runner import JobManager, Status
from fpengine.registry import EXPERIMENTS, get_experiment
from fpengine.settings.config import apply_override
from fpengine.sweep.presets import SMALL_FAST_NET
from tests.cli_helpers import assert_refused, cli_here, within
from tests.dask_helpers import local_cluster

pytestmark = pytest.mark.slow  # starts a Dask cluster

SETTINGS = (*SMALL_FAST_NET, "training.steps=20", "target.frequencies=1", "target.amplitudes=1")


@pytest.fixture
def cluster_that_cannot_import(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(workers, "DASK_WORKERS_GONE_S", 1.0)
    monkeypatch.setattr(workers, "DASK_WORKERS_CHECK_S", 0.2)
    blocker = tmp_path / "no_fpengine.py"
    blocker.write_text('import sys\nsys.modules["fpengine"] = None  # this worker cannot import the package\n')
    with local_cluster(preload=[str(blocker)]) as cluster:
        yield cluster.scheduler_address


def test_a_sweep_whose_workers_all_left_stops_with_a_reason(cluster_that_cannot_import, tmp_path):
    address, out = cluster_that_cannot_import, tmp_path / "out"
    args = ["sweep", "sine-fit", "--seeds", "2", "--scheduler", address, "--out", str(out), "--no-figures", "--quiet"]
    result = within(120, cli_here, *args, *(arg for item in SETTINGS for arg in ("--set", item)))
    line = assert_refused(result, address, "fpengine")
    assert "2 cells left" in line, line
    fit = json.loads((out / "fit.json").read_text())  # the tables of what finished are written, for a resume
    assert fit["cells"] == 2 and fit["finished_cells"] == 0 and (out / "sweep.json").is_file()


def test_a_run_on_a_cluster_without_workers_ends_and_stop_ends_it_sooner(cluster_that_cannot_import, monkeypatch):
    monkeypatch.setattr(workers, "STOP_GRACE_S", 0.5)
    experiment = EXPERIMENTS["sine-fit"]
    config = experiment.default_config("quick")
    for item in SETTINGS:
        config = apply_override(config, *item.split("=", 1))
    placement = workers.DaskWorkers(cluster_that_cannot_import, workers.LocalWorkers(1, get_experiment))
    assert placement.client() is not None  # connected while its worker was there
    manager = JobManager(lease_seconds=None, placement=placement)
    try:
        stopped = manager.submit(experiment.name, config, experiment.run, torch.device("cpu"))
        stopped.stop()  # its task never runs: no worker reads the control
        assert stopped.wait(30) and stopped.status is Status.STOPPED, stopped.message
        failed = manager.submit(experiment.name, config, experiment.run, torch.device("cpu"))
        assert failed.wait(30) and failed.status is Status.FAILED
        assert cluster_that_cannot_import in failed.message and "fpengine" in failed.message and "\n" not in failed.message
        assert "工作进程" in failed.error.message("zh")
    finally:
        manager.shutdown()
        placement.close()
