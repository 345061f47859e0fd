"""Altair figures of a sweep: convergence step against frequency with the fitted laws, and Spearman ρ per cell.

Builders take the results table and ``fit_sweep``'s report and return charts; they fit nothing themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from fpengine.charts import (
    frequency_labels,
    heatmap_bins,
    heatmap_image_layer,
    heatmap_picture,
    heatmap_read_out,
    heatmap_rows,
    png_data_url,
)
from fpengine.engine.runner import ErrorTrace
from fpengine.i18n import t
from fpengine.sweep.fit import FITTED_STATUS, GroupPoints, collect_points, parse_frequencies, plain_value

WIDTH = 480
HEIGHT = 300
ROW_HEIGHT = 26
FINE_POINTS = 80
LABEL_LIMIT = 420  # px: a linked grid axis makes long group labels
MAX_SUMMARY_LINES = 6
TOP_MARGIN = 1.6  # never-converged marks sit this factor above the highest drawn step (log axis)
DASHES = ([1, 0], [6, 3], [2, 2], [9, 3, 2, 3])
CURVES = ("median", "fit", "predicted", "predicted_fit")
"""The convergence chart's lines: the measured median and its fitted law, the NTK prediction's median and its fitted law."""
HEATMAP_WIDTH = 150
HEATMAP_ROW = 16
HEATMAP_COLUMNS = 40
HEATMAPS_PER_ROW = 4


def group_label(settings: Mapping[str, Any], lang: str) -> str:
    """A group's legend text, "key=value, key=value", or "all cells" when there are no group keys."""
    if not settings:
        return t("sweep.all_cells", lang)
    return ", ".join(f"{key}={'—' if value is None else value}" for key, value in settings.items())


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _estimate(law: Mapping[str, Any] | None, slope: str, lang: str) -> str:
    """``1.71 [1.68, 1.74]``: the fitted slope with its interval, or "not fitted"."""
    if law is None:
        return t("sweep.law.missing", lang)
    interval = law["interval"]
    bounds = f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else ""
    return f"{_number(law[slope])}{bounds}"


def _interval(law: Mapping[str, Any], slope: str) -> str:
    interval = law.get("interval")
    bounds = f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else ""
    return f"{_number(law[slope])}{bounds}"


def law_text(law: Mapping[str, Any] | None, lang: str) -> str:
    """``power law (ΔAIC 25): p = 2.1 [1.9, 2.3], c = 0.4 [0.3, 0.5]``: the censored fit's verdict, then
    the exponent (of the law with the offset where that was chosen, with t₀) and the rate with their intervals."""
    if not law:
        return t("sweep.law.missing", lang)
    models = law.get("models") or {}
    verdict = t(f"sweep.law.{law['law']}", lang) if law.get("law") else t("sweep.law.undecided", lang)
    delta = "" if law.get("delta_aic") is None else f" (ΔAIC {law['delta_aic']:.3g})"
    power = models.get("power_offset") if law.get("model") == "power_offset" else models.get("power")
    text = t("sweep.law.slopes", lang, power=_estimate(power, "exponent", lang), rate=_estimate(models.get("exponential"), "rate", lang))
    if power is not None and "offset" in power:
        text += f", t₀ = {_number(power['offset'])}"
    censored = t("sweep.law.censored", lang, count=law["censored_points"]) if law.get("censored_points") else ""
    return f"{verdict}{delta}: {text}{censored}"


def summary_parts(group: Mapping[str, Any], lang: str) -> list[str]:
    """One group's law in parts: the measured law, then (with the NTK prediction) the predicted law and
    measured/predicted with the drift. (Without a ``law``, an older report: p, c and the closer fit.)"""
    if "law" not in group:
        better = t(f"sweep.law.{group['better']}", lang) if group["better"] else t("sweep.law.undecided", lang)
        return [
            t(
                "sweep.summary",
                lang,
                group=group_label(group["settings"], lang),
                power=_estimate(group["power"], "exponent", lang),
                rate=_estimate(group["exponential"], "rate", lang),
                better=better,
            )
        ]
    parts = [f"{group_label(group['settings'], lang)}: {law_text(group['law'], lang)}"]
    if "predicted" in group:
        parts.append(t("sweep.summary.predicted", lang, law=law_text(group["predicted"]["law"], lang)))
        extra = ""
        ratio = group.get("measured_over_predicted")
        if ratio:
            extra += t("sweep.summary.ratio", lang, median=_number(ratio["median"]), low=_number(ratio["min"]), high=_number(ratio["max"]))
        drift = (group.get("drift") or {}).get("parameter_drift")
        if drift:
            extra += t("sweep.summary.drift", lang, drift=f"{100 * drift['max']:.3g}%")
        if extra:
            parts.append(extra)
    return parts


def summary_line(group: Mapping[str, Any], lang: str) -> str:
    """One group's law on one line (the Lab's list): :func:`summary_parts` joined."""
    return "".join(summary_parts(group, lang))


def _law_values(law: Mapping[str, Any] | None, grid: np.ndarray) -> np.ndarray | None:
    """The chosen model of a censored fit evaluated on ``grid`` (None when nothing was fitted)."""
    if not law or law.get("model") is None:
        return None
    model = law["models"][law["model"]]
    if model is None or model.get("prefactor") is None:
        return None
    with np.errstate(over="ignore"):  # a steep law leaves the axis; its infinite tail is dropped
        if law["model"] == "exponential":
            return model["prefactor"] * np.exp(model["rate"] * grid)
        return model.get("offset", 0.0) + model["prefactor"] * grid ** model["exponent"]


def _law_curves(group: Mapping[str, Any], label: str, omegas: np.ndarray, lang: str) -> list[pd.DataFrame]:
    """The fitted laws (of the measured steps and of the predicted ones) on a fine ω grid spanning the group's frequencies."""
    if len(omegas) < 2 or omegas.min() == omegas.max():
        return []
    grid = np.geomspace(omegas.min(), omegas.max(), FINE_POINTS)
    curves = []
    for name, law in (("fit", group.get("law")), ("predicted_fit", (group.get("predicted") or {}).get("law"))):
        steps = _law_values(law, grid)
        if steps is None:
            continue
        keep = np.isfinite(steps) & (steps > 0)
        curves.append(pd.DataFrame({"group": label, "curve": t(f"sweep.curve.{name}", lang), "frequency": grid[keep], "step": steps[keep]}))
    return curves


def _median_curve(medians: Mapping[str, float | None], label: str, name: str, lang: str) -> pd.DataFrame:
    rows = [(float(omega), step) for omega, step in medians.items() if step is not None and step > 0]
    rows = [(omega, step) for omega, step in rows if omega > 0]
    return pd.DataFrame(
        {
            "group": label,
            "curve": t(f"sweep.curve.{name}", lang),
            "frequency": [omega for omega, _ in rows],
            "step": [step for _, step in rows],
        }
    )


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def _convergence_data(groups: list[GroupPoints], fit: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The frames of the convergence chart and the counts its subtitle states."""
    fits = {group_label(group["settings"], lang): group for group in fit.get("groups", [])}
    seeds, never, lines = [], [], []
    hidden = 0
    for points in groups:
        label = group_label(points.settings, lang)
        drawn = [(seed, omega, step) for seed, omega, step in points.converged if omega > 0 and step > 0]
        hidden += len(points.converged) - len(drawn)
        seeds += [{"group": label, "seed": seed, "frequency": omega, "step": step} for seed, omega, step in drawn]
        for seed, omega in points.never:
            if omega > 0:
                never.append({"group": label, "seed": seed, "frequency": omega})
            else:
                hidden += 1
        if label in fits:
            group = fits[label]
            omegas = np.array(sorted({omega for omega in points.frequencies if omega > 0}))
            lines += [_median_curve(group["median_steps"], label, "median", lang), *_law_curves(group, label, omegas, lang)]
            if "predicted" in group:
                lines.append(_median_curve(group["predicted"]["median_steps"], label, "predicted", lang))
    columns = ["group", "curve", "frequency", "step"]
    line_frame = pd.concat([frame for frame in lines if len(frame)] or [_frame([], columns)], ignore_index=True)
    seed_frame = _frame(seeds, ["group", "seed", "frequency", "step"])
    drawn_steps = [*seed_frame["step"], *line_frame["step"]]
    top = max(drawn_steps) * TOP_MARGIN if drawn_steps else 1.0
    never_frame = _frame(never, ["group", "seed", "frequency"]).assign(step=top)
    return {
        "seeds": seed_frame,
        "lines": line_frame,
        "never": never_frame,
        "hidden": hidden,
        "never_count": sum(len(points.never) for points in groups),
        "excluded": sum(points.excluded for points in groups),
    }


def _convergence_subtitle(data: Mapping[str, Any], fit: Mapping[str, Any], lang: str) -> list[str]:
    lines = [t("sweep.never_converged", lang, count=data["never_count"]) if data["never_count"] else t("sweep.all_converged", lang)]
    if data["hidden"]:
        lines.append(t("sweep.zero_frequency", lang, count=data["hidden"]))
    if data["excluded"]:
        lines.append(t("sweep.excluded", lang, count=data["excluded"]))
    for group in fit.get("groups", [])[:MAX_SUMMARY_LINES]:
        first, *rest = summary_parts(group, lang)
        lines += [first, *(f"    {part.lstrip('; ；')}" for part in rest)]
    return lines


def convergence_chart(results: pd.DataFrame, fit: Mapping[str, Any], group_keys: Sequence[str], lang: str = "en") -> alt.LayerChart:
    """Convergence step against frequency on log–log axes: seeds as points, never-converged ones as
    triangles at the top; lines: the median over seeds and its fitted law (the censored fit's chosen
    model), and where the cells made the NTK prediction, the predicted median and its fitted law."""
    groups = collect_points(results, group_keys)
    data = _convergence_data(groups, fit, lang)
    labels = [group_label(points.settings, lang) for points in groups]
    x = alt.X("frequency:Q", title=t("sweep.frequency", lang), scale=alt.Scale(type="log"))
    y = alt.Y("step:Q", title=t("sweep.step", lang), scale=alt.Scale(type="log"))
    color = alt.Color(
        "group:N",
        title=t("sweep.settings", lang),
        scale=alt.Scale(domain=labels) if labels else alt.Undefined,
        legend=alt.Legend(labelLimit=LABEL_LIMIT),
    )
    tooltip = [
        alt.Tooltip("group:N", title=t("sweep.settings", lang)),
        alt.Tooltip("seed:Q", title=t("sweep.seed", lang)),
        alt.Tooltip("frequency:Q", title=t("sweep.frequency", lang)),
        alt.Tooltip("step:Q", title=t("sweep.step", lang)),
    ]
    seeds = alt.Chart(data["seeds"]).mark_circle(size=32, opacity=0.55).encode(x=x, y=y, color=color, tooltip=tooltip)
    curve_names = [t(f"sweep.curve.{name}", lang) for name in CURVES]
    lines = (
        alt.Chart(data["lines"])
        .mark_line(strokeWidth=1.8)
        .encode(
            x=x,
            y=y,
            color=color,
            strokeDash=alt.StrokeDash("curve:N", title=t("sweep.curve", lang), scale=alt.Scale(domain=curve_names, range=list(DASHES))),
        )
    )
    never = (
        alt.Chart(data["never"])
        .mark_point(shape="triangle-down", filled=False, size=80, strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=tooltip[:3],
        )
    )
    title = alt.TitleParams(t("sweep.convergence.title", lang), subtitle=_convergence_subtitle(data, fit, lang), anchor="start")
    return alt.layer(seeds, lines, never, title=title).properties(width=WIDTH, height=HEIGHT)


def _spearman_frame(results: pd.DataFrame, group_keys: Sequence[str], lang: str) -> pd.DataFrame:
    """One row per finished cell: its grid-cell label, seed and ρ (NaN kept, so it can be counted)."""
    done = results[results["status"] == FITTED_STATUS] if len(results) else results
    spearman = done["spearman"] if "spearman" in done.columns else pd.Series(np.nan, index=done.index)
    labels = [group_label({key: plain_value(row[key]) for key in group_keys}, lang) for _, row in done.iterrows()]
    if "frequencies" in done.columns and done["frequencies"].nunique(dropna=False) > 1:
        # the frequency keys are not group keys, so the tracked ω are what tells those grid cells apart
        tracked = [",".join(f"{w:g}" for w in parse_frequencies(text)) for text in done["frequencies"]]
        labels = [f"{label} · ω = {omegas}" for label, omegas in zip(labels, tracked, strict=True)]
    return pd.DataFrame(
        {
            "cell": labels,
            "seed": done["seed"].astype(int).to_numpy() if len(done) else [],
            "spearman": pd.to_numeric(spearman, errors="coerce").to_numpy(),
        }
    )


def spearman_chart(results: pd.DataFrame, group_keys: Sequence[str], lang: str = "en") -> alt.LayerChart:
    """Spearman ρ per grid cell: one row per cell, its seeds as points and their median as a tick."""
    cells = _spearman_frame(results, group_keys, lang)
    order = list(dict.fromkeys(cells["cell"]))
    known = cells.dropna(subset=["spearman"])
    medians = known.groupby("cell", sort=False, as_index=False)["spearman"].median()
    x = alt.X("spearman:Q", title=t("sweep.spearman", lang), scale=alt.Scale(domain=[-1, 1]))
    y = alt.Y("cell:N", title=t("sweep.cell", lang), sort=order)
    seeds = (
        alt.Chart(known)
        .mark_circle(size=40, opacity=0.6)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("cell:N", title=t("sweep.cell", lang)),
                alt.Tooltip("seed:Q", title=t("sweep.seed", lang)),
                alt.Tooltip("spearman:Q", title=t("sweep.spearman", lang), format=".3f"),
            ],
        )
    )
    ticks = (
        alt.Chart(medians)
        .mark_tick(thickness=2.5, size=ROW_HEIGHT - 6, color="black")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("cell:N", title=t("sweep.cell", lang)),
                alt.Tooltip("spearman:Q", title=t("sweep.median", lang), format=".3f"),
            ],
        )
    )
    subtitle = [t("sweep.spearman.subtitle", lang)]
    missing = int(cells["spearman"].isna().sum())
    if missing:
        subtitle.append(t("sweep.spearman.missing", lang, count=missing))
    excluded = int((results["status"] != FITTED_STATUS).sum()) if len(results) else 0
    if excluded:
        subtitle.append(t("sweep.excluded", lang, count=excluded))
    title = alt.TitleParams(t("sweep.spearman.title", lang), subtitle=subtitle, anchor="start")
    height = max(ROW_HEIGHT * 2, ROW_HEIGHT * len(order))
    return alt.layer(seeds, ticks, title=title).properties(width=WIDTH, height=height)


def sweep_figures(results: pd.DataFrame, fit: dict[str, Any], group_keys: Sequence[str], lang: str = "en") -> dict[str, alt.TopLevelMixin]:
    """The sweep's figures by name: ``convergence`` (step against ω, fitted laws) and ``spearman`` (ρ per grid cell)."""
    return {"convergence": convergence_chart(results, fit, group_keys, lang), "spearman": spearman_chart(results, group_keys, lang)}


def cell_heatmaps(cells: Sequence[tuple[str, ErrorTrace]], lang: str, scheme: str = "redblue") -> alt.FacetChart:
    """One small ΔF heatmap per cell (label, trace), side by side in rows of ``HEATMAPS_PER_ROW``: each
    run's low-to-high order at a glance. The chapter's colours (red = small, ≤ 0.1; blue ≥ 1) and
    each map's frequencies low to high from the bottom, as on the single-run pages. Each map is one
    picture (``charts.heatmap_picture``) under one transparent band per frequency, whose tooltip
    reads the cell, the frequency and its last error."""
    rows = max((len(trace.keys) for _, trace in cells), default=1)
    height = HEATMAP_ROW * rows
    frames = []
    for label, trace in cells:
        starts, ends, means = heatmap_bins(trace, log_steps=False, max_columns=HEATMAP_COLUMNS)
        picture = heatmap_picture(starts, ends, means, log_steps=False, scheme=scheme, vmin=0.1, vmax=1.0, size=(HEATMAP_WIDTH, height))
        frames.append(pd.DataFrame({"cell": [label], "url": [png_data_url(picture)]}))
        frames.append(heatmap_rows(frequency_labels(trace), starts, ends, means, (), lang).assign(cell=label))
    columns = ["cell", "url", "row", "start", "end", "error", "converged", "order"]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    step = t("chart.step", lang)
    y = alt.Y("row:N", title=None, sort=alt.EncodingSortField("order", order="descending"), scale=alt.Scale(paddingInner=0, paddingOuter=0))
    colours = alt.Scale(scheme=scheme, domain=[0.1, 1.0], clamp=True)
    bands = heatmap_read_out(alt.Undefined, y, step, t("chart.frequency", lang), colours, lang, alt.Scale(nice=False, zero=False))
    chart = alt.layer(
        heatmap_image_layer().transform_filter("isValid(datum.url)"),
        # a cell's row knows no ε: its tooltip leaves out where the frequency converged
        bands.transform_filter("isValid(datum.row)").encode(tooltip=[alt.Tooltip("cell:N"), *bands.encoding.tooltip[:2]]),
        data=data,
    ).properties(width=HEATMAP_WIDTH, height=height)
    return (
        chart.facet(facet=alt.Facet("cell:N", title=None, sort=[label for label, _ in cells]), columns=HEATMAPS_PER_ROW)
        .resolve_scale(x="independent", y="independent")
        .properties(title=alt.TitleParams(t("lab.heatmaps.title", lang), subtitle=[t("lab.heatmaps.subtitle", lang)], anchor="start"))
    )
