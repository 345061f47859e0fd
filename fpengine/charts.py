"""Altair chart builders shared by every page and by the CLI's PNG figures.

Builders take plain arrays and a language and return charts; they never compute spectra or train.
Long histories are binned (heatmaps, drawn as one picture) or reduced to their envelope (curves: at
most ``MAX_LINE_POINTS`` points a series, about a chart's width in pixels) first, so a refresh stays cheap (chart building holds the GIL
that the trainer needs).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from fpengine.engine.runner import ErrorTrace
from fpengine.i18n import t

MAX_LINE_POINTS = 600
"""The most points a curve sends: about the plot width of a half-page chart on a wide screen, in pixels."""
MAX_HEATMAP_COLUMNS = 160
SCHEMES = ("redblue", "yellowgreenblue")
WIDTH = 320
HEIGHT = 220
PANELS_PER_ROW = 3
PRESENTATION_TEXT = {
    "axis": {"labelFontSize": 16, "titleFontSize": 18},
    "legend": {"labelFontSize": 16, "titleFontSize": 17, "symbolSize": 150},
    "header": {"labelFontSize": 16, "titleFontSize": 18},
    "title": {"fontSize": 21},
    "text": {"fontSize": 16},
}
"""Text sizes (px) of a chart on a projector: read from the back of a room at 1280×720, where
Vega-Lite's defaults (axis labels 10 px, titles 11–13 px) are a blur."""


def envelope(x: np.ndarray, y: np.ndarray, max_points: int = MAX_LINE_POINTS, log_x: bool = False) -> np.ndarray:
    """Indices of at most ``max_points`` points of the curve y(x) that draw like the whole curve at
    about that many pixels wide: the first and the last point and, in each of ``(max_points − 2) / 2``
    equal spans of x (of log x with ``log_x``; of the index where x does not rise), the lowest and the
    highest point, so peaks and dips survive where a stride would step over them."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    position = np.log(x) if log_x and np.all(x > 0) else x
    if np.all(np.isfinite(position)) and np.all(np.diff(position) >= 0) and position[-1] > position[0]:
        share = (position - position[0]) / (position[-1] - position[0])
    else:
        share = np.arange(n) / (n - 1)
    bucket = np.minimum((share * buckets).astype(int), buckets - 1)
    order = np.lexsort((np.nan_to_num(y, nan=-np.inf), bucket))  # by bucket, then by y within it
    ends = np.flatnonzero(np.diff(bucket[order])) + 1
    lowest, highest = order[np.r_[0, ends]], order[np.r_[ends - 1, n - 1]]
    return np.unique(np.concatenate([[0, n - 1], lowest, highest]))


def curves_chart(
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    title: str,
    x_title: str,
    y_title: str,
    lang: str,
    dashed: Sequence[str] = (),
    log_y: bool = False,
    width: int = WIDTH,
    log_x: bool = False,
    max_points: int = MAX_LINE_POINTS,
) -> alt.Chart:
    """Several y(x) curves in one chart, coloured by name (``dashed`` names drawn dashed), each sent
    as at most ``max_points`` points (:func:`envelope`)."""
    x = np.asarray(x)
    frames = []
    for name, y in curves.items():
        keep = envelope(x, y, max_points, log_x)
        frames.append(pd.DataFrame({"x": x[keep], "y": np.asarray(y)[keep], "series": name}))
    frame = pd.concat(frames, ignore_index=True)
    names = list(curves)
    return (
        alt.Chart(frame, title=title, width=width, height=HEIGHT)
        .mark_line(clip=True)
        .encode(
            x=alt.X("x:Q", title=x_title, scale=alt.Scale(type="log") if log_x else alt.Undefined),
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Undefined),
            color=alt.Color("series:N", title=t("chart.series", lang), sort=names),
            strokeDash=alt.condition(alt.FieldOneOfPredicate("series", list(dashed) or ["\0"]), alt.value([5, 3]), alt.value([1, 0])),
        )
    )


def output_chart(
    x: np.ndarray, target: np.ndarray, output: np.ndarray, lang: str, title: str | None = None, width: int = WIDTH
) -> alt.Chart:
    """Output against target; a small panel (``width`` under ``MAX_LINE_POINTS``) sends a point per pixel."""
    return curves_chart(
        x,
        {t("chart.target", lang): target, t("chart.output", lang): output},
        title or t("view.output", lang),
        t("chart.x", lang),
        t("chart.value", lang),
        lang,
        dashed=[t("chart.target", lang)],
        width=width,
        max_points=min(MAX_LINE_POINTS, width) if width < WIDTH else MAX_LINE_POINTS,
    )


def panels_chart(x: np.ndarray, target: np.ndarray, panel_steps: np.ndarray, panel_outputs: np.ndarray, lang: str) -> alt.ConcatChart:
    """The figure's row of snapshots: output vs target at each kept step."""
    panels = [
        output_chart(x, target, out, lang, title=t("chart.at_step", lang, step=int(s)), width=220)
        for s, out in zip(panel_steps, panel_outputs, strict=True)
    ]
    # at most three to a row, rows balanced (four or more side by side ran off a page's width)
    rows = max(1, math.ceil(len(panels) / PANELS_PER_ROW))
    return alt.concat(*panels, columns=max(1, math.ceil(len(panels) / rows)), title=t("view.snapshots", lang))


def spectrum_chart(
    target_spectrum: np.ndarray,
    output_spectrum: np.ndarray | None,
    peaks: np.ndarray,
    genuine: np.ndarray,
    selected: np.ndarray,
    lang: str,
    title: str | None = None,
    width: int = WIDTH,
) -> alt.LayerChart:
    """|DFT|/N of target and (if given) output on a log axis; tracked peaks ringed, side-lobes grey."""
    floor = 1e-5  # the authors add 1e-5 before the log plot; keeps exact zeros drawable
    index = np.arange(len(target_spectrum))
    spectra = {t("chart.target", lang): target_spectrum}
    if output_spectrum is not None:
        spectra[t("chart.output", lang)] = output_spectrum
    frame = pd.concat(
        [
            pd.DataFrame({"k": index[keep], "amplitude": np.asarray(values)[keep] + floor, "series": name})
            for name, values in spectra.items()
            for keep in [envelope(index, values)]
        ],
        ignore_index=True,
    )
    base = alt.Chart(frame, title=title or t("view.spectrum", lang), width=width, height=HEIGHT)
    lines = base.mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("k:Q", title=t("chart.freq_index", lang)),
        y=alt.Y("amplitude:Q", title=t("chart.amplitude", lang), scale=alt.Scale(type="log")),
        color=alt.Color("series:N", title=t("chart.series", lang)),
        strokeDash=alt.condition(alt.datum.series == t("chart.target", lang), alt.value([5, 3]), alt.value([1, 0])),
    )
    kinds = []
    for peak, real in zip(np.asarray(peaks), np.asarray(genuine), strict=True):
        if peak in set(np.asarray(selected).tolist()):
            kinds.append((peak, t("chart.peak", lang)))
        elif not real:
            kinds.append((peak, t("chart.side_lobe", lang)))
    for peak in np.asarray(selected):
        if peak not in set(np.asarray(peaks).tolist()):
            kinds.append((peak, t("chart.peak", lang)))
    marks = pd.DataFrame(
        {
            "k": [int(k) for k, _ in kinds],
            "amplitude": [float(target_spectrum[int(k)]) + floor for k, _ in kinds],
            "kind": [kind for _, kind in kinds],
        }
    )
    rings = (
        alt.Chart(marks)
        .mark_point(size=160, strokeWidth=2, filled=False)
        .encode(
            x="k:Q",
            y=alt.Y("amplitude:Q", scale=alt.Scale(type="log")),
            shape=alt.Shape("kind:N", title=None),
            stroke=alt.Stroke(
                "kind:N",
                scale=alt.Scale(domain=[t("chart.peak", lang), t("chart.side_lobe", lang)], range=["#d62728", "#9e9e9e"]),
                title=None,
            ),
        )
    )
    return alt.layer(lines, rings).resolve_scale(color="independent")


def frequency_labels(trace: ErrorTrace, unit: str = "ω") -> list[str]:
    """Row labels with the actual frequency and the DFT index it sits at."""
    return [f"{unit}={value:g} (k={key})" for key, value in zip(trace.keys, trace.values, strict=True)]


HEATMAP_COLOURS = {
    "redblue": "8c0d25bf363adf745ef4ae91fbdbc9f2efeed2e5ef9dcae15da2cb2f78b3134b85",
    "yellowgreenblue": "eff9bddbf1b4bde5b594d5b969c5be45b4c22c9ec02182b82163aa23479c1c3185",
}
"""The heatmaps' fixed colour scales, colour-mapped here into the map's picture: Vega's continuous
schemes of the same names (vega-scale's ``redBlue`` and ``yellowGreenBlue``, 11 evenly spaced sRGB
stops interpolated linearly), so the picture matches the Vega-drawn colour bar beside it. A value
maps to ``(value − vmin) / (vmax − vmin)`` clamped to [0, 1]: red = small error, blue = large."""
NO_RECORD = (255, 255, 255)
"""The colour of a cell without a value (a run with no record yet): the page's white."""


def colour_map(values: np.ndarray, scheme: str, vmin: float, vmax: float) -> np.ndarray:
    """RGB bytes (``values.shape + (3,)``) of ``values`` on the scale ``HEATMAP_COLOURS[scheme]``
    from ``vmin`` to ``vmax``, clamped; NaN → ``NO_RECORD``."""
    stops = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in _hex_stops(HEATMAP_COLOURS[scheme])], dtype=float)
    values = np.asarray(values, dtype=float)
    missing = ~np.isfinite(values)
    position = np.clip((np.where(missing, vmin, values) - vmin) / (vmax - vmin), 0.0, 1.0) * (len(stops) - 1)
    below = np.minimum(position.astype(int), len(stops) - 2)
    share = (position - below)[..., None]
    rgb = stops[below] * (1 - share) + stops[below + 1] * share
    rgb[missing] = NO_RECORD
    return np.rint(rgb).astype(np.uint8)


def _hex_stops(colours: str) -> list[str]:
    return [colours[i : i + 6] for i in range(0, len(colours), 6)]


def heatmap_bins(trace: ErrorTrace, log_steps: bool, max_columns: int = MAX_HEATMAP_COLUMNS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The map's columns: their starts and ends (in step + 1) and the mean error per (component, column);
    bins are linear or logarithmic in step + 1. A bin without records (sparse recording) is covered by
    the previous record's column, so the map has no gaps. No records: three empty arrays."""
    steps = np.asarray(trace.steps, dtype=float)
    if len(steps) == 0:
        return np.zeros(0), np.zeros(0), np.zeros((len(trace.keys), 0))
    first, last = steps[0] + 1, steps[-1] + 2
    if log_steps:
        edges = np.unique(np.geomspace(first, last, max_columns + 1).round())
    else:
        edges = np.unique(np.linspace(first, last, min(max_columns, len(steps)) + 1).round())
    if len(edges) < 2:
        edges = np.array([first, last])
    which = np.clip(np.searchsorted(edges, steps + 1, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(which, minlength=len(edges) - 1)
    used = counts > 0
    starts = edges[:-1][used]
    ends = np.append(starts[1:], edges[1:][used][-1])
    errors = np.asarray(trace.errors, dtype=float).reshape(len(steps), -1)
    means = np.stack(
        [np.bincount(which, weights=errors[:, k], minlength=len(edges) - 1)[used] / counts[used] for k in range(errors.shape[1])]
    )
    return starts, ends, means


def heatmap_picture(
    starts: np.ndarray,
    ends: np.ndarray,
    means: np.ndarray,
    *,
    log_steps: bool,
    scheme: str,
    vmin: float,
    vmax: float,
    size: tuple[int, int],
) -> np.ndarray:
    """The map as an RGB picture of ``size`` = (width, height) pixels, as the chart draws it: x from the
    first start to the last end (linear, or logarithmic with ``log_steps``), the first component in the
    bottom band of ``height / components`` pixels. Each pixel column shows the column under its centre."""
    width, height = size
    rows = means.shape[0]
    if len(starts) == 0 or rows == 0:
        return np.full((height, width, 3), NO_RECORD, dtype=np.uint8)
    low, high = float(starts[0]), float(ends[-1])
    centres = (np.arange(width) + 0.5) / width
    at = np.exp(np.log(low) + centres * (np.log(high) - np.log(low))) if log_steps else low + centres * (high - low)
    column = np.clip(np.searchsorted(starts, at, side="right") - 1, 0, len(starts) - 1)
    row = rows - 1 - np.minimum((np.arange(height) + 0.5) * rows // height, rows - 1).astype(int)
    # colour the cells, then repeat them into pixels (far fewer cells than pixels)
    return colour_map(means, scheme, vmin, vmax)[row][:, column]


def png_data_url(pixels: np.ndarray) -> str:
    """An RGB picture as a ``data:image/png;base64,…`` address."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def heatmap_rows(
    labels: Sequence[str], starts: np.ndarray, ends: np.ndarray, means: np.ndarray, converged: Sequence[int | None], lang: str
) -> pd.DataFrame:
    """One row per component for the map's hover read-out and colour bar: its label, the span of the
    map (start, end), the latest mean error and where it converged (text)."""
    span = (float(starts[0]), float(ends[-1])) if len(starts) else (math.nan, math.nan)
    steps = list(converged) + [None] * (len(labels) - len(converged))
    return pd.DataFrame(
        {
            "row": list(labels),
            "start": span[0],
            "end": span[1],
            "error": means[:, -1] if means.shape[1] else math.nan,
            "converged": [t("view.never", lang) if s is None else f"{s:,}" for s in steps[: len(labels)]],
            "order": range(len(labels)),
        }
    )


def heatmap_image_layer(data: Any = alt.Undefined) -> alt.Chart:
    """The map's picture (field ``url``), stretched over the whole plot: the axes come from the
    other layers, whose data span the same steps and rows."""
    return alt.Chart(data).mark_image(x=0, y=0, x2="width", y2="height", aspect=False).encode(url="url:N")


def heatmap_read_out(data: Any, y: alt.Y, x_title: str, y_title: str, colours: alt.Scale, lang: str, scale: alt.Scale) -> alt.Chart:
    """One transparent band per row over the picture: its tooltip names the row, its latest error and
    where it converged; its colour encoding gives the chart its colour bar."""
    return (
        alt.Chart(data)
        .mark_rect(fillOpacity=0, strokeOpacity=0)
        .encode(
            x=alt.X("start:Q", title=x_title, scale=scale),
            x2="end:Q",
            y=y,
            color=alt.Color("error:Q", title=t("chart.error", lang), scale=colours),
            tooltip=[
                alt.Tooltip("row:N", title=y_title),
                alt.Tooltip("error:Q", title=t("chart.error", lang), format=".3g"),
                alt.Tooltip("converged:N", title=t("table.converged_at", lang)),
            ],
        )
    )


def error_heatmap(
    trace: ErrorTrace,
    labels: Sequence[str],
    lang: str,
    *,
    log_steps: bool = False,
    scheme: str = "redblue",
    vmin: float = 0.1,
    vmax: float = 1.0,
    title: str | None = None,
    converged: Sequence[int | None] = (),
    y_title: str | None = None,
    width: int = WIDTH * 2,
    x_title: str | None = None,
    steps_per_unit: float = 1.0,
    cursor: int | None = None,
) -> alt.LayerChart:
    """Component × step heatmap of the relative error. Red = small (≤ vmin), blue = large (≥ vmax)
    with the chapter's RdBu; rows low → high from the bottom; ticks mark each row's convergence;
    a vertical rule marks the step ``cursor`` (a replay's).
    With ``steps_per_unit`` (e.g. batches per epoch) and ``x_title`` the axis shows (step + 1) / steps_per_unit.

    The map is one picture, colour-mapped here (``HEATMAP_COLOURS``) at the chart's size, not a
    shape per cell: the browser draws one image and one transparent band per row (the hover
    read-out), however long the run. The spec holds nothing that grows with the run (the x scale
    takes its span from the bands' data), so a live page's browser updates the data of the chart
    it has instead of building a new one."""
    height = max(90, 40 * len(labels))
    # size and title on the top-level layer: a live page stretches the top level only
    size = {"title": title or t("view.heatmap", lang), "width": width, "height": height}
    starts, ends, means = heatmap_bins(trace, log_steps)
    starts, ends = starts / steps_per_unit, ends / steps_per_unit
    x_title = x_title or t("chart.step", lang) + (" + 1" if log_steps else "")
    y_title = y_title or t("chart.frequency", lang)
    x_scale = alt.Scale(type="log" if log_steps else "linear", nice=False, zero=False)
    # bands without padding: the picture's rows lie exactly on them
    y = alt.Y("row:N", title=y_title, sort=list(reversed(list(labels))), scale=alt.Scale(paddingInner=0, paddingOuter=0))
    colours = alt.Scale(scheme=scheme, domain=[vmin, vmax], clamp=True)
    picture = heatmap_picture(starts, ends, means, log_steps=log_steps, scheme=scheme, vmin=vmin, vmax=vmax, size=(width, height))
    rows = heatmap_rows(labels, starts, ends, means, converged, lang)
    layers = [
        heatmap_image_layer(pd.DataFrame({"url": [png_data_url(picture)]})),
        heatmap_read_out(rows, y, x_title, y_title, colours, lang, x_scale),
    ]
    marks = pd.DataFrame(
        {
            "row": [lab for lab, s in zip(labels, converged, strict=False) if s is not None],
            "step": [(s + 1) / steps_per_unit for s in converged if s is not None],
        }
    )
    if not marks.empty:
        layers.append(alt.Chart(marks).mark_tick(color="black", thickness=2, size=30).encode(x="step:Q", y=y))
    if cursor is not None:
        # the record of step s sits at s + 1, as the cells and ticks do
        at = pd.DataFrame({"cursor": [(cursor + 1) / steps_per_unit]})
        layers.append(alt.Chart(at).mark_rule(color="black", strokeWidth=2, strokeDash=[6, 3]).encode(x="cursor:Q"))
    return alt.layer(*layers, **size)


def loss_chart(
    steps: np.ndarray, loss: np.ndarray, lang: str, title: str | None = None, y_title: str | None = None, width: int = WIDTH
) -> alt.Chart:
    keep = envelope(steps, loss)
    frame = pd.DataFrame({"step": np.asarray(steps)[keep], "loss": np.maximum(np.asarray(loss)[keep], 1e-12)})
    return (
        alt.Chart(frame, title=title or t("view.loss", lang), width=width, height=HEIGHT)
        .mark_line()
        .encode(
            x=alt.X("step:Q", title=t("chart.step", lang)),
            y=alt.Y("loss:Q", title=y_title or t("chart.loss", lang), scale=alt.Scale(type="log")),
        )
    )


def presentation(spec: dict) -> dict:
    """A chart's Vega-Lite ``spec`` with larger text (``PRESENTATION_TEXT``) over whatever text
    config it had; the rest, data included, is shared with ``spec``, not copied."""
    config = dict(spec.get("config", {}))
    for part, sizes in PRESENTATION_TEXT.items():
        config[part] = {**config.get(part, {}), **sizes}
    return {**spec, "config": config}
