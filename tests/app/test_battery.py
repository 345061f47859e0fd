"""The checks every registered experiment must pass: a new experiment is tested by being registered.

Its presets validate and survive a JSON round trip; ``--steps`` and ``--seed`` reach a command-line
run; a few steps through the run engine publish a snapshot whose summary is plain JSON and whose
figures build in English and Chinese; its page opens in the app. One short run per experiment
serves every check that needs a finished run.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest
import torch

from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Snapshot, Status
from fpengine.export import read_config
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override, from_dict, to_dict
from fpengine.settings.schema import validate
from tests.cli_helpers import cli_here
from tests.conftest import ROOT, open_app_page
from ui.pages import page_file

NAMES = list(EXPERIMENTS)
PRESETS = [(name, preset) for name, experiment in EXPERIMENTS.items() for preset in experiment.presets]

SMALL: dict[str, tuple[str, ...]] = {
    "image-fit": ("long_side=16",),
    "projection": ("n_train=250", "n_test=50"),
    "filtering": ("n_train=250", "n_test=50"),
}
"""Settings that make a short run cheap, where the quick preset alone is not (default: none)."""
STEPS: dict[str, int] = {"projection": 1, "filtering": 1}
"""The steps field's value for a short run (default 5); for these it counts epochs, of 250 / 50 = 5 batches."""
SEED = 7


def small_config(name: str) -> Any:
    """The quick preset, shortened to a few steps: what every battery run trains."""
    experiment = EXPERIMENTS[name]
    config = experiment.default_config("quick")
    for item in (*SMALL.get(name, ()), f"{experiment.steps_field}={STEPS.get(name, 5)}"):
        key, _, value = item.partition("=")
        config = apply_override(config, key, value)
    validate(config)
    return config


@pytest.fixture(scope="module", params=NAMES)
def finished(request) -> tuple[str, Any, Snapshot]:
    """One short run of each experiment, trained to its end by the run engine, shared by the checks."""
    name = request.param
    config = small_config(name)
    job = run_to_end(EXPERIMENTS[name], config, torch.device("cpu"))
    assert job.status is Status.DONE, f"{name}: {job.status.value} {job.message}"
    return name, config, job.snapshot


def test_the_battery_names_only_registered_experiments():
    assert set(SMALL) | set(STEPS) <= set(NAMES)


@pytest.mark.parametrize(("name", "preset"), PRESETS)
def test_preset_validates_and_round_trips_through_json(name: str, preset: str):
    experiment = EXPERIMENTS[name]
    config = experiment.default_config(preset)
    validate(config)
    data = json.loads(json.dumps(to_dict(config), allow_nan=False))
    assert from_dict(experiment.config_type, data) == config


THRESHOLD = {"image-fit": "bands.epsilon", "filtering": "epsilon"}
"""Where each experiment keeps its convergence threshold ε (the others: spectrum.epsilon)."""


@pytest.mark.parametrize("name", NAMES)
def test_epsilon_sets_the_threshold_in_every_experiment(name: str):
    experiment = EXPERIMENTS[name]
    config = experiment.default_config()
    named = apply_override(config, "epsilon", "0.25")
    assert named != config
    assert named == apply_override(config, THRESHOLD.get(name, "spectrum.epsilon"), "0.25")
    assert from_dict(experiment.config_type, {**to_dict(config), "epsilon": 0.25}) == named


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_command_line_steps_and_seed(name: str, tmp_path):
    # the CLI's main in this process: tests/app/test_cli.py runs real processes
    experiment = EXPERIMENTS[name]
    steps = STEPS.get(name, 5)
    out = tmp_path / "run"
    settings = [arg for item in SMALL.get(name, ()) for arg in ("--set", item)]
    result = cli_here("run", name, "--steps", str(steps), "--seed", str(SEED), "--out", str(out), "--no-figures", *settings)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "steps/s" in result.stderr, result.stderr  # the progress bar
    config = read_config(out / "config.json", experiment)
    assert config.seed == SEED
    value: Any = config
    for part in experiment.steps_field.split("."):
        value = getattr(value, part)
    assert value == steps
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(result.stdout.strip().splitlines()[-1]) == summary
    assert summary["experiment"] == name and summary["status"] == "done"
    assert summary["total_steps"] == experiment.total_steps(config)
    assert 1 <= summary["steps"] <= summary["total_steps"]  # a SciPy method may meet its tolerance sooner


def test_short_run_publishes(finished):
    name, config, snapshot = finished
    assert snapshot is not None and snapshot.step >= 1, name
    assert snapshot.total_steps == EXPERIMENTS[name].total_steps(config)


def test_summary_is_plain_json(finished):
    name, config, snapshot = finished
    json.dumps(EXPERIMENTS[name].summarize(config, snapshot), allow_nan=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_build(finished, lang: str):
    name, config, snapshot = finished
    figures = EXPERIMENTS[name].figures(config, snapshot, lang)
    assert figures, name
    for chart in figures.values():
        chart.to_dict()


def floating_strings(script: str) -> list[str]:
    """The string literals standing alone in a page script's top level, past its docstring:
    Streamlit's magic would write each one on the page."""
    body = ast.parse((ROOT / script).read_text()).body
    return [
        node.value.value
        for node in body[1:]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_page_opens_with_no_stray_text(app_test, name: str):
    page = page_file(EXPERIMENTS[name])
    at = open_app_page(app_test, page)
    shown = " ".join(str(element.value) for element in at.markdown)
    assert not any(text.strip()[:40] in shown for text in floating_strings(page)), "a comment, not a string, explains a page's name"


@pytest.mark.parametrize("name", NAMES)
def test_page_in_chinese_keeps_its_choices_across_reruns(app_test, name: str):
    """A choice's label is matched again on the next run, by a format function called after the
    script (as AppTest does): it must speak the language of the run that drew it, not fall back."""
    at = open_app_page(app_test, page_file(EXPERIMENTS[name]), "zh")
    at.run()
    assert not at.exception, at.exception
