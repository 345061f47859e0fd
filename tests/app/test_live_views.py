"""Live views that cost the watcher little: heatmaps drawn as one picture with a hover band per row,
curves bounded to about a chart's width in points with their extremes kept, a live chart rebuilt only
when its data changed and no faster than the eye needs, and a spec that stays the same while a run
grows (so the browser updates the data of the chart it has)."""

from __future__ import annotations

import base64
import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from PIL import Image

from fpengine import charts
from fpengine.engine.runner import ErrorTrace
from fpengine.sweep.figures import cell_heatmaps
from ui import common

ROWS = 5
SCALES = np.array([30.0, 100.0, 300.0, 1000.0, 3000.0])


def trace(steps: int, every: int = 1) -> ErrorTrace:
    recorded = np.arange(0, steps, every)
    return ErrorTrace(recorded, np.exp(-np.outer(recorded, 1 / SCALES)), tuple(range(ROWS)), tuple(float(i + 1) for i in range(ROWS)))


def layers(spec: dict) -> list[dict]:
    found = []
    for part in (spec, *spec.get("layer", ()), *spec.get("hconcat", ()), *spec.get("vconcat", ())):
        if "mark" in part:
            found.append(part)
        if part is not spec and ("layer" in part or "hconcat" in part):
            found += layers(part)
    return found


def mark(layer: dict) -> str:
    return layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]


def rows_of(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def picture(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def heatmap_spec(steps: int = 3000, **options) -> dict:
    data = trace(steps)
    return charts.error_heatmap(data, charts.frequency_labels(data), "en", **options).to_dict(validate=False)


# --- heatmaps as pictures -------------------------------------------------------------------------


def test_a_heatmap_is_one_picture_and_one_hover_band_per_row():
    spec = heatmap_spec(converged=[50, 200, None, None, None], cursor=1500)
    marks = [mark(layer) for layer in layers(spec)]
    assert marks.count("image") == 1 and marks.count("rect") == 1, marks
    [bands] = [layer for layer in layers(spec) if mark(layer) == "rect"]
    hover = rows_of(spec, bands)
    assert len(hover) == ROWS  # a row each, not rows × steps
    assert [row["row"] for row in hover] == charts.frequency_labels(trace(3000))
    assert {"row", "error", "converged"} <= {tip["field"] for tip in bands["encoding"]["tooltip"]}
    assert bands["encoding"]["color"]["scale"] == {"scheme": "redblue", "domain": [0.1, 1.0], "clamp": True}  # the colour bar
    assert sum(len(rows) for rows in spec["datasets"].values()) <= 2 * ROWS + 2  # picture, bands, ticks, cursor
    kinds = {mark(layer) for layer in layers(spec)}
    assert {"tick", "rule"} <= kinds  # the convergence ticks and the replay cursor stay


def test_the_picture_shows_each_rows_errors_in_the_fixed_colour_scale_low_rows_at_the_bottom():
    data = trace(3000)
    spec = charts.error_heatmap(data, charts.frequency_labels(data), "en", width=400)
    [image] = [layer for layer in layers(spec.to_dict(validate=False)) if mark(layer) == "image"]
    pixels = picture(rows_of(spec.to_dict(validate=False), image)[0]["url"])
    height = max(90, 40 * ROWS)
    assert pixels.shape == (height, 400, 3)
    _, _, means = charts.heatmap_bins(data, log_steps=False)
    for row in range(ROWS):
        middle = height - 1 - int((row + 0.5) * height / ROWS)  # the first row in the bottom band
        expected = charts.colour_map(means[row, -1], "redblue", 0.1, 1.0)
        np.testing.assert_array_equal(pixels[middle, -1], expected)
    # a fast row (small error, red) at the bottom right, the slowest (large error, blue) at the top left
    assert pixels[-1, -1, 0] > pixels[-1, -1, 2] and pixels[0, 0, 2] > pixels[0, 0, 0]


def test_the_colour_scale_is_vegas_scheme_clamped_and_leaves_missing_values_white():
    ends = charts.colour_map(np.array([-5.0, 0.1, 1.0, 7.0, np.nan]), "redblue", 0.1, 1.0)
    assert ends[0].tolist() == ends[1].tolist() == [0x8C, 0x0D, 0x25]  # vega-scale's redBlue, first stop
    assert ends[2].tolist() == ends[3].tolist() == [0x13, 0x4B, 0x85]  # its last stop
    assert ends[4].tolist() == list(charts.NO_RECORD)
    assert charts.colour_map(np.array(0.55), "yellowgreenblue", 0.1, 1.0).tolist() == [0x45, 0xB4, 0xC2]  # the middle stop


def test_a_log_step_map_spreads_its_columns_evenly_in_log_steps():
    data = trace(3000)
    starts, ends, means = charts.heatmap_bins(data, log_steps=True)
    pixels = charts.heatmap_picture(starts, ends, means, log_steps=True, scheme="redblue", vmin=0.1, vmax=1.0, size=(300, 50))
    # step + 1 = 100 sits at log(100) / log(3001) of the width, not at 100 / 3001 of it
    at = int(300 * np.log(100 / starts[0]) / np.log(ends[-1] / starts[0]))
    column = np.searchsorted(starts, 100.0, side="right") - 1
    np.testing.assert_array_equal(pixels[-1, at], charts.colour_map(means[0, column], "redblue", 0.1, 1.0))


def test_a_heatmaps_spec_stays_the_same_while_the_run_grows():
    """Only the data change: the browser then updates the chart it has instead of building a new one."""
    early, late = (common.chart_spec(charts.error_heatmap(data, charts.frequency_labels(data), "en")) for data in (trace(40), trace(3000)))
    assert early.pop("datasets").keys() == late.pop("datasets").keys() == {"data-0", "data-1"}
    assert json.dumps(early) == json.dumps(late)


def test_the_lab_draws_one_picture_and_a_band_per_frequency_for_each_cell():
    cells = [(f"seed {seed}", trace(2000 + seed)) for seed in range(6)]
    spec = cell_heatmaps(cells, "en").to_dict(validate=False)
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    pictures = data[data["url"].notna()]
    assert sorted(pictures["cell"]) == sorted(label for label, _ in cells) and len(data) == len(cells) * (1 + ROWS)
    marks = [mark(layer) for layer in spec["spec"]["layer"]]
    assert marks == ["image", "rect"]


def test_an_empty_run_draws_an_empty_map():
    spec = heatmap_spec(steps=0)
    assert [mark(layer) for layer in layers(spec)][:2] == ["image", "rect"]


# --- bounded curves -------------------------------------------------------------------------------


def test_a_long_curve_is_sent_as_its_envelope_extremes_kept():
    x = np.arange(200_000)
    y = np.sin(x / 5000) + 0.01 * np.cos(x)
    y[123_457], y[77] = 9.0, -9.0  # a spike and a dip a stride would step over
    keep = charts.envelope(x, y, 600)
    assert len(keep) <= 600 and keep[0] == 0 and keep[-1] == len(x) - 1
    assert {123_457, 77} <= set(keep.tolist())
    assert y[keep].max() == y.max() and y[keep].min() == y.min()
    assert len(charts.envelope(x[:100], y[:100], 600)) == 100  # a short curve is sent whole


def test_curves_charts_send_at_most_a_charts_width_of_points_per_series():
    x = np.arange(50_000)
    loss = np.exp(-x / 10_000)
    loss[31_313] = 5.0
    chart = charts.curves_chart(x, {"a": loss, "b": loss[::-1]}, "t", "x", "y", "en", log_y=True).to_dict(validate=False)
    frame = pd.DataFrame(next(iter(chart["datasets"].values())))
    assert (frame.groupby("series").size() <= charts.MAX_LINE_POINTS).all()
    assert frame[frame["series"] == "a"]["y"].max() == 5.0
    steps = pd.DataFrame(next(iter(charts.loss_chart(x, loss, "en").to_dict(validate=False)["datasets"].values())))
    assert len(steps) <= charts.MAX_LINE_POINTS and steps["loss"].max() == 5.0


# --- rebuilt only when the data changed, no faster than the eye needs -------------------------------


@pytest.fixture
def page(monkeypatch):
    """``live_chart`` with a stand-in for Streamlit: the session's state and the charts sent."""
    sent: list[dict] = []
    fake = SimpleNamespace(session_state={}, vega_lite_chart=lambda spec, **_: sent.append(spec))
    monkeypatch.setattr(common, "st", fake)
    return sent


def counted(builds: list[int], steps: int = 100):
    def build():
        builds.append(steps)
        return charts.loss_chart(np.arange(steps), np.exp(-np.arange(steps) / 50), "en")

    return build


def test_a_chart_whose_data_did_not_change_is_not_rebuilt(page, monkeypatch):
    monkeypatch.setattr(common, "MIN_LIVE_CHART_WAIT", 0.0)
    builds: list[int] = []
    for _ in range(4):
        common.live_chart("slot", ("run", "en"), (100, 99), counted(builds))
    assert builds == [100] and len(page) == 4  # shown four times, built once
    common.live_chart("slot", ("run", "en"), (101, 100), counted(builds, 101))
    assert builds == [100, 101]  # a new record: rebuilt
    common.live_chart("slot", ("run", "zh"), (101, 100), counted(builds, 101))
    assert builds == [100, 101, 101]  # a new context (the language): rebuilt at once


def test_a_changing_chart_is_rebuilt_no_faster_than_the_eye_needs(page, monkeypatch):
    monkeypatch.setattr(common, "MIN_LIVE_CHART_WAIT", 3600.0)
    builds: list[int] = []
    for step in range(1, 6):
        common.live_chart("slot", "run", step, counted(builds, step))
    assert builds == [1] and len(page) == 5  # the first spec is shown until the wait is over
    monkeypatch.setattr(common, "MIN_LIVE_CHART_WAIT", 0.0)
    common.live_chart("slot", "run", 6, counted(builds, 6))
    assert builds == [1, 6]


def test_a_spec_shown_again_carries_its_data_as_arrow_under_stable_names(page):
    common.live_chart("slot", "run", 1, counted([], 10))
    spec = page[-1]
    [(name, data)] = spec["datasets"].items()
    assert name == "data-0" and spec["data"] == {"name": "data-0"}
    assert pa.ipc.open_stream(data).read_all().num_rows == 10


def test_the_data_version_changes_only_with_a_new_record():
    def snapshot(records: int, version: int):
        return SimpleNamespace(version=version, metrics={"step": np.arange(records)}, traces={"delta_f": trace(records)})

    before, publish, record = snapshot(100, 7), snapshot(100, 8), snapshot(101, 9)
    assert common.data_version(before, "delta_f") == common.data_version(publish, "delta_f") != common.data_version(record, "delta_f")
    assert common.data_version(before, "metrics") == common.data_version(publish, "metrics") != common.data_version(record, "metrics")
    assert common.data_version(before, "views") != common.data_version(publish, "views")  # views are new at every publish
    assert common.data_version(before) == common.data_version(record) == ()  # the kernel's spectrum: fixed in a run
