"""Sec 1.6: the F-Principle beyond gradient descent.

A small 1-m-1 network, held as one flat parameter vector, is trained on a 1-D target by conjugate
gradient, BFGS, L-BFGS-B, Powell's method or a particle swarm, with gradient descent (Adam, SGD, …)
for reference. The target, the grid and the spectral read-out are the 1-D experiments' own
(:mod:`fpengine.oned`); the grid defaults to an exactly periodic one, so the spectrum has no leakage.

The network's output on the grid is recorded after every *iteration* (one iteration means a
different amount of work per method: Powell does one line search per direction, the swarm one
update of every particle), and the function evaluations and wall time are recorded beside it.
Progress is published per evaluation, so pause/stop answer inside a long Powell sweep.

It always trains on the CPU: SciPy's methods are CPU code on float64 host vectors, and the swarm and
the gradient reference evaluate a network of a few hundred parameters, for which a GPU would spend
each iteration launching kernels and waiting for their results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from fpengine import spectral
from fpengine.beyond_gd.charts import figures
from fpengine.beyond_gd.flatnet import FlatNet, FlatObjective
from fpengine.beyond_gd.nongradient import SCIPY_METHODS, optimize
from fpengine.beyond_gd.settings import THREE_SINES, BeyondConfig, IterationCaps, iteration_cap
from fpengine.engine.device import HOST
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.readout.analysis import analyse_target, angular_frequencies, spectral_summary
from fpengine.readout.theory import RunTheory, theory_summary
from fpengine.replay import ThinnedFrames


class _Recorder:
    """Receives the optimiser's hooks: records every iteration, checks pause/stop at every
    evaluation and publishes when a snapshot is due."""

    def __init__(self, config: BeyondConfig, objective: FlatObjective, ctx: RunContext, theory: RunTheory | None = None):
        self.config = config
        self.theory = theory
        self.objective = objective
        self.ctx = ctx
        self.analysis = analyse_target(config)
        self.selected = self.analysis.selected
        self.target_at_peaks = self.analysis.coefficients[self.selected]
        self.frequencies = tuple(float(f) for f in angular_frequencies(config, self.selected))
        self.x_plot = config.grid.plot_points()
        self.target_plot = config.target.evaluate(self.x_plot, strict=False)  # beyond the domain it may be undefined
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.evaluation_counts: list[int] = []
        self.seconds: list[float] = []
        self.errors: list[np.ndarray] = []
        self.theta: np.ndarray | None = None
        self.evaluations = 0
        self.frames = ThinnedFrames()  # the replay's: how many iterations a method takes is known only at its end

    def iteration(self, iteration: int, theta: np.ndarray, evaluations: int) -> None:
        output = self.objective.outputs(theta)
        coefficients = spectral.dft(output, self.config.spectrum.n_freq)[self.selected]
        self.steps.append(iteration)
        self.losses.append(float(0.5 * np.mean((output - self.analysis.y) ** 2)))
        self.evaluation_counts.append(evaluations)
        self.seconds.append(self.ctx.elapsed())
        self.errors.append(spectral.relative_spectral_error(coefficients, self.target_at_peaks, self.config.spectrum.error_form))
        if self.frames.wants(iteration):
            spectrum = spectral.amplitude_spectrum(output, self.config.spectrum.n_freq)
            self.frames.keep(iteration, iteration, self.objective.outputs(theta, self.x_plot), spectrum)
        self.theta = theta
        self.evaluations = evaluations
        self.ctx.checkpoint()
        if self.ctx.publish_due():
            self.publish()

    def evaluation(self, evaluations: int) -> None:
        self.evaluations = evaluations
        self.ctx.checkpoint()
        if self.theta is not None and self.ctx.publish_due():
            self.publish()

    def publish(self, message: str = "", final: bool = False) -> None:
        assert self.theta is not None
        steps = np.array(self.steps, dtype=int)
        output = self.objective.outputs(self.theta)
        n_freq = self.config.spectrum.n_freq
        metrics = {
            "step": steps,
            "loss": np.array(self.losses),
            "evaluations": np.array(self.evaluation_counts),
            "seconds": np.array(self.seconds),
        }
        traces = {
            "delta_f": ErrorTrace(
                steps,
                np.array(self.errors).reshape(len(steps), len(self.selected)),
                tuple(str(int(k)) for k in self.selected),
                self.frequencies,
            )
        }
        views = {
            "x_plot": self.x_plot,
            "target_plot": self.target_plot,
            "output_plot": self.objective.outputs(self.theta, self.x_plot),
            "target_spectrum": np.abs(self.analysis.coefficients),
            "output_spectrum": spectral.amplitude_spectrum(output, n_freq),
            "peaks": self.analysis.peaks,
            "genuine": self.analysis.genuine,
            "selected": self.selected,
            "optimizer": self.config.algorithm,
            "width": self.config.network_width,
            "parameter_count": self.config.parameter_count,
            "evaluations": int(self.evaluations),
            "message": message,
            **self.frames.views("history_steps", "history_outputs", "history_spectra"),
        }
        if self.theory is not None:
            self.theory.add_to(metrics, traces, views, self.objective.net.module(self.theta), final)
        self.ctx.publish(step=int(steps[-1]), metrics=metrics, traces=traces, views=views)


def train(config: BeyondConfig, ctx: RunContext) -> None:
    net = FlatNet(config.network_width, config.network.activation)
    analysis = analyse_target(config)
    # SciPy's line searches need double precision; the swarm and gradient descent run in float32
    dtype = torch.float64 if config.method in SCIPY_METHODS else torch.float32
    objective = FlatObjective(net, analysis.x, analysis.y, dtype=dtype, device=HOST)
    init_std = config.network.init_std
    theta0 = net.initial_parameters(config.seed, init_std)
    # the loss is ½·mean((f − y)²): c = ½ in the prediction's c·mean(r²)
    theory = RunTheory(net.module(theta0), analysis, config.training, config.spectrum, loss_scale=0.5) if config.theory == "ntk" else None
    recorder = _Recorder(config, objective, ctx, theory)
    result = optimize(
        config.algorithm,
        objective,
        theta0,
        config.iteration_cap,
        swarm=config.swarm,
        init_std=init_std,
        learning_rate=config.training.lr,
        momentum=config.training.momentum,
        seed=config.seed,
        on_iteration=recorder.iteration,
        on_evaluation=recorder.evaluation,
    )
    ctx.total_steps = result.iterations  # SciPy may stop before the cap once its own tolerance is met
    recorder.evaluations = result.evaluations
    recorder.publish(message=result.message, final=True)


def summarize(config: BeyondConfig, snapshot: Snapshot) -> dict[str, Any]:
    evaluations = int(snapshot.views.get("evaluations", 0))
    return {
        **spectral_summary(config, snapshot.traces["delta_f"], never=snapshot.step + 1),
        **theory_summary(config.spectrum, snapshot, never=snapshot.step + 1),
        "optimizer": config.algorithm,
        "width": config.network_width,
        "parameter_count": config.parameter_count,
        "max_iterations": config.iteration_cap,
        "function_evaluations": evaluations,
        "evaluations_per_second": round(evaluations / snapshot.elapsed, 3) if snapshot.elapsed > 0 else None,
        "optimizer_message": str(snapshot.views.get("message", "")),
    }


def _book() -> BeyondConfig:
    """Three sines and longer caps (the paper's own settings are not public)."""
    return BeyondConfig(
        target=THREE_SINES,
        iterations=IterationCaps(
            cg=2000, bfgs=2000, lbfgs=2000, powell=200, pso=3000, adam=10000, sgd=10000, momentum=10000, rmsprop=10000
        ),
    )


BEYOND_GD = Experiment(
    name="beyond-gd",
    icon=":material/explore:",
    config_type=BeyondConfig,
    presets={"quick": BeyondConfig, "book": _book},
    train=train,
    summarize=summarize,
    figures=figures,
    steps_field="max_iterations",
    count_steps=iteration_cap,
    sweepable=True,
    runs_on="cpu",
)
