"""AppTest: the Lab page — a preset or a grid of one's own, the cell count and time estimate, the
server's cap, Start/Stop of a background sweep on the real local pool, the results filling in,
reattaching by ``?sweep=ID`` and reopening a finished sweep from disk, in both languages."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re

import pytest

from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import ConfigError
from fpengine.settings.schema import rule_of
from fpengine.sweep import estimate
from fpengine.sweep.definition import sweepable_experiments
from tests.app.test_links import HOST, link_params, notices, open_link, shared_link
from tests.conftest import open_app_page, wait_until
from ui.common import job_manager
from ui.lab import page_values, setup_params, sweep_manager
from ui.links import MAX_TEXT
from ui.pages import page_file

PAGE = "app_pages/lab.py"
VALUES = "lab.frequency.target.frequencies.values0@en"


@pytest.fixture
def lab(app_test):
    """Opens the Lab page; stops every sweep it started."""
    sweep_manager.clear()
    estimate._rates.clear()  # timings are kept per process: each test starts without one
    yield lambda lang="en": open_app_page(app_test, PAGE, lang)
    with contextlib.suppress(ConfigError):
        sweep_manager().shutdown()
    sweep_manager.clear()


def texts(at) -> str:
    return "\n".join([*(m.value for m in at.markdown), *(c.value for c in at.caption), *(e.value for e in at.error)])


def small_frequency_sweep(at, values: str = "[1,2],[1,3],[1,4]", steps: int = 300) -> None:
    at.text_input(key=VALUES).set_value(values).run()
    at.number_input(key="lab.frequency.seeds@en").set_value(1).run()
    at.number_input(key="lab.frequency.steps@en").set_value(steps).run()


def only_sweep():
    sweeps = sweep_manager().sweeps()
    assert len(sweeps) == 1
    return sweeps[0]


def test_a_preset_fills_the_grid_and_shows_its_cells_and_an_estimate(lab):
    at = lab()
    assert not at.exception
    assert at.selectbox(key="lab.source@en").value == "frequency"
    assert at.text_input(key=VALUES).value == "[1,2],[1,3],[1,4],[1,5],[1,6],[1,7],[1,8],[1,9],[1,10]"
    page = texts(at)
    assert "**27 cells**: 9 × 3 seed(s)." in page and "local pool of 1 worker" in page
    assert "Estimated time here" not in page  # a page view never trains: the timing is on a click
    at.button(key="lab.estimate_button").click().run()
    assert "Estimated time here: **about" in texts(at) and "An estimate" in texts(at)
    assert not at.button(key="lab.start").disabled

    at.selectbox(key="lab.source@en").set_value("frequency-law").run()
    assert at.selectbox(key="lab.frequency-law.key1@en").value == "network.activation"
    assert "**48 cells**: 8 × 2 × 3 seed(s)." in texts(at)
    at.number_input(key="lab.frequency-law.seeds@en").set_value(1).run()
    assert "**16 cells**" in texts(at)


def test_the_linear_regime_preset_keeps_its_linked_axis_and_its_five_seeds(lab):
    at = lab()
    at.selectbox(key="lab.source@en").set_value("linear-regime").run()
    assert not at.exception
    linked_key = "network.activation+network.init_power+training.lr+training.steps"
    assert at.selectbox(key="lab.linear-regime.key0@en").value == linked_key
    assert at.text_input(key=f"lab.linear-regime.{linked_key}.values0@en").value.startswith("[relu,-0.0909,")
    assert "**15 cells**: 3 × 5 seed(s)." in texts(at)
    at.text_input(key=f"lab.linear-regime.{linked_key}.values0@en").set_value("[relu,0,1e-5,100],[hat,-5,1e-5,100]").run()
    assert "network.init_power must be a number in [-1, 3]; got -5" in texts(at) and not at.exception  # checked setting by setting


def test_a_grid_of_ones_own_over_two_settings_and_a_bad_value(lab):
    at = lab()
    at.selectbox(key="lab.source@en").set_value("sine-fit").run()
    at.selectbox(key="lab.sine-fit.key0@en").set_value("network.activation").run()
    assert at.text_input(key="lab.sine-fit.network.activation.values0@en").value == "tanh"  # the base config's value
    at.text_input(key="lab.sine-fit.network.activation.values0@en").set_value("tanh,relu").run()
    at.selectbox(key="lab.sine-fit.key1@en").set_value("training.lr").run()
    at.text_input(key="lab.sine-fit.training.lr.values1@en").set_value("1e-3,3e-4").run()
    at.number_input(key="lab.sine-fit.seeds@en").set_value(2).run()
    assert "**8 cells**: 2 × 2 × 2 seed(s)." in texts(at)
    assert not at.button(key="lab.start").disabled

    at.text_input(key="lab.sine-fit.network.activation.values0@en").set_value("tanh,swish").run()
    assert any("network.activation=swish" in e.value for e in at.error)
    assert at.button(key="lab.start").disabled


def test_a_grid_over_the_servers_cap_is_refused_with_the_reason(lab, monkeypatch):
    monkeypatch.setenv("FPENGINE_MAX_SWEEP_CELLS", "10")
    at = lab()
    refusal = " ".join(e.value for e in at.error)
    assert "27 cells" in refusal and "at most 10" in refusal and "FPENGINE_MAX_SWEEP_CELLS" in refusal
    assert at.button(key="lab.start").disabled
    at.number_input(key="lab.frequency.seeds@en").set_value(1).run()  # 9 cells
    assert not at.error and not at.button(key="lab.start").disabled


def test_a_bad_cap_value_is_one_line(lab, monkeypatch):
    monkeypatch.setenv("FPENGINE_MAX_SWEEP_CELLS", "many")
    at = lab()
    assert not at.exception
    assert any("FPENGINE_MAX_SWEEP_CELLS" in e.value and "many" in e.value for e in at.error)


def test_the_page_in_chinese(lab):
    at = lab("zh")
    assert not at.exception
    page = texts(at)
    assert "实验室" in at.title[0].value and "**27 个单元**" in page
    at.button(key="lab.estimate_button").click().run()
    assert "预计用时" in texts(at)


def test_start_fills_the_results_as_cells_finish_and_stop_keeps_them(lab, app_test):
    at = lab()
    small_frequency_sweep(at, values="[1,2],[1,3],[1,4],[1,5],[1,6],[1,7]", steps=2000)
    at.button(key="lab.start").click().run()
    sweep = only_sweep()
    assert at.query_params["sweep"] in ([sweep.id], sweep.id)
    wait_until(lambda: sweep.progress().finished >= 1, timeout=120)
    at.run()
    assert not at.exception
    progress = at.get("progress")[0].proto.text
    assert "Training" in progress and "/ 6 cells" in progress
    table = at.dataframe[0].value
    assert list(table["target.frequencies"]) == ["1,2", "1,3", "1,4", "1,5", "1,6", "1,7"]
    assert list(table["status"])[0] == "done" and "waiting" in list(table["status"])
    assert table["run"][0].startswith(f"sine-fit?run={sweep.id}{next(sweep.definition.cells()).id}&lang=en&")
    assert "sweep" not in link_params(shared_link(at))  # the sweep stays in the address bar, never in a shared link
    titles = [json.loads(chart.proto.spec)["title"]["text"] for chart in at.get("vega_lite_chart")]
    assert titles == ["Convergence step against frequency", "ΔF per cell"]
    assert "Fitted laws" in texts(at) and "p = " in texts(at)

    # another browser with the sweep's id in its address finds it training
    other = app_test()
    other.query_params["sweep"] = sweep.id
    other.run()
    other.switch_page(PAGE).run()
    assert not other.exception
    assert other.get("progress") and "/ 6 cells" in other.get("progress")[0].proto.text
    assert other.button(key="lab.stop").disabled  # it watches: the sweep is the other browser's to stop
    assert any("You are watching sweep" in i.value for i in other.info)

    at.button(key="lab.stop").click().run()
    assert sweep.done
    assert "Stopped" in at.get("progress")[0].proto.text
    assert not at.button(key="lab.start").disabled and at.button(key="lab.pause").disabled
    assert [b.label for b in at.get("download_button")] == ["Download the sweep (.zip)"]
    statuses = list(at.dataframe[0].value["status"])
    assert statuses.count("done") == sweep.progress().finished and "not run" in statuses


def test_a_finished_sweep_reopens_from_disk_and_is_listed(lab, app_test):
    at = lab()
    small_frequency_sweep(at, values="[1,2]", steps=300)
    at.button(key="lab.start").click().run()
    sweep = only_sweep()
    assert sweep.wait(120)
    sweep_manager.clear()  # as after a restart of the server: the sweep is only on disk now

    again = app_test()
    again.query_params["sweep"] = sweep.id
    again.run()
    again.switch_page(PAGE).run()
    assert not again.exception
    assert f"Showing saved sweep {sweep.id}." in texts(again)
    assert "Finished · 1 / 1 cells" in again.get("progress")[0].proto.text
    assert list(again.dataframe[0].value["status"]) == ["done"]
    assert [b.label for b in again.get("download_button")] == ["Download the sweep (.zip)"]
    assert again.selectbox(key="lab.earlier").value == sweep.id  # the earlier sweeps list it

    again.button(key="lab.new").click().run()
    assert "sweep" not in again.query_params and not again.get("progress")


# --- the form in a link, a cell on its page ---------------------------------------------------------

OWN_GRID = {"source": "sine-fit", "setting1": "training.lr", "values1": "0.001,0.0003", "setting2": "network.activation"}


def test_a_lab_link_restores_its_form_before_anything_starts(lab, app_test):
    link = {**OWN_GRID, "values2": "tanh,relu", "seeds": "2", "steps": "500"}
    at = open_link(app_test, PAGE, link, url=f"{HOST}/lab")
    assert not notices(at)
    assert at.selectbox(key="lab.source@en").value == "sine-fit"
    assert at.selectbox(key="lab.sine-fit.key0@en").value == "training.lr"
    assert at.text_input(key="lab.sine-fit.training.lr.values0@en").value == "0.001,0.0003"
    assert at.selectbox(key="lab.sine-fit.key1@en").value == "network.activation"
    assert at.text_input(key="lab.sine-fit.network.activation.values1@en").value == "tanh,relu"
    assert at.number_input(key="lab.sine-fit.seeds@en").value == 2 and at.number_input(key="lab.sine-fit.steps@en").value == 500
    assert "**8 cells**: 2 × 2 × 2 seed(s)." in texts(at)
    assert sweep_manager().sweeps() == []  # restored, not started
    assert {key: at.query_params[key] for key in link} == link
    assert link_params(shared_link(at)) == link

    at.number_input(key="lab.sine-fit.seeds@en").set_value(3).run()  # back to the default: gone from the address bar
    assert "seeds" not in at.query_params and at.query_params["steps"] == "500"


def test_a_broken_lab_link_is_ignored_with_one_notice(lab, app_test):
    broken = {"setting1": "bogus.key", "values1": "[1,2", "values2": "1", "seeds": "0", "steps": "many", "source": "nowhere"}
    at = open_link(app_test, PAGE, broken)
    assert not at.exception and not at.error
    [notice] = notices(at)
    assert all(f"{key}=" in notice for key in broken)
    assert at.selectbox(key="lab.source@en").value == "frequency" and "**27 cells**" in texts(at)  # the preset's form
    assert set(at.query_params) == {"lang"}

    at = open_link(app_test, PAGE, {**OWN_GRID, "values2": "tanh,swish"})  # a value the setting refuses
    [notice] = notices(at)
    assert "values2=tanh,swish" in notice and "values1" not in notice
    assert at.text_input(key="lab.sine-fit.network.activation.values1@en").value == "tanh"  # the base config's
    assert at.text_input(key="lab.sine-fit.training.lr.values0@en").value == "0.001,0.0003"


def test_a_lab_link_with_every_setting_stays_short(lab, app_test):
    """Every setting of the form in the link, each list of values as long as a link may give it
    (``links.MAX_TEXT``) and written as lists, whose brackets a link encodes in three characters."""
    at = open_link(app_test, PAGE, {"source": "architecture", "seeds": "1000", "steps": "1000000", "lang": "zh"}, url=f"{HOST}/lab")
    longest = ("[64,64,64]," * MAX_TEXT)[: MAX_TEXT - 1] + "]"
    at.text_input(key="lab.architecture.network.activation.values0@zh").set_value(longest).run()
    at.text_input(key="lab.architecture.network.widths.values1@zh").set_value(longest).run()
    at.sidebar.toggle(key="classroom").set_value(True).run()
    copied = shared_link(at)
    assert set(link_params(copied)) == {"source", "values1", "values2", "seeds", "steps", "lang", "classroom"}
    print(f"a Lab link with every setting has {len(copied)} characters")
    assert len(copied) < 2000, copied


def finished_sweep(app_test, form: dict[str, str]):
    """The Lab page opened with the ``form`` of a link, its sweep started and finished, the page redrawn."""
    at = open_link(app_test, PAGE, form)
    at.button(key="lab.start").click().run()
    sweep = only_sweep()
    assert sweep.wait(180)
    at.run()
    return at, sweep


def test_a_cell_opens_on_its_page_with_its_settings_and_its_run(lab, app_test):
    at, sweep = finished_sweep(app_test, {"source": "sine-fit", "setting1": "training.lr", "values1": "0.001", "seeds": "2", "steps": "60"})
    _, second = sweep.definition.cells()
    link = dict(zip(at.dataframe[0].value["seed"], at.dataframe[0].value["run"], strict=True))[second.seed]
    page = link.partition("?")[0]
    assert page == "sine-fit" and link_params(link) == {
        "run": f"{sweep.id}{second.id}",
        "lang": "en",
        "lr": "0.001",
        "steps": "60",
        "seed": str(second.seed),
    }

    cell = open_link(app_test, page_file(EXPERIMENTS[page]), link_params(link))
    assert not notices(cell)
    assert cell.number_input(key="sine-fit.w.lr@en").value == 0.001
    assert cell.number_input(key="sine-fit.w.seed@en").value == second.seed == 1
    assert cell.number_input(key="sine-fit.w.steps@en").value == 60
    assert any(f"saved run {sweep.id}{second.id}" in c.value for c in cell.caption)  # the run is shown too
    cell.button(key="sine-fit.start").click().run()  # Start reruns the cell
    [job] = job_manager().jobs()
    assert job.config == sweep.definition.cell_config(second)


def cell_kinds() -> list[tuple[str, str | None]]:
    """Each sweepable experiment; Sec 1.6's once per method, whose settings its page shows."""
    beyond = EXPERIMENTS["beyond-gd"].default_config("quick")
    methods = [m for m in rule_of(type(beyond), "method").choices if m != "gd"] + list(GRADIENT_OPTIMIZERS)
    return [(name, None) for name in sweepable_experiments() if name != "beyond-gd"] + [("beyond-gd", m) for m in methods]


def test_a_sec_1_6_cell_with_the_theory_sets_its_reference_learning_rate(app_test):
    """Beside a non-gradient method, the Theory predicts gradient descent at the reference's rate."""
    kind = EXPERIMENTS["beyond-gd"]
    base = kind.default_config("quick")
    cell = dataclasses.replace(base, theory="ntk", max_iterations=20, training=dataclasses.replace(base.training, lr=0.01))
    assert cell.algorithm == "bfgs" and setup_params(kind, cell) == {"theory": "1", "lr": "0.01", "iterations.bfgs": "20"}
    at = open_link(app_test, page_file(kind), setup_params(kind, cell))
    assert not notices(at)
    at.button(key="beyond-gd.start").click().run()
    [job] = job_manager().jobs()
    assert job.config == dataclasses.replace(cell, network=dataclasses.replace(cell.network, widths=(cell.network_width,)))


@pytest.mark.parametrize(("experiment", "method"), cell_kinds())
def test_every_setting_a_cell_can_vary_has_a_widget_on_its_page(app_test, experiment, method):
    """A cell opens its page with its settings in the widgets: a setting without one would be named
    in the link's notice and left at the preset, so Start would train something else."""
    kind = EXPERIMENTS[experiment]
    config = kind.default_config(next(iter(kind.presets)))
    if method is not None:
        config = dataclasses.replace(config, method=method)
    page = open_link(app_test, page_file(kind), setup_params(kind, config))
    assert not notices(page)
    assert set(page_values(kind, config)) - set(page.session_state["_links.fields"]) == set()


def test_a_cells_plot_margin_and_peak_count_reach_its_page(app_test):
    experiment = EXPERIMENTS["sine-fit"]
    base = experiment.default_config(next(iter(experiment.presets)))
    cell = dataclasses.replace(
        base,
        training=dataclasses.replace(base.training, steps=40),
        grid=dataclasses.replace(base.grid, margin=0.2),
        spectrum=dataclasses.replace(base.spectrum, max_peaks=1),
    )
    params = setup_params(experiment, cell)
    assert params == {"steps": "40", "margin": "0.2", "max_peaks": "1"}
    at = open_link(app_test, page_file(experiment), params)
    assert not notices(at)
    assert at.number_input(key="sine-fit.w.margin@en").value == 0.2
    assert at.number_input(key="sine-fit.w.max_peaks@en").value == 1
    at.button(key="sine-fit.start").click().run()
    [job] = job_manager().jobs()
    assert job.config == cell


def test_a_sweep_over_methods_opens_them_side_by_side_on_the_sec_1_6_page(lab, app_test):
    at, sweep = finished_sweep(app_test, {"source": "beyond-gd", "setting1": "method", "values1": "bfgs,cg", "seeds": "2", "steps": "30"})
    [text] = [m.value for m in at.markdown if "side by side" in m.value]
    comparisons = re.findall(r"\[([^\]]+)\]\(([^)]+)\)", text)
    assert [label for label, _ in comparisons] == ["seed 0", "seed 1"]  # one per seed, each of both methods
    cells = {(cell.settings["method"], cell.seed): f"{sweep.id}{cell.id}" for cell in sweep.definition.cells()}
    page, _, query = comparisons[1][1].partition("?")
    assert page == "beyond-gd" and link_params(f"?{query}") == {
        "mode": "compare",
        "optimizers": "bfgs,cg",
        "runs": f"{cells['bfgs', 1]},{cells['cg', 1]}",
        "lang": "en",
    }

    compared = open_link(app_test, page_file(EXPERIMENTS[page]), link_params(f"?{query}"))
    assert not notices(compared)
    assert compared.sidebar.radio(key="beyond-gd.w.mode@en").value == "compare"
    assert any(f"{cells['bfgs', 1]}, {cells['cg', 1]}" in c.value for c in compared.caption)  # both saved runs shown
    [work] = compared.dataframe  # the work per method, of the two cells' runs
    assert list(work.value.iloc[:, 0]) == ["BFGS", "Conjugate gradient"]


def test_a_sweep_in_chinese_says_where_it_trains_in_chinese(lab, app_test):
    form = {"lang": "zh", "source": "sine-fit", "setting1": "training.lr", "values1": "0.001", "seeds": "1", "steps": "20"}
    at, _ = finished_sweep(app_test, form)
    assert not at.exception
    assert any("本机进程池，1 个工作进程" in c.value for c in at.caption)


def test_a_sweep_of_one_method_offers_no_comparison(lab, app_test):
    form = {"source": "beyond-gd", "setting1": "training.lr", "values1": "0.01,0.001", "seeds": "1", "steps": "20"}
    at, _ = finished_sweep(app_test, form)
    assert not [m.value for m in at.markdown if "side by side" in m.value]
