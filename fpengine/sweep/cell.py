"""One sweep cell, run where a worker runs it: a local pool process or a Dask worker.

A cell is an ordinary run: the same config, the same ``train`` through the same run engine as
``fpengine run``, so a cell with seed s gives exactly that command's result with ``--seed s``
(and one torch thread: the thread count can change float rounding). This module is what workers
import, so it holds only importable, picklable functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import torch

from fpengine.engine.device import describe_device, resolve_device
from fpengine.engine.experiment import Experiment
from fpengine.engine.headless import run_to_end, run_together_to_end
from fpengine.engine.runner import Job, Snapshot
from fpengine.export import build_summary
from fpengine.registry import get_experiment
from fpengine.settings.config import from_dict

ROW_FIELDS = ("seed", "status", "spearman", "final_loss", "steps_per_second", "wall_seconds")
"""The per-cell columns of results.csv after the grid keys; then ``convergence_step[ω]`` columns."""
THEORY_FIELDS = ("parameter_drift", "kernel_drift", "predicted_spearman", "ntk_seconds")
"""A 1-D cell's prediction figures (summary.json's): how far the run left its linearisation, the
predicted order and what the prediction cost; with ``predicted_convergence_step[ω]`` columns."""
BATCH = "batch"
"""How many cells trained together as one stacked model (absent: the cell trained alone)."""
RUN_STEPS = "run_steps"
"""The steps the cell ran: where a frequency that never converged is censored in the law's fit."""


def convergence_column(omega: float) -> str:
    """Named like metrics.csv's ``<trace>[<key>]`` columns, with the angular frequency as key."""
    return f"convergence_step[{omega:g}]"


def predicted_column(omega: float) -> str:
    """The step gradient descent on the linearised network needs (searched beyond the run, up to 10¹⁵)."""
    return f"predicted_convergence_step[{omega:g}]"


def predicted_in_run_column(omega: float) -> str:
    """The step at which the predicted ΔF(ω) falls below ε by the same rule as the measured one *on the
    run's own record* (below ε from there to the run's last step): what the measured step is compared
    with. It differs from ``predicted_convergence_step[ω]`` where ΔF(ω) dips below ε, is still there at
    the run's end, and rises again later (a residual's frequency component is a sum of kernel modes that
    decay at different rates, so it need not shrink monotonically)."""
    return f"predicted_convergence_step_in_run[{omega:g}]"


def with_prediction(experiment: Experiment, config: Any) -> Any:
    """The config with the linearised prediction switched on where the experiment makes one
    (``Experiment.with_prediction``: a 1-D config whose grid allows it, a Sec 1.6 one that trains by
    gradient descent). The prediction is computed beside the training from a copy of the initial
    network and draws no random number, so the trained run is the same; it costs about a tenth of a
    second a cell."""
    return experiment.with_prediction(config) if experiment.with_prediction is not None else config


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
    return _keeping_run(row, job, described)


def run_cells(
    experiment_name: str,
    configs_data: Sequence[dict[str, Any]],
    settings: Sequence[dict[str, str]],
    device: str = "auto",
    keep_runs: bool = False,
) -> list[dict[str, Any]] | list[CellRun]:
    """Train cells of one ``batch_key`` together as one stacked model and return their rows (or, with
    ``keep_runs``, their ``CellRun``s) in order: each row is what ``run_cell`` gives for that cell
    alone, but for the timings (the batch's, shared) and ``batch``, the number of cells trained together."""
    torch.set_num_threads(1)
    experiment = get_experiment(experiment_name)
    configs = [with_prediction(experiment, from_dict(experiment.config_type, data)) for data in configs_data]
    jobs = run_together_to_end(experiment, configs, resolve_device(device))
    results = []
    for config, job, cell_settings in zip(configs, jobs, settings, strict=True):
        described = describe_device(job.device)
        row = {**_row(experiment, config, job, cell_settings, described), BATCH: len(configs)}
        results.append(_keeping_run(row, job, described) if keep_runs else row)
    return results


def _keeping_run(row: dict[str, Any], job: Job, described: str) -> CellRun:
    snapshot = job.snapshot
    if snapshot is not None:
        snapshot = dataclasses.replace(snapshot, metrics=dict(snapshot.metrics), traces=dict(snapshot.traces), views=dict(snapshot.views))
    return CellRun(row, snapshot, described)


def _train(experiment_name: str, config_data: dict[str, Any], settings: dict[str, str], device: str) -> tuple[dict[str, Any], Job, str]:
    torch.set_num_threads(1)  # one worker per core: more threads per worker only compete
    experiment = get_experiment(experiment_name)
    config = with_prediction(experiment, from_dict(experiment.config_type, config_data))
    job = run_to_end(experiment, config, resolve_device(device))
    described = describe_device(job.device)  # the run's own device: Sec 1.6 trains on the CPU on any machine
    return _row(experiment, config, job, settings, described), job, described


def _row(experiment: Experiment, config: Any, job: Job, settings: dict[str, str], described: str) -> dict[str, Any]:
    """A finished run's results row."""
    row: dict[str, Any] = {**settings, "seed": config.seed, "status": job.status.value}
    if job.snapshot is None:  # failed before its first step (a δ the data refuse, …)
        return {**row, "message": job.message, "frequencies": ""}
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
        for omega, step in zip(frequencies, summary["predicted_convergence_step"], strict=True):
            row[predicted_in_run_column(omega)] = step
        row.update({name: summary.get(name) for name in THEORY_FIELDS})
    if job.message:
        row["message"] = job.message
    return row
