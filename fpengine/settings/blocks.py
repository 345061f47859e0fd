"""Setting blocks and rules shared by several experiments, so one knob has one name and one rule
everywhere: ``network.widths``, ``network.activation``, ``training.optimizer``, ``training.lr``,
``training.momentum``, ``training.steps``, ``seed``."""

from __future__ import annotations

from dataclasses import dataclass

from fpengine.models import ACTIVATIONS
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.settings.schema import ConfigError, Interval, ListOf, OneOf, setting

LEARNING_RATE = Interval(0, 10, closed="right")
MOMENTUM = Interval(0, 1, closed="left")
ACTIVATION = OneOf(ACTIVATIONS)
OUTPUT_INITS = ("random", "antisymmetric")
GRADIENT_OPTIMIZER = OneOf(GRADIENT_OPTIMIZERS)
STEPS = Interval(1, 1_000_000, integer=True)
EPSILON = Interval(0, 10, closed="neither")
"""ΔF below this counts as converged."""
RULES = ("robust", "consecutive")
"""How a convergence step is read off an error curve (``fpengine.spectral.convergence_steps``)."""


def widths(max_width: int, max_layers: int = 8) -> ListOf:
    """Hidden-layer widths: 1 to ``max_layers`` layers of 1 to ``max_width`` units."""
    return ListOf(Interval(1, max_width, integer=True), 1, max_layers)


@dataclass(frozen=True)
class NetworkConfig:
    """The chapter's fully connected network."""

    widths: tuple[int, ...] = setting((100, 100, 100), widths(2048))
    activation: str = setting("tanh", ACTIVATION)
    init: str = setting("chapter", OneOf(("chapter", "default")))
    """``chapter``: every weight and bias ~ N(0, std²), std = 1/w1**init_power; ``default``: PyTorch's."""
    init_power: float = setting(0.5, Interval(-1, 3))
    """t < 0 makes the std grow with the width (std = w₁^|t|): wide units, e.g. hat units narrower than the target's waves."""
    output_init: str = setting("random", OneOf(OUTPUT_INITS))
    """``random``: every unit drawn on its own, so the initial output f₀ is a random function (for N(0, 1)
    weights on a wide layer its rms grows like √width). ``antisymmetric``: the last hidden layer's second
    half repeats its first half's units and their output weights are negated, the output bias 0, so
    f₀ ≡ 0 (to float rounding; the antisymmetric initialisation of Zhang, Xu et al. 2020). The tangent kernel keeps
    its expected value (its randomness is that of half the units). Needs an even last width."""

    def checks(self) -> None:
        if self.output_init == "antisymmetric" and self.widths and self.widths[-1] % 2:
            raise ConfigError("network.widths", "settings.error.antisymmetric_width", self.widths)


@dataclass(frozen=True)
class TrainingConfig:
    """Full-batch gradient training for a number of steps."""

    optimizer: str = setting("adam", GRADIENT_OPTIMIZER)
    lr: float = setting(3e-4, LEARNING_RATE)
    momentum: float = setting(0.9, MOMENTUM)
    steps: int = setting(3000, STEPS)
