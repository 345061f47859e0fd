"""1-D target functions: sine sums, quantised targets and typed formulas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ConfigError, check
from .formula import FormulaError, compile_formula, evaluate_formula

MAX_COMPONENTS = 12


@dataclass(frozen=True)
class TargetConfig:
    """Σ a_i sin(ω_i x + φ_i), or ``formula`` when it is not empty; then quantised to
    ``quantize * round(f / quantize)`` when ``quantize`` > 0 (0 keeps it continuous)."""

    frequencies: tuple[float, ...] = (1.0, 3.0, 5.0)
    amplitudes: tuple[float, ...] = (1.0, 1.0, 1.0)
    phases: tuple[float, ...] = ()
    formula: str = ""
    quantize: float = 0.0

    def validate(self) -> None:
        if self.formula:
            try:
                compile_formula(self.formula)
            except FormulaError as error:
                raise ConfigError(f"target.formula: {error}") from None
        else:
            check(0 < len(self.frequencies) <= MAX_COMPONENTS, "target.frequencies",
                  f"give between 1 and {MAX_COMPONENTS} frequencies")
            check(len(self.amplitudes) == len(self.frequencies), "target.amplitudes",
                  f"give one amplitude per frequency ({len(self.frequencies)})")
            check(not self.phases or len(self.phases) == len(self.frequencies), "target.phases",
                  "give one phase per frequency, or none")
            check(all(0 <= f <= 200 for f in self.frequencies), "target.frequencies",
                  "each frequency must be between 0 and 200")
            check(all(abs(a) <= 100 for a in self.amplitudes), "target.amplitudes",
                  "each amplitude must be between -100 and 100")
            check(any(a != 0 for a in self.amplitudes), "target.amplitudes", "at least one amplitude must be non-zero")
        check(0 <= self.quantize <= 100, "target.quantize", "must be between 0 (continuous) and 100")

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.formula:
            values = evaluate_formula(self.formula, x)
        else:
            phases = self.phases or (0.0,) * len(self.frequencies)
            values = np.zeros_like(x)
            for omega, amplitude, phase in zip(self.frequencies, self.amplitudes, phases, strict=True):
                values += amplitude * np.sin(omega * x + phase)
        if self.quantize > 0:
            values = self.quantize * np.round(values / self.quantize)
        return values

    def describe(self) -> str:
        if self.formula:
            base = self.formula
        else:
            phases = self.phases or (0.0,) * len(self.frequencies)
            terms = []
            for omega, amplitude, phase in zip(self.frequencies, self.amplitudes, phases, strict=True):
                if amplitude == 0:
                    continue
                coefficient = "" if amplitude == 1 else "-" if amplitude == -1 else f"{amplitude:g}·"
                argument = "x" if omega == 1 else f"{omega:g}x"
                if phase:
                    argument += f"{phase:+g}"
                terms.append(f"{coefficient}sin({argument})")
            base = " + ".join(terms).replace("+ -", "− ")
        if self.quantize > 0:
            return f"{self.quantize:g}·round(({base})/{self.quantize:g})"
        return base
