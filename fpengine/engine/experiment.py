"""What every experiment provides to the pages, the CLI and the tests, and what every chapter
section provides to the registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import torch

from fpengine.engine.memory import MemoryEstimate, admitted, check_memory
from fpengine.engine.runner import RunContext, Snapshot, Train
from fpengine.i18n import register
from fpengine.settings.schema import validate


@dataclass(frozen=True)
class Experiment:
    name: str
    """Command-line name, e.g. ``equal-amplitude``; its page's address is ``/<name>`` (``ui.pages``
    maps an experiment to its page)."""
    icon: str
    """The page's icon in the app's navigation: a Material icon, ``:material/…:``."""
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
    private: Callable[[Any], bool] = lambda config: False
    """True for a config whose run trains on a visitor's own data (an uploaded photo): on a shared
    server only that visitor may watch it, and the app does not write it to the server's run folder
    (the CLI writes wherever it is told)."""
    holds: Callable[[Any], object | None] = lambda config: None
    """What a private run keeps alive while it trains (the photo in the in-memory upload store)."""
    check_inputs: Callable[[Any], object] = lambda config: None
    """Checks what a valid config points at (a picture file decodes and suits the run), so the CLI
    refuses it before training as the pages do; raises a LocalizedError naming the setting (ConfigError)."""

    count_steps: Callable[[Any], int] | None = None
    """The run's length in steps where ``steps_field`` alone does not give it (epochs × batches)."""
    memory: Callable[[Any, torch.device], MemoryEstimate] | None = None
    """The memory a run of a config needs on a device, for an experiment whose settings can ask for
    more than a machine has; a config that cannot fit is refused before training."""
    runs_on: str | None = None
    """``cpu``: the experiment always trains on the CPU, whatever device was chosen."""

    def keeps_run(self, config: Any) -> bool:
        """Whether the app writes a run of ``config`` to the server's run folder: not a private one."""
        return not self.private(config)

    def device_for(self, requested: torch.device) -> torch.device:
        """The device a run asked for on ``requested`` trains on."""
        return torch.device(self.runs_on) if self.runs_on else requested

    def check_fits(self, config: Any, device: torch.device) -> None:
        """Refuse (ConfigError naming the settings, with the estimate) a config whose run cannot fit
        in what ``device`` has free."""
        if self.memory is not None:
            check_memory(self.memory(config, device), device)

    def total_steps(self, config: Any) -> int:
        """The run's length in steps (a run may end sooner, e.g. when SciPy meets its tolerance)."""
        if self.count_steps is not None:
            return self.count_steps(config)
        value: Any = config
        for name in self.steps_field.split("."):
            value = getattr(value, name)
        return int(value)

    def run(self, config: Any, ctx: RunContext) -> None:
        """What the run engine runs: the config validated and checked to fit the device, the step
        total set, then ``train``."""
        validate(config)
        estimate = self.memory(config, ctx.device) if self.memory is not None else None
        with admitted(estimate, ctx.device):  # room is left for the runs already training
            ctx.total_steps = self.total_steps(config)
            self.train(config, ctx)

    @property
    def title_key(self) -> str:
        """i18n key of the title (with the chapter's figure number)."""
        return f"{self.name}.title"

    @property
    def description_key(self) -> str:
        """i18n key of the one-line description shown by ``list`` and on the home page."""
        return f"{self.name}.description"

    def default_config(self, preset: str = "quick") -> Any:
        if preset not in self.presets:
            raise ValueError(f"unknown preset {preset!r} for {self.name} (choose from {', '.join(self.presets)})")
        return self.presets[preset]()


@dataclass(frozen=True)
class Section:
    """One section of the chapter: its experiments, its strings and its benchmark, in one package."""

    name: str
    """The name of its benchmark group (``python -m fpengine bench --only NAME``)."""
    experiments: tuple[Experiment, ...]
    strings: Mapping[str, tuple[str, str]]
    """i18n key → (English, 简体中文)."""
    bench: Callable[[bool], list[dict]] | None = None
    """``run(quick)`` → one dict per printed line (``fpengine.bench``)."""

    def __post_init__(self) -> None:
        # its strings are in the catalogue as soon as any of its modules is imported (its package
        # declares the section), so its errors read even in a script that never imports the registry
        register(self.name, self.strings)
