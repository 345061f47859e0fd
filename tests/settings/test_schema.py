"""The settings schema: rules accept what they say, and every refusal names the setting, the rule and
the value, in English and Chinese, from the one declaration."""

from __future__ import annotations

import ast
import dataclasses
import pathlib
from typing import ClassVar

import pytest

import fpengine.registry  # noqa: F401  (registers every section's strings)
import fpengine.sweep  # noqa: F401  (registers the sweep's)
from fpengine.i18n import catalog
from fpengine.settings.config import apply_override, from_dict
from fpengine.settings.schema import (
    SEED,
    ConfigError,
    Flag,
    Interval,
    ListOf,
    OneOf,
    Optional,
    Rule,
    Text,
    rule_of,
    setting,
    validate,
)

ENGINE = pathlib.Path(__file__).resolve().parents[2] / "fpengine"


@dataclasses.dataclass(frozen=True)
class Inner:
    rate: float = setting(0.5, Interval(0, 1, closed="right"))
    kind: str = setting("a", OneOf(("a", "b")))
    checked: bool = setting(False, Flag())

    def checks(self) -> None:
        if self.kind == "b" and self.rate > 0.9:
            raise ConfigError("inner.rate", "settings.must_be", self.rate, rule=Interval(0, 0.9, closed="right"))


@dataclasses.dataclass(frozen=True)
class Outer:
    ALIASES: ClassVar[dict[str, str]] = {"rate": "inner.rate", "old_size": "size"}

    inner: Inner = setting(factory=Inner)
    size: int = setting(8, Interval(1, 100, integer=True))
    items: tuple[int, ...] = setting((1, 2), ListOf(Interval(0, None, integer=True), 1, 4, distinct=True))
    limit: int | None = setting(None, Optional(Interval(1, 10, integer=True)))
    name: str = setting("x", Text(5))
    seed: int = setting(0, SEED)

    def rules(self) -> dict[str, Rule]:
        return {"items": ListOf(Interval(0, self.size, closed="left", integer=True, high_name="size"), 1, 4, distinct=True)}


def refusal(config) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        validate(config)
    return raised.value


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (Interval(0, 10, closed="right"), [10, 0.001], [0, 10.5, float("nan"), float("inf"), True, "3"]),
        (Interval(0, 10, closed="left"), [0, 9.99], [10, -1e-9]),
        (Interval(0, 10, closed="neither"), [5], [0, 10]),
        (Interval(1, None, integer=True), [1, 10**9, 3.0], [0, 2.5]),
        (OneOf(("adam", "sgd")), ["adam"], ["Adam", "", 1]),
        (ListOf(Interval(1, 5, integer=True), 1, 2, distinct=True), [(1,), (1, 5)], [(), (1, 2, 3), (1, 1), (0,)]),
        (ListOf(Interval(0, 1), 0, 3, increasing=True), [(), (0.1, 0.2)], [(0.2, 0.1), (0.1, 0.1)]),
        (Optional(Interval(1, 2)), [None, 1.5], [3, "none"]),
        (Text(3), ["abc", ""], ["abcd", None]),
        (Flag(), [True, False], [1, "true"]),
    ],
)
def test_rules_accept_exactly_what_they_describe(rule, good, bad):
    assert all(rule.accepts(value) for value in good)
    assert not any(rule.accepts(value) for value in bad)


def test_an_interval_says_which_ends_belong_to_it():
    assert Interval(0, 10, closed="right").describe() == "a number in (0, 10]"
    assert Interval(0, 10, closed="left").describe() == "a number in [0, 10)"
    assert Interval(1, 1_000_000, integer=True).describe() == "a whole number in [1, 1,000,000]"
    assert Interval(1, None, integer=True).describe("zh") == "区间 [1, ∞) 内的整数"
    assert SEED.describe() == "a whole number in [0, 2³²−1]"


def test_a_refusal_names_the_setting_the_rule_and_the_value_in_both_languages():
    error = refusal(Outer(inner=Inner(rate=-1)))
    assert error.setting == "inner.rate"
    assert str(error) == "inner.rate must be a number in (0, 1]; got -1"
    assert error.message("zh") == "inner.rate 须为区间 (0, 1] 内的数；收到 -1"
    error = refusal(Outer(inner=Inner(kind="c")))
    assert str(error) == "inner.kind must be one of a, b; got 'c'"
    assert error.message("zh") == "inner.kind 须为以下之一：a、b；收到 'c'"


def test_list_rules_say_how_many_items_and_which():
    error = refusal(Outer(items=(1, 1)))
    assert str(error) == "items must be a list of 1 to 4 whole numbers in [0, size = 8), none repeated; got 1, 1"
    assert error.message("zh") == "items 须为列表，含1 到 4 个区间 [0, size = 8) 内的整数，不可重复；收到 1, 1"


def test_a_rule_that_depends_on_another_setting_follows_it():
    validate(Outer(size=20, items=(19,)))
    error = refusal(Outer(size=10, items=(19,)))
    assert "[0, size = 10)" in str(error) and error.setting == "items"


def test_fields_are_checked_in_order_and_nested_checks_run():
    assert refusal(Outer(size=0, name="toolong")).setting == "size"
    error = refusal(Outer(inner=Inner(kind="b", rate=1.0)))
    assert str(error) == "inner.rate must be a number in (0, 0.9]; got 1"


def test_every_declared_default_is_valid_and_rule_of_reads_the_declaration():
    validate(Outer())
    assert rule_of(Outer, "inner.rate") == Interval(0, 1, closed="right")
    assert rule_of(Outer, "size").high == 100


def test_wrongly_typed_values_are_told_the_declared_rule():
    with pytest.raises(ConfigError) as raised:
        apply_override(Outer(), "size", "eight")
    assert str(raised.value) == "size must be a whole number in [1, 100]; got 'eight'"
    with pytest.raises(ConfigError) as raised:
        from_dict(Outer, {"inner": {"rate": "fast"}})
    assert str(raised.value) == "inner.rate must be a number in (0, 1]; got 'fast'"
    with pytest.raises(ConfigError, match=r"^size must be a whole number in \[1, 100\]; got 'nan'$"):
        apply_override(Outer(), "size", "nan")
    with pytest.raises(ConfigError, match="^inner.rate must be a number in .*; got 'inf'$"):
        apply_override(Outer(), "inner.rate", "inf")


def test_unknown_and_group_settings_are_named():
    with pytest.raises(ConfigError, match=r"^inner\.speed is not a setting \(known here: checked, kind, rate\)$"):
        apply_override(Outer(), "inner.speed", "1")
    with pytest.raises(ConfigError, match=r"^inner is a group; set one of its fields, e\.g\. inner\.rate$"):
        apply_override(Outer(), "inner", "1")
    with pytest.raises(ConfigError, match=r"^nope is not a setting"):
        from_dict(Outer, {"nope": 1})


def test_old_names_are_aliases_of_the_new_ones():
    assert apply_override(Outer(), "rate", "0.25") == apply_override(Outer(), "inner.rate", "0.25")
    assert from_dict(Outer, {"rate": 0.25, "old_size": 9, "inner": {"kind": "b"}}) == Outer(inner=Inner(rate=0.25, kind="b"), size=9)


def _used_keys() -> list[tuple[str, str]]:
    """(where, key) for every ConfigError(setting, "key", …) and LocalizedError("key", …) in the engine."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            position = {"ConfigError": 1, "LocalizedError": 0}.get(node.func.id)
            if position is None or len(node.args) <= position:
                continue
            key = node.args[position]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.append((f"{path.relative_to(ENGINE.parent)}:{node.lineno}", key.value))
    return found


USED = _used_keys()


def test_the_walk_finds_the_engines_refusals():
    assert len(USED) > 10


@pytest.mark.parametrize(("where", "key"), USED, ids=[where for where, _ in USED])
def test_every_refusal_has_english_and_chinese(where, key):
    english, chinese = catalog()[key]
    assert english and chinese and english != chinese, where
    assert not any(word in chinese for word in ("must", "between", "choose", "expected")), where


def test_every_rule_description_reads_in_both_languages():
    rules = [
        Interval(0, 1),
        Interval(1, 5, integer=True),
        OneOf(("a",)),
        ListOf(Interval(0, 1), 0, 3),
        Optional(Interval(1, 2)),
        Text(4),
        Flag(),
    ]
    for rule in rules:
        for lang in ("en", "zh"):
            text = rule.describe(lang)
            assert text and "{" not in text
