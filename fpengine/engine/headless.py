"""One run trained to its end in this process, as ``fpengine run`` and every sweep cell do."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import torch

from fpengine.engine.device import configure_backends
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Job, JobManager, Snapshot, run_batch

PUBLISH_INTERVAL_S = 0.25
"""How often a headless run publishes a snapshot (a batch: each member this often times the batch's size)."""


def run_to_end(experiment: Experiment, config: Any, device: torch.device, on_progress: Callable[[Snapshot], None] | None = None) -> Job:
    """Train ``config`` on ``device`` (or the CPU, for an experiment that always trains there) and
    return the finished job. Ctrl-C stops the run, which then ends as stopped with what it had:
    nothing trained so far is lost."""
    manager = JobManager(max_running=1, lease_seconds=None, publish_interval=PUBLISH_INTERVAL_S)
    job = manager.submit(experiment.name, config, experiment.run, experiment.device_for(device))
    try:
        while not job.wait(0.25):
            if on_progress is not None and job.snapshot is not None:
                on_progress(job.snapshot)
    except KeyboardInterrupt:
        job.stop()
        job.wait()
    return job


def run_together_to_end(experiment: Experiment, configs: Sequence[Any], device: torch.device) -> list[Job]:
    """``run_to_end`` for configs that train together as one stacked model (``Experiment.train_together``):
    one finished job per config, each as its single run would have ended. Ctrl-C stops them all.
    A publication costs the batch one per member, so the members publish that many times less often
    than a single run: publishing takes the same share of the training time."""
    configure_backends()
    publish_interval = PUBLISH_INTERVAL_S * len(configs)
    device = experiment.device_for(device)
    jobs = [Job(experiment.name, config, experiment.run, device, publish_interval=publish_interval) for config in configs]
    thread = threading.Thread(target=run_batch, args=(jobs, experiment.run_together), name=f"fpengine-{experiment.name}-batch", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.25)
    except KeyboardInterrupt:
        for job in jobs:
            job.stop()
        thread.join()
    return jobs
