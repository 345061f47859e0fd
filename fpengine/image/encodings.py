"""Inputs of a coordinate network: pixel grids, hold-out masks and the encodings that defeat the
F-Principle.

A picture of H×W pixels becomes H·W points (x, y) in [−s, s]² (x left → right, y top → bottom, row
by row as ``picture.reshape(H·W, C)``) with s the input scale. Two ways to help a network learn
high frequencies early:

- random Fourier features (Tancik et al. 2020): γ(v) = [cos 2πBv, sin 2πBv], B ~ N(0, σ²), a fixed
  input map computed once, so the network sees high frequencies as low ones;
- a multi-scale first layer (MscaleDNN, Liu, Cai & Xu 2020): its neurons are split into groups and
  group i sees the input multiplied by a_i = 1, 2, 4, …, which shifts high frequencies down for
  the groups with large a_i.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from fpengine.models import activation, mlp

ENCODINGS = ("none", "fourier", "multiscale")


def coordinate_grid(height: int, width: int, scale: float = 1.0) -> np.ndarray:
    """(H·W, 2) float32 points (x, y) of the pixel centres, both axes spanning [−scale, scale]."""
    ys = np.linspace(-scale, scale, height, dtype=np.float64) if height > 1 else np.zeros(1)
    xs = np.linspace(-scale, scale, width, dtype=np.float64) if width > 1 else np.zeros(1)
    y, x = np.meshgrid(ys, xs, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32)


def training_mask(height: int, width: int, hold_out_odd_columns: bool) -> np.ndarray:
    """(H·W,) booleans, True where a pixel is trained on: all of them, or only the even columns
    (0, 2, 4, …) when every second column is held out to test interpolation."""
    columns = np.broadcast_to(np.arange(width)[None, :], (height, width))
    if not hold_out_odd_columns:
        return np.ones(height * width, dtype=bool)
    return (columns % 2 == 0).ravel()


def fourier_frequencies(count: int, dimensions: int, sigma: float, seed: int) -> np.ndarray:
    """B (count × dimensions) ~ N(0, σ²), drawn from its own generator seeded with ``seed``.

    σ is in cycles per unit of the coordinates: most features have frequencies below about 2σ.
    """
    if count < 1 or sigma <= 0:
        raise ValueError("Fourier features need count ≥ 1 and sigma > 0")
    return np.random.default_rng(seed).normal(0.0, sigma, size=(count, dimensions))


def fourier_features(coordinates: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
    """γ(v) = [cos 2πBv, sin 2πBv] of (N, d) coordinates: float32 (N, 2·count). Computed once per
    run, before training, rather than in every step."""
    phase = 2 * np.pi * np.asarray(coordinates, dtype=np.float64) @ np.asarray(frequencies, dtype=np.float64).T
    return np.concatenate([np.cos(phase), np.sin(phase)], axis=1).astype(np.float32)


def scale_factors(count: int) -> tuple[float, ...]:
    """1, 2, 4, …, 2^(count−1): the multipliers of a multi-scale first layer."""
    if count < 1:
        raise ValueError("a multi-scale layer needs at least one scale")
    return tuple(float(2**i) for i in range(count))


class MultiScaleLinear(nn.Module):
    """A linear layer whose output neurons come in equal groups; group i computes W_i (a_i·v) + b_i.

    The neurons are split as evenly as ``out_features`` allows (earlier groups take the remainder).
    The scaling sits in the forward pass, so the weights keep PyTorch's default initialisation.
    """

    def __init__(self, in_features: int, out_features: int, scales: Sequence[float]):
        super().__init__()
        if not 1 <= len(scales) <= out_features:
            raise ValueError(f"need between 1 and {out_features} scales, got {len(scales)}")
        self.linear = nn.Linear(in_features, out_features)
        sizes = np.full(len(scales), out_features // len(scales))
        sizes[: out_features % len(scales)] += 1
        per_neuron = np.repeat(np.asarray(scales, dtype=np.float32), sizes)
        self.register_buffer("neuron_scale", torch.tensor(per_neuron).unsqueeze(0))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return (v @ self.linear.weight.T) * self.neuron_scale + self.linear.bias


def coordinate_network(
    in_features: int, widths: Sequence[int], out_features: int, activation_name: str, scales: Sequence[float] = (1.0,)
) -> nn.Sequential:
    """An MLP from (encoded) coordinates to pixel values. With more than one scale the first layer
    is a :class:`MultiScaleLinear`; otherwise it is the plain ``models.mlp``."""
    if len(scales) == 1 and scales[0] == 1.0:
        return mlp(in_features, widths, out_features, activation_name)
    rest = mlp(widths[0], widths[1:], out_features, activation_name)
    return nn.Sequential(MultiScaleLinear(in_features, widths[0], scales), activation(activation_name), *rest)
