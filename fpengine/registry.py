"""The registry of experiments: command-line name → Experiment."""

from __future__ import annotations

from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.engine.experiment import Experiment
from fpengine.highdim.filtering import FILTERING
from fpengine.highdim.projection import PROJECTION
from fpengine.image.experiment import IMAGE_FIT
from fpengine.oned.experiment import EQUAL_AMPLITUDE, SINE_FIT, STAIRCASE_FIT

EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        SINE_FIT,
        STAIRCASE_FIT,
        EQUAL_AMPLITUDE,
        IMAGE_FIT,
        BEYOND_GD,
        PROJECTION,
        FILTERING,
    )
}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r} (choose from {', '.join(EXPERIMENTS)})")
    return EXPERIMENTS[name]
