"""Convergence laws fitted by maximum likelihood with right-censored points, compared by AIC.

The data are (ω, t) pairs: t the step at which frequency ω converged, or, for a (seed, ω) that never
converged, only a lower bound L (the run's length): t > L. The errors are normal in log t,

    log t = μ(ω; θ) + σ·z,   z ~ N(0, 1),

so a converged point adds log φ((log t − μ)/σ) − log σ to the log-likelihood and a censored one
log(1 − Φ((log L − μ)/σ)): the probability that it would have converged after L. Dropping the
censored points instead biases every law towards slow growth (the slowest frequencies are the
ones that never converge).

Three laws of μ:

* ``power``         t = A·ω^p            μ = a + p·log ω
* ``exponential``   t = A·e^{cω}         μ = a + c·ω
* ``power_offset``  t = t₀ + A·ω^p       μ = log(t₀ + e^a·ω^p), t₀ ≥ 0 (a start-up delay)

σ is floored at ``resolution`` (σ² = resolution² + e^{2s}): a noiseless law would otherwise have an
unbounded likelihood. Intervals are profile-likelihood intervals: the values v of a parameter whose
best fit with that parameter held at v is within χ²₁(confidence)/2 of the maximum log-likelihood.
An end the data do not bound (a rate only censored points constrain) is None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

LAWS = ("power", "exponential", "power_offset")
RESOLUTION = 0.1
"""σ's floor in log t: a convergence step read off a threshold crossing is taken to measure its
frequency's time scale to about ±10%; below that the scatter between seeds is not resolved."""
INDISTINGUISHABLE = 2.0
"""Two laws whose AIC differ by less than this are reported as indistinguishable."""
SEARCH_SPANS = 60
"""A profile interval's end is searched up to this many standard errors from the estimate."""


@dataclass(frozen=True)
class LawData:
    """The points of one fit: converged (ω, log t) and censored (ω, log L)."""

    omega: np.ndarray
    log_t: np.ndarray
    omega_censored: np.ndarray
    log_bound: np.ndarray
    scale: float = 1.0
    """The offset's unit (the median converged step), so that every parameter is of order one."""

    @classmethod
    def of(cls, converged: list[tuple[float, float]], censored: list[tuple[float, float]]) -> LawData:
        seen = np.array(converged, dtype=float).reshape(-1, 2)
        bounds = np.array(censored, dtype=float).reshape(-1, 2)
        log_t = np.log(seen[:, 1])
        return cls(seen[:, 0], log_t, bounds[:, 0], np.log(bounds[:, 1]), float(np.exp(np.median(log_t))) if len(log_t) else 1.0)

    @property
    def distinct(self) -> int:
        return len(np.unique(self.omega))


@dataclass(frozen=True)
class Law:
    name: str
    names: tuple[str, ...]
    """The mean's parameters, in order (σ's own parameter comes last in every vector)."""
    slope: str
    """The parameter reported as the law's slope (with ``interval``)."""

    def mean(self, params: np.ndarray, omega: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """μ(ω); the offset law's t₀ is ``params[2]·scale``."""
        if self.name == "power":
            return params[0] + params[1] * np.log(omega)
        if self.name == "exponential":
            return params[0] + params[1] * omega
        a, p, t0 = params[0], params[1], params[2]
        with np.errstate(over="ignore"):
            return np.log(max(t0, 0.0) * scale + np.exp(a + p * np.log(omega)))


POWER = Law("power", ("log_prefactor", "exponent"), "exponent")
EXPONENTIAL = Law("exponential", ("log_prefactor", "rate"), "rate")
POWER_OFFSET = Law("power_offset", ("log_prefactor", "exponent", "offset"), "exponent")
BY_NAME = {law.name: law for law in (POWER, EXPONENTIAL, POWER_OFFSET)}


def _sigma(s: float, resolution: float) -> float:
    return math.sqrt(resolution**2 + math.exp(min(2 * s, 700)))


def _mean_and_gradient(law: Law, params: np.ndarray, omega: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """μ(ω) and ∂μ/∂params [len(omega), len(params)]."""
    if law.name == "power":
        x = np.log(omega)
        return params[0] + params[1] * x, np.stack([np.ones_like(x), x], axis=1)
    if law.name == "exponential":
        return params[0] + params[1] * omega, np.stack([np.ones_like(omega), omega], axis=1)
    a, p, u = params
    x = np.log(omega)
    with np.errstate(over="ignore"):
        power = np.exp(a + p * x)
    total = max(u, 0.0) * scale + power
    share = power / total
    offset_slope = (scale if u >= 0 else 0.0) / total
    return np.log(total), np.stack([share, share * x, offset_slope], axis=1)


def negative_log_likelihood(law: Law, data: LawData, theta: np.ndarray, resolution: float) -> tuple[float, np.ndarray]:
    """−log L of ``theta`` (the mean's parameters, then s of σ) and its gradient; a huge value where
    the optimiser's trial step overflows (so it steps back)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _negative_log_likelihood(law, data, theta, resolution)


def _negative_log_likelihood(law: Law, data: LawData, theta: np.ndarray, resolution: float) -> tuple[float, np.ndarray]:
    sigma = _sigma(theta[-1], resolution)
    dsigma = math.exp(min(2 * theta[-1], 700)) / sigma
    gradient = np.zeros(len(theta))
    mean, dmean = _mean_and_gradient(law, theta[:-1], data.omega, data.scale)
    z = (data.log_t - mean) / sigma
    value = float(np.sum(0.5 * z**2)) + len(z) * (math.log(sigma) + 0.5 * math.log(2 * math.pi))
    gradient[:-1] -= (z / sigma) @ dmean
    gradient[-1] += (float(np.sum(1 - z**2)) / sigma) * dsigma
    if len(data.log_bound):
        mean_c, dmean_c = _mean_and_gradient(law, theta[:-1], data.omega_censored, data.scale)
        w = (data.log_bound - mean_c) / sigma
        log_survival = special.log_ndtr(-w)
        value -= float(np.sum(log_survival))
        hazard = np.exp(-0.5 * w**2 - 0.5 * math.log(2 * math.pi) - log_survival)  # −d log(1 − Φ(w))/dw
        gradient[:-1] -= (hazard / sigma) @ dmean_c
        gradient[-1] -= float(np.sum(hazard * w)) / sigma * dsigma
    if not math.isfinite(value) or not np.all(np.isfinite(gradient)):
        return 1e300, np.zeros(len(theta))
    return value, gradient


def _starts(law: Law, data: LawData, resolution: float) -> list[np.ndarray]:
    """Least-squares starting points on the converged points (several offsets for the offset law)."""
    x = np.log(data.omega) if law.name != "exponential" else data.omega
    starts = []
    offsets = [None] if law.name != "power_offset" else [0.0, 0.3, 0.6, 0.9]
    smallest = float(np.exp(data.log_t.min()))
    for fraction in offsets:
        y = data.log_t if fraction is None else np.log(np.exp(data.log_t) - fraction * smallest)
        slope, intercept = np.polyfit(x, y, 1)
        spread = float(np.std(y - (intercept + slope * x)))
        s = math.log(max(spread, resolution / 10))
        starts.append(np.array([intercept, slope, s] if fraction is None else [intercept, slope, fraction * smallest / data.scale, s]))
    return starts


def _minimise(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], starts: list[np.ndarray], bounds: list[tuple[float | None, float | None]]
) -> tuple[np.ndarray, float]:
    best_x, best_f = starts[0], math.inf
    for start in starts:
        result = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-13, "gtol": 1e-9})
        x = _clip(result.x, bounds)
        value = objective(x)[0]
        if value < best_f:
            best_x, best_f = x, value
    return best_x, best_f


def _clip(x: np.ndarray, bounds: list[tuple[float | None, float | None]]) -> np.ndarray:
    return np.array(
        [min(max(v, -math.inf if lo is None else lo), math.inf if hi is None else hi) for v, (lo, hi) in zip(x, bounds, strict=True)]
    )


def _bounds(law: Law) -> list[tuple[float | None, float | None]]:
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * (len(law.names) + 1)
    if law.name == "power_offset":
        bounds[2] = (0.0, None)
    bounds[-1] = (-30.0, 10.0)
    return bounds


def _profile(law: Law, data: LawData, theta: np.ndarray, index: int, value: float, resolution: float) -> float:
    """The smallest −log L with parameter ``index`` held at ``value``."""
    free = [i for i in range(len(theta)) if i != index]
    bounds = [_bounds(law)[i] for i in free]

    def objective(rest: np.ndarray) -> tuple[float, np.ndarray]:
        full = theta.copy()
        full[free] = rest
        full[index] = value
        nll, gradient = negative_log_likelihood(law, data, full, resolution)
        return nll, gradient[free]

    return _minimise(objective, [_clip(theta[free], bounds)], bounds)[1]


def _standard_error(law: Law, data: LawData, theta: np.ndarray, index: int, resolution: float, best: float) -> float:
    """A scale for the interval search: the curvature of the profile near the estimate."""
    step = max(abs(theta[index]) * 1e-3, 1e-4)
    for _ in range(30):
        rise = _profile(law, data, theta, index, theta[index] + step, resolution) - best
        if rise > 1e-6:
            return step / math.sqrt(2 * rise)
        step *= 4
    return step


def profile_interval(
    law: Law, data: LawData, theta: np.ndarray, index: int, resolution: float, best: float, confidence: float
) -> list[float | None]:
    """The profile-likelihood interval of parameter ``index``; an end the data do not bound is None
    (and an offset's lower end stops at its bound, 0)."""
    cut = stats.chi2.ppf(confidence, 1) / 2
    scale = _standard_error(law, data, theta, index, resolution, best)
    lower_limit = _bounds(law)[index][0]
    ends: list[float | None] = []
    for direction in (-1, 1):
        inside, outside = theta[index], None
        step = scale
        while step <= SEARCH_SPANS * scale:
            probe = theta[index] + direction * step
            if lower_limit is not None and probe <= lower_limit:
                probe = lower_limit
                if _profile(law, data, theta, index, probe, resolution) - best <= cut:
                    inside, outside = probe, None
                    break
            if _profile(law, data, theta, index, probe, resolution) - best > cut:
                outside = probe
                break
            inside = probe
            if lower_limit is not None and probe == lower_limit:
                break
            step *= 2
        if outside is None:
            ends.append(float(inside) if lower_limit is not None and inside == lower_limit else None)
            continue
        root = optimize.brentq(
            lambda v: _profile(law, data, theta, index, v, resolution) - best - cut,
            min(inside, outside),
            max(inside, outside),
            xtol=1e-4 * max(1.0, abs(theta[index])),
        )
        ends.append(float(root))
    return ends


def fit_law(law: Law, data: LawData, confidence: float, resolution: float = RESOLUTION) -> dict[str, Any]:
    """The maximum-likelihood fit of one law: its parameters, the slope's (and the offset's) profile
    interval, σ, log-likelihood and AIC."""
    theta, best = _minimise(lambda th: negative_log_likelihood(law, data, th, resolution), _starts(law, data, resolution), _bounds(law))
    log_likelihood = -best
    parameters = len(law.names) + 1
    slope_index = law.names.index(law.slope)
    report: dict[str, Any] = {
        law.slope: float(theta[slope_index]),
        "interval": profile_interval(law, data, theta, slope_index, resolution, best, confidence),
        "prefactor": _finite_exp(theta[0]),
        "sigma": _sigma(theta[-1], resolution),
        "log_likelihood": log_likelihood,
        "aic": 2 * parameters - 2 * log_likelihood,
        "parameters": parameters,
        "points": len(data.log_t),
        "censored": len(data.log_bound),
    }
    if law.name == "power_offset":
        report["offset"] = float(theta[2]) * data.scale
        report["offset_interval"] = [
            None if end is None else end * data.scale for end in profile_interval(law, data, theta, 2, resolution, best, confidence)
        ]
    return report


def _finite_exp(value: float) -> float | None:
    with np.errstate(over="ignore"):
        result = float(np.exp(value))
    return result if math.isfinite(result) else None


def compare(fits: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """Which law the AIC prefers. ``power_offset`` contains ``power`` (t₀ = 0), so the two are one
    family: the offset is chosen only when it lowers the AIC by at least ``INDISTINGUISHABLE``, and
    the power family's best AIC is what the exponential is compared with. ``law`` is "power",
    "exponential", "indistinguishable" (|ΔAIC| < 2) or None (fewer than two laws fitted)."""
    power, offset, exponential = (fits.get(name) for name in ("power", "power_offset", "exponential"))
    family = power
    if offset is not None and (power is None or offset["aic"] < power["aic"] - INDISTINGUISHABLE):
        family = offset
    family_name = "power_offset" if family is offset and offset is not None else "power"
    if family is None or exponential is None:
        chosen = family_name if family is not None else ("exponential" if exponential is not None else None)
        return {"law": None, "model": chosen, "delta_aic": None, "offset_needed": family is offset and offset is not None}
    delta = exponential["aic"] - family["aic"]
    law = "indistinguishable" if abs(delta) < INDISTINGUISHABLE else ("power" if delta > 0 else "exponential")
    model = family_name if delta > 0 else "exponential"
    return {"law": law, "model": model, "delta_aic": float(delta), "offset_needed": family is offset}
