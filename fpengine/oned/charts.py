"""The 1-D pages' and figures' charts: the read-out's (``fpengine.readout.charts``) and the snapshot
panels of Figs 1.3–1.6."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt

from fpengine.charts import panels_chart
from fpengine.engine.runner import Snapshot
from fpengine.readout.charts import readout_builders, theory_builders


def chart_builders(
    snapshot: Snapshot, converged: Sequence[int | None], lang: str, **options: Any
) -> dict[str, Callable[[], alt.TopLevelMixin]]:
    """The standard 1-D views, built on demand: the read-out's output, spectrum, ΔF heatmap and loss
    (``options``: ``log_steps``, ``scheme``, ``cursor``) and, once any are kept, the snapshot panels."""
    views = snapshot.views
    builders = readout_builders(snapshot, converged, lang, **options)
    if len(views["panel_steps"]):
        builders["panels"] = lambda: panels_chart(views["x_plot"], views["target_plot"], views["panel_steps"], views["panel_outputs"], lang)
    return builders


def figures_from(snapshot: Snapshot, converged: Sequence[int | None], spectrum: Any, lang: str) -> dict[str, alt.TopLevelMixin]:
    """Every view, built now (the command line's PNG figures); ``spectrum`` is the run's SpectrumConfig."""
    builders = {**chart_builders(snapshot, converged, lang), **theory_builders(snapshot, spectrum, lang)}
    return {name: build() for name, build in builders.items()}
