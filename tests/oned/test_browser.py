"""Real browser (Debian chromium): the Fig 1.6 page animates a background run, Pause holds it, and
navigating away and back reattaches to the same run; the language switch translates the page."""

import re
import time

from playwright.sync_api import Page, expect

from tests.browser_helpers import (
    FIRST_LOAD_MS,
    button,
    chart_drawing,
    current_step,
    run_id,
    start_run,
    stop_run,
    wait_for_redraw,
    wait_for_step_above,
)

REPLAYING = re.compile(r"Replaying step ([\d,]+) of ([\d,]+)")


def replayed_step(page: Page) -> int | None:
    """The step the replay shows now, from its caption (None while it redraws)."""
    texts = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    for text in texts:
        match = REPLAYING.search(text)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def test_fig_1_6_live_run_pause_and_navigation(page: Page, streamlit_server):
    # a run long enough to pause on a fast quiet box (the Quick preset's 3,000 steps took 3.5 s there)
    page.goto(f"{streamlit_server}/equal-amplitude?steps=30000")
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
    # the progress bar jumps to its new width at each refresh: no half-second slide to composite (LIVE_CSS)
    durations = page.locator('[data-testid="stProgress"] div').evaluate_all("divs => divs.map(d => getComputedStyle(d).transitionDuration)")
    assert durations and set(durations) == {"0s"}, durations

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


def test_theory_view_draws_the_prediction_beside_the_measurement(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/equal-amplitude?steps=100000&widths=32,32")  # a small kernel: computed in a moment
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    page.get_by_text("Theory: the linearised (NTK) prediction").click()
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
    start_run(page)
    # paused once it has trained, the run is drawn whole at once (training, the Theory view comes with
    # the secondary views, every MORE_REFRESH_SECONDS: the run would train that long for nothing)
    wait_for_step_above(page, 0)
    button(page, "Pause").click()
    expect(button(page, "Resume")).to_be_visible(timeout=30_000)
    both = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Predicted ΔF(k)").filter(has_text="Measured ΔF(k)")
    expect(both.locator("svg").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Theory beside experiment")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="NTK eigenvalues").locator("svg").first).to_be_visible()
    expect(button(page, "Compare with gradient descent")).to_be_visible()
    stop_run(page)


def test_play_replays_a_finished_run_on_its_own(page: Page, streamlit_server):
    """Play advances the replay with no further input (the fragment's own ticks), moves the output
    chart, and stops at the last frame."""
    page.goto(f"{streamlit_server}/equal-amplitude?steps=20&widths=16,16")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    start_run(page)
    showing = page.get_by_text(REPLAYING)
    expect(showing).to_have_text(REPLAYING, timeout=120_000)  # the run ended: the replay bar is there
    assert replayed_step(page) == 20
    output = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Network output vs target").first
    last_frame = chart_drawing(output)
    play, pause = button(page, "Play"), button(page, "Pause replay")
    play.focus()  # the button, scrolled to the top, lies under the page's header: a click would land there
    page.keyboard.press("Enter")  # on the last frame, Play starts from the first
    expect(pause).to_be_visible()
    steps = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (steps and steps[-1] == 20 and play.is_visible()):
        step = replayed_step(page)
        if step is not None and (steps or step < 20) and (not steps or step != steps[-1]):  # from the rewind on
            steps.append(step)
        time.sleep(0.1)
    assert len(steps) >= 4, steps  # several frames shown in turn, nothing pressed
    assert steps == sorted(steps) and steps[0] < 10 and steps[-1] == 20, steps
    assert play.is_visible() and not pause.is_visible()  # the end stops the replay
    time.sleep(1.5)
    assert replayed_step(page) == 20
    assert chart_drawing(output) == last_frame  # back at the last frame, drawn as before
