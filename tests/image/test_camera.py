"""A photo from the camera on the Fig 1.7 page: the same checks as an upload, kept in memory only,
offered only where the browser allows the camera; and the larger picture a GPU starts from."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from fpengine.image.settings import ACCELERATOR_LONG_SIDE, ImageFitConfig, for_device
from fpengine.image.uploads import camera_allowed
from fpengine.registry import get_experiment
from tests.browser_helpers import FIRST_LOAD_MS, button, repeat_until_shown

KEY = "image-fit"
CAMERA = f"{KEY}.camera.0"


def jpeg(width: int = 64, height: int = 48) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    buffer = io.BytesIO()
    Image.fromarray((127 + 120 * np.sin(x / 5) * np.cos(y / 4)).astype(np.uint8)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def own_picture(app_test, url: str | None = None):
    at = app_test()
    at.query_params["lang"] = "en"
    if url is not None:
        at.context["url"] = url
    at.run()
    at.switch_page("app_pages/image_fit.py").run()
    at.radio(key=f"{KEY}.w.source@en").set_value("upload").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://localhost:8501/image-fit", True),
        ("http://127.0.0.1:8501/image-fit", True),
        ("http://[::1]:8501/", True),
        ("http://class.localhost/", True),
        ("https://fprinciple.example.edu/image-fit", True),
        ("http://192.168.1.20:8501/image-fit", False),
        ("http://fprinciple.example.edu/image-fit", False),
        (None, True),
    ],
)
def test_the_camera_is_offered_where_browsers_allow_it(url, allowed):
    assert camera_allowed(url) is allowed


def test_a_gpu_starts_from_a_picture_that_shows_a_face():
    quick = ImageFitConfig()
    assert for_device(quick, "cpu") is quick
    assert for_device(quick, "cuda").long_side == ACCELERATOR_LONG_SIDE > quick.long_side
    assert for_device(quick, "mps").long_side == ACCELERATOR_LONG_SIDE
    book = get_experiment(KEY).default_config("book")
    assert for_device(book, "cuda") is book  # the book's own resolution stays


def test_the_camera_takes_a_photo_and_refuses_a_broken_one(app_test):
    at = own_picture(app_test)
    assert at.button(key=f"{KEY}.start").disabled
    at.camera_input(key=CAMERA).set_value(("image.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception, at.exception
    assert "36×48 pixels" in captions(at) and not at.button(key=f"{KEY}.start").disabled

    at.camera_input(key=CAMERA).set_value(("image.jpg", b"\xff\xd8\xff\xe0 not a photo", "image/jpeg")).run()
    assert not at.exception, at.exception
    assert any("Camera photo" in e.value and "previous picture is kept" in e.value for e in at.error)
    assert "36×48 pixels" in captions(at) and not at.button(key=f"{KEY}.start").disabled

    at.button(key=f"{KEY}.forget").click().run()
    assert any("removed from memory" in s.value for s in at.success)
    assert at.button(key=f"{KEY}.start").disabled and not at.error
    assert at.camera_input(key=f"{KEY}.camera.1").value is None  # the camera is emptied too


def test_the_last_picture_given_is_the_one_in_use(app_test):
    """The uploader and the camera both keep their picture across reruns: each is taken once, when
    it changes, so neither takes over again from the one given after it."""
    at = own_picture(app_test)
    at.camera_input(key=CAMERA).set_value(("image.jpg", jpeg(), "image/jpeg")).run()
    assert "36×48 pixels" in captions(at)
    at.file_uploader(key=f"{KEY}.upload.0").set_value(("tall.jpg", jpeg(30, 60), "image/jpeg")).run()
    assert "48×24 pixels" in captions(at)
    at.run()
    assert "48×24 pixels" in captions(at)
    at.camera_input(key=CAMERA).set_value(("image.jpg", jpeg(96, 48), "image/jpeg")).run()
    assert "24×48 pixels" in captions(at)
    at.run()
    assert "24×48 pixels" in captions(at)


def test_over_plain_http_the_page_points_to_the_upload(app_test):
    at = own_picture(app_test, url="http://192.168.1.20:8501/image-fit")
    assert not at.camera_input
    assert any("HTTPS" in i.value and "upload a photo instead" in i.value for i in at.info)
    assert at.file_uploader(key=f"{KEY}.upload.0")


def test_a_photo_from_chromiums_fake_camera_trains(context, streamlit_server):
    """Chromium's fake camera (a 704×396 test pattern) through the real widget: the photo arrives,
    passes the upload's checks, and "Forget my photo" removes it."""
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{streamlit_server}/image-fit?lang=en&source=upload")
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text("Upload a picture or take a photo to train on it.").wait_for(timeout=FIRST_LOAD_MS)
    expect(button(page, "Start")).to_be_disabled()
    take = main.get_by_role("button", name="Take Photo")
    retake = main.get_by_role("button", name="Clear photo")
    # the pattern is 704×396 (27×48 at the default size) once its stream is up to size; a loaded
    # machine can capture a frame of another shape before that, so any size that passed the checks
    photo_size = main.get_by_text(re.compile(r"\d+×\d+ pixels"))

    def take_photo() -> None:
        if retake.count() > 0:  # a photo the server did not get: clear it to take another
            retake.click()
        expect(take).to_be_enabled(timeout=30_000)  # once the camera's stream runs
        take.click()

    repeat_until_shown(page, take_photo, photo_size, "the photo's size")
    expect(button(page, "Start")).to_be_enabled(timeout=30_000)

    button(page, "Forget my photo").click()
    main.get_by_text("Your photo was removed from memory.").wait_for(timeout=30_000)
    expect(button(page, "Start")).to_be_disabled()
    assert not errors, errors
