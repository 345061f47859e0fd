"""The settings of Sec 1.6: which method trains the 1-m-1 network, the network, the gradient-descent
reference's optimizer, each method's iteration cap and the swarm, beside the 1-D experiments'
target, grid and spectral read-out.

``method`` is the method (``cg``, ``bfgs``, ``lbfgs``, ``powell``, ``pso``, or ``gd``: gradient
descent with ``training.optimizer``, ``training.lr`` and ``training.momentum``, the same keys as in
every other experiment). The old flat keys are aliases; the old ``optimizer`` key named the method and
counted Adam and SGD among the methods, so a method given as a gradient optimizer's name
(``optimizer=adam``) is read as ``method=gd`` with that ``training.optimizer``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from fpengine.beyond_gd.flatnet import DEFAULT_INIT_STD, FlatNet
from fpengine.beyond_gd.nongradient import NONGRADIENT_METHODS, SWARM_METHOD, SwarmSettings
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.readout.analysis import check_trackable_peaks
from fpengine.readout.settings import READOUT_ALIASES, THEORIES, GridConfig, SpectrumConfig, check_theory_size
from fpengine.readout.targets import TargetConfig
from fpengine.settings.blocks import ACTIVATION, GRADIENT_OPTIMIZER, LEARNING_RATE, MOMENTUM, STEPS, widths
from fpengine.settings.schema import SEED, Interval, OneOf, Optional, Rule, setting

GRADIENT_DESCENT = "gd"
METHODS = (*NONGRADIENT_METHODS, GRADIENT_DESCENT)

DEFAULT_WIDTH = 30
SWARM_WIDTH = 10
"""A 1-30-1 tanh net (P = 91); the swarm searches a 1-10-1 net (P = 31), which it can fit."""
MAX_WIDTH = 1000

POWELL_EVALUATIONS_PER_PARAMETER = 9
"""One Powell iteration line-searches every one of the P directions: ≈ 9·P evaluations (measured)."""
SLOW_PARAMETERS = {"powell": 200, SWARM_METHOD: 60, "bfgs": 2000}
"""Above these parameter counts a method gets slow (Powell: ≈9·P evaluations per iteration; BFGS: a
dense P×P inverse Hessian) or hopeless (a swarm of a few hundred particles in a 60+-dim space)."""

TWO_SINES = TargetConfig(frequencies=(1.0, 3.0), amplitudes=(1.0, 1.0))
THREE_SINES = TargetConfig(frequencies=(1.0, 3.0, 5.0), amplitudes=(1.0, 1.0, 1.0))
PERIODIC_GRID = GridConfig(samples=64, periodic=True)


@dataclass(frozen=True)
class FlatNetworkConfig:
    """The 1-m-1 network: one hidden layer of m units."""

    widths: tuple[int, ...] | None = setting(None, Optional(widths(MAX_WIDTH, max_layers=1), none_key="beyond.width.automatic"))
    """(m,); None: 30, or 10 for the particle swarm."""
    activation: str = setting("tanh", ACTIVATION)
    init_std: float = setting(DEFAULT_INIT_STD, Interval(0, 10, closed="right"))
    """θ₀ ~ N(0, init_std²) for every weight and bias."""


@dataclass(frozen=True)
class ReferenceTraining:
    """The gradient-descent reference (``method=gd``): its optimizer, learning rate and momentum."""

    optimizer: str = setting("adam", GRADIENT_OPTIMIZER)
    lr: float = setting(3e-3, LEARNING_RATE)
    momentum: float = setting(0.9, MOMENTUM)


@dataclass(frozen=True)
class IterationCaps:
    """The iteration cap of each method, and of gradient descent per optimizer: an iteration is a
    different amount of work per method."""

    cg: int = setting(500, STEPS)
    bfgs: int = setting(500, STEPS)
    lbfgs: int = setting(500, STEPS)
    powell: int = setting(50, STEPS)
    pso: int = setting(2000, STEPS)
    adam: int = setting(4000, STEPS)
    sgd: int = setting(4000, STEPS)
    momentum: int = setting(4000, STEPS)
    rmsprop: int = setting(4000, STEPS)

    def of(self, algorithm: str) -> int:
        return int(getattr(self, algorithm))


@dataclass(frozen=True)
class BeyondConfig:
    ALIASES: ClassVar[dict[str, str]] = {
        "optimizer": "method",
        "lr": "training.lr",
        "momentum": "training.momentum",
        "width": "network.widths",
        "widths": "network.widths",
        "activation": "network.activation",
        "init_std": "network.init_std",
        **READOUT_ALIASES,
    }

    target: TargetConfig = setting(factory=lambda: TWO_SINES)
    grid: GridConfig = setting(factory=lambda: PERIODIC_GRID)
    spectrum: SpectrumConfig = setting(factory=lambda: SpectrumConfig(n_freq=32))
    method: str = setting("bfgs", OneOf(METHODS))
    network: FlatNetworkConfig = setting(factory=FlatNetworkConfig)
    training: ReferenceTraining = setting(factory=ReferenceTraining)
    iterations: IterationCaps = setting(factory=IterationCaps)
    max_iterations: int | None = setting(None, Optional(STEPS, none_key="beyond.cap.automatic"))
    """The run's iteration cap; None: its entry in ``iterations``."""
    swarm: SwarmSettings = setting(factory=SwarmSettings)
    seed: int = setting(0, SEED)
    theory: str = setting("none", OneOf(THEORIES))
    """``ntk``: gradient descent's linearised prediction (the reference's optimizer and lr) beside the run."""

    def __post_init__(self) -> None:
        # a gradient optimizer's name as the method is the old spelling of gradient descent with it
        if isinstance(self.method, str) and self.method in GRADIENT_OPTIMIZERS:
            object.__setattr__(self, "training", dataclasses.replace(self.training, optimizer=self.method))
            object.__setattr__(self, "method", GRADIENT_DESCENT)

    @property
    def algorithm(self) -> str:
        """What trains the net, one of ``ALL_METHODS``: the method, or gradient descent's optimizer."""
        return self.training.optimizer if self.method == GRADIENT_DESCENT else self.method

    @property
    def network_width(self) -> int:
        if self.network.widths is not None:
            return self.network.widths[0]
        return SWARM_WIDTH if self.method == SWARM_METHOD else DEFAULT_WIDTH

    @property
    def parameter_count(self) -> int:
        return FlatNet(self.network_width, self.network.activation).parameter_count

    @property
    def iteration_cap(self) -> int:
        return self.max_iterations if self.max_iterations is not None else self.iterations.of(self.algorithm)

    def rules(self) -> dict[str, Rule]:
        return self.spectrum.rules_for(self.grid.samples)

    def checks(self) -> None:
        check_theory_size(self)
        check_trackable_peaks(self)


def iteration_cap(config: BeyondConfig) -> int:
    """The run's length in iterations (SciPy may stop sooner)."""
    return config.iteration_cap


def slowness_warning(algorithm: str, parameter_count: int) -> tuple[str, dict[str, Any]] | None:
    """(i18n key, values) of a warning when ``algorithm`` will be very slow or hopeless for P parameters."""
    limit = SLOW_PARAMETERS.get(algorithm)
    if limit is None or parameter_count <= limit:
        return None
    if algorithm == "powell":
        return "beyond.slow.powell", {"p": parameter_count, "evaluations": POWELL_EVALUATIONS_PER_PARAMETER * parameter_count}
    return f"beyond.slow.{algorithm}", {"p": parameter_count, "limit": limit}
