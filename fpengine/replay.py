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

HISTORY_FRAMES = 101
"""Frames a run keeps at most: every 1 % of a run, its first and last step included."""
SPEEDS = (1, 2, 4, 8)
"""Replay speeds: frames advanced per tick."""

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


def replay_steps(snapshot: Snapshot, steps_view: str) -> np.ndarray:
    """The steps a replay of ``snapshot`` can show: its kept frames' (view ``steps_view``) and,
    when newer, the snapshot's own step (a paused run between two frames)."""
    kept = np.asarray(snapshot.views.get(steps_view, ()), dtype=int)
    kept = kept[kept <= snapshot.step]
    return kept if len(kept) and kept[-1] == snapshot.step else np.append(kept, snapshot.step)


def frame_at(snapshot: Snapshot, step: float, steps_view: str, frame_views: FrameViews) -> tuple[int, Snapshot]:
    """The frame nearest ``step``: its step, and ``snapshot`` with that frame's views
    (``frame_views``) in place of the latest. The snapshot's own step gives the snapshot unchanged."""
    steps = replay_steps(snapshot, steps_view)
    chosen = int(steps[nearest_index(steps, step)])
    if chosen == snapshot.step:
        return chosen, snapshot
    index = int(np.flatnonzero(np.asarray(snapshot.views[steps_view]) == chosen)[0])
    views = MappingProxyType({**snapshot.views, **frame_views(snapshot.views, index)})
    return chosen, dataclasses.replace(snapshot, views=views)


def advance(steps: np.ndarray, current: int, speed: int = 1) -> int | None:
    """The step a replay shows next: ``speed`` frames after the one nearest ``current``; None once
    the last frame has been shown."""
    index = nearest_index(steps, current)
    if index >= len(steps) - 1:
        return None
    return int(steps[min(index + speed, len(steps) - 1)])
