"""The 1-D pages' and figures' charts: output, spectrum, ΔF heatmap, loss and snapshot panels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt

from fpengine.charts import error_heatmap, frequency_labels, loss_chart, output_chart, panels_chart, spectrum_chart
from fpengine.engine.runner import Snapshot


def chart_builders(
    snapshot: Snapshot, converged: Sequence[int | None], lang: str, *, log_steps: bool = False, scheme: str = "redblue"
) -> dict[str, Callable[[], alt.TopLevelMixin]]:
    """The standard 1-D views, built on demand (a live page rebuilds each only as often as it can
    afford): output, spectrum, ΔF heatmap, loss and, once any are kept, the snapshot panels."""
    views = snapshot.views
    trace = snapshot.traces["delta_f"]
    builders: dict[str, Callable[[], alt.TopLevelMixin]] = {
        "output": lambda: output_chart(views["x_plot"], views["target_plot"], views["output_plot"], lang),
        "spectrum": lambda: spectrum_chart(
            views["target_spectrum"], views["output_spectrum"], views["peaks"], views["genuine"], views["selected"], lang
        ),
        "heatmap": lambda: error_heatmap(trace, frequency_labels(trace), lang, log_steps=log_steps, scheme=scheme, converged=converged),
        "loss": lambda: loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang),
    }
    if len(views["panel_steps"]):
        builders["panels"] = lambda: panels_chart(views["x_plot"], views["target_plot"], views["panel_steps"], views["panel_outputs"], lang)
    return builders


def figures_from(snapshot: Snapshot, converged: Sequence[int | None], lang: str) -> dict[str, alt.TopLevelMixin]:
    """Every view, built now (the command line's PNG figures)."""
    return {name: build() for name, build in chart_builders(snapshot, converged, lang).items()}
