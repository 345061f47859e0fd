"""Real browser: the Sec 1.6 page trains with a gradient-free optimizer and its heatmap grows live."""

from __future__ import annotations

import re
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser_helpers import current_step, start_run

HEATMAP = '[data-testid="stVegaLiteChart"]'
X_AXIS = re.compile(r"X-axis titled 'iteration[^']*' for a \w+ scale with values from [\d,.]+ to ([\d,.]+)")


def swarm_heatmap(page):
    return page.locator(HEATMAP).filter(has_text="Relative error").filter(has_text="Particle swarm")


def heatmap_extent(page) -> float | None:
    """The largest iteration on the ΔF heatmap's x axis, read from the SVG's accessibility labels."""
    labels = swarm_heatmap(page).locator("svg [aria-label^='X-axis']").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    extents = [float(m.group(1).replace(",", "")) for m in map(X_AXIS.search, labels) if m]
    return max(extents) if extents else None


def wait_for(condition, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(message)


def test_particle_swarm_heatmap_grows(page, streamlit_server):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Arrive as a visitor does, through the sidebar: on a fresh server the first deep links can
    # answer "Page not found" while st.navigation has not yet registered the pages.
    page.goto(f"{streamlit_server}/?lang=en")
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Sec 1.6").click(timeout=120_000)
    page.get_by_role("heading", name="Sec 1.6 · Beyond gradient descent").wait_for(timeout=60_000)

    main = page.get_by_test_id("stMainBlockContainer")
    page.get_by_text("P = 3m + 1 = 91 parameters").wait_for(timeout=60_000)  # the first script run is complete
    swarm = page.get_by_role("option", name="Particle swarm (gradient-free)")

    def choose_swarm() -> bool:
        # a rerun that lands while the list is open closes it again: open it until the option shows
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Optimizer").click()
        try:
            swarm.click(timeout=5_000)
        except PlaywrightTimeout:
            return False
        return True

    wait_for(choose_swarm, 60, "the optimizer list did not open")
    page.get_by_text("P = 3m + 1 = 31 parameters").wait_for(timeout=30_000)
    # a cap no run reaches while the test watches: on a quiet box the default 2,000 iterations ended
    # before Stop was pressed (Stop then stays disabled)
    cap = page.get_by_role("spinbutton", name="Iteration cap")
    cap.fill("100000")
    cap.press("Enter")
    expect(cap).to_have_value("100000", timeout=30_000)
    start_run(page)
    stop = main.get_by_role("button", name="Stop")
    try:
        swarm_heatmap(page).wait_for(timeout=90_000)
        first = wait_for(lambda: heatmap_extent(page), 30, "the heatmap has no iteration axis")
        grown = wait_for(
            lambda: (heatmap_extent(page) or 0) > first and heatmap_extent(page), 90, f"the heatmap did not grow beyond {first} iterations"
        )
        assert grown > first
        assert current_step(page) > 0  # the counter (the bar's own value is a whole percent of the cap: 0 early on)
        stop.click()
        main.get_by_text("Stopped").first.wait_for(timeout=30_000)
    finally:  # never leave the run training on the shared server: the next tests' runs would queue behind it
        if stop.is_enabled():
            stop.click()
    assert not errors, errors
