import dataclasses
import json
import math
import pathlib
import re
import typing

import pytest

from fpengine.models import ACTIVATIONS
from fpengine.oned.settings import OneDConfig
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override, from_dict, to_dict
from fpengine.settings.schema import ConfigError, validate
from tests.cli_helpers import cli_here

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sine-fit", "staircase", "equal-amplitude"])
@pytest.mark.parametrize("preset", ["quick", "book"])
def test_presets_are_valid_and_round_trip_through_json(name, preset):
    config = EXPERIMENTS[name].default_config(preset)
    validate(config)
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
    validate(config)


def both(error: ConfigError) -> tuple[str, str]:
    """The refusal as the command line (English) and a Chinese page read it."""
    assert str(error) == error.message("en")
    return error.message("en"), error.message("zh")


@pytest.mark.parametrize(
    "key, value, english, chinese",
    [
        (
            "training.stepz",
            "10",
            "training.stepz is not a setting (known here: lr, momentum, optimizer, steps)",
            "training.stepz 不是可用的设置（此处可用：lr, momentum, optimizer, steps）",
        ),
        (
            "nope",
            "1",
            "nope is not a setting (known here: grid, network, seed, snapshot_steps, spectrum, target, theory, training)",
            "nope 不是可用的设置（此处可用：grid, network, seed, snapshot_steps, spectrum, target, theory, training）",
        ),
        (
            "training.steps",
            "ten",
            "training.steps must be a whole number in [1, 1,000,000]; got 'ten'",
            "training.steps 须为区间 [1, 1,000,000] 内的整数；收到 'ten'",
        ),
        (
            "grid.periodic",
            "maybe",
            "grid.periodic must be true or false; got 'maybe'",
            "grid.periodic 须为布尔值（true 或 false）；收到 'maybe'",
        ),
        (
            "training",
            "1",
            "training is a group; set one of its fields, e.g. training.optimizer",
            "training 是一组设置，请设置其中一项，例如 training.optimizer",
        ),
    ],
)
def test_bad_overrides_name_the_setting(key, value, english, chinese):
    with pytest.raises(ConfigError) as raised:
        apply_override(EXPERIMENTS["sine-fit"].default_config(), key, value)
    assert both(raised.value) == (english, chinese)


# every declared rule of the 1-D settings, as the refusal names the setting, the rule and the value
@pytest.mark.parametrize(
    "key, value, english, chinese",
    [
        ("training.lr", "-1", "training.lr must be a number in (0, 10]; got -1", "training.lr 须为区间 (0, 10] 内的数；收到 -1"),
        (
            "training.steps",
            "0",
            "training.steps must be a whole number in [1, 1,000,000]; got 0",
            "training.steps 须为区间 [1, 1,000,000] 内的整数；收到 0",
        ),
        (
            "training.optimizer",
            "lbfgs",
            f"training.optimizer must be one of {', '.join(GRADIENT_OPTIMIZERS)}; got 'lbfgs'",
            f"training.optimizer 须为以下之一：{'、'.join(GRADIENT_OPTIMIZERS)}；收到 'lbfgs'",
        ),
        (
            "network.widths",
            "0,10",
            "network.widths must be a list of 1 to 8 whole numbers in [1, 2,048]; got 0, 10",
            "network.widths 须为列表，含1 到 8 个区间 [1, 2,048] 内的整数；收到 0, 10",
        ),
        (
            "network.activation",
            "swish",
            f"network.activation must be one of {', '.join(ACTIVATIONS)}; got 'swish'",
            f"network.activation 须为以下之一：{'、'.join(ACTIVATIONS)}；收到 'swish'",
        ),
        (
            "network.init_power",
            "4",
            "network.init_power must be a number in [-1, 3]; got 4",
            "network.init_power 须为区间 [-1, 3] 内的数；收到 4",
        ),
        (
            "network.output_init",
            "zero",
            "network.output_init must be one of random, antisymmetric; got 'zero'",
            "network.output_init 须为以下之一：random、antisymmetric；收到 'zero'",
        ),
        (
            "grid.samples",
            "7",
            "grid.samples must be a whole number in [8, 20,000]; got 7",
            "grid.samples 须为区间 [8, 20,000] 内的整数；收到 7",
        ),
        (
            "grid.hi",
            "-10",
            "grid.hi must be a number in (grid.lo = -3.14159, grid.lo + 1,000 = 996.858]; got -10",
            "grid.hi 须为区间 (grid.lo = -3.14159, grid.lo + 1,000 = 996.858] 内的数；收到 -10",
        ),
        ("grid.margin", "101", "grid.margin must be a number in [0, 100]; got 101", "grid.margin 须为区间 [0, 100] 内的数；收到 101"),
        ("seed", "-1", "seed must be a whole number in [0, 2³²−1]; got -1", "seed 须为区间 [0, 2³²−1] 内的整数；收到 -1"),
        (
            "target.frequencies",
            "1,300",
            "target.frequencies must be a list of 1 to 12 numbers in [0, 200], none repeated; got 1, 300",
            "target.frequencies 须为列表，含1 到 12 个区间 [0, 200] 内的数，不可重复；收到 1, 300",
        ),
        (
            "target.amplitudes",
            "1,1",
            "target.amplitudes must be a list of 3 numbers in [-100, 100]; got 1, 1",
            "target.amplitudes 须为列表，含3 个区间 [-100, 100] 内的数；收到 1, 1",
        ),
        (
            "target.amplitudes",
            "0,0,0",
            "target.amplitudes must have at least one non-zero amplitude; got 0, 0, 0",
            "target.amplitudes 须至少有一个非零振幅；收到 0, 0, 0",
        ),
        (
            "target.phases",
            "0.5",
            "target.phases must be a list of 3 numbers in [-1,000, 1,000]; got 0.5",
            "target.phases 须为列表，含3 个区间 [-1,000, 1,000] 内的数；收到 0.5",
        ),
        (
            "target.quantize",
            "-1",
            "target.quantize must be a number in [0, 100]; got -1",
            "target.quantize 须为区间 [0, 100] 内的数；收到 -1",
        ),
        (
            "target.formula",
            "__import__('os')",
            "target.formula: '__import__' is not an allowed function (allowed: sin, cos, tan, arctan, sinh, cosh, tanh, exp, log, "
            "sqrt, abs, sign, round, floor, ceil, min, max)",
            "target.formula：'__import__' 不是允许的函数（可用：sin, cos, tan, arctan, sinh, cosh, tanh, exp, log, "
            "sqrt, abs, sign, round, floor, ceil, min, max）",
        ),
        (
            "spectrum.peaks",
            "45",
            "spectrum.peaks must be a list of at most 64 whole numbers in [0, spectrum.n_freq = 40), none repeated; got 45",
            "spectrum.peaks 须为列表，含至多 64 个区间 [0, spectrum.n_freq = 40) 内的整数，不可重复；收到 45",
        ),
        (
            "spectrum.n_freq",
            "100000",
            "spectrum.n_freq must be a whole number in [4, grid.samples/2 = 128]; got 100000",
            "spectrum.n_freq 须为区间 [4, grid.samples/2 = 128] 内的整数；收到 100000",
        ),
        (
            "spectrum.max_peaks",
            "13",
            "spectrum.max_peaks must be a whole number in [1, 12]; got 13",
            "spectrum.max_peaks 须为区间 [1, 12] 内的整数；收到 13",
        ),
        (
            "spectrum.error_form",
            "abs",
            "spectrum.error_form must be one of complex, magnitude; got 'abs'",
            "spectrum.error_form 须为以下之一：complex、magnitude；收到 'abs'",
        ),
        (
            "spectrum.rule",
            "first",
            "spectrum.rule must be one of robust, consecutive; got 'first'",
            "spectrum.rule 须为以下之一：robust、consecutive；收到 'first'",
        ),
        (
            "snapshot_steps",
            "1,2,3,4,5,6,7,8,9",
            "snapshot_steps must be a list of at most 8 whole numbers in [0, ∞); got 1, 2, 3, 4, 5, 6, 7, 8, 9",
            "snapshot_steps 须为列表，含至多 8 个区间 [0, ∞) 内的整数；收到 1, 2, 3, 4, 5, 6, 7, 8, 9",
        ),
    ],
)
def test_validation_messages_name_the_setting_the_rule_and_the_value(key, value, english, chinese):
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), key, value)
    with pytest.raises(ConfigError) as raised:
        validate(config)
    assert raised.value.setting == key
    assert both(raised.value) == (english, chinese)


def test_an_antisymmetric_network_needs_an_even_last_width_and_only_the_1d_experiments_have_one():
    config = apply_override(EXPERIMENTS["sine-fit"].default_config(), "network.output_init", "antisymmetric")
    validate(apply_override(config, "network.widths", "7,8"))
    with pytest.raises(ConfigError) as raised:
        validate(apply_override(config, "network.widths", "8,7"))
    assert raised.value.setting == "network.widths"
    assert both(raised.value) == (
        "network.widths: with network.output_init = antisymmetric the last hidden width must be even (its units come in mirrored pairs)"
        "; got 8, 7",
        "network.widths：network.output_init = antisymmetric 时最后一个隐藏层宽度须为偶数（其单元成对镜像）；收到 8, 7",
    )
    with pytest.raises(ConfigError) as raised:
        validate(apply_override(EXPERIMENTS["image-fit"].default_config(), "network.output_init", "antisymmetric"))
    assert both(raised.value) == (
        "network.output_init must be one of random; got 'antisymmetric'",
        "network.output_init 须为以下之一：random；收到 'antisymmetric'",
    )


def test_from_dict_rejects_unknown_and_mistyped_values():
    data = to_dict(EXPERIMENTS["sine-fit"].default_config())
    with pytest.raises(ConfigError, match="^extra is not a setting"):
        from_dict(OneDConfig, {**data, "extra": 1})
    data["training"]["steps"] = "many"
    with pytest.raises(ConfigError, match=r"^training\.steps must be a whole number in \[1, 1,000,000\]; got 'many'$"):
        from_dict(OneDConfig, data)


def test_tracking_an_index_where_the_target_has_no_energy_is_refused():
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "grid.periodic", "true")
    config = apply_override(config, "spectrum.peaks", "1,2")
    with pytest.raises(ConfigError) as raised:
        validate(config)
    assert both(raised.value) == (
        "spectrum.peaks: a tracked index has (almost) zero target amplitude, so its relative error is undefined; got 2",
        "spectrum.peaks：某个跟踪的频率序号处目标振幅（几乎）为零，相对误差无定义；收到 2",
    )


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


FLOAT_SETTINGS = [(name, key) for name, experiment in EXPERIMENTS.items() for key in _float_settings(experiment.default_config())]


def test_the_walk_finds_the_float_settings():
    keys = {key for _, key in FLOAT_SETTINGS}
    assert {"training.lr", "grid.lo", "target.frequencies"} <= keys
    assert all(any(key.split(".")[-1] == name for key in keys) for name in ("deltas", "k_max", "inertia"))


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize(("name", "key"), FLOAT_SETTINGS, ids=[f"{n}:{k}" for n, k in FLOAT_SETTINGS])
def test_non_finite_numbers_are_refused_for_every_float_setting(name, key, typed):
    with pytest.raises(ConfigError) as raised:
        apply_override(EXPERIMENTS[name].default_config(), key, typed)
    english, chinese = both(raised.value)
    assert english.startswith(f"{key} must be ") and english.endswith(f"; got {typed!r}")
    assert chinese.startswith(f"{key} 须为") and chinese.endswith(f"；收到 {typed!r}")


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
    with pytest.raises(ConfigError, match=f"^{re.escape(key)} must be .*; got (nan|.*, nan)$"):
        validate(_set(config, key, bad))


def _get(config, key):
    for part in key.split("."):
        config = getattr(config, part)
    return config


@pytest.mark.parametrize(("text", "typed"), [("1,,3", "1,,3"), ("1,3,", "1,3,"), (",1", ",1"), (" , ", " , ")])
def test_an_empty_list_item_is_refused_with_the_text_as_typed(text, typed):
    with pytest.raises(ConfigError) as raised:
        apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "target.frequencies", text)
    assert both(raised.value) == (
        f"target.frequencies has an empty list item; got {typed!r}",
        f"target.frequencies 的列表中有空项；收到 {typed!r}",
    )


def test_an_empty_list_is_still_allowed():
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "spectrum.peaks", " ")
    assert config.spectrum.peaks == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.inf, "training.steps must be a whole number in [1, 1,000,000]; got inf"),
        (math.nan, "training.steps must be a whole number in [1, 1,000,000]; got nan"),
        (2.5, "training.steps must be a whole number in [1, 1,000,000]; got 2.5"),
    ],
)
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
    with pytest.raises(ConfigError, match=r"^training\.lr must be a number in \(0, 10\]; got "):
        from_dict(OneDConfig, data)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"target.frequencies": "3,3", "target.amplitudes": "1,1"},
            "target.frequencies must be a list of 1 to 12 numbers in [0, 200], none repeated; got 3, 3",
        ),
        ({"grid.lo": "-1e308", "grid.hi": "1e308"}, "grid.lo must be a number in [-10,000, 10,000]; got -1e+308"),
        ({"grid.lo": "-1", "grid.hi": "1e308"}, "grid.hi must be a number in (grid.lo = -1, grid.lo + 1,000 = 999]; got 1e+308"),
        ({"grid.lo": "9500", "grid.hi": "1e308"}, "grid.hi must be a number in (grid.lo = 9,500, 10,000]; got 1e+308"),
        ({"grid.lo": "-600", "grid.hi": "600"}, "grid.hi must be a number in (grid.lo = -600, grid.lo + 1,000 = 400]; got 600"),
        ({"grid.lo": "2", "grid.hi": "1"}, "grid.hi must be a number in (grid.lo = 2, grid.lo + 1,000 = 1,002]; got 1"),
        ({"target.phases": "1e20,0,0"}, "target.phases must be a list of 3 numbers in [-1,000, 1,000]; got 1e+20, 0, 0"),
        ({"spectrum.epsilon": "10"}, "spectrum.epsilon must be a number in (0, 10); got 10"),
        ({"training.momentum": "1"}, "training.momentum must be a number in [0, 1); got 1"),
        ({"network.widths": "100,0"}, "network.widths must be a list of 1 to 8 whole numbers in [1, 2,048]; got 100, 0"),
        ({"target.quantize": "1e-305"}, "target.quantize must be 0 (continuous) or a number in [0.001, 100]; got 1e-305"),
    ],
)
def test_nonsense_settings_name_the_setting_and_echo_the_value(overrides, message):
    config = EXPERIMENTS["equal-amplitude"].default_config()
    for key, text in overrides.items():
        config = apply_override(config, key, text)
    with pytest.raises(ConfigError) as raised:
        validate(config)
    assert str(raised.value) == message


def test_the_quantisation_gap_reads_in_chinese():
    config = apply_override(EXPERIMENTS["staircase"].default_config(), "target.quantize", "0.0005")
    with pytest.raises(ConfigError) as raised:
        validate(config)
    assert both(raised.value) == (
        "target.quantize must be 0 (continuous) or a number in [0.001, 100]; got 0.0005",
        "target.quantize 须为 0（不量化）或区间 [0.001, 100] 内的数；收到 0.0005",
    )


def _cli(out, *overrides):
    return cli_here("run", "equal-amplitude", "--out", str(out), "--quiet", *(arg for item in overrides for arg in ("--set", item)))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("training.lr=nan",), "error: training.lr must be a number in (0, 10]; got 'nan'"),
        (("grid.lo=-1e308", "grid.hi=1e308"), "error: grid.lo must be a number in [-10,000, 10,000]; got -1e+308"),
    ],
)
def test_the_cli_refuses_nonsense_in_one_line(tmp_path, overrides, message):
    result = _cli(tmp_path / "run", *overrides)
    assert result.returncode == 2
    assert result.stderr.strip() == message and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_grid_boundaries_are_allowed():
    """The width and bound rules are ≤, not <: a domain exactly 1000 wide, a bound at ±10,000."""
    config = EXPERIMENTS["equal-amplitude"].default_config()
    for lo, hi in (("-500", "500"), ("9000", "10000"), ("-10000", "-9999")):
        validate(apply_override(apply_override(config, "grid.lo", lo), "grid.hi", hi).grid, "grid.")


@pytest.mark.parametrize("step", ["0", "0.001", "100"])
def test_quantize_boundaries_are_allowed(step):
    validate(apply_override(EXPERIMENTS["staircase"].default_config(), "target.quantize", step).target, "target.")
