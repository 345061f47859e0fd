"""Real browser (Debian chromium): the Fig 1.6 page animates a background run, Pause holds it, and
navigating away and back reattaches to the same run; the language switch translates the page."""

import re
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

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


def run_started(page: Page) -> bool:
    """A run's progress bar shows, or its id (a comparison's ids) is in the URL."""
    return bool(STARTED.search(page.url)) or page.get_by_test_id("stProgress").count() > 0


def start_run(page: Page, start: str = "Start", timeout: float = 60) -> None:
    """Press Start and return as soon as the run shows. Streamlit can drop a click that lands while
    a rerun is still drawing the page (a CI run lost one after a selectbox change), so the press
    waits for the script to be idle and is repeated while no run shows and Start stays enabled."""
    deadline = time.monotonic() + timeout
    while not run_started(page):
        assert time.monotonic() < deadline, f"Start did not start a run; the page shows:\n{page.inner_text('body')[:2000]}"
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
        if button(page, start).is_enabled():
            button(page, start).click()
        for _ in range(100):
            if run_started(page):
                return
            time.sleep(0.1)


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


def test_fig_1_6_live_run_pause_and_navigation(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/equal-amplitude")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    start_run(page)

    # progress within seconds, and the heatmap grows as the counter advances
    first = wait_for_step_above(page, 0, timeout=30)
    heatmap = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Relative error")
    expect(heatmap.locator("svg").first).to_be_visible(timeout=30_000)
    before = chart_drawing(heatmap.first)
    later = wait_for_step_above(page, first + 200)
    assert later > first
    wait_for_redraw(heatmap.first, before)

    # Pause holds the counter (settle window = several refresh intervals)
    button(page, "Pause").click()
    expect(button(page, "Resume")).to_be_visible(timeout=10_000)
    time.sleep(1.5)
    held = current_step(page)
    time.sleep(1.5)
    assert current_step(page) == held

    # away and back: the same run, still there, and it resumes
    run = run_id(page)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Home").click()
    expect(page.get_by_text("What is the Frequency Principle?")).to_be_visible(timeout=30_000)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Fig 1.6").click()
    expect(button(page, "Resume")).to_be_visible(timeout=30_000)
    assert current_step(page) == held
    assert run in page.locator('[data-testid="stCaptionContainer"]').all_inner_texts().__str__()
    button(page, "Resume").click()
    expect(button(page, "Pause")).to_be_enabled(timeout=10_000)
    wait_for_step_above(page, held)
    stop_run(page)


def test_refresh_reconnects_to_the_running_job(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/sine-fit")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    start_run(page)
    step = wait_for_step_above(page, 0, timeout=30)
    run = run_id(page)
    page.reload()
    expect(button(page, "Stop")).to_be_enabled(timeout=FIRST_LOAD_MS)
    assert run_id(page) == run
    wait_for_step_above(page, step)
    stop_run(page)


def test_language_switch_translates_page_and_charts(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/staircase")
    expect(button(page, "Start")).to_be_visible(timeout=FIRST_LOAD_MS)
    page.get_by_text("简体中文").first.click()
    expect(button(page, "开始")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("目标函数设计")).to_be_visible()
    chart_text = " ".join(page.locator('[data-testid="stVegaLiteChart"] svg').all_text_contents())
    assert "频率序号 k" in chart_text
    assert "lang=zh" in page.url
