"""Issue 20, the page side: a shared classroom server that one visitor's link cannot freeze or fool,
and whose runs and sweeps only the browser session that started them controls (AppTest)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Status
from tests.app.test_links import notices, open_link
from ui.common import save_finished_run
from ui.run_panel import MAX_GROUP_RUNS, group_ids_of

BEYOND_PAGE = "app_pages/beyond_gd.py"


@pytest.fixture(scope="module")
def finished_beyond():
    """One short Sec 1.6 run trained to its end (saved by each test into its own runs folder)."""
    config = dataclasses.replace(BEYOND_GD.default_config(), method="bfgs", max_iterations=5)
    job = run_to_end(BEYOND_GD, config, torch.device("cpu"))
    assert job.status is Status.DONE
    return job


def test_a_links_run_ids_are_deduplicated_and_capped():
    assert group_ids_of("a1,b2,a1,a1,c3") == (["a1", "b2", "c3"], ["a1"])
    many = [f"r{i}" for i in range(40)]
    kept, dropped = group_ids_of(",".join(many))
    assert kept == many[:MAX_GROUP_RUNS] and dropped[0] == many[MAX_GROUP_RUNS]
    assert len(dropped) <= MAX_GROUP_RUNS + 1  # a huge link is not read to its end
    assert group_ids_of("x/../y,,ok1") == (["ok1"], ["x/../y"])


def test_a_link_repeating_a_saved_run_draws_it_once_and_names_the_rest(app_test, finished_beyond):
    save_finished_run(finished_beyond, figures=False)
    run_id = finished_beyond.id
    at = open_link(app_test, BEYOND_PAGE, {"mode": "compare", "runs": ",".join([run_id] * 300)})
    [loaded] = [c.value for c in at.caption if "Showing saved run" in c.value]
    assert loaded.count(run_id) == 1, loaded[:200]
    [notice] = notices(at)
    assert f"runs={run_id}" in notice
    assert at.query_params["runs"] in (run_id, [run_id])
    at.run()  # a rerun reads the capped ids and still draws the one run
    assert not at.exception
    [loaded] = [c.value for c in at.caption if "Showing saved run" in c.value]
    assert loaded.count(run_id) == 1
