"""One sweep cell, run where a worker runs it: a local pool process or a Dask worker.

A cell is an ordinary run: the same config, the same ``train`` through the same run engine as
``fpengine run``, so a cell with seed s gives exactly that command's result with ``--seed s``
(and one torch thread: the thread count can change float rounding). This module is what workers
import, so it holds only importable, picklable functions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from fpengine.engine.device import describe_device, resolve_device
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Job, Snapshot
from fpengine.export import build_summary
from fpengine.registry import get_experiment
from fpengine.settings.config import from_dict

ROW_FIELDS = ("seed", "status", "spearman", "final_loss", "steps_per_second", "wall_seconds")
"""The per-cell columns of results.csv after the grid keys; then ``convergence_step[ω]`` columns."""
THEORY_FIELDS = ("parameter_drift", "kernel_drift", "predicted_spearman", "ntk_seconds")
"""A 1-D cell's prediction figures (summary.json's): how far the run left its linearisation, the
predicted order and what the prediction cost; with ``predicted_convergence_step[ω]`` columns."""
RUN_STEPS = "run_steps"
"""The steps the cell ran: where a frequency that never converged is censored in the law's fit."""


def convergence_column(omega: float) -> str:
    """Named like metrics.csv's ``<trace>[<key>]`` columns, with the angular frequency as key."""
    return f"convergence_step[{omega:g}]"


def predicted_column(omega: float) -> str:
    """The step gradient descent on the linearised network needs (searched beyond the run, up to 10¹⁵)."""
    return f"predicted_convergence_step[{omega:g}]"


def with_prediction(config: Any) -> Any:
    """A 1-D config with the linearised prediction switched on (``theory=ntk``), where its grid allows
    it; a Sec 1.6 config too when it trains by gradient descent (for the other methods the prediction
    is gradient descent's, not theirs). The prediction is computed beside the training from a copy of
    the initial network and draws no random number, so the trained run is the same; it costs about a
    tenth of a second a cell."""
    from fpengine.beyond_gd.settings import GRADIENT_DESCENT, BeyondConfig
    from fpengine.oned.settings import OneDConfig
    from fpengine.readout.settings import MAX_THEORY_SAMPLES

    if not isinstance(config, (OneDConfig, BeyondConfig)) or config.theory != "none" or config.grid.samples > MAX_THEORY_SAMPLES:
        return config
    if isinstance(config, BeyondConfig) and config.method != GRADIENT_DESCENT:
        return config
    return dataclasses.replace(config, theory="ntk")


@dataclasses.dataclass(frozen=True)
class CellRun:
    """A cell's row with the run behind it, for a sweep that keeps every cell's run (the Lab page's):
    plain picklable data, so it comes back from a Dask worker as from a local one."""

    row: dict[str, Any]
    snapshot: Snapshot | None
    """The run's last snapshot with plain dicts for its mappings (a mapping proxy does not pickle);
    None when the run failed before its first step."""
    device: str


def run_cell(experiment_name: str, config_data: dict[str, Any], settings: dict[str, str], device: str = "auto") -> dict[str, Any]:
    """Train one cell and return its results row (JSON-safe): the grid values as typed, the seed,
    the run's status and summary figures, and the step at which each tracked ω converged."""
    return _train(experiment_name, config_data, settings, device)[0]


def run_cell_keeping_run(experiment_name: str, config_data: dict[str, Any], settings: dict[str, str], device: str = "auto") -> CellRun:
    """``run_cell``, returning the finished run as well."""
    row, job, described = _train(experiment_name, config_data, settings, device)
    snapshot = job.snapshot
    if snapshot is not None:
        snapshot = dataclasses.replace(snapshot, metrics=dict(snapshot.metrics), traces=dict(snapshot.traces), views=dict(snapshot.views))
    return CellRun(row, snapshot, described)


def _train(experiment_name: str, config_data: dict[str, Any], settings: dict[str, str], device: str) -> tuple[dict[str, Any], Job, str]:
    torch.set_num_threads(1)  # one worker per core: more threads per worker only compete
    experiment = get_experiment(experiment_name)
    config = with_prediction(from_dict(experiment.config_type, config_data))
    job = run_to_end(experiment, config, resolve_device(device))
    described = describe_device(job.device)  # the run's own device: Sec 1.6 trains on the CPU on any machine
    row: dict[str, Any] = {**settings, "seed": config.seed, "status": job.status.value}
    if job.snapshot is None:  # failed before its first step (a δ the data refuse, …)
        return {**row, "message": job.message, "frequencies": ""}, job, described
    summary = build_summary(experiment, config, job.snapshot, status=job.status.value, device=described, message=job.message)
    row.update({name: summary.get(name) for name in ROW_FIELDS[2:]})
    frequencies = summary.get("frequencies") or []
    row["frequencies"] = ",".join(f"{omega:g}" for omega in frequencies)
    for omega, step in zip(frequencies, summary.get("convergence_step") or [], strict=True):
        row[convergence_column(omega)] = step
    row[RUN_STEPS] = job.snapshot.step
    if "predicted_steps_needed" in summary:
        for omega, step in zip(frequencies, summary["predicted_steps_needed"], strict=True):
            row[predicted_column(omega)] = step
        row.update({name: summary.get(name) for name in THEORY_FIELDS})
    if job.message:
        row["message"] = job.message
    return row, job, described
