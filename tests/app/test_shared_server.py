"""Issue 20, the page side: a shared classroom server that one visitor's link cannot freeze or fool,
and whose runs and sweeps only the browser session that started them controls (AppTest)."""

from __future__ import annotations

import dataclasses
import gc
import io
import re
import time
import weakref

import numpy as np
import pytest
import torch
from PIL import Image

from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Status
from fpengine.image import timing
from fpengine.image.pictures import Picture
from fpengine.image.uploads import remember_upload, upload_of
from fpengine.registry import EXPERIMENTS
from fpengine.sweep import estimate
from tests.app.test_links import notices, open_link
from tests.conftest import wait_until
from ui.common import job_manager, save_finished_run
from ui.lab import sweep_manager
from ui.links import RUN_PARAMS
from ui.pages import page_file
from ui.run_panel import MAX_GROUP_RUNS, group_ids_of, xsrf_secret

BEYOND_PAGE = "app_pages/beyond_gd.py"


def photo_bytes(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.random.default_rng(seed).random((40, 60, 3)) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def finished_beyond():
    """One short Sec 1.6 run trained to its end (saved by each test into its own runs folder)."""
    config = dataclasses.replace(BEYOND_GD.default_config(), method="bfgs", max_iterations=5)
    job = run_to_end(BEYOND_GD, config, torch.device("cpu"))
    assert job.status is Status.DONE
    return job


def test_a_links_run_ids_are_deduplicated_and_capped():
    assert group_ids_of("a1,b2,a1,a1,c3") == (["a1", "b2", "c3"], ["a1"])
    many = [f"r{i}" for i in range(40)]
    kept, dropped = group_ids_of(",".join(many))
    assert kept == many[:MAX_GROUP_RUNS] and dropped[0] == many[MAX_GROUP_RUNS]
    assert len(dropped) <= MAX_GROUP_RUNS + 1  # a huge link is not read to its end
    assert group_ids_of("x/../y,,ok1") == (["ok1"], ["x/../y"])


def test_a_link_repeating_a_saved_run_draws_it_once_and_names_the_rest(app_test, finished_beyond):
    save_finished_run(finished_beyond, figures=False)
    run_id = finished_beyond.id
    at = open_link(app_test, BEYOND_PAGE, {"mode": "compare", "runs": ",".join([run_id] * 300)})
    [loaded] = [c.value for c in at.caption if "Showing saved run" in c.value]
    assert loaded.count(run_id) == 1, loaded[:200]
    [notice] = notices(at)
    assert f"runs={run_id}" in notice
    assert at.query_params["runs"] in (run_id, [run_id])
    at.run()  # a rerun reads the capped ids and still draws the one run
    assert not at.exception
    [loaded] = [c.value for c in at.caption if "Showing saved run" in c.value]
    assert loaded.count(run_id) == 1


# --- finding 5: a visitor's text is shown as text ---------------------------------------------------

HOSTILE = "![p](http://127.0.0.1:9/t.png) [Log in](https://evil.example) <b>x</b>"
PAGES = ["app_pages/home.py", *(page_file(experiment) for experiment in EXPERIMENTS.values()), "app_pages/lab.py"]
GATES = {"target_mode": "formula", "mode": "compare"}
"""Settings that open the way for others (the formula, a comparison's runs): a second visit sets them."""


def drawn_markdown(at) -> list[str]:
    """The Markdown source of everything the page drew as Markdown: texts, captions, alerts, progress texts."""
    bodies = [element.value for kind in ("markdown", "caption", "info", "warning", "error", "success") for element in getattr(at, kind)]
    return bodies + [element.proto.text for element in at.get("progress")]


def unescaped(body: str) -> str:
    """``body`` without what Markdown shows as is: code spans and backslash-escaped characters."""
    return re.sub(r"\\.", "", re.sub(r"`[^`]*`", "", body))


def assert_shown_as_text(at, where: str) -> None:
    assert not at.exception, (where, at.exception)
    for body in drawn_markdown(at):
        bare = unescaped(body)
        for danger in ("![", "](http", "<b>"):
            assert danger not in bare, (where, body[:300])


@pytest.mark.parametrize("page", PAGES)
def test_every_link_parameter_of_every_page_is_shown_as_text(app_test, page):
    fields = set(open_link(app_test, page, {}).session_state["_links.fields"])
    params = {field: HOSTILE for field in (*fields, *RUN_PARAMS)}
    visits = [params]
    if GATES.keys() & fields:
        visits.append({**params, **{gate: value for gate, value in GATES.items() if gate in fields}})
    for visit in visits:
        at = open_link(app_test, page, visit)
        assert_shown_as_text(at, f"{page} {sorted(visit.items())}")
        assert not fields or any("link had settings" in w.value for w in at.warning)  # named, as text, in the notice
    # what a visitor types (a formula, widths, a sweep's values) is quoted as text by the page's refusal
    for key in [text.key for text in at.text_input if not text.disabled]:
        at.text_input(key=key).set_value(HOSTILE).run()
        assert_shown_as_text(at, f"{page} typed into {key}")
        at = open_link(app_test, page, visits[-1])


def test_an_uploaded_files_name_is_shown_as_text(app_test):
    at = open_link(app_test, "app_pages/image_fit.py", {"source": "upload"})
    [uploader] = at.get("file_uploader")
    uploader.set_value((f"{HOSTILE}.png", b"not a picture", "image/png")).run()
    assert any("evil" in e.value for e in at.error)  # the refusal names the file
    assert_shown_as_text(at, "upload")


# --- finding 3: a page view never trains ------------------------------------------------------------

HUGE_PICTURE_FIT = {"encoding": "fourier", "fourier_features": "4096", "widths": "2048,2048"}
HUGE_SWEEP = {
    "source": "sine-fit",
    "setting1": "network.widths",
    "values1": "[2048,2048]",
    "setting2": "grid.samples",
    "values2": "10000",
    "seeds": "1",
}


@pytest.fixture
def built_networks(monkeypatch):
    """The weights of every linear layer built outside the meta device (which allocates nothing)."""
    built: list[int] = []
    original = torch.nn.Linear.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.weight.device.type != "meta":
            built.append(self.weight.numel())

    monkeypatch.setattr(torch.nn.Linear, "__init__", spy)
    return built


def test_opening_fig_1_7_with_a_huge_network_trains_nothing(app_test, built_networks):
    timing._speed.cache_clear()
    at = open_link(app_test, "app_pages/image_fit.py", HUGE_PICTURE_FIT)
    assert any("ms per step" in c.value for c in at.caption)  # the estimate is there
    assert sum(built_networks) <= sum(inputs * width + width * width for inputs, width, _ in timing.PROBE_LAYERS)
    built_networks.clear()
    at = open_link(app_test, "app_pages/image_fit.py", {**HUGE_PICTURE_FIT, "seed": "7", "widths": "2048,2048,2048"})
    assert any("ms per step" in c.value for c in at.caption)
    assert built_networks == []  # the device's speed is measured once per process, whatever the settings


def test_opening_the_lab_with_a_huge_sweep_trains_nothing_until_asked(app_test, monkeypatch):
    timed: list[str] = []
    monkeypatch.setattr(estimate, "_rate", lambda name, config, device, **_: timed.append(name) or 50.0)
    estimate._rates.clear()
    sweep_manager.clear()
    at = open_link(app_test, "app_pages/lab.py", HUGE_SWEEP)
    assert not notices(at) and timed == [] and not job_manager().jobs()
    assert not any("Estimated time here" in m.value for m in at.markdown)
    # on a click, the timing waits for a free run slot and holds it
    manager = job_manager()
    held = manager.take_slots(manager.max_running)
    at.button(key="lab.estimate_button").click().run()
    assert timed == [] and any("run slot(s) of this server are busy" in c.value for c in at.caption)
    manager.give_slots(held)
    at.button(key="lab.estimate_button").click().run()
    assert timed == ["sine-fit"] and any("Estimated time here" in m.value for m in at.markdown)
    assert manager.take_slots(manager.max_running) == manager.max_running  # given back
    manager.give_slots(manager.max_running)
    at.run()  # later views show the timing without training again
    assert timed == ["sine-fit"] and any("Estimated time here" in m.value for m in at.markdown)
    sweep_manager.clear()


# --- finding 7: the Theory's gradient-descent rerun keeps its lease while watched -------------------


def test_the_gradient_descent_rerun_is_not_stopped_while_its_view_is_drawn(app_test, monkeypatch):
    # a lease a few page runs long: a loaded box takes seconds for one run of this page (theory on),
    # and the view renews the lease once per run (a 1 s lease failed a fresh-clone run that way)
    monkeypatch.setenv("FPENGINE_LEASE_SECONDS", "5")
    at = open_link(app_test, "app_pages/equal_amplitude.py", {"theory": "1", "steps": "5000"})
    at.button(key="equal-amplitude.gd_run.start").click().run()
    [rerun] = job_manager().jobs()
    rerun.pause()  # however slowly it trains, it stays in training while watched
    # a lease and a half: unwatched, the reaper (every second) would have ended it within a lease and a second
    watched_until = time.monotonic() + 1.5 * job_manager().lease_seconds
    while time.monotonic() < watched_until:
        at.run()
        assert rerun.status.active, (rerun.status, rerun.message)
    assert not at.exception
    wait_until(lambda: rerun.message == "abandoned", timeout=30)  # unwatched, the short lease ends it


# --- finding 8: a run's and a sweep's controls belong to the browser that started it --------------


def test_a_browsers_token_survives_its_reloads_and_nothing_else_gives_it():
    token = bytes(range(32))

    def cookie(mask: bytes) -> str:  # as Streamlit writes it: a new mask on every page load
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(token))
        return f"2|{mask.hex()}|{masked.hex()}|1800000000"

    assert xsrf_secret(cookie(b"\x01\x02\x03\x04")) == xsrf_secret(cookie(b"\xaa\xbb\xcc\xdd")) == token
    for bad in ("", "x", "2|zz|00|1", "1|00|00|1", HOSTILE):
        assert xsrf_secret(bad) is None


def test_only_the_browser_that_started_a_run_controls_it_others_watch(app_test):
    owner = open_link(app_test, "app_pages/sine_fit.py", {"steps": "20000"})
    owner.button(key="sine-fit.start").click().run()
    owner.button(key="sine-fit.pause").click().run()
    [job] = job_manager().jobs()
    assert job.owner is not None and job.status.active

    watcher = open_link(app_test, "app_pages/sine_fit.py", {"run": job.id, "lang": "zh"})
    assert any("你正在观看运行" in i.value and job.id in i.value for i in watcher.info)
    assert watcher.button(key="sine-fit.resume").disabled and watcher.button(key="sine-fit.stop").disabled
    assert job.status.active and job.pause_requested
    watcher.button(key="sine-fit.reset").click().run()  # the watcher leaves; the run trains on
    assert job.status.active and "run" not in watcher.query_params

    owner.run()
    assert not any("watching" in i.value for i in owner.info)
    assert not owner.button(key="sine-fit.stop").disabled
    owner.button(key="sine-fit.stop").click().run()
    assert job.wait(30) and job.status is Status.STOPPED


def test_only_the_browser_that_started_a_comparison_controls_it_others_watch(app_test):
    link = {"mode": "compare", "optimizers": "adam,sgd", "iterations.adam": "100000", "iterations.sgd": "100000"}
    owner = open_link(app_test, BEYOND_PAGE, link)
    owner.button(key="beyond-gd.group.start").click().run()
    owner.button(key="beyond-gd.group.pause").click().run()
    jobs = job_manager().jobs()
    assert len(jobs) == 2 and all(job.status.active for job in jobs)
    watcher = open_link(app_test, BEYOND_PAGE, {"mode": "compare", "runs": ",".join(job.id for job in jobs)})
    assert any("You are watching run" in i.value for i in watcher.info)
    assert watcher.button(key="beyond-gd.group.resume").disabled and watcher.button(key="beyond-gd.group.stop").disabled
    watcher.button(key="beyond-gd.group.reset").click().run()
    assert all(job.status.active for job in jobs)
    owner.run()
    owner.button(key="beyond-gd.group.stop").click().run()
    assert all(job.wait(30) and job.status is Status.STOPPED for job in jobs)


def test_only_the_browser_that_started_a_sweep_controls_it_others_watch(app_test):
    sweep_manager.clear()
    form = {"source": "sine-fit", "setting1": "training.lr", "values1": "0.001", "seeds": "1", "steps": "20000"}
    owner = open_link(app_test, "app_pages/lab.py", form)
    owner.button(key="lab.start").click().run()
    owner.button(key="lab.pause").click().run()
    [sweep] = sweep_manager().sweeps()
    try:
        watcher = open_link(app_test, "app_pages/lab.py", {"sweep": sweep.id})
        assert any("You are watching sweep" in i.value for i in watcher.info)
        assert watcher.button(key="lab.stop").disabled and watcher.button(key="lab.resume").disabled
        watcher.button(key="lab.new").click().run()
        assert not sweep.control.stopped and sweep.control.paused

        owner.run()
        assert not any("watching" in i.value for i in owner.info)
        owner.button(key="lab.stop").click().run()
        assert sweep.control.stopped
    finally:
        sweep_manager().shutdown()
        sweep_manager.clear()


# --- finding 6: a visitor's photo and its runs live as long as the visitor needs them ---------------

IMAGE_PAGE = "app_pages/image_fit.py"
UPLOADER = "image-fit.upload.0"


def with_photo(app_test, data: bytes, params: dict[str, str] | None = None):
    """A visitor of Fig 1.7 who uploaded ``data`` (a short, small fit); returns the AppTest and the photo's name."""
    at = open_link(app_test, IMAGE_PAGE, {"source": "upload", "long_side": "32", "steps": "30", **(params or {})})
    at.file_uploader(key=UPLOADER).set_value(("me.png", data, "image/png")).run()
    assert not at.exception, at.exception
    return at, at.session_state["image-fit.upload.name"]


def test_two_visitors_with_one_picture_have_their_own_and_forget_only_theirs(app_test):
    data = photo_bytes()
    first, first_name = with_photo(app_test, data)
    second, second_name = with_photo(app_test, data)
    assert first_name != second_name
    first.button(key="image-fit.forget").click().run()
    assert upload_of(first_name) is None and upload_of(second_name) is not None
    second.button(key="image-fit.start").click().run()
    [job] = job_manager().jobs()
    assert job.wait(120) and job.status is Status.DONE, job.message


def test_a_photo_run_keeps_its_picture_and_its_result_whatever_others_do(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_KEEP_FINISHED", "0")  # every finished run leaves the manager at once
    at, name = with_photo(app_test, photo_bytes())
    manager = job_manager()
    busy = manager.take_slots(manager.max_running)  # the server is busy: the run waits in the queue
    at.button(key="image-fit.start").click().run()
    [job] = manager.jobs()
    assert job.status is Status.QUEUED
    others = [Picture(np.full((8, 8, 3), i / 40, dtype=np.float32), f"{i}.png") for i in range(40)]
    for index, picture in enumerate(others):  # a class uploads meanwhile
        remember_upload(picture, f"visitor-{index}")
    at.file_uploader(key=UPLOADER).set_value(("other.png", photo_bytes(seed=1), "image/png")).run()  # and so does its visitor
    at.run()  # Streamlit keeps the previous run's session state until the next
    gc.collect()
    manager.give_slots(busy)
    wait_until(lambda: job.done, timeout=120)
    assert job.status is Status.DONE, job.message  # it trained on its own picture
    assert manager.get(job.id) is None  # and left the manager
    at.run()
    assert not any("no longer available" in i.value for i in at.info)
    assert at.get("progress") and "Finished" in at.get("progress")[0].proto.text  # the session keeps its run


def test_forget_my_photo_leaves_no_copy(app_test):
    at, name = with_photo(app_test, photo_bytes())
    picture = weakref.ref(upload_of(name))
    at.button(key="image-fit.start").click().run()
    run = weakref.ref(job_manager().jobs()[0])
    wait_until(lambda: run().done, timeout=120)
    at.run()
    assert at.session_state["image-fit.upload.targets"]
    at.button(key="image-fit.forget").click().run()
    assert not at.exception, at.exception
    assert upload_of(name) is None and not job_manager().jobs()
    assert "image-fit.upload.targets" not in at.session_state and "image-fit.upload.picture" not in at.session_state
    # the pixels, and the run with its snapshot, are gone (its worker thread may take a moment to let go)
    wait_until(lambda: gc.collect() is not None and picture() is None and run() is None, timeout=30)
