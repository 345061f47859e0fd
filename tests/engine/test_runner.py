"""The run engine: snapshots, pause/resume/stop latency, divergence, the job cap and leases."""

import time

import numpy as np
import pytest
import torch

from fpengine.engine.runner import JobManager, RunContext, Status
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override
from tests.conftest import wait_until

CPU = torch.device("cpu")


def endless(steps_per_publish: int = 1):
    """A fake experiment: counts steps forever (until stopped), publishing as it goes."""

    def train(config, ctx: RunContext) -> None:
        ctx.total_steps = 10**9
        step = 0
        while True:
            ctx.checkpoint()
            time.sleep(0.001)
            step += 1
            if ctx.publish_due():
                ctx.publish(step, {"step": np.arange(3), "loss": np.ones(3)})

    return train


def test_snapshots_are_immutable_copies():
    manager = JobManager(lease_seconds=None, publish_interval=0.01)
    job = manager.submit("fake", None, endless(), CPU)
    snapshot = wait_until(lambda: job.snapshot)
    with pytest.raises(ValueError):
        snapshot.metrics["loss"][0] = 5.0
    with pytest.raises(TypeError):
        snapshot.metrics["new"] = np.zeros(1)
    job.stop()
    assert job.wait(5)


def test_pause_resume_and_stop_act_within_half_a_second():
    manager = JobManager(lease_seconds=None, publish_interval=0.01)
    job = manager.submit("fake", None, endless(), CPU)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 10)

    job.pause()
    started = time.monotonic()
    wait_until(lambda: job.status is Status.PAUSED, timeout=0.5)
    paused_step = job.snapshot.step
    time.sleep(0.3)
    assert job.snapshot.step <= paused_step + 1
    assert time.monotonic() - started < 1.0

    job.resume()
    wait_until(lambda: job.snapshot.step > paused_step + 5, timeout=2)

    started = time.monotonic()
    job.stop()
    assert job.wait(0.5)
    assert time.monotonic() - started < 0.5
    assert job.status is Status.STOPPED


def test_stop_while_paused_is_immediate():
    manager = JobManager(lease_seconds=None, publish_interval=0.01)
    job = manager.submit("fake", None, endless(), CPU)
    wait_until(lambda: job.snapshot is not None)
    job.pause()
    wait_until(lambda: job.status is Status.PAUSED)
    started = time.monotonic()
    job.stop()
    assert job.wait(0.5) and time.monotonic() - started < 0.5
    assert job.status is Status.STOPPED


def test_real_training_stops_within_half_a_second():
    config = EXPERIMENTS["equal-amplitude"].default_config("book")
    manager = JobManager(lease_seconds=None)
    job = manager.submit("equal-amplitude", config, EXPERIMENTS["equal-amplitude"].run, CPU)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 5)
    started = time.monotonic()
    job.stop()
    assert job.wait(0.5), "the worker did not stop in time"
    assert time.monotonic() - started < 0.5


def test_divergence_is_reported_and_the_last_good_snapshot_kept():
    config = EXPERIMENTS["equal-amplitude"].default_config("quick")
    for key, value in (("training.optimizer", "sgd"), ("training.lr", "10"), ("training.steps", "2000")):
        config = apply_override(config, key, value)
    manager = JobManager(lease_seconds=None, publish_interval=0.05)
    job = manager.submit("equal-amplitude", config, EXPERIMENTS["equal-amplitude"].run, CPU)
    assert job.wait(60)
    assert job.status is Status.DIVERGED
    assert job.message.startswith("step ")
    if job.snapshot is not None:
        assert np.all(np.isfinite(job.snapshot.metrics["loss"]))


def test_failures_end_the_run_visibly():
    def broken(config, ctx):
        raise RuntimeError("boom")

    job = JobManager(lease_seconds=None).submit("fake", None, broken, CPU)
    assert job.wait(5)
    assert job.status is Status.FAILED and "boom" in job.message


def test_job_cap_queues_the_rest_and_starts_them_in_order():
    manager = JobManager(max_running=1, lease_seconds=None, publish_interval=0.01)
    first = manager.submit("fake", None, endless(), CPU)
    second = manager.submit("fake", None, endless(), CPU)
    third = manager.submit("fake", None, endless(), CPU)
    wait_until(lambda: first.snapshot is not None)
    assert second.status is Status.QUEUED and third.status is Status.QUEUED
    assert manager.queue_position(second) == 1 and manager.queue_position(third) == 2
    third.stop()  # leaving the queue
    assert third.status is Status.STOPPED and third.wait(1)
    first.stop()
    wait_until(lambda: second.status is Status.RUNNING, timeout=5)
    assert manager.running_count() == 1
    manager.shutdown()
    assert second.status is Status.STOPPED


def test_abandoned_runs_are_stopped_after_the_lease():
    manager = JobManager(lease_seconds=0.4, publish_interval=0.01)
    watched = manager.submit("fake", None, endless(), CPU)
    manager.max_running = 2
    abandoned = manager.submit("fake", None, endless(), CPU)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        watched.touch()
        time.sleep(0.05)
    assert abandoned.wait(2) and abandoned.status is Status.STOPPED and abandoned.message == "abandoned"
    assert watched.status is Status.RUNNING
    manager.shutdown()


def test_finished_runs_are_handed_to_the_finish_hook():
    saved = []
    manager = JobManager(lease_seconds=None, on_finish=lambda job: saved.append((job.id, job.status)))
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "training.steps", "20")
    job = manager.submit("equal-amplitude", config, EXPERIMENTS["equal-amplitude"].run, CPU)
    assert job.wait(30)
    assert saved == [(job.id, Status.DONE)]
    assert job.snapshot.step == 20 and job.snapshot.total_steps == 20


def instant(config, ctx: RunContext) -> None:
    """A fake experiment that finishes at once with one snapshot."""
    ctx.total_steps = 1
    ctx.publish(1, {"step": np.arange(1), "loss": np.ones(1)})


def ids(jobs) -> set[str]:
    return {job.id for job in jobs}


def test_only_active_jobs_and_the_newest_finished_ones_stay_in_memory():
    manager = JobManager(max_running=2, lease_seconds=None, keep_finished=3)
    active = manager.submit("fake", None, endless(), CPU)
    finished = [manager.submit("fake", None, instant, CPU) for _ in range(8)]
    assert all(job.wait(5) for job in finished)
    assert ids(manager.jobs()) == ids([active, *finished[-3:]])
    assert manager.get(finished[0].id) is None and active.status is Status.RUNNING
    active.stop()
    assert active.wait(5)
    assert ids(manager.jobs()) == ids([*finished[-2:], active])  # now the newest finished one


def test_a_job_leaves_memory_only_after_its_finish_hook_saved_it():
    in_memory_while_saving = []
    manager = JobManager(lease_seconds=None, keep_finished=0, on_finish=lambda job: in_memory_while_saving.append(manager.get(job.id)))
    job = manager.submit("fake", None, instant, CPU)
    assert job.wait(5)
    assert in_memory_while_saving == [job]
    assert manager.get(job.id) is None


def test_a_failing_finish_hook_neither_stalls_the_queue_nor_keeps_the_job():
    def broken_save(job):
        raise OSError("disk full")

    manager = JobManager(max_running=1, lease_seconds=None, keep_finished=0, on_finish=broken_save)
    first, second = (manager.submit("fake", None, instant, CPU) for _ in range(2))
    assert first.wait(5) and second.wait(5), "the queued run never started"
    assert manager.jobs() == []


def test_jobs_stopped_in_the_queue_are_dropped_too():
    manager = JobManager(max_running=1, lease_seconds=None, keep_finished=1)
    running = manager.submit("fake", None, endless(), CPU)
    older, newer = (manager.submit("fake", None, endless(), CPU) for _ in range(2))
    older.stop()
    newer.stop()
    later = manager.submit("fake", None, endless(), CPU)
    assert ids(manager.jobs()) == ids([running, newer, later])
    manager.shutdown()


def test_a_finished_member_of_a_running_comparison_stays_in_memory():
    def instant_or_endless(config, ctx):
        (instant if config == "instant" else endless())(config, ctx)

    def slowly():  # the quick member has finished before the other is submitted
        yield "instant"
        time.sleep(0.5)
        yield "endless"

    manager = JobManager(max_running=2, lease_seconds=None, keep_finished=0)
    member, still_running = manager.submit_group("fake", slowly(), instant_or_endless, CPU)
    alone = manager.submit("fake", None, instant, CPU)
    assert member.wait(5) and alone.wait(5)
    assert manager.get(member.id) is member and manager.get(alone.id) is None
    still_running.stop()
    assert still_running.wait(5)
    assert manager.jobs() == []
