"""Replaying a run: the steps a run keeps a frame of, the frame nearest a chosen step, and the next
step of a replay at a given speed.

A run keeps at most ``HISTORY_FRAMES`` frames, evenly spaced in steps from 0 to its last step, so a
saved run stays small however long it trained. A frame is what the live views show at that step
(the output, its spectrum, a picture); an experiment names the views its frames replace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from fpengine.engine.runner import Snapshot
from fpengine.engine.views import Views

HISTORY_FRAMES = 101
"""Frames a run keeps at most: every 1 % of a run, its first and last step included."""
SPEEDS = (1, 2, 4, 8)
"""Replay speeds: frames advanced per tick."""


class ReplayViews(Views):
    """What a replayable run publishes: the steps it keeps a frame of (every experiment: one name)."""

    history_steps: np.ndarray


STEPS = ReplayViews.history_steps

FrameViews = Callable[[Mapping[str, Any], int], dict[str, Any]]
"""(a snapshot's views, a frame's index) → the views that frame replaces."""


def history_steps(total_steps: int, frames: int = HISTORY_FRAMES) -> np.ndarray:
    """At most ``frames`` steps evenly spread over 0…``total_steps``, both ends included."""
    return np.unique(np.linspace(0, total_steps, min(frames, total_steps + 1)).round().astype(int))


def nearest_index(steps: np.ndarray, step: float) -> int:
    """The index of the value of ``steps`` (sorted, not empty) nearest ``step``; a tie goes to the earlier."""
    steps = np.asarray(steps)
    right = int(np.clip(np.searchsorted(steps, step), 0, len(steps) - 1))
    left = max(right - 1, 0)
    return left if abs(step - steps[left]) <= abs(steps[right] - step) else right


def replay_steps(snapshot: Snapshot) -> np.ndarray:
    """The steps a replay of ``snapshot`` can show: its kept frames' (view ``history_steps``) and,
    when newer, the snapshot's own step (a paused run between two frames)."""
    kept = np.asarray(snapshot.views.get(STEPS, ()), dtype=int)
    kept = kept[kept <= snapshot.step]
    return kept if len(kept) and kept[-1] == snapshot.step else np.append(kept, snapshot.step)


def frame_at(snapshot: Snapshot, step: float, frame_views: FrameViews) -> tuple[int, Snapshot]:
    """The frame nearest ``step``: its step, and ``snapshot`` with that frame's views
    (``frame_views``) in place of the latest. The snapshot's own step gives the snapshot unchanged."""
    steps = replay_steps(snapshot)
    chosen = int(steps[nearest_index(steps, step)])
    if chosen == snapshot.step:
        return chosen, snapshot
    index = int(np.flatnonzero(np.asarray(snapshot.views[STEPS]) == chosen)[0])
    views = MappingProxyType({**snapshot.views, **frame_views(snapshot.views, index)})
    return chosen, dataclasses.replace(snapshot, views=views)


def step_frame(snapshot: Snapshot, step: float) -> tuple[int, Snapshot]:
    """The kept step (``history_steps``) nearest ``step``, for views that replay only a cursor
    (the whole run stays drawn): the step, and the snapshot unchanged."""
    return frame_at(snapshot, step, lambda views, i: {})[0], snapshot


class ThinnedFrames:
    """Frames of a run whose length is not known in advance, offered in order (the ``index``-th
    iteration or evaluation, at training step ``step``): one every ``stride`` offers, the stride
    doubling (every other frame dropped) whenever more than ``limit`` are kept, so between half of
    ``limit`` and ``limit`` frames stay, evenly spaced from the first, however long the run."""

    def __init__(self, limit: int = HISTORY_FRAMES):
        self.limit = limit
        self.stride = 1
        self.frames: dict[int, tuple[int, tuple[np.ndarray, ...]]] = {}

    def wants(self, index: int) -> bool:
        return index % self.stride == 0

    def keep(self, index: int, step: int, *arrays: np.ndarray) -> None:
        """Keep the ``index``-th frame, taken at ``step`` (float32: plenty for a chart, half the saved run)."""
        if not self.wants(index):
            return
        self.frames[index] = (step, tuple(np.asarray(a, dtype=np.float32) for a in arrays))
        while len(self.frames) > self.limit:
            self.stride *= 2
            self.frames = {i: frame for i, frame in self.frames.items() if i % self.stride == 0}

    def views(self, *names: str) -> dict[str, np.ndarray]:
        """The kept frames as views: their steps (``history_steps``), the i-th array of every frame
        stacked under ``names[i]``."""
        kept = [self.frames[i] for i in sorted(self.frames)]
        views = {STEPS: np.array([step for step, _ in kept], dtype=int)}
        for i, name in enumerate(names):
            views[name] = np.stack([arrays[i] for _, arrays in kept]) if kept else np.empty((0, 0), dtype=np.float32)
        return views


def advance(steps: np.ndarray, current: int, speed: int = 1) -> int | None:
    """The step a replay shows next: ``speed`` frames after the one nearest ``current``; None once
    the last frame has been shown."""
    index = nearest_index(steps, current)
    if index >= len(steps) - 1:
        return None
    return int(steps[min(index + speed, len(steps) - 1)])
