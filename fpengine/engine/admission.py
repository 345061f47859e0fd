"""The one admission gate of a server: whether a unit of compute (a run, a comparison group, the GD
rerun) may join the run queue, and how long a queued run will wait.

Per server: ``FPENGINE_MAX_RUNNING`` runs train at once (the manager's slots, which the Lab's sweep
cells and time estimates borrow through ``JobManager.take_slots``), and at most ``FPENGINE_MAX_QUEUED``
runs wait; a unit that would wait beyond that is refused with "the server is busy, try again in a
minute". Per visitor (a browser, ``owner``): at most ``FPENGINE_MAX_PER_VISITOR`` units unfinished at
once (by default 2: one training and one waiting), a comparison of several runs counting as one. The
Lab's one-sweep-per-visitor rule is the sweep manager's (``SweepManager.start``).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fpengine.i18n import LocalizedError

if TYPE_CHECKING:
    from fpengine.engine.runner import Job

MAX_QUEUED = 48
"""The default of ``FPENGINE_MAX_QUEUED``: a class of 30 pressing Start together, with room."""
MAX_PER_VISITOR = 2
"""The default of ``FPENGINE_MAX_PER_VISITOR``: one unit training and one waiting per browser."""
DEFAULT_RUN_S = 60.0
"""A run's expected length before any run of its experiment has finished here."""


class Refused(LocalizedError):
    """A unit the gate did not admit; its message says why and what to do."""


@dataclass
class Admission:
    max_queued: int = MAX_QUEUED
    per_visitor: int = MAX_PER_VISITOR
    _durations: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, jobs: Iterable[Job], groups: dict[str, str | None], owner: str | None, waits: int) -> None:
        """Raise :class:`Refused` unless a unit of ``owner`` may join, ``waits`` of whose runs would wait
        in the queue (the others start at once): ``jobs`` are the manager's, ``groups`` their comparisons."""
        active = [job for job in jobs if job.status.active and job.control != "stop"]  # a stopping run is on its way out
        if owner is not None:
            units = {groups.get(job.id) or job.id for job in active if job.owner == owner}
            if len(units) >= self.per_visitor:
                raise Refused("run.error.visitor_busy", most=self.per_visitor)
        if waits:
            queued = sum(1 for job in active if job.status.value == "queued")
            if queued + waits > self.max_queued:
                raise Refused("run.error.server_busy", queued=queued, most=self.max_queued)

    def record(self, job: Job) -> None:
        """A finished run's wall time, for the next waits of its experiment (a moving average)."""
        if job.started is None or job.finished is None or job.status.value != "done":
            return
        seconds = job.finished - job.started
        with self._lock:
            old = self._durations.get(job.experiment)
            self._durations[job.experiment] = seconds if old is None else 0.7 * old + 0.3 * seconds

    def expected_seconds(self, job: Job) -> float:
        """How long ``job`` will train once started: what the same experiment took here lately."""
        with self._lock:
            return self._durations.get(job.experiment, DEFAULT_RUN_S)

    def estimated_wait(self, job: Job, running: Iterable[Job], ahead: Iterable[Job], slots: int) -> float:
        """Seconds until the queued ``job`` starts: the ``slots`` free up as the ``running`` runs end
        (their own ETA, or their experiment's typical length) and the runs ``ahead`` of it take them."""
        free = []
        for other in running:
            snapshot = other.snapshot
            eta = snapshot.eta_seconds if snapshot is not None else None
            free.append(eta if eta is not None else self.expected_seconds(other))
        free = sorted(free)[: max(slots, 1)]
        free += [0.0] * (max(slots, 1) - len(free))
        heapq.heapify(free)
        for other in ahead:
            heapq.heappush(free, heapq.heappop(free) + self.expected_seconds(other))
        return max(free[0], 0.0)
