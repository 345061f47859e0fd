"""Replaying a 1-D run: the bounded history of frames, the frame nearest a step, the replay's
advance, the heatmap's cursor, and the history saved with the run."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from fpengine import replay
from fpengine.charts import error_heatmap, frequency_labels
from fpengine.engine.headless import run_to_end
from fpengine.export import load_snapshot, write_run
from fpengine.readout.settings import PLOT_POINTS
from fpengine.readout.views import output_frame
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override

EXPERIMENT = EXPERIMENTS["equal-amplitude"]


def tiny(steps: int, **overrides: str):
    config = apply_override(EXPERIMENT.default_config(), "training.steps", str(steps))
    config = apply_override(config, "network.widths", "8,8")
    for name, value in overrides.items():
        config = apply_override(config, name, value)
    return config


@pytest.fixture(scope="module")
def finished():
    config = tiny(300)
    return config, run_to_end(EXPERIMENT, config, torch.device("cpu")).snapshot


@pytest.fixture(scope="module")
def long_run():
    # ten times the frames the history keeps (a longer run only costs seconds: the same bound)
    config = tiny(10 * (replay.HISTORY_FRAMES - 1), **{"grid.samples": "32", "spectrum.n_freq": "8", "network.widths": "4"})
    return config, run_to_end(EXPERIMENT, config, torch.device("cpu")).snapshot


def test_history_steps_are_evenly_spread_and_bounded():
    assert replay.history_steps(5).tolist() == [0, 1, 2, 3, 4, 5]
    steps = replay.history_steps(10_000)
    assert len(steps) == replay.HISTORY_FRAMES
    assert steps[0] == 0 and steps[-1] == 10_000
    assert set(np.diff(steps)) == {100}
    assert len(replay.history_steps(10**9)) == replay.HISTORY_FRAMES


@pytest.mark.slow
def test_a_long_run_keeps_at_most_the_bounded_number_of_frames(long_run):
    _, snapshot = long_run
    views = snapshot.views
    assert views["history_steps"].tolist() == replay.history_steps(10 * (replay.HISTORY_FRAMES - 1)).tolist()
    assert views["history_outputs"].shape == (replay.HISTORY_FRAMES, PLOT_POINTS)
    assert views["history_spectra"].shape == (replay.HISTORY_FRAMES, 8)


def test_frames_are_the_output_at_their_step(finished):
    config, snapshot = finished
    views = snapshot.views
    assert views["history_steps"].tolist() == list(range(0, 301, 3))
    # the panels are taken by the same read-out at their steps: a frame at a panel's step equals it
    for step, output in zip(views["panel_steps"], views["panel_outputs"], strict=True):
        frame = views["history_outputs"][views["history_steps"].tolist().index(step)]
        np.testing.assert_allclose(frame, output, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(views["history_outputs"][-1], views["output_plot"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(views["history_spectra"][-1], views["output_spectrum"], rtol=1e-6, atol=1e-6)
    assert not np.allclose(views["history_outputs"][0], views["history_outputs"][-1])


def test_nearest_index_and_a_tie():
    steps = np.array([0, 10, 20, 30])
    assert [replay.nearest_index(steps, s) for s in (-5, 0, 4, 5, 6, 29, 30, 99)] == [0, 0, 0, 0, 1, 3, 3, 3]


def test_replay_frame_shows_the_frame_nearest_the_step(finished):
    _, snapshot = finished
    step, shown = output_frame(snapshot, 100)
    assert step == 99  # frames every 3 steps: 99 is the nearest
    index = snapshot.views["history_steps"].tolist().index(99)
    np.testing.assert_array_equal(shown.views["output_plot"], snapshot.views["history_outputs"][index])
    np.testing.assert_array_equal(shown.views["output_spectrum"], snapshot.views["history_spectra"][index])
    np.testing.assert_array_equal(shown.views["target_plot"], snapshot.views["target_plot"])
    assert output_frame(snapshot, 10**6) == (300, snapshot)  # the last step is the snapshot itself


def test_a_paused_run_replays_up_to_its_own_step(finished):
    _, snapshot = finished
    paused = dataclasses.replace(snapshot, step=250)  # as if published at step 250, between two frames
    steps = replay.replay_steps(paused)
    assert steps[-2:].tolist() == [249, 250]
    assert output_frame(paused, 250) == (250, paused)


def test_advance_moves_by_the_speed_and_stops_at_the_end():
    steps = np.array([0, 10, 20, 30, 40])
    assert replay.advance(steps, 0) == 10
    assert replay.advance(steps, 12, speed=2) == 30
    assert replay.advance(steps, 30, speed=8) == 40
    assert replay.advance(steps, 40) is None


def test_heatmap_cursor_is_a_rule_at_the_step(finished):
    _, snapshot = finished
    trace = snapshot.traces["delta_f"]
    spec = error_heatmap(trace, frequency_labels(trace), "en", cursor=99).to_dict()
    rules = [layer for layer in spec["layer"] if layer["mark"] == "rule" or layer["mark"].get("type") == "rule"]
    assert len(rules) == 1
    assert spec["datasets"][rules[0]["data"]["name"]] == [{"cursor": 100.0}]
    plain = error_heatmap(trace, frequency_labels(trace), "en").to_dict()
    assert "rule" not in json.dumps([layer["mark"] for layer in plain["layer"]])


def test_saved_run_keeps_its_history(finished, tmp_path):
    config, snapshot = finished
    write_run(tmp_path, EXPERIMENT, config, snapshot, status="done", device="cpu", figures=False)
    loaded = load_snapshot(tmp_path)
    for name in ("history_steps", "history_outputs", "history_spectra"):
        np.testing.assert_array_equal(loaded.views[name], snapshot.views[name])
    assert output_frame(loaded, 100)[0] == 99


def test_saved_history_is_bounded_for_a_long_run(long_run, tmp_path):
    config, snapshot = long_run
    write_run(tmp_path, EXPERIMENT, config, snapshot, status="done", device="cpu", figures=False)
    with np.load(tmp_path / "snapshot.npz") as data:
        history = sum(data[f"views/{name}"].nbytes for name in ("history_outputs", "history_spectra"))
    assert history <= replay.HISTORY_FRAMES * (PLOT_POINTS + 8) * 4
