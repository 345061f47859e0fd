"""AppTest: a finished 1-D run replays — the step slider moves the output, its spectrum and the
heatmap's cursor; play advances it; a run reopened from disk replays too."""

import torch

from fpengine.engine.headless import run_to_end
from fpengine.export import write_run
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override
from tests.apptest_charts import chart, cursor, series
from tests.conftest import open_app_page, wait_until
from ui.common import job_manager

PAGE = "app_pages/equal_amplitude.py"
KEY = "equal-amplitude"
STEP = f"{KEY}.replay.step"
PLAY = f"{KEY}.replay.play_button"


def output_values(at) -> list[float]:
    return series(chart(at, "Network output vs target")[1], "output")


def heatmap_cursor(at) -> float | None:
    return cursor(chart(at, "Relative error ΔF(k) over training")[1])


def finished_run_page(app_test, steps: int = 60):
    at = open_app_page(app_test, PAGE)
    at.sidebar.number_input(key=f"{KEY}.w.steps@en").set_value(steps).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_slider_scrubs_the_output_spectrum_and_heatmap_cursor(app_test):
    at = finished_run_page(app_test)
    slider = at.select_slider(key=STEP)
    assert slider.value == 60 and slider.options[0] == "0" and slider.options[-1] == "60"
    latest, latest_spectrum = output_values(at), chart(at, "Spectrum |DFT|/N: output vs target")[1]
    assert len(latest) > 100
    assert heatmap_cursor(at) == 61.0
    slider.set_value(0).run()
    assert not at.exception, at.exception
    assert output_values(at) != latest
    assert chart(at, "Spectrum |DFT|/N: output vs target")[1] != latest_spectrum
    assert heatmap_cursor(at) == 1.0
    assert any("Replaying step 0 of 60" in c.value for c in at.caption)


def test_play_advances_the_step_by_the_speed_until_the_end(app_test):
    at = finished_run_page(app_test, steps=30)
    at.button(key=PLAY).click().run()  # on the last frame, play starts from the first
    assert at.button(key=PLAY).label == "Pause replay"
    assert at.select_slider(key=STEP).value == 1
    at.select_slider(key=f"{KEY}.replay.speed").set_value(8).run()
    assert at.select_slider(key=STEP).value == 9
    for _ in range(3):
        at.run()  # what a fragment's tick does (AppTest never fires run_every)
    assert at.select_slider(key=STEP).value == 30
    at.run()  # past the end: play stops
    assert at.button(key=PLAY).label == "Play"
    assert at.select_slider(key=STEP).value == 30


def test_a_running_run_has_no_replay_until_paused(app_test):
    at = open_app_page(app_test, PAGE)
    at.sidebar.number_input(key=f"{KEY}.w.steps@en").set_value(100_000).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 5)
    at.run()
    assert not at.get("select_slider") or all(s.key != STEP for s in at.select_slider)
    at.button(key=f"{KEY}.pause").click().run()
    slider = at.select_slider(key=STEP)
    assert int(slider.options[-1].replace(",", "")) == slider.value > 0
    job.stop()


def test_a_run_reopened_from_disk_replays(app_test, runs_dir):
    experiment = EXPERIMENTS[KEY]
    config = apply_override(apply_override(experiment.default_config(), "training.steps", "40"), "network.widths", "8,8")
    snapshot = run_to_end(experiment, config, torch.device("cpu")).snapshot
    write_run(runs_dir / "saved1", experiment, config, snapshot, status="done", device="cpu", figures=False)
    at = app_test()
    at.query_params["run"] = "saved1"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("saved run saved1" in c.value for c in at.caption)
    slider = at.select_slider(key=STEP)
    assert slider.value == 40
    latest = output_values(at)
    assert len(latest) > 100
    slider.set_value(10).run()
    assert output_values(at) != latest
    assert heatmap_cursor(at) == 11.0
