"""Real browser: a projector's 1280×720 screen in classroom mode shows the learning without scrolling.

On every page Start is pressed in English and the page's key views must lie inside the viewport with
the page scrolled to its top: on the 1-D pages and Sec 1.6 the output against the target and the ΔF
heatmap; on Fig 1.7 the target, the network's picture now and the band heatmap; on Figs 1.10 and 1.12
the heatmap(s); on the Lab the law chart. A run is checked while it trains and again once paused (its
replay controls then stand above the views, so its views sit lower: the test checks that they do, and
the paused page is the one checked in Chinese); then the same browser (the same visitor, who still owns
the run) opens the run's link in Chinese and checks it paused, with Resume its owner's. A Lab sweep is
checked once its first cells are in, and again by its link in Chinese. One run per page serves both
languages. The screenshots are kept: under the test's tmp_path and in
``artifacts/classroom/`` (git-ignored; not test-results/, which pytest-playwright empties when any
pytest session starts); their paths are printed.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

import fpengine.sweep  # noqa: F401  (registers the Lab's strings)
from fpengine.i18n import t
from fpengine.registry import EXPERIMENTS  # registers every section's strings
from tests.browser_helpers import FIRST_LOAD_MS, button, run_id, start_run, stop_run
from tests.conftest import ROOT

WIDTH, HEIGHT = 1280, 720
CHARTS = '[data-testid="stVegaLiteChart"]'
IMAGES = '[data-testid="stImage"]'

# What each page must show without scrolling: (selector, catalogue key of a text it contains, how many).
# A key's "{…}" part is left out (a δ, a step). The link parameters keep each run short or cheap.
ONED = ((CHARTS, "view.output", 1), (CHARTS, "view.heatmap", 1))
PAGES = {
    "sine-fit": ("steps=100000&widths=16,16", ONED),
    "staircase": ("steps=100000&widths=16,16", ONED),
    "equal-amplitude": ("steps=100000&widths=16,16", ONED),
    "beyond-gd": ("optimizer=adam&iterations.adam=100000", ONED),
    "image-fit": (
        "steps=100000&long_side=32&widths=16,16",
        ((IMAGES, "image.view.target", 1), (IMAGES, "image.current", 1), (CHARTS, "image.view.heatmap", 1)),
    ),
    "projection": ("dataset=digits&n_train=200&n_test=100&epochs=1000", ((CHARTS, "view.heatmap", 1),)),
    "filtering": ("dataset=digits&n_train=200&n_test=100&epochs=1000", ((CHARTS, "filtering.heatmap_title", 3),)),
    "lab": ("seeds=1&steps=200", ((CHARTS, "sweep.convergence.title", 1),)),
}


def shown(page, selector: str, key: str, lang: str):
    """The views of one kind: charts by their title, pictures by their whole caption ("{…}" parts left out)."""
    text = t(key, lang)
    start = text.split("{")[0].strip()
    if selector == IMAGES:  # "target" is also in "target: log|DFT|" and "Training target"
        return page.locator(selector).filter(has_text=re.compile("^" + re.escape(start) + ("" if "{" in text else "$")))
    return page.locator(selector).filter(has_text=start)


def outside(page, selector: str, key: str, count: int, lang: str) -> list[str]:
    """The key views of one kind that are missing or not wholly inside the viewport (each named)."""
    found = shown(page, selector, key, lang)
    if found.count() < count:
        return [f"{key}: {found.count()} of {count} shown"]
    wrong = []
    for index in range(found.count()):
        try:
            box = found.nth(index).bounding_box(timeout=5_000)
        except PlaywrightError:  # redrawn meanwhile (Streamlit swaps a chart's node): measured again
            box = None
        if box is None or box["x"] < 0 or box["y"] < 0 or box["x"] + box["width"] > WIDTH or box["y"] + box["height"] > HEIGHT:
            wrong.append(f"{key}[{index}] at {box}")
    return wrong


def at_the_top(page) -> None:
    """The page as it first shows, scrolled to its top (a click may have scrolled its main area)."""
    page.evaluate("() => { window.scrollTo(0, 0); document.querySelectorAll('[data-testid=stMain]').forEach(e => e.scrollTo(0, 0)); }")


def lowest_edge(page, name: str, lang: str) -> float:
    """How far down the page's key views reach (px from the top of the viewport)."""
    edges = []
    for selector, key, _ in PAGES[name][1]:
        found = shown(page, selector, key, lang)
        boxes = [found.nth(index).bounding_box(timeout=5_000) for index in range(found.count())]
        edges += [box["y"] + box["height"] for box in boxes if box is not None]
    return max(edges)


def check_screen(page, name: str, lang: str, state: str, tmp_path) -> float:
    """Wait until the page's key views are drawn inside the viewport (they grow as data come), then keep
    the screenshot; returns how far down they reach (:func:`lowest_edge`)."""
    expected = PAGES[name][1]
    problems: list[str] = []

    def fits() -> bool:
        at_the_top(page)
        problems[:] = [item for selector, key, count in expected for item in outside(page, selector, key, count, lang)]
        return not problems

    try:
        for selector, key, count in expected:
            expect(shown(page, selector, key, lang).nth(count - 1)).to_be_visible(timeout=120_000)
        deadline = time.monotonic() + 20
        while not fits() and time.monotonic() < deadline:
            page.wait_for_timeout(250)  # polled: the sync API sees the page's updates only while it waits on it
    finally:
        shot = tmp_path / f"classroom-{name}-{lang}-{state}.png"
        page.screenshot(path=str(shot))
        kept = ROOT / "artifacts" / "classroom" / shot.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, kept)
        print(f"{name} ({lang}, {state}): {kept}")
    assert not problems, f"{name} in {lang} ({state}) needs scrolling for: {problems}"
    return lowest_edge(page, name, lang)


def pause(page, lang: str) -> None:
    """Pause the run and wait until its replay (Resume, the step slider) shows."""
    button(page, t("run.pause", lang)).click()
    paused(page, lang)


def paused(page, lang: str, timeout: int = 15_000) -> None:
    expect(button(page, t("run.resume", lang))).to_be_visible(timeout=timeout)
    expect(page.get_by_test_id("stSlider").first).to_be_visible(timeout=30_000)


@pytest.mark.parametrize("name", list(PAGES))
def test_classroom_mode_shows_the_learning_without_scrolling(page, streamlit_server, tmp_path, name):
    assert set(PAGES) == {*EXPERIMENTS, "lab"}  # every page of the app is checked
    query, _ = PAGES[name]
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    lang = "en"
    try:
        page.goto(f"{streamlit_server}/{name}?lang=en&classroom=1&{query}")
        expect(button(page, t("run.start", "en"))).to_be_enabled(timeout=FIRST_LOAD_MS)
        start_run(page, t("run.start", "en"))
        running = check_screen(page, name, "en", "running", tmp_path)
        if name == "lab":  # the sweep's link in Chinese: the same sweep, training or finished
            sweep = re.search(r"[?&]sweep=([0-9a-f]+)", page.url).group(1)
            lang = "zh"
            page.goto(f"{streamlit_server}/{name}?lang=zh&classroom=1&{query}&sweep={sweep}")
            check_screen(page, name, "zh", "reopened", tmp_path)
            return
        pause(page, "en")  # a paused run replays: its replay controls stand above the views
        paused_edge = check_screen(page, name, "en", "paused", tmp_path)
        # the paused page is the taller one, so its check in Chinese below stands for the training one
        assert paused_edge >= running, f"{name}: the paused views reach {paused_edge} px, the training ones {running} px"
        # the run's link in Chinese, in the same browser: the visitor still owns the paused run
        lang = "zh"
        page.goto(f"{streamlit_server}/{name}?lang=zh&classroom=1&{query}&run={run_id(page)}")
        paused(page, "zh", FIRST_LOAD_MS)
        check_screen(page, name, "zh", "paused", tmp_path)
        expect(button(page, t("run.resume", "zh"))).to_be_enabled(timeout=15_000)  # the owner's, not a watcher's
    finally:
        stop, start = t("run.stop", lang), t("run.start", lang)
        # never leave a run training on the shared server (the next page's run would queue behind it)
        if button(page, stop).is_enabled(timeout=10_000):  # a Lab sweep this small may have finished
            stop_run(page, stop, start)
