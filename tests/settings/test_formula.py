import re
import time

import numpy as np
import pytest
import torch

from fpengine.engine.runner import JobManager, Status
from fpengine.formula import FUNCTIONS, MAX_LENGTH, MAX_VALUE, FormulaError, compile_formula, evaluate_formula, signatures
from fpengine.i18n import LocalizedError, explain, t
from fpengine.i18n.formula import STRINGS as FORMULA_STRINGS
from fpengine.oned.settings import OneDConfig
from fpengine.readout.targets import TargetConfig
from fpengine.registry import EXPERIMENTS
from fpengine.settings.config import apply_override
from fpengine.settings.schema import ConfigError, validate
from tests.cli_helpers import cli_here

X = np.linspace(-3, 3, 101)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sin(x) + 0.5*sin(3*x)", np.sin(X) + 0.5 * np.sin(3 * X)),
        ("-x**2 / 2", -(X**2) / 2),
        ("round(sin(x))", np.round(np.sin(X))),
        ("2*pi + e - abs(x)", 2 * np.pi + np.e - np.abs(X)),
        ("max(x, 0)", np.maximum(X, 0)),
        ("3", np.full_like(X, 3.0)),
    ],
)
def test_allowed_formulas_evaluate_with_numpy(text, expected):
    np.testing.assert_allclose(evaluate_formula(text, X), expected)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("__import__('os').system('echo hacked')", "not an allowed function"),
        ("x.__class__", "not allowed"),
        ("().__class__.__bases__[0]", "not allowed"),
        ("open('/etc/passwd')", "not an allowed function"),
        ("(lambda: 1)()", "not an allowed function"),
        ("[x for x in range(10)]", "not allowed"),
        ("y + 1", "unknown name"),
        ("sin(x=1)", "plain arguments"),
        ("sin(x", "not valid syntax"),
        ("", "empty"),
        ("x" + "+x" * 400, "too long"),
        ("x+" * 120 + "x", "too complicated"),
        ("'text'", "not allowed"),
    ],
)
def test_malicious_or_broken_formulas_are_refused_with_a_reason(text, reason):
    with pytest.raises(FormulaError, match=reason):
        compile_formula(text)


def test_a_formula_of_exactly_the_maximum_length_is_accepted_and_one_more_character_refused():
    at_limit = "sin(x" + " " * (MAX_LENGTH - 6) + ")"
    assert len(at_limit) == MAX_LENGTH
    np.testing.assert_allclose(evaluate_formula(at_limit, X), np.sin(X))
    with pytest.raises(FormulaError, match=rf"too long \({MAX_LENGTH + 1} characters, at most {MAX_LENGTH}\)"):
        compile_formula(at_limit[:-1] + " )")


def test_huge_powers_overflow_to_a_clear_error_instantly():
    start = time.perf_counter()
    with pytest.raises(FormulaError, match=r"^9\*\*9\*\*9 is infinite at x = "):
        evaluate_formula("9**9**9**9", X)
    assert time.perf_counter() - start < 1.0


def calls(name: str, count: int) -> str:
    return f"{name}({', '.join(['x'] * count)})"


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_takes_exactly_its_documented_arguments(name):
    arity = len(FUNCTIONS[name].parameters)
    signature = re.escape(FUNCTIONS[name].signature(name))
    for count in sorted({0, arity - 1, arity + 1, arity + 2} - {arity}):
        with pytest.raises(FormulaError, match=rf"^{name}\(\) takes {arity} argument\(s\), as in {signature} \(got {count}\)$"):
            compile_formula(calls(name, count))
    grid = np.linspace(0.5, 3, 11)  # inside every function's domain
    np.testing.assert_array_equal(evaluate_formula(calls(name, arity), grid), FUNCTIONS[name].apply(*[grid] * arity))


@pytest.mark.parametrize("text", ["sin(x, x)", "max(x, x, x)", "sin(x, out=x)", "exp(x, x**2)"])
def test_no_formula_can_write_into_the_grid(text):
    grid = np.linspace(-3, 3, 64)
    before = grid.copy()
    with pytest.raises(FormulaError):
        evaluate_formula(text, grid)
    np.testing.assert_array_equal(grid, before)


def test_the_result_is_never_the_grid_itself():
    grid = np.linspace(-3, 3, 64)
    values = evaluate_formula("x", grid)
    values += 1
    np.testing.assert_array_equal(grid, np.linspace(-3, 3, 64))


@pytest.mark.parametrize("text", ["0x" + "f" * 290, "0x1" + "0" * 256, "1e999", "sin(x) + 2*1e309"])
def test_literals_beyond_float_range_are_refused(text):
    with pytest.raises(FormulaError, match=r"^the number \S+ is too large \(at most 1\.798e\+308\)$"):
        compile_formula(text)


def test_the_largest_float_literals_are_still_numbers():
    compile_formula("1.7e308")
    compile_formula("0x" + "f" * 255)  # 2**1020 − 1; 0x1 followed by 256 zeros (2**1024) is refused above


def test_an_undefined_formula_names_the_first_bad_x_and_how_many_fail():
    bad = X > 2
    with pytest.raises(FormulaError) as raised:
        evaluate_formula("1 + sqrt(2 - x)", X)
    assert str(raised.value) == (
        f"sqrt(2 - x) is undefined at x = {X[bad][0]:.6g} (the formula fails at {bad.sum()} of {X.size} grid points)"
    )


def test_the_failing_part_is_named_even_when_the_whole_is_nan():
    with pytest.raises(FormulaError, match=r"^log\(x\) is undefined at x = -3 "):
        evaluate_formula("0*log(x) + sin(x)", X)


def test_division_by_zero_is_infinite_where_it_happens():
    grid = np.linspace(-2, 2, 5)
    with pytest.raises(FormulaError, match=r"^1/x is infinite at x = 0 \(the formula fails at 1 of 5 grid points\)$"):
        evaluate_formula("sin(x) + 1/x", grid)


def test_values_too_large_for_float32_training_are_refused():
    with pytest.raises(FormulaError) as raised:
        evaluate_formula("exp(10*x)", X)
    first = X[np.exp(10 * X) > MAX_VALUE][0]
    assert str(raised.value).startswith(f"the formula reaches {np.exp(10 * first):.3g} at x = {first:.6g}: ")
    evaluate_formula(f"{MAX_VALUE:g} + 0*x", X)  # the limit itself is allowed
    with pytest.raises(FormulaError, match="must stay within"):
        evaluate_formula(f"-{MAX_VALUE:g}*1.000001 + 0*x", X)


def test_outside_the_training_domain_undefined_points_become_gaps():
    grid = np.linspace(-2, 2, 5)  # log: nan below 0, -inf at 0; exp(22) at 2 is beyond MAX_VALUE
    values = evaluate_formula("log(x) + exp(11*x)", grid, strict=False)
    fine = (grid > 0) & (np.exp(11 * grid) <= MAX_VALUE)
    np.testing.assert_array_equal(np.isnan(values), ~fine)
    np.testing.assert_allclose(values[fine], np.log(grid[fine]) + np.exp(11 * grid[fine]))


@pytest.mark.parametrize("name", ["equal-amplitude", "beyond-gd"])
def test_a_target_defined_on_the_domain_trains_although_the_plot_reaches_beyond(name):
    experiment = EXPERIMENTS[name]
    config = apply_override(experiment.default_config("quick"), "target.formula", "sqrt(x + 3.2)*sin(3*x)")
    job = JobManager(lease_seconds=None).submit(
        name, apply_override(config, experiment.steps_field, "3"), experiment.run, torch.device("cpu")
    )
    assert job.wait(60) and job.status is Status.DONE, job.message
    views = job.snapshot.views
    assert views["x_plot"].min() < -3.2 < config.grid.lo  # the plot's margin leaves the domain of sqrt
    np.testing.assert_array_equal(np.isnan(views["target_plot"]), views["x_plot"] < -3.2)


def test_a_target_undefined_on_its_grid_is_a_setting_error_in_both_languages():
    with pytest.raises(ConfigError) as raised:
        validate(OneDConfig(target=TargetConfig(formula="log(x)")))
    error = raised.value
    assert error.setting == "target.formula"
    assert (
        str(error)
        == error.message("en")
        == ("target.formula: log(x) is undefined at x = -3.14159 (the formula fails at 128 of 256 grid points)")
    )
    assert explain(error, "zh") == "target.formula：log(x) 在 x = -3.14159 处无定义（公式在 256 个网格点中的 128 个上无法计算）"


def test_a_formula_the_evaluator_refuses_is_a_setting_error_in_both_languages():
    with pytest.raises(ConfigError) as raised:
        validate(TargetConfig(formula="sin(x, x)"))
    assert str(raised.value) == "target.formula: sin() takes 1 argument(s), as in sin(x) (got 2)"
    assert raised.value.message("zh") == "target.formula：sin() 需要 1 个参数，写法如 sin(x)（收到 2）"


X_NEAR_ZERO = np.linspace(-2, 2, 5)
REFUSALS = {  # formula → (key, Chinese); every message the evaluator gives, in both languages
    "": ("formula.empty", "公式为空"),
    "x" + "+x" * 200: ("formula.too_long", "公式过长（401 个字符，最多 300）"),
    "sin(x": ("formula.syntax", "公式语法有误，例如 sin(x) + 0.5*sin(3*x)"),
    "x+" * 120 + "x": ("formula.too_complicated", "公式过于复杂"),
    "1e999": ("formula.number_too_large", "数字 1e999 过大（最大约 1.798e+308）"),
    "y": ("formula.unknown_name", "未知名称 'y'（可用 x、pi、e）"),
    "os.system(x)": ("formula.not_a_function", f"'os.system' 不是允许的函数（可用：{', '.join(FUNCTIONS)}）"),
    "sin(x=1)": ("formula.plain_arguments", "sin() 只接受普通参数"),
    "max(x)": ("formula.arguments", "max() 需要 2 个参数，写法如 max(a, b)（收到 1）"),
    "x.real": ("formula.not_allowed", "公式中不允许出现 'x.real'"),
    "sqrt(x)": ("formula.undefined", "sqrt(x) 在 x = -2 处无定义（公式在 5 个网格点中的 2 个上无法计算）"),
    "1/x": ("formula.infinite", "1/x 在 x = 0 处为无穷大（公式在 5 个网格点中的 1 个上无法计算）"),
    "1e10*x": ("formula.too_large_value", "公式在 x = -2 处达到 -2e+10：目标值须在 ±1e+09 以内（5 个网格点中有 4 个超出）"),
}


@pytest.mark.parametrize("text", list(REFUSALS))
def test_every_refusal_reads_in_both_languages(text):
    key, chinese = REFUSALS[text]
    with pytest.raises(FormulaError) as raised:
        evaluate_formula(text, X_NEAR_ZERO)
    error = raised.value
    assert isinstance(error, LocalizedError) and error.key == key
    assert str(error) == error.message("en") == t(key, "en", **error.details)
    assert error.message("zh") == chinese


def test_every_formula_message_is_tested():
    assert {key for key, _ in REFUSALS.values()} == set(FORMULA_STRINGS)


def test_the_sine_sum_as_a_formula_is_the_same_target():
    target = TargetConfig((1.0, 3.0, 4.5), (0.5, -1.0, 1.0), (0.3, -0.2, 0.0))
    np.testing.assert_allclose(TargetConfig(formula=target.as_formula()).evaluate(X), target.evaluate(X), atol=1e-5)


def test_the_help_lists_every_function_with_its_arguments():
    for lang in ("en", "zh"):
        help_text = t("designer.formula_help", lang, functions=signatures())
        assert all(f"{function.signature(name)}" in help_text for name, function in FUNCTIONS.items())


@pytest.mark.parametrize("text", ["log(x)", "sin(x, x)", "0x" + "f" * 290])
def test_the_cli_refuses_a_bad_formula_in_one_line_before_training(tmp_path, text):
    out = tmp_path / "run"
    result = cli_here("run", "equal-amplitude", "--out", str(out), "--quiet", "--set", f"target.formula={text}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: target.formula: "), result.stderr
    assert not out.exists()
