"""What the 1-D read-out tracks: the target's spectrum, its peaks, and the convergence summary of
the relative error ΔF at them. Shared by the 1-D experiments and Sec 1.6."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fpengine import spectral
from fpengine.engine.runner import ErrorTrace
from fpengine.readout.settings import ReadoutConfig
from fpengine.settings.schema import ConfigError

ROUND_OFF = 1e-9
"""|DFT| below this fraction of the largest is floating-point noise, never a peak."""


@dataclass(frozen=True)
class TargetAnalysis:
    """The target on the training grid and what the spectral read-out tracks."""

    x: np.ndarray
    y: np.ndarray
    coefficients: np.ndarray
    """Complex DFT/N of the target, first ``n_freq`` indices."""
    peaks: np.ndarray
    """All strict local maxima of |DFT| (the authors' SelectPeakIndex (docs/experiments.md#sources), endpoint=False)."""
    genuine: np.ndarray
    """Per peak: True for a real component, False for a leakage side-lobe."""
    selected: np.ndarray
    """The DFT indices tracked by ΔF, low to high."""


def check_trackable_peaks(config: ReadoutConfig) -> None:
    """The target must have peaks to track, each with a non-zero amplitude. Works on any config with
    ``target``, ``grid`` and ``spectrum`` fields (the Sec 1.6 experiment shares them)."""
    analysis = analyse_target(config)
    if len(analysis.selected) == 0:
        raise ConfigError("spectrum.peaks", "oned.error.no_peak", n_freq=config.spectrum.n_freq)
    silent = analysis.selected[~(np.abs(analysis.coefficients[analysis.selected]) > 1e-8)]  # nan counts as silent
    if len(silent):
        raise ConfigError("spectrum.peaks", "oned.error.silent_peak", tuple(silent.tolist()))


def analyse_target(config: ReadoutConfig) -> TargetAnalysis:
    x = config.grid.training_points()
    y = config.target.evaluate(x)
    n_freq = config.spectrum.n_freq
    coefficients = spectral.dft(y, n_freq)
    magnitudes = np.abs(coefficients)
    peaks = spectral.select_peaks(magnitudes)
    # on an exactly periodic grid the spectrum between the components is round-off, not leakage
    peaks = peaks[magnitudes[peaks] > ROUND_OFF * magnitudes.max()] if len(peaks) else peaks
    genuine = spectral.genuine_peaks(y, peaks) if len(peaks) else np.zeros(0, dtype=bool)
    if config.spectrum.peaks:
        selected = np.array(sorted(config.spectrum.peaks), dtype=int)
    else:
        # every designed sine component gets a row, even beyond max_peaks
        designed = 0 if (config.target.formula or config.target.quantize) else len(config.target.frequencies)
        selected = peaks[genuine][: max(config.spectrum.max_peaks, designed)]
    return TargetAnalysis(x, y, coefficients, peaks, genuine, selected)


def angular_frequencies(config: ReadoutConfig, indices: np.ndarray) -> np.ndarray:
    """DFT index → ω of sin(ωx), exact for the grid's period (hi−lo, or N/(N−1) of it with an endpoint)."""
    return spectral.index_to_angular_frequency(indices, config.grid.lo, config.grid.hi)


def spectral_summary(config: ReadoutConfig, trace: ErrorTrace, never: int) -> dict[str, Any]:
    """The summary.json fields of the ΔF read-out, for any config with ``target`` and ``spectrum``;
    a component that never converged ranks as converging at ``never``."""
    converged = spectral.convergence_steps(trace.errors, trace.steps, config.spectrum.epsilon, config.spectrum.rule)
    return {
        "target": config.target.describe(),
        "frequencies": [round(v, 6) for v in trace.values],
        "frequency_indices": [int(k) for k in trace.keys],
        "convergence_step": converged,
        "epsilon": config.spectrum.epsilon,
        "rule": config.spectrum.rule,
        "error_form": config.spectrum.error_form,
        "spearman": spectral.spearman(trace.values, converged, never=never),
    }
