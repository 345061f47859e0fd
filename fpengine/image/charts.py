"""Charts of the picture fit (Fig 1.7): the pictures, the band-error heatmap and curves, PSNR."""

from __future__ import annotations

import base64

import altair as alt
import numpy as np
import pandas as pd

from fpengine import charts
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.i18n import t
from fpengine.image.export import picture_png
from fpengine.image.settings import ImageFitConfig
from fpengine.image.views import ImageViews as V


def picture_chart(pixels: np.ndarray, title: str, size: int = 220) -> alt.Chart:
    """A picture in a chart as one image, enlarged by nearest neighbour: drawn as one rectangle per
    pixel it showed seams between the pixels in the exported PNGs."""
    height, width, _ = pixels.shape
    scale = size / max(height, width)
    shown_width, shown_height = round(width * scale), round(height * scale)
    png = base64.b64encode(picture_png(pixels, tile=max(shown_width, shown_height))).decode()
    frame = pd.DataFrame({"x": [0.5], "y": [0.5], "url": [f"data:image/png;base64,{png}"]})
    return (
        alt.Chart(frame, title=title, width=shown_width, height=shown_height)
        .mark_image(width=shown_width, height=shown_height, aspect=False)
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
            url="url:N",
        )
    )


def band_curves(trace: ErrorTrace, lang: str, log_steps: bool = False) -> alt.Chart:
    return charts.curves_chart(
        trace.steps + (1 if log_steps else 0),
        {key: trace.errors[:, i] for i, key in enumerate(trace.keys)},
        t("image.view.band_curves", lang),
        t("chart.step", lang),
        t("chart.error", lang),
        lang,
        log_y=True,
        log_x=log_steps,
    )


def heatmap(
    config: ImageFitConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False, scheme: str = "redblue", cursor: int | None = None
) -> alt.LayerChart:
    """The band-error heatmap; a rule at step ``cursor`` (a replay's)."""
    trace = snapshot.traces["band_error"]
    return charts.error_heatmap(
        trace,
        list(trace.keys),
        lang,
        log_steps=log_steps,
        scheme=scheme,
        title=t("image.view.heatmap", lang),
        converged=config.bands.convergence(trace),
        y_title=t("image.chart.band", lang),
        cursor=cursor,
    )


def psnr_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    curves = {t("image.chart.psnr_all", lang): snapshot.metrics["psnr"]}
    if "held_out_psnr" in snapshot.metrics:
        curves[t("image.chart.psnr_held_out", lang)] = snapshot.metrics["held_out_psnr"]
    return charts.curves_chart(snapshot.metrics["step"], curves, t("image.view.psnr", lang), t("chart.step", lang), "PSNR (dB)", lang)


def figures(config: ImageFitConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    views = snapshot.views
    panels = [
        picture_chart(out, t("chart.at_step", lang, step=int(s)), size=160)
        for s, out in zip(views[V.panel_steps], views[V.panel_outputs], strict=True)
    ]
    return {
        "pictures": alt.hconcat(
            picture_chart(views[V.target], t("image.view.target", lang)), picture_chart(views[V.output], t("image.view.output", lang))
        ),
        "snapshots": alt.hconcat(
            *panels, picture_chart(views[V.target], t("image.view.target", lang), size=160), title=t("view.snapshots", lang)
        ),
        "heatmap": heatmap(config, snapshot, lang),
        "band_curves": band_curves(snapshot.traces["band_error"], lang),
        "loss": charts.loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang),
        "psnr": psnr_chart(snapshot, lang),
    }
