"""Spectral analysis of signals sampled on a uniform grid, and convergence read-outs.

Conventions, the chapter's: index k of the DFT of N samples on [lo, hi] is the angular frequency
2πk/(hi−lo); magnitudes are divided by N for display; peaks are picked on the *target's* spectrum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

ErrorForm = Literal["complex", "magnitude"]
ThresholdRule = Literal["robust", "consecutive"]


def dft(values: np.ndarray, n_freq: int) -> np.ndarray:
    """First ``n_freq`` complex DFT coefficients along the last axis, divided by the sample count."""
    values = np.asarray(values)
    return np.fft.fft(values, axis=-1)[..., :n_freq] / values.shape[-1]


def amplitude_spectrum(values: np.ndarray, n_freq: int) -> np.ndarray:
    """|DFT|/N of the first ``n_freq`` indices (the authors' ``my_fft`` (docs/experiments.md#sources) divided by N)."""
    return np.abs(dft(values, n_freq))


def index_to_angular_frequency(index: np.ndarray | int, lo: float, hi: float) -> np.ndarray:
    """Index k of a grid on [lo, hi] corresponds to sin(ω x) with ω = 2πk/(hi−lo)."""
    return 2 * np.pi * np.asarray(index, dtype=float) / (hi - lo)


def select_peaks(spectrum: np.ndarray, endpoint: bool = False) -> np.ndarray:
    """Strict local maxima of ``spectrum`` (the authors' ``SelectPeakIndex`` (docs/experiments.md#sources)), in index order."""
    f = np.asarray(spectrum, dtype=float)
    interior = np.flatnonzero((f[1:-1] > f[:-2]) & (f[1:-1] > f[2:])) + 1
    if not endpoint or len(f) < 2:
        return interior
    head = [0] if f[0] > f[1] else []
    tail = [len(f) - 1] if f[-1] > f[-2] else []
    return np.array(head + interior.tolist() + tail, dtype=int)


def genuine_peaks(values: np.ndarray, peaks: Sequence[int], ratio: float = 0.4) -> np.ndarray:
    """Boolean mask: which ``peaks`` of the raw spectrum are real components, not leakage side-lobes.

    At the bin nearest a real component a Hann window keeps about half the raw height (measured
    0.46–0.64 here: coherent gain 0.5 with both windows' scalloping), while the far side-lobes of a
    non-periodic window drop to ≤ 0.35 of theirs. So a raw peak is genuine when the windowed
    spectrum at the same index keeps ≥ ``ratio`` of its height.
    """
    values = np.asarray(values, dtype=float)
    raw = np.abs(np.fft.fft(values))
    windowed = np.abs(np.fft.fft(values * np.hanning(values.shape[-1])))
    floor = 1e-6 * raw[: raw.shape[-1] // 2 + 1].max()  # round-off "peaks" of an exactly periodic grid
    kept = [raw[p] > floor and windowed[p] >= ratio * raw[p] for p in peaks]
    return np.array(kept, dtype=bool)


def relative_spectral_error(output_coefficients: np.ndarray, target_coefficients: np.ndarray, form: ErrorForm = "complex") -> np.ndarray:
    """ΔF(k) = |ĥ_k − f̂_k| / |f̂_k| (complex form, the chapter's text) or, in the notebooks' form (docs/experiments.md#sources),
    | |ĥ_k| − |f̂_k| | / (1e-5 + |f̂_k|), which ignores phase."""
    h = np.asarray(output_coefficients)
    f = np.asarray(target_coefficients)
    if form == "complex":
        return np.abs(h - f) / np.abs(f)
    if form == "magnitude":
        return np.abs(np.abs(h) - np.abs(f)) / (1e-5 + np.abs(f))
    raise ValueError(f"unknown error form {form!r}")


def steps_to_threshold(
    errors: np.ndarray,
    steps: np.ndarray,
    epsilon: float,
    rule: ThresholdRule = "robust",
    run_length: int = 10,
) -> int | None:
    """First recorded step at which ``errors`` is below ``epsilon`` for good.

    ``robust``: below ε from that step to the end of the record (an early coincidental dip
    does not count). ``consecutive``: the notebooks' rule (docs/experiments.md#sources), the first of ``run_length`` consecutive
    records below ε. None if never.
    """
    below = np.asarray(errors) < epsilon
    steps = np.asarray(steps)
    if below.size == 0:
        return None
    if rule == "robust":
        if not below[-1]:
            return None
        above = np.flatnonzero(~below)
        first = 0 if above.size == 0 else above[-1] + 1
        return int(steps[first])
    if rule == "consecutive":
        run = 0
        for i, ok in enumerate(below):
            run = run + 1 if ok else 0
            if run == run_length:
                return int(steps[i - run_length + 1])
        return None
    raise ValueError(f"unknown rule {rule!r}")


def convergence_steps(errors: np.ndarray, steps: np.ndarray, epsilon: float, rule: ThresholdRule = "robust") -> list[int | None]:
    """``steps_to_threshold`` for every column of ``errors[T, K]``."""
    errors = np.asarray(errors)
    return [steps_to_threshold(errors[:, k], steps, epsilon, rule) for k in range(errors.shape[1])]


def spearman(frequencies: Sequence[float], steps: Sequence[int | None], never: float) -> float | None:
    """Rank correlation between frequency and convergence step (1 = strictly low-before-high).

    A component that never converged counts as converging at ``never`` (after the run). None when
    it is undefined (fewer than two components, or no variation).
    """
    if len(frequencies) < 2:
        return None
    filled = [never if s is None else float(s) for s in steps]
    if len(set(filled)) < 2 or len(set(frequencies)) < 2:
        return None
    from scipy import stats  # here, not at the top: ~0.6 s of import that a worker or `fpengine list` never needs

    rho = stats.spearmanr(frequencies, filled).statistic
    return None if np.isnan(rho) else float(rho)
