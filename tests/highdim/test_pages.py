"""AppTest: the projection (Fig 1.10) and filtering (Fig 1.12) pages — every control, live runs on
the offline MNIST, bad input, downloads and the architecture comparison."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fpengine.engine.runner import Status
from fpengine.highdim import datasets
from fpengine.highdim.datasets import RemoteFile
from fpengine.i18n import t
from tests.app.test_links import link_params, notices, open_link, shared_link
from tests.conftest import wait_until
from tests.highdim.offline import closed_port_url
from ui.common import job_manager
from ui.filtering import TAB_KEY

PAGES = {"projection": "app_pages/projection.py", "filtering": "app_pages/filtering.py"}


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch, tmp_path: Path) -> Path:
    """No downloaded dataset is cached, and nothing can be downloaded."""
    monkeypatch.setenv("FPENGINE_CACHE_DIR", str(tmp_path / "cache"))
    offline = closed_port_url()
    for name, remotes in list(datasets.REMOTE_SOURCES.items()):
        monkeypatch.setitem(datasets.REMOTE_SOURCES, name, tuple(RemoteFile(r.name, r.sha256, (offline + r.name,)) for r in remotes))
    return tmp_path / "cache"


def open_page(app_test, name: str, lang: str = "en", settings: dict | None = None) -> AppTest:
    """The page after one run. ``settings`` (field → value) are put in place before it runs: AppTest
    cannot re-run a page whose option labels are translated into Chinese, so Chinese checks use this."""
    at = app_test()
    at.query_params["lang"] = lang
    at.run()
    for field, value in (settings or {}).items():
        at.session_state[f"{name}.w.{field}"] = value
    at.switch_page(PAGES[name]).run()
    assert not at.exception, at.exception
    return at


def setting(at: AppTest, page: str, kind: str, field: str, lang: str = "en"):
    return getattr(at.sidebar, kind)(key=f"{page}.w.{field}@{lang}")


def small(at: AppTest, page: str, n_train: int = 100, epochs: int = 1) -> None:
    setting(at, page, "number_input", "n_train").set_value(n_train).run()
    setting(at, page, "number_input", "n_test").set_value(50).run()
    setting(at, page, "number_input", "epochs").set_value(epochs).run()


def only_job():
    jobs = job_manager().jobs()
    assert len(jobs) == 1
    return jobs[0]


def specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def texts(at: AppTest) -> str:
    return " ".join(str(el.value) for kind in ("markdown", "caption", "info", "warning", "error") for el in getattr(at, kind))


def heatmap_specs(at: AppTest) -> list[dict]:
    return [s for s in specs(at) if "mark_rect" in json.dumps(s) or '"rect"' in json.dumps(s)]


def start_and_finish(at: AppTest, page: str):
    at.button(key=f"{page}.start").click().run()
    job = only_job()
    assert job.wait(120) and job.status is Status.DONE, job.message
    at.run()
    assert not at.exception, at.exception
    return job


# --- projection ----------------------------------------------------------------------------------


def test_projection_page_in_both_languages(app_test):
    at = open_page(app_test, "projection")
    assert "Projection method" in at.title[0].value
    assert {"Start", "Pause", "Stop", "Reset"} <= {b.label for b in at.button}
    assert not at.button(key="projection.start").disabled
    assert len(specs(at)) == 1  # the label spectrum before training
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert "投影法" in at.title[0].value and "第一主方向" in texts(at)


def test_every_projection_setting_reaches_the_run(app_test):
    at = open_page(app_test, "projection")
    small(at, "projection", n_train=120)
    for kind, field, value in [
        ("selectbox", "model", "dnn"),
        ("selectbox", "activation", "relu"),
        ("text_input", "widths", "64,32"),
        ("selectbox", "optimizer", "momentum"),
        ("number_input", "lr", 1e-3),
        ("number_input", "momentum", 0.8),
        ("number_input", "batch_size", 20),
        ("number_input", "evaluations", 2),
        ("checkbox", "shuffle", True),
        ("number_input", "seed", 3),
        ("selectbox", "component", "norm"),
        ("number_input", "n_frequencies", 60),
        ("checkbox", "auto_range", False),
        ("number_input", "k_max", 0.4),
        ("number_input", "max_peaks", 3),
        ("text_input", "frequencies", "0, 0.05"),
        ("number_input", "epsilon", 0.2),
    ]:
        setting(at, "projection", kind, field).set_value(value).run()
        assert not at.exception, (field, at.exception)
    job = start_and_finish(at, "projection")
    config = job.config
    network, training, spectrum = config.network, config.training, config.spectrum
    assert (config.n_train, config.n_test, training.epochs) == (120, 50, 1)
    assert (network.activation, network.widths) == ("relu", (64, 32))
    assert (training.optimizer, training.lr, training.momentum) == ("momentum", 1e-3, 0.8)
    assert (training.batch_size, training.evaluations_per_epoch, training.shuffle, config.seed) == (20, 2, True, 3)
    assert spectrum.component is None and spectrum.n_frequencies == 60 and spectrum.k_max == pytest.approx(0.4)
    assert spectrum.max_peaks == 3 and spectrum.frequencies == (0.0, 0.05) and spectrum.epsilon == pytest.approx(0.2)
    assert job.snapshot.traces["delta_f"].values == (0.0, 0.05)


def test_projection_run_views_and_view_options(app_test):
    at = open_page(app_test, "projection")
    small(at, "projection", n_train=150, epochs=2)
    start_and_finish(at, "projection")
    titles = json.dumps(specs(at))
    assert "first principal direction" in titles and "accuracy" in titles and "cross-entropy" in titles
    heatmap = heatmap_specs(at)[0]
    text = json.dumps(heatmap)
    assert '"domain": [0.1, 0.5]' in text and '"type": "log"' in text and '"scheme": "redblue"' in text
    at.toggle(key="projection.chapter_range@en").set_value(False).run()
    at.toggle(key="projection.log_steps@en").set_value(False).run()
    at.selectbox(key="projection.scheme@en").set_value("yellowgreenblue").run()
    text = json.dumps(heatmap_specs(at)[0])
    assert '"domain": [0.1, 1.0]' in text and '"type": "log"' not in text and "yellowgreenblue" in text
    rows = at.multiselect[0]
    assert rows.value and rows.value[0] == 0
    rows.set_value([]).run()
    assert "Pick at least one frequency" in texts(at) and not heatmap_specs(at)
    assert at.get("download_button")


def test_heatmap_rows_travel_in_a_link(app_test):
    """A teacher picks the heatmap's rows and shares the link: its visitor sees those rows, on the
    teacher's run (``?run=…&rows=…``) or on the run they start from the setup link; a frequency
    that is no peak of the run is named in the link's notice."""
    setup = {"n_train": "150", "n_test": "50", "epochs": "2"}
    teacher = open_link(app_test, PAGES["projection"], setup)
    job = start_and_finish(teacher, "projection")
    views = job.snapshot.views
    automatic = [int(k) for k in views["selected"]]
    row = int(max(np.union1d(views["peaks"], views["selected"])))
    assert teacher.multiselect[0].value == automatic != [row]
    teacher.multiselect[0].set_value([row]).run()
    text = f"{views['frequencies'][row]:.4g}"
    assert teacher.query_params["rows"] == text and link_params(shared_link(teacher))["rows"] == text

    student = open_link(app_test, PAGES["projection"], {"run": job.id, "rows": text})
    assert student.multiselect[0].value == [row] and not notices(student)

    student = open_link(app_test, PAGES["projection"], {**setup, "rows": text})  # no run yet: the rows wait for one
    assert student.query_params["rows"] == text
    student.button(key="projection.start").click().run()
    [started] = [other for other in job_manager().jobs() if other.id != job.id]
    assert started.wait(120)
    student.run()
    assert student.multiselect[0].value == [row] and student.query_params["rows"] == text

    partly = open_link(app_test, PAGES["projection"], {"run": job.id, "rows": f"{text},12345"})
    assert partly.multiselect[0].value == [row] and notices(partly) == [notices(partly)[0]]
    assert "rows=12345" in notices(partly)[0] and partly.query_params["rows"] == text
    for wrong in ("12345", "abc"):
        ignored = open_link(app_test, PAGES["projection"], {"run": job.id, "rows": wrong})
        [notice] = notices(ignored)
        assert f"rows={wrong}" in notice
        assert ignored.multiselect[0].value == automatic and "rows" not in ignored.query_params


def test_projection_pause_resume_stop_reset(app_test):
    at = open_page(app_test, "projection")
    small(at, "projection", n_train=200, epochs=500)
    at.button(key="projection.start").click().run()
    job = only_job()
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 0)
    at.button(key="projection.pause").click().run()
    wait_until(lambda: job.status is Status.PAUSED)
    at.button(key="projection.resume").click().run()
    wait_until(lambda: job.status is Status.RUNNING)
    at.button(key="projection.stop").click().run()
    assert job.wait(10) and job.status is Status.STOPPED
    at.button(key="projection.reset").click().run()
    assert not at.exception and "Ready" in texts(at)


def test_projection_bad_input_is_explained_not_raised(app_test):
    at = open_page(app_test, "projection")
    setting(at, "projection", "selectbox", "dataset").set_value("digits").run()
    assert "n_train must be a whole number in [10, 1,500]; got 2000" in texts(at)  # 2000 > the 1500 digits
    assert at.button(key="projection.start").disabled
    setting(at, "projection", "number_input", "n_train").set_value(1000).run()
    assert not at.button(key="projection.start").disabled
    chinese = open_page(app_test, "projection", lang="zh", settings={"dataset": "digits", "n_train": 1000})
    assert "噪声大" in texts(chinese)  # digits are noisy for this method, said in the visitor's language
    refused = open_page(app_test, "projection", lang="zh", settings={"dataset": "digits", "n_train": 2000})
    assert "n_train 须为区间 [10, 1,500] 内的整数；收到 2000" in texts(refused)


def test_projection_unparsable_frequencies_in_chinese(app_test):
    at = open_page(app_test, "projection", lang="zh", settings={"frequencies": "0, abc"})
    assert "请修改此设置" in texts(at)
    assert at.button(key="projection.start").disabled


def test_download_notice_and_offline_fallback(app_test):
    at = open_page(app_test, "projection")
    setting(at, "projection", "selectbox", "dataset").set_value("cifar10").run()
    assert "downloads it once (≈170 MB)" in texts(at)
    setting(at, "projection", "selectbox", "model").set_value("cnn").run()
    assert "slow on a CPU" in texts(at)
    setting(at, "projection", "number_input", "n_train").set_value(100).run()
    at.button(key="projection.start").click().run()
    job = only_job()
    assert job.wait(30) and job.status is Status.FAILED
    at.run()
    assert "could not be downloaded" in texts(at) and "5000 samples" in texts(at)


def test_preset_switch_resets_the_settings(app_test):
    at = open_page(app_test, "projection")
    at.sidebar.selectbox(key="projection.preset@en").set_value("book").run()
    assert setting(at, "projection", "selectbox", "dataset").value == "cifar10"
    assert setting(at, "projection", "selectbox", "model").value == "cnn"
    assert setting(at, "projection", "number_input", "epochs").value == 100


# --- filtering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "expected"), [("chapter", (3.0, 7.0, 10.0)), ("notebook", 20), ("custom", (5.0, 50.0))])
def test_filtering_delta_modes(app_test, mode, expected):
    at = open_page(app_test, "filtering")
    small(at, "filtering")
    setting(at, "filtering", "radio", "delta_mode").set_value(mode).run()
    if mode == "custom":
        setting(at, "filtering", "text_input", "custom_deltas").set_value("5, 50").run()
    job = start_and_finish(at, "filtering")
    deltas = job.config.deltas
    assert (len(deltas) == expected) if isinstance(expected, int) else deltas == expected
    assert len([s for s in heatmap_specs(at)]) == len(deltas)


def test_filtering_scaled_run_shows_curves_heatmaps_and_table(app_test):
    at = open_page(app_test, "filtering")
    small(at, "filtering", n_train=150, epochs=2)
    setting(at, "filtering", "text_input", "multiples").set_value("0.01,1,100").run()
    setting(at, "filtering", "number_input", "epsilon").set_value(0.3).run()
    job = start_and_finish(at, "filtering")
    assert job.config.delta_multiples == (0.01, 1.0, 100.0) and job.config.epsilon == pytest.approx(0.3)
    text = texts(at)
    assert "Median nearest-neighbour squared distance" in text
    assert "far below the neighbour scale" in text and "far above the neighbour scale" in text
    assert "First epoch below ε = 0.3" in text
    assert len(heatmap_specs(at)) == 3
    assert any("e_low (solid)" in json.dumps(s) for s in specs(at))


def test_filtering_bad_deltas_are_explained(app_test):
    at = open_page(app_test, "filtering")
    setting(at, "filtering", "radio", "delta_mode").set_value("custom").run()
    setting(at, "filtering", "text_input", "custom_deltas").set_value("3,-1").run()
    refusal = "deltas must be a list of at most 20 numbers in [1e-06, 1,000,000], none repeated; got 3, -1"
    assert refusal in texts(at) and at.button(key="filtering.start").disabled
    for typo in ("three", "3,,7", "3,nan"):  # refused as the command line refuses them, not read as 3,7 or run on
        setting(at, "filtering", "text_input", "custom_deltas").set_value(typo).run()
        assert f"'{typo}'" in texts(at) and at.button(key="filtering.start").disabled  # the text as typed


def button_keys(at) -> set[str]:
    return {button.key for button in at.button}


def test_filtering_compares_the_three_architectures(app_test):
    at = open_page(app_test, "filtering")
    small(at, "filtering", n_train=20)
    setting(at, "filtering", "number_input", "batch_size").set_value(10).run()
    assert "filtering.group.start" not in button_keys(at)  # only the tab on show is drawn
    at.session_state[TAB_KEY] = t("highdim.tab_compare", "en")  # the visitor opens the comparison's tab
    at.run()
    assert "filtering.start" not in button_keys(at) and "filtering.group.start" in button_keys(at)
    at.number_input(key="filtering.compare_delta@en").set_value(2).run()
    at.button(key="filtering.group.start").click().run()
    jobs = job_manager().jobs()
    assert sorted(job.config.network.model for job in jobs) == ["cnn", "dnn", "vgg16"]
    for job in jobs:
        assert job.wait(120) and job.status is Status.DONE, job.message
    at.run()
    assert not at.exception, at.exception
    text = texts(at)
    assert "VGG16" in text and "CNN" in text and text.count("Accuracy: train") == 3
    third_delta = f"δ = {jobs[0].snapshot.traces['e_low'].values[2]:.3g}"
    heatmaps = heatmap_specs(at)  # the single-run tab is idle: one heatmap per architecture, of the chosen δ
    assert len(heatmaps) == 3 and all(third_delta in json.dumps(h, ensure_ascii=False) for h in heatmaps)
    at.button(key="filtering.group.reset").click().run()
    assert not at.exception


def test_download_progress_view():
    def script():
        import numpy as np

        from fpengine.engine.runner import Snapshot
        from ui.highdim import download_in_progress

        snapshot = Snapshot(
            0,
            10,
            1.0,
            0.0,
            {"step": np.zeros(0, dtype=int)},
            {},
            {"download_file": "cifar-10-python.tar.gz", "download_bytes": 50_000_000, "download_total": 170_000_000},
        )
        assert download_in_progress(snapshot)

    at = AppTest.from_function(script).run()
    assert not at.exception
    bar = at.get("progress")[0]
    assert "Downloading cifar-10-python.tar.gz: 50.0 of 170.0 MB" in bar.proto.text
    assert bar.proto.value == 29


def test_a_run_in_the_tab_not_on_show_stays_watched(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_LEASE_SECONDS", "2")  # a run nobody watches for 2 s is stopped as abandoned
    at = open_page(app_test, "filtering")
    small(at, "filtering", n_train=20, epochs=5000)  # trains past the 6 s below on a fast quiet box
    setting(at, "filtering", "number_input", "batch_size").set_value(10).run()
    at.button(key="filtering.start").click().run()
    job = only_job()
    at.session_state[TAB_KEY] = t("highdim.tab_compare", "en")  # the visitor turns to the comparison
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:  # the page stays open: its fragments run now and then
        at.run()
        time.sleep(0.5)
    assert job.status.active, f"the hidden tab's run ended: {job.status} {job.message}"
    at.session_state[TAB_KEY] = t("highdim.tab_single", "en")
    at.run()
    at.button(key="filtering.stop").click().run()
    assert job.wait(30) and job.status is Status.STOPPED


def test_the_comparison_tab_stays_on_show_when_the_language_changes(app_test):
    at = open_page(app_test, "filtering")
    at.session_state[TAB_KEY] = t("highdim.tab_compare", "en")  # the visitor opens the comparison's tab
    at.run()
    assert "filtering.group.start" in button_keys(at)
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception, at.exception
    assert "filtering.group.start" in button_keys(at) and "filtering.start" not in button_keys(at)
    assert at.session_state[TAB_KEY] == t("highdim.tab_compare", "zh")
