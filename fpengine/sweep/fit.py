"""The F-Principle's convergence law fitted to a sweep: convergence step t against frequency ω.

Each group's ``law`` (the fit to read) is a maximum-likelihood fit with normal errors in log t of
three laws: power t = A·ω^p, exponential t = A·e^{cω} and power with a start-up delay
t = t₀ + A·ω^p; a (seed, ω) that never converged enters as right-censored at its run's length
(``run_steps``): it would have converged later, which is information a fit that drops it loses.
The laws are compared by AIC, and called indistinguishable when their AIC differ by less than 2
(:mod:`fpengine.sweep.censored`). Where the table has the linearised prediction
(``predicted_convergence_step[ω]``), the same fit is made of the predicted steps (``predicted``),
and the measured steps are compared with the predicted ones, with the runs' drift from linearity.

The older fields stay as they were (fit.json's readers rely on them): ``power`` and ``exponential``
are least-squares lines in log t over the converged points only,

* power law    t = A·ω^p     ⇔  log t = log A + p·log ω   (only ω > 0 can enter)
* exponential  t = A·e^{cω}  ⇔  log t = log A + c·ω

and ``better`` names the one with the smaller residual sum of squares.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fpengine.sweep import censored

MODEL = "log t = log A + p·log ω (power) and log t = log A + c·ω (exponential), least squares"
LAW_MODEL = (
    "maximum likelihood, log t ~ N(μ(ω), σ²) with never-converged points right-censored at the run's length: "
    "power μ = log A + p·log ω, exponential μ = log A + c·ω, power_offset μ = log(t₀ + A·ω^p); compared by AIC"
)
FITTED_STATUS = "done"
TIE = 1e-12
MEASURED = "convergence_step"
PREDICTED = "predicted_convergence_step"
"""The results columns ``<prefix>[ω]`` of the measured and of the predicted convergence steps."""
PREDICTED_IN_RUN = "predicted_convergence_step_in_run"
"""The predicted step read on the run's own record by the measured step's rule: measured/predicted
compares with it (with ``predicted_convergence_step`` in a table that has no such column, or where the
prediction does not converge within the run)."""
RUN_STEPS = "run_steps"
"""The results column of a cell's length in steps: where its never-converged points are censored."""
PREDICTION_HORIZON = 1e15
"""A predicted step beyond this is not searched for (``fpengine.readout.theory.HORIZON``): the
prediction's never-converged points are censored there."""
RATIO_BAND = (2 / 3, 1.5)
"""Measured/predicted steps within this band count as agreeing (the linear-regime preset's test)."""


@dataclass
class GroupPoints:
    """One group's points, read out of the results table (unfinished cells only counted)."""

    settings: dict[str, Any]
    frequencies: set[float] = field(default_factory=set)
    converged: list[tuple[int, float, float]] = field(default_factory=list)  # (seed, ω, step)
    never: list[tuple[int, float]] = field(default_factory=list)  # (seed, ω)
    excluded: int = 0
    bounds: list[float | None] = field(default_factory=list)
    """Each never-converged point's censoring bound (its run's length; None where unknown)."""


def step_column(omega: float, prefix: str = MEASURED) -> str:
    """The results column holding the convergence step of frequency ``omega``."""
    return f"{prefix}[{omega:g}]"


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


def _tracked(row: pd.Series, columns: Sequence[str], prefix: str) -> list[float]:
    if "frequencies" in row.index:
        return parse_frequencies(row["frequencies"])
    # without the list, a NaN cannot say "never converged" apart from "not tracked": keep what has a step
    return [float(c[len(prefix) + 1 : -1]) for c in columns if pd.notna(row[c])]


def _step(row: pd.Series, omega: float, prefix: str = MEASURED) -> float | None:
    value = row.get(step_column(omega, prefix))
    if value is None or pd.isna(value):
        return None
    return float(value)


def _bound(row: pd.Series, prefix: str) -> float | None:
    if prefix == PREDICTED:
        return PREDICTION_HORIZON
    value = row.get(RUN_STEPS)
    return None if value is None or pd.isna(value) else float(value)


def _check_columns(results: pd.DataFrame, group_keys: Sequence[str]) -> None:
    missing = [key for key in (*group_keys, "seed", "status") if key not in results.columns]
    if missing:
        raise ValueError(f"results has no column {', '.join(missing)}")


def has_prediction(results: pd.DataFrame) -> bool:
    return any(str(c).startswith(f"{PREDICTED}[") for c in results.columns)


def collect_points(results: pd.DataFrame, group_keys: Sequence[str], prefix: str = MEASURED) -> list[GroupPoints]:
    """Every group's converged and never-converged (seed, ω), in order of first appearance in ``results``,
    read from the ``<prefix>[ω]`` columns (the measured steps, or the predicted ones).

    Only cells whose status is "done" give points; the others are only counted (``excluded``).
    """
    _check_columns(results, group_keys)
    step_columns = [c for c in results.columns if str(c).startswith(f"{prefix}[")]
    groups: dict[tuple[Any, ...], GroupPoints] = {}
    for _, row in results.iterrows():
        settings = {key: plain_value(row[key]) for key in group_keys}
        group = groups.setdefault(tuple(settings.values()), GroupPoints(settings))
        seed = int(row["seed"])
        if row["status"] != FITTED_STATUS:
            group.excluded += 1
            continue
        for omega in _tracked(row, step_columns, prefix):
            group.frequencies.add(omega)
            step = _step(row, omega, prefix)
            if step is None:
                group.never.append((seed, omega))
                group.bounds.append(_bound(row, prefix))
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


def censored_law(group: GroupPoints, confidence: float, resolution: float = censored.RESOLUTION) -> dict[str, Any]:
    """The three laws fitted by maximum likelihood to a group's points with ω > 0 and step > 0, its
    never-converged points censored at their run's length (where unknown, at the group's largest
    converged step: a run is at least that long, so the bound is weaker but still true)."""
    seen = [(omega, step) for _, omega, step in group.converged if omega > 0 and step > 0]
    fallback = max((step for _, step in seen), default=None)
    bounds = [
        (omega, bound if bound is not None else fallback) for (_, omega), bound in zip(group.never, group.bounds, strict=True) if omega > 0
    ]
    bounds = [(omega, bound) for omega, bound in bounds if bound is not None and bound > 0]
    data = censored.LawData.of(seen, bounds)
    report: dict[str, Any] = {
        "model": LAW_MODEL,
        "resolution": resolution,
        "converged_points": len(seen),
        "censored_points": len(bounds),
        "models": {},
    }
    reasons = {}
    for law in (censored.POWER, censored.EXPONENTIAL, censored.POWER_OFFSET):
        needed = 3 if law.name == "power_offset" else 2
        if data.distinct < needed:
            reasons[law.name] = f"fewer than {needed} distinct positive frequencies converged (got {data.distinct})"
            report["models"][law.name] = None
            continue
        report["models"][law.name] = _plain(censored.fit_law(law, data, confidence, resolution))
    report.update(censored.compare(report["models"]))
    if reasons:
        report["reasons"] = reasons
    return report


def _plain(report: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe: non-finite numbers as None, also inside intervals."""
    return {
        key: [_finite_or_none(v) for v in value] if isinstance(value, list) else _finite_or_none(value) for key, value in report.items()
    }


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _ratios(results: pd.DataFrame, group_keys: Sequence[str]) -> dict[tuple[Any, ...], list[tuple[float, float, float | None]]]:
    """Per group: (ω, measured/predicted, parameter drift) for each done cell's ω where both converged: a
    step the run measured against the prediction read on the same record (a dip below ε that lasts to the
    run's end counts in both), or, where the prediction does not converge within the run, against the
    step it needs beyond it."""
    ratios: dict[tuple[Any, ...], list[tuple[float, float, float | None]]] = {}
    columns = [c for c in results.columns if str(c).startswith(f"{MEASURED}[")]
    for _, row in results.iterrows():
        key = tuple(plain_value(row[k]) for k in group_keys)
        entries = ratios.setdefault(key, [])
        if row["status"] != FITTED_STATUS:
            continue
        drift = row.get("parameter_drift")
        drift = None if drift is None or pd.isna(drift) else float(drift)
        for omega in _tracked(row, columns, MEASURED):
            measured, predicted = _step(row, omega), _step(row, omega, PREDICTED_IN_RUN)
            if predicted is None:
                predicted = _step(row, omega, PREDICTED)
            if measured is not None and predicted is not None and measured > 0 and predicted > 0:
                entries.append((omega, measured / predicted, drift))
    return ratios


def _ratio_report(entries: list[tuple[float, float, float | None]]) -> dict[str, Any] | None:
    if not entries:
        return None
    values = np.array([ratio for _, ratio, _ in entries])
    low, high = RATIO_BAND
    by_frequency = {
        f"{omega:g}": float(np.median([r for w, r, _ in entries if w == omega])) for omega in sorted({w for w, _, _ in entries})
    }
    linear = [ratio for _, ratio, drift in entries if drift is not None and drift <= 0.1]
    return {
        "median": float(np.median(values)),
        "min": float(values.min()),
        "max": float(values.max()),
        "points": len(values),
        "within_band": int(np.count_nonzero((values >= low) & (values <= high))),
        "band": [low, high],
        "by_frequency": by_frequency,
        "points_with_drift_at_most_10pc": len(linear),
        "within_band_with_drift_at_most_10pc": int(sum(low <= r <= high for r in linear)),
    }


def _drift_report(results: pd.DataFrame, group_keys: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    reports: dict[tuple[Any, ...], dict[str, Any]] = {}
    done = results[results["status"] == FITTED_STATUS] if len(results) else results
    for name in ("parameter_drift", "kernel_drift"):
        if name not in done.columns:
            continue
        for _, row in done.iterrows():
            value = row[name]
            if value is None or pd.isna(value):
                continue
            key = tuple(plain_value(row[k]) for k in group_keys)
            reports.setdefault(key, {}).setdefault(name, []).append(float(value))
    return {
        key: {name: {"median": float(np.median(values)), "max": float(np.max(values))} for name, values in found.items()}
        for key, found in reports.items()
    }


def fit_sweep(
    results: pd.DataFrame, group_keys: Sequence[str], confidence: float = 0.95, resolution: float = censored.RESOLUTION
) -> dict[str, Any]:
    """Fit the convergence laws to each group of ``results``' finished cells.

    Each group's ``law`` is the censored maximum-likelihood comparison of the power, exponential and
    power-with-offset laws (σ in log t floored at ``resolution``); ``predicted`` the same fit of the
    predicted steps, ``measured_over_predicted`` and ``drift`` where the table has them. The older
    ``power``, ``exponential`` and ``better`` are least-squares lines over the converged points:
    ``better`` names the law with the smaller residual sum of squares in log t (both have two
    parameters and the same response, on the ω > 0 points both share). The result is JSON-safe
    (no NaN or inf).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    if not resolution > 0:
        raise ValueError(f"resolution must be positive (got {resolution})")
    groups = collect_points(results, group_keys)
    with _one_blas_thread():
        reports = [_fit_group(group, confidence) | {"law": censored_law(group, confidence, resolution)} for group in groups]
        if has_prediction(results):
            ratios = _ratios(results, group_keys)
            drifts = _drift_report(results, group_keys)
            for report, predicted in zip(reports, collect_points(results, group_keys, PREDICTED), strict=True):
                key = tuple(report["settings"].values())
                report["predicted"] = {
                    "converged_points": len(predicted.converged),
                    "never_converged": len(predicted.never),
                    "median_steps": _median_steps(predicted),
                    "law": censored_law(predicted, confidence, resolution),
                }
                report["measured_over_predicted"] = _ratio_report(ratios.get(key, []))
                report["drift"] = drifts.get(key)
    return {
        "model": MODEL,
        "law_model": LAW_MODEL,
        "confidence": float(confidence),
        "group_keys": list(group_keys),
        "groups": reports,
        "excluded_cells": excluded_cells(results, group_keys),
    }


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """SciPy's optimiser calls BLAS on tiny vectors: threads only add contention (measured 5× slower
    on a loaded 2-core box)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(1):
        yield
