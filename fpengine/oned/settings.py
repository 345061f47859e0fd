"""The settings of the 1-D experiments (Figs 1.3–1.6): the target, the sampling grid and the
spectral read-out (``fpengine.readout``), the network and its training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fpengine.readout.analysis import check_trackable_peaks
from fpengine.readout.settings import READOUT_ALIASES, THEORIES, GridConfig, SpectrumConfig, check_theory_size
from fpengine.readout.targets import TargetConfig
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.schema import SEED, Interval, ListOf, OneOf, Rule, setting


@dataclass(frozen=True)
class OneDConfig:
    ALIASES: ClassVar[dict[str, str]] = READOUT_ALIASES

    target: TargetConfig = setting(factory=TargetConfig)
    network: NetworkConfig = setting(factory=NetworkConfig)
    training: TrainingConfig = setting(factory=TrainingConfig)
    grid: GridConfig = setting(factory=GridConfig)
    spectrum: SpectrumConfig = setting(factory=SpectrumConfig)
    seed: int = setting(0, SEED)
    snapshot_steps: tuple[int, ...] = setting((), ListOf(Interval(0, None, integer=True), 0, 8))
    """Completed-step counts at which the output is kept for the figure's panels (a step after the
    end of training is never reached)."""
    theory: str = setting("none", OneOf(THEORIES))

    def rules(self) -> dict[str, Rule]:
        return self.spectrum.rules_for(self.grid.samples)

    def checks(self) -> None:
        check_theory_size(self)
        check_trackable_peaks(self)
