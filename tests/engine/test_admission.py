"""The admission gate (issue 22): a bounded queue with a clear "server busy", one unit training and one
waiting per visitor (a comparison counts as one), and an estimated wait for every queued run."""

from __future__ import annotations

import pytest
import torch

from fpengine.engine.admission import Admission, Refused
from fpengine.engine.runner import JobManager, RunContext, Status
from tests.conftest import wait_until

CPU = torch.device("cpu")


def endless(config, ctx: RunContext) -> None:
    ctx.total_steps = 1000
    step = 0
    while True:
        ctx.checkpoint()
        step += 1
        if ctx.publish_due():
            ctx.publish(step=min(step, 999), metrics={"step": [step], "loss": [1.0]})
        ctx.job._wait_resume(0.001)


@pytest.fixture
def manager():
    jobs = JobManager(max_running=1, lease_seconds=None, publish_interval=0.01, admission=Admission(max_queued=2, per_visitor=2))
    yield jobs
    jobs.shutdown()


def test_a_full_queue_refuses_with_a_message_in_both_languages(manager):
    running = manager.submit("fake", None, endless, CPU, owner="a")
    wait_until(lambda: running.status is Status.RUNNING)
    queued = [manager.submit("fake", None, endless, CPU, owner=who) for who in ("b", "c")]
    assert all(job.status is Status.QUEUED for job in queued)
    with pytest.raises(Refused) as refusal:
        manager.submit("fake", None, endless, CPU, owner="d")
    assert "server is busy" in refusal.value.message("en") and "try again in a minute" in refusal.value.message("en").lower()
    assert "服务器繁忙" in refusal.value.message("zh")
    queued[0].stop()  # a place in the line frees up: the next visitor is admitted
    manager.submit("fake", None, endless, CPU, owner="d")


def test_one_visitor_has_one_unit_training_and_one_waiting_a_comparison_counting_as_one(manager):
    manager.admission.max_queued = 10
    manager.submit_group("fake", [None, None, None], endless, CPU, owner="a")  # one unit of three runs
    second = manager.submit("fake", None, endless, CPU, owner="a")
    with pytest.raises(Refused) as refusal:
        manager.submit("fake", None, endless, CPU, owner="a")
    assert "FPENGINE_MAX_PER_VISITOR" in str(refusal.value)
    with pytest.raises(Refused):
        manager.submit_group("fake", [None, None], endless, CPU, owner="a")
    second.stop()  # a stopped run no longer counts
    manager.submit("fake", None, endless, CPU, owner="a")


def test_every_queued_run_has_an_estimated_wait_that_grows_down_the_line(manager):
    manager.admission.max_queued = 5
    running = manager.submit("fake", None, endless, CPU, owner="a")
    wait_until(lambda: running.snapshot is not None and running.snapshot.steps_per_second > 0)
    first, second = (manager.submit("fake", None, endless, CPU, owner=who) for who in ("b", "c"))
    assert manager.estimated_wait(running) is None
    wait_first, wait_second = manager.estimated_wait(first), manager.estimated_wait(second)
    assert wait_first is not None and wait_second is not None
    assert wait_second >= wait_first + 59  # the run ahead takes the typical length (no run has finished yet: 60 s)
