"""Sweeps: cells per second sequentially, on the local process pool and on a Dask cluster.

One small sweep (single sines sin kx, k = 1, 2, 3, on the presets' small fast net, short runs)
is run three ways: ``run_cell`` in a loop in this process, then ``run_sweep`` — the code
``python -m fpengine sweep`` runs — on the local pool of W workers and on a ``LocalCluster`` of W
single-threaded worker processes reached through ``open_pool(scheduler=…)``, as a user's cluster is.
The figure of merit is the parallel efficiency, cells/s ÷ (W × sequential cells/s).

Every pool is warmed up before it is timed: each worker first runs a tiny cell, so process
start-up, the imports of torch and the engine, and torch's first-call allocations are not counted
(the sequential loop is warmed up the same way). That start-up is reported on its own
(``startup_s``): a real sweep pays it once.

First, cells trained together (``sweep/batched-S``): S copies of the sweep's 64-64-64 net (seeds
0 … S−1) trained by the engine as S single runs in a loop and as one stacked batch
(``run_together_to_end``, what a sweep's batch runs), on one thread, alternately, several times;
the figure is the ratio of their net-steps/s within each pair (the median, and the range), with the
machine's load average, since other processes share the CPU.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from fpengine.engine.headless import run_to_end, run_together_to_end
from fpengine.registry import get_experiment
from fpengine.settings.config import to_dict
from fpengine.sweep.cell import run_cell
from fpengine.sweep.definition import SweepDefinition, define_sweep
from fpengine.sweep.executors import Pool, default_workers, open_pool
from fpengine.sweep.presets import SMALL_FAST_NET
from fpengine.sweep.results import finished_rows, prepare_sweep_dir
from fpengine.sweep.run import run_sweep

EXPERIMENT = "sine-fit"
DEVICE = "cpu"
HOST = "127.0.0.1"
WARMUP_STEPS = 20
WARMUP_ROUNDS = 5
BATCH_COPIES = (3, 8)
BATCH_REPEATS = 5


def bench_definition(workers: int, quick: bool, steps: int | None = None) -> SweepDefinition:
    """2 × W × 3 cells of ≈1.5 s each on one thread (quick: W × 3 cells of half the steps)."""
    steps = steps or (1000 if quick else 2000)
    overrides = (*SMALL_FAST_NET, "target.frequencies=1", "target.amplitudes=1", f"training.steps={steps}", f"snapshot_steps=0,{steps}")
    return define_sweep(EXPERIMENT, overrides=overrides, grid=("target.frequencies=1,2,3",), seeds=workers if quick else 2 * workers)


def warm_cell(experiment: str, config: dict[str, Any]) -> int:
    """A tiny cell, run where a worker runs: it imports and warms up the engine there. Returns the worker's pid."""
    run_cell(experiment, config, {}, DEVICE)
    return os.getpid()


def _warm_config(workers: int) -> dict[str, Any]:
    definition = bench_definition(workers, quick=True, steps=WARMUP_STEPS)
    return to_dict(definition.cell_config(next(definition.cells())))


def warm_up(pool: Pool, config: dict[str, Any]) -> set[int]:
    """Until every worker has run a tiny cell: one per worker a round (a fast worker may take two).
    Returns the workers' pids."""
    seen: set[int] = set()
    for _ in range(WARMUP_ROUNDS):
        futures = [pool.executor.submit(warm_cell, EXPERIMENT, config) for _ in range(pool.workers)]
        seen.update(future.result() for future in futures)
        if len(seen) >= pool.workers:
            break
    return seen


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds the processes have used so far (NaN without psutil or when one is gone)."""
    try:
        import psutil  # distributed depends on it

        return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)
    except Exception:  # noqa: BLE001 - a diagnostic only
        return math.nan


@dataclass
class Timing:
    seconds: float
    rows: dict[str, dict[str, Any]]
    parent_cpu: float
    """CPU seconds of this process (every thread: the pool's feeder, Dask's scheduler and nannies, the table writes)."""
    worker_cpu: float = math.nan
    startup: float = math.nan
    tail: float = math.nan
    """Seconds from the last cell's result to the sweep's end (results.csv/.parquet, fit.json)."""


def sequential(definition: SweepDefinition, warm: dict[str, Any]) -> Timing:
    """``run_cell`` in a loop in this process (one torch thread, as a cell sets)."""
    threads = torch.get_num_threads()
    try:
        run_cell(EXPERIMENT, warm, {}, DEVICE)
        configs = [(cell, to_dict(definition.cell_config(cell))) for cell in definition.cells()]
        cpu, start = time.process_time(), time.perf_counter()
        rows = {cell.id: run_cell(definition.experiment, config, cell.settings, DEVICE) for cell, config in configs}
        return Timing(time.perf_counter() - start, rows, time.process_time() - cpu)
    finally:
        torch.set_num_threads(threads)  # the groups after this one keep the bench's thread setting


def pooled(definition: SweepDefinition, warm: dict[str, Any], workers: int, scheduler: str | None = None) -> Timing:
    """``run_sweep`` on a warmed-up pool, as the sweep command runs it (cell files and tables written, no figures)."""
    last_cell = [0.0]

    def on_cell(_report) -> None:
        last_cell[0] = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="fpengine-bench-sweep-") as folder:
        out = prepare_sweep_dir(Path(folder) / "sweep", definition)
        begin = time.perf_counter()
        with open_pool(workers, scheduler) as pool:
            if pool.workers != workers:
                raise RuntimeError(f"the pool has {pool.workers} workers, not {workers}")
            pids = warm_up(pool, warm)
            startup = time.perf_counter() - begin
            worker_cpu, cpu, start = cpu_seconds(pids), time.process_time(), time.perf_counter()
            # every cell alone, as the sequential loop runs it: this measures the pool, not the batching
            report = run_sweep(definition, out, pool, device=DEVICE, figures=False, on_cell=on_cell, batch=False)
            seconds = time.perf_counter() - start
            parent_cpu, worker_cpu = time.process_time() - cpu, cpu_seconds(pids) - worker_cpu
        if not report.complete:
            raise RuntimeError(f"the benchmark sweep lost {len(report.lost)} cell(s): {next(iter(report.lost.values()), '')}")
        rows = finished_rows(out, list(definition.cells()))
    return Timing(seconds, rows, parent_cpu, worker_cpu, startup, seconds - (last_cell[0] - start))


@contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """A Dask ``LocalCluster`` of single-threaded worker processes on 127.0.0.1; yields its address."""
    from distributed import LocalCluster

    # no dashboard; the scheduler's plain HTTP endpoint on a free port (its default 8787 may be taken)
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host=HOST,
        scheduler_kwargs={"dashboard_address": f"{HOST}:0"},
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def differing_cells(reference: dict[str, dict[str, Any]], rows: dict[str, dict[str, Any]]) -> list[str]:
    """Cell ids whose final loss or any convergence step differs from the reference (or is missing)."""

    def figures(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {key: value for key, value in row.items() if key == "final_loss" or key.startswith("convergence_step[")}

    return [cell for cell, row in reference.items() if figures(rows.get(cell)) != figures(row)]


def mean_cell_seconds(rows: dict[str, dict[str, Any]]) -> float:
    """The cells' own mean wall time: longer than sequentially means the workers were short of CPU."""
    return sum(row["wall_seconds"] for row in rows.values()) / max(1, len(rows))


def _timed(train) -> tuple[float, float]:
    """Wall and CPU seconds (this process's: the run's thread does the work, the caller waits) of ``train()``."""
    cpu, start = time.process_time(), time.perf_counter()
    jobs = train()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if any(job.status.value != "done" for job in jobs):
        raise RuntimeError(f"a benchmark run ended as {[job.status.value for job in jobs]}")
    return seconds, cpu


def batched_rows(quick: bool) -> list[dict]:
    """Net-steps/s of S copies of the sweep's net trained together against S single runs in a loop,
    on one torch thread, alternating the two ``BATCH_REPEATS`` times. ``ratio`` is by CPU time (the
    net-steps a busy core gives: on a shared machine the wall time also counts the waits for a core),
    ``ratio_wall`` by wall time."""
    experiment = get_experiment(EXPERIMENT)
    steps = 500 if quick else 2000
    definition = bench_definition(1, quick=True, steps=steps)
    base = definition.cell_config(next(definition.cells()))
    device = torch.device(DEVICE)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        warm = [dataclasses.replace(base, seed=seed, training=dataclasses.replace(base.training, steps=WARMUP_STEPS)) for seed in range(2)]
        _timed(lambda: [run_to_end(experiment, config, device) for config in warm])
        _timed(lambda: run_together_to_end(experiment, warm, device))
        for copies in BATCH_COPIES:
            configs = [dataclasses.replace(base, seed=seed) for seed in range(copies)]
            loops, batches, ratios, walls = [], [], [], []
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
            for _ in range(2 if quick else BATCH_REPEATS):
                looped = _timed(lambda configs=configs: [run_to_end(experiment, config, device) for config in configs])
                batched = _timed(lambda configs=configs: run_together_to_end(experiment, configs, device))
                loops.append(copies * steps / looped[1])
                batches.append(copies * steps / batched[1])
                ratios.append(looped[1] / batched[1])
                walls.append(looped[0] / batched[0])
            rows.append(
                {
                    "name": f"sweep/batched-{copies}",
                    "copies": copies,
                    "steps": steps,
                    "threads": 1,
                    "looped_net_steps_per_cpu_s": statistics.median(loops),
                    "batched_net_steps_per_cpu_s": statistics.median(batches),
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "ratio_wall": statistics.median(walls),
                    "repeats": len(ratios),
                    "load_average": load,
                    "ratio": statistics.median(ratios),
                }
            )
    finally:
        torch.set_num_threads(threads)
    return rows


def run(quick: bool) -> list[dict]:
    batched = batched_rows(quick)
    workers = max(2, default_workers())
    definition = bench_definition(workers, quick)
    warm = _warm_config(workers)
    cells = definition.size
    steps = definition.base_config["training"]["steps"]
    ways: list[tuple[str, Any]] = [("sweep/local-pool", None)]
    skipped = []
    try:
        import distributed  # noqa: F401 - requirements.txt lists it; a trimmed environment may not have it

        ways.append(("sweep/dask-localcluster", local_cluster))
    except ImportError:
        skipped.append({"name": "sweep/dask-localcluster", "skipped": "distributed is not installed", "ratio": math.nan})
    # the sequential loop runs before and after the pools, and its mean rate is the reference:
    # a shared machine's speed drifts by 10–20 % within a minute
    before = sequential(definition, warm)
    timings: dict[str, Timing] = {}
    for name, cluster in ways:
        if cluster is None:
            timings[name] = pooled(definition, warm, workers)
        else:
            begin = time.perf_counter()
            with cluster(workers) as address:
                cluster_start = time.perf_counter() - begin
                timings[name] = pooled(definition, warm, workers, address)
            timings[name].startup += cluster_start
    after = sequential(definition, warm)
    sequential_rate = (cells / before.seconds + cells / after.seconds) / 2
    rows: list[dict] = [
        {
            "name": "sweep/sequential",
            "cells": cells,
            "steps": steps,
            "workers": 1,
            "before_s": before.seconds,
            "after_s": after.seconds,
            "cell_s": mean_cell_seconds(before.rows),
            "cpu_per_cell_s": (before.parent_cpu + after.parent_cpu) / (2 * cells),
            "cells_per_s": sequential_rate,
            "ratio": 1.0,
        }
    ]
    for name, timing in timings.items():
        rate = cells / timing.seconds
        efficiency = rate / (workers * sequential_rate)
        rows.append(
            {
                "name": name,
                "cells": cells,
                "steps": steps,
                "workers": workers,
                "startup_s": timing.startup,
                "seconds": timing.seconds,
                "after_last_cell_s": timing.tail,
                "cell_s": mean_cell_seconds(timing.rows),
                "cpu_per_cell_s": timing.worker_cpu / cells,
                "parent_cpu_s": timing.parent_cpu,
                "cells_per_s": rate,
                "efficiency": efficiency,
                "ratio": efficiency,
            }
        )
    rows += skipped + batched
    found = {name: timing.rows for name, timing in timings.items()} | {"sweep/sequential (after)": after.rows}
    bad = {name: ids for name, rows_found in found.items() if (ids := differing_cells(before.rows, rows_found))}
    compared = cells * len(found)
    if bad:
        name, ids = next(iter(bad.items()))
        rows.append(
            {
                "name": "sweep/WARNING-cells-differ",
                "compared": compared,
                "differ": sum(len(ids) for ids in bad.values()),
                "first": f"{name}:{ids[0]}",
                "ratio": 0.0,
            }
        )
    else:
        rows.append({"name": "sweep/cells-equal", "compared": compared, "differ": 0, "ratio": 1.0})
    return rows
