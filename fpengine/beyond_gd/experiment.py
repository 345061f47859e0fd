"""Sec 1.6: the F-Principle beyond gradient descent (spec §8).

A small 1-m-1 network, held as one flat parameter vector, is trained on a 1-D target by conjugate
gradient, BFGS, L-BFGS-B, Powell's method or a particle swarm, with Adam/SGD for reference. The
target, the grid and the spectral read-out are the 1-D experiments' own (:mod:`.oned`); the grid
defaults to an exactly periodic one, so the spectrum has no leakage.

The network's output on the grid is recorded after every *iteration* (one iteration means a
different amount of work per method: Powell does one line search per direction, the swarm one
update of every particle), and the function evaluations and wall time are recorded beside it.
Progress is published per evaluation, so pause/stop answer inside a long Powell sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from fpengine import charts, spectral
from fpengine.beyond_gd.flatnet import DEFAULT_INIT_STD, FlatNet, FlatObjective
from fpengine.beyond_gd.nongradient import ALL_METHODS, SCIPY_METHODS, SWARM_METHOD, SwarmSettings, optimize
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.i18n import t
from fpengine.models import ACTIVATIONS
from fpengine.oned.analysis import analyse_target, angular_frequencies, check_trackable_peaks, spectral_summary
from fpengine.oned.settings import GridConfig, SpectrumConfig
from fpengine.oned.targets import TargetConfig
from fpengine.settings.config import check

DEFAULT_WIDTH = 30
SWARM_WIDTH = 10
"""Spec §8: 1-30-1 tanh (P = 91); the swarm searches a 1-10-1 net (P = 31), which it can fit."""

MAX_WIDTH = 1000

POWELL_EVALUATIONS_PER_PARAMETER = 9
"""One Powell iteration line-searches every one of the P directions: ≈ 9·P evaluations (measured)."""

SLOW_PARAMETERS = {"powell": 200, SWARM_METHOD: 60, "bfgs": 2000}
"""Above these parameter counts a method gets slow (Powell: ≈9·P evaluations per iteration; BFGS: a
dense P×P inverse Hessian) or hopeless (a swarm of a few hundred particles in a 60+-dim space)."""

TWO_SINES = TargetConfig(frequencies=(1.0, 3.0), amplitudes=(1.0, 1.0))
THREE_SINES = TargetConfig(frequencies=(1.0, 3.0, 5.0), amplitudes=(1.0, 1.0, 1.0))
PERIODIC_GRID = GridConfig(samples=64, periodic=True)
COMPARE_DEFAULT = ("bfgs", "powell", "pso")
"""Compare mode's first choice: a quasi-Newton, a direction-set and a swarm method."""


@dataclass(frozen=True)
class IterationCaps:
    """The iteration cap of each method: an iteration is a different amount of work per method."""

    cg: int = 500
    bfgs: int = 500
    lbfgs: int = 500
    powell: int = 50
    pso: int = 2000
    adam: int = 4000
    sgd: int = 4000

    def validate(self) -> None:
        for method in ALL_METHODS:
            check(1 <= getattr(self, method) <= 1_000_000, f"iterations.{method}", "must be between 1 and 1,000,000",
                  getattr(self, method))

    def of(self, method: str) -> int:
        return int(getattr(self, method))


@dataclass(frozen=True)
class BeyondConfig:
    target: TargetConfig = field(default_factory=lambda: TWO_SINES)
    grid: GridConfig = field(default_factory=lambda: PERIODIC_GRID)
    spectrum: SpectrumConfig = field(default_factory=lambda: SpectrumConfig(n_freq=32))
    optimizer: str = "bfgs"
    width: int | None = None
    """Hidden width m; None: 30, or 10 for the particle swarm."""
    activation: str = "tanh"
    init_std: float = DEFAULT_INIT_STD
    """θ₀ ~ N(0, init_std²) for every weight and bias."""
    iterations: IterationCaps = field(default_factory=IterationCaps)
    max_iterations: int | None = None
    """The chosen optimizer's cap; None: its entry in ``iterations``."""
    lr: float = 3e-3
    """Learning rate of the Adam/SGD reference."""
    swarm: SwarmSettings = field(default_factory=SwarmSettings)
    seed: int = 0

    @property
    def network_width(self) -> int:
        if self.width is not None:
            return self.width
        return SWARM_WIDTH if self.optimizer == SWARM_METHOD else DEFAULT_WIDTH

    @property
    def parameter_count(self) -> int:
        return FlatNet(self.network_width, self.activation).parameter_count

    @property
    def iteration_cap(self) -> int:
        return self.max_iterations if self.max_iterations is not None else self.iterations.of(self.optimizer)

    def validate(self) -> None:
        self.target.validate()
        self.grid.validate()
        self.spectrum.validate(self.grid.samples)
        check(self.optimizer in ALL_METHODS, "optimizer", f"choose from {', '.join(ALL_METHODS)}", self.optimizer)
        check(self.width is None or 1 <= self.width <= MAX_WIDTH, "width", f"must be between 1 and {MAX_WIDTH}", self.width)
        check(self.activation in ACTIVATIONS, "activation", f"choose from {', '.join(ACTIVATIONS)}", self.activation)
        check(0 < self.init_std <= 10, "init_std", "must be greater than 0 and at most 10", self.init_std)
        self.iterations.validate()
        check(self.max_iterations is None or 1 <= self.max_iterations <= 1_000_000, "max_iterations",
              "must be between 1 and 1,000,000", self.max_iterations)
        check(0 < self.lr <= 10, "lr", "must be greater than 0 and at most 10", self.lr)
        self.swarm.validate()
        check(0 <= self.seed < 2**32, "seed", "must be between 0 and 2³²−1", self.seed)
        check_trackable_peaks(self)


def slowness_warning(method: str, parameter_count: int) -> tuple[str, dict[str, Any]] | None:
    """(i18n key, values) of a warning when ``method`` will be very slow or hopeless for P parameters."""
    limit = SLOW_PARAMETERS.get(method)
    if limit is None or parameter_count <= limit:
        return None
    if method == "powell":
        return "beyond.slow.powell", {"p": parameter_count, "evaluations": POWELL_EVALUATIONS_PER_PARAMETER * parameter_count}
    return f"beyond.slow.{method}", {"p": parameter_count, "limit": limit}


class _Recorder:
    """Receives the optimiser's hooks: records every iteration, checks pause/stop at every
    evaluation and publishes when a snapshot is due."""

    def __init__(self, config: BeyondConfig, objective: FlatObjective, ctx: RunContext):
        self.config = config
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

    def iteration(self, iteration: int, theta: np.ndarray, evaluations: int) -> None:
        output = self.objective.outputs(theta)
        coefficients = spectral.dft(output, self.config.spectrum.n_freq)[self.selected]
        self.steps.append(iteration)
        self.losses.append(float(0.5 * np.mean((output - self.analysis.y) ** 2)))
        self.evaluation_counts.append(evaluations)
        self.seconds.append(self.ctx.elapsed())
        self.errors.append(spectral.relative_spectral_error(coefficients, self.target_at_peaks,
                                                            self.config.spectrum.error_form))
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

    def publish(self, message: str = "") -> None:
        assert self.theta is not None
        steps = np.array(self.steps, dtype=int)
        output = self.objective.outputs(self.theta)
        n_freq = self.config.spectrum.n_freq
        self.ctx.publish(
            step=int(steps[-1]),
            metrics={"step": steps, "loss": np.array(self.losses), "evaluations": np.array(self.evaluation_counts),
                     "seconds": np.array(self.seconds)},
            traces={"delta_f": ErrorTrace(steps, np.array(self.errors).reshape(len(steps), len(self.selected)),
                                          tuple(str(int(k)) for k in self.selected), self.frequencies)},
            views={
                "x_plot": self.x_plot,
                "target_plot": self.target_plot,
                "output_plot": self.objective.outputs(self.theta, self.x_plot),
                "target_spectrum": np.abs(self.analysis.coefficients),
                "output_spectrum": spectral.amplitude_spectrum(output, n_freq),
                "peaks": self.analysis.peaks,
                "genuine": self.analysis.genuine,
                "selected": self.selected,
                "optimizer": self.config.optimizer,
                "width": self.config.network_width,
                "parameter_count": self.config.parameter_count,
                "evaluations": int(self.evaluations),
                "message": message,
            },
        )


def train(config: BeyondConfig, ctx: RunContext) -> None:
    config.validate()
    method = config.optimizer
    ctx.total_steps = config.iteration_cap
    net = FlatNet(config.network_width, config.activation)
    analysis = analyse_target(config)
    if method in SCIPY_METHODS:
        # SciPy works on float64 host vectors, one small evaluation at a time: an accelerator would
        # only add a copy per evaluation, and line searches need double precision.
        objective = FlatObjective(net, analysis.x, analysis.y, dtype=torch.float64, device=torch.device("cpu"))
    else:
        objective = FlatObjective(net, analysis.x, analysis.y, dtype=torch.float32, device=ctx.device)
    recorder = _Recorder(config, objective, ctx)
    result = optimize(method, objective, net.initial_parameters(config.seed, config.init_std), config.iteration_cap,
                      swarm=config.swarm, init_std=config.init_std, learning_rate=config.lr, seed=config.seed,
                      on_iteration=recorder.iteration, on_evaluation=recorder.evaluation)
    ctx.total_steps = result.iterations  # SciPy may stop before the cap once its own tolerance is met
    recorder.evaluations = result.evaluations
    recorder.publish(message=result.message)


def summarize(config: BeyondConfig, snapshot: Snapshot) -> dict[str, Any]:
    evaluations = int(snapshot.views.get("evaluations", 0))
    return {
        **spectral_summary(config, snapshot.traces["delta_f"], never=snapshot.step + 1),
        "optimizer": config.optimizer,
        "width": config.network_width,
        "parameter_count": config.parameter_count,
        "max_iterations": config.iteration_cap,
        "function_evaluations": evaluations,
        "evaluations_per_second": round(evaluations / snapshot.elapsed, 3) if snapshot.elapsed > 0 else None,
        "optimizer_message": str(snapshot.views.get("message", "")),
    }


def heatmap_figure(config: BeyondConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False,
                   scheme: str = "redblue") -> Any:
    """The ΔF heatmap over iterations, titled with the optimizer, convergence marked per row."""
    trace = snapshot.traces["delta_f"]
    converged = spectral.convergence_steps(trace.errors, trace.steps, config.spectrum.epsilon, config.spectrum.rule)
    return charts.error_heatmap(trace, charts.frequency_labels(trace), lang, log_steps=log_steps, scheme=scheme,
                                converged=converged, x_title=t("beyond.iteration", lang),
                                title=f"{t('view.heatmap', lang)} · {t(f'beyond.method.{config.optimizer}', lang)}")


def chart_builders(config: BeyondConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False,
                   scheme: str = "redblue") -> dict[str, Callable[[], Any]]:
    """Output, spectrum, ΔF heatmap and loss (iterations on the x axes), each built only when asked:
    a live page rebuilds a chart no more often than its cost allows."""
    views = snapshot.views
    name = t(f"beyond.method.{config.optimizer}", lang)
    return {
        "output": lambda: charts.output_chart(views["x_plot"], views["target_plot"], views["output_plot"], lang),
        "spectrum": lambda: charts.spectrum_chart(views["target_spectrum"], views["output_spectrum"], views["peaks"],
                                                  views["genuine"], views["selected"], lang),
        "heatmap": lambda: heatmap_figure(config, snapshot, lang, log_steps=log_steps, scheme=scheme),
        "loss": lambda: charts.curves_chart(snapshot.metrics["step"],
                                            {name: np.maximum(snapshot.metrics["loss"], 1e-12)}, t("view.loss", lang),
                                            t("beyond.iteration", lang), t("chart.loss", lang), lang, log_y=True),
    }


def figures(config: BeyondConfig, snapshot: Snapshot, lang: str) -> dict[str, Any]:
    """The CLI's PNG figures: every chart of :func:`chart_builders`."""
    return {name: build() for name, build in chart_builders(config, snapshot, lang).items()}


def work_table(runs: dict[str, tuple[BeyondConfig, Snapshot]], lang: str) -> pd.DataFrame:
    """One row per run: what an iteration cost (evaluations, wall time) and when each frequency converged."""
    rows = []
    for label, (config, snapshot) in runs.items():
        summary = summarize(config, snapshot)
        row: dict[str, Any] = {t("beyond.table.optimizer", lang): label,
                               t("beyond.table.parameters", lang): summary["parameter_count"]}
        for value, key, step in zip(summary["frequencies"], summary["frequency_indices"], summary["convergence_step"],
                                    strict=True):
            row[t("beyond.table.converged", lang, frequency=f"{value:g}", k=key)] = "–" if step is None else f"{step:,}"
        rho = summary["spearman"]
        row.update({
            t("beyond.table.iterations", lang): f"{snapshot.step:,}",
            t("beyond.table.evaluations", lang): f"{summary['function_evaluations']:,}",
            t("beyond.table.seconds", lang): f"{snapshot.elapsed:.1f}",
            t("beyond.table.evaluations_per_second", lang): f"{summary['evaluations_per_second'] or 0:,.0f}",
            t("beyond.table.loss", lang): "–" if snapshot.final_loss is None else f"{snapshot.final_loss:.2e}",
            t("view.spearman", lang): "–" if rho is None else f"{rho:+.2f}",
        })
        rows.append(row)
    return pd.DataFrame(rows)


def _book() -> BeyondConfig:
    """Spec §8's measured settings (the paper's own are not public): three sines, longer caps."""
    return BeyondConfig(target=THREE_SINES,
                        iterations=IterationCaps(cg=2000, bfgs=2000, lbfgs=2000, powell=200, pso=3000, adam=10000,
                                                 sgd=10000))


BEYOND_GD = Experiment(
    name="beyond-gd", icon=":material/explore:", title_key="beyond-gd.title", description_key="beyond-gd.description",
    config_type=BeyondConfig, presets={"quick": BeyondConfig, "book": _book},
    train=train, summarize=summarize, figures=figures, steps_field="max_iterations", sweepable=True,
)
