"""AppTest: the Fig 1.7 picture page — built-ins, uploads good and bad, controls, a short run."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.conftest import open_app_page, wait_until
from ui.common import job_manager

PAGE = "app_pages/image_fit.py"
KEY = "image-fit"
UPLOADER = f"{KEY}.upload.0"


def open_page(app_test, lang: str = "en"):
    return open_app_page(app_test, PAGE, lang)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def photo(width: int = 60, height: int = 40) -> bytes:
    rgba = (np.random.default_rng(0).random((height, width, 4)) * 255).astype(np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0  # one transparent pixel: flattened, with a note
    return png(Image.fromarray(rgba, "RGBA"))


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def choose_upload(at):
    at.radio(key=f"{KEY}.w.source@en").set_value("upload").run()
    assert not at.exception, at.exception
    return at


def test_page_opens_on_the_zone_plate_with_a_time_estimate(app_test):
    at = open_page(app_test)
    assert at.title[0].value.startswith("Fig 1.7")
    assert "48×48 pixels" in captions(at) and "ms per step" in captions(at)
    assert not at.button(key=f"{KEY}.start").disabled
    assert len(at.get("image")) >= 1  # the training target


def test_built_in_photo_resolution_and_colour(app_test):
    at = open_page(app_test)
    at.radio(key=f"{KEY}.w.source@en").set_value("china").run()
    assert "32×48 pixels" in captions(at)
    at.select_slider(key=f"{KEY}.w.long_side@en").set_value(64).run()
    at.radio(key=f"{KEY}.w.colour@en").set_value("rgb").run()
    assert not at.exception, at.exception
    assert "43×64 pixels" in captions(at)


def test_upload_then_a_broken_file_keeps_the_previous_picture(app_test):
    at = choose_upload(open_page(app_test))
    assert at.button(key=f"{KEY}.start").disabled  # nothing to train on yet
    at.file_uploader(key=UPLOADER).set_value(("me.png", photo(), "image/png")).run()
    assert not at.exception, at.exception
    assert any("flattened onto white" in info.value for info in at.info)
    assert "32×48 pixels" in captions(at)
    assert not at.button(key=f"{KEY}.start").disabled

    at.file_uploader(key=UPLOADER).set_value(("broken.jpg", b"\xff\xd8\xff\xe0 broken", "image/jpeg")).run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "broken.jpg" in errors and "previous picture is kept" in errors
    assert "32×48 pixels" in captions(at)
    assert not at.button(key=f"{KEY}.start").disabled


def test_bad_uploads_are_explained_in_chinese(app_test):
    at = choose_upload(open_page(app_test))
    at.sidebar.radio(key="lang").set_value("zh").run()
    at.file_uploader(key=UPLOADER).set_value(("empty.png", b"", "image/png")).run()
    assert not at.exception, at.exception
    assert "文件是空的" in " ".join(e.value for e in at.error)
    truncated = photo()[:200]
    at.file_uploader(key=UPLOADER).set_value(("cut.png", truncated, "image/png")).run()
    assert "截断" in " ".join(e.value for e in at.error)


def test_forget_my_photo_clears_it(app_test):
    at = choose_upload(open_page(app_test))
    at.file_uploader(key=UPLOADER).set_value(("me.png", photo(), "image/png")).run()
    at.button(key=f"{KEY}.forget").click().run()
    assert not at.exception, at.exception
    assert any("removed from memory" in s.value for s in at.success)
    assert at.button(key=f"{KEY}.start").disabled


def test_invalid_settings_are_reported_not_raised(app_test):
    at = open_page(app_test)
    at.sidebar.text_input(key=f"{KEY}.w.edges@en").set_value("0.3, 0.1").run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "bands.edges" in errors and "increasing" in errors and "got 0.3, 0.1" in errors
    assert at.button(key=f"{KEY}.start").disabled
    at.sidebar.radio(key="lang").set_value("zh").run()
    errors = " ".join(e.value for e in at.error)
    assert "bands.edges" in errors and "须递增" in errors and "收到 0.3, 0.1" in errors


def test_a_short_run_shows_pictures_heatmap_and_downloads(app_test):
    at = open_page(app_test)
    at.select_slider(key=f"{KEY}.w.long_side@en").set_value(32).run()
    at.sidebar.number_input(key=f"{KEY}.w.steps@en").set_value(60).run()
    at.sidebar.selectbox(key=f"{KEY}.w.encoding@en").set_value("fourier").run()
    at.button(key=f"{KEY}.start").click().run()
    jobs = job_manager().jobs()
    assert len(jobs) == 1
    job = jobs[0]
    assert job.config.encoding.kind == "fourier" and job.config.long_side == 32
    wait_until(lambda: job.done, timeout=120)
    at.run()
    assert not at.exception, at.exception
    specs = [el.proto.spec for el in at.get("vega_lite_chart")]
    assert any("Relative error per frequency band" in spec for spec in specs)
    assert any("PSNR" in spec for spec in specs)
    labels = [button.label for button in at.get("download_button")]
    assert {"Snapshot strip (.png)", "Whole run (animated .gif)", "Metrics (.csv)"} <= set(labels)
