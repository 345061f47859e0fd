"""The F-Principle's convergence law fitted to a sweep: convergence step t against frequency ω.

Two laws, both straight lines in log t, fitted by least squares over every seed's converged points:

* power law    t = A·ω^p     ⇔  log t = log A + p·log ω   (only ω > 0 can enter)
* exponential  t = A·e^{cω}  ⇔  log t = log A + c·ω

A (seed, ω) that never converged stays in the report (``never_converged``); it has no step, so it
cannot enter a least-squares fit, and dropping it silently would flatter the law.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

MODEL = "log t = log A + p·log ω (power) and log t = log A + c·ω (exponential), least squares"
FITTED_STATUS = "done"
TIE = 1e-12


@dataclass
class GroupPoints:
    """One group's points, read out of the results table (unfinished cells only counted)."""

    settings: dict[str, Any]
    frequencies: set[float] = field(default_factory=set)
    converged: list[tuple[int, float, float]] = field(default_factory=list)  # (seed, ω, step)
    never: list[tuple[int, float]] = field(default_factory=list)  # (seed, ω)
    excluded: int = 0


def step_column(omega: float) -> str:
    """The results column holding the convergence step of frequency ``omega``."""
    return f"convergence_step[{omega:g}]"


def plain_value(value: Any) -> Any:
    """A JSON-safe scalar: numpy scalars unwrapped, NaN/inf as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None if pd.isna(value) else str(value)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def parse_frequencies(text: Any) -> list[float]:
    """The tracked frequencies of a cell from its ``frequencies`` text ("1,4"), in order, without repeats."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return []
    values = [float(part) for part in str(text).split(",") if part.strip()]
    return list(dict.fromkeys(values))


def _tracked(row: pd.Series, columns: Sequence[str]) -> list[float]:
    if "frequencies" in row.index:
        return parse_frequencies(row["frequencies"])
    # without the list, a NaN cannot say "never converged" apart from "not tracked": keep what has a step
    return [float(c[len("convergence_step[") : -1]) for c in columns if pd.notna(row[c])]


def _step(row: pd.Series, omega: float) -> float | None:
    value = row.get(step_column(omega))
    if value is None or pd.isna(value):
        return None
    return float(value)


def _check_columns(results: pd.DataFrame, group_keys: Sequence[str]) -> None:
    missing = [key for key in (*group_keys, "seed", "status") if key not in results.columns]
    if missing:
        raise ValueError(f"results has no column {', '.join(missing)}")


def collect_points(results: pd.DataFrame, group_keys: Sequence[str]) -> list[GroupPoints]:
    """Every group's converged and never-converged (seed, ω), in order of first appearance in ``results``.

    Only cells whose status is "done" give points; the others are only counted (``excluded``).
    """
    _check_columns(results, group_keys)
    step_columns = [c for c in results.columns if str(c).startswith("convergence_step[")]
    groups: dict[tuple[Any, ...], GroupPoints] = {}
    for _, row in results.iterrows():
        settings = {key: plain_value(row[key]) for key in group_keys}
        group = groups.setdefault(tuple(settings.values()), GroupPoints(settings))
        seed = int(row["seed"])
        if row["status"] != FITTED_STATUS:
            group.excluded += 1
            continue
        for omega in _tracked(row, step_columns):
            group.frequencies.add(omega)
            step = _step(row, omega)
            if step is None:
                group.never.append((seed, omega))
            else:
                group.converged.append((seed, omega, step))
    return list(groups.values())


def excluded_cells(results: pd.DataFrame, group_keys: Sequence[str]) -> list[dict[str, Any]]:
    """The cells whose status is not "done", in table order, with their seed, settings and status."""
    _check_columns(results, group_keys)
    return [
        {
            "seed": int(row["seed"]),
            "settings": {key: plain_value(row[key]) for key in group_keys},
            "frequencies": plain_value(row.get("frequencies")),
            "status": str(row["status"]),
        }
        for _, row in results.iterrows()
        if row["status"] != FITTED_STATUS
    ]


def _exp(value: float) -> float | None:
    with np.errstate(over="ignore"):
        return _finite(float(np.exp(value)))


def _line(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, Any]:
    """Least squares y = a + b·x with the slope's Student-t interval (n − 2 degrees of freedom)."""
    n = len(x)
    fit = stats.linregress(x, y)
    residuals = y - (fit.intercept + fit.slope * x)
    rss = float(np.sum(residuals**2))
    tss = float(np.sum((y - y.mean()) ** 2))
    interval = None
    if n > 2:
        half = stats.t.ppf(0.5 + confidence / 2, n - 2) * fit.stderr
        interval = [_finite(fit.slope - half), _finite(fit.slope + half)]
        interval = None if None in interval else interval
    return {
        "slope": float(fit.slope),
        "interval": interval,
        "prefactor": _exp(fit.intercept),
        "r_squared": 1.0 - rss / tss if tss > 0 else None,  # undefined when every log t is the same
        "rmse_log": math.sqrt(rss / n),
        "points": n,
        "rss": rss,
    }


def _law(
    omegas: np.ndarray,
    log_steps: np.ndarray,
    regressor: Callable[[np.ndarray], np.ndarray],
    slope_name: str,
    confidence: float,
    which: str = "",
) -> tuple[dict[str, Any] | None, float | None, str | None]:
    """One law's report, its residual sum of squares, and why it could not be fitted (or None)."""
    if len(np.unique(omegas)) < 2:
        return None, None, f"fewer than 2 distinct {which}frequencies converged (got {len(np.unique(omegas))})"
    line = _line(regressor(omegas), log_steps, confidence)
    rss = line.pop("rss")
    return {slope_name: line.pop("slope"), **line}, rss, None


def _better(power_rss: float | None, exponential_rss: float | None) -> str | None:
    if power_rss is None or exponential_rss is None or abs(power_rss - exponential_rss) <= TIE:
        return None
    return "power" if power_rss < exponential_rss else "exponential"


def _fit_group(group: GroupPoints, confidence: float) -> dict[str, Any]:
    points = np.array([(omega, step) for _, omega, step in group.converged], dtype=float).reshape(-1, 2)
    positive_step = points[:, 1] > 0
    omegas, log_steps = points[positive_step, 0], np.log(points[positive_step, 1])
    nonzero = omegas > 0
    power, power_rss, power_reason = _law(omegas[nonzero], log_steps[nonzero], np.log, "exponent", confidence, "positive ")
    exponential, exponential_rss, exponential_reason = _law(omegas, log_steps, lambda w: w, "rate", confidence)
    if power is not None and exponential is not None and not nonzero.all():
        # ω ≤ 0 points sit in the exponential fit only: compare both laws on the points they share
        _, exponential_rss, _ = _law(omegas[nonzero], log_steps[nonzero], lambda w: w, "rate", confidence)
    report: dict[str, Any] = {
        "settings": group.settings,
        "frequencies": sorted(group.frequencies),
        "converged_points": len(group.converged),
        "never_converged": [{"seed": seed, "frequency": omega} for seed, omega in group.never],
        "median_steps": _median_steps(group),
        "power": power,
        "exponential": exponential,
        "better": _better(power_rss, exponential_rss),
    }
    unfittable = [
        {
            "seed": seed,
            "frequency": omega,
            "step": step,
            "reason": "step ≤ 0 has no logarithm" if step <= 0 else "ω ≤ 0 has no logarithm (power law only)",
        }
        for seed, omega, step in group.converged
        if step <= 0 or omega <= 0
    ]
    if unfittable:
        report["not_fittable"] = unfittable
    reasons = {name: reason for name, reason in (("power", power_reason), ("exponential", exponential_reason)) if reason}
    if reasons:
        report["reasons"] = reasons
    return report


def _median_steps(group: GroupPoints) -> dict[str, float | None]:
    """Median over seeds of the converged steps per frequency (None where no seed converged)."""
    medians: dict[str, float | None] = {}
    for omega in sorted(group.frequencies):
        steps = [step for _, w, step in group.converged if w == omega]
        medians[f"{omega:g}"] = float(np.median(steps)) if steps else None
    return medians


def fit_sweep(results: pd.DataFrame, group_keys: Sequence[str], confidence: float = 0.95) -> dict[str, Any]:
    """Fit the power and exponential convergence laws to each group of ``results``' finished cells.

    ``better`` names the law with the smaller residual sum of squares in log t. Both laws have two
    parameters and the same response (log t) on the same points, so the comparison is fair without a
    penalty for complexity; where ω ≤ 0 points exist, the sums are compared on the ω > 0 points both
    laws share. The result is JSON-safe (no NaN or inf).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    groups = collect_points(results, group_keys)
    return {
        "model": MODEL,
        "confidence": float(confidence),
        "group_keys": list(group_keys),
        "groups": [_fit_group(group, confidence) for group in groups],
        "excluded_cells": excluded_cells(results, group_keys),
    }
