"""The registry of experiments: command-line name → Experiment."""

from __future__ import annotations

from ..experiment import Experiment
from .beyond_gd import BEYOND_GD
from .filtering import FILTERING
from .image import IMAGE_FIT
from .oned import EQUAL_AMPLITUDE, SINE_FIT, STAIRCASE_FIT
from .projection import PROJECTION

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
