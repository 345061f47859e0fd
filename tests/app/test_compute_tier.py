"""Issue 22, the page side: a run training in a worker process reattaches by ``?run=`` as a run in the
server's thread did, and a full queue refuses a Start with its message and shows every queued run's
place and estimated wait (AppTest)."""

from __future__ import annotations

from fpengine.engine.runner import Status
from fpengine.engine.workers import LocalWorkers
from tests.app.test_links import open_link
from tests.app.test_live_parts import record_run_panel_fragments
from tests.apptest_charts import charts
from tests.conftest import wait_until
from ui import run_panel
from ui.common import job_manager

PAGE = "app_pages/sine_fit.py"


def test_a_run_in_a_worker_process_reattaches_by_its_link(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_WORKERS", "1")  # the app's default placement (the suite trains in threads)
    owner = open_link(app_test, PAGE, {"steps": "200000"})
    owner.button(key="sine-fit.start").click().run()
    [job] = job_manager().jobs()
    assert isinstance(job.placement, LocalWorkers)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 0, timeout=60)

    reloaded = open_link(app_test, PAGE, {"run": job.id})  # a reload (or another browser) by the link
    assert any(job.id in caption.value for caption in reloaded.caption), [c.value for c in reloaded.caption]
    owner.button(key="sine-fit.pause").click().run()
    wait_until(lambda: job.status is Status.PAUSED, timeout=10)
    owner.button(key="sine-fit.stop").click().run()
    assert job.wait(10) and job.status is Status.STOPPED


def test_a_full_queue_refuses_a_start_with_its_message_and_queued_runs_show_their_wait(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_MAX_RUNNING", "1")
    monkeypatch.setenv("FPENGINE_MAX_QUEUED", "1")
    first = open_link(app_test, PAGE, {"steps": "200000"})
    first.button(key="sine-fit.start").click().run()
    first.button(key="sine-fit.pause").click().run()  # holds the one slot
    second = open_link(app_test, PAGE, {"steps": "200000"})
    second.button(key="sine-fit.start").click().run()
    assert any("to wait" in text for text in second_texts(second)), second_texts(second)
    third = open_link(app_test, PAGE, {"steps": "200000", "lang": "zh"})
    third.button(key="sine-fit.start").click().run()
    assert any("服务器繁忙" in error.value for error in third.error), [e.value for e in third.error]
    assert len(job_manager().jobs()) == 2


def second_texts(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")] + [c.value for c in at.caption]


def test_a_queued_run_shows_its_place_without_views_and_its_views_once_it_trains(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_MAX_RUNNING", "1")
    manager = job_manager()
    busy = manager.take_slots(manager.max_running)  # the server is busy: the run waits in the queue
    fragments = record_run_panel_fragments(monkeypatch)
    at = open_link(app_test, PAGE, {"steps": "200000"})
    at.button(key="sine-fit.start").click().run()
    [job] = manager.jobs()
    assert job.status is Status.QUEUED
    assert any("to wait" in text for text in second_texts(at)), second_texts(at)
    assert not charts(at, "Relative error")  # nothing to draw yet: the page refreshes only its place
    assert fragments[-1:] == [("_live", run_panel.QUEUED_REFRESH_SECONDS)]  # at the queue's pace, without the rest's fragment
    # a refresh (only the address survives) says which run it reattached to before the run's first step
    reattached = open_link(app_test, PAGE, {"run": job.id})
    assert any(job.id in caption.value for caption in reattached.caption), [caption.value for caption in reattached.caption]
    manager.give_slots(busy)
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 0, timeout=60)
    fragments.clear()
    at.run()
    assert charts(at, "Relative error"), "the views did not show once the run trained"
    assert fragments == [("_live", run_panel.REFRESH_SECONDS), ("_live_more", run_panel.MORE_REFRESH_SECONDS)]
    at.button(key="sine-fit.stop").click().run()
    assert job.wait(10) and job.status is Status.STOPPED
