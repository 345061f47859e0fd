"""A worker's training does not wait for the server to read its snapshots (``fpengine.engine.outbox``):
the messages keep their order, a snapshot waiting behind the one being sent is replaced by a newer one,
the run's last snapshot goes before its end, and a failed send ends the run."""

from __future__ import annotations

import threading

import pytest

from fpengine.engine.outbox import Outbox
from fpengine.engine.runner import Status
from fpengine.engine.workers import CONTROL, Task, train_task
from fpengine.registry import EXPERIMENTS, get_experiment
from fpengine.settings.config import apply_override
from tests.conftest import wait_until

EXPERIMENT = EXPERIMENTS["equal-amplitude"]


def test_messages_keep_their_order_and_a_waiting_snapshot_is_replaced_by_a_newer_one():
    reading = threading.Event()
    sent: list[tuple] = []

    def send(message: tuple) -> None:
        reading.wait(10)  # the server is busy: nothing is read until the test lets it
        sent.append(message)

    outbox = Outbox(send)
    posted = [("snapshot", 1), ("status", "paused"), ("snapshot", 2), ("snapshot", 3)]
    posted += [("status", "running"), ("snapshot", 4), ("snapshot", 5)]
    for message in posted:
        outbox.post(message)
    assert sent == []  # every post returned while the first message was still being sent
    reading.set()
    outbox.close()
    assert sent == [("snapshot", 1), ("status", "paused"), ("snapshot", 3), ("status", "running"), ("snapshot", 5)]


def test_a_failed_send_is_raised_by_the_next_post_and_by_close():
    def send(message: tuple) -> None:
        raise BrokenPipeError("the server has gone")

    outbox = Outbox(send)
    outbox.post(("snapshot", 1))
    with pytest.raises(BrokenPipeError):
        wait_until(lambda: outbox.post(("snapshot", 2)), timeout=5)
    with pytest.raises(BrokenPipeError):
        outbox.close()
    last = Outbox(send)
    last.post(("snapshot", 1))  # the last message: nothing posted after it to raise the error
    with pytest.raises(BrokenPipeError):
        last.close()


def test_a_run_trains_on_while_its_snapshot_waits_to_be_read_and_ends_with_its_last_one():
    steps = 1500
    config = apply_override(EXPERIMENT.default_config("quick"), "training.steps", str(steps))
    task = Task("outbox", EXPERIMENT.name, config, "cpu", 1, None, 0.05, None)
    reading = threading.Event()
    sent: list[tuple] = []
    checkpoints = 0

    def send(message: tuple) -> None:
        reading.wait(60)
        sent.append(message)

    def control() -> int:
        nonlocal checkpoints
        checkpoints += 1
        return CONTROL["run"]

    outcome: list[tuple] = []
    trainer = threading.Thread(target=lambda: outcome.append(train_task(task, send, control, get_experiment)))
    trainer.start()
    try:
        # the first snapshot (step 1) is being sent and not read: the training goes on regardless
        wait_until(lambda: checkpoints > 400, timeout=30)
    finally:
        reading.set()
        trainer.join(60)
    assert outcome and Status(outcome[0][0]) is Status.DONE
    snapshots = [message[1] for message in sent if message[0] == "snapshot"]
    assert snapshots[0].step < 10 < steps
    assert sent[-1][0] == "snapshot" and sent[-1][1].step == steps  # sent before train_task returned
