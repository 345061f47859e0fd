"""Sec 1.6: the particle swarm with one batched forward vs a loop over particles, and the
function evaluations per second that Powell's method gets from the torch-backed flat objective."""

from __future__ import annotations

import time

import numpy as np
import torch

from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.beyond_gd.flatnet import FlatNet, FlatObjective
from fpengine.beyond_gd.nongradient import ParticleSwarm, SwarmSettings, minimize_scipy
from fpengine.beyond_gd.settings import DEFAULT_WIDTH, SWARM_WIDTH, BeyondConfig
from fpengine.models import mlp
from fpengine.readout.analysis import analyse_target


def flat_objective(config: BeyondConfig, width: int, dtype: torch.dtype) -> FlatObjective:
    analysis = analyse_target(config)
    return FlatObjective(FlatNet(width), analysis.x, analysis.y, dtype=dtype)


def swarm_iterations_per_second(objective: FlatObjective, settings: SwarmSettings, iterations: int, batched: bool = True) -> float:
    swarm = ParticleSwarm(objective, objective.net.initial_parameters(0), settings, seed=0, batched=batched)
    start = time.perf_counter()
    for _ in range(iterations):
        swarm.step()
    return iterations / (time.perf_counter() - start)


def module_evaluations_per_second(config: BeyondConfig, evaluations: int) -> float:
    """The usual way to hand a torch model to SciPy: copy θ into an ``nn.Module`` at every call."""
    analysis = analyse_target(config)
    model = mlp(1, [DEFAULT_WIDTH], 1, "tanh").double()
    x = torch.tensor(analysis.x).unsqueeze(1)
    y = torch.tensor(analysis.y).unsqueeze(1)
    theta = np.random.default_rng(0).normal(0.0, 0.5, sum(p.numel() for p in model.parameters()))
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(evaluations):
            torch.nn.utils.vector_to_parameters(torch.from_numpy(theta), model.parameters())
            float(0.5 * torch.nn.functional.mse_loss(model(x), y))
    return evaluations / (time.perf_counter() - start)


def flat_evaluations_per_second(objective: FlatObjective, evaluations: int) -> float:
    theta = objective.net.initial_parameters(0)
    start = time.perf_counter()
    for _ in range(evaluations):
        objective.loss(theta)
    return evaluations / (time.perf_counter() - start)


def powell_evaluations_per_second(objective: FlatObjective, iterations: int) -> float:
    start = time.perf_counter()
    result = minimize_scipy("powell", objective, objective.net.initial_parameters(0), iterations)
    return result.evaluations / (time.perf_counter() - start)


def run(quick: bool) -> list[dict]:
    config = BEYOND_GD.default_config()
    rows = []
    swarm_objective = flat_objective(config, SWARM_WIDTH, torch.float32)
    iterations = 20 if quick else 200
    for particles in (200, 1000):
        settings = SwarmSettings(particles=particles)
        swarm_iterations_per_second(swarm_objective, settings, 3)  # warm-up: first calls allocate
        fast = swarm_iterations_per_second(swarm_objective, settings, iterations)
        slow = swarm_iterations_per_second(swarm_objective, settings, max(2, iterations // 10), batched=False)
        rows.append(
            {
                "name": f"beyond/pso-{particles}-particles",
                "iterations": iterations,
                "batched_iterations_per_s": fast,
                "looped_iterations_per_s": slow,
                "batched_evaluations_per_s": fast * particles,
                "ratio": fast / slow,
            }
        )
    objective = flat_objective(config, DEFAULT_WIDTH, torch.float64)
    evaluations = 500 if quick else 5000
    flat = flat_evaluations_per_second(objective, evaluations)
    module = module_evaluations_per_second(config, evaluations)
    powell = powell_evaluations_per_second(objective, 1 if quick else 5)
    rows.append(
        {
            "name": "beyond/powell-objective",
            "parameters": objective.parameter_count,
            "flat_evaluations_per_s": flat,
            "module_evaluations_per_s": module,
            "powell_evaluations_per_s": powell,
            "ratio": flat / module,
        }
    )
    return rows
