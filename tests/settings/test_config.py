import dataclasses
import json
import math
import pathlib
import re
import subprocess
import sys
import typing

import pytest

from fpengine.oned.settings import OneDConfig
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import ConfigError, apply_override, from_dict, to_dict

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sine-fit", "staircase", "equal-amplitude"])
@pytest.mark.parametrize("preset", ["quick", "book"])
def test_presets_are_valid_and_round_trip_through_json(name, preset):
    config = EXPERIMENTS[name].default_config(preset)
    config.validate()
    data = json.loads(json.dumps(to_dict(config)))
    assert from_dict(OneDConfig, data) == config


def test_book_presets_are_the_authors_settings():
    book = EXPERIMENTS["equal-amplitude"].default_config("book")
    assert (book.grid.lo, book.grid.hi, book.grid.samples) == (-3.1415, 3.1415, 600)
    assert book.network.widths == (200, 200, 200, 100)
    assert book.training.lr == 1e-4
    assert EXPERIMENTS["sine-fit"].default_config("book").training.lr == 3e-5


def test_overrides_parse_by_field_type():
    config = EXPERIMENTS["equal-amplitude"].default_config()
    config = apply_override(config, "target.frequencies", "1,3,5,7")
    config = apply_override(config, "target.amplitudes", "1, 1, 1, 0.5")
    config = apply_override(config, "training.steps", "123")
    config = apply_override(config, "grid.periodic", "true")
    config = apply_override(config, "target.formula", "sin(x)+0.5*sin(3*x)")
    assert config.target.frequencies == (1.0, 3.0, 5.0, 7.0)
    assert config.target.amplitudes == (1.0, 1.0, 1.0, 0.5)
    assert config.training.steps == 123 and config.grid.periodic is True
    assert config.target.formula == "sin(x)+0.5*sin(3*x)"
    config.validate()


@pytest.mark.parametrize("key, value, message", [
    ("training.stepz", "10", "training.stepz: unknown setting"),
    ("nope", "1", "nope: unknown setting"),
    ("training.steps", "ten", "training.steps: expected a whole number"),
    ("grid.periodic", "maybe", "grid.periodic: expected true or false"),
    ("training", "1", "is a group"),
])
def test_bad_overrides_name_the_setting(key, value, message):
    with pytest.raises(ConfigError, match=message):
        apply_override(EXPERIMENTS["sine-fit"].default_config(), key, value)


@pytest.mark.parametrize("key, value, message", [
    ("training.lr", "-1", "training.lr"),
    ("training.steps", "0", "training.steps"),
    ("network.widths", "0,10", "network.widths"),
    ("network.activation", "swish", "network.activation"),
    ("grid.hi", "-10", "grid.hi"),
    ("target.amplitudes", "1,1", "one amplitude per frequency"),
    ("target.formula", "__import__('os')", "target.formula"),
    ("spectrum.peaks", "45", "spectrum.peaks"),
    ("spectrum.n_freq", "100000", "spectrum.n_freq"),
])
def test_validation_messages_name_the_setting(key, value, message):
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), key, value)
    with pytest.raises(ConfigError, match=message):
        config.validate()


def test_from_dict_rejects_unknown_and_mistyped_values():
    data = to_dict(EXPERIMENTS["sine-fit"].default_config())
    with pytest.raises(ConfigError, match="unknown setting"):
        from_dict(OneDConfig, {**data, "extra": 1})
    data["training"]["steps"] = "many"
    with pytest.raises(ConfigError, match="training.steps"):
        from_dict(OneDConfig, data)


def test_tracking_an_index_where_the_target_has_no_energy_is_refused():
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "grid.periodic", "true")
    config = apply_override(config, "spectrum.peaks", "1,2")
    with pytest.raises(ConfigError, match="zero target amplitude"):
        config.validate()


# --- values that parse but make nonsense (issue 8) ----------------------------------------------


def _float_settings(config, prefix=""):
    """Dotted names of every float, optional float and float-list setting of ``config``."""
    hints = typing.get_type_hints(type(config))
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if dataclasses.is_dataclass(value):
            yield from _float_settings(value, f"{prefix}{item.name}.")
        elif float in (hints[item.name], *typing.get_args(hints[item.name])):
            yield prefix + item.name


FLOAT_SETTINGS = [(name, key) for name, experiment in EXPERIMENTS.items()
                  for key in _float_settings(experiment.default_config())]


def test_the_walk_finds_the_float_settings():
    keys = {key for _, key in FLOAT_SETTINGS}
    assert {"training.lr", "grid.lo", "target.frequencies", "deltas", "k_max", "swarm.inertia"} <= keys


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize(("name", "key"), FLOAT_SETTINGS, ids=[f"{n}:{k}" for n, k in FLOAT_SETTINGS])
def test_non_finite_numbers_are_refused_for_every_float_setting(name, key, typed):
    with pytest.raises(ConfigError) as raised:
        apply_override(EXPERIMENTS[name].default_config(), key, typed)
    assert str(raised.value) == f"{key}: expected a finite number, got {typed!r}"


def _set(config, key, value):
    head, _, rest = key.partition(".")
    return dataclasses.replace(config, **{head: _set(getattr(config, head), rest, value) if rest else value})


@pytest.mark.parametrize(("name", "key"), FLOAT_SETTINGS, ids=[f"{n}:{k}" for n, k in FLOAT_SETTINGS])
def test_validate_refuses_nan_that_bypassed_the_parser(name, key):
    """Defence in depth (a page builds configs without the parser): nan fails every comparison, so
    a check written as ``a != 0`` or ``not x > hi`` would let it through."""
    config = EXPERIMENTS[name].default_config()
    value = _get(config, key)
    # a list keeps its length, so a length rule (one amplitude per frequency) does not answer instead
    bad = (tuple(math.nan for _ in value) or (math.nan,)) if isinstance(value, tuple) else math.nan
    with pytest.raises(ConfigError, match=f"^{re.escape(key)}: .*nan"):
        _set(config, key, bad).validate()


def _get(config, key):
    for part in key.split("."):
        config = getattr(config, part)
    return config


@pytest.mark.parametrize(("text", "typed"), [("1,,3", "1,,3"), ("1,3,", "1,3,"), (",1", ",1"), (" , ", " , ")])
def test_an_empty_list_item_is_refused_with_the_text_as_typed(text, typed):
    with pytest.raises(ConfigError) as raised:
        apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "target.frequencies", text)
    assert str(raised.value) == f"target.frequencies: a list item is empty (got {typed!r})"


def test_an_empty_list_is_still_allowed():
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "spectrum.peaks", " ")
    assert config.spectrum.peaks == ()


@pytest.mark.parametrize(("value", "message"), [
    (math.inf, "training.steps: expected a whole number, got inf"),
    (math.nan, "training.steps: expected a whole number, got nan"),
    (2.5, "training.steps: expected a whole number, got 2.5"),
])
def test_json_whole_numbers_that_are_not_finite_are_refused(value, message):
    data = to_dict(EXPERIMENTS["sine-fit"].default_config())
    data["training"]["steps"] = value
    with pytest.raises(ConfigError) as raised:
        from_dict(OneDConfig, data)
    assert str(raised.value) == message


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400])
def test_json_numbers_that_are_not_finite_are_refused(value):
    data = to_dict(EXPERIMENTS["sine-fit"].default_config())
    data["training"]["lr"] = value
    with pytest.raises(ConfigError, match=r"^training\.lr: expected a finite number, got "):
        from_dict(OneDConfig, data)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"target.frequencies": "3,3", "target.amplitudes": "1,1"}, "target.frequencies: a frequency is listed twice (got 3, 3)"),
    ({"grid.lo": "-1e308", "grid.hi": "1e308"}, "grid.lo: must be between -10,000 and 10,000 (got -1e+308)"),
    ({"grid.lo": "-1", "grid.hi": "1e308"}, "grid.hi: must be between -10,000 and 10,000 (got 1e+308)"),
    ({"grid.lo": "-600", "grid.hi": "600"}, "grid.hi: grid.hi − grid.lo (the domain's width) must be at most 1,000 (got 1200)"),
    ({"grid.lo": "2", "grid.hi": "1"}, "grid.hi: must be greater than grid.lo (got 1)"),
    ({"target.phases": "1e20,0,0"}, "target.phases: each phase must be between -1000 and 1000 (got 1e+20, 0, 0)"),
    ({"spectrum.epsilon": "10"}, "spectrum.epsilon: must be greater than 0 and less than 10 (got 10)"),
    ({"training.momentum": "1"}, "training.momentum: must be in [0, 1) (got 1)"),
    ({"network.widths": "100,0"}, "network.widths: each width must be between 1 and 2048 (got 100, 0)"),
    ({"target.quantize": "1e-305"}, "target.quantize: must be 0 (continuous) or between 0.001 and 100 (got 1e-305)"),
])
def test_nonsense_settings_name_the_setting_and_echo_the_value(overrides, message):
    config = EXPERIMENTS["equal-amplitude"].default_config()
    for key, text in overrides.items():
        config = apply_override(config, key, text)
    with pytest.raises(ConfigError) as raised:
        config.validate()
    assert str(raised.value) == message


def _cli(out, *overrides):
    args = [sys.executable, "-m", "fpengine", "run", "equal-amplitude", "--out", str(out), "--quiet"]
    for item in overrides:
        args += ["--set", item]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(("overrides", "message"), [
    (("training.lr=nan",), "error: training.lr: expected a finite number, got 'nan'"),
    (("grid.lo=-1e308", "grid.hi=1e308"), "error: grid.lo: must be between -10,000 and 10,000 (got -1e+308)"),
])
def test_the_cli_refuses_nonsense_in_one_line(tmp_path, overrides, message):
    result = _cli(tmp_path / "run", *overrides)
    assert result.returncode == 2
    assert result.stderr.strip() == message and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_grid_boundaries_are_allowed():
    """The width and bound rules are ≤, not <: a domain exactly 1000 wide, a bound at ±10,000."""
    config = EXPERIMENTS["equal-amplitude"].default_config()
    for lo, hi in (("-500", "500"), ("9000", "10000"), ("-10000", "-9999")):
        apply_override(apply_override(config, "grid.lo", lo), "grid.hi", hi).grid.validate()


@pytest.mark.parametrize("step", ["0", "0.001", "100"])
def test_quantize_boundaries_are_allowed(step):
    apply_override(EXPERIMENTS["staircase"].default_config(), "target.quantize", step).target.validate()
