"""A setup shared by link (ui/links.py): settings in the address bar, restored before any run, bad
links ignored with one notice, no run id and nothing of a photo in the copied link; and runs on a
visitor's own photo visible only to the browser session that uploaded it."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from fpengine.readout.targets import TargetConfig
from fpengine.registry import EXPERIMENTS
from fpengine.settings.schema import rule_of
from tests.browser_helpers import FIRST_LOAD_MS
from tests.conftest import wait_until
from ui.common import job_manager
from ui.links import parse_number, text_of
from ui.pages import page_file
from ui.target_designer import AMPLITUDE_SLIDER, PHASE_SPAN, parse_sines, sines_text

HOST = "http://localhost:8501"
SINE_FIT = "app_pages/sine_fit.py"
IMAGE_FIT = "app_pages/image_fit.py"


def open_link(app_test, page: str, params: dict[str, str], url: str | None = None):
    """An AppTest of the app whose visitor opened ``page`` with the query ``params`` (its first run
    of that page reads them, as a fresh browser session does)."""
    at = app_test()
    at.query_params["lang"] = params.get("lang", "en")  # the language is the session's from its first page on
    at.run()
    at.switch_page(page)
    at.query_params.update(params)
    if url is not None:
        at.context["url"] = url
    at.run()
    assert not at.exception, at.exception
    return at


def shared_link(at) -> str:
    """The "Copy link to this setup" text."""
    codes = [text.value for text in at.sidebar.text]
    assert len(codes) == 1, codes
    return codes[0]


def link_params(link: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query, keep_blank_values=True).items()}


def notices(at) -> list[str]:
    return [w.value for w in at.warning if "link had settings" in w.value]


def test_link_texts_are_exact_and_short():
    assert text_of(3e-4) == "0.0003" and text_of(1e-5) == "1e-05" and text_of(2.0) == "2"
    assert float(text_of(0.1 + 0.2)) == 0.1 + 0.2  # never rounded away
    assert text_of(True) == "1" and text_of([3, 5]) == "3,5" and text_of((1.5, 2.0)) == "1.5,2"
    assert parse_number("7", int, 1, 10) == 7
    for bad in ("0", "11", "nan", "inf", "1.5", "x"):
        with pytest.raises(ValueError):
            parse_number(bad, int, 1, 10)


def test_designer_components_round_trip_and_refuse_what_the_widgets_cannot_show():
    components = [{"frequency": 1.0, "amplitude": 1.0, "phase": 0.0}, {"frequency": 5.0, "amplitude": -0.35, "phase": 0.5}]
    assert sines_text(components) == "1:1,5:-0.35:0.5"
    assert parse_sines(sines_text(components)) == components
    top = rule_of(TargetConfig, "frequencies").item.high
    for bad in (
        "",
        "1",
        "1:1:0:0",
        f"{top * 2}:1",
        f"1:{AMPLITUDE_SLIDER[1] + 1}",
        f"1:1:{PHASE_SPAN[1] + 1}",
        ",".join(["1:1"] * (rule_of(TargetConfig, "frequencies").max_length + 1)),
    ):
        with pytest.raises(ValueError):
            parse_sines(bad)


def test_a_link_restores_the_settings_before_any_run(app_test):
    link = {
        "lr": "0.01",
        "optimizer": "sgd",
        "widths": "64,64",
        "init": "default",
        "steps": "700",
        "periodic": "1",
        "seed": "5",
        "sines": "1:1,3:0.5,7:1:0.25",
        "log_steps": "1",
        "scheme": "yellowgreenblue",
    }
    at = open_link(app_test, SINE_FIT, link)
    assert not notices(at)
    assert job_manager().jobs() == []  # restored, not run
    assert at.number_input(key="sine-fit.w.lr@en").value == 0.01
    assert at.text_input(key="sine-fit.w.widths@en").value == "64,64"
    assert at.toggle(key="sine-fit.log_steps@en").value is True
    assert [s.value for s in at.slider] == [1.0, 0.5, 1.0]
    assert {key: at.query_params[key] for key in link} == link  # the address bar keeps the link

    at.button(key="sine-fit.start").click().run()
    config = job_manager().jobs()[0].config
    assert (config.training.lr, config.training.optimizer, config.training.steps, config.seed) == (0.01, "sgd", 700, 5)
    assert config.network.widths == (64, 64) and config.network.init == "default" and config.grid.periodic
    assert config.target.frequencies == (1, 3, 7) and config.target.amplitudes == (1, 0.5, 1) and config.target.phases == (0, 0, 0.25)


def test_a_link_restores_a_preset_and_the_tracked_peaks(app_test):
    at = open_link(app_test, SINE_FIT, {"preset": "book"})
    peaks = at.multiselect[0].value
    assert len(peaks) >= 2
    book_lr = at.number_input(key="sine-fit.w.lr@en").value

    at = open_link(app_test, SINE_FIT, {"preset": "book", "peaks": str(peaks[0])})
    assert not notices(at)
    assert at.selectbox(key="sine-fit.preset@en").value == "book"
    assert at.number_input(key="sine-fit.w.lr@en").value == book_lr
    assert at.multiselect[0].value == [peaks[0]]
    assert link_params(shared_link(at)) == {"preset": "book", "peaks": str(peaks[0])}


def test_the_address_bar_follows_the_settings_and_the_copied_link_carries_no_run(app_test):
    at = open_link(app_test, SINE_FIT, {}, url=f"{HOST}/sine-fit")
    assert "lr" not in at.query_params and shared_link(at) == f"{HOST}/sine-fit"  # the preset: nothing to add
    at.number_input(key="sine-fit.w.lr@en").set_value(0.002).run()
    at.number_input(key="sine-fit.w.steps@en").set_value(600).run()
    assert at.query_params["lr"] == "0.002" and at.query_params["steps"] == "600"

    at.button(key="sine-fit.start").click().run()
    assert at.query_params["run"] == job_manager().jobs()[0].id  # a refresh finds the run
    at.sidebar.toggle(key="classroom").set_value(True).run()
    at.sidebar.radio(key="lang").set_value("zh").run()
    link = shared_link(at)
    assert link.startswith(f"{HOST}/sine-fit?")
    assert link_params(link) == {"lr": "0.002", "steps": "600", "lang": "zh", "classroom": "1"}  # never the run

    at.number_input(key="sine-fit.w.lr@zh").set_value(3e-4).run()  # back to the preset's value
    assert "lr" not in at.query_params and "lr" not in link_params(shared_link(at))


def test_a_broken_link_is_ignored_with_one_notice(app_test):
    broken = {
        "lr": "fast",
        "steps": "-5",
        "optimizer": "telepathy",
        "widths": "64,,64",
        "sines": "1:99",
        "formula": "__import__('os')",
        "log_steps": "maybe",
        "peaks": "12345",
        "nonsense": "1",
    }
    at = open_link(app_test, SINE_FIT, {**broken, "seed": "3"})
    assert not at.exception and not at.error
    [notice] = notices(at)
    assert all(f"{key}=" in notice for key in broken)  # the formula is unknown here: the link keeps the sines
    assert "seed=" not in notice
    assert at.number_input(key="sine-fit.w.seed@en").value == 3  # the good part still counts
    assert at.number_input(key="sine-fit.w.lr@en").value == 3e-4 and at.text_input(key="sine-fit.w.widths@en").value != "64,,64"
    assert set(at.query_params) == {"lang", "seed"}  # what the page cannot use is gone from the address bar
    assert not at.button(key="sine-fit.start").disabled

    at = open_link(app_test, SINE_FIT, {"target_mode": "formula", "formula": "__import__('os')"}, url=f"{HOST}/sine-fit")
    [notice] = notices(at)
    assert "formula=" in notice and "target_mode=" not in notice
    at.number_input(key="sine-fit.w.seed@en").set_value(9).run()
    assert not notices(at)  # the notice goes once the visitor changes the setup


def test_the_notice_shows_a_links_text_as_text(app_test):
    at = open_link(app_test, SINE_FIT, {"see": "![x](http://example.com/t.png) [here](http://example.com)`"})
    [notice] = notices(at)
    assert notice.endswith("`see=![x](http://example.com/t.png) [her…`")  # code: never a picture or a link


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notice_speaks_the_visitors_language(app_test, lang):
    at = open_link(app_test, SINE_FIT, {"lang": lang, "steps": "abc"})
    expected = "此链接中有本页无法使用的设置" if lang == "zh" else "This link had settings"
    assert any(expected in w.value and "steps=abc" in w.value for w in at.warning)


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_every_pages_link_stays_short_with_every_setting_in_it(app_test, experiment):
    """Even a link that set every setting of the page (and the designer's largest target) is far
    below the 2,000 characters that browsers, chat programs and e-mail carry safely."""
    at = open_link(app_test, page_file(EXPERIMENTS[experiment]), {}, url=f"{HOST}/{experiment}")
    fields = {param: text for param, (text, _preset) in at.session_state["_links.fields"].items()}
    assert len(fields) >= 5
    if "sines" in fields:
        count = rule_of(TargetConfig, "frequencies").max_length
        fields["sines"] = ",".join(["29.5:-1.95:-3.1"] * count)
    fields.update(lang="zh", classroom="1")
    link = f"{HOST}/{experiment}?{urlencode(fields, safe=',:()*')}"
    print(f"{experiment}: {len(fields)} settings, a link with all of them has {len(link)} characters")
    assert len(link) < 2000, link


def photo_png() -> bytes:
    y, x = np.mgrid[0:40, 0:60]
    buffer = io.BytesIO()
    Image.fromarray((127 + 120 * np.sin(x / 4) * np.cos(y / 5)).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def upload_photo(app_test, params: dict[str, str] | None = None):
    at = open_link(app_test, IMAGE_FIT, params or {}, url=f"{HOST}/image-fit")
    at.radio(key="image-fit.w.source@en").set_value("upload").run()
    at.file_uploader(key="image-fit.upload.0").set_value(("me.png", photo_png(), "image/png")).run()
    assert not at.exception, at.exception
    return at


def test_a_link_to_the_picture_page_carries_nothing_of_the_photo(app_test):
    at = upload_photo(app_test)
    link = shared_link(at)
    assert link_params(link) == {"source": "upload"}  # "train on your own photo", nothing of it
    assert "upload:" not in link and not any("upload:" in value for value in at.query_params.values())


def test_a_run_on_an_uploaded_photo_is_private_to_the_session_that_uploaded_it(app_test):
    owner = upload_photo(app_test, {"steps": "100000"})
    owner.button(key="image-fit.start").click().run()
    job = job_manager().jobs()[0]
    wait_until(lambda: job.snapshot is not None, 60)

    stranger = open_link(app_test, IMAGE_FIT, {"run": job.id})
    assert any(f"Run {job.id} trains on someone's own photo" in w.value for w in stranger.warning)
    assert not stranger.progress
    assert stranger.button(key="image-fit.pause").disabled and stranger.button(key="image-fit.stop").disabled
    stranger.button(key="image-fit.reset").click().run()  # forgets the id here; the run goes on
    assert job.status.active

    owner.run()
    assert owner.progress and not owner.button(key="image-fit.stop").disabled
    owner.button(key="image-fit.pause").click().run()
    assert job.pause_requested
    owner.button(key="image-fit.stop").click().run()
    wait_until(lambda: job.done, 30)


def test_a_run_on_a_built_in_picture_can_be_watched_from_anywhere(app_test):
    owner = open_link(app_test, IMAGE_FIT, {"steps": "100000"})
    owner.button(key="image-fit.start").click().run()
    job = job_manager().jobs()[0]
    viewer = open_link(app_test, IMAGE_FIT, {"run": job.id})
    assert not any("someone's own photo" in w.value for w in viewer.warning)
    assert viewer.progress and viewer.button(key="image-fit.stop").disabled  # it watches; the run is its starter's
    assert any("You are watching run" in i.value for i in viewer.info)
    job.stop()


def test_a_link_in_a_real_browser_restores_its_setup_and_names_what_it_ignored(page, streamlit_server):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{streamlit_server}/equal-amplitude?lang=en&lr=0.002&sines=1:1,4:1&steps=abc&bogus=1")
    main = page.get_by_test_id("stMainBlockContainer")
    notice = main.get_by_text("This link had settings this page cannot use")
    notice.wait_for(timeout=FIRST_LOAD_MS)
    assert "steps=abc" in notice.inner_text() and "bogus=1" in notice.inner_text() and "lr=" not in notice.inner_text()
    expect(page.get_by_label("Learning rate")).to_have_value("2.0e-3")
    expect(main.get_by_label("frequency ω").nth(1)).to_have_value("4.00")
    wait_until(lambda: "bogus" not in page.url and "steps" not in page.url, 30, 0.25)
    assert "lr=0.002" in page.url and "sines=1:1,4:1" in page.url.replace("%3A", ":").replace("%2C", ",")

    page.get_by_test_id("stSidebar").get_by_text("Copy link to this setup").click()
    link = page.get_by_test_id("stSidebar").get_by_test_id("stText").inner_text()
    assert link.startswith(f"{streamlit_server}/equal-amplitude?") and "lr=0.002" in link and "sines=1:1,4:1" in link
    assert "run=" not in link and "bogus" not in link
