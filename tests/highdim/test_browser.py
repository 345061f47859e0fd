"""Real browser (Debian chromium): the projection and filtering pages train on the offline MNIST with
their default settings and draw their live views."""

import re

from playwright.sync_api import Page, expect

from tests.browser_helpers import (
    FIRST_LOAD_MS,
    button,
    chart_drawing,
    start_run,
    stop_run,
    wait_for_redraw,
    wait_for_step_above,
)


def chart(page: Page, text: str):
    """A live chart, by text it shows. Charts inside an expander are left out: the projection
    page's collapsed "before training" preview draws the same spectrum with the same title, and
    Playwright counts its chart as hidden."""
    return page.locator('[data-testid="stVegaLiteChart"]:not([data-testid="stExpander"] *)').filter(has_text=text)


def test_projection_page_trains_and_draws_live(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/projection")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text("Label spectrum and picked peaks (before training)")).to_be_visible(timeout=30_000)
    start_run(page)
    first = wait_for_step_above(page, 0)
    heatmap = chart(page, "Relative error")
    expect(heatmap.locator("svg").first).to_be_visible(timeout=60_000)
    expect(chart(page, "first principal direction").locator("svg").first).to_be_visible()
    expect(chart(page, "accuracy").locator("svg").first).to_be_visible()
    labels = heatmap.first.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")
    assert "k=0" in labels and "epoch" in labels
    before = chart_drawing(heatmap.first)
    wait_for_step_above(page, first + 40)
    wait_for_redraw(heatmap.first, before)
    stop_run(page)


def test_filtering_page_trains_and_draws_live_in_chinese(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/filtering?lang=zh")
    expect(button(page, "开始")).to_be_enabled(timeout=FIRST_LOAD_MS)
    expect(page.get_by_role("tab", name="比较 DNN · CNN · VGG16")).to_be_visible()
    button(page, "开始").click()
    expect(chart(page, "e_low（实线）").locator("svg").first).to_be_visible(timeout=90_000)
    heatmaps = chart(page, "相对误差，δ =")
    expect(heatmaps.nth(2).locator("svg")).to_be_visible(timeout=30_000)
    rows = heatmaps.first.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")
    assert "低频" in rows and "高频" in rows
    expect(page.get_by_text("训练图像最近邻距离平方的中位数")).to_be_visible()
    stop_run(page, "停止", "开始")


def test_heatmap_rows_follow_into_the_address_bar(page: Page, streamlit_server):
    """The row choice lives in the live views (a fragment): changing it reruns only them, and the
    address bar follows all the same, so the copied link shows those rows."""
    page.goto(f"{streamlit_server}/projection?n_train=100&n_test=50&epochs=1")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    start_run(page)
    expect(button(page, "Start")).to_be_enabled(timeout=120_000)  # the run ended
    rows = page.get_by_test_id("stMultiSelect").filter(has_text="Heatmap rows")
    expect(rows).to_be_visible(timeout=30_000)
    assert "rows=" not in page.url
    remove = rows.locator(".react-aria-ComboBox").get_by_role("button", name=re.compile("^Remove k = "))
    assert remove.count() >= 2
    remove.last.click()  # drop the highest tracked frequency
    expect(page).to_have_url(re.compile(r"[?&]rows=[\d.,]+"), timeout=15_000)
