"""One run trained to its end in this process, as ``fpengine run`` and every sweep cell do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Job, JobManager, Snapshot


def run_to_end(experiment: Experiment, config: Any, device: torch.device, on_progress: Callable[[Snapshot], None] | None = None) -> Job:
    """Train ``config`` on ``device`` (or the CPU, for an experiment that always trains there) and
    return the finished job. Ctrl-C stops the run, which then ends as stopped with what it had:
    nothing trained so far is lost."""
    manager = JobManager(max_running=1, lease_seconds=None, publish_interval=0.25)
    job = manager.submit(experiment.name, config, experiment.run, experiment.device_for(device))
    try:
        while not job.wait(0.25):
            if on_progress is not None and job.snapshot is not None:
                on_progress(job.snapshot)
    except KeyboardInterrupt:
        job.stop()
        job.wait()
    return job
