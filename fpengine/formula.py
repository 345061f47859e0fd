"""Safe evaluation of a typed 1-D formula such as ``sin(x) + 0.5*sin(3*x)``.

The text is parsed with :mod:`ast` and compiled into a tree of numpy calls from a fixed whitelist;
it never reaches eval/exec. Every number is a float64 array operation, so ``9**9**9`` overflows to
inf (reported) instead of hanging on big-integer arithmetic. Each function takes exactly the
arguments its signature in FUNCTIONS shows, so no numpy ufunc is ever handed an ``out=`` array.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fpengine.i18n import LocalizedError

MAX_LENGTH = 300
MAX_NODES = 200


@dataclass(frozen=True)
class Function:
    """A function of the formula language: its numpy implementation and the names of its
    parameters, whose count is exactly how many arguments it takes."""

    apply: Callable[..., np.ndarray]
    parameters: tuple[str, ...]

    def signature(self, name: str) -> str:
        return f"{name}({', '.join(self.parameters)})"


_ONE = ("x",)
FUNCTIONS: dict[str, Function] = {
    "sin": Function(np.sin, _ONE),
    "cos": Function(np.cos, _ONE),
    "tan": Function(np.tan, _ONE),
    "arctan": Function(np.arctan, _ONE),
    "sinh": Function(np.sinh, _ONE),
    "cosh": Function(np.cosh, _ONE),
    "tanh": Function(np.tanh, _ONE),
    "exp": Function(np.exp, _ONE),
    "log": Function(np.log, _ONE),
    "sqrt": Function(np.sqrt, _ONE),
    "abs": Function(np.abs, _ONE),
    "sign": Function(np.sign, _ONE),
    "round": Function(np.round, _ONE),
    "floor": Function(np.floor, _ONE),
    "ceil": Function(np.ceil, _ONE),
    "min": Function(np.minimum, ("a", "b")),
    "max": Function(np.maximum, ("a", "b")),
}
CONSTANTS = {"pi": np.pi, "e": np.e}
BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}
UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
LARGEST = float(np.finfo(np.float64).max)
MAX_VALUE = 1e9
"""A target's values stay within ±MAX_VALUE: the network trains in float32, where a target of 1e40
is inf and a squared error of 1e20 overflows, so the run would "diverge" at step 0 for no visible reason."""


class FormulaError(LocalizedError):
    """The formula is not allowed or cannot be evaluated; the message (a key of
    :mod:`fpengine.i18n.formula` and its details) says why, in plain words, in either language."""


def signatures() -> str:
    """Every function as it is written, for the help text: ``sin(x), …, max(a, b)``."""
    return ", ".join(function.signature(name) for name, function in FUNCTIONS.items())


@dataclass(frozen=True)
class Expression:
    """One compiled sub-expression: its source text, and how its value follows from x and the
    values of its parts (kept, so an undefined value can be traced to the part that made it)."""

    text: str
    apply: Callable[..., np.ndarray]
    parts: tuple[Expression, ...] = ()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.apply(x, *(part(x) for part in self.parts))

    def culprit(self, x: np.ndarray) -> Expression:
        """The innermost part that is not finite at ``x`` although all of its own parts are."""
        for part in self.parts:
            if not np.all(np.isfinite(part(x))):
                return part.culprit(x)
        return self


def _abbreviated(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def _constant(text: str, value: float) -> Expression:
    return Expression(text, lambda x: np.full_like(x, value))


def _compile(node: ast.AST, source: str) -> Expression:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        try:
            value = float(node.value)
        except OverflowError:  # an integer literal beyond float range, e.g. a 300-digit hex number
            value = np.inf
        if not np.isfinite(value):  # 1e999 is already inf when parsed
            raise FormulaError("formula.number_too_large", number=_abbreviated(text), limit=f"{LARGEST:.4g}")
        return _constant(text, value)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return Expression(text, lambda x: x)
        if node.id in CONSTANTS:
            return _constant(text, CONSTANTS[node.id])
        raise FormulaError("formula.unknown_name", name=node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        op = BINARY[type(node.op)]
        return Expression(text, lambda x, left, right: op(left, right), (_compile(node.left, source), _compile(node.right, source)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        op = UNARY[type(node.op)]
        return Expression(text, lambda x, operand: op(operand), (_compile(node.operand, source),))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError("formula.not_a_function", name=ast.unparse(node.func), allowed=", ".join(FUNCTIONS))
        name, function = node.func.id, FUNCTIONS[node.func.id]
        if node.keywords:
            raise FormulaError("formula.plain_arguments", name=name)
        if len(node.args) != len(function.parameters):
            raise FormulaError(
                "formula.arguments", name=name, n=len(function.parameters), signature=function.signature(name), count=len(node.args)
            )
        apply = function.apply
        return Expression(text, lambda x, *args: apply(*args), tuple(_compile(a, source) for a in node.args))
    raise FormulaError("formula.not_allowed", text=ast.unparse(node))


def compile_formula(text: str) -> Expression:
    """Check and compile ``text``; raise FormulaError with a friendly reason if it is not allowed."""
    if not text or not text.strip():
        raise FormulaError("formula.empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError("formula.too_long", n=len(text), limit=MAX_LENGTH)
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise FormulaError("formula.syntax", example="sin(x) + 0.5*sin(3*x)") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError("formula.too_complicated")
    return _compile(tree.body, source)


def evaluate_formula(text: str, x: np.ndarray, strict: bool = True) -> np.ndarray:
    """Evaluate ``text`` on the points ``x``. Where it is not finite or beyond ±MAX_VALUE, raise
    FormulaError naming the first such point (and the part of the formula that fails there);
    ``strict=False`` gives nan there instead (a gap in a plot that reaches beyond the training domain)."""
    expression = compile_formula(text)
    grid = np.array(x, dtype=np.float64)
    grid.flags.writeable = False  # the caller's grid: a stray out= argument fails loudly, never overwrites it
    with np.errstate(all="ignore"):
        values = np.array(np.broadcast_to(expression(grid), grid.shape), dtype=np.float64)
        bad = ~(np.abs(values) <= MAX_VALUE)  # nan compares False, so it is bad too
        if not bad.any():
            return values
        if not strict:
            values[bad] = np.nan
            return values
        first = np.flatnonzero(bad)[0]
        at = grid.reshape(-1)[first : first + 1]
        value = values.reshape(-1)[first]
        part = expression.culprit(at) if not np.isfinite(value) else expression
        undefined = bool(np.isnan(part(at)[0]))
    where = {"x": f"{at[0]:.6g}", "count": int(bad.sum()), "total": bad.size}
    if np.isfinite(value):
        raise FormulaError("formula.too_large_value", value=f"{value:.3g}", limit=f"{MAX_VALUE:g}", **where)
    raise FormulaError("formula.undefined" if undefined else "formula.infinite", part=part.text, **where)
