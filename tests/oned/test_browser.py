"""Real browser (Debian chromium): the Fig 1.6 page animates a background run, Pause holds it, and
navigating away and back reattaches to the same run; the language switch translates the page."""

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


def test_theory_view_draws_the_prediction_beside_the_measurement(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/equal-amplitude")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    page.get_by_text("Theory: the linearised (NTK) prediction").click()
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
    start_run(page)
    both = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Predicted ΔF(k)").filter(has_text="Measured ΔF(k)")
    expect(both.locator("svg").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Theory beside experiment")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="NTK eigenvalues").locator("svg").first).to_be_visible()
    expect(button(page, "Compare with gradient descent")).to_be_visible()
    stop_run(page)
