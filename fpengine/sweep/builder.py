"""The Lab page's sweep form as plain data: start from a sweep preset or from a sweepable experiment,
vary up to two settings over values written as on the command line (``--grid KEY=V1,V2,…``), choose
the seeds and the steps, and get the checked ``SweepDefinition``."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fpengine.registry import get_experiment
from fpengine.settings.config import ConfigError, apply_override, to_dict
from fpengine.settings.schema import rule_of
from fpengine.sweep.definition import LINK, SweepDefinition, SweepError, define_sweep, grid_pairs, parse_grid_option, sweepable_experiments
from fpengine.sweep.presets import SWEEP_PRESETS

MAX_AXES = 2
"""Settings a sweep of the page varies at once (the seeds are a third axis)."""


def sources() -> list[str]:
    """What a sweep starts from: the presets, then the experiments a sweep can run."""
    return [*SWEEP_PRESETS, *sweepable_experiments()]


def source_experiment(source: str) -> str:
    return SWEEP_PRESETS[source].experiment if source in SWEEP_PRESETS else source


def _overrides(source: str) -> tuple[str, ...]:
    return SWEEP_PRESETS[source].overrides if source in SWEEP_PRESETS else ()


def base_config(source: str) -> Any:
    """The config every cell starts from: the experiment's Quick preset with the sweep preset's settings."""
    config = get_experiment(source_experiment(source)).default_config("quick")
    for item in _overrides(source):
        key, _, value = item.partition("=")
        config = apply_override(config, key, value)
    return config


def source_axes(source: str) -> list[tuple[str, str]]:
    """The settings a preset varies, with its values as text (none for a plain experiment)."""
    if source not in SWEEP_PRESETS:
        return []
    return [(item.partition("=")[0], item.partition("=")[2]) for item in SWEEP_PRESETS[source].grid]


def source_steps(source: str) -> int:
    """Each cell's steps unless the form changes them (the base config's; a preset may give a
    combination that only its grid makes valid, so the steps are read without validating)."""
    return get_experiment(source_experiment(source)).total_steps(base_config(source))


def source_keys(source: str) -> list[str]:
    """The settings the form offers for ``source``: every setting of its experiment, then the linked
    axes of its preset (``network.activation+network.init_power+…``)."""
    keys = setting_keys(source_experiment(source))
    return keys + [key for key, _ in source_axes(source) if LINK in key and key not in keys]


def source_seeds(source: str, default: int) -> int:
    """The preset's own number of seeds (``default`` for an experiment of one's own)."""
    return SWEEP_PRESETS[source].seeds if source in SWEEP_PRESETS else default


def setting_keys(experiment_name: str) -> list[str]:
    """Every setting of the experiment a sweep can vary, as dotted keys (the seed is the seeds' axis)."""
    keys: list[str] = []

    def walk(prefix: str, data: dict[str, Any]) -> None:
        for name, value in data.items():
            if isinstance(value, dict):
                walk(f"{prefix}{name}.", value)
            elif f"{prefix}{name}" != "seed":
                keys.append(f"{prefix}{name}")

    walk("", to_dict(get_experiment(experiment_name).default_config("quick")))
    return keys


def value_text(source: str, key: str) -> str:
    """A setting's value in the base config, written as one grid value (a list in brackets)."""
    value: Any = to_dict(base_config(source))
    for name in key.split("."):
        value = value[name]
    if isinstance(value, list):
        return "[" + ",".join(_scalar_text(item) for item in value) + "]"
    return _scalar_text(value)


def check_values(source: str, key: str, text: str) -> None:
    """SweepError unless ``text`` holds values that the setting ``key`` (a dotted key of
    :func:`setting_keys`) takes, each by its rule: a link's values are refused before the form
    shows them (the sweep's definition also checks them together, cell by cell)."""
    _, values = parse_grid_option(f"{key}={text}")
    config = base_config(source)
    for value in values:
        for setting_key, setting_value in grid_pairs(key, value):  # a linked axis: each of its settings
            rule = rule_of(type(config), setting_key)
            try:
                changed = functools.reduce(getattr, setting_key.split("."), apply_override(config, setting_key, setting_value))
                if not rule.accepts(changed):
                    raise ConfigError(setting_key, "settings.must_be", changed, rule=rule)
            except ConfigError as error:
                raise SweepError("sweep.error.grid_value", setting=key, value=value, error=error) from None


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    return str(value)


@dataclass(frozen=True)
class LabForm:
    source: str
    """A sweep preset's name or a sweepable experiment's."""
    axes: tuple[tuple[str, str], ...]
    """(setting, values as text), at most ``MAX_AXES``; a blank setting is no axis."""
    seeds: int
    steps: int | None = None
    """Every cell's steps (the experiment's steps setting); None keeps the base config's."""

    @property
    def grid(self) -> tuple[str, ...]:
        return tuple(f"{key}={values}" for key, values in self.axes if key)

    def cell_count(self) -> int:
        """Cells the form asks for, counted without building them (a huge grid is refused from its size)."""
        if len([key for key, _ in self.axes if key]) > MAX_AXES:
            raise SweepError("lab.error.axes", most=MAX_AXES)
        count = self.seeds
        for item in self.grid:
            count *= len(parse_grid_option(item)[1])
        return count

    def definition(self) -> SweepDefinition:
        """The checked sweep (``SweepError`` names what is wrong)."""
        self.cell_count()
        experiment = get_experiment(source_experiment(self.source))
        overrides: Sequence[str] = _overrides(self.source)
        if self.steps is not None:
            overrides = (*overrides, f"{experiment.steps_field}={self.steps}")
        preset = self.source if self.source in SWEEP_PRESETS else None
        return define_sweep(experiment.name, overrides=tuple(overrides), grid=self.grid, seeds=self.seeds, preset=preset)
