"""Each experiment's views are declared once (names and types, ``engine.views``): every view a run
publishes is declared, the replay's steps have one name everywhere, and a run saved under an old
name (Fig 1.7's ``frame_steps``) still reads, and is still written under it for older readers."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from types import MappingProxyType

import numpy as np

from fpengine.engine.runner import Snapshot
from fpengine.engine.views import Views, renamed
from fpengine.export import load_snapshot, save_snapshot
from fpengine.image.views import ImageViews
from fpengine.registry import EXPERIMENTS
from fpengine.replay import STEPS, ReplayViews, replay_steps
from tests.conftest import ROOT


def test_a_declaration_names_each_view_once_with_its_type():
    assert ImageViews.frames == "frames" and ImageViews.frames.kind == "np.ndarray"
    assert ImageViews.history_steps == ReplayViews.history_steps == STEPS == "history_steps"
    assert set(ImageViews.declared()) >= {"history_steps", "frames", "target"}
    assert ImageViews.aliases() == {"frame_steps": "history_steps"}
    assert ImageViews.undeclared({"frames": 1, "nope": 2}) == ["nope"]
    # a snapshot keyed by declared names crosses a process boundary (a sweep worker's) as plain strings
    assert type(pickle.loads(pickle.dumps({ImageViews.frames: 1})).popitem()[0]) is str


def test_every_experiment_declares_its_views_and_every_replay_uses_one_steps_name():
    for name, experiment in EXPERIMENTS.items():
        assert experiment.views is not Views, f"{name} declares no views"
        assert issubclass(experiment.views, ReplayViews), name


def snapshot_with(views: dict) -> Snapshot:
    return Snapshot(4, 4, 1.0, 4.0, MappingProxyType({"step": np.arange(5)}), MappingProxyType({}), MappingProxyType(views))


def test_an_old_saved_run_reads_under_the_new_name_and_a_new_one_keeps_the_old_for_old_readers(tmp_path):
    steps = np.array([0, 2, 4])
    save_snapshot(tmp_path, snapshot_with({"frame_steps": steps}))  # as Fig 1.7's runs were saved
    old = load_snapshot(tmp_path, ImageViews.aliases())
    np.testing.assert_array_equal(old.views["history_steps"], steps)
    assert "frame_steps" not in old.views
    assert replay_steps(old).tolist() == [0, 2, 4]
    save_snapshot(tmp_path, snapshot_with({"history_steps": steps}), ImageViews.aliases())
    with np.load(tmp_path / "snapshot.npz") as saved:
        np.testing.assert_array_equal(saved["views/frame_steps"], steps)
        np.testing.assert_array_equal(saved["views/history_steps"], steps)
    assert renamed({"frame_steps": 1, "history_steps": 2}, ImageViews.aliases()) == {"history_steps": 2}


VIEW_LITERAL = re.compile(r"""views(?:\[|\.get\()\s*["'][a-z_]+["']""")


def test_the_engine_ui_and_pages_read_views_by_their_declared_names():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*ROOT.glob("fpengine/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py")]
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
        if VIEW_LITERAL.search(line)
    ]
    assert not found, found
