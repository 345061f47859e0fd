"""AppTest: a typed target formula that cannot be used is explained on every page that takes one
(the three 1-D pages and Sec 1.6), in the visitor's language, and Start stays disabled."""

import pytest

from tests.conftest import open_app_page
from tests.oned.test_pages import PAGES

PAGES = {**PAGES, "beyond-gd": "app_pages/beyond_gd.py"}
LANGS = {"sine-fit": "en", "staircase": "zh", "equal-amplitude": "zh", "beyond-gd": "en"}
BAD = {  # formula → what the visitor reads, in English and in Chinese ({lo}: the domain's left end)
    "log(x)": (
        "target.formula: log(x) is undefined at x = {lo} (the formula fails at ",
        "target.formula：log(x) 在 x = {lo} 处无定义（公式在 ",
    ),
    "1/0": ("target.formula: 1/0 is infinite at x = {lo} (the formula fails at ", "target.formula：1/0 在 x = {lo} 处为无穷大（公式在 "),
    "sin(x, x)": (
        "This formula cannot be used: sin() takes 1 argument(s), as in sin(x) (got 2)",
        "无法使用该公式：sin() 需要 1 个参数，写法如 sin(x)（收到 2）",
    ),
    "max(x)": (
        "This formula cannot be used: max() takes 2 argument(s), as in max(a, b) (got 1)",
        "无法使用该公式：max() 需要 2 个参数，写法如 max(a, b)（收到 1）",
    ),
    "round(x, 2)": (
        "This formula cannot be used: round() takes 1 argument(s), as in round(x) (got 2)",
        "无法使用该公式：round() 需要 1 个参数，写法如 round(x)（收到 2）",
    ),
    "0x" + "f" * 290: (
        "This formula cannot be used: the number 0xffffffffffffffffffffff… is too large",
        "无法使用该公式：数字 0xffffffffffffffffffffff… 过大",
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_bad_formula_is_explained_and_start_stays_disabled(app_test, name):
    lang = LANGS[name]
    at = open_app_page(app_test, PAGES[name], lang)
    at.radio(key=f"{name}.w.target_mode@{lang}").set_value("formula").run()
    formula = at.text_input(key=f"{name}.w.formula@{lang}")
    assert "max(a, b)" in formula.help and "round(x)" in formula.help
    start = f"{name}.start"
    lo = f"{at.sidebar.number_input(key=f'{name}.w.lo@{lang}').value:.6g}"
    assert not at.error and not at.button(key=start).disabled  # the designer starts from a usable formula
    for text, message in BAD.items():
        at.text_input(key=f"{name}.w.formula@{lang}").set_value(text).run()
        assert not at.exception, (text, at.exception)
        expected = message[lang == "zh"].format(lo=lo)
        assert any(expected in e.value for e in at.error), (text, [e.value for e in at.error])
        assert at.button(key=start).disabled, text
    at.text_input(key=f"{name}.w.formula@{lang}").set_value("sin(x) + 0.5*sin(3*x)").run()
    assert not at.exception and not at.error
    assert not at.button(key=start).disabled
