"""The settings of the 1-D read-out, shared by Figs 1.3–1.6 (``oned``) and Sec 1.6 (``beyond_gd``):
the sampling grid, the spectral read-out, the Theory switch, and what a config holding them offers
(``ReadoutConfig``); the target is ``readout.targets``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fpengine.readout.targets import TargetConfig
from fpengine.settings.blocks import EPSILON, RULES
from fpengine.settings.schema import ConfigError, Flag, Interval, ListOf, OneOf, Rule, setting

PLOT_POINTS = 1000
MAX_BOUND = 10_000
"""|grid.lo|, |grid.hi| at most this: the network sees x in float32, whose spacing at 10⁴ (0.001)
is still far below the finest grid step (1000 wide / 20,000 samples = 0.05)."""
MAX_WIDTH = 1000
MAX_PEAKS = 12
THEORIES = ("none", "ntk")
"""``theory``: ``ntk`` adds the linearised (neural-tangent-kernel) prediction of ΔF to a run."""
MAX_THEORY_SAMPLES = 2048
"""grid.samples at most this with theory=ntk: the kernel is samples × samples in float64 (32 MB
here) and its eigendecomposition takes seconds."""


@dataclass(frozen=True)
class GridConfig:
    lo: float = setting(-math.pi, Interval(-MAX_BOUND, MAX_BOUND))
    hi: float = setting(math.pi, Interval(-MAX_BOUND, MAX_BOUND))
    samples: int = setting(256, Interval(8, 20_000, integer=True))
    periodic: bool = setting(False, Flag())
    """False: ``linspace(lo, hi, samples)`` with both ends, as the authors do (docs/experiments.md#sources); True: no endpoint."""
    margin: float = setting(0.5, Interval(0, 100))
    """The plot (test) grid extends this far beyond the training domain on each side."""

    def rules(self) -> dict[str, Rule]:
        # lo is checked first, so a wild lo is blamed on lo rather than on hi's interval built from it
        if not -MAX_BOUND <= self.lo <= MAX_BOUND:
            return {}
        widest = self.lo + MAX_WIDTH
        high, high_name = (widest, f"grid.lo + {MAX_WIDTH:,}") if widest < MAX_BOUND else (MAX_BOUND, "")
        return {"hi": Interval(self.lo, high, closed="right", low_name="grid.lo", high_name=high_name)}

    def training_points(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, self.samples, endpoint=not self.periodic)

    def plot_points(self) -> np.ndarray:
        return np.linspace(self.lo - self.margin, self.hi + self.margin, PLOT_POINTS)


@dataclass(frozen=True)
class SpectrumConfig:
    n_freq: int = setting(40, Interval(4, None, integer=True))
    """How many DFT indices are shown; at most half the grid's samples (set by the config that has the grid)."""
    max_peaks: int = setting(3, Interval(1, MAX_PEAKS, integer=True))
    peaks: tuple[int, ...] = setting((), ListOf(Interval(0, None, integer=True), 0, 64, distinct=True))
    """DFT indices to track; empty = the first ``max_peaks`` genuine peaks of the target's spectrum
    (or one per component of a sine-sum target, if it has more)."""
    error_form: str = setting("complex", OneOf(("complex", "magnitude")))
    epsilon: float = setting(0.1, EPSILON)
    rule: str = setting("robust", OneOf(RULES))

    def rules_for(self, samples: int) -> dict[str, Rule]:
        """The bounds that follow from the grid (``samples``), for the config that holds both."""
        rules: dict[str, Rule] = {"spectrum.n_freq": Interval(4, samples // 2, integer=True, high_name="grid.samples/2")}
        if 4 <= self.n_freq <= samples // 2:
            index = Interval(0, self.n_freq, closed="left", integer=True, high_name="spectrum.n_freq")
            rules["spectrum.peaks"] = ListOf(index, 0, 64, distinct=True)
        return rules


READOUT_ALIASES: dict[str, str] = {"epsilon": "spectrum.epsilon", "rule": "spectrum.rule"}
"""The convergence threshold and rule by the names every experiment answers to (a config's ``ALIASES``)."""
FULL_BATCH_GD = "sgd"
"""The gradient optimizer the linearised prediction is exact for (every step is full-batch here)."""


class ReadoutConfig(Protocol):
    """A config the read-out works on: the 1-D experiments' and Sec 1.6's."""

    target: TargetConfig
    grid: GridConfig
    spectrum: SpectrumConfig
    theory: str
    training: Any
    """Has ``optimizer`` (a gradient optimizer's name) and ``lr``: the prediction's gradient descent."""


def check_theory_size(config: ReadoutConfig) -> None:
    """With theory=ntk, at most MAX_THEORY_SAMPLES grid points."""
    if config.theory == "ntk" and config.grid.samples > MAX_THEORY_SAMPLES:
        raise ConfigError("grid.samples", "theory.error.samples", config.grid.samples, limit=MAX_THEORY_SAMPLES)


def gradient_descent_reference(config: Any, **changes: Any) -> Any | None:
    """The same network (same seed, learning rate and prediction) trained by full-batch gradient
    descent, the Theory view's reference run; ``changes`` are further fields that make the config
    one of gradient descent (Sec 1.6's ``method``). None when the config already is that run."""
    reference = dataclasses.replace(config, training=dataclasses.replace(config.training, optimizer=FULL_BATCH_GD), **changes)
    return None if reference == config else reference
