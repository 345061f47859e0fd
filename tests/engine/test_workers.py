"""Runs in worker processes (issue 22): the same numbers as in the server's thread, control across the
process boundary, a worker killed mid-run, and a run on a real Dask cluster. Real processes, tiny runs."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import torch

from fpengine.engine.runner import JobManager, Status
from fpengine.engine.workers import LocalWorkers
from fpengine.registry import EXPERIMENTS, get_experiment
from fpengine.settings.config import apply_override
from tests.conftest import wait_until
from tests.dask_helpers import local_cluster

pytestmark = pytest.mark.slow  # starts worker processes

CPU = torch.device("cpu")
EXPERIMENT = EXPERIMENTS["equal-amplitude"]


def short_config(steps: int = 60):
    return apply_override(EXPERIMENT.default_config("quick"), "training.steps", str(steps))


def long_config():
    return apply_override(EXPERIMENT.default_config("quick"), "training.steps", "1000000")


@pytest.fixture(scope="module")
def workers():
    pool = LocalWorkers(1, get_experiment, threads=1)
    pool.warm().join()
    yield pool
    pool.close()


def train(placement, config):
    manager = JobManager(lease_seconds=None, publish_interval=0.05, placement=placement)
    job = manager.submit(EXPERIMENT.name, config, EXPERIMENT.run, CPU)
    assert job.wait(120)
    return job


def assert_same_run(a, b):
    assert a.status is b.status is Status.DONE, (a.message, b.message)
    assert a.snapshot.step == b.snapshot.step
    for name, values in a.snapshot.metrics.items():
        np.testing.assert_array_equal(values, b.snapshot.metrics[name], err_msg=name)
    for name, trace in a.snapshot.traces.items():
        np.testing.assert_array_equal(trace.errors, b.snapshot.traces[name].errors, err_msg=name)
    assert EXPERIMENT.summarize(a.config, a.snapshot) == EXPERIMENT.summarize(b.config, b.snapshot)


def test_a_run_in_a_worker_process_equals_the_run_in_a_thread(workers):
    torch.set_num_threads(1)
    in_thread = train(None, short_config())
    in_worker = train(workers, short_config())
    assert in_worker.placement is workers  # it did not quietly train here
    assert_same_run(in_thread, in_worker)


def test_a_run_on_a_visitors_photo_trains_from_memory_in_a_worker_that_ends_with_it(workers):
    from fpengine.image.pictures import Picture
    from fpengine.image.uploads import remember_upload

    image = EXPERIMENTS["image-fit"]
    picture = Picture(np.random.default_rng(0).random((24, 32, 3)).astype(np.float32), "me.png")
    config = image.default_config("quick")
    for key, value in (("image", remember_upload(picture, "visitor")), ("long_side", "16"), ("training.steps", "15")):
        config = apply_override(config, key, value)
    runs = []
    for placement in (None, workers):
        manager = JobManager(lease_seconds=None, publish_interval=0.05, placement=placement)
        before = set(workers.processes)
        runs.append(manager.submit(image.name, config, image.run, CPU, owner="visitor", private=True, holds=picture))
        assert runs[-1].wait(120) and runs[-1].status is Status.DONE, runs[-1].message
    np.testing.assert_array_equal(runs[0].snapshot.metrics["loss"], runs[1].snapshot.metrics["loss"])
    assert runs[1].placement is workers and not before & set(workers.processes)  # no process keeps the pixels


def test_pause_resume_and_stop_reach_the_worker(workers):
    manager = JobManager(lease_seconds=None, publish_interval=0.02, placement=workers)
    job = manager.submit(EXPERIMENT.name, long_config(), EXPERIMENT.run, CPU)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 5, timeout=60)
    job.pause()
    wait_until(lambda: job.status is Status.PAUSED, timeout=5)
    paused = job.snapshot.step
    wait_until(lambda: job.snapshot.step == paused, timeout=5)  # at most the step in flight is published
    job.resume()
    wait_until(lambda: job.status is Status.RUNNING and job.snapshot.step > paused + 5, timeout=10)
    job.stop()
    assert job.wait(5)
    assert job.status is Status.STOPPED
    assert train(workers, short_config(10)).status is Status.DONE  # the worker is free again


def test_a_killed_worker_fails_its_run_and_the_next_run_gets_a_fresh_one(workers):
    manager = JobManager(lease_seconds=None, publish_interval=0.02, placement=workers)
    job = manager.submit(EXPERIMENT.name, long_config(), EXPERIMENT.run, CPU)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 5, timeout=60)
    (pid,) = workers.processes
    os.kill(pid, signal.SIGKILL)
    assert job.wait(10)
    assert job.status is Status.FAILED
    assert "worker process" in job.message and "\n" not in job.message
    assert job.error is not None and "工作进程" in job.error.message("zh")
    again = train(workers, short_config(10))
    assert again.status is Status.DONE
    assert pid not in workers.processes


def test_a_run_on_a_dask_cluster_equals_the_run_in_a_thread_and_a_lost_cluster_falls_back(workers):
    pytest.importorskip("distributed")
    from fpengine.engine.workers import DaskWorkers
    from fpengine.sweep.executors import check_scheduler

    torch.set_num_threads(1)
    in_thread = train(None, short_config())
    with local_cluster() as cluster:
        cluster_placement = DaskWorkers(cluster.scheduler_address, workers, threads=1, check=check_scheduler)
        try:
            on_cluster = train(cluster_placement, short_config())
            assert on_cluster.placement is cluster_placement and cluster_placement.notice is None
            assert_same_run(in_thread, on_cluster)
        finally:
            cluster_placement.close_client()
    # the cluster is gone: new runs go to the local workers, and the server says so
    manager = JobManager(lease_seconds=None, placement=cluster_placement)
    job = manager.submit(EXPERIMENT.name, short_config(10), EXPERIMENT.run, CPU)
    assert job.wait(60) and job.status is Status.DONE
    assert job.placement is workers  # trained by the local worker
    assert cluster_placement.notice is not None and cluster_placement.address in cluster_placement.notice.message("zh")


@pytest.mark.parametrize(
    "first, meanwhile",
    [
        ("warm-up", "run"),  # the warm-up's worker is starting: a run arrives and, none idle, starts its own
        ("run", "warm-up"),  # the run's own worker is starting: the warm-up adds an idle one meanwhile
    ],
)
def test_a_run_and_the_warm_up_starting_workers_at_once_leave_one_worker_in_a_pool_of_one(monkeypatch, first, meanwhile):
    from fpengine.engine import workers as module

    pool = LocalWorkers(1, get_experiment, threads=1)
    real = module._Worker
    start = {"warm-up": lambda: pool.warm().join(), "run": pool._take}
    interleaved = []

    def start_while_the_other_side_starts_one(*args):
        worker = real(*args)
        if not interleaved:
            interleaved.append(meanwhile)
            start[meanwhile]()
        return worker

    monkeypatch.setattr(module, "_Worker", start_while_the_other_side_starts_one)
    try:
        start[first]()
        assert interleaved == [meanwhile] and len(pool.processes) == 1
    finally:
        pool.close()
