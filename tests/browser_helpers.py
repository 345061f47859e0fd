"""What the real-browser tests share: start and stop a run, read the step counter, wait for a live
chart to redraw. Every page runs through the same run panel (ui/run_panel.py), so one set serves all."""

import re
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

STEP = re.compile(r"Step ([\d,]+) / ([\d,]+)")
STARTED = re.compile(r"[?&]runs?=")  # a run's id, or a comparison's ids, in the URL
FIRST_LOAD_MS = 60_000  # the first visit imports torch and altair


def current_step(page: Page) -> int:
    text = page.locator('[data-testid="stProgress"]').first.inner_text()
    match = STEP.search(text)
    return int(match.group(1).replace(",", "")) if match else -1


def wait_for_step_above(page: Page, value: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        step = current_step(page)
        if step > value:
            return step
        time.sleep(0.2)
    raise AssertionError(f"the step counter did not pass {value}")


def button(page: Page, name: str):
    """A button of the page itself (the header has a "Stop" of its own while a script runs)."""
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=name, exact=True)


def page_text(page: Page) -> str:
    """What a failed wait reports: the page's own text (the sidebar's would fill the report), and
    whether Start is enabled."""
    main = page.get_by_test_id("stMainBlockContainer").inner_text()
    start = button(page, "Start")
    state = "none" if start.count() == 0 else "enabled" if start.first.is_enabled() else "disabled"
    return f"Start is {state}; the page shows:\n{main[:4000]}"


def run_started(page: Page) -> bool:
    """A run's progress bar shows, or its id (a comparison's ids) is in the URL."""
    return bool(STARTED.search(page.url)) or page.get_by_test_id("stProgress").count() > 0


def start_run(page: Page, start: str = "Start", timeout: float = 60) -> None:
    """Press Start and return as soon as the run shows. Streamlit can drop a click that lands while
    a rerun is still drawing the page (a CI run lost one after a selectbox change), so the press
    waits for the script to be idle and is repeated while no run shows and Start stays enabled."""
    deadline = time.monotonic() + timeout
    while not run_started(page):
        assert time.monotonic() < deadline, f"Start did not start a run; {page_text(page)}"
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
        if button(page, start).is_enabled():
            button(page, start).click()
        for _ in range(100):
            if run_started(page):
                return
            time.sleep(0.1)


def repeat_until_shown(page: Page, act, shown, what: str, timeout: float = 120) -> None:
    """Do ``act`` until ``shown`` appears. Like a click on Start, a file handed over or a photo taken
    while a rerun still draws the page can be dropped, so each try waits for the script to be idle;
    fails with the page's text."""
    deadline = time.monotonic() + timeout
    while True:
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
        act()
        try:
            shown.wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never showed; {page_text(page)}") from None


def stop_run(page: Page, stop: str = "Stop", start: str = "Start") -> None:
    """Press Stop and wait until it has taken effect: a run left training on the shared server would
    slow every later browser test."""
    button(page, stop).click()
    expect(button(page, start)).to_be_enabled(timeout=15_000)


def chart_drawing(chart, timeout: float = 30) -> str:
    """The SVG markup a live chart shows now. Streamlit swaps the chart's node when it redraws, and
    a page starved of CPU answers slowly, so a miss is retried until the deadline. (Markup rather
    than a screenshot: a screenshot waits for the node to be stable and for a painted frame, which
    a page that redraws every second under load may not give within the deadline.)"""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return chart.locator("svg").first.inner_html(timeout=10_000)
        except PlaywrightError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_for_redraw(chart, before: str, timeout: float = 30) -> None:
    """Live charts redraw as often as their build cost allows: poll what the chart draws."""
    deadline = time.monotonic() + timeout
    while chart_drawing(chart) == before:
        assert time.monotonic() < deadline, "the chart did not redraw"
        time.sleep(0.5)


def run_id(page: Page) -> str:
    return re.search(r"[?&]run=([0-9a-f]+)", page.url).group(1)
