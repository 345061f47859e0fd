"""The 1-D read-out's charts, shared by Figs 1.3–1.6 and Sec 1.6: output, spectrum, ΔF heatmap and
loss, and the Theory view's: measured beside predicted ΔF, the kernel's spectrum, the loss beside
the linear model's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from fpengine import spectral
from fpengine.charts import (
    HEIGHT,
    WIDTH,
    curves_chart,
    error_heatmap,
    frequency_labels,
    loss_chart,
    output_chart,
    spectrum_chart,
)
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.i18n import t
from fpengine.readout.theory import PREDICTED
from fpengine.readout.views import ReadoutViews as V
from fpengine.readout.views import TheoryViews as T


def convergence_marks(trace: ErrorTrace, spectrum: Any) -> list[int | None]:
    """The step each row of a ΔF trace converged at, by ``spectrum``'s ε and rule (as in the summary)."""
    return spectral.convergence_steps(trace.errors, trace.steps, spectrum.epsilon, spectrum.rule)


def readout_builders(
    snapshot: Snapshot,
    converged: Sequence[int | None],
    lang: str,
    *,
    log_steps: bool = False,
    scheme: str = "redblue",
    cursor: int | None = None,
    x_title: str | None = None,
    heatmap_title: str | None = None,
    loss: Callable[[], alt.TopLevelMixin] | None = None,
) -> dict[str, Callable[[], alt.TopLevelMixin]]:
    """The read-out's views of a 1-D run, built on demand (a live page rebuilds each only as often
    as it can afford): ``output``, ``spectrum``, the ΔF ``heatmap`` (convergence marked per row at
    ``converged``, a rule at step ``cursor``, a replay's) and the ``loss`` (``loss``: a section's own
    loss chart)."""
    views = snapshot.views
    trace = snapshot.traces["delta_f"]
    return {
        "output": lambda: output_chart(views[V.x_plot], views[V.target_plot], views[V.output_plot], lang),
        "spectrum": lambda: spectrum_chart(
            views[V.target_spectrum], views[V.output_spectrum], views[V.peaks], views[V.genuine], views[V.selected], lang
        ),
        "heatmap": lambda: delta_f_heatmap(
            trace, lang, log_steps=log_steps, scheme=scheme, converged=converged, cursor=cursor, x_title=x_title, title=heatmap_title
        ),
        "loss": loss or (lambda: loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang)),
    }


def theory_builders(
    snapshot: Snapshot, spectrum: Any, lang: str, *, log_steps: bool = False, scheme: str = "redblue", x_title: str | None = None
) -> dict[str, Callable[[], alt.TopLevelMixin]]:
    """The Theory view's charts, for a run that made the prediction (``theory=ntk``; else none):
    ``theory`` (measured and predicted ΔF side by side), ``ntk_spectrum`` and ``theory_loss``.
    Convergence is marked by ``spectrum``'s ε and rule, as in the summary."""
    if PREDICTED not in snapshot.traces:
        return {}
    views = snapshot.views
    return {
        "theory": lambda: theory_heatmaps(snapshot, spectrum, lang, log_steps=log_steps, scheme=scheme, x_title=x_title),
        "ntk_spectrum": lambda: kernel_spectrum_chart(views[T.ntk_eigenvalues], views[T.ntk_eigen_indices], views[V.selected], lang),
        "theory_loss": lambda: curves_chart(
            snapshot.metrics["step"],
            {
                t("theory.measured", lang): np.maximum(snapshot.metrics["loss"], 1e-12),
                t("theory.predicted", lang): np.maximum(snapshot.metrics["predicted_loss"], 1e-12),
            },
            t("theory.loss_title", lang),
            x_title or t("chart.step", lang),
            t("chart.loss", lang),
            lang,
            dashed=[t("theory.predicted", lang)],
            log_y=True,
        ),
    }


def delta_f_heatmap(trace: ErrorTrace, lang: str, **options: Any) -> alt.LayerChart:
    """A 1-D trace's ΔF heatmap, one row per tracked frequency (ω = its DFT index)."""
    return error_heatmap(trace, frequency_labels(trace), lang, **options)


def theory_heatmaps(
    snapshot: Snapshot, spectrum: Any, lang: str, *, log_steps: bool = False, scheme: str = "redblue", x_title: str | None = None
) -> alt.HConcatChart:
    """The measured ΔF heatmap and the predicted one side by side: the same rows, steps and colour scale."""
    charts = []
    for name, title in (("delta_f", t("theory.measured_heatmap", lang)), (PREDICTED, t("theory.predicted_heatmap", lang))):
        trace = snapshot.traces[name]
        converged = convergence_marks(trace, spectrum)
        charts.append(
            delta_f_heatmap(trace, lang, log_steps=log_steps, scheme=scheme, converged=converged, title=title, width=WIDTH, x_title=x_title)
        )
    return alt.hconcat(*charts).resolve_scale(color="shared")


def kernel_spectrum_chart(eigenvalues: np.ndarray, indices: np.ndarray, tracked: np.ndarray, lang: str) -> alt.LayerChart:
    """K's eigenvalues (log) against the dominant DFT index of their eigenvectors, the tracked
    indices marked: large eigenvalues sit at low frequencies, which is why those are learned first."""
    frame = pd.DataFrame(
        {"k": np.asarray(indices, dtype=int), "eigenvalue": np.asarray(eigenvalues), "rank": np.arange(1, len(eigenvalues) + 1)}
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=40)
        .encode(
            x=alt.X("k:Q", title=t("theory.eigen_index", lang), axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("eigenvalue:Q", title=t("theory.eigenvalue", lang), scale=alt.Scale(type="log")),
            tooltip=[alt.Tooltip("rank:Q", title="#"), alt.Tooltip("k:Q"), alt.Tooltip("eigenvalue:Q", format=".3g")],
        )
    )
    marks = pd.DataFrame({"k": np.asarray(tracked, dtype=int)})
    rules = alt.Chart(marks).mark_rule(color="#d62728", strokeDash=[4, 3]).encode(x="k:Q", tooltip=[alt.Tooltip("k:Q")])
    return alt.layer(rules, points, title=t("theory.spectrum_title", lang), width=WIDTH, height=HEIGHT)
