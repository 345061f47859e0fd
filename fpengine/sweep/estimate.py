"""How long a sweep will take here: a short timing of its first cell on this machine, scaled by every
cell's steps and the workers (the Lab page's estimate before Start).

The timing trains, so it runs only when asked for (the Lab's Estimate button), never on a page view,
and while it trains it holds one of the server's run slots (``slots``), as a run or a sweep's cell
does. A timing once measured is kept (per config and device) and shown to every later visitor for free.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import torch

from fpengine.engine.runner import JobManager
from fpengine.registry import get_experiment
from fpengine.settings.config import from_dict, to_dict
from fpengine.sweep.definition import SweepDefinition
from fpengine.sweep.run import Slots

PROBE_SECONDS = 0.8
"""How long the timing trains, after its first published step (set-up and first-call costs excluded)."""
PROBE_TIMEOUT_S = 30.0
POOL_STARTUP_S = 5.0
"""A local pool's start: spawning its workers and importing torch in each (measured 4–5 s)."""
KEEP_RATES = 32
_rates: OrderedDict[tuple[str, str, str], float] = OrderedDict()
_rates_lock = threading.Lock()


def _key(definition: SweepDefinition, device: torch.device) -> tuple[str, str, str]:
    config = definition.cell_config(next(definition.cells()))
    return definition.experiment, json.dumps(to_dict(config), sort_keys=True), str(device)


def known_rate(definition: SweepDefinition, device: torch.device) -> float | None:
    """Steps per second of the sweep's first cell here, if it has been timed; never trains."""
    with _rates_lock:
        return _rates.get(_key(definition, device))


def measured_rate(definition: SweepDefinition, device: torch.device, slots: Slots | None = None) -> float | None:
    """Steps per second of the sweep's first cell here, timed once per config and device while holding
    one of ``slots`` (a server's run slots); None when none is free (nothing trains then)."""
    key = _key(definition, device)
    with _rates_lock:
        if key in _rates:
            return _rates[key]
    if slots is not None and slots.take_slots(1) < 1:
        return None
    try:
        rate = _rate(*key, placement=getattr(slots, "placement", None))  # the server's workers, like its runs
    finally:
        if slots is not None:
            slots.give_slots(1)
    with _rates_lock:
        _rates[key] = rate
        while len(_rates) > KEEP_RATES:
            _rates.popitem(last=False)
    return rate


def _rate(experiment_name: str, config_json: str, device: str, placement: Any = None) -> float:
    """Trains the config for ``PROBE_SECONDS`` and stops it: the rate between its first and its last
    published step. A run shorter than that gives its whole rate. ``placement``: where (a server's
    worker processes, as its runs; None: a thread here)."""
    experiment = get_experiment(experiment_name)
    config: Any = from_dict(experiment.config_type, json.loads(config_json))
    manager = JobManager(max_running=1, lease_seconds=None, publish_interval=0.05, placement=placement)
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
