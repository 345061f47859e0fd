"""AppTest: the Sec 1.6 page, one optimizer and compare mode, in both languages."""

from __future__ import annotations

import json

from fpengine.engine.runner import Status
from tests.conftest import open_app_page, wait_until
from ui.common import job_manager

PAGE = "app_pages/beyond_gd.py"
KEY = "beyond-gd"


def open_page(app_test, lang: str = "en"):
    return open_app_page(app_test, PAGE, lang)


def setting(field: str, lang: str = "en") -> str:
    """Widget key of a page setting: one widget instance per language (ui.common.widget)."""
    return f"{KEY}.w.{field}@{lang}"


def chart_titles(at) -> list[str]:
    return [json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("vega_lite_chart")]


def compare_mode(at, optimizers: list[str], lang: str = "en"):
    at.sidebar.radio(key=setting("mode", lang)).set_value("compare").run()
    at.sidebar.multiselect(key=setting("optimizers", lang)).set_value(optimizers).run()
    assert not at.exception, at.exception
    return at


def test_page_shows_the_periodic_target_and_the_parameter_count(app_test):
    at = open_page(app_test)
    assert at.title[0].value.startswith("Sec 1.6")
    assert at.sidebar.selectbox(key=setting("optimizer")).value == "bfgs"
    assert at.sidebar.number_input(key=setting("width.bfgs")).value == 30
    assert any("91 parameters" in c.value for c in at.sidebar.caption)
    assert at.sidebar.number_input(key=setting("samples")).value == 64
    assert at.sidebar.checkbox(key=setting("periodic")).value is True
    assert at.multiselect[0].value == [1, 3]  # no leakage peaks on the periodic grid
    assert len(at.get("vega_lite_chart")) == 2  # the target designer's preview and spectrum
    assert not at.button(key=f"{KEY}.start").disabled


def test_the_swarm_defaults_to_a_small_net_and_slow_settings_warn(app_test):
    at = open_page(app_test)
    at.sidebar.selectbox(key=setting("optimizer")).set_value("pso").run()
    assert at.sidebar.number_input(key=setting("width.pso")).value == 10
    assert at.sidebar.number_input(key=setting("iterations.pso")).value == 2000
    assert at.sidebar.number_input(key=setting("particles")).value == 200
    assert at.sidebar.number_input(key=setting("inertia")).value == 0.729
    assert not at.sidebar.warning
    at.sidebar.number_input(key=setting("width.pso")).set_value(30).run()
    assert any("searches 91 dimensions" in w.value for w in at.sidebar.warning)
    at.sidebar.selectbox(key=setting("optimizer")).set_value("powell").run()
    at.sidebar.number_input(key=setting("width.powell")).set_value(100).run()
    assert any("Powell will be very slow for 301 parameters" in w.value for w in at.sidebar.warning)


def test_gradient_descent_takes_its_optimizer_learning_rate_and_momentum(app_test):
    at = open_page(app_test)
    at.sidebar.selectbox(key=setting("optimizer")).set_value("momentum").run()
    lr = at.sidebar.number_input(key=setting("lr"))
    momentum = at.sidebar.number_input(key=setting("momentum"))
    assert (lr.value, lr.min, lr.max) == (3e-3, 0, 10)  # the bounds of the declared training.lr
    assert (momentum.value, momentum.min, momentum.max) == (0.9, 0, 1)
    assert at.sidebar.number_input(key=setting("width.momentum")).max == 1000
    assert at.sidebar.number_input(key=setting("iterations.momentum")).value == 4000
    lr.set_value(0.02).run()
    at.sidebar.number_input(key=setting("momentum")).set_value(0.5).run()
    at.sidebar.number_input(key=setting("iterations.momentum")).set_value(5).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert (job.config.method, job.config.training.optimizer, job.config.training.lr, job.config.training.momentum) == (
        "gd",
        "momentum",
        0.02,
        0.5,
    )
    assert job.wait(60) and job.status is Status.DONE
    at.sidebar.number_input(key=setting("momentum")).set_value(1.0).run()
    assert any("training.momentum must be a number in [0, 1); got 1" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key=f"{KEY}.start").disabled


def test_one_gradient_free_run_shows_heatmap_work_and_convergence(app_test):
    at = open_page(app_test)
    at.sidebar.selectbox(key=setting("optimizer")).set_value("powell").run()
    at.sidebar.number_input(key=setting("width.powell")).set_value(10).run()
    at.sidebar.number_input(key=setting("iterations.powell")).set_value(40).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert (job.config.method, job.config.network.widths, job.config.max_iterations) == ("powell", (10,), 40)
    assert job.wait(120) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    titles = chart_titles(at)
    assert any("Relative error" in title and "Powell" in title and "iteration" in title for title in titles)
    work = at.dataframe[-1].value
    assert list(work["optimizer"]) == ["Powell (gradient-free)"]
    assert int(work["function evaluations"][0].replace(",", "")) > 40 * 31
    convergence = at.dataframe[0].value
    assert list(convergence["DFT index k"]) == ["1", "3"]
    assert any("function evaluations so far" in c.value for c in at.caption)
    assert any("Stopped at the iteration cap (40)" in c.value for c in at.caption)
    assert any(b.label == "Download results (.zip)" for b in at.get("download_button"))


def test_compare_mode_runs_several_jobs_from_one_initial_network(app_test):
    at = compare_mode(open_page(app_test), ["cg", "lbfgs"])
    assert at.sidebar.number_input(key=setting("width.compare")).value == 10
    at.button(key=f"{KEY}.group.start").click().run()
    jobs = job_manager().jobs()
    assert [job.config.method for job in jobs] == ["cg", "lbfgs"]
    first, second = (job.config for job in jobs)
    assert first.network == second.network and first.network.widths == (10,)
    assert first.seed == second.seed and first.target == second.target
    assert first.max_iterations is None and second.max_iterations is None  # each stops at its own cap
    assert at.query_params["runs"] in ([",".join(j.id for j in jobs)], ",".join(j.id for j in jobs))
    for job in jobs:
        assert job.wait(120) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    heatmaps = [title for title in chart_titles(at) if "Relative error" in title]
    assert len(heatmaps) == 2
    assert "Conjugate gradient" in heatmaps[0] and "L-BFGS-B" in heatmaps[1]
    table = at.dataframe[-1].value
    assert list(table["optimizer"]) == ["Conjugate gradient", "L-BFGS-B"]
    assert "ω=1 (k=1) converged at" in table.columns and "ω=3 (k=3) converged at" in table.columns
    assert len([b for b in at.get("download_button")]) == 2


def test_compare_mode_pauses_and_stops_every_run(app_test):
    at = compare_mode(open_page(app_test), ["powell", "pso"])
    at.button(key=f"{KEY}.group.start").click().run()
    jobs = job_manager().jobs()
    assert len(jobs) == 2
    wait_until(lambda: jobs[0].snapshot is not None)
    at.button(key=f"{KEY}.group.pause").click().run()
    wait_until(lambda: jobs[0].status is Status.PAUSED, timeout=2)
    assert jobs[1].status in (Status.QUEUED, Status.PAUSED)
    at.button(key=f"{KEY}.group.resume").click().run()
    wait_until(lambda: jobs[0].status is Status.RUNNING, timeout=2)
    at.button(key=f"{KEY}.group.stop").click().run()
    assert all(job.status is Status.STOPPED for job in jobs)
    at.button(key=f"{KEY}.group.reset").click().run()
    assert "runs" not in at.query_params
    assert not at.exception


def test_compare_mode_reattaches_after_a_refresh(app_test):
    at = compare_mode(open_page(app_test), ["cg", "bfgs"])
    at.button(key=f"{KEY}.group.start").click().run()
    jobs = job_manager().jobs()
    fresh = app_test()
    fresh.query_params["runs"] = ",".join(job.id for job in jobs)
    fresh.run()
    fresh.switch_page(PAGE).run()
    fresh.sidebar.radio(key=setting("mode")).set_value("compare").run()
    assert not fresh.exception, fresh.exception
    assert fresh.button(key=f"{KEY}.group.start").disabled or all(job.done for job in jobs)
    for job in jobs:
        job.wait(120)
    fresh.run()
    assert len([t for t in chart_titles(fresh) if "Relative error" in t]) == 2


def test_bad_input_is_explained_in_the_visitors_language(app_test):
    at = compare_mode(open_page(app_test, lang="zh"), ["pso"], lang="zh")
    assert any("请至少选择两个优化器" in e.value for e in at.error)
    assert at.button(key=f"{KEY}.group.start").disabled
    at.sidebar.radio(key=setting("mode", "zh")).set_value("single").run()
    at.sidebar.number_input(key=setting("n_freq", "zh")).set_value(40).run()
    assert any("请修改此设置" in e.value and "spectrum.n_freq" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("must" in e.value or "the target" in e.value for e in at.error)  # the engine's reason, in Chinese
    assert at.button(key=f"{KEY}.start").disabled
    assert not at.exception
    assert at.title[0].value.startswith("第 1.6 节")


def test_theory_view_explains_a_non_gradient_method(app_test):
    at = open_page(app_test)
    at.sidebar.number_input(key=setting("iterations.bfgs")).set_value(30).run()
    at.sidebar.toggle(key=setting("theory")).set_value(True).run()
    at.button(key=f"{KEY}.start").click().run()
    (job,) = job_manager().jobs()
    assert job.config.theory == "ntk" and job.wait(120) and job.status is Status.DONE
    at.run()
    assert not at.exception, at.exception
    assert "Theory beside experiment" in [h.value for h in at.subheader]
    assert any("BFGS is not gradient descent" in i.value for i in at.info)
    assert any("Predicted ΔF(k)" in title and "iteration" in title for title in chart_titles(at))
    assert at.button(key=f"{KEY}.gd_run.start")
