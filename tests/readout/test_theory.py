"""The linearised (NTK) prediction: the kernel, the residual it predicts under gradient descent, the
predicted ΔF and convergence order, and ``--set theory=ntk`` end to end."""

import csv
import dataclasses
import json

import numpy as np
import pytest
import torch

from fpengine.engine.headless import run_to_end
from fpengine.models import mlp
from fpengine.oned.bench import jacobian_kernel
from fpengine.oned.experiment import build_model
from fpengine.oned.settings import OneDConfig
from fpengine.readout.analysis import analyse_target
from fpengine.readout.settings import GridConfig, SpectrumConfig
from fpengine.readout.targets import TargetConfig
from fpengine.readout.theory import LinearPrediction, RunTheory, SpectralPrediction, matched_step, tangent_kernel
from fpengine.registry import EXPERIMENTS
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.config import apply_override
from tests.cli_helpers import assert_refused, cli_here

CPU = torch.device("cpu")
THREE_SINES = TargetConfig(frequencies=(1.0, 3.0, 5.0), amplitudes=(1.0, 1.0, 1.0))


def wide_config(lr: float = 1e-3, steps: int = 50, width: int = 2000) -> OneDConfig:
    """A wide one-hidden-layer tanh net (PyTorch's init) on sin x + sin 3x + sin 5x, full-batch gradient descent."""
    return OneDConfig(
        target=THREE_SINES,
        network=NetworkConfig(widths=(width,), init="default"),
        training=TrainingConfig(optimizer="sgd", lr=lr, steps=steps),
        grid=GridConfig(samples=64, periodic=True),
        spectrum=SpectrumConfig(n_freq=16),
        theory="ntk",
    )


def theory_of(config: OneDConfig, loss_scale: float = 1.0) -> RunTheory:
    return RunTheory(build_model(config, CPU), analyse_target(config), config.training, config.spectrum, loss_scale)


def stable_lr(config: OneDConfig, top_decay: float = 0.1) -> float:
    """The step at which the kernel's largest mode shrinks by ``top_decay`` per step (2ηλ/n = top_decay)."""
    largest = theory_of(config).prediction.linear.eigenvalues[0]
    return top_decay * config.grid.samples / (2 * largest)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sin"])
def test_the_kernel_equals_jjt_of_per_sample_jacobians(activation):
    model = mlp(1, (7, 5), 1, activation).double()
    x = np.linspace(-2.0, 2.0, 23)
    kernel, outputs = tangent_kernel(model, x)
    reference = jacobian_kernel(model, x)  # vmap(jacrev(...)) over every parameter
    assert np.max(np.abs(kernel - reference)) <= 1e-12 * np.max(np.abs(reference))
    np.testing.assert_allclose(outputs, model(torch.tensor(x).unsqueeze(1)).detach().squeeze(1).numpy(), rtol=1e-14)


def test_the_kernel_is_symmetric_positive_semidefinite_and_orders_by_frequency():
    config = apply_override(EXPERIMENTS["sine-fit"].default_config("quick"), "theory", "ntk")
    kernel, _ = tangent_kernel(build_model(config, CPU), analyse_target(config).x)
    assert np.max(np.abs(kernel - kernel.T)) <= 1e-13 * np.max(np.abs(kernel))
    eigenvalues = np.linalg.eigvalsh(kernel)
    assert eigenvalues.min() >= -1e-12 * eigenvalues.max()
    theory = theory_of(config)
    assert np.all(np.diff(theory.eigenvalues) <= 0)
    # the higher an eigenvector's frequency, the smaller its eigenvalue
    largest = [theory.eigenvalues[theory.eigen_indices == k].max() for k in range(1, 6)]
    assert np.all(np.diff(largest) < 0), largest


@pytest.mark.parametrize("activation", ["relu", "tanh", "hat"])
def test_an_antisymmetric_network_starts_at_zero_with_the_kernel_of_its_first_half_twice(activation):
    """Its mirrored pairs cancel in the output but not in the gradients: K = 2·K_half − 1 (every
    first-half unit counted twice, the output bias's constant 1 once), so E[K] is the random net's."""
    config = apply_override(dataclasses.replace(wide_config(width=64), seed=3), "network.activation", activation)
    config = apply_override(apply_override(config, "network.init_power", "0"), "network.output_init", "antisymmetric")
    model = build_model(config, CPU)
    x = analyse_target(config).x
    kernel, outputs = tangent_kernel(model, x)
    random = build_model(apply_override(config, "network.output_init", "random"), CPU)
    half = mlp(1, (32,), 1, activation)
    with torch.no_grad():
        half[0].weight.copy_(random[0].weight[:32])
        half[0].bias.copy_(random[0].bias[:32])
        half[2].weight.copy_(random[2].weight[:, :32])
        half[2].bias.zero_()
    random_outputs = tangent_kernel(random, x)[1]
    assert np.abs(outputs).max() < 1e-6 * np.abs(random_outputs).max()
    np.testing.assert_allclose(kernel, 2 * tangent_kernel(half, x)[0] - 1, rtol=1e-12, atol=1e-9 * np.abs(kernel).max())


def test_the_kernel_refuses_a_layer_it_cannot_handle():
    with pytest.raises(TypeError, match="LayerNorm"):
        tangent_kernel(torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.LayerNorm(3), torch.nn.Linear(3, 1)), np.zeros(4))


def test_the_predicted_residual_matches_gradient_descent_on_a_wide_network():
    config = wide_config()
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, lr=stable_lr(config)))
    analysis = analyse_target(config)
    model = build_model(config, CPU)
    prediction = RunTheory(model, analysis, config.training, config.spectrum, loss_scale=1.0).prediction.linear
    x = torch.tensor(analysis.x, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(analysis.y, dtype=torch.float32).unsqueeze(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.training.lr)
    trained = []
    for _ in range(config.training.steps + 1):  # the experiment's loss: mean((f − y)²)
        output = model(x)
        trained.append((output - y).detach().squeeze(1).double().numpy())
        loss = torch.mean((output - y) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    trained = np.array(trained)
    predicted = prediction.residuals(np.arange(config.training.steps + 1))
    assert np.linalg.norm(trained[-1]) < 0.9 * np.linalg.norm(trained[0])  # it did learn
    relative = np.linalg.norm(predicted - trained, axis=1) / np.linalg.norm(trained, axis=1)
    assert relative.max() < 0.01, relative.max()


def test_a_gradient_descent_run_follows_its_prediction():
    config = wide_config(steps=60)
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, lr=stable_lr(config)))
    experiment = EXPERIMENTS["equal-amplitude"]
    snapshot = run_to_end(experiment, config, CPU).snapshot
    loss, predicted_loss = snapshot.metrics["loss"], snapshot.metrics["predicted_loss"]
    assert loss[-1] < 0.8 * loss[0]  # it did learn
    np.testing.assert_allclose(predicted_loss, loss, rtol=0.01)
    measured, predicted = snapshot.traces["delta_f"], snapshot.traces["predicted_delta_f"]
    assert predicted.keys == measured.keys and np.array_equal(predicted.steps, measured.steps)
    np.testing.assert_allclose(predicted.errors, measured.errors, atol=0.01)
    summary = experiment.summarize(config, snapshot)
    assert summary["ntk_time_scale"] == "exact" and summary["ntk_learning_rate"] == config.training.lr
    assert summary["predicted_convergence_step"][0] == pytest.approx(summary["convergence_step"][0], abs=2)
    assert 0 < summary["parameter_drift"] < 0.01 and 0 < summary["kernel_drift"] < 0.01


def test_on_equal_amplitudes_the_predicted_order_is_low_to_high():
    config = wide_config(width=200)
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, lr=stable_lr(config, 0.5)))
    needed = theory_of(config).steps_needed
    assert None not in needed and needed == sorted(needed) and len(set(needed)) == 3, needed


def test_a_circulant_kernel_predicts_each_fourier_mode_by_its_eigenvalue():
    # on a periodic grid every Fourier mode is an eigenvector of a circulant kernel: K = F diag(μ) F*
    grid = GridConfig(samples=64, periodic=True)
    x, n = grid.training_points(), grid.samples
    k = np.minimum(np.arange(n), n - np.arange(n))
    mu = 50.0 / (1.0 + k**2)
    fourier = np.exp(2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n) / np.sqrt(n)
    kernel = (fourier @ np.diag(mu) @ fourier.conj().T).real
    y = np.sin(3 * x) + 0.5 * np.cos(7 * x)  # DFT indices 3 and 7 on [−π, π)
    step, scale = 0.4, 1.0
    linear = LinearPrediction.from_kernel(kernel, -y, step, scale)  # the network starts at f = 0
    np.testing.assert_allclose(linear.eigenvalues, np.sort(mu)[::-1], rtol=1e-12)
    indices = np.array([3, 7])
    target = (np.fft.fft(y) / n)[indices]
    steps = np.arange(0, 400, 7)
    errors = SpectralPrediction.of(linear, indices, target, "complex").errors(steps)
    rate = 2 * scale * step / n
    expected = np.abs(1 - rate * mu[indices])[None, :] ** steps[:, None]
    np.testing.assert_allclose(errors, expected, rtol=1e-9, atol=1e-14)


def test_the_matched_step_is_the_first_steps_descent():
    parameter = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    gradient = torch.tensor([0.3, -0.01, 2.0], dtype=torch.float64)
    assert matched_step("sgd", 0.1, 0.9, [parameter], [gradient]) == 0.1
    # Nesterov momentum's first step is lr·(1 + μ)·g
    assert matched_step("momentum", 0.1, 0.9, [parameter], [gradient]) == pytest.approx(0.19, rel=1e-12)
    # Adam's first step is lr·g/(|g| + 1e-8) per coordinate
    g = gradient.numpy()
    adam = 0.1 * np.sum(g**2 / (np.abs(g) + 1e-8)) / np.sum(g**2)
    assert matched_step("adam", 0.1, 0.9, [parameter], [gradient]) == pytest.approx(adam, rel=1e-9)


def test_theory_does_not_change_the_run():
    experiment = EXPERIMENTS["equal-amplitude"]
    plain = apply_override(experiment.default_config("quick"), "training.steps", "40")
    with_theory = apply_override(plain, "theory", "ntk")
    first = run_to_end(experiment, plain, CPU).snapshot
    second = run_to_end(experiment, with_theory, CPU).snapshot
    assert np.array_equal(first.metrics["loss"], second.metrics["loss"])
    assert np.array_equal(first.traces["delta_f"].errors, second.traces["delta_f"].errors)
    assert set(first.traces) == {"delta_f"} and "predicted_loss" not in first.metrics
    assert not any(key.startswith(("predicted", "ntk_")) for key in experiment.summarize(plain, first))
    assert experiment.summarize(with_theory, second)["ntk_time_scale"] == "matched"  # Adam


@pytest.mark.slow
def test_cli_theory_ntk_writes_the_prediction(tmp_path):
    out = tmp_path / "run"
    result = cli_here("run", "equal-amplitude", "--steps", "200", "--set", "theory=ntk", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["predicted_convergence_step"]) == len(summary["convergence_step"]) == 3
    assert len(summary["ntk_eigenvalues"]) == 10 and summary["ntk_eigenvalues"] == sorted(summary["ntk_eigenvalues"], reverse=True)
    assert summary["ntk_eigenvector_index"][0] in (0, 1)
    assert summary["ntk_time_scale"] == "matched" and summary["ntk_optimizer"] == "adam"
    assert summary["parameter_drift"] > 0 and summary["kernel_drift"] > 0
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 200
    assert list(rows[0]) == [
        "step",
        "loss",
        "predicted_loss",
        "delta_f[1]",
        "delta_f[3]",
        "delta_f[5]",
        "predicted_delta_f[1]",
        "predicted_delta_f[3]",
        "predicted_delta_f[5]",
    ]
    # at step 0 the prediction starts from the measured network
    assert float(rows[0]["predicted_delta_f[3]"]) == pytest.approx(float(rows[0]["delta_f[3]"]), rel=1e-4)
    for name in ("theory", "ntk_spectrum", "theory_loss"):
        assert (out / f"figure_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "setting, named",
    [("theory=maybe", ["theory", "'maybe'", "none, ntk"]), ("grid.samples=4096", ["grid.samples", "theory=ntk", "2,048", "4096"])],
    ids=["value", "samples"],
)
def test_cli_refuses_a_bad_theory_in_one_line(setting, named, tmp_path):
    result = cli_here("run", "sine-fit", "--set", "theory=ntk", "--set", setting, "--out", str(tmp_path / "x"))
    assert_refused(result, *named)
