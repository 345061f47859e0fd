"""Replaying Sec 1.6 runs: frames thinned as a run of unknown length goes, the output at each kept
iteration, and the page's replay of one run and of a comparison (AppTest)."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from fpengine import replay
from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Status
from fpengine.export import write_run
from fpengine.readout.settings import PLOT_POINTS
from tests.apptest_charts import chart, charts, cursor, series
from tests.beyond_gd.test_page import KEY, compare_mode, open_page, setting
from ui.common import job_manager

STEP = f"{KEY}.replay.step"
GROUP_STEP = f"{KEY}.group.replay.step"


def test_thinned_frames_stay_bounded_and_evenly_spaced_from_the_start():
    frames = replay.ThinnedFrames(limit=10)
    for step in range(1000):
        frames.keep(step, 3 * step, np.array([step, -step]))
    views = frames.views("steps", "values")
    steps = views["steps"] // 3  # each frame's step, as given
    assert 5 <= len(steps) <= 10 and steps[0] == 0
    assert len(set(np.diff(steps))) == 1  # evenly spaced
    assert steps[-1] + np.diff(steps)[0] > 999 - np.diff(steps)[0]  # reaches the end of the run within a stride
    np.testing.assert_array_equal(views["values"][:, 0], steps)  # each frame is its own step's
    np.testing.assert_array_equal(views["values"][:, 1], -steps)


def test_a_short_run_keeps_every_iteration():
    frames = replay.ThinnedFrames(limit=10)
    for step in range(7):
        frames.keep(step, step, np.array([step]))
    assert frames.views("steps", "values")["steps"].tolist() == list(range(7))


def finished(method: str, iterations: int, **changes):
    config = dataclasses.replace(BEYOND_GD.default_config(), method=method, max_iterations=iterations, **changes)
    return config, run_to_end(BEYOND_GD, config, torch.device("cpu")).snapshot


def test_frames_are_the_output_at_their_iteration():
    _, snapshot = finished("bfgs", 40)
    views = snapshot.views
    steps = views["history_steps"]
    assert steps.tolist() == list(range(snapshot.step + 1))  # fewer iterations than the limit: all kept
    assert views["history_outputs"].shape == (len(steps), PLOT_POINTS)
    np.testing.assert_allclose(views["history_outputs"][-1], views["output_plot"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(views["history_spectra"][-1], views["output_spectrum"], rtol=1e-5, atol=1e-5)
    assert not np.allclose(views["history_outputs"][0], views["history_outputs"][-1])


def test_a_long_run_keeps_a_bounded_evenly_spaced_history():
    config, snapshot = finished("gd", 600)
    steps = snapshot.views["history_steps"]
    assert snapshot.step == 600
    assert replay.HISTORY_FRAMES // 2 <= len(steps) <= replay.HISTORY_FRAMES
    assert steps[0] == 0 and len(set(np.diff(steps))) == 1
    middle = int(steps[len(steps) // 2])
    shown_step, shown = replay.output_frame(snapshot, middle + 1)
    assert shown_step == middle and not np.allclose(shown.views["output_plot"], snapshot.views["output_plot"])


def test_the_page_replays_a_finished_run(app_test):
    at = open_page(app_test)
    at.sidebar.number_input(key=setting("iterations.bfgs")).set_value(30).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert job.wait(120) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    slider = at.select_slider(key=STEP)
    last = job.snapshot.step
    assert slider.value == last
    latest = series(chart(at, "Network output vs target")[1], "output")
    assert cursor(chart(at, "Relative error ΔF(k) over training")[1]) == last + 1
    slider.set_value(0).run()
    assert not at.exception, at.exception
    assert series(chart(at, "Network output vs target")[1], "output") != latest
    assert cursor(chart(at, "Relative error ΔF(k) over training")[1]) == 1.0
    assert any(f"Replaying step 0 of {last}" in c.value for c in at.caption)


def test_a_comparison_replays_every_method_at_the_chosen_iteration(app_test):
    at = compare_mode(open_page(app_test), ["cg", "pso"])
    at.button(key=f"{KEY}.group.start").click().run()
    jobs = job_manager().jobs()
    for job in jobs:
        assert job.wait(180) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    slider = at.select_slider(key=GROUP_STEP)
    ends = sorted(job.snapshot.step for job in jobs)
    assert slider.value == ends[-1]
    heatmaps = charts(at, "Relative error ΔF(k) over training")
    outputs = [chart(at, name)[1] for name in ("Conjugate gradient", "Particle swarm")]
    # past a method's last iteration it shows its last frame
    assert [cursor(tables) for _, tables in heatmaps] == [job.snapshot.step + 1 for job in jobs]
    slider.set_value(0).run()
    assert not at.exception, at.exception
    assert [cursor(tables) for _, tables in charts(at, "Relative error ΔF(k) over training")] == [1.0, 1.0]
    for name, before in zip(("Conjugate gradient", "Particle swarm"), outputs, strict=True):
        assert series(chart(at, name)[1], "output") != series(before, "output")


def test_a_run_reopened_from_disk_replays(app_test, runs_dir):
    config, snapshot = finished("powell", 12)
    write_run(runs_dir / "powell1", BEYOND_GD, config, snapshot, status="done", device="cpu", figures=False)
    at = app_test()
    at.query_params["run"] = "powell1"
    at.run()
    at.switch_page("app_pages/beyond_gd.py").run()
    assert not at.exception, at.exception
    slider = at.select_slider(key=STEP)
    assert slider.value == snapshot.step == 12
    latest = series(chart(at, "Network output vs target")[1], "output")
    slider.set_value(3).run()
    assert series(chart(at, "Network output vs target")[1], "output") != latest
    assert cursor(chart(at, "Relative error ΔF(k) over training")[1]) == 4.0
