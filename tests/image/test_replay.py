"""Replaying a picture fit (Fig 1.7): the kept frame nearest a step, and the page's slider moving
the picture, its spectrum and the heatmap's cursor."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow as pa
import torch

from fpengine.engine.headless import run_to_end
from fpengine.image.bands import log_spectrum
from fpengine.image.experiment import IMAGE_FIT
from fpengine.image.training import replay_frame
from tests.conftest import open_app_page
from ui.common import job_manager

PAGE = "app_pages/image_fit.py"
KEY = "image-fit"


def test_replay_frame_is_the_kept_picture_nearest_the_step():
    config = IMAGE_FIT.default_config("quick")
    config = dataclasses.replace(config, long_side=16, training=dataclasses.replace(config.training, steps=46))
    snapshot = run_to_end(IMAGE_FIT, config, torch.device("cpu")).snapshot
    steps = snapshot.views["history_steps"].tolist()
    assert steps[0] == 0 and steps[-1] == 46
    step, shown = replay_frame(snapshot, steps[1] + 0.4)
    assert step == steps[1]
    picture = snapshot.views["frames"][1].astype(np.float32) / 255
    np.testing.assert_array_equal(shown.views["output"], picture)
    np.testing.assert_allclose(shown.views["output_spectrum"], log_spectrum(picture))
    assert replay_frame(snapshot, 46) == (46, snapshot)


def output_picture(at) -> tuple[str, str]:
    """(caption, url) of the network's picture."""
    for element in at.get("image"):
        for image in element.proto.imgs:
            if image.caption.startswith("Network now"):
                return image.caption, image.url
    raise AssertionError("no picture of the network's output")


def heatmap_cursor(at) -> float | None:
    for element in at.get("vega_lite_chart"):
        if "Relative error per frequency band" in element.proto.spec:
            tables = [pa.ipc.open_stream(d.data.data).read_all() for d in element.proto.datasets]
            cursors = [t.column("cursor")[0].as_py() for t in tables if "cursor" in t.column_names]
            assert json.loads(element.proto.spec)
            return cursors[0] if cursors else None
    raise AssertionError("no band heatmap")


def test_the_page_replays_the_picture(app_test):
    at = open_app_page(app_test, PAGE)
    at.select_slider(key=f"{KEY}.w.long_side@en").set_value(32).run()
    at.sidebar.number_input(key=f"{KEY}.w.steps@en").set_value(60).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    slider = at.select_slider(key=f"{KEY}.replay.step")
    assert slider.value == 60
    caption, latest = output_picture(at)
    assert "60" in caption and heatmap_cursor(at) == 61.0
    slider.set_value(0).run()
    assert not at.exception, at.exception
    caption, first = output_picture(at)
    assert "step 0" in caption and first != latest
    assert heatmap_cursor(at) == 1.0
