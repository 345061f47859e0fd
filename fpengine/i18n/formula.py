"""English / 简体中文 for the safe formula evaluator's refusals (fpengine.formula)."""

STRINGS: dict[str, tuple[str, str]] = {}
