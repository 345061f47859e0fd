"""Real browser: upload a photo on the Fig 1.7 page, train, watch the network picture change and the
band heatmap grow."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from tests.browser_helpers import repeat_until_shown, start_run
from tests.conftest import wait_until

CHARTS = '[data-testid="stVegaLiteChart"]'
X_AXIS = re.compile(r"X-axis titled 'step[^']*' for a \w+ scale with values from [\d,.]+ to ([\d,.]+)")


def heatmap_extent(page) -> float | None:
    """The largest step on the band heatmap's x axis, read from the SVG's accessibility labels."""
    labels = (
        page.locator(CHARTS)
        .filter(has_text="frequency band")
        .locator("svg [aria-label^='X-axis']")
        .evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    )
    extents = [float(m.group(1).replace(",", "")) for m in map(X_AXIS.search, labels) if m]
    return max(extents) if extents else None


def network_picture(page) -> str | None:
    """The address of the "Network now" picture (a new one is served whenever it changes)."""
    figure = page.locator('[data-testid="stImage"]').filter(has_text="Network now")
    if figure.count() == 0:
        return None
    return figure.first.locator("img").get_attribute("src")


def test_uploaded_photo_trains_live(page, fresh_streamlit_server, tmp_path):
    photo = tmp_path / "selfie.png"
    y, x = np.mgrid[0:90, 0:120]
    face = 0.5 + 0.4 * np.exp(-((x - 60) ** 2 + (y - 45) ** 2) / 600) * np.cos(x / 3)
    Image.fromarray((face * 255).astype(np.uint8)).save(photo)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{fresh_streamlit_server}/?lang=en")
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Fig 1.7").click(timeout=60_000)
    page.get_by_role("heading", name="Fig 1.7 · Fitting a picture").wait_for(timeout=60_000)

    page.get_by_text("My own picture (upload)").click()

    upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    size = page.get_by_text("36×48 pixels", exact=False)
    repeat_until_shown(page, lambda: upload.set_input_files(str(photo)), size, "the picture's size")
    main = page.get_by_test_id("stMainBlockContainer")
    start_run(page)

    page.locator(CHARTS).filter(has_text="frequency band").first.wait_for(timeout=60_000)
    first_extent = wait_until(lambda: heatmap_extent(page), 30, 0.25)  # the band heatmap has a step axis
    first_picture = wait_until(lambda: network_picture(page), 30, 0.25)
    wait_until(lambda: (heatmap_extent(page) or 0) > first_extent, 90, 0.25)  # the heatmap grows
    wait_until(lambda: network_picture(page) not in (None, first_picture), 60, 0.25)  # the picture changes

    main.get_by_role("button", name="Stop").click()
    main.get_by_text("Stopped").first.wait_for(timeout=30_000)
    assert not errors, errors
