"""1-D target functions: sine sums, quantised targets and typed formulas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpengine.formula import FormulaError, compile_formula, evaluate_formula
from fpengine.settings.config import ConfigError, check

MAX_COMPONENTS = 12
MIN_QUANTIZE = 1e-3


@dataclass(frozen=True)
class TargetConfig:
    """Σ a_i sin(ω_i x + φ_i), or ``formula`` when it is not empty; then quantised to
    ``quantize * round(f / quantize)`` when ``quantize`` > 0 (0 keeps it continuous)."""

    frequencies: tuple[float, ...] = (1.0, 3.0, 5.0)
    amplitudes: tuple[float, ...] = (1.0, 1.0, 1.0)
    phases: tuple[float, ...] = ()
    formula: str = ""
    quantize: float = 0.0

    def checks(self) -> None:
        if self.formula:
            try:
                compile_formula(self.formula)
            except FormulaError as error:
                raise ConfigError(f"target.formula: {error}") from None
        else:
            check(0 < len(self.frequencies) <= MAX_COMPONENTS, "target.frequencies",
                  f"give between 1 and {MAX_COMPONENTS} frequencies", self.frequencies)
            check(len(self.amplitudes) == len(self.frequencies), "target.amplitudes",
                  f"give one amplitude per frequency ({len(self.frequencies)})", self.amplitudes)
            check(not self.phases or len(self.phases) == len(self.frequencies), "target.phases",
                  "give one phase per frequency, or none", self.phases)
            check(all(0 <= f <= 200 for f in self.frequencies), "target.frequencies",
                  "each frequency must be between 0 and 200", self.frequencies)
            check(len(set(self.frequencies)) == len(self.frequencies), "target.frequencies", "a frequency is listed twice",
                  self.frequencies)
            check(all(abs(a) <= 100 for a in self.amplitudes), "target.amplitudes",
                  "each amplitude must be between -100 and 100", self.amplitudes)
            check(any(a != 0 for a in self.amplitudes), "target.amplitudes", "at least one amplitude must be non-zero",
                  self.amplitudes)
            # a huge phase swamps ω·x in rounding: sin(ωx + 1e20) is a constant
            check(all(abs(p) <= 1000 for p in self.phases), "target.phases", "each phase must be between -1000 and 1000",
                  self.phases)
        # a tiny step quantises nothing and overflows f/quantize; the page's own step is 0.5
        check(self.quantize == 0 or MIN_QUANTIZE <= self.quantize <= 100, "target.quantize",
              f"must be 0 (continuous) or between {MIN_QUANTIZE:g} and 100", self.quantize)

    def evaluate(self, x: np.ndarray, strict: bool = True) -> np.ndarray:
        """The target at ``x``; a formula undefined there is a ConfigError naming the first bad x
        (``strict=False``: nan there, for a plot grid that reaches beyond the training domain)."""
        x = np.asarray(x, dtype=np.float64)
        if self.formula:
            try:
                values = evaluate_formula(self.formula, x, strict)
            except FormulaError as error:
                raise ConfigError(f"target.formula: {error}") from None
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
