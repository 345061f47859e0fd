"""A sweep's definition: one experiment's base config, a grid of settings and a number of seeds.

A *cell* is one combination of grid values with one seed. Cells are named by a hash of their
values and seed, so a rerun in the same folder recognises the cells it already finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fpengine.engine.experiment import Experiment
from fpengine.export import read_json_object
from fpengine.i18n import LocalizedError, explain, t
from fpengine.registry import EXPERIMENTS, get_experiment
from fpengine.settings.config import ConfigError, apply_override, from_dict, to_dict
from fpengine.settings.schema import validate

MAX_CELLS = 10_000
"""A bigger sweep is a typing mistake on a laptop and a job for a batch system on a cluster."""
MAX_SEEDS = 1000
FREQUENCY_KEYS = frozenset({"target.frequencies"})
"""Grid keys that choose the target's frequencies: the law is fitted across them, not per value."""


class SweepError(LocalizedError):
    """A sweep cannot be defined or run as asked: one line for the user, in either language
    (``message(lang)``; ``str(error)`` is the English). An exception among the details (the
    refusal it wraps) is shown in the same language."""

    def message(self, lang: str = "en") -> str:
        details = {name: explain(value, lang) if isinstance(value, Exception) else value for name, value in self.details.items()}
        return t(self.key, lang, **details)


def sweepable_experiments() -> list[str]:
    return [name for name, experiment in EXPERIMENTS.items() if experiment.sweepable]


def split_values(text: str) -> list[str]:
    """``1,2,3`` → three values; ``[1,4],[1,5]`` → two list values ``1,4`` and ``1,5`` (commas
    inside brackets belong to a value)."""
    values, current, depth = [], [], 0
    for char in text:
        if char == "[":
            depth += 1
            if depth == 1:
                continue
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise SweepError("sweep.error.unbalanced", bracket="]", text=text)
            if depth == 0:
                continue
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if depth:
        raise SweepError("sweep.error.unbalanced", bracket="[", text=text)
    values.append("".join(current).strip())
    return values


LINK = "+"
"""``KEY1+KEY2=[a1,a2],[b1,b2]``: linked settings that change together, one grid axis (an activation
with the initialisation and step size that suit it). Linked values are scalars: a value's commas
separate its settings."""


def grid_pairs(key: str, value: str) -> list[tuple[str, str]]:
    """The (setting, value) pairs one grid value sets: itself, or each of a linked key's settings."""
    keys = [part.strip() for part in key.split(LINK)]
    if len(keys) == 1:
        return [(key, value)]
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != len(keys) or not all(keys) or not all(parts):
        raise SweepError("sweep.error.linked_values", setting=key, value=value, count=len(keys))
    return list(zip(keys, parts, strict=True))


def parse_grid_option(item: str) -> tuple[str, tuple[str, ...]]:
    """``KEY=V1,V2,…`` (a ``--grid`` option) → (key, values); ``KEY1+KEY2=[a1,a2],[b1,b2]`` links settings."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SweepError("sweep.error.grid_form", item=item)
    values = split_values(text)
    if any(not value for value in values):
        raise SweepError("sweep.error.empty_value", setting=key, text=text)
    if len(set(values)) != len(values):
        raise SweepError("sweep.error.value_twice", setting=key, text=text)
    for value in values:
        grid_pairs(key, value)
    return key, tuple(values)


def parse_set_option(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise SweepError("sweep.error.set_form", item=item)
    return key.strip(), value.strip()


@dataclass(frozen=True)
class Cell:
    """One grid combination with one seed."""

    values: tuple[tuple[str, str], ...]
    seed: int

    @property
    def id(self) -> str:
        text = json.dumps([list(self.values), self.seed])
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    @property
    def settings(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class SweepDefinition:
    """Everything needed to rerun a sweep: written to ``sweep.json``."""

    experiment: str
    base_config: dict[str, Any]
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()
    seeds: tuple[int, ...] = (0,)
    preset: str | None = None
    """The sweep preset it came from, for the record (the definition itself is complete)."""

    @property
    def grid_keys(self) -> list[str]:
        return [key for key, _ in self.grid]

    @property
    def group_keys(self) -> list[str]:
        """The grid keys a law is fitted per value of (frequency keys are the law's x axis)."""
        return [key for key in self.grid_keys if key not in FREQUENCY_KEYS]

    def cells(self) -> Iterator[Cell]:
        values = [[(key, value) for value in options] for key, options in self.grid]
        for combination in itertools.product(*values):
            for seed in self.seeds:
                yield Cell(tuple(combination), seed)

    @property
    def size(self) -> int:
        size = len(self.seeds)
        for _, options in self.grid:
            size *= len(options)
        return size

    def cell_config(self, cell: Cell) -> Any:
        """The config a cell runs: the base config, its grid values and its seed (validated)."""
        experiment = get_experiment(self.experiment)
        config = from_dict(experiment.config_type, self.base_config)
        for key, value in cell.values:
            for setting_key, setting_value in grid_pairs(key, value):
                config = apply_override(config, setting_key, setting_value)
        config = apply_override(config, "seed", str(cell.seed))
        validate(config)
        return config

    def to_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "preset": self.preset,
            "base_config": self.base_config,
            "grid": {key: list(values) for key, values in self.grid},
            "seeds": list(self.seeds),
            "cells": self.size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepDefinition:
        try:
            return cls(
                experiment=data["experiment"],
                base_config=data["base_config"],
                grid=tuple((key, tuple(values)) for key, values in data["grid"].items()),
                seeds=tuple(int(seed) for seed in data["seeds"]),
                preset=data.get("preset"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise SweepError("sweep.error.not_definition", reason=str(error)) from None


def define_sweep(
    experiment_name: str,
    *,
    base_preset: str = "quick",
    overrides: Sequence[str] = (),
    grid: Sequence[str] = (),
    seeds: int = 3,
    first_seed: int = 0,
    preset: str | None = None,
) -> SweepDefinition:
    """A checked sweep: every grid value is applied to the base config, and every cell's config
    is validated before anything runs, so a bad cell is refused up front with its setting named.
    The base config alone need not be valid: the grid may set what makes it so (one amplitude
    in the base, one frequency per cell)."""
    experiment = _sweepable(experiment_name)
    if not 1 <= seeds <= MAX_SEEDS:
        raise SweepError("sweep.error.seeds", most=MAX_SEEDS, seeds=seeds)
    try:
        config = experiment.default_config(base_preset)
        for item in overrides:
            key, value = parse_set_option(item)
            config = apply_override(config, key, value)
    except (ConfigError, ValueError) as error:
        raise SweepError("sweep.error.setting", error=error) from None
    parsed = [parse_grid_option(item) for item in grid]
    keys = [key for key, _ in parsed]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise SweepError("sweep.error.grid_twice", setting=repeated[0])
    if any("seed" in (part.strip() for part in key.split(LINK)) for key in keys):
        raise SweepError("sweep.error.grid_seed")
    definition = SweepDefinition(experiment.name, to_dict(config), tuple(parsed), tuple(range(first_seed, first_seed + seeds)), preset)
    check_cells(definition)
    return definition


def _shown(value: Any) -> str:
    """A JSON value as the file has it, cut short for a one-line message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _file_grid(path: str, grid: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A sweep.json's ``grid`` checked as ``--grid`` options are: values are text or numbers (as
    typed after ``--grid``), none empty or twice, no empty axis, no ``seed`` axis."""
    if not isinstance(grid, dict):
        raise SweepError("sweep.error.file_grid", path=path, got=_shown(grid))
    checked = []
    for key, values in grid.items():
        if key.strip() == "seed":
            raise SweepError("sweep.error.file_grid_seed", path=path)
        if not isinstance(values, list):
            raise SweepError("sweep.error.file_grid_list", path=path, setting=key, got=_shown(values))
        if not values:
            raise SweepError("sweep.error.file_grid_empty", path=path, setting=key)
        texts = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise SweepError("sweep.error.file_grid_value", path=path, setting=key, got=_shown(value))
            text = value.strip() if isinstance(value, str) else str(value)
            if not text:
                raise SweepError("sweep.error.file_grid_value", path=path, setting=key, got=_shown(value))
            if text in texts:
                raise SweepError("sweep.error.file_grid_twice", path=path, setting=key, value=text)
            texts.append(text)
        checked.append((key, tuple(texts)))
    return tuple(checked)


def _file_seeds(path: str, seeds: Any) -> tuple[int, ...]:
    """A sweep.json's ``seeds``: whole numbers a config accepts, each once."""
    if not isinstance(seeds, list):
        raise SweepError("sweep.error.file_seed_value", path=path, got=_shown(seeds))
    checked: list[int] = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**32 - 1:
            raise SweepError("sweep.error.file_seed_value", path=path, got=_shown(seed))
        if seed in checked:
            raise SweepError("sweep.error.file_seed_twice", path=path, seed=seed)
        checked.append(seed)
    return tuple(checked)


def _from_file(path: str, data: dict[str, Any]) -> SweepDefinition:
    """The file's definition, every field checked for its kind before anything uses it."""
    missing = [field for field in ("experiment", "base_config", "grid", "seeds") if field not in data]
    if missing:
        raise SweepError("sweep.error.at", where=path, error=SweepError("sweep.error.not_definition", reason=f"no {missing[0]!r}"))
    if not isinstance(data["experiment"], str):
        raise SweepError("sweep.error.file_experiment", path=path, got=_shown(data["experiment"]))
    if not isinstance(data["base_config"], dict):
        raise SweepError("sweep.error.file_base_config", path=path, got=_shown(data["base_config"]))
    preset = data.get("preset")
    return SweepDefinition(
        experiment=data["experiment"],
        base_config=data["base_config"],
        grid=_file_grid(path, data["grid"]),
        seeds=_file_seeds(path, data["seeds"]),
        preset=preset if isinstance(preset, str) else None,
    )


def load_definition(path: str) -> SweepDefinition:
    """A ``sweep.json`` written by an earlier sweep (or by hand), checked as a new definition is:
    the same rules as the command line's options, each refusal one line naming the file."""
    try:
        definition = _from_file(path, read_json_object(path))
    except SweepError:
        raise
    except ValueError as error:
        raise SweepError("sweep.error.at", where=path, error=error) from None
    _sweepable(definition.experiment)
    if not definition.seeds or len(definition.seeds) > MAX_SEEDS:
        raise SweepError("sweep.error.file_seeds", path=path, most=MAX_SEEDS, seeds=len(definition.seeds))
    try:
        from_dict(get_experiment(definition.experiment).config_type, definition.base_config)
    except ConfigError as error:
        raise SweepError("sweep.error.base_config", path=path, error=error) from None
    check_cells(definition)
    return definition


def check_cells(definition: SweepDefinition) -> None:
    """The sweep is of a size one machine or cluster can run, and every cell's config is valid
    (checked per grid combination: the seed changes nothing else)."""
    if definition.size > MAX_CELLS:
        grid = "".join(f"{len(values)} × " for _, values in definition.grid)
        raise SweepError("sweep.error.too_many_cells", size=definition.size, grid=grid, seeds=len(definition.seeds), most=MAX_CELLS)
    experiment = get_experiment(definition.experiment)
    for key, values in definition.grid:  # a bad key or value, named by the --grid option that gave it
        for value in values:
            try:
                config = from_dict(experiment.config_type, definition.base_config)
                for setting_key, setting_value in grid_pairs(key, value):
                    config = apply_override(config, setting_key, setting_value)
            except ConfigError as error:
                raise SweepError("sweep.error.grid_value", setting=key, value=value, error=error) from None
    seen: set[tuple[tuple[str, str], ...]] = set()
    for cell in definition.cells():
        if cell.values in seen:
            continue
        seen.add(cell.values)
        try:
            definition.cell_config(cell)
        except (ConfigError, ValueError) as error:
            if not cell.values:
                raise SweepError("sweep.error.base_cell", error=error) from None
            where = ", ".join(f"{key}={value}" for key, value in cell.values)
            raise SweepError("sweep.error.cell", where=where, error=error) from None


def _sweepable(name: str) -> Experiment:
    experiment = EXPERIMENTS.get(name)
    if experiment is None or not experiment.sweepable:
        raise SweepError("sweep.error.not_sweepable", name=name, experiments=", ".join(sweepable_experiments()))
    return experiment
