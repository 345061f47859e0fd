"""Projection method (Fig 1.10): the spectrum of labels along the first principal direction.

Inputs x_i ∈ R^d are projected on the first principal direction p1, v_i = p1·x_i, and the labels
(or network outputs) y_i are transformed with the non-uniform DFT

    ŷ_k = (1/n) Σ_i y_i exp(−i2πk v_i)

at arbitrary frequencies k. Projecting uncentred data (as the authors' code does: docs/experiments.md#sources)
only multiplies every ŷ_k by a common phase, so |ŷ_k| and the relative error ΔF are the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse.linalg
import torch
from threadpoolctl import threadpool_limits

from fpengine.engine.device import HOST, host_array, is_host

DEFAULT_FREQUENCY_SPAN = 1.25
"""k_max · std(v): the chapter's panels reach k·σ ≈ 1.2 (MNIST k ≤ 0.5, CIFAR10 k ≤ 0.17)."""


K_MAX_RANGE = (1e-3, 100.0)
"""Allowed top of the frequency grid. Inputs are in [0, 1], so |v| ≤ √d ≈ 55 at most here: below
k = 0.001 the phase 2πk·v turns by less than a radian over any data, so the grid holds the k = 0
bump only (and at 1e-6 or less |ŷ_k| is flat, with no peak to track at all)."""


def first_principal_direction(x: np.ndarray) -> np.ndarray:
    """Unit vector p1 of the largest variance of the rows of ``x`` ``[n, d]`` (sign: its largest
    |entry| is positive). Lanczos on v ↦ Xcᵀ(Xc v) finds the top eigenpair of the covariance with a
    few dozen passes over the data and never forms a d×d or n×n matrix. BLAS gets as many threads
    as torch: an oversubscribed BLAS on a loaded 2-core machine is many times slower.

    Always float64 on the host, once per run (seconds at 5000 CIFAR images): every frequency and
    label spectrum follows from this direction, so it must be the same on every device."""
    data = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    centred = data - data.mean(axis=0)
    d = centred.shape[1]
    if d == 1:
        return np.ones(1)
    operator = scipy.sparse.linalg.LinearOperator((d, d), matvec=lambda v: centred.T @ (centred @ v), dtype=np.float64)
    with threadpool_limits(limits=torch.get_num_threads(), user_api="blas"):
        _, vectors = scipy.sparse.linalg.eigsh(operator, k=1, which="LA", v0=np.ones(d), tol=1e-12)
    direction = vectors[:, 0] / np.linalg.norm(vectors[:, 0])
    return direction if direction[np.argmax(np.abs(direction))] > 0 else -direction


def project(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """v_i = direction · x_i (uncentred, as in the authors' code (docs/experiments.md#sources))."""
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1) @ direction


def frequency_grid(projected: np.ndarray, count: int = 100, span: float = DEFAULT_FREQUENCY_SPAN, k_max: float | None = None) -> np.ndarray:
    """``count`` frequencies from 0 to k_max inclusive; k_max defaults to ``span / std(v)``, so the
    range follows the data's scale (pixels in [0,1] or [0,255], 784 or 3072 dimensions alike)."""
    if k_max is None:
        spread = float(np.std(projected))
        if not spread > 0:
            raise ValueError("the projected data has no spread (all inputs project to one point)")
        k_max = span / spread
    elif not K_MAX_RANGE[0] <= k_max <= K_MAX_RANGE[1]:  # also refuses nan and ±inf
        raise ValueError(f"k_max must be between {K_MAX_RANGE[0]:g} and {K_MAX_RANGE[1]:g} (got {k_max:g})")
    if count < 2 or not np.isfinite(k_max):
        raise ValueError(f"need a finite k_max and at least two frequencies (got k_max {k_max:g}, {count} frequencies)")
    return np.linspace(0.0, k_max, count)


class NudftBasis:
    """cos(2πk v_i) and sin(2πk v_i) for fixed frequencies k and points v, built once and reused
    for every transform (the outputs change every epoch, the basis never does).

    The basis is computed in float64 on the host (a phase 2πk·v of thousands of radians needs it)
    and kept there for host values (the labels' reference spectrum). Given an accelerator
    ``device``, a float32 copy lives there too, so the network's outputs are transformed where they
    are and only the K coefficients per class come back (float32 sums over n terms: relative
    errors of about 1e-6, far below any ΔF that is read)."""

    def __init__(self, projected: np.ndarray, frequencies: Sequence[float], device: torch.device = HOST):
        self.frequencies = np.asarray(frequencies, dtype=np.float64)
        self.n = len(projected)
        phase = 2 * np.pi * np.outer(self.frequencies, np.asarray(projected, dtype=np.float64))
        self.cos = np.cos(phase)
        self.sin = np.sin(phase)
        self.on_device = None if is_host(device) else torch.from_numpy(np.concatenate([self.cos, self.sin]).astype(np.float32)).to(device)

    def transform(self, values: np.ndarray | torch.Tensor) -> np.ndarray:
        """ŷ_k = (1/n) Σ_i y_i exp(−i2πk v_i) for ``values`` ``[n]`` or ``[n, C]`` → ``[K]`` or ``[K, C]``."""
        if isinstance(values, torch.Tensor):
            if self.on_device is not None and values.device == self.on_device.device:
                both = host_array(self.on_device @ values.to(torch.float32))
                k = len(self.frequencies)
                return (both[:k] - 1j * both[k:]) / self.n
            values = host_array(values)
        y = np.asarray(values, dtype=np.float64)
        return (self.cos @ y - 1j * (self.sin @ y)) / self.n


def component_magnitude(coefficients: np.ndarray, component: int | None) -> np.ndarray:
    """|ŷ_k| of one class column, or the vector norm over classes (``component=None``)."""
    c = np.asarray(coefficients)
    if component is None:
        return np.sqrt(np.sum(np.abs(c) ** 2, axis=-1))
    return np.abs(c[..., component])


def relative_error(output_coefficients: np.ndarray, label_coefficients: np.ndarray, component: int | None) -> np.ndarray:
    """ΔF_k = |ĥ_k − ŷ_k| / |ŷ_k| (complex, as in the authors' code (docs/experiments.md#sources)), per class column or as vector norms."""
    difference = component_magnitude(np.asarray(output_coefficients) - np.asarray(label_coefficients), component)
    return difference / component_magnitude(label_coefficients, component)


def noise_floor(values: np.ndarray, component: int | None) -> float:
    """Typical |ŷ_k| of pure sampling noise: for n independent points and k ≫ 1/std(v) the NUDFT of
    the centred labels has magnitude ≈ std(y)/√n. Peaks near this level are noise, not structure."""
    y = np.asarray(values, dtype=float)
    centred = y - y.mean(axis=0)
    power = centred**2 if component is None or y.ndim == 1 else centred[:, [component]] ** 2
    return float(np.sqrt(power.sum(axis=-1).mean() / len(y)))


def unreliable_peaks(magnitude: np.ndarray, picked: Sequence[int], floor: float, factor: float = 2.0) -> list[int]:
    """The picked indices whose |ŷ_k| is within ``factor`` × the noise floor: their ΔF divides by a
    value that sampling noise dominates, so their convergence time means little."""
    return [int(k) for k in picked if magnitude[int(k)] < factor * floor]
