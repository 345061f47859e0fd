"""The ui's side of the registry: each experiment's page file, and what the ui module of its section
tells the pages every section shares (the Lab) about it. A section's ui module may define
``link_values(config)`` (the config as its page's link parameters) and ``comparisons(definition,
sweep_id, kept, language)`` (links to its page's comparison of a sweep's saved cells)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fpengine.engine.experiment import Experiment
from fpengine.registry import section_of
from fpengine.settings.config import to_dict

from . import beyond_gd, oned_page
from .links import setting_values

SECTION_UI: dict[str, ModuleType] = {"oned": oned_page, "beyond": beyond_gd}
"""Section name → its ui module, for the sections whose pages the Lab links to beyond their settings."""


def page_file(experiment: Experiment) -> str:
    """The experiment's page, ``app_pages/<name with _>.py``, at the address ``/<name>``."""
    return f"app_pages/{experiment.name.replace('-', '_')}.py"


def section_ui(experiment: Experiment) -> ModuleType | None:
    return SECTION_UI.get(section_of(experiment).name)


def link_values(experiment: Experiment, config: Any) -> dict[str, str]:
    """``config`` as its page holds it in its linked widgets (``ui.controls.linked``), by link
    parameter: by its section's ui module, else each setting under its own name."""
    module = section_ui(experiment)
    if module is not None and hasattr(module, "link_values"):
        return module.link_values(config)
    return setting_values(to_dict(config))


def comparisons(experiment: Experiment, *args: Any) -> list[tuple[str, str]]:
    """(label, address) of its page's comparisons of a sweep's saved cells; none when it has none."""
    module = section_ui(experiment)
    return module.comparisons(*args) if module is not None and hasattr(module, "comparisons") else []
