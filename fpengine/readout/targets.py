"""1-D target functions: sine sums, quantised targets and typed formulas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpengine.formula import MAX_LENGTH, FormulaError, compile_formula, evaluate_formula
from fpengine.settings.schema import ConfigError, Interval, ListOf, Rule, Text, setting

MAX_COMPONENTS = 12
FREQUENCY = Interval(0, 200)
AMPLITUDE = Interval(-100, 100)
PHASE = Interval(-1000, 1000)
"""A huge phase swamps ω·x in rounding: sin(ωx + 1e20) is a constant."""
QUANTIZE = Interval(1e-3, 100)
"""A non-zero quantisation step: a tiny one quantises nothing and overflows f/quantize."""


@dataclass(frozen=True)
class TargetConfig:
    """Σ a_i sin(ω_i x + φ_i), or ``formula`` when it is not empty; then quantised to
    ``quantize * round(f / quantize)`` when ``quantize`` > 0 (0 keeps it continuous)."""

    frequencies: tuple[float, ...] = setting((1.0, 3.0, 5.0), ListOf(FREQUENCY, 1, MAX_COMPONENTS, distinct=True))
    amplitudes: tuple[float, ...] = setting((1.0, 1.0, 1.0), ListOf(AMPLITUDE, 1, MAX_COMPONENTS))
    phases: tuple[float, ...] = setting((), ListOf(PHASE, 0, MAX_COMPONENTS))
    """One per frequency, or none (all zero)."""
    formula: str = setting("", Text(MAX_LENGTH))
    quantize: float = setting(0.0, Interval(0, QUANTIZE.high))
    """0 (continuous) or a step in QUANTIZE."""

    def rules(self) -> dict[str, Rule]:
        """A sine sum has one amplitude (and one phase, if any) per frequency; a formula ignores them."""
        if self.formula:
            return {}
        count = len(self.frequencies)
        rules: dict[str, Rule] = {"amplitudes": ListOf(AMPLITUDE, count, count)}
        if self.phases:
            rules["phases"] = ListOf(PHASE, count, count)
        return rules

    def checks(self) -> None:
        if 0 < self.quantize < QUANTIZE.low:
            raise ConfigError("target.quantize", "oned.error.quantize", self.quantize, rule=QUANTIZE)
        if self.formula:
            try:
                compile_formula(self.formula)
            except FormulaError as error:
                raise ConfigError("target.formula", "oned.error.formula", formula=error) from None
        elif not any(self.amplitudes):
            raise ConfigError("target.amplitudes", "oned.error.silent_target", self.amplitudes)

    def evaluate(self, x: np.ndarray, strict: bool = True) -> np.ndarray:
        """The target at ``x``; a formula undefined there is a ConfigError naming the first bad x
        (``strict=False``: nan there, for a plot grid that reaches beyond the training domain)."""
        x = np.asarray(x, dtype=np.float64)
        if self.formula:
            try:
                values = evaluate_formula(self.formula, x, strict)
            except FormulaError as error:
                raise ConfigError("target.formula", "oned.error.formula", formula=error) from None
        else:
            phases = self.phases or (0.0,) * len(self.frequencies)
            values = np.zeros_like(x)
            for omega, amplitude, phase in zip(self.frequencies, self.amplitudes, phases, strict=True):
                values += amplitude * np.sin(omega * x + phase)
        if self.quantize > 0:
            values = self.quantize * np.round(values / self.quantize)
        return values

    def as_formula(self) -> str:
        """The target before quantisation, in the formula language (the designer's starting formula)."""
        return self.formula or self._sine_sum(typed=True)

    def _sine_sum(self, typed: bool) -> str:
        """Σ a sin(ωx + φ) as text: typed (``0.5*sin(3*x)``) or for reading (``0.5·sin(3x)``)."""
        times, minus = ("*", "- ") if typed else ("·", "− ")
        phases = self.phases or (0.0,) * len(self.frequencies)
        terms = []
        for omega, amplitude, phase in zip(self.frequencies, self.amplitudes, phases, strict=True):
            if amplitude == 0:
                continue
            coefficient = "" if amplitude == 1 else "-" if amplitude == -1 else f"{amplitude:g}{times}"
            argument = "x" if omega == 1 else f"{omega:g}{'*' if typed else ''}x"
            if phase:
                argument += f"{phase:+g}"
            terms.append(f"{coefficient}sin({argument})")
        return " + ".join(terms).replace("+ -", minus)

    def describe(self) -> str:
        base = self.formula or self._sine_sum(typed=False)
        if self.quantize > 0:
            return f"{self.quantize:g}·round(({base})/{self.quantize:g})"
        return base
