"""The one registry: the chapter's sections, in the chapter's order. Pages, the CLI's list, the
i18n catalogue (each section registers its strings when declared) and the benchmark groups all follow
from it; a new experiment is a new section package (or a new experiment in one) and one line here."""

from __future__ import annotations

from fpengine import beyond_gd, highdim, image, oned
from fpengine.engine.experiment import Experiment, Section

SECTIONS: tuple[Section, ...] = (oned.SECTION, image.SECTION, highdim.SECTION, beyond_gd.SECTION)

EXPERIMENTS: dict[str, Experiment] = {experiment.name: experiment for section in SECTIONS for experiment in section.experiments}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r} (choose from {', '.join(EXPERIMENTS)})")
    return EXPERIMENTS[name]


def section_of(experiment: Experiment) -> Section:
    """The section an experiment belongs to."""
    return next(section for section in SECTIONS if any(member is experiment for member in section.experiments))
