"""The flat 1-m-1 network and the optimisers that are not gradient descent."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import torch

from fpengine.beyond_gd.flatnet import FlatNet, FlatObjective
from fpengine.beyond_gd.nongradient import (
    ALL_METHODS,
    SCIPY_METHODS,
    ParticleSwarm,
    SwarmSettings,
    minimize_scipy,
    optimize,
    run_swarm,
)
from fpengine.models import mlp

torch.set_num_threads(1)

GRID = np.linspace(-np.pi, np.pi, 32, endpoint=False)
TARGET = np.sin(GRID) + np.sin(3 * GRID)


def objective(width: int = 8, dtype: torch.dtype = torch.float64) -> FlatObjective:
    return FlatObjective(FlatNet(width), GRID, TARGET, dtype=dtype)


# --- FlatNet ---------------------------------------------------------------------------------------


def test_parameter_layout_by_hand():
    net = FlatNet(1)
    theta = torch.tensor([2.0, 0.5, 3.0, -1.0], dtype=torch.float64)
    out = net.forward(theta, torch.tensor([0.25, -0.25], dtype=torch.float64))
    assert out.tolist() == pytest.approx([3 * math.tanh(1.0) - 1, 3 * math.tanh(0.0) - 1])
    assert FlatNet(30).parameter_count == 91
    assert FlatNet(10).parameter_count == 31


def test_forward_matches_torch_mlp_with_the_same_weights():
    width = 5
    model = mlp(1, [width], 1, "tanh").double()
    first, last = model[0], model[2]
    theta = torch.cat([first.weight.detach().reshape(-1), first.bias.detach(), last.weight.detach().reshape(-1), last.bias.detach()])
    x = torch.linspace(-2, 2, 11, dtype=torch.float64)
    expected = model(x.reshape(-1, 1)).reshape(-1)
    assert torch.allclose(FlatNet(width).forward(theta, x), expected, atol=1e-12)


def test_batched_forward_equals_one_forward_per_particle():
    net = FlatNet(6, "sigmoid")
    thetas = torch.randn(9, net.parameter_count, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    x = torch.tensor(GRID)
    batched = net.forward_batch(thetas, x)
    assert batched.shape == (9, len(GRID))
    for row, theta in zip(batched, thetas, strict=True):
        assert torch.allclose(row, net.forward(theta, x), atol=1e-12)


def test_wrong_parameter_count_is_refused():
    with pytest.raises(ValueError, match="expected 25 parameters"):
        FlatNet(8).forward(torch.zeros(24, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="at least 1"):
        FlatNet(0)


def test_initial_parameters_are_seeded_normal():
    net = FlatNet(300)
    a, b = net.initial_parameters(7), net.initial_parameters(7)
    assert np.array_equal(a, b) and a.dtype == np.float64 and a.shape == (901,)
    assert not np.array_equal(a, net.initial_parameters(8))
    assert abs(a.std() - 0.5) < 0.05
    assert abs(net.initial_parameters(7, std=0.1).std() - 0.1) < 0.01


def test_loss_is_half_mse_and_gradient_matches_finite_differences():
    obj = objective()
    theta = obj.net.initial_parameters(0)
    expected = 0.5 * np.mean((obj.outputs(theta) - TARGET) ** 2)
    value, gradient = obj.loss_and_gradient(theta)
    assert value == pytest.approx(expected, rel=1e-12)
    assert obj.loss(theta) == pytest.approx(expected, rel=1e-12)
    assert gradient.dtype == np.float64 and gradient.shape == (25,)
    numeric = scipy.optimize.approx_fprime(theta, obj.loss, 1e-7)
    assert np.max(np.abs(gradient - numeric)) < 1e-6


def test_batch_loss_chunked_batched_and_looped_agree():
    obj = objective()
    thetas = np.random.default_rng(1).normal(0, 0.5, (20, 25))
    looped = obj.batch_loss_looped(thetas)
    assert torch.allclose(obj.batch_loss(thetas), looped, rtol=1e-12)
    assert torch.allclose(obj.batch_loss(thetas, chunk=7), looped, rtol=1e-12)
    assert looped[4].item() == pytest.approx(obj.loss(thetas[4]), rel=1e-12)


def test_objective_rejects_mismatched_data():
    with pytest.raises(ValueError, match="same length"):
        FlatObjective(FlatNet(3), GRID, TARGET[:-1])


# --- SciPy methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(SCIPY_METHODS))
def test_scipy_methods_reduce_the_loss_and_report_every_iteration(method):
    obj = objective()
    theta0 = obj.net.initial_parameters(0)
    iterations, evaluations = [], []
    cap = 6 if method == "powell" else 40
    result = minimize_scipy(
        method,
        obj,
        theta0,
        cap,
        on_iteration=lambda i, theta, n: iterations.append((i, n, obj.loss(theta))),
        on_evaluation=evaluations.append,
    )
    assert [i for i, _, _ in iterations] == list(range(result.iterations + 1))
    assert 1 <= result.iterations <= cap
    assert iterations[0][1] == 0 and iterations[0][2] == pytest.approx(obj.loss(theta0))
    assert evaluations == list(range(1, result.evaluations + 1))
    assert result.loss == pytest.approx(obj.loss(result.theta))
    assert result.loss < 0.5 * obj.loss(theta0)
    losses = [loss for _, _, loss in iterations]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:], strict=False))  # all four are descent methods


def test_powell_hook_can_stop_inside_one_sweep():
    """Pause/stop must not wait for a whole Powell iteration (≈ P line searches)."""
    obj = objective()

    class Stop(Exception):
        pass

    def stop_at_fifty(evaluations: int) -> None:
        if evaluations == 50:
            raise Stop

    seen_iterations: list[int] = []
    with pytest.raises(Stop):
        minimize_scipy(
            "powell",
            obj,
            obj.net.initial_parameters(0),
            100,
            on_iteration=lambda i, theta, n: seen_iterations.append(i),
            on_evaluation=stop_at_fifty,
        )
    assert seen_iterations == [0]  # stopped during the first sweep, before it ended


def test_unknown_methods_are_refused():
    obj = objective()
    theta0 = obj.net.initial_parameters(0)
    with pytest.raises(ValueError, match="unknown SciPy method"):
        minimize_scipy("nelder-mead", obj, theta0, 5)
    with pytest.raises(ValueError, match="unknown method 'newton'"):
        optimize("newton", obj, theta0, 5)
    with pytest.raises(ValueError, match="at least 1"):
        optimize("bfgs", obj, theta0, 0)


# --- particle swarm -------------------------------------------------------------------------------


def test_swarm_defaults_are_the_constriction_values():
    settings = SwarmSettings()
    assert (settings.particles, settings.inertia, settings.cognitive, settings.social) == (200, 0.729, 1.494, 1.494)


def test_swarm_starts_from_the_shared_initial_network():
    obj = objective()
    theta0 = obj.net.initial_parameters(4)
    swarm = ParticleSwarm(obj, theta0, SwarmSettings(particles=30), seed=0, init_std=0.1)
    assert np.allclose(swarm.positions[0].numpy(), theta0)
    assert 0.07 < float(swarm.positions[1:].std()) < 0.13
    assert swarm.evaluations == 30
    assert swarm.best_loss == pytest.approx(min(obj.loss(p) for p in swarm.positions.numpy()))
    with pytest.raises(ValueError, match="at least 2 particles"):
        ParticleSwarm(obj, theta0, SwarmSettings(particles=1), seed=0)


def test_swarm_best_loss_never_rises_and_counts_evaluations():
    obj = objective()
    theta0 = obj.net.initial_parameters(0)
    best: list[float] = []
    result = run_swarm(obj, theta0, 60, SwarmSettings(particles=40), seed=1, on_iteration=lambda i, theta, n: best.append(obj.loss(theta)))
    assert len(best) == 61
    assert all(b <= a for a, b in zip(best, best[1:], strict=False))
    assert result.evaluations == 40 * 61
    assert result.loss == pytest.approx(best[-1])
    assert result.loss < 0.5 * best[0]


def test_swarm_is_reproducible_and_looped_evaluation_follows_the_same_path():
    obj = objective()
    theta0 = obj.net.initial_parameters(0)
    batched = run_swarm(obj, theta0, 15, SwarmSettings(particles=25), seed=2, chunk=8)
    again = run_swarm(obj, theta0, 15, SwarmSettings(particles=25), seed=2)
    looped = run_swarm(obj, theta0, 15, SwarmSettings(particles=25), seed=2, batched=False)
    assert np.allclose(batched.theta, again.theta, atol=1e-12)
    assert np.allclose(batched.theta, looped.theta, atol=1e-10)
    assert batched.evaluations == looped.evaluations == 25 * 16


def test_swarm_evaluation_hook_fires_per_chunk():
    obj = objective()
    counts: list[int] = []
    run_swarm(obj, obj.net.initial_parameters(0), 2, SwarmSettings(particles=10), seed=0, chunk=4, on_evaluation=counts.append)
    assert counts == [4, 8, 10, 14, 18, 20, 24, 28, 30]


def test_swarm_runs_in_float32():
    obj = objective(dtype=torch.float32)
    result = run_swarm(obj, obj.net.initial_parameters(0), 20, SwarmSettings(particles=30), seed=0)
    assert result.theta.dtype == np.float64 and np.isfinite(result.loss)


# --- reference and dispatch -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "lr"), [("adam", 0.01), ("sgd", 0.2), ("momentum", 0.05), ("rmsprop", 0.01)])
def test_gradient_descent_reference_on_the_same_vector(method, lr):
    obj = objective()
    theta0 = obj.net.initial_parameters(0)
    steps: list[int] = []
    result = optimize(method, obj, theta0, 50, learning_rate=lr, on_iteration=lambda i, theta, n: steps.append(n))
    assert steps == list(range(51))
    assert result.evaluations == result.iterations == 50
    assert obj.loss(result.theta) < 0.8 * obj.loss(theta0)
    assert np.array_equal(theta0, obj.net.initial_parameters(0))  # the start vector is not modified


def test_every_method_runs_through_optimize():
    obj = objective(width=3)
    theta0 = obj.net.initial_parameters(0)
    for method in ALL_METHODS:
        result = optimize(method, obj, theta0, 2, swarm=SwarmSettings(particles=5))
        assert result.iterations <= 2 and result.evaluations >= 1, method
        assert np.isfinite(result.loss), method
