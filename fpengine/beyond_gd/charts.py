"""The Sec 1.6 charts and table: output, spectrum, ΔF heatmap and loss over iterations, and what the
iterations of several runs cost side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from fpengine import charts
from fpengine.beyond_gd.settings import BeyondConfig
from fpengine.engine.runner import Snapshot
from fpengine.i18n import t
from fpengine.readout.charts import convergence_marks, readout_builders, theory_builders


def heatmap_figure(
    config: BeyondConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False, scheme: str = "redblue", cursor: int | None = None
) -> Any:
    """The ΔF heatmap over iterations, titled with what trained the net, convergence marked per row
    (a rule at iteration ``cursor``, a replay's)."""
    return chart_builders(config, snapshot, lang, log_steps=log_steps, scheme=scheme, cursor=cursor)["heatmap"]()


def chart_builders(
    config: BeyondConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False, scheme: str = "redblue", cursor: int | None = None
) -> dict[str, Callable[[], Any]]:
    """The read-out's output, spectrum, ΔF heatmap (a rule at iteration ``cursor``) and loss, with
    iterations on the x axes and the method named, and the Theory view's charts when the run made
    the prediction, each built only when asked: a live page rebuilds a chart no more often than its
    cost allows."""
    name = t(f"beyond.method.{config.algorithm}", lang)
    iteration = t("beyond.iteration", lang)
    return {
        **readout_builders(
            snapshot,
            convergence_marks(snapshot.traces["delta_f"], config.spectrum),
            lang,
            log_steps=log_steps,
            scheme=scheme,
            cursor=cursor,
            x_title=iteration,
            heatmap_title=f"{t('view.heatmap', lang)} · {name}",
            loss=lambda: charts.curves_chart(
                snapshot.metrics["step"],
                {name: np.maximum(snapshot.metrics["loss"], 1e-12)},
                t("view.loss", lang),
                iteration,
                t("chart.loss", lang),
                lang,
                log_y=True,
            ),
        ),
        **theory_builders(snapshot, config.spectrum, lang, log_steps=log_steps, scheme=scheme, x_title=iteration),
    }


def figures(config: BeyondConfig, snapshot: Snapshot, lang: str) -> dict[str, Any]:
    """The CLI's PNG figures: every chart of :func:`chart_builders`."""
    return {name: build() for name, build in chart_builders(config, snapshot, lang).items()}


def work_table(runs: dict[str, tuple[dict[str, Any], Snapshot]], lang: str) -> pd.DataFrame:
    """One row per run (label → its summary and snapshot): what an iteration cost (evaluations,
    wall time) and when each frequency converged."""
    rows = []
    for label, (summary, snapshot) in runs.items():
        row: dict[str, Any] = {t("beyond.table.optimizer", lang): label, t("beyond.table.parameters", lang): summary["parameter_count"]}
        for value, key, step in zip(summary["frequencies"], summary["frequency_indices"], summary["convergence_step"], strict=True):
            row[t("beyond.table.converged", lang, frequency=f"{value:g}", k=key)] = "–" if step is None else f"{step:,}"
        rho = summary["spearman"]
        row.update(
            {
                t("beyond.table.iterations", lang): f"{snapshot.step:,}",
                t("beyond.table.evaluations", lang): f"{summary['function_evaluations']:,}",
                t("beyond.table.seconds", lang): f"{snapshot.elapsed:.1f}",
                t("beyond.table.evaluations_per_second", lang): f"{summary['evaluations_per_second'] or 0:,.0f}",
                t("beyond.table.loss", lang): "–" if snapshot.final_loss is None else f"{snapshot.final_loss:.2e}",
                t("view.spearman", lang): "–" if rho is None else f"{rho:+.2f}",
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)
