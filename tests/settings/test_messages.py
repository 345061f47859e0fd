"""Every validation message the engine can raise has Chinese for the UI; the setting's name stays."""

import ast
import pathlib
import re

import pytest

from fpengine.i18n.settings import PHRASES as RULES
from fpengine.i18n.settings import explain_setting_error, translate_phrase
from fpengine.oned.experiment import EQUAL_AMPLITUDE
from fpengine.settings.config import ConfigError, apply_override

ENGINE = pathlib.Path(__file__).resolve().parents[2] / "fpengine"
PLACEHOLDER = "7"


def text_of(node: ast.expr) -> str | None:
    """A message's literal text, with each {…} of an f-string replaced by a sample value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else PLACEHOLDER for part in node.values)
    return None


def engine_phrases() -> list[tuple[str, str]]:
    """(where, phrase) for every check(…, message), ConfigError("setting: phrase") and FormulaError."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            name = node.func.id
            if name == "check" and len(node.args) >= 3:  # the 4th, the refused value, is echoed as " (got …)"
                phrase = text_of(node.args[2])
            elif name in ("ConfigError", "FormulaError"):
                message = text_of(node.args[0])
                phrase = message.split(": ", 1)[-1] if message and name == "ConfigError" else message
            else:
                continue
            if phrase is not None and phrase.strip(PLACEHOLDER):  # bare {…} only pass another message on
                found.append((f"{path.relative_to(ENGINE.parent)}:{node.lineno}", phrase))
    return found


PHRASES = engine_phrases()


def test_the_walk_finds_the_engines_messages():
    assert len(PHRASES) > 80


@pytest.mark.parametrize(("where", "phrase"), PHRASES, ids=[where for where, _ in PHRASES])
def test_every_engine_phrase_has_chinese(where, phrase):
    chinese = translate_phrase(phrase)
    assert chinese is not None, f"{where}: no Chinese for {phrase!r}"
    assert not any(word in chinese for word in ("must", "between", "choose", "expected", "formula"))


def test_every_rule_serves_an_engine_message():
    """A rule no engine message reaches is dead: the message it was written for has changed."""
    first_rule = {next(i for i, (pattern, _) in enumerate(RULES) if re.fullmatch(pattern, phrase)) for _, phrase in PHRASES}
    unused = [pattern for i, (pattern, _) in enumerate(RULES) if i not in first_rule]
    assert not unused


def test_a_real_validation_error_keeps_the_setting_and_translates_the_rest():
    with pytest.raises(ConfigError) as raised:
        apply_override(EQUAL_AMPLITUDE.default_config(), "training.lr", "-1").validate()
    message = str(raised.value)
    assert message == "training.lr: must be greater than 0 and at most 10 (got -1)"
    assert explain_setting_error(message, "zh") == "training.lr：须大于 0 且不超过 10（收到 -1）"
    assert explain_setting_error(message, "en") == message


@pytest.mark.parametrize(
    ("message", "chinese"),
    [
        ("network.widths: each width must be between 1 and 4096", "network.widths：每层宽度须在 1 到 4096 之间"),
        ("long_side: must be between 16 and 512 pixels", "long_side：须在 16 到 512 之间"),
        ("target.formula: unknown name 'y' (use x, pi, e)", "target.formula：未知名称 'y'（可用 x、pi、e）"),
        ("the formula is empty", "公式为空"),
        ("deltas: each δ must be between 1e-06 and 1e+06 (got 3, 1e-40)", "deltas：每个 δ 须在 1e-06 到 1e+06 之间（收到 3, 1e-40）"),
        ("seed: something new (got 3)", "seed: something new (got 3)"),
        ("seed: something new nobody translated", "seed: something new nobody translated"),
    ],
)
def test_examples(message, chinese):
    assert explain_setting_error(message, "zh") == chinese
