"""A shared classroom server: the runs folder's retention, the FPENGINE_* settings, and pages whose
finished run the manager no longer holds in memory (it reopens from disk); and the classroom mode
for a projector (AppTest, and a real browser at 1280×720 whose screenshot is kept)."""

from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from fpengine import charts
from fpengine.charts import PRESENTATION_TEXT
from fpengine.retention import mark_app_folder, prune_runs
from fpengine.settings.config import ConfigError
from fpengine.settings.environment import env_flag, env_number
from tests.browser_helpers import FIRST_LOAD_MS, button, start_run, stop_run
from tests.cli_helpers import cli_here
from tests.conftest import ROOT, open_app_page, wait_until
from ui.common import job_manager

DAY = 86400
NOW = 1_800_000_000.0


def fake_run(root, name: str, age_days: float, megabytes: float = 0.01, now: float = NOW):
    """A run folder as the app writes it, last changed ``age_days`` before ``now``."""
    folder = root / name
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    mark_app_folder(folder)
    (folder / "snapshot.npz").write_bytes(b"\0" * int(megabytes * 1e6))
    stamp = now - age_days * DAY
    for path in (*folder.iterdir(), folder):
        os.utime(path, (stamp, stamp))
    return folder


def left(root) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def test_retention_deletes_runs_older_than_the_age_limit(tmp_path):
    for name, age in (("old", 40), ("month", 29), ("new", 1)):
        fake_run(tmp_path, name, age)
    deleted = prune_runs(tmp_path, max_age_days=30, max_mb=0, now=NOW)
    assert [path.name for path in deleted] == ["old"]
    assert left(tmp_path) == ["month", "new"]


def test_retention_deletes_the_oldest_runs_until_the_size_fits(tmp_path):
    for name, age in (("a", 4), ("b", 3), ("c", 2), ("d", 1)):
        fake_run(tmp_path, name, age, megabytes=1)
    prune_runs(tmp_path, max_age_days=0, max_mb=2.5, now=NOW)
    assert left(tmp_path) == ["c", "d"]


def test_retention_keeps_the_newest_run_and_runs_in_use(tmp_path):
    fake_run(tmp_path, "busy", 50, megabytes=1)
    fake_run(tmp_path, "older", 40, megabytes=1)
    fake_run(tmp_path, "newest", 45 / 24 / 60, megabytes=3)
    prune_runs(tmp_path, max_age_days=0.01, max_mb=1, busy=["busy"], now=NOW)  # 14 min and 1 MB
    assert left(tmp_path) == ["busy", "newest"]


def test_retention_leaves_what_is_not_a_run_folder_alone(tmp_path):
    fake_run(tmp_path, "my-notes", 90)  # not a run id
    (tmp_path / "photos").mkdir()  # no run files
    os.utime(tmp_path / "photos", (NOW - 90 * DAY,) * 2)
    (tmp_path / "readme.txt").write_text("mine")
    fake_run(tmp_path, "newest", 0)
    assert prune_runs(tmp_path, max_age_days=1, max_mb=0.001, now=NOW) == []
    assert left(tmp_path) == ["my-notes", "newest", "photos", "readme.txt"]


def test_retention_of_a_missing_folder_deletes_nothing(tmp_path):
    assert prune_runs(tmp_path / "nowhere", max_age_days=1, max_mb=1) == []


@pytest.mark.parametrize(("value", "parsed"), [("3", 3), (" 1 ", 1), ("", 12)])
def test_whole_number_settings(monkeypatch, value, parsed):
    monkeypatch.setenv("FPENGINE_TEST", value)
    assert env_number("FPENGINE_TEST", 12, minimum=1) == parsed


@pytest.mark.parametrize("value", ["abc", "2.5", "0", "-1", "1e3"])
def test_bad_whole_number_settings_name_the_variable_and_the_value(monkeypatch, value):
    monkeypatch.setenv("FPENGINE_TEST", value)
    with pytest.raises(ConfigError) as raised:
        env_number("FPENGINE_TEST", 12, minimum=1)
    assert str(raised.value) == f"FPENGINE_TEST must be a whole number in [1, ∞); got {value!r}"
    assert raised.value.message("zh") == f"FPENGINE_TEST 须为区间 [1, ∞) 内的整数；收到 {value!r}"


@pytest.mark.parametrize("value", ["inf", "nan", "-0.5", "ten"])
def test_bad_number_settings_are_refused(monkeypatch, value):
    monkeypatch.setenv("FPENGINE_TEST", value)
    with pytest.raises(ConfigError, match=r"^FPENGINE_TEST must be a number in \[0, ∞\); got "):
        env_number("FPENGINE_TEST", 30, whole=False)


def test_number_settings_take_their_minimum_and_fractions(monkeypatch):
    monkeypatch.setenv("FPENGINE_TEST", "0")
    assert env_number("FPENGINE_TEST", 30, whole=False) == 0
    monkeypatch.setenv("FPENGINE_TEST", "0.5")
    assert env_number("FPENGINE_TEST", 30, whole=False) == 0.5


def test_switches(monkeypatch):
    for value, parsed in (("1", True), ("Yes", True), ("off", False), ("0", False), ("", True)):
        monkeypatch.setenv("FPENGINE_TEST", value)
        assert env_flag("FPENGINE_TEST", True) is parsed
    monkeypatch.setenv("FPENGINE_TEST", "maybe")
    with pytest.raises(ConfigError, match=r"^FPENGINE_TEST must be 1 or 0 .*; got 'maybe'$"):
        env_flag("FPENGINE_TEST", True)


@pytest.mark.parametrize(("name", "value"), [("FPENGINE_THREADS", "two"), ("FPENGINE_FORCE_CPU", "maybe")])
def test_a_bad_setting_stops_the_cli_with_one_line(tmp_path, name, value):
    # what the CLI says, not the process (tests/app/test_cli.py runs real processes): in this one
    args = ("run", "equal-amplitude", "--out", str(tmp_path / "out"), "--steps", "5", "--quiet", "--no-figures")
    result = cli_here(*args, env={name: value})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {name} must be ")
    assert result.stderr.strip().endswith(f"; got {value!r}")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_bad_setting_shows_one_line_on_every_page_in_the_visitors_language(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_KEEP_FINISHED", "-1")
    at = app_test()
    try:
        at.run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [
            "The server is set up wrongly, so no page can run: FPENGINE_KEEP_FINISHED must be a whole number in "
            "[0, 200]; got '-1'. Whoever runs the server must fix this environment variable and restart it."
        ]
        assert not at.button  # no page ran
        at.sidebar.radio(key="lang").set_value("zh").run()
        assert "FPENGINE_KEEP_FINISHED 须为区间 [0, 200] 内的整数；收到 '-1'" in at.error[0].value
    finally:
        monkeypatch.delenv("FPENGINE_KEEP_FINISHED")  # the fixture's teardown starts a manager


def test_the_runs_folder_is_pruned_at_start(app_test, runs_dir, monkeypatch):
    monkeypatch.setenv("FPENGINE_RUNS_MAX_AGE_DAYS", "30")
    fake_run(runs_dir, "0123456789", 31, now=time.time())
    fake_run(runs_dir, "abcdef0123", 29, now=time.time())
    fake_run(runs_dir, "fedcba9876", 1, now=time.time())
    at = app_test()
    at.run()
    assert not at.exception
    assert left(runs_dir) == ["abcdef0123", "fedcba9876"]


def short_run(at, key: str = "equal-amplitude"):
    at.sidebar.number_input(key=f"{key}.w.steps@en").set_value(40).run()
    at.button(key=f"{key}.start").click().run()


def test_an_evicted_run_is_shown_from_disk_to_the_session_that_started_it(app_test, runs_dir, monkeypatch):
    monkeypatch.setenv("FPENGINE_KEEP_FINISHED", "0")  # dropped from memory as soon as it is saved
    monkeypatch.setenv("FPENGINE_RUNS_MAX_MB", "0.000001")  # every save prunes the older runs
    fake_run(runs_dir, "0123456789", 0.001, now=time.time())
    at = open_app_page(app_test, "app_pages/equal_amplitude.py")
    short_run(at)
    run = at.query_params["run"]
    run_id = run[0] if isinstance(run, list) else run
    # a 40-step run can be saved and dropped from memory before the test looks: wait for that, not for the job
    wait_until(lambda: job_manager().get(run_id) is None and (runs_dir / run_id / "summary.json").exists(), timeout=60)
    assert left(runs_dir) == [run_id]  # the older run went, the newest stays though it is over the size
    at.query_params.pop("run")  # as after a visit to another page: only the session knows the run
    at.run()
    assert not at.exception, at.exception
    assert any(f"saved run {run_id}" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) >= 5
    assert at.query_params["run"] in (run_id, [run_id])
    assert not at.button(key="equal-amplitude.reset").disabled


def test_a_comparison_partly_evicted_is_shown_whole_from_disk(app_test, monkeypatch):
    monkeypatch.setenv("FPENGINE_KEEP_FINISHED", "1")
    at = open_app_page(app_test, "app_pages/beyond_gd.py")
    at.sidebar.radio(key="beyond-gd.w.mode@en").set_value("compare").run()
    at.sidebar.multiselect(key="beyond-gd.w.optimizers@en").set_value(["cg", "lbfgs"]).run()
    at.button(key="beyond-gd.group.start").click().run()
    jobs = job_manager().jobs()
    assert len(jobs) == 2 and all(job.wait(120) for job in jobs)
    assert [job_manager().get(job.id) for job in jobs] == [None, jobs[1]]  # the older one left memory
    at.run()
    assert not at.exception, at.exception
    heatmaps = [spec for spec in (json.loads(el.proto.spec) for el in at.get("vega_lite_chart")) if "Relative error" in json.dumps(spec)]
    assert len(heatmaps) == 2
    assert any(f"saved run {jobs[0].id}, {jobs[1].id}" in c.value for c in at.caption)


# --- classroom mode ---------------------------------------------------------------------------------


def chart_configs(at) -> list[dict]:
    return [json.loads(el.proto.spec).get("config", {}) for el in at.get("vega_lite_chart")]


def test_presentation_enlarges_the_text_and_shares_the_data():
    chart = charts.loss_chart(np.arange(1, 50), np.linspace(1, 0.1, 49), "en")
    spec = chart.to_dict(validate=False)
    spec["config"] = {**spec.get("config", {}), "axis": {"labelFontSize": 9, "grid": False}}
    shown = charts.presentation(spec)
    assert shown["config"]["axis"] == {"labelFontSize": PRESENTATION_TEXT["axis"]["labelFontSize"], "titleFontSize": 18, "grid": False}
    assert shown["config"]["title"]["fontSize"] > 13 and shown["config"]["view"] == spec["config"]["view"]
    assert shown["datasets"] is spec["datasets"] and spec["config"]["axis"]["labelFontSize"] == 9  # nothing copied or changed


def test_classroom_mode_from_a_link_folds_the_settings_and_enlarges_the_charts(app_test):
    at = app_test()
    at.query_params.update(lang="en", classroom="1")
    at.run()
    at.switch_page("app_pages/sine_fit.py").run()
    assert not at.exception, at.exception
    assert at.sidebar.toggle(key="classroom").value is True and at.query_params["classroom"] == "1"
    [settings] = [e for e in at.expander if e.label == "Settings"]
    assert any(h.value == "Target designer" for h in settings.subheader)  # folded away
    assert "sin(x) + sin(5x)" in at.markdown[0].value  # what to look for stays on show
    assert {"Start", "Pause", "Stop"} <= {b.label for b in at.button}
    sizes = [config.get("axis", {}).get("labelFontSize") for config in chart_configs(at)]
    assert sizes and all(size == PRESENTATION_TEXT["axis"]["labelFontSize"] for size in sizes)

    at.sidebar.toggle(key="classroom").set_value(False).run()
    assert "classroom" not in at.query_params and not [e for e in at.expander if e.label == "Settings"]
    assert all("labelFontSize" not in config.get("axis", {}) for config in chart_configs(at))


def test_classroom_mode_shows_result_tables_as_plain_tables(app_test):
    """The interactive grid draws on a canvas that no style enlarges: classroom mode shows plain tables."""
    at = app_test()
    at.query_params.update(lang="en", classroom="1", steps="30", widths="8")
    at.run()
    at.switch_page("app_pages/sine_fit.py").run()
    at.button(key="sine-fit.start").click().run()
    (job,) = job_manager().jobs()
    assert job.wait(60)
    at.run()
    assert not at.exception, at.exception
    [table] = at.table
    assert "converged at step" in table.value.columns and not at.dataframe
    at.sidebar.toggle(key="classroom").set_value(False).run()
    assert not at.table and "converged at step" in at.dataframe[0].value.columns


def font_sizes(chart) -> list[float]:
    sizes = chart.locator("svg text").evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    return sorted(sizes)


def live_output_chart(page):
    """The live "Network output" chart, once the run has drawn it."""
    chart = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Network output").first
    chart.wait_for(timeout=60_000)
    return chart


def in_view(locator, height: int) -> bool:
    box = locator.bounding_box()
    return box is not None and locator.is_visible() and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_classroom_mode_reads_from_the_back_of_a_room_at_1280x720(context, streamlit_server, tmp_path):
    """A projector's 1280×720: the sidebar folds away, the charts are wider and their text larger
    than in the normal view, so is the page's own text (the explanation, a button's label), and
    the explanation and Start / Pause / Stop show without scrolling.
    The screenshot is kept (its path is printed; also test-results/classroom-1280x720.png)."""
    measured = {}
    for mode, query in (("normal", ""), ("classroom", "&classroom=1")):
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{streamlit_server}/sine-fit?lang=en&steps=200000{query}")
        page.get_by_role("heading", name="Fig 1.3 · Fitting sin(x) + sin(5x)").wait_for(timeout=FIRST_LOAD_MS)
        expect(button(page, "Start")).to_be_enabled(timeout=FIRST_LOAD_MS)
        if mode == "classroom":
            assert page.get_by_test_id("stSidebar").bounding_box()["width"] < 10  # folded away
            assert not page.get_by_role("heading", name="Target designer").is_visible()
            assert in_view(page.get_by_text("Watch the snapshots"), 720)
            assert all(in_view(button(page, name), 720) for name in ("Start", "Pause", "Stop"))
        text_sizes = [page.get_by_text("Watch the snapshots"), button(page, "Start").locator("p")]
        measured[f"{mode} text"] = [float(item.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) for item in text_sizes]
        start_run(page)
        chart = live_output_chart(page)
        wait_until(lambda chart=chart: len(font_sizes(chart)) > 5, 30, 0.25)
        sizes = font_sizes(chart)
        measured[mode] = (chart.bounding_box()["width"], sizes[len(sizes) // 2])
        if mode == "classroom":
            shot = tmp_path / "classroom-1280x720.png"
            page.screenshot(path=str(shot))
            kept = ROOT / "test-results" / shot.name
            kept.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, kept)
            print(f"classroom screenshot: {shot} (and {kept})")
            assert all(button(page, name).is_visible() for name in ("Start", "Pause", "Stop"))
            # the convergence table, a plain table here, reads as large as the text; paused, the run is
            # drawn whole at once (training, the table comes with the secondary views, every 10 s)
            button(page, "Pause").click()
            cell = page.get_by_test_id("stTable").locator("td").first
            cell.wait_for(timeout=30_000)
            assert float(cell.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 1.2 * 16
        stop_run(page)
        page.close()
    (normal_width, normal_font), (wide, large) = measured["normal"], measured["classroom"]
    print(f"output chart {normal_width:.0f} → {wide:.0f} px wide, median text {normal_font:.0f} → {large:.0f} px")
    assert wide > normal_width * 1.2 and large > normal_font * 1.2
    print(f"explanation and Start button text {measured['normal text']} → {measured['classroom text']} px")
    assert all(big > small * 1.2 for small, big in zip(measured["normal text"], measured["classroom text"], strict=True))
