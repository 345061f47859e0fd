"""No run holds a slot forever, and the memory check leaves room for the runs already training
(issue 20, finding 13)."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch

from fpengine.engine import memory
from fpengine.engine.memory import MemoryEstimate, admitted, check_memory
from fpengine.engine.runner import SERVER_MAX_RUN_SECONDS, JobManager, Status
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import ConfigError
from tests.conftest import wait_until

CPU = torch.device("cpu")
GiB = 2**30


def endless(config, ctx):
    """A run that would train forever: it only ever reaches its checkpoints."""
    while True:
        ctx.checkpoint()
        threading.Event().wait(0.01)


def test_a_run_past_the_servers_time_limit_ends_with_a_clear_message_and_frees_its_slot():
    manager = JobManager(max_running=1, lease_seconds=None, max_run_seconds=0.3)
    first = manager.submit("test", None, endless, CPU)
    second = manager.submit("test", None, endless, CPU)
    assert second.status is Status.QUEUED
    assert first.wait(30), "the run outlived the limit"
    assert first.status is Status.FAILED and first.error is not None and first.error.key == "run.error.time_limit"
    assert "FPENGINE_MAX_RUN_SECONDS" in first.error.message("en") and "FPENGINE_MAX_RUN_SECONDS" in first.error.message("zh")
    wait_until(lambda: second.status is not Status.QUEUED, timeout=30)  # the slot went to the next run
    manager.shutdown()


def test_a_paused_run_is_ended_too_it_holds_its_slot():
    manager = JobManager(max_running=1, lease_seconds=None, max_run_seconds=0.5)
    job = manager.submit("test", None, endless, CPU)
    job.pause()
    assert job.wait(30) and job.status is Status.FAILED and job.error.key == "run.error.time_limit"
    manager.shutdown()


def test_without_a_limit_the_cli_manager_never_ends_a_run():
    manager = JobManager(max_running=1, lease_seconds=None)
    job = manager.submit("test", None, endless, CPU)
    assert not job.wait(1.0)
    job.stop()
    assert job.wait(10) and job.status is Status.STOPPED


@pytest.mark.parametrize(("value", "expected"), [("", SERVER_MAX_RUN_SECONDS), ("0", None), ("90", 90.0)])
def test_the_server_reads_its_run_time_limit(monkeypatch, value, expected):
    from ui.common import job_manager

    monkeypatch.setenv("FPENGINE_MAX_RUN_SECONDS", value)
    job_manager.clear()
    try:
        assert job_manager().max_run_seconds == expected
    finally:
        job_manager().shutdown()
        job_manager.clear()


def estimate(gib: float) -> MemoryEstimate:
    return MemoryEstimate(device=int(gib * GiB), host=0, settings=("network.widths",))


def test_the_memory_check_leaves_room_for_the_runs_already_admitted_and_names_both(monkeypatch):
    monkeypatch.setattr(memory, "memory_budget", lambda device: 10 * GiB)
    with admitted(estimate(6), CPU):
        check_memory(estimate(6), CPU)  # alone it would fit
        with pytest.raises(ConfigError) as refused:
            with admitted(estimate(6), CPU):
                pass
        english = str(refused.value)
        assert "needs about 6.0 GiB" in english and "about 4.0 GiB free once 6.0 GiB is kept for the 1 run(s)" in english
        assert "6.0 GiB" in refused.value.message("zh") and "4.0 GiB" in refused.value.message("zh")
        with admitted(estimate(3), CPU):  # what fits beside it is admitted
            pass
    with admitted(estimate(6), CPU):  # the first has ended: its room is free again
        pass


def test_a_second_large_run_started_while_one_trains_is_refused_with_both_numbers(monkeypatch):
    monkeypatch.setattr(memory, "memory_budget", lambda device: 10 * GiB)
    release = threading.Event()

    def hold(config, ctx):
        while not release.is_set():
            ctx.checkpoint()
            release.wait(0.01)

    big = dataclasses.replace(EXPERIMENTS["sine-fit"], train=hold, memory=lambda config, device: estimate(6))
    config = big.default_config("quick")
    manager = JobManager(max_running=2, lease_seconds=None)
    first = manager.submit("big", config, big.run, CPU)
    wait_until(lambda: first.status is Status.RUNNING and memory.reserved_memory(CPU)[1] == 1, timeout=30)
    second = manager.submit("big", config, big.run, CPU)
    assert second.wait(30) and second.status is Status.FAILED
    assert second.error.key == "run.error.memory_shared" and "6.0 GiB" in str(second.error), str(second.error)
    release.set()
    assert first.wait(30) and first.status is Status.DONE
    assert memory.reserved_memory(CPU) == (0, 0)
