"""Cells of one shape train together as one stacked model: each member's row is its single run's."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch

from fpengine.models import StackedMLP, initialise_, mlp
from fpengine.oned.views import OneDViews as V
from fpengine.optimizers import make_flat_optimizer, make_optimizer
from fpengine.settings.config import to_dict
from fpengine.sweep.cell import run_cell_keeping_run, run_cells
from fpengine.sweep.definition import define_sweep
from fpengine.sweep.executors import Pool
from fpengine.sweep.presets import SMALL_FAST_NET
from fpengine.sweep.results import prepare_sweep_dir
from fpengine.sweep.run import MAX_BATCH, plan_batches, run_sweep

RTOL = 1e-6
"""Members agree with their single runs to this relative tolerance in float32 on the CPU (measured: ≈ 1e-7;
a batched product may sum a gradient in another order than a single one)."""
TINY = (*SMALL_FAST_NET, "grid.samples=64", "spectrum.n_freq=32", "network.widths=32,32", "training.steps=200", "snapshot_steps=0,200")
EXACT = ("seed", "status", "frequencies", "run_steps")
STEPS = ("convergence_step[", "predicted_convergence_step[", "predicted_convergence_step_in_run[")
CLOSE = ("final_loss", "spearman", "predicted_spearman", "parameter_drift", "kernel_drift")


def tiny_sweep(optimizer: str, seeds: int = 3, frequencies: str = "[1,3]", activation: str = "tanh"):
    lr = "0.01" if optimizer == "sgd" else "5e-4"
    overrides = (*TINY, "target.amplitudes=1,0.5", f"training.optimizer={optimizer}", f"training.lr={lr}")
    overrides += (f"network.activation={activation}",)
    return define_sweep("sine-fit", overrides=overrides, grid=(f"target.frequencies={frequencies}",), seeds=seeds)


def assert_same_row(alone: dict, together: dict) -> None:
    for name in EXACT:
        assert together[name] == alone[name], name
    steps = sorted(name for name in alone if name.startswith(STEPS))
    assert steps and steps == sorted(name for name in together if name.startswith(STEPS))
    for name in steps:
        assert together[name] == alone[name], name
    for name in CLOSE:
        if alone[name] is None:
            assert together[name] is None, name
            continue
        assert together[name] == pytest.approx(alone[name], rel=RTOL, abs=1e-12), name


def plain(row: pd.Series) -> dict:
    """A results.csv row as a cell's row: its empty cells None."""
    return {name: None if pd.isna(value) else value for name, value in row.items()}


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_batch_of_three_seeds_gives_each_seed_its_single_runs_row_and_record(optimizer):
    """Same init, same steps: every member's row equals its single run's, and its whole loss curve
    and ΔF trace (from step 0, the initial network's) agree to RTOL."""
    definition = tiny_sweep(optimizer)
    cells = list(definition.cells())
    configs = [to_dict(definition.cell_config(cell)) for cell in cells]
    alone = [run_cell_keeping_run(definition.experiment, config, cell.settings, "cpu") for cell, config in zip(cells, configs, strict=True)]
    together = run_cells(definition.experiment, configs, [cell.settings for cell in cells], "cpu", keep_runs=True)
    assert [run.row["batch"] for run in together] == [3, 3, 3] and all("batch" not in run.row for run in alone)
    for single, member in zip(alone, together, strict=True):
        assert any(name.startswith("predicted_convergence_step_in_run[") for name in single.row)
        assert_same_row(single.row, member.row)
        np.testing.assert_allclose(member.snapshot.metrics["loss"], single.snapshot.metrics["loss"], rtol=RTOL)
        np.testing.assert_allclose(member.snapshot.traces["delta_f"].errors, single.snapshot.traces["delta_f"].errors, rtol=RTOL, atol=1e-6)
        assert list(member.snapshot.views[V.history_steps]) == list(single.snapshot.views[V.history_steps])
    losses = [run.snapshot.metrics["loss"][-1] for run in together]
    assert len(set(losses)) == 3  # three different seeds, not one network three times


def test_members_with_different_targets_train_together_each_on_its_own():
    definition = tiny_sweep("adam", seeds=1, frequencies="[1,3],[2,5],[1,4]")
    cells = list(definition.cells())
    configs = [to_dict(definition.cell_config(cell)) for cell in cells]
    together = run_cells(definition.experiment, configs, [cell.settings for cell in cells], "cpu")
    for cell, config, member in zip(cells, configs, together, strict=True):
        alone = run_cell_keeping_run(definition.experiment, config, cell.settings, "cpu").row
        assert_same_row(alone, member)


def test_a_member_that_diverges_leaves_the_batch_and_the_others_train_on():
    definition = define_sweep(
        "sine-fit",
        overrides=(*TINY, "training.optimizer=sgd", "training.lr=0.1", "target.frequencies=1", "network.activation=tanh"),
        grid=("target.amplitudes=1,100",),
        seeds=1,
    )
    cells = list(definition.cells())
    configs = [to_dict(definition.cell_config(cell)) for cell in cells]
    calm, wild = run_cells(definition.experiment, configs, [cell.settings for cell in cells], "cpu")
    assert wild["status"] == "diverged" and wild["message"].startswith("step ")
    assert calm["status"] == "done"
    assert_same_row(run_cell_keeping_run(definition.experiment, configs[0], cells[0].settings, "cpu").row, calm)


def test_the_stacked_network_computes_each_members_network():
    networks = []
    for seed in range(3):
        network = mlp(1, (8, 8), 1, "relu")
        initialise_(network, seed, 0.5)
        networks.append(network)
    stacked = StackedMLP(networks)
    x = torch.linspace(-1, 1, 16).reshape(1, 16, 1).expand(3, -1, -1)
    out = stacked(x)
    for member, network in enumerate(networks):
        torch.testing.assert_close(out[member], network(x[0]), rtol=1e-6, atol=1e-7)
    with torch.no_grad():
        stacked.weights[0][1].add_(1.0)
    stacked.copy_to(networks)
    torch.testing.assert_close(stacked(x)[1], networks[1](x[0]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["adam", "sgd", "momentum"])
def test_the_flat_optimizers_update_exactly_as_torch_optim_does(name):
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(50, generator=generator)
    gradients = [torch.randn(50, generator=generator) for _ in range(5)]
    flat, reference = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    optimizer, torch_optimizer = make_flat_optimizer(name, flat, 0.01), make_optimizer(name, [reference], 0.01)
    for gradient in gradients:
        flat.grad, reference.grad = gradient.clone(), gradient.clone()
        optimizer.step()
        torch_optimizer.step()
    assert torch.equal(flat.detach(), reference.detach()) and not torch.equal(flat.detach(), start)


def test_cells_of_one_shape_are_planned_together_within_a_workers_share():
    definition = define_sweep(
        "sine-fit", overrides=(*TINY, "target.amplitudes=1"), grid=("target.frequencies=1,2,3", "network.activation=tanh,relu"), seeds=3
    )
    cells = list(definition.cells())  # 18 cells: 2 shapes of 9
    tasks = plan_batches(definition, cells, workers=1)
    assert sorted(len(task) for task in tasks) == [9, 9]
    for task in tasks:
        assert len({dict(cell.values)["network.activation"] for cell in task}) == 1
    assert sorted(len(task) for task in plan_batches(definition, cells, workers=4)) == [4, 4, 5, 5]  # ≤ ⌈18/4⌉ = 5, split evenly
    assert [len(task) for task in plan_batches(definition, cells, workers=0)] == [1] * 18  # batching off
    assert sorted(cell.id for task in tasks for cell in task) == sorted(cell.id for cell in cells)
    many = define_sweep("sine-fit", overrides=(*TINY, "target.amplitudes=1"), grid=("target.frequencies=1,2,3,4,5,6",), seeds=6)
    assert max(len(task) for task in plan_batches(many, list(many.cells()), workers=1)) <= MAX_BATCH
    assert len(plan_batches(many, list(many.cells()), workers=1)) == math.ceil(36 / MAX_BATCH)


def test_a_batched_sweep_resumes_and_equals_the_unbatched_one(tmp_path):
    definition = tiny_sweep("adam", seeds=2, frequencies="[1,3],[2,4]")  # 4 cells of one shape: one batch
    pool = Pool(ThreadPoolExecutor(max_workers=1), 1, "test thread")
    out = prepare_sweep_dir(tmp_path / "batched", definition)

    def stop_after_two(report):
        if report.ran == 2:
            raise KeyboardInterrupt

    first = run_sweep(definition, out, pool, device="cpu", figures=False, on_cell=stop_after_two)
    assert first.interrupted and first.finished == 2
    out = prepare_sweep_dir(tmp_path / "batched", definition)
    second = run_sweep(definition, out, pool, device="cpu", figures=False)
    assert (second.resumed, second.ran, second.complete, second.lost) == (2, 2, True, {})
    batched = pd.read_csv(out / "results.csv")
    assert batched["batch"].tolist() == [4, 4, 2, 2] or sorted(batched["batch"].tolist()) == [2, 2, 4, 4]

    alone_out = prepare_sweep_dir(tmp_path / "alone", definition)
    assert run_sweep(definition, alone_out, pool, device="cpu", figures=False, batch=False).complete
    alone = pd.read_csv(alone_out / "results.csv")
    assert "batch" not in alone.columns
    for (_, row), (_, single) in zip(batched.iterrows(), alone.iterrows(), strict=True):
        assert_same_row(plain(single), plain(row))
