"""Safe evaluation of a typed 1-D formula such as ``sin(x) + 0.5*sin(3*x)``.

The text is parsed with :mod:`ast` and compiled into a tree of numpy calls from a fixed whitelist;
it never reaches eval/exec. Every number is a float64 array operation, so ``9**9**9`` overflows to
inf (reported) instead of hanging on big-integer arithmetic.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

MAX_LENGTH = 300
MAX_NODES = 200

FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "exp": np.exp,
    "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "round": np.round, "floor": np.floor,
    "ceil": np.ceil, "sign": np.sign, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "min": np.minimum, "max": np.maximum,
}
CONSTANTS = {"pi": np.pi, "e": np.e}
BINARY = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
    ast.Pow: np.power, ast.Mod: np.mod,
}
UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}

Compiled = Callable[[np.ndarray], np.ndarray]


class FormulaError(ValueError):
    """The formula is not allowed or cannot be evaluated; the message says why, in plain words."""


def _compile(node: ast.AST) -> Compiled:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        value = float(node.value)
        return lambda x: np.full_like(x, value)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x: x
        if node.id in CONSTANTS:
            value = CONSTANTS[node.id]
            return lambda x: np.full_like(x, value)
        raise FormulaError(f"unknown name '{node.id}' (use x, pi, e)")
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        op, left, right = BINARY[type(node.op)], _compile(node.left), _compile(node.right)
        return lambda x: op(left(x), right(x))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        op, operand = UNARY[type(node.op)], _compile(node.operand)
        return lambda x: op(operand(x))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError(f"'{ast.unparse(node.func)}' is not an allowed function (allowed: {', '.join(sorted(FUNCTIONS))})")
        if node.keywords or not node.args:
            raise FormulaError(f"{node.func.id}() takes plain arguments")
        func, args = FUNCTIONS[node.func.id], [_compile(a) for a in node.args]
        return lambda x: func(*(a(x) for a in args))
    raise FormulaError(f"'{ast.unparse(node)}' is not allowed in a formula")


def compile_formula(text: str) -> Compiled:
    """Check and compile ``text``; raise FormulaError with a friendly reason if it is not allowed."""
    if not text or not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long ({len(text)} characters, at most {MAX_LENGTH})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise FormulaError("the formula is not valid syntax, e.g. sin(x) + 0.5*sin(3*x)") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError("the formula is too complicated")
    return _compile(tree.body)


def evaluate_formula(text: str, x: np.ndarray) -> np.ndarray:
    """Evaluate ``text`` on ``x``; non-finite results raise FormulaError."""
    compiled = compile_formula(text)
    with np.errstate(all="ignore"):
        values = np.asarray(compiled(np.asarray(x, dtype=np.float64)), dtype=np.float64)
    if values.shape != np.shape(x):
        values = np.broadcast_to(values, np.shape(x)).copy()
    if not np.all(np.isfinite(values)):
        raise FormulaError("the formula gives infinite or undefined values on the domain")
    return values
