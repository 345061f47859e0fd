"""Real browser (Debian chromium): the Lab page runs the `frequency` preset reduced to seconds-long
cells, shows cells finishing and the fitted law's line, survives a reload with the sweep still
training, and stops it; a finished cell's address opens it as a single run on its page."""

import re
import time

from playwright.sync_api import Page, expect

from fpengine.sweep.builder import LabForm
from fpengine.sweep.library import cell_run_id
from tests.browser_helpers import FIRST_LOAD_MS, button, start_run, stop_run

CELLS = re.compile(r"([\d,]+) / ([\d,]+) cells")
VALUES = "[1,2],[1,3],[1,4],[1,5],[1,6]"


def progress_text(page: Page) -> str:
    return page.get_by_test_id("stProgress").first.inner_text()


def cells_done(page: Page) -> int:
    match = CELLS.search(progress_text(page))
    return int(match.group(1)) if match else -1


def set_field(page: Page, label: str, value: str) -> None:
    """Type into a text or number field and commit it (Enter), as a visitor does."""
    field = page.get_by_label(label, exact=True).first
    field.fill(value)
    field.press("Enter")


def test_lab_runs_a_reduced_frequency_sweep_reattaches_after_a_reload_and_stops(page: Page, streamlit_server):
    page.goto(f"{streamlit_server}/lab")
    expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
    set_field(page, "Its values", VALUES)
    set_field(page, "Seeds per combination", "1")
    set_field(page, "Training steps of every cell", "1500")
    expect(page.get_by_text("5 cells: 5 × 1 seed(s).")).to_be_visible(timeout=30_000)
    button(page, "Estimate the time").click()  # a page view never trains: the timing is on a click
    expect(page.get_by_text("Estimated time here")).to_be_visible(timeout=30_000)
    start_run(page)
    sweep = re.search(r"[?&]sweep=([0-9a-f]+)", page.url).group(1)

    # cells appear: the counter passes 0, a heatmap per finished cell, and the law's fitted line
    deadline = time.monotonic() + 120
    while cells_done(page) < 1:
        assert time.monotonic() < deadline, progress_text(page)
        time.sleep(0.3)
    heatmaps = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="ΔF per cell")
    expect(heatmaps.locator("svg").first).to_be_visible(timeout=30_000)
    convergence = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Convergence step against frequency")
    lines = convergence.locator("g.mark-line path")
    expect(lines.first).to_be_attached(timeout=30_000)
    assert any(len(d or "") > 20 for d in lines.evaluate_all("paths => paths.map(p => p.getAttribute('d'))"))
    expect(page.get_by_text("Fitted laws")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=re.compile(r"p = \d")).first).to_be_visible()

    # a reload finds the same sweep, still training
    page.reload()
    expect(button(page, "Pause")).to_be_enabled(timeout=FIRST_LOAD_MS)
    assert f"sweep={sweep}" in page.url
    expect(page.get_by_test_id("stProgress").first).to_contain_text("Training", timeout=30_000)
    assert 1 <= cells_done(page) < 5
    # the reload kept control (the same browser); another browser with the address only watches
    other = page.context.browser.new_context()
    try:
        watcher = other.new_page()
        watcher.goto(f"{streamlit_server}/lab?sweep={sweep}&lang=en")
        expect(watcher.get_by_text("You are watching sweep")).to_be_visible(timeout=FIRST_LOAD_MS)
        expect(button(watcher, "Stop")).to_be_disabled()
    finally:
        other.close()
    expect(button(page, "Stop")).to_be_enabled()

    stop_run(page)
    expect(page.get_by_test_id("stProgress").first).to_contain_text("Stopped", timeout=30_000)
    assert cells_done(page) < 5

    # the table's "Open run" address of the first cell: its run on the Fig 1.3 page
    first = next(LabForm("frequency", (("target.frequencies", VALUES),), seeds=1, steps=1500).definition().cells())
    page.goto(f"{streamlit_server}/sine-fit?run={cell_run_id(sweep, first.id)}&lang=en")
    expect(page.get_by_text(f"Showing saved run {cell_run_id(sweep, first.id)}.")).to_be_visible(timeout=FIRST_LOAD_MS)
