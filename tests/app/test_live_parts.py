"""A training run's page is drawn in two parts, each in its own fragment at its own pace
(``ui.run_panel.Part``): the key views — the learning, what a projector shows first — and the rest.
Every Vega-Lite chart a fragment sends again costs the browser about as much as a new one, so a chart
drawn in the wrong part is either sent at the key views' pace for nothing or missing from a view.
Each page's render must draw exactly its part, and the two parts together what it draws whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from streamlit.testing.v1 import AppTest

from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Snapshot, Status
from fpengine.registry import EXPERIMENTS
from tests.app.test_battery import small_config

KEY_VIEWS = {
    "sine-fit": {"charts": ["Network output vs target", "Relative error ΔF(k)"], "images": []},
    "image-fit": {"charts": ["Relative error per frequency band"], "images": ["target", "Network now"]},
}
"""Each split page's key views, by chart title and picture caption (their starts)."""


def draw(name, snapshot, config, part_name) -> None:
    """The page's render of one part of a training run (an AppTest script: imports inside)."""
    from fpengine.registry import EXPERIMENTS
    from ui.run_panel import Part

    part = Part[part_name]
    if name == "image-fit":
        from ui.image_fit import render

        render(snapshot, config, False, "redblue", part)
    else:
        from ui.oned_page import render_oned

        render_oned(EXPERIMENTS[name], snapshot, config, part, log_steps=False, scheme="redblue")


def drawn(name: str, snapshot: Snapshot, config: Any, part: str) -> dict[str, list[str]]:
    """Titles of the charts and captions of the pictures one part draws (the replay's "showing"
    caption aside: a run drawn whole here has no job, so it replays)."""
    at = AppTest.from_function(draw, args=(name, snapshot, config, part), default_timeout=60).run()
    assert not at.exception, at.exception
    charts = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        title = spec.get("title") or next((layer.get("title") for layer in spec.get("layer", ()) if layer.get("title")), None)
        title = title.get("text") if isinstance(title, dict) else title
        charts.append(str(title or [c.get("title") for c in spec.get("hconcat", spec.get("concat", ()))]))
    images = [caption for element in at.get("image") for caption in element.captions]
    tables = len(at.get("dataframe")) + len(at.get("table"))
    return {"charts": charts, "images": images, "tables": [str(tables)]}


@pytest.fixture(scope="module", params=list(KEY_VIEWS))
def run(request) -> tuple[str, Any, Snapshot]:
    name = request.param
    config = small_config(name)
    job = run_to_end(EXPERIMENTS[name], config, torch.device("cpu"))
    assert job.status is Status.DONE
    return name, config, job.snapshot


def starts(found: list[str], wanted: list[str]) -> list[str]:
    """The wanted titles that no found one starts with."""
    return [w for w in wanted if not any(f.startswith(w) for f in found)]


def test_the_key_part_draws_the_key_views_and_nothing_else(run):
    name, config, snapshot = run
    key = drawn(name, snapshot, config, "KEY")
    for kind in ("charts", "images"):
        assert not starts(key[kind], KEY_VIEWS[name][kind]), (kind, key[kind])
    assert len(key["charts"]) == len(KEY_VIEWS[name]["charts"]), key["charts"]  # no secondary chart at the key views' pace
    assert key["tables"] == ["0"]


def test_the_rest_draws_what_the_key_part_does_not_and_together_they_draw_the_whole(run):
    name, config, snapshot = run
    key, more, whole = (drawn(name, snapshot, config, part) for part in ("KEY", "MORE", "ALL"))
    assert more["charts"], "the rest draws charts"
    assert starts(more["charts"], KEY_VIEWS[name]["charts"]) == KEY_VIEWS[name]["charts"], more["charts"]  # no key chart twice
    assert sorted(key["charts"] + more["charts"]) == sorted(whole["charts"])
    assert sorted(key["images"] + more["images"]) == sorted(whole["images"])
    assert more["tables"] == whole["tables"] != ["0"]


def record_run_panel_fragments(monkeypatch) -> list[tuple[str, float | None]]:
    """The run panel's fragments as the page's runs declare them, (function name, run_every), in
    order; each one runs at once, once (as in AppTest, where no timer reruns it)."""
    import streamlit as st

    from ui import run_panel

    fragments: list[tuple[str, float | None]] = []

    def fragment(*, run_every=None):
        def wrap(function):
            if function.__module__ == run_panel.__name__:  # the run panel's (a replay has its own)
                fragments.append((function.__name__, run_every))
            return function

        return wrap

    monkeypatch.setattr(st, "fragment", fragment)
    return fragments


def test_a_training_run_has_a_fragment_per_part_and_a_paused_one_is_drawn_whole(app_test, monkeypatch):
    """While a run trains its page has two fragments, the key views' (``REFRESH_SECONDS``) and the
    rest's (``MORE_REFRESH_SECONDS``), each drawing its part; paused, one fragment draws it whole."""
    from tests.conftest import open_app_page, wait_until
    from ui import oned_page, run_panel
    from ui.common import job_manager

    fragments = record_run_panel_fragments(monkeypatch)
    parts: list[Any] = []
    render = oned_page.render_oned
    monkeypatch.setattr(oned_page, "render_oned", lambda *args, **kwargs: (parts.append(args[3]), render(*args, **kwargs)))
    at = open_app_page(app_test, "app_pages/equal_amplitude.py")
    at.query_params["steps"] = "100000"
    at.run()
    at.button(key="equal-amplitude.start").click().run()
    (job,) = job_manager().jobs()
    wait_until(lambda: job.snapshot is not None)
    fragments.clear(), parts.clear()
    at.run()
    assert fragments == [("_live", run_panel.REFRESH_SECONDS), ("_live_more", run_panel.MORE_REFRESH_SECONDS)]
    assert parts == [run_panel.Part.KEY, run_panel.Part.MORE]
    at.button(key="equal-amplitude.pause").click().run()
    fragments.clear(), parts.clear()
    at.run()
    assert fragments == [("_live", run_panel.PAUSED_REFRESH_SECONDS)]
    assert parts == [run_panel.Part.ALL]
    at.button(key="equal-amplitude.stop").click().run()
    assert not at.exception
