"""English / 简体中文 for the safe formula evaluator's refusals (fpengine.formula)."""

STRINGS: dict[str, tuple[str, str]] = {
    "formula.empty": ("the formula is empty", "公式为空"),
    "formula.too_long": ("the formula is too long ({n} characters, at most {limit})", "公式过长（{n} 个字符，最多 {limit}）"),
    "formula.syntax": ("the formula is not valid syntax, e.g. {example}", "公式语法有误，例如 {example}"),
    "formula.too_complicated": ("the formula is too complicated", "公式过于复杂"),
    "formula.number_too_large": ("the number {number} is too large (at most {limit})", "数字 {number} 过大（最大约 {limit}）"),
    "formula.unknown_name": ("unknown name '{name}' (use x, pi, e)", "未知名称 '{name}'（可用 x、pi、e）"),
    "formula.not_a_function": ("'{name}' is not an allowed function (allowed: {allowed})", "'{name}' 不是允许的函数（可用：{allowed}）"),
    "formula.plain_arguments": ("{name}() takes plain arguments", "{name}() 只接受普通参数"),
    "formula.arguments": (
        "{name}() takes {n} argument(s), as in {signature} (got {count})",
        "{name}() 需要 {n} 个参数，写法如 {signature}（收到 {count}）",
    ),
    "formula.not_allowed": ("'{text}' is not allowed in a formula", "公式中不允许出现 '{text}'"),
    "formula.undefined": (
        "{part} is undefined at x = {x} (the formula fails at {count} of {total} grid points)",
        "{part} 在 x = {x} 处无定义（公式在 {total} 个网格点中的 {count} 个上无法计算）",
    ),
    "formula.infinite": (
        "{part} is infinite at x = {x} (the formula fails at {count} of {total} grid points)",
        "{part} 在 x = {x} 处为无穷大（公式在 {total} 个网格点中的 {count} 个上无法计算）",
    ),
    "formula.too_large_value": (
        "the formula reaches {value} at x = {x}: a target must stay within ±{limit} ({count} of {total} grid points are beyond)",
        "公式在 x = {x} 处达到 {value}：目标值须在 ±{limit} 以内（{total} 个网格点中有 {count} 个超出）",
    ),
}
