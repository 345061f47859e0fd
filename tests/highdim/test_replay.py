"""AppTest: the Fig 1.10 and Fig 1.12 pages replay a finished run — the step slider moves the
heatmaps' cursor (and on Fig 1.10 the output's spectrum); a comparison of architectures replays
on one slider."""

from __future__ import annotations

import pytest

from fpengine.engine.runner import Status
from fpengine.i18n import t
from tests.apptest_charts import charts, cursor, series
from tests.highdim.test_pages import empty_cache, open_page, setting, small, start_and_finish  # noqa: F401  (autouse fixture)
from ui.common import job_manager
from ui.filtering import TAB_KEY


def heatmap_cursors(at, title: str) -> list[float | None]:
    return [cursor(tables) for _, tables in charts(at, title)]


def finished_replay(app_test, page: str, n_train: int):
    """A page after a short run: the page, its job, its replay slider and the slider's steps, which
    are every evaluation's (fewer than the replay's limit)."""
    at = open_page(app_test, page)
    small(at, page, n_train=n_train, epochs=2)
    job = start_and_finish(at, page)
    slider = at.select_slider(key=f"{page}.replay.step")
    steps = [int(s.replace(",", "")) for s in slider.options]
    assert slider.value == steps[-1] == job.snapshot.step and steps == job.snapshot.metrics["step"].tolist()
    return at, job, slider, steps


def test_filtering_replay_moves_every_heatmaps_cursor(app_test):
    at, job, slider, steps = finished_replay(app_test, "filtering", 100)
    per_epoch = job.config.batches_per_epoch
    deltas = len(job.snapshot.traces["e_low"].values)
    assert heatmap_cursors(at, "Relative error, δ =") == [pytest.approx((steps[-1] + 1) / per_epoch)] * deltas
    slider.set_value(steps[2]).run()
    assert not at.exception, at.exception
    assert heatmap_cursors(at, "Relative error, δ =") == [pytest.approx((steps[2] + 1) / per_epoch)] * deltas


def test_filtering_comparison_replays_on_one_slider(app_test):
    at = open_page(app_test, "filtering")
    small(at, "filtering", n_train=20)
    setting(at, "filtering", "number_input", "batch_size").set_value(10).run()
    at.session_state[TAB_KEY] = t("highdim.tab_compare", "en")  # the comparison's tab on show
    at.run()
    at.button(key="filtering.group.start").click().run()
    jobs = job_manager().jobs()
    for job in jobs:
        assert job.wait(120) and job.status is Status.DONE, job.message
    at.run()
    assert not at.exception, at.exception
    slider = at.select_slider(key="filtering.group.replay.step")
    per_epoch = jobs[0].config.batches_per_epoch
    assert heatmap_cursors(at, "Relative error, δ =") == [pytest.approx((jobs[0].snapshot.step + 1) / per_epoch)] * 3
    slider.set_value(0).run()
    assert not at.exception, at.exception
    assert heatmap_cursors(at, "Relative error, δ =") == [pytest.approx(1 / per_epoch)] * 3


def test_projection_replay_moves_the_output_spectrum_and_the_heatmaps_cursor(app_test):
    at, job, slider, steps = finished_replay(app_test, "projection", 150)
    per_epoch = job.config.batches_per_epoch
    spectrum = "|ŷ_k| along the first principal direction"
    latest = series(charts(at, spectrum)[-1][1], "output")  # the run's, after the label preview's
    assert len(latest) > 10
    assert heatmap_cursors(at, "Relative error") == [pytest.approx((steps[-1] + 1) / per_epoch)]
    slider.set_value(steps[1]).run()
    assert not at.exception, at.exception
    assert series(charts(at, spectrum)[-1][1], "output") != latest
    assert heatmap_cursors(at, "Relative error") == [pytest.approx((steps[1] + 1) / per_epoch)]
