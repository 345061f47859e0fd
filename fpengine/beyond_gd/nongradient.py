"""Training a :class:`~fpengine.beyond_gd.flatnet.FlatNet` without gradient descent.

- ``cg``, ``bfgs``, ``lbfgs``, ``powell``: ``scipy.optimize.minimize`` on the flat parameter vector, with
  loss and gradient from torch autograd (Powell uses the loss only).
- ``pso``: a particle swarm (inertia 0.729, c1 = c2 = 1.494) whose whole swarm is evaluated in one
  batched forward pass.
- ``adam``, ``sgd``, ``momentum``, ``rmsprop``: the gradient-descent reference, on the same flat vector.

Every method reports through two hooks: ``on_iteration(iteration, theta, evaluations)`` once per
iteration (iteration 0 is the start), and ``on_evaluation(evaluations)`` after every loss evaluation,
so a caller can pause or stop inside a long Powell line search. An exception raised by a hook (the
run engine's ``RunStopped``) ends the optimisation at once and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch
from threadpoolctl import threadpool_limits

from fpengine.beyond_gd.flatnet import DEFAULT_CHUNK, DEFAULT_INIT_STD, FlatObjective
from fpengine.optimizers import GRADIENT_OPTIMIZERS, make_optimizer
from fpengine.settings.schema import Interval, setting

SCIPY_METHODS = {"cg": "CG", "bfgs": "BFGS", "lbfgs": "L-BFGS-B", "powell": "Powell"}
SWARM_METHOD = "pso"
NONGRADIENT_METHODS = (*SCIPY_METHODS, SWARM_METHOD)
ALL_METHODS = (*NONGRADIENT_METHODS, *GRADIENT_OPTIMIZERS)
"""Everything :func:`optimize` runs: the methods that are not gradient descent, then the
gradient optimizers of the reference."""

IterationHook = Callable[[int, np.ndarray, int], None]
EvaluationHook = Callable[[int], None]


def _ignore_iteration(iteration: int, theta: np.ndarray, evaluations: int) -> None:
    return None


def _ignore_evaluation(evaluations: int) -> None:
    return None


@dataclass(frozen=True)
class OptimizationResult:
    theta: np.ndarray
    loss: float
    iterations: int
    evaluations: int
    message: str


@dataclass(frozen=True)
class SwarmSettings:
    """Particle swarm with Clerc's constriction values (inertia 0.729, c1 = c2 = 1.494); the
    ``swarm`` group of the Sec 1.6 experiment's config."""

    particles: int = setting(200, Interval(2, 5000, integer=True))
    inertia: float = setting(0.729, Interval(0, 1.5))
    cognitive: float = setting(1.494, Interval(0, 5))
    social: float = setting(1.494, Interval(0, 5))


class _CountedObjective:
    """Counts loss evaluations and calls the evaluation hook after each one."""

    def __init__(self, objective: FlatObjective, on_evaluation: EvaluationHook):
        self.objective = objective
        self.on_evaluation = on_evaluation
        self.evaluations = 0

    def _counted(self, count: int = 1) -> None:
        self.evaluations += count
        self.on_evaluation(self.evaluations)

    def loss(self, theta: np.ndarray) -> float:
        value = self.objective.loss(theta)
        self._counted()
        return value

    def loss_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        result = self.objective.loss_and_gradient(theta)
        self._counted()
        return result

    def batch_loss(self, thetas: torch.Tensor, batched: bool, chunk: int) -> torch.Tensor:
        if not batched:
            losses = self.objective.batch_loss_looped(thetas)
            self._counted(thetas.shape[0])
            return losses
        parts = []
        for start in range(0, thetas.shape[0], chunk):
            part = thetas[start : start + chunk]
            parts.append(self.objective.batch_loss(part, chunk=chunk))
            self._counted(part.shape[0])
        return torch.cat(parts)


def minimize_scipy(
    method: str,
    objective: FlatObjective,
    theta0: np.ndarray,
    max_iterations: int,
    on_iteration: IterationHook = _ignore_iteration,
    on_evaluation: EvaluationHook = _ignore_evaluation,
) -> OptimizationResult:
    """``scipy.optimize.minimize`` with ``method`` in :data:`SCIPY_METHODS`, at most ``max_iterations``."""
    if method not in SCIPY_METHODS:
        raise ValueError(f"unknown SciPy method {method!r} (choose from {', '.join(SCIPY_METHODS)})")
    counted = _CountedObjective(objective, on_evaluation)
    theta0 = np.asarray(theta0, dtype=np.float64)
    on_iteration(0, theta0.copy(), 0)
    iteration = 0

    def record(theta: np.ndarray) -> None:
        nonlocal iteration
        iteration += 1
        on_iteration(iteration, np.array(theta, dtype=np.float64), counted.evaluations)

    options: dict[str, float | int] = {"maxiter": max_iterations}
    if method == "lbfgs":
        options["maxfun"] = max(15000, 50 * max_iterations)
    # SciPy's own linear algebra is on tiny matrices: a second BLAS thread only fights the trainer and
    # the UI for the cores (a 91×91 product took 18× longer with two threads on a loaded 2-core box).
    with threadpool_limits(limits=1, user_api="blas"):
        if method == "powell":
            result = scipy.optimize.minimize(counted.loss, theta0, method="Powell", callback=record, options=options)
        else:
            result = scipy.optimize.minimize(
                counted.loss_and_gradient, theta0, method=SCIPY_METHODS[method], jac=True, callback=record, options=options
            )
    return OptimizationResult(
        np.asarray(result.x, dtype=np.float64), float(result.fun), iteration, counted.evaluations, str(result.message)
    )


class ParticleSwarm:
    """A global-best particle swarm over flat parameter vectors.

    The initial swarm is drawn from N(0, init_std²) (the networks' own initial distribution) with
    particle 0 set to ``theta0``, so the swarm starts from the same network as the other methods.
    Velocities start at zero. Every draw comes from a CPU generator seeded with ``seed`` (then copied
    to the objective's device), so a seed gives the same swarm on every device. Each step draws
    r1, r2 ~ U(0, 1) per coordinate and applies
    ``v ← w·v + c1·r1·(p_best − x) + c2·r2·(g_best − x)``, ``x ← x + v``. The swarm is evaluated
    ``chunk`` particles per batched forward, or (``batched=False``, the benchmark's baseline) one
    forward per particle.
    """

    def __init__(
        self,
        objective: FlatObjective,
        theta0: np.ndarray,
        settings: SwarmSettings,
        seed: int,
        *,
        init_std: float = DEFAULT_INIT_STD,
        batched: bool = True,
        chunk: int = DEFAULT_CHUNK,
        on_evaluation: EvaluationHook = _ignore_evaluation,
    ):
        if settings.particles < 2:
            raise ValueError(f"a swarm needs at least 2 particles, got {settings.particles}")
        self.settings = settings
        self.batched = batched
        self.chunk = chunk
        self.counted = _CountedObjective(objective, on_evaluation)
        self.generator = torch.Generator().manual_seed(seed)
        shape = (settings.particles, objective.parameter_count)
        self.positions = self._draw(torch.randn, shape) * init_std
        self.positions[0] = objective.tensor(theta0)
        self.velocities = torch.zeros_like(self.positions)
        self.best_positions = self.positions.clone()
        self.best_losses = self.counted.batch_loss(self.positions, batched, chunk)
        self.leader = int(torch.argmin(self.best_losses))

    def _draw(self, distribution: Callable[..., torch.Tensor], shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
        objective = self.counted.objective
        return distribution(shape, generator=self.generator, dtype=objective.dtype).to(objective.device)

    @property
    def evaluations(self) -> int:
        return self.counted.evaluations

    @property
    def best_theta(self) -> np.ndarray:
        return self.best_positions[self.leader].cpu().numpy().astype(np.float64)

    @property
    def best_loss(self) -> float:
        return float(self.best_losses[self.leader])

    def step(self) -> None:
        s = self.settings
        r1 = self._draw(torch.rand, self.positions.shape)
        r2 = self._draw(torch.rand, self.positions.shape)
        leader = self.best_positions[self.leader]
        self.velocities = (
            s.inertia * self.velocities
            + s.cognitive * r1 * (self.best_positions - self.positions)
            + s.social * r2 * (leader - self.positions)
        )
        self.positions = self.positions + self.velocities
        losses = self.counted.batch_loss(self.positions, self.batched, self.chunk)
        improved = losses < self.best_losses
        self.best_positions[improved] = self.positions[improved]
        self.best_losses = torch.where(improved, losses, self.best_losses)
        self.leader = int(torch.argmin(self.best_losses))


def run_swarm(
    objective: FlatObjective,
    theta0: np.ndarray,
    max_iterations: int,
    settings: SwarmSettings = SwarmSettings(),
    seed: int = 0,
    *,
    init_std: float = DEFAULT_INIT_STD,
    batched: bool = True,
    chunk: int = DEFAULT_CHUNK,
    on_iteration: IterationHook = _ignore_iteration,
    on_evaluation: EvaluationHook = _ignore_evaluation,
) -> OptimizationResult:
    """``max_iterations`` swarm updates; the reported network is the swarm's best so far."""
    swarm = ParticleSwarm(objective, theta0, settings, seed, init_std=init_std, batched=batched, chunk=chunk, on_evaluation=on_evaluation)
    on_iteration(0, swarm.best_theta, swarm.evaluations)
    for iteration in range(1, max_iterations + 1):
        swarm.step()
        on_iteration(iteration, swarm.best_theta, swarm.evaluations)
    return OptimizationResult(swarm.best_theta, swarm.best_loss, max_iterations, swarm.evaluations, "iteration limit reached")


def run_gradient_descent(
    method: str,
    objective: FlatObjective,
    theta0: np.ndarray,
    max_iterations: int,
    learning_rate: float,
    momentum: float = 0.9,
    on_iteration: IterationHook = _ignore_iteration,
    on_evaluation: EvaluationHook = _ignore_evaluation,
) -> OptimizationResult:
    """The reference: full-batch gradient steps of ``method`` (adam, sgd, …) on the same flat vector and loss."""
    theta = objective.tensor(np.asarray(theta0, dtype=np.float64)).clone().requires_grad_(True)
    optimizer = make_optimizer(method, [theta], learning_rate, momentum)
    on_iteration(0, np.asarray(theta0, dtype=np.float64).copy(), 0)
    loss = float("nan")
    for iteration in range(1, max_iterations + 1):
        optimizer.zero_grad(set_to_none=True)
        value = objective.loss_tensor(theta)
        value.backward()
        optimizer.step()
        loss = float(value.detach())
        on_evaluation(iteration)
        on_iteration(iteration, theta.detach().cpu().numpy().astype(np.float64), iteration)
    return OptimizationResult(
        theta.detach().cpu().numpy().astype(np.float64), loss, max_iterations, max_iterations, "iteration limit reached"
    )


def optimize(
    method: str,
    objective: FlatObjective,
    theta0: np.ndarray,
    max_iterations: int,
    *,
    swarm: SwarmSettings = SwarmSettings(),
    init_std: float = DEFAULT_INIT_STD,
    learning_rate: float = 1e-3,
    momentum: float = 0.9,
    seed: int = 0,
    on_iteration: IterationHook = _ignore_iteration,
    on_evaluation: EvaluationHook = _ignore_evaluation,
) -> OptimizationResult:
    """Run any method of :data:`ALL_METHODS` from ``theta0`` for at most ``max_iterations``."""
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be at least 1, got {max_iterations}")
    if method in SCIPY_METHODS:
        return minimize_scipy(method, objective, theta0, max_iterations, on_iteration, on_evaluation)
    if method == SWARM_METHOD:
        return run_swarm(
            objective, theta0, max_iterations, swarm, seed, init_std=init_std, on_iteration=on_iteration, on_evaluation=on_evaluation
        )
    if method in GRADIENT_OPTIMIZERS:
        return run_gradient_descent(method, objective, theta0, max_iterations, learning_rate, momentum, on_iteration, on_evaluation)
    raise ValueError(f"unknown method {method!r} (choose from {', '.join(ALL_METHODS)})")
