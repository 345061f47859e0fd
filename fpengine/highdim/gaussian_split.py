"""Filtering method (Fig 1.12): split labels and outputs into a low- and a high-frequency
part with a Gaussian kernel over the dataset, and watch which part the network learns first.

    G(x_i − x_j) = exp(−|x_i − x_j|² / (2δ)),   y_i^low = Σ_j y_j G_ij / Σ_j G_ij,   y^high = y − y^low

δ acts like a variance: a larger δ smooths more and lowers the cut-off frequency. The errors are
e_low = ‖y^low − h^low‖ / ‖y^low‖ and e_high = ‖y^high − h^high‖ / ‖y^high‖ (Frobenius norms over
all samples × classes); the filter is linear, so y^low − h^low is the low part of the residual y − h.

Memory: the authors build one dense float64 n×n kernel per δ (200 MB each at n = 5000). Here the
squared distances are computed once (float64 arithmetic on blocks, on the host: Apple's MPS has no
float64; stored as one float32 n×n matrix shared by every δ, then moved to the device) and the kernels
exist only as row blocks of ``block_rows × n`` while they are applied (on an accelerator at least
``ACCELERATOR_BLOCK_ROWS``: a GPU wants few large products, not many small ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fpengine.engine.device import is_host
from fpengine.engine.memory import FLOAT32, FLOAT64

DEFAULT_DELTA_MULTIPLES = (0.25, 1.0, 4.0)
"""Default δ as multiples of the median nearest-neighbour squared distance m. Measured at
initialisation (outputs ≈ 1/10): on MNIST-5k (n = 2000, m ≈ 29) e_low starts at 0.86, 0.27 and
0.09 for these multiples, from a nearly-identity kernel to strong smoothing; 8m would leave a low part
that is almost the class mean (e_low 0.065 before any training)."""
DELTA_RANGE = (1e-6, 1e6)
"""Allowed δ. Inputs are in [0, 1], so a squared distance is at most the input size (≤ 3072) and a
non-zero one at least (1/255)²: below 1e-6 the kernel is the identity for any two distinct inputs
(and below ~1.5e-39 the float32 factor −1/(2δ) overflows, so the diagonal is 0·∞ = NaN); above 1e6
every weight is 1 and the low part is the class mean, whatever δ."""
MULTIPLE_RANGE = (1e-3, 1000.0)
"""Allowed multiples of the median nearest-neighbour squared distance m: at 0.001·m the nearest
neighbour's weight is e⁻⁵⁰⁰, an identity kernel for nearly every point (warned from m/8 on)."""
CHAPTER_DELTAS = (3.0, 7.0, 10.0)
"""The δ of the chapter's Fig 1.12 panels (their data scaling is unknown; offered for [0,1] pixels)."""
NOTEBOOK_DELTAS = tuple(float(d) for d in np.linspace(2, 100, 20))
"""The notebook's sweep on [0,1]-scaled CIFAR10 pixels."""
IDENTITY_BELOW = 1 / 8
"""δ below this multiple of the median nearest-neighbour squared distance barely reaches a neighbour."""
MEAN_ABOVE = 16.0
"""δ above this multiple of it leaves a low part that is almost the class frequencies."""
DEFAULT_BLOCK_ROWS = 256
ACCELERATOR_BLOCK_ROWS = 2048
DISTANCE_BLOCK = 1024
"""Rows and columns per float64 product while the distances are computed: the inputs are upcast one
block at a time, so no float64 copy of the whole dataset is made."""


def block_rows_on(block_rows: int, device: torch.device) -> int:
    """The kernel rows applied at once on ``device``: the setting, or more on an accelerator."""
    return int(block_rows) if is_host(device) else max(int(block_rows), ACCELERATOR_BLOCK_ROWS)


def smoother_bytes(n: int, features: int, block_rows: int, deltas: int, columns: int, device: torch.device) -> tuple[int, int]:
    """(device, host) bytes of a smoother over ``n`` points of ``features`` values applying
    ``deltas`` kernels to ``columns`` label columns: the n×n distances, a few kernel blocks and the
    low parts on the device; the distances again (built on the host) and the float64 blocks there."""
    rows = min(block_rows_on(block_rows, device), n)
    on_device = FLOAT32 * (n * n + 3 * rows * n + 3 * deltas * n * columns)
    block = min(DISTANCE_BLOCK, n)
    host = FLOAT64 * (n + 2 * block * features + 3 * block * block) + (0 if is_host(device) else FLOAT32 * n * n)
    return on_device, host


def _as_rows(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    rows = torch.as_tensor(x)
    return rows.reshape(rows.shape[0], -1)


class GaussianSmoother:
    """Row-normalised Gaussian low-pass over a fixed set of points, for any number of δ."""

    def __init__(self, x: np.ndarray | torch.Tensor, block_rows: int = DEFAULT_BLOCK_ROWS, device: torch.device | str = "cpu"):
        if block_rows < 1:
            raise ValueError("block_rows must be at least 1")
        self.device = torch.device(device)
        self.block_rows = block_rows_on(block_rows, self.device)
        points = _as_rows(x).cpu()
        self.n = points.shape[0]
        squared_norms = torch.cat([(chunk.double() ** 2).sum(dim=1) for chunk in points.split(DISTANCE_BLOCK)])
        distances = torch.empty((self.n, self.n), dtype=torch.float32)
        for start in range(0, self.n, DISTANCE_BLOCK):
            stop = min(start + DISTANCE_BLOCK, self.n)
            rows = points[start:stop].double()
            for first in range(0, self.n, DISTANCE_BLOCK):
                last = min(first + DISTANCE_BLOCK, self.n)
                block = squared_norms[start:stop, None] + squared_norms[None, first:last] - 2.0 * (rows @ points[first:last].double().T)
                distances[start:stop, first:last] = block.clamp_(min=0.0).to(torch.float32)
            distances[torch.arange(start, stop), torch.arange(start, stop)] = 0.0
        self.distances = distances.to(self.device)

    def median_nearest_neighbour_distance(self) -> float:
        """Median over points of the squared distance to the nearest *other* point."""
        if self.n < 2:
            raise ValueError("need at least two points")
        nearest = torch.empty(self.n, dtype=torch.float32, device=self.device)
        for start in range(0, self.n, self.block_rows):
            stop = min(start + self.block_rows, self.n)
            block = self.distances[start:stop].clone()
            block[torch.arange(stop - start, device=self.device), torch.arange(start, stop, device=self.device)] = float("inf")
            nearest[start:stop] = block.min(dim=1).values
        return float(np.median(nearest.cpu().numpy()))

    def low_pass(self, values: np.ndarray | torch.Tensor, deltas: Sequence[float]) -> torch.Tensor:
        """y^low for every δ: ``values`` ``[n, C]`` (or ``[n]``) → ``[len(deltas), n, C]`` float32."""
        y = torch.as_tensor(values, dtype=torch.float32).to(self.device)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape[0] != self.n:
            raise ValueError(f"values have {y.shape[0]} rows, the filter has {self.n} points")
        if not all(0 < d < np.inf for d in deltas):  # also refuses nan
            raise ValueError(f"every δ must be positive and finite (got {', '.join(f'{d:g}' for d in deltas)})")
        out = torch.empty((len(deltas), self.n, y.shape[1]), dtype=torch.float32, device=self.device)
        for start in range(0, self.n, self.block_rows):
            stop = min(start + self.block_rows, self.n)
            distances = self.distances[start:stop]
            for index, delta in enumerate(deltas):
                kernel = torch.exp(distances * np.float32(-0.5 / delta))
                out[index, start:stop] = (kernel @ y) / kernel.sum(dim=1, keepdim=True)
        return out


@dataclass(frozen=True)
class BandErrors:
    e_low: np.ndarray
    """Relative error of the low part, one value per δ."""
    e_high: np.ndarray


class LowHighSplit:
    """The low/high split of fixed labels; :meth:`errors` scores network outputs against it."""

    def __init__(self, smoother: GaussianSmoother, labels: np.ndarray | torch.Tensor, deltas: Sequence[float]):
        self.smoother = smoother
        self.deltas = tuple(float(d) for d in deltas)
        self.labels = torch.as_tensor(labels, dtype=torch.float32).to(smoother.device)
        if self.labels.ndim == 1:
            self.labels = self.labels[:, None]
        low = smoother.low_pass(self.labels, self.deltas)
        self.low_norm = torch.linalg.vector_norm(low, dim=(1, 2))
        self.high_norm = torch.linalg.vector_norm(self.labels[None] - low, dim=(1, 2))

    def errors(self, outputs: np.ndarray | torch.Tensor) -> BandErrors:
        h = torch.as_tensor(outputs, dtype=torch.float32).to(self.smoother.device)
        residual = self.labels - h.reshape(self.labels.shape)
        residual_low = self.smoother.low_pass(residual, self.deltas)
        e_low = torch.linalg.vector_norm(residual_low, dim=(1, 2)) / self.low_norm
        e_high = torch.linalg.vector_norm(residual[None] - residual_low, dim=(1, 2)) / self.high_norm
        return BandErrors(e_low.cpu().numpy().astype(np.float64), e_high.cpu().numpy().astype(np.float64))


def default_deltas(smoother: GaussianSmoother, multiples: Sequence[float] = DEFAULT_DELTA_MULTIPLES) -> tuple[float, ...]:
    scale = smoother.median_nearest_neighbour_distance()
    if scale <= 0:
        raise ValueError("the data has duplicate points only; δ cannot be scaled to it")
    return tuple(float(m * scale) for m in multiples)


def dense_low_pass_reference(x: np.ndarray, values: np.ndarray, delta: float) -> np.ndarray:
    """The authors' notebook code: a dense float64 n×n kernel for one δ."""
    points = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    squared_norms = np.sum(points**2, axis=1)
    distances = -2.0 * points @ points.T + squared_norms[:, None] + squared_norms[None, :]
    kernel = np.exp(-distances / 2.0 / delta)
    kernel /= kernel.sum(axis=1, keepdims=True)
    return kernel @ np.asarray(values, dtype=np.float64)


def delta_warnings(deltas: Sequence[float], scale: float) -> list[tuple[float, str]]:
    """δ that make the picture unreliable, relative to the median nearest-neighbour squared distance
    ``scale``: ``identity`` (δ < scale/8: the kernel barely reaches a neighbour, so the "low" part
    is almost the labels themselves and e_low ≈ e_high) or ``mean`` (δ > 16·scale: the low part is
    almost the class frequencies, learned in the first steps)."""
    warnings = []
    for delta in deltas:
        if delta < IDENTITY_BELOW * scale:
            warnings.append((float(delta), "identity"))
        elif delta > MEAN_ABOVE * scale:
            warnings.append((float(delta), "mean"))
    return warnings
