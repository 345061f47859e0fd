"""Spectral read-outs of 2-D pictures: relative error in radial frequency bands, log spectra, PSNR.

The 2-D DFT coefficient of an H×W picture at (f_y, f_x) cycles per pixel (``np.fft.fftfreq``) has
radial frequency |f| = √(f_y² + f_x²), from 0 (the mean) to √2/2 (the corners). Bands split |f| at
``edges``; the relative error of band b is the 2-D analogue of the chapter's ΔF (complex form):

    e_b = ‖Ĥ − F̂‖_b / ‖F̂‖_b,

the Euclidean norm over the band's coefficients (and the colour channels) of the output's minus the
target's DFT, over the target's. A band holds 1 when the network has learned nothing of it and 0
when it matches. ``errors`` over a run form the ``errors[T, K]`` matrix of an ``ErrorTrace``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_EDGES = (0.05, 0.15, 0.3)
"""The bands of a photo in cycles per pixel: |f| < 0.05, 0.05–0.15, 0.15–0.3, ≥ 0.3."""
MAX_RADIAL_FREQUENCY = float(np.sqrt(0.5))
NEGLIGIBLE_ENERGY = 1e-8
"""A band whose target energy is below this fraction of the total holds nothing to learn: dropped."""


def radial_frequency(height: int, width: int) -> np.ndarray:
    """|f| in cycles per pixel of every coefficient of ``np.fft.fft2`` of an H×W picture."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    return np.sqrt(fy**2 + fx**2)


def _spectrum(pictures: np.ndarray) -> np.ndarray:
    """2-D DFT over the (H, W) axes of (..., H, W, C) pictures."""
    return np.fft.fft2(np.asarray(pictures, dtype=np.float64), axes=(-3, -2))


def band_label(lo: float, hi: float | None) -> str:
    """The |f| range of a band in cycles per pixel, e.g. ``<0.05``, ``0.05-0.15``, ``>=0.3`` (plain
    ASCII: it also names the band's column in metrics.csv)."""
    return f">={lo:g}" if hi is None else (f"<{hi:g}" if lo == 0 else f"{lo:g}-{hi:g}")


@dataclass(frozen=True)
class RadialBands:
    """The bands of one target picture, ready to score outputs of the same shape against it.

    Build with :meth:`of_target`. ``keys`` are the bands' |f| ranges (display labels and CSV column
    names alike), ``values`` their mean radial frequencies (cycles per pixel, low → high).
    """

    shape: tuple[int, int, int]
    lower: tuple[float, ...]
    upper: tuple[float | None, ...]
    membership: np.ndarray
    """(H·W, K) 0/1 matrix: which band each DFT coefficient belongs to."""
    target_spectrum: np.ndarray
    target_norms: np.ndarray
    values: tuple[float, ...]

    @classmethod
    def of_target(cls, target: np.ndarray, edges: Sequence[float] = DEFAULT_EDGES) -> RadialBands:
        """Bands of ``target`` (H, W, C) split at the increasing ``edges`` (cycles per pixel).

        Bands with no DFT coefficient at this size, or with (almost) no target energy, have no
        meaningful relative error and are left out; raises ValueError if none is left.
        """
        target = np.asarray(target, dtype=np.float64)
        if target.ndim != 3:
            raise ValueError(f"target must be (H, W, C), got shape {target.shape}")
        edges = [float(e) for e in edges]
        if any(not 0 < e < MAX_RADIAL_FREQUENCY for e in edges) or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"band edges must increase strictly within (0, {MAX_RADIAL_FREQUENCY:.3f}), got {edges}")
        height, width, _ = target.shape
        radius = radial_frequency(height, width).ravel()
        spectrum = _spectrum(target)
        energy = (np.abs(spectrum) ** 2).sum(axis=-1).ravel()
        bounds = [0.0, *edges, np.inf]
        kept: list[tuple[float, float | None, np.ndarray]] = []
        for lo, hi in itertools.pairwise(bounds):
            inside = (radius >= lo) & (radius < hi)
            if inside.any() and energy[inside].sum() > NEGLIGIBLE_ENERGY * energy.sum():
                kept.append((lo, None if np.isinf(hi) else hi, inside))
        if not kept:
            raise ValueError("the target has no energy in any band")
        membership = np.stack([inside for _, _, inside in kept], axis=1).astype(np.float64)
        norms = np.sqrt(energy @ membership)
        values = tuple(float(radius[inside].mean()) for _, _, inside in kept)
        return cls(
            shape=(height, width, target.shape[2]),
            lower=tuple(lo for lo, _, _ in kept),
            upper=tuple(hi for _, hi, _ in kept),
            membership=membership,
            target_spectrum=spectrum,
            target_norms=norms,
            values=values,
        )

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(band_label(lo, hi) for lo, hi in zip(self.lower, self.upper, strict=True))

    def errors(self, outputs: np.ndarray) -> np.ndarray:
        """Relative band errors of one output (H, W, C) → (K,), or of a stack (T, H, W, C) → (T, K)."""
        outputs = np.asarray(outputs)
        single = outputs.ndim == 3
        stack = outputs[None] if single else outputs
        if stack.shape[1:] != self.shape:
            raise ValueError(f"outputs must have shape (T, {self.shape}), got {outputs.shape}")
        difference = _spectrum(stack) - self.target_spectrum
        energy = (np.abs(difference) ** 2).sum(axis=-1).reshape(len(stack), -1)
        errors = np.sqrt(energy @ self.membership) / self.target_norms
        return errors[0] if single else errors


def log_spectrum(picture: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """log10 of |DFT|/(H·W) of an (H, W, C) picture, channel norms combined, zero frequency centred."""
    picture = np.asarray(picture, dtype=np.float64)
    magnitude = np.sqrt((np.abs(_spectrum(picture)) ** 2).sum(axis=-1)) / (picture.shape[0] * picture.shape[1])
    return np.log10(np.fft.fftshift(magnitude) + floor)


def psnr(mean_squared_error: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio in dB of mean squared errors of pictures in [0, 1] (a perfect
    match's ∞ capped at 99 dB, so metrics.csv holds only finite numbers)."""
    return np.minimum(10 * np.log10(1.0 / np.maximum(mean_squared_error, 1e-300)), 99.0)
