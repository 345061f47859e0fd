"""Lab sweeps are bounded per server and per visitor (issue 20, finding 4): at most ``max_sweeps``
train at once (each keeps a pool of worker processes), the rest wait in line with their place shown,
and one visitor has at most one unfinished sweep."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from fpengine.engine.runner import JobManager
from fpengine.sweep.background import SweepManager, SweepStatus
from fpengine.sweep.definition import SweepError
from tests.conftest import wait_until
from tests.sweep.test_background import small, thread_pool


class Pools:
    """A pool opener that holds each pool closed until ``gate`` is set, counting pools open at once."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.open = 0
        self.most = 0
        self.opened = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self, workers: int, scheduler: str | None) -> Iterator:
        with self._lock:
            self.open += 1
            self.opened += 1
            self.most = max(self.most, self.open)
        try:
            self.gate.wait(60)
            with thread_pool(workers, scheduler) as pool:
                yield pool
        finally:
            with self._lock:
                self.open -= 1


@pytest.fixture
def lab(tmp_path):
    jobs = JobManager(max_running=1, lease_seconds=None)
    pools = Pools()
    options = {"max_cells": 50, "workers": 1, "figures": False, "pool_opener": pools, "lease_seconds": None, "max_sweeps": 1}
    manager = SweepManager(tmp_path / "sweeps", tmp_path, slots=jobs, **options)
    yield manager, pools
    pools.gate.set()
    manager.shutdown()
    jobs.shutdown()


def test_sweeps_beyond_the_servers_bound_wait_in_line_with_their_place(lab):
    manager, pools = lab
    first = manager.start(small(seeds=1), device="cpu")
    second = manager.start(small(seeds=1), device="cpu")
    third = manager.start(small(seeds=1), device="cpu")
    wait_until(lambda: pools.opened == 1, timeout=30)
    assert (second.progress().status, second.progress().queue_position) == (SweepStatus.QUEUED, 1)
    assert (third.progress().status, third.progress().queue_position) == (SweepStatus.QUEUED, 2)
    assert first.progress().status is SweepStatus.STARTING and first.progress().queue_position is None
    pools.gate.set()
    assert all(sweep.wait(120) for sweep in (first, second, third))
    assert all(sweep.progress().status is SweepStatus.DONE for sweep in (first, second, third))
    assert pools.most == 1  # never two pools of workers at once


def test_a_sweep_stopped_in_line_never_trains_and_the_line_moves_up(lab):
    manager, pools = lab
    first = manager.start(small(seeds=1), device="cpu")
    second = manager.start(small(seeds=1), device="cpu")
    third = manager.start(small(seeds=1), device="cpu")
    wait_until(lambda: third.progress().queue_position == 2, timeout=30)
    second.stop()
    assert second.wait(30) and second.progress().status is SweepStatus.STOPPED
    assert third.progress().queue_position == 1
    pools.gate.set()
    assert first.wait(120) and third.wait(120)
    assert pools.opened == 2  # the stopped one never opened its pool


def test_one_visitor_has_one_unfinished_sweep_at_a_time(lab):
    manager, pools = lab
    mine = manager.start(small(seeds=1), device="cpu", owner="visitor-a")
    with pytest.raises(SweepError) as refused:
        manager.start(small(seeds=1), device="cpu", owner="visitor-a")
    assert refused.value.key == "lab.error.one_sweep_each" and "\n" not in refused.value.message("zh")
    theirs = manager.start(small(seeds=1), device="cpu", owner="visitor-b")  # another visitor may
    pools.gate.set()
    assert mine.wait(120) and theirs.wait(120)
    again = manager.start(small(seeds=1), device="cpu", owner="visitor-a")  # once it has ended, again
    assert again.wait(120)
