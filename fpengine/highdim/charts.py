"""The high-dimensional pages' and figures' charts: accuracy and loss over epochs, the projected
label spectrum, the ΔF heatmap over epochs (Fig 1.10) and the filter's e_low/e_high views (Fig 1.12)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from fpengine import charts
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.i18n import t


def _train_and_test(snapshot: Snapshot, lang: str, train: str, test: str, title: str, y_title: str, log_y: bool) -> alt.Chart:
    """The training and the test set's curve of one metric over the epochs (the test's dashed)."""
    metrics = snapshot.metrics
    return charts.curves_chart(
        metrics["epoch"],
        {t("highdim.train", lang): metrics[train], t("highdim.test", lang): metrics[test]},
        t(title, lang),
        t("highdim.epoch", lang),
        t(y_title, lang),
        lang,
        dashed=[t("highdim.test", lang)],
        log_y=log_y,
    )


def accuracy_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    return _train_and_test(snapshot, lang, "train_accuracy", "test_accuracy", "highdim.accuracy", "highdim.accuracy", log_y=False)


def loss_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    return _train_and_test(snapshot, lang, "loss", "test_loss", "highdim.loss", "chart.loss", log_y=True)


def training_figures(snapshot: Snapshot, lang: str) -> dict[str, alt.Chart]:
    """The accuracy and loss figures every classification experiment writes."""
    return {"accuracy": accuracy_chart(snapshot, lang), "loss": loss_chart(snapshot, lang)}


# --- projection (Fig 1.10) ------------------------------------------------------------------------


def spectrum_chart(
    frequencies: np.ndarray,
    label_spectrum: np.ndarray,
    output_spectrum: np.ndarray | None,
    marked: np.ndarray,
    unreliable: np.ndarray,
    lang: str,
) -> alt.LayerChart:
    """|ŷ_k| of the labels (and the outputs) on a log axis; tracked frequencies as red rings, ones
    within the noise floor as grey rings."""
    floor = 1e-6
    curves = {t("chart.target", lang): np.asarray(label_spectrum) + floor}
    if output_spectrum is not None:
        curves[t("chart.output", lang)] = np.asarray(output_spectrum) + floor
    lines = charts.curves_chart(
        frequencies,
        curves,
        t("projection.spectrum", lang),
        t("projection.frequency", lang),
        "|ŷ_k|",
        lang,
        dashed=[t("chart.target", lang)],
        log_y=True,
    )
    noisy = set(np.asarray(unreliable).tolist())
    marks = pd.DataFrame(
        {
            "x": [float(frequencies[k]) for k in marked],
            "y": [float(label_spectrum[k]) + floor for k in marked],
            "kind": [t("projection.noisy_peak", lang) if int(k) in noisy else t("chart.peak", lang) for k in marked],
        }
    )
    rings = (
        alt.Chart(marks)
        .mark_point(size=160, strokeWidth=2, filled=False)
        .encode(
            x="x:Q",
            y=alt.Y("y:Q", scale=alt.Scale(type="log")),
            stroke=alt.Stroke(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[t("chart.peak", lang), t("projection.noisy_peak", lang)], range=["#d62728", "#9e9e9e"]),
            ),
        )
    )
    return alt.layer(lines, rings).resolve_scale(color="independent")


def delta_f_heatmap(
    trace: ErrorTrace,
    converged: Sequence[int | None],
    batches_per_epoch: int,
    lang: str,
    *,
    log_epochs: bool = True,
    scheme: str = "redblue",
    vmin: float = 0.1,
    vmax: float = 0.5,
    cursor: int | None = None,
) -> alt.LayerChart:
    """ΔF at the frequencies of ``trace`` over epochs (the chapter's colour range 0.1–0.5, log
    epochs), a rule at step ``cursor`` (a replay's)."""
    return charts.error_heatmap(
        trace,
        [f"k={label}" for label in trace.keys],
        lang,
        log_steps=log_epochs,
        scheme=scheme,
        vmin=vmin,
        vmax=vmax,
        converged=converged,
        y_title=t("projection.frequency", lang),
        x_title=t("highdim.epoch", lang),
        steps_per_unit=batches_per_epoch,
        cursor=cursor,
    )


# --- filtering (Fig 1.12) -------------------------------------------------------------------------


def delta_label(delta: float) -> str:
    return f"{delta:.3g}"


def band_traces(snapshot: Snapshot, index: int) -> ErrorTrace:
    """e_low and e_high of the ``index``-th δ over training, as a two-row trace (low first)."""
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    errors = np.stack([low.errors[:, index], high.errors[:, index]], axis=1)
    return ErrorTrace(low.steps, errors, ("low", "high"), (0.0, 1.0))


def band_heatmap(
    snapshot: Snapshot,
    index: int,
    batches_per_epoch: int,
    lang: str,
    *,
    scheme: str = "redblue",
    log_epochs: bool = False,
    width: int = charts.WIDTH * 2,
    cursor: int | None = None,
) -> alt.LayerChart:
    """The chapter's two-row heatmap for one δ: e_low at the bottom, e_high on top, RdBu 0.1–1, over
    epochs; a rule at step ``cursor`` (a replay's)."""
    delta = snapshot.traces["e_low"].values[index]
    return charts.error_heatmap(
        band_traces(snapshot, index),
        [t("filtering.low", lang), t("filtering.high", lang)],
        lang,
        log_steps=log_epochs,
        scheme=scheme,
        vmin=0.1,
        vmax=1.0,
        y_title=" ",
        x_title=t("highdim.epoch", lang),
        title=t("filtering.heatmap_title", lang, delta=delta_label(delta)),
        width=width,
        steps_per_unit=batches_per_epoch,
        cursor=cursor,
    )


def band_curves(snapshot: Snapshot, lang: str, width: int = charts.WIDTH) -> alt.Chart:
    """e_low (solid) and e_high (dashed) over epochs for every δ."""
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    curves: dict[str, np.ndarray] = {}
    dashed = []
    for i, key in enumerate(low.keys):
        curves[t("filtering.low_delta", lang, delta=key)] = low.errors[:, i]
        name = t("filtering.high_delta", lang, delta=key)
        curves[name] = high.errors[:, i]
        dashed.append(name)
    return charts.curves_chart(
        snapshot.metrics["epoch"],
        curves,
        t("filtering.curves", lang),
        t("highdim.epoch", lang),
        t("chart.error", lang),
        lang,
        dashed=dashed,
        width=width,
    )
