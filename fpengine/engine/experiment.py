"""What every experiment provides to the pages, the CLI and the tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt

from fpengine.engine.runner import Snapshot, Train


@dataclass(frozen=True)
class Experiment:
    name: str
    """Command-line name, e.g. ``equal-amplitude``."""
    title_key: str
    """i18n key of the title (with the chapter's figure number)."""
    description_key: str
    """i18n key of the one-line description shown by ``list`` and on the home page."""
    config_type: type
    presets: Mapping[str, Callable[[], Any]]
    """Named default configs; ``quick`` (CPU-friendly) comes first and is the default."""
    train: Train
    summarize: Callable[[Any, Snapshot], dict[str, Any]]
    """Experiment-specific fields of summary.json (frequencies, convergence_step, …)."""
    figures: Callable[[Any, Snapshot, str], Mapping[str, alt.TopLevelMixin]]
    """Charts written as PNG by the CLI: name → chart, in the given language."""
    steps_field: str = "training.steps"
    """Dotted config field that ``--steps`` sets."""
    sweepable: bool = False
    """True when its summary reports ``frequencies``, ``convergence_step`` and ``spearman`` per run,
    so ``fpengine sweep`` can tabulate its cells and fit the convergence law."""
    keeps_run: Callable[[Any], bool] = lambda config: True
    """False for a config whose run the app must not write to the server's run folder (e.g. one
    on a visitor's uploaded photo); the CLI writes wherever it is told."""
    check_inputs: Callable[[Any], object] = lambda config: None
    """Checks what a valid config points at (a picture file decodes and suits the run), so the CLI
    refuses it before training as the pages do; raises ConfigError or ImageError."""

    def default_config(self, preset: str = "quick") -> Any:
        if preset not in self.presets:
            raise ValueError(f"unknown preset {preset!r} for {self.name} (choose from {', '.join(self.presets)})")
        return self.presets[preset]()
