"""The Sec 1.6 experiment `beyond-gd`: config, low-before-high under every non-GD optimizer, the
run engine's pause/stop inside a Powell sweep, the CLI's files and the benchmark."""

from __future__ import annotations

import dataclasses
import json
import math
import time

import numpy as np
import pandas as pd
import pytest
import torch

from fpengine import cli
from fpengine.beyond_gd import bench as beyond_bench
from fpengine.beyond_gd.charts import work_table
from fpengine.beyond_gd.experiment import BEYOND_GD, summarize
from fpengine.beyond_gd.nongradient import ALL_METHODS, ParticleSwarm
from fpengine.beyond_gd.settings import DEFAULT_WIDTH, BeyondConfig, IterationCaps, slowness_warning
from fpengine.engine.runner import Job, JobManager, Status
from fpengine.registry import get_experiment
from fpengine.settings.config import ConfigError, apply_override, from_dict, to_dict
from fpengine.settings.schema import validate
from tests.cli_helpers import cli_here
from tests.conftest import wait_until

torch.set_num_threads(1)


def run(config: BeyondConfig) -> Job:
    manager = JobManager(lease_seconds=None)
    job = manager.submit(BEYOND_GD.name, config, BEYOND_GD.run, torch.device("cpu"))
    assert job.wait(120), "run did not finish"
    assert job.status is Status.DONE, job.message
    return job


def with_(config: BeyondConfig, *, width: int | None = None, **changes) -> BeyondConfig:
    if width is not None:
        changes["network"] = dataclasses.replace(config.network, widths=(width,))
    return dataclasses.replace(config, **changes)


QUICK = BEYOND_GD.default_config()


# --- config -------------------------------------------------------------------------------------


def test_defaults():
    assert get_experiment("beyond-gd") is BEYOND_GD
    assert list(BEYOND_GD.presets) == ["quick", "book"]
    x = QUICK.grid.training_points()
    assert np.array_equal(x, np.linspace(-math.pi, math.pi, 64, endpoint=False))
    assert (QUICK.method, QUICK.algorithm) == ("bfgs", "bfgs")
    assert (QUICK.network_width, QUICK.parameter_count, QUICK.network.activation, QUICK.network.init_std) == (30, 91, "tanh", 0.5)
    assert (QUICK.training.optimizer, QUICK.training.lr, QUICK.training.momentum) == ("adam", 3e-3, 0.9)
    swarm = with_(QUICK, method="pso")
    assert (swarm.network_width, swarm.parameter_count, swarm.iteration_cap) == (10, 31, 2000)
    assert (swarm.swarm.particles, swarm.swarm.inertia, swarm.swarm.cognitive, swarm.swarm.social) == (200, 0.729, 1.494, 1.494)
    assert with_(QUICK, method="powell").iteration_cap == 50
    assert with_(QUICK, method="powell", max_iterations=7).iteration_cap == 7
    assert with_(QUICK, method="pso", width=30).parameter_count == 91
    book = BEYOND_GD.default_config("book")
    assert book.target.frequencies == (1.0, 3.0, 5.0) and book.iterations.powell == 200
    validate(QUICK)
    validate(book)


def test_every_algorithm_has_an_iteration_cap_and_a_name():
    assert [f.name for f in dataclasses.fields(IterationCaps)] == list(ALL_METHODS)
    for algorithm in ALL_METHODS:
        config = with_(QUICK, method=algorithm)
        assert config.algorithm == algorithm and config.iteration_cap == getattr(QUICK.iterations, algorithm)


def test_gradient_descent_takes_the_training_keys_of_every_experiment():
    config = apply_override(QUICK, "method", "gd")
    for key, text in (("training.optimizer", "momentum"), ("training.lr", "0.05"), ("training.momentum", "0.5")):
        config = apply_override(config, key, text)
    assert (config.method, config.algorithm, config.training.lr, config.training.momentum) == ("gd", "momentum", 0.05, 0.5)
    assert config.iteration_cap == 4000
    # a gradient optimizer's name as the method (the old spelling) is gradient descent with that optimizer
    assert with_(QUICK, method="sgd") == with_(QUICK, method="gd", training=dataclasses.replace(QUICK.training, optimizer="sgd"))


def test_config_round_trips_and_takes_command_line_overrides():
    config = apply_override(QUICK, "method", "powell")
    config = apply_override(config, "swarm.particles", "50")
    config = apply_override(config, "network.widths", "12")
    config = apply_override(config, "network.activation", "relu")
    config = apply_override(config, "max_iterations", "none")
    config = apply_override(config, "target.frequencies", "1,4")
    assert (config.method, config.swarm.particles, config.network.widths, config.max_iterations) == ("powell", 50, (12,), None)
    data = json.loads(json.dumps(to_dict(config)))
    assert data["grid"] == {"lo": -math.pi, "hi": math.pi, "samples": 64, "periodic": True, "margin": 0.5}
    assert data["network"] == {"widths": [12], "activation": "relu", "init_std": 0.5}
    assert from_dict(BeyondConfig, data) == config


OLD_AND_NEW = [  # (old flat key, new key, value as typed)
    ("optimizer", "method", "powell"),
    ("lr", "training.lr", "0.02"),
    ("width", "network.widths", "12"),
    ("activation", "network.activation", "relu"),
    ("init_std", "network.init_std", "0.3"),
    ("momentum", "training.momentum", "0.5"),
]


@pytest.mark.parametrize(("old", "new", "text"), OLD_AND_NEW)
def test_old_flat_keys_set_the_same_knob_as_the_new_ones(old, new, text):
    assert apply_override(QUICK, old, text) == apply_override(QUICK, new, text) != QUICK


def test_an_old_flat_config_file_loads_as_the_new_keys_say():
    """A config.json written before the settings were grouped: flat keys, a scalar width, Adam as a method."""
    old = {**to_dict(QUICK), "optimizer": "adam", "width": 12, "activation": "sin", "init_std": 0.3, "lr": 0.01}
    for key in ("method", "network", "training"):
        del old[key]
    new = to_dict(QUICK) | {
        "method": "gd",
        "network": {"widths": [12], "activation": "sin", "init_std": 0.3},
        "training": {"optimizer": "adam", "lr": 0.01, "momentum": 0.9},
    }
    assert from_dict(BeyondConfig, old) == from_dict(BeyondConfig, new)
    assert from_dict(BeyondConfig, {"width": None}).network.widths is None  # the old automatic width
    assert from_dict(BeyondConfig, {"optimizer": "sgd"}).algorithm == "sgd"


def cli_config(tmp_path, *settings: str) -> dict:
    """config.json of a 1-iteration run through the command line."""
    out = tmp_path / "run"
    args = [arg for item in settings for arg in ("--set", item)]
    result = cli_here("run", "beyond-gd", *args, "--steps", "1", "--no-figures", "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads((out / "config.json").read_text())


def test_old_keys_work_on_the_command_line(tmp_path):
    old = cli_config(tmp_path / "old", "optimizer=sgd", "lr=0.02", "width=7")
    new = cli_config(tmp_path / "new", "method=gd", "training.optimizer=sgd", "training.lr=0.02", "network.widths=7")
    assert old == new
    assert (old["method"], old["training"]["optimizer"], old["training"]["lr"], old["network"]["widths"]) == ("gd", "sgd", 0.02, [7])


@pytest.mark.parametrize(
    ("key", "text", "english", "chinese"),
    [
        (
            "optimizer",
            "newton",
            "method must be one of cg, bfgs, lbfgs, powell, pso, gd; got 'newton'",
            "method 须为以下之一：cg、bfgs、lbfgs、powell、pso、gd；收到 'newton'",
        ),
        (
            "training.optimizer",
            "lbfgs",
            "training.optimizer must be one of adam, sgd, momentum, rmsprop; got 'lbfgs'",
            "training.optimizer 须为以下之一：adam、sgd、momentum、rmsprop；收到 'lbfgs'",
        ),
        (
            "width",
            "0",
            "network.widths must be a list of one item, a whole number in [1, 1,000], "
            "or none (automatic: 30, or 10 for the particle swarm); got 0",
            "network.widths 须为只含一项（区间 [1, 1,000] 内的整数）的列表，或留空（自动：30，粒子群为 10）；收到 0",
        ),
        ("network.widths", "30,30", "network.widths must be a list of one item, a whole number in [1, 1,000]", "；收到 30, 30"),
        ("init_std", "0", "network.init_std must be a number in (0, 10]; got 0", "network.init_std 须为区间 (0, 10] 内的数；收到 0"),
        ("max_iterations", "0", "max_iterations must be a whole number in [1, 1,000,000], or none", "；收到 0"),
        ("lr", "-1", "training.lr must be a number in (0, 10]; got -1", "training.lr 须为区间 (0, 10] 内的数；收到 -1"),
        (
            "training.momentum",
            "1",
            "training.momentum must be a number in [0, 1); got 1",
            "training.momentum 须为区间 [0, 1) 内的数；收到 1",
        ),
        ("activation", "gelu", "network.activation must be one of ", "；收到 'gelu'"),
        (
            "swarm.particles",
            "1",
            "swarm.particles must be a whole number in [2, 5,000]; got 1",
            "swarm.particles 须为区间 [2, 5,000] 内的整数；收到 1",
        ),
        ("iterations.powell", "0", "iterations.powell must be a whole number in [1, 1,000,000]; got 0", "iterations.powell 须为"),
        (
            "spectrum.n_freq",
            "40",
            "spectrum.n_freq must be a whole number in [4, grid.samples/2 = 32]; got 40",
            "spectrum.n_freq 须为区间 [4, grid.samples/2 = 32] 内的整数；收到 40",
        ),
    ],
)
def test_bad_settings_name_the_setting_the_rule_and_the_value(key, text, english, chinese):
    with pytest.raises(ConfigError) as raised:
        validate(apply_override(QUICK, key, text))
    assert english in raised.value.message("en") and str(raised.value) == raised.value.message("en")
    assert chinese in raised.value.message("zh")


def test_slowness_warnings():
    assert slowness_warning("powell", 91) is None
    assert slowness_warning("powell", 301) == ("beyond.slow.powell", {"p": 301, "evaluations": 2709})
    assert slowness_warning("pso", 31) is None
    assert slowness_warning("pso", 91) == ("beyond.slow.pso", {"p": 91, "limit": 60})
    assert slowness_warning("bfgs", 3001) == ("beyond.slow.bfgs", {"p": 3001, "limit": 2000})
    assert slowness_warning("lbfgs", 3001) is None and slowness_warning("cg", 3001) is None


# --- the F-Principle beyond gradient descent ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cg", "bfgs", "lbfgs", "powell", "pso"])
def test_lowest_frequency_converges_no_later_than_the_highest(method):
    """Every method fits sin x before sin 3x (default settings, seed 0)."""
    job = run(with_(QUICK, method=method))
    snapshot = job.snapshot
    summary = summarize(job.config, snapshot)
    low, high = summary["convergence_step"][0], summary["convergence_step"][-1]
    assert summary["frequencies"] == [1.0, 3.0] and summary["frequency_indices"] == [1, 3]
    assert low is not None, summary
    assert high is None or low <= high, summary
    assert summary["spearman"] is not None and summary["spearman"] > 0.99, summary
    assert summary["function_evaluations"] >= snapshot.step >= 1
    assert snapshot.metrics["loss"][-1] < 0.1 * snapshot.metrics["loss"][0]
    assert np.array_equal(snapshot.metrics["step"], np.arange(snapshot.step + 1))
    assert np.all(np.diff(snapshot.metrics["evaluations"]) > 0) and np.all(np.diff(snapshot.metrics["seconds"]) >= 0)


def test_every_method_starts_from_the_same_network():
    losses = {}
    for method in ("cg", "powell", "adam", "pso"):
        job = run(with_(QUICK, method=method, width=10, max_iterations=1))
        losses[method] = job.snapshot.metrics["loss"][0]
    assert losses["cg"] == pytest.approx(losses["powell"], rel=1e-12)
    assert losses["adam"] == pytest.approx(losses["cg"], rel=1e-5)  # float32 on the same θ₀
    assert losses["pso"] <= losses["cg"] * (1 + 1e-5)  # θ₀ is one of the particles; the best is reported


def test_scipy_stopping_early_ends_the_progress_at_its_last_iteration():
    job = run(
        with_(
            QUICK,
            method="bfgs",
            width=1,
            max_iterations=5000,
            target=dataclasses.replace(QUICK.target, frequencies=(1.0,), amplitudes=(0.5,)),
        )
    )
    snapshot = job.snapshot
    assert snapshot.step == snapshot.total_steps < 5000
    assert "successfully" in summarize(job.config, snapshot)["optimizer_message"]


def test_adam_reference_runs_on_the_same_engine():
    job = run(with_(QUICK, method="adam", max_iterations=30))
    assert job.snapshot.step == 30 and job.snapshot.views["evaluations"] == 30
    assert job.snapshot.metrics["loss"][-1] < job.snapshot.metrics["loss"][0]


def test_gradient_descent_follows_the_linearised_prediction_of_its_half_mse_loss():
    # the loss here is ½·mean((f − y)²): the prediction's rate is η·λ/n, half the 1-D pages'
    config = with_(QUICK, method="gd", max_iterations=30, theory="ntk")
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, optimizer="sgd", lr=0.05))
    job = run(config)
    loss, predicted = job.snapshot.metrics["loss"], job.snapshot.metrics["predicted_loss"]
    assert loss[-1] < 0.6 * loss[0]
    np.testing.assert_allclose(predicted[:20], loss[:20], rtol=0.01)
    summary = summarize(config, job.snapshot)
    assert summary["ntk_time_scale"] == "exact" and summary["ntk_learning_rate"] == 0.05
    assert summary["predicted_convergence_step"][0] == pytest.approx(summary["convergence_step"][0], abs=3)


def test_a_non_gradient_method_gets_the_references_prediction():
    job = run(with_(QUICK, max_iterations=20, theory="ntk"))
    summary = summarize(job.config, job.snapshot)
    assert summary["optimizer"] == "bfgs" and summary["ntk_optimizer"] == "adam" and summary["ntk_time_scale"] == "matched"
    predicted = job.snapshot.traces["predicted_delta_f"]
    assert np.array_equal(predicted.steps, job.snapshot.traces["delta_f"].steps)
    assert summary["kernel_drift"] is not None and len(summary["predicted_convergence_step"]) == 2


# --- pause / stop inside a Powell sweep ---------------------------------------------------------


def test_pause_and_stop_answer_inside_a_powell_sweep():
    """One Powell iteration of a 1-100-1 net is ≈2700 evaluations (≈0.5–1 s): pause/stop must not wait for it."""
    manager = JobManager(lease_seconds=None, publish_interval=0.05)
    config = with_(QUICK, method="powell", width=100, max_iterations=50)
    job = manager.submit(BEYOND_GD.name, config, BEYOND_GD.run, torch.device("cpu"))
    try:
        wait_until(lambda: job.snapshot is not None and job.snapshot.views["evaluations"] > 0, timeout=30)
        job.pause()
        wait_until(lambda: job.status is Status.PAUSED, timeout=0.5)
        frozen = job.snapshot.version
        time.sleep(0.3)
        assert job.snapshot.version == frozen
        job.resume()
        wait_until(lambda: job.snapshot.version > frozen, timeout=10)
        started = time.monotonic()
        job.stop()
        assert job.wait(0.5), "stop took longer than 0.5 s"
        assert time.monotonic() - started < 0.5
        assert job.status is Status.STOPPED
        assert job.snapshot.step < 50
    finally:
        manager.shutdown()


def test_stop_answers_quickly_in_the_swarm():
    manager = JobManager(lease_seconds=None)
    job = manager.submit(BEYOND_GD.name, with_(QUICK, method="pso", max_iterations=100_000), BEYOND_GD.run, torch.device("cpu"))
    try:
        wait_until(lambda: job.snapshot is not None and job.snapshot.step > 5, timeout=30)
        started = time.monotonic()
        job.stop()
        assert job.wait(0.5) and time.monotonic() - started < 0.5
        assert job.status is Status.STOPPED
    finally:
        manager.shutdown()


# --- files, table, benchmark --------------------------------------------------------------------


def test_cli_writes_the_usual_files(tmp_path, capsys):
    out = tmp_path / "cg"
    code = cli.main(["run", "beyond-gd", "--set", "method=cg", "--steps", "40", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(capsys.readouterr().out) == summary
    for key in ("frequencies", "convergence_step", "spearman", "function_evaluations", "steps_per_second"):
        assert key in summary
    assert summary["optimizer"] == "cg" and summary["steps"] == 40 and summary["function_evaluations"] >= 40
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == ["step", "loss", "evaluations", "seconds", "delta_f[1]", "delta_f[3]"]
    assert len(metrics) == 41
    config = json.loads((out / "config.json").read_text())
    assert config["experiment"] == "beyond-gd" and config["method"] == "cg" and config["max_iterations"] == 40
    for name in ("output", "spectrum", "heatmap", "loss"):
        assert (out / f"figure_{name}.png").stat().st_size > 1000


def test_cli_refuses_a_bad_method(tmp_path, capsys):
    assert cli.main(["run", "beyond-gd", "--set", "optimizer=newton", "--out", str(tmp_path)]) == 2
    assert "method must be one of cg, bfgs, lbfgs, powell, pso, gd; got 'newton'" in capsys.readouterr().err


def test_work_table_has_one_row_per_run_and_one_column_per_frequency():
    runs = {
        name: (summarize(job.config, job.snapshot), job.snapshot)
        for name, job in (
            ("CG", run(with_(QUICK, method="cg", width=10, max_iterations=20))),
            ("Powell", run(with_(QUICK, method="powell", width=10, max_iterations=2))),
        )
    }
    table = work_table(runs, "en")
    assert list(table["optimizer"]) == ["CG", "Powell"]
    assert "ω=1 (k=1) converged at" in table.columns and "ω=3 (k=3) converged at" in table.columns
    assert list(table["iterations"]) == ["20", "2"]
    assert int(table["function evaluations"][1].replace(",", "")) > 100  # Powell: many evaluations per iteration
    chinese = work_table(runs, "zh")
    assert "优化器" in chinese.columns and "函数求值次数" in chinese.columns


def test_benchmark_figures_come_from_the_swarm_steps_it_times(monkeypatch):
    """A real quick run (≈0.5 s): the rates are timed, so only their structure and bounds are known."""
    stepped = {True: 0, False: 0}
    step = ParticleSwarm.step

    def counted(swarm):
        stepped[swarm.batched] += 1
        step(swarm)

    monkeypatch.setattr(ParticleSwarm, "step", counted)
    started = time.perf_counter()
    rows = beyond_bench.run(quick=True)
    elapsed = time.perf_counter() - started
    names = [row["name"] for row in rows]
    assert names == ["beyond/pso-200-particles", "beyond/pso-1000-particles", "beyond/powell-objective"]
    assert all(math.isfinite(v) and v > 0 for row in rows for v in row.values() if isinstance(v, float))
    iterations = rows[0]["iterations"]
    # per swarm size: 3 warm-up and `iterations` timed batched steps, a tenth (at least 2) looped ones
    assert stepped == {True: 2 * (3 + iterations), False: 2 * max(2, iterations // 10)}
    for row, particles in zip(rows[:2], (200, 1000), strict=True):
        # each rate is timed inside this call, so it cannot be below its steps over the whole call
        assert row["batched_iterations_per_s"] >= iterations / elapsed
        assert row["looped_iterations_per_s"] >= max(2, iterations // 10) / elapsed
        assert row["batched_evaluations_per_s"] == pytest.approx(row["batched_iterations_per_s"] * particles)
        assert row["ratio"] == pytest.approx(row["batched_iterations_per_s"] / row["looped_iterations_per_s"])
    powell = rows[2]
    assert powell["parameters"] == 3 * DEFAULT_WIDTH + 1  # the 1-m-1 net: m in-weights, m biases, m out-weights, 1
    assert powell["ratio"] == pytest.approx(powell["flat_evaluations_per_s"] / powell["module_evaluations_per_s"])
