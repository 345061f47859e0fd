"""How long a sweep will take here: a short timing of its first cell on this machine, scaled by every
cell's steps and the workers (the Lab page's estimate before Start)."""

from __future__ import annotations

import functools
import json
import threading
import time
from typing import Any

import torch

from fpengine.engine.runner import JobManager
from fpengine.registry import get_experiment
from fpengine.settings.config import from_dict, to_dict
from fpengine.sweep.definition import SweepDefinition

PROBE_SECONDS = 0.8
"""How long the timing trains, after its first published step (set-up and first-call costs excluded)."""
PROBE_TIMEOUT_S = 30.0
POOL_STARTUP_S = 5.0
"""A local pool's start: spawning its workers and importing torch in each (measured 4–5 s)."""
_ONE_AT_A_TIME = threading.Lock()
"""A class opening the page together times the default sweep once; the others wait and read the cache."""


def measured_rate(definition: SweepDefinition, device: torch.device) -> float:
    """Steps per second of the sweep's first cell here, measured once per config and device."""
    config = definition.cell_config(next(definition.cells()))
    with _ONE_AT_A_TIME:
        return _rate(definition.experiment, json.dumps(to_dict(config), sort_keys=True), str(device))


@functools.lru_cache(maxsize=32)
def _rate(experiment_name: str, config_json: str, device: str) -> float:
    """Trains the config in a thread for ``PROBE_SECONDS`` and stops it: the rate between its first
    and its last published step. A run shorter than that gives its whole rate."""
    experiment = get_experiment(experiment_name)
    config: Any = from_dict(experiment.config_type, json.loads(config_json))
    manager = JobManager(max_running=1, lease_seconds=None, publish_interval=0.05)
    job = manager.submit(experiment.name, config, experiment.run, torch.device(device))
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    first = None
    try:
        while not job.wait(0.02) and time.monotonic() < deadline:
            snapshot = job.snapshot
            if snapshot is None or snapshot.step == 0:
                continue
            if first is None:
                first = snapshot
            elif snapshot.elapsed - first.elapsed >= PROBE_SECONDS:
                break
    finally:
        job.stop()
        job.wait(PROBE_TIMEOUT_S)
    last = job.snapshot
    if last is None or last.elapsed <= 0:
        return 0.0
    if first is not None and last.elapsed > first.elapsed and last.step > first.step:
        return (last.step - first.step) / (last.elapsed - first.elapsed)
    return last.step / last.elapsed


def estimated_seconds(definition: SweepDefinition, rate: float, workers: int, startup_s: float = POOL_STARTUP_S) -> float | None:
    """The pool's start plus every cell's steps at ``rate`` steps/s per worker, spread over
    ``workers`` (None without a rate). Each grid combination's steps are counted (a grid may vary them)."""
    if rate <= 0 or workers < 1:
        return None
    experiment = get_experiment(definition.experiment)
    steps: dict[tuple[tuple[str, str], ...], int] = {}
    total = 0
    for cell in definition.cells():
        if cell.values not in steps:
            steps[cell.values] = experiment.total_steps(definition.cell_config(cell))
        total += steps[cell.values]
    return startup_s + total / rate / workers
