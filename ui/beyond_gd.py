"""Sec 1.6's ui module: what the Lab needs of the page (found through ``ui.pages``): a config as
the page's link parameters, and the links to the page's side-by-side comparison of a sweep's cells
that differ only in their method."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from urllib.parse import urlencode

from fpengine.beyond_gd.nongradient import SWARM_METHOD
from fpengine.beyond_gd.settings import BeyondConfig
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.settings.config import to_dict
from fpengine.sweep.background import LAB_MAX_CELLS
from fpengine.sweep.definition import Cell, SweepDefinition
from fpengine.sweep.library import cell_label, cell_run_id

from .links import text_of
from .target_designer import readout_values

METHOD_KEYS = ("method", "optimizer", "training.optimizer")
"""The keys a Sec 1.6 sweep's grid may set the method by (``optimizer`` is its alias)."""


def link_values(config: BeyondConfig) -> dict[str, str]:
    """The page trains one method at a time (``optimizer``), with that method's width and iteration
    cap, and the learning rate, momentum and swarm only where the method (or the Theory's reference)
    uses them; the rest as on the 1-D pages."""
    data = to_dict(config)
    for name in ("method", "iterations", "max_iterations"):
        del data[name]
    del data["network"]["widths"], data["training"]["optimizer"]
    method = config.algorithm
    if method not in GRADIENT_OPTIMIZERS and config.theory != "ntk":
        del data["training"]["lr"]
    if method != "momentum":
        del data["training"]["momentum"]
    if method != SWARM_METHOD:
        del data["swarm"]
    return {
        "optimizer": method,
        f"width.{method}": text_of(config.network_width),
        f"iterations.{method}": text_of(config.iteration_cap),
        **readout_values(config, data),
    }


@functools.lru_cache(maxsize=2 * LAB_MAX_CELLS)
def _method_and_rest(definition_json: str, cell: Cell) -> tuple[str, str]:
    """A cell's settings but its method (as JSON), and its method; worked out once per cell."""
    config = SweepDefinition.from_json(json.loads(definition_json)).cell_config(cell)
    rest = to_dict(config)
    del rest["method"], rest["training"]["optimizer"]
    return json.dumps(rest, sort_keys=True), config.algorithm


def comparisons(definition: SweepDefinition, sweep_id: str, kept: Collection[str], language: str) -> list[tuple[str, str]]:
    """A sweep over the method: (label, address) of each set of ``kept`` cells (their runs are on
    disk) that differ only in their method, opening the page's comparison of their saved runs side
    by side (its ``mode``, ``optimizers`` and ``runs``), as a comparison started there shows them."""
    groups: dict[str, list[tuple[Cell, str]]] = {}
    definition_json = json.dumps(definition.to_json(), sort_keys=True)
    for cell in definition.cells():
        if cell.id in kept:
            rest, algorithm = _method_and_rest(definition_json, cell)
            groups.setdefault(rest, []).append((cell, algorithm))
    found = []
    for group in groups.values():
        if len(group) > 1:
            first, _ = group[0]
            shared = {key: value for key, value in first.settings.items() if key not in METHOD_KEYS}
            query = {
                "mode": "compare",
                "optimizers": ",".join(algorithm for _, algorithm in group),
                "runs": ",".join(cell_run_id(sweep_id, cell.id) for cell, _ in group),
                "lang": language,
            }
            found.append((cell_label(shared, first.seed, language), f"{definition.experiment}?{urlencode(query, safe=',')}"))
    return found
