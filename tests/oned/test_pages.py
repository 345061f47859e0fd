"""AppTest: the home page and the three 1-D pages, in both languages."""

import json
import threading

import pyarrow as pa
import pytest

from fpengine.engine.runner import Status
from fpengine.readout.settings import GridConfig, SpectrumConfig
from fpengine.readout.targets import TargetConfig
from fpengine.retention import APP_MARKER
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.schema import SEED, rule_of
from tests.conftest import open_app_page, wait_until
from ui.common import job_manager

PAGES = {
    "sine-fit": "app_pages/sine_fit.py",
    "staircase": "app_pages/staircase.py",
    "equal-amplitude": "app_pages/equal_amplitude.py",
}


def open_page(app_test, name: str, lang: str = "en"):
    return open_app_page(app_test, PAGES[name], lang)


def only_job():
    jobs = job_manager().jobs()
    assert len(jobs) == 1
    return jobs[0]


def chart_specs(at):
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_home_page_in_both_languages(app_test):
    at = app_test()
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Frequency Principle" in text and "Fig 1.6" in text
    at.sidebar.radio(key="lang").set_value("zh").run()
    text = " ".join(m.value for m in at.markdown)
    assert "频率原则" in text and "图 1.6" in text
    assert any("计算设备" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_preview_and_controls(app_test, name):
    at = open_page(app_test, name)
    labels = [b.label for b in at.button]
    assert {"Start", "Pause", "Stop", "Reset"} <= set(labels)
    assert not at.button(key=f"{name}.start").disabled
    specs = chart_specs(at)
    assert len(specs) == 2  # target preview and its spectrum
    assert at.multiselect[0].value  # tracked peaks chosen automatically


def test_staircase_offers_side_lobes_but_tracks_harmonics(app_test):
    at = open_page(app_test, "staircase")
    peaks = at.multiselect[0]
    assert peaks.value == [3, 16, 22]
    assert 11 in peaks.options or "11 (side-lobe)" in peaks.options


def test_start_trains_in_the_background_and_shows_live_views(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(400).run()
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    assert at.query_params["run"] == [job.id] or at.query_params["run"] == job.id
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 20)
    at.run()
    assert not at.exception
    assert any("Relative error" in json.dumps(spec, ensure_ascii=False) for spec in chart_specs(at))
    assert at.get("progress")
    job.wait(120)
    at.run()
    assert any(b.label == "Download results (.zip)" for b in at.get("download_button"))


RUN_VIEWS = ("Relative error", "Training loss")
"""A Fig 1.6 run's key view and one of the rest, by chart title."""


def views_drawn(at) -> list[str]:
    return [view for view in RUN_VIEWS if any(view in json.dumps(spec, ensure_ascii=False) for spec in chart_specs(at))]


def start_long_run(at):
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(100_000).run()
    at.button(key="equal-amplitude.start").click().run()
    return only_job()


def test_the_page_run_that_pressed_start_leaves_the_views_to_the_first_tick(app_test, monkeypatch):
    """Even when the run has published before the Start click's page run reaches its views (a race a
    fast worker wins now and then), that run draws none: the live fragments' first ticks do."""
    from fpengine.engine.runner import JobManager

    submit = JobManager.submit

    def published_at_once(self, *args, **kwargs):
        job = submit(self, *args, **kwargs)
        wait_until(lambda: job.snapshot is not None)  # the worker wins the race
        return job

    monkeypatch.setattr(JobManager, "submit", published_at_once)
    at = open_page(app_test, "equal-amplitude")
    job = start_long_run(at)
    assert job.snapshot is not None and job.status.active
    assert views_drawn(at) == [] and at.get("progress")
    at.run()  # the page's next run (a fragment's tick draws the same): every view
    assert views_drawn(at) == list(RUN_VIEWS)
    at.button(key="equal-amplitude.stop").click().run()


def test_a_run_that_had_not_published_at_start_is_drawn_at_the_first_tick(app_test, monkeypatch):
    """The usual case: nothing to draw yet when Start's page run reaches the views; the next run of
    the page (or of a fragment) draws them all, nothing of Start's run left over to hold them back."""
    from fpengine.engine.runner import RunContext

    published, gate = RunContext.publish, threading.Event()

    def held_back(self, *args, **kwargs):
        gate.wait(30)
        return published(self, *args, **kwargs)

    monkeypatch.setattr(RunContext, "publish", held_back)
    at = open_page(app_test, "equal-amplitude")
    job = start_long_run(at)
    assert job.snapshot is None and views_drawn(at) == []
    gate.set()
    wait_until(lambda: job.snapshot is not None)
    at.run()
    assert views_drawn(at) == list(RUN_VIEWS)
    at.button(key="equal-amplitude.stop").click().run()


def test_a_run_over_before_starts_page_run_reaches_its_views_is_drawn_whole_in_it(app_test, monkeypatch):
    """No tick follows a run that has ended (its fragment stops polling): Start's own run draws it."""
    from fpengine.engine.runner import JobManager

    submit = JobManager.submit

    def over_at_once(self, *args, **kwargs):
        job = submit(self, *args, **kwargs)
        job.wait(60)
        return job

    monkeypatch.setattr(JobManager, "submit", over_at_once)
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(20).run()
    at.button(key="equal-amplitude.start").click().run()
    assert only_job().done
    assert views_drawn(at) == list(RUN_VIEWS)


def test_a_tick_that_finds_the_run_about_to_end_draws_it_after_its_last_step(app_test, monkeypatch):
    """A run's last moments are left to the run: the page waits for the training to end (at most
    ``END_WAIT_SECONDS``) and then draws it, rather than redrawing beside its last steps."""
    import ui.run_panel as run_panel
    from fpengine.engine.runner import Snapshot

    at = open_page(app_test, "equal-amplitude")
    job = start_long_run(at)
    wait_until(lambda: job.snapshot is not None)
    ending = threading.Event()

    def about_to_end(snapshot) -> float:
        if not ending.is_set():  # the run's end comes 0.2 s after the page first asks
            ending.set()
            threading.Timer(0.2, job.stop).start()
        return 0.1

    drawn_while: list[Status] = []
    progress = run_panel._progress

    def recorded(snapshot, drawn_job):
        drawn_while.append(drawn_job.status)
        progress(snapshot, drawn_job)

    monkeypatch.setattr(Snapshot, "eta_seconds", property(about_to_end))
    monkeypatch.setattr(run_panel, "_progress", recorded)
    at.run()
    assert drawn_while and drawn_while[0] is Status.STOPPED
    assert not at.exception


def test_a_tick_does_not_wait_for_a_run_far_from_its_end(app_test, monkeypatch):
    from fpengine.engine.runner import Job

    at = open_page(app_test, "equal-amplitude")
    job = start_long_run(at)
    wait_until(lambda: job.snapshot is not None and job.snapshot.eta_seconds is not None)
    waits: list[float | None] = []
    wait = Job.wait

    def recorded(self, timeout=None):
        waits.append(timeout)
        return wait(self, timeout)

    monkeypatch.setattr(Job, "wait", recorded)
    at.run()
    assert waits == [] and job.status is Status.RUNNING
    at.button(key="equal-amplitude.stop").click().run()


def test_pause_resume_stop_and_reset(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    wait_until(lambda: job.snapshot is not None)
    at.button(key="equal-amplitude.pause").click().run()
    wait_until(lambda: job.status is Status.PAUSED, timeout=2)
    at.button(key="equal-amplitude.resume").click().run()
    wait_until(lambda: job.status is Status.RUNNING, timeout=2)
    at.button(key="equal-amplitude.stop").click().run()
    assert job.status is Status.STOPPED
    at.button(key="equal-amplitude.reset").click().run()
    assert "run" not in at.query_params
    assert not at.exception


def test_changing_settings_during_a_run_warns_and_does_not_kill_it(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    at.sidebar.number_input(key="equal-amplitude.w.seed@en").set_value(7).run()
    assert any("Settings changed" in i.value for i in at.info)
    assert job.status.active
    at.button(key="equal-amplitude.restart").click().run()
    jobs = job_manager().jobs()
    assert job.status is Status.STOPPED and len(jobs) == 2
    assert jobs[1].config.seed == 7


def test_reconnect_by_run_id_after_a_refresh(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    fresh = app_test()  # a new browser session: only the URL survives
    fresh.query_params["run"] = job.id
    fresh.run()
    fresh.switch_page(PAGES["equal-amplitude"]).run()
    assert any(job.id in c.value for c in fresh.caption)
    assert fresh.button(key="equal-amplitude.start").disabled


def test_finished_run_reopens_from_disk(app_test, runs_dir):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(50).run()
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    assert job.wait(60)
    assert (runs_dir / job.id / "summary.json").exists()
    assert (runs_dir / job.id / APP_MARKER).is_file()  # the app's own: retention may delete it
    job_manager.clear()  # the server restarted: the run is only on disk now
    fresh = app_test()
    fresh.query_params["run"] = job.id
    fresh.run()
    fresh.switch_page(PAGES["equal-amplitude"]).run()
    assert not fresh.exception
    assert any(f"saved run {job.id}" in c.value for c in fresh.caption)
    assert len(fresh.get("vega_lite_chart")) >= 5


def test_malicious_formula_gets_a_friendly_message(app_test):
    at = open_page(app_test, "equal-amplitude", lang="zh")
    at.radio(key="equal-amplitude.w.target_mode@zh").set_value("formula").run()
    at.text_input(key="equal-amplitude.w.formula@zh").set_value("__import__('os').system('id')").run()
    assert not at.exception
    reason = "'__import__('os').system' 不是允许的函数"
    assert any("无法使用该公式" in e.value and reason in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="equal-amplitude.start").disabled


def test_absurd_settings_are_explained(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.text_input(key="equal-amplitude.w.widths@en").set_value("100,abc").run()
    assert any("Hidden layer widths" in e.value for e in at.error)
    at.sidebar.text_input(key="equal-amplitude.w.widths@en").set_value("100,100").run()
    at.sidebar.number_input(key="equal-amplitude.w.hi@en").set_value(-10.0).run()
    assert any("grid.hi" in e.value for e in at.error)
    assert not at.exception


DECLARED = {  # number widget (``<page>.w.<name>``) → the rule it takes its bounds from
    "init_power": rule_of(NetworkConfig, "init_power"),
    "lr": rule_of(TrainingConfig, "lr"),
    "momentum": rule_of(TrainingConfig, "momentum"),
    "steps": rule_of(TrainingConfig, "steps"),
    "seed": SEED,
    "samples": rule_of(GridConfig, "samples"),
    "lo": rule_of(GridConfig, "lo"),
    "hi": rule_of(GridConfig, "hi"),
    "n_freq": rule_of(SpectrumConfig, "n_freq"),
    "epsilon": rule_of(SpectrumConfig, "epsilon"),
    "quantize": rule_of(TargetConfig, "quantize"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_widget_bounds_and_choices_are_the_declared_ones(app_test, lang):
    at = open_page(app_test, "staircase", lang)
    for name, rule in DECLARED.items():
        widget = at.number_input(key=f"staircase.w.{name}@{lang}")
        assert (widget.min, widget.max) == (rule.low, rule.high), name
    frequency = at.number_input(key="staircase.w.freq0")
    item = rule_of(TargetConfig, "frequencies").item
    assert (frequency.min, frequency.max) == (item.low, item.high)
    activation = at.sidebar.selectbox(key=f"staircase.w.activation@{lang}")
    assert activation.options == list(rule_of(NetworkConfig, "activation").choices)
    optimizer = at.sidebar.selectbox(key=f"staircase.w.optimizer@{lang}")
    assert len(optimizer.options) == len(rule_of(TrainingConfig, "optimizer").choices)
    formula_mode = at.radio(key=f"staircase.w.target_mode@{lang}").set_value("formula").run()
    formula = formula_mode.text_input(key=f"staircase.w.formula@{lang}")
    assert formula.max_chars == rule_of(TargetConfig, "formula").max_length


def test_a_value_the_widget_allows_but_the_rule_refuses_is_explained_in_both_languages(app_test):
    """An open end of a rule (lr > 0) is the widget's limit: the one value it lets through is refused by name."""
    for lang, message in (("en", "training.lr must be a number in (0, 10]; got 0"), ("zh", "training.lr 须为区间 (0, 10] 内的数；收到 0")):
        at = open_page(app_test, "equal-amplitude", lang)
        at.sidebar.number_input(key=f"equal-amplitude.w.lr@{lang}").set_value(0.0).run()
        assert not at.exception
        assert any(message in e.value for e in at.error), [e.value for e in at.error]
        assert at.button(key="equal-amplitude.start").disabled


def test_an_antisymmetric_output_with_an_odd_last_width_is_refused_by_name(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.radio(key="equal-amplitude.w.output_init@en").set_value("antisymmetric").run()
    assert not at.error and not at.button(key="equal-amplitude.start").disabled
    at.sidebar.text_input(key="equal-amplitude.w.widths@en").set_value("100,99").run()
    assert not at.exception
    assert any("the last hidden width must be even" in e.value and "got 100, 99" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="equal-amplitude.start").disabled


def test_target_designer_adds_components_and_amplitudes_move(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.button(key="equal-amplitude.add").click().run()
    assert at.slider(key="equal-amplitude.w.amp3").value == 1.0
    at.slider(key="equal-amplitude.w.amp3").set_value(0.5).run()
    assert 7 in at.multiselect[0].value
    at.button(key="equal-amplitude.remove").click().run()
    assert at.multiselect[0].value == [1, 3, 5]


def test_book_preset_rewrites_the_widgets(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.selectbox(key="equal-amplitude.preset@en").set_value("book").run()
    assert at.sidebar.text_input(key="equal-amplitude.w.widths@en").value == "200,200,200,100"
    assert at.sidebar.number_input(key="equal-amplitude.w.steps@en").value == 10000


def test_heatmap_data_is_binned_for_fast_refresh(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    wait_until(lambda: job.snapshot is not None and job.snapshot.step > 300, timeout=60)
    at.run()
    for el in at.get("vega_lite_chart"):
        for dataset in el.proto.datasets:
            table = pa.ipc.open_stream(dataset.data.data).read_all()
            assert table.num_rows <= 2000


def test_diverging_run_is_reported_in_the_visitors_language(app_test):
    at = open_page(app_test, "equal-amplitude", lang="zh")
    at.sidebar.selectbox(key="equal-amplitude.w.optimizer@zh").set_value("sgd").run()
    at.sidebar.number_input(key="equal-amplitude.w.lr@zh").set_value(10.0).run()
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    assert job.wait(60)
    assert job.status is Status.DIVERGED
    at.run()
    assert not at.exception
    assert any(f"训练在第 {job.diverged_at:,} 步发散" in e.value for e in at.error), [e.value for e in at.error]


def test_theory_view_shows_the_prediction_and_reruns_with_gradient_descent(app_test):
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(300).run()
    at.sidebar.toggle(key="equal-amplitude.w.theory@en").set_value(True).run()
    at.button(key="equal-amplitude.start").click().run()
    job = only_job()
    assert job.config.theory == "ntk" and job.wait(120) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    assert "Theory beside experiment" in [h.value for h in at.subheader]
    specs = json.dumps(chart_specs(at), ensure_ascii=False)
    assert "Predicted ΔF(k)" in specs and "Measured ΔF(k)" in specs and "NTK eigenvalues" in specs
    table = at.dataframe[0].value
    assert {"predicted (this run)", "predicted steps needed"} <= set(table.columns)
    assert any("not linear in the gradient" in i.value for i in at.info)  # Adam: a matched time scale
    assert any(m.label.startswith("parameter drift") for m in at.metric)

    at.button(key="equal-amplitude.gd_run.start").click().run()
    rerun = next(j for j in job_manager().jobs() if j.id != job.id)
    assert rerun.config.training.optimizer == "sgd"
    assert (rerun.config.training.lr, rerun.config.seed, rerun.config.theory) == (job.config.training.lr, job.config.seed, "ntk")
    assert rerun.wait(120) and rerun.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    assert any(m.value == "**The same network under gradient descent**" for m in at.markdown)

    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception, at.exception
    assert "理论与实验对照" in [h.value for h in at.subheader]


def test_the_gradient_descent_rerun_is_shown_from_disk_once_dropped_from_memory(app_test, runs_dir, monkeypatch):
    monkeypatch.setenv("FPENGINE_KEEP_FINISHED", "0")  # every run leaves memory as soon as it is saved
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.steps@en").set_value(60).run()
    at.sidebar.toggle(key="equal-amplitude.w.theory@en").set_value(True).run()
    at.button(key="equal-amplitude.start").click().run()
    wait_until(lambda: len(list(runs_dir.glob("*/summary.json"))) == 1, timeout=120)
    at.run()
    at.button(key="equal-amplitude.gd_run.start").click().run()
    rerun_id = at.session_state["equal-amplitude.gd_run"]
    wait_until(lambda: job_manager().get(rerun_id) is None and (runs_dir / rerun_id / "summary.json").exists(), timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any(m.value == "**The same network under gradient descent**" for m in at.markdown)
    rerun_charts = [spec for spec in chart_specs(at) if "Predicted ΔF(k)" in json.dumps(spec, ensure_ascii=False)]
    assert len(rerun_charts) == 2  # the run's own Theory view and the rerun's


def test_a_control_click_draws_the_page_once_and_start_uses_a_value_sent_with_it(app_test, monkeypatch):
    """Start, Pause, Resume and Stop act before the page is drawn, so the rerun their click starts
    draws the new state at once (a second whole-page rerun costs every watching browser a full
    redraw); Start takes the settings sent with its click (a value typed just before it)."""
    from ui import oned_page

    drawn = []
    page_body = oned_page.run_panel
    monkeypatch.setattr(oned_page, "run_panel", lambda *args: (drawn.append(1), page_body(*args)))
    at = open_page(app_test, "equal-amplitude")
    at.sidebar.number_input(key="equal-amplitude.w.seed@en").set_value(7)
    for control in ("start", "pause", "resume", "stop"):
        drawn.clear()
        at.button(key=f"equal-amplitude.{control}").click().run()
        assert len(drawn) == 1, control
        assert not at.exception
    (job,) = job_manager().jobs()
    assert job.config.seed == 7 and job.status is Status.STOPPED


def test_the_target_preview_is_built_once_for_every_visitor_of_a_target_and_language(app_test):
    """A class opening one page shares its target's preview charts (built with Altair once, not on every
    visitor's every page run); another language has its own, in its words."""
    from tests.apptest_charts import charts
    from ui import target_designer

    target_designer._preview.cache_clear()
    first = open_app_page(app_test, "app_pages/equal_amplitude.py")
    second = open_app_page(app_test, "app_pages/equal_amplitude.py")
    assert target_designer._preview.cache_info().misses == 1, target_designer._preview.cache_info()
    assert charts(first, "target |DFT|/N") and charts(first, "target |DFT|/N") == charts(second, "target |DFT|/N")
    chinese = open_app_page(app_test, "app_pages/equal_amplitude.py", lang="zh")
    assert target_designer._preview.cache_info().misses == 2
    assert charts(chinese, "目标 |DFT|/N") and not charts(chinese, "target |DFT|/N")
