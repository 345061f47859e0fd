"""The linearised (neural-tangent-kernel) prediction of a 1-D run: how fast each frequency of the
residual decays under gradient descent, computed from the run's network at initialisation. Shared
by the 1-D experiments and Sec 1.6.

The model. Near its initial parameters θ₀ the network is linear in them, f(θ) ≈ f₀ + J(θ − θ₀),
with J the n×P Jacobian of its outputs on the n training points. A full-batch gradient-descent
step of size η on the loss c·mean((f − y)²) (c = 1 on the 1-D pages, ½ in Sec 1.6) moves θ by
−η·(2c/n)·Jᵀr, hence the residual r = f − y by −η·(2c/n)·K r, with K = JJᵀ the empirical neural
tangent kernel. So, with K = V diag(λ) Vᵀ,

    r_t = (I − (2cη/n)·K)^t r₀ = V diag((1 − (2cη/n)·λ_i)^t) Vᵀ r₀,

which is exp(−2cηtK/n) r₀ while (2cη/n)·λ ≪ 1. K's eigenvectors with large eigenvalues are smooth,
so the low frequencies of r decay first: the F-Principle as a prediction. It is exact for the
linearised network under plain gradient descent (the ``sgd`` optimizer: every step is full-batch
here); how far the real network leaves its linearisation is measured by the relative change of
its parameters (and, at the end, of K).

Other optimizers are not linear in the gradient (Adam divides each coordinate by its running RMS),
so there is no linear prediction of them. They get gradient descent's prediction at a *matched*
step η = −gᵀΔθ / ‖g‖²: the gradient step that lowers the loss, to first order, as much as the
optimizer's own first step Δθ from the same gradient g at θ₀.
"""

from __future__ import annotations

import copy
import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from fpengine import spectral
from fpengine.engine.runner import ErrorTrace, Snapshot
from fpengine.optimizers import make_optimizer
from fpengine.readout.analysis import TargetAnalysis

PREDICTED = "predicted_delta_f"
"""The trace of the predicted ΔF (metrics.csv columns ``predicted_delta_f[k]``)."""
TOP_EIGENVALUES = 64
"""Eigenpairs published for the spectrum chart; the summary keeps the first ``SUMMARY_EIGENVALUES``."""
SUMMARY_EIGENVALUES = 10
ROUND_OFF = 1e-13
"""Eigenvalues below this fraction of the largest are not resolved in float64 (each entry of K, a sum
over the layers' units, carries a relative round-off near 10⁻¹⁴; measured: such eigenvalues come out
of either sign): clipped to zero, so their modes never decay, and not shown."""
HORIZON = 1e15
"""The predicted steps a frequency needs are searched up to this many steps."""
HORIZON_POINTS = 2000
STEP_CHUNK = 2048
"""Steps evaluated at once: bounds the T×n table of decay factors to STEP_CHUNK·n floats."""


def host_copy(network: nn.Module) -> nn.Module:
    """The network in float64 on the host (the kernel's precision), leaving the run's own untouched."""
    return copy.deepcopy(network).to(device="cpu", dtype=torch.float64)


def tangent_kernel(network: nn.Sequential, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact empirical NTK K = JJᵀ of ``network`` (Linear layers and parameter-free activations,
    on any device, in any dtype) on the points ``x[n]``, and its outputs there: (K[n, n], f[n]),
    computed in float64 on the host.

    Layer by layer, never forming the n×P Jacobian: for a Linear layer with inputs a_i and output
    gradients δ_i = ∂f(x_i)/∂z_i, the per-sample Jacobian of its weight is δ_i a_iᵀ and of its bias
    δ_i, so the layer adds (ΔΔᵀ) ⊙ (AAᵀ + 1) to K. The δ_i of all samples come from one backward pass
    of Σ_i f(x_i), since f(x_i) depends on sample i's activations alone."""
    host = host_copy(network)
    inputs: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []
    h = torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(-1, 1)
    for module in host:
        if isinstance(module, nn.Linear):
            inputs.append(h)
            h = module(h)
            outputs.append(h)
        elif next(module.parameters(), None) is not None:
            raise TypeError(f"the tangent kernel handles Linear layers and parameter-free activations, not {type(module).__name__}")
        else:
            h = module(h)
    deltas = torch.autograd.grad(h.sum(), outputs)
    kernel = torch.zeros((len(h), len(h)), dtype=torch.float64)
    with torch.no_grad():
        for a, delta in zip(inputs, deltas, strict=True):
            kernel += (delta @ delta.T) * (a @ a.T + 1)
    return kernel.numpy(), h.detach().squeeze(1).numpy()


def dominant_indices(vectors: np.ndarray) -> np.ndarray:
    """The DFT index (0 … n/2) of largest magnitude of each column of ``vectors[n, m]``: which
    frequency an eigenvector mostly is."""
    n = vectors.shape[0]
    return np.abs(np.fft.fft(vectors, axis=0))[: n // 2 + 1].argmax(axis=0)


@dataclass(frozen=True)
class LinearPrediction:
    """Gradient descent on the linearised network: r_t = V diag((1 − rate·λ)^t) Vᵀ r₀."""

    eigenvalues: np.ndarray
    """λ of K, largest first, round-off clipped to 0."""
    eigenvectors: np.ndarray
    """V[n, n], column i belongs to λ_i."""
    start: np.ndarray
    """Vᵀ r₀: the initial residual's coordinates in the eigenbasis."""
    rate: float
    """2cη/n: a step scales mode i by 1 − rate·λ_i."""
    loss_scale: float
    """c of the loss c·mean(r²)."""

    @classmethod
    def from_kernel(cls, kernel: np.ndarray, residual: np.ndarray, step: float, loss_scale: float) -> LinearPrediction:
        """The prediction for gradient descent with step ``step`` on the loss c·mean(r²), from
        K[n, n] (symmetric) and r₀[n]."""
        # torch's LAPACK keeps to torch's thread count (one per sweep cell), numpy's BLAS would not
        values, vectors = (t.numpy() for t in torch.linalg.eigh(torch.from_numpy(np.asarray(kernel, dtype=np.float64))))
        values, vectors = values[::-1], vectors[:, ::-1]
        values = np.where(values > ROUND_OFF * max(values[0], 0.0), values, 0.0)
        n = len(residual)
        return cls(values, vectors, vectors.T @ residual, 2 * loss_scale * step / n, loss_scale)

    def coordinates(self, steps: np.ndarray) -> np.ndarray:
        """The residual's eigen-coordinates after each of ``steps`` steps: [T, n]."""
        factors = 1.0 - self.rate * self.eigenvalues
        with np.errstate(over="ignore", invalid="ignore"):  # an unstable step size diverges, as GD would
            return np.power(factors[None, :], np.asarray(steps, dtype=float)[:, None]) * self.start[None, :]

    def residuals(self, steps: np.ndarray) -> np.ndarray:
        """r_t at each of ``steps``: [T, n]."""
        return self.coordinates(steps) @ self.eigenvectors.T

    def losses(self, steps: np.ndarray) -> np.ndarray:
        """c·mean(r_t²) at each of ``steps`` (V is orthonormal, so ‖r‖ = ‖Vᵀr‖)."""
        with np.errstate(over="ignore", invalid="ignore"):
            parts = [
                self.loss_scale * np.square(self.coordinates(part)).sum(axis=1) / len(self.start) for part in _chunks(np.asarray(steps))
            ]
        return np.concatenate(parts)


def _chunks(steps: np.ndarray) -> list[np.ndarray]:
    return [steps[i : i + STEP_CHUNK] for i in range(0, len(steps), STEP_CHUNK)] or [steps]


@dataclass(frozen=True)
class SpectralPrediction:
    """The predicted ΔF at the tracked DFT indices: the same definition as the measured one
    (:func:`fpengine.spectral.relative_spectral_error` of DFT/n of the output vs the target's)."""

    linear: LinearPrediction
    projected: np.ndarray
    """(D V)[K, n]: DFT/n rows of the tracked indices applied to the eigenvectors."""
    target: np.ndarray
    """f̂ at the tracked indices (complex DFT/n of the target)."""
    form: str

    @classmethod
    def of(cls, linear: LinearPrediction, indices: np.ndarray, target: np.ndarray, form: str) -> SpectralPrediction:
        n = linear.eigenvectors.shape[0]
        rows = np.exp(-2j * np.pi * np.outer(np.asarray(indices), np.arange(n)) / n) / n
        return cls(linear, rows @ linear.eigenvectors, np.asarray(target), form)

    def errors(self, steps: np.ndarray) -> np.ndarray:
        """Predicted ΔF[T, K] after each of ``steps`` steps: the output is y + r_t, so its DFT is
        f̂ + D r_t."""
        with np.errstate(over="ignore", invalid="ignore"):  # an unstable step size diverges, as GD would
            parts = [
                spectral.relative_spectral_error(self.target + self.linear.coordinates(part) @ self.projected.T, self.target, self.form)
                for part in _chunks(np.asarray(steps))
            ]
        return np.concatenate(parts).reshape(len(steps), len(self.target))

    def steps_needed(self, epsilon: float, rule: str) -> list[int | None]:
        """The step at which each tracked ΔF drops below ``epsilon`` by ``rule``, read on a
        logarithmic grid of steps up to :data:`HORIZON` (about 1% apart): when gradient descent
        would get there, even far beyond the run. None: not within the horizon."""
        grid = np.unique(np.geomspace(1, HORIZON, HORIZON_POINTS).round())
        steps = np.concatenate([[0.0], grid])
        return spectral.convergence_steps(self.errors(steps), steps.astype(np.int64), epsilon, rule)  # type: ignore[arg-type]


def loss_gradient(network: nn.Module, x: np.ndarray, y: np.ndarray, loss_scale: float) -> list[torch.Tensor]:
    """∇θ c·mean((f − y)²) of a float64 host ``network`` on the points ``x``, one tensor per parameter."""
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(-1, 1)
    residual = network(inputs).squeeze(1) - torch.as_tensor(np.asarray(y, dtype=np.float64))
    return list(torch.autograd.grad(loss_scale * residual.square().mean(), list(network.parameters())))


def matched_step(optimizer: str, lr: float, momentum: float, parameters: Sequence[torch.Tensor], gradient: Sequence[torch.Tensor]) -> float:
    """The gradient-descent step η whose first step lowers the loss, to first order, as much as the
    first step Δθ of ``optimizer`` from the same gradient g: η = −gᵀΔθ/‖g‖². Exactly ``lr`` for
    ``sgd``, which is gradient descent."""
    if optimizer == "sgd":
        return lr
    copies = [p.detach().clone().requires_grad_(True) for p in parameters]
    for moved, g in zip(copies, gradient, strict=True):
        moved.grad = g.detach().clone()
    make_optimizer(optimizer, copies, lr, momentum).step()
    with torch.no_grad():
        descent = -sum(float(((c - p) * g).sum()) for c, p, g in zip(copies, parameters, gradient, strict=True))
        norm = sum(float(g.square().sum()) for g in gradient)
    return descent / norm if norm > 0 else lr


def parameter_vector(network: nn.Module) -> np.ndarray:
    return torch.nn.utils.parameters_to_vector([p.detach() for p in network.parameters()]).cpu().numpy().astype(np.float64)


class RunTheory:
    """The prediction a run publishes beside its measured ΔF, built at the start from its initial
    network (``network``: Linear layers and activations). ``training`` has the run's gradient
    ``optimizer``, ``lr`` and ``momentum``; ``loss_scale`` is c of its loss c·mean((f − y)²)."""

    def __init__(self, network: nn.Sequential, analysis: TargetAnalysis, training: Any, spectrum: Any, loss_scale: float):
        started = time.perf_counter()
        self.x = analysis.x
        self.kernel, outputs = tangent_kernel(network, analysis.x)
        host = host_copy(network)
        gradient = loss_gradient(host, analysis.x, analysis.y, loss_scale)
        self.optimizer = training.optimizer
        self.step_size = matched_step(training.optimizer, training.lr, training.momentum, list(host.parameters()), gradient)
        linear = LinearPrediction.from_kernel(self.kernel, outputs - analysis.y, self.step_size, loss_scale)
        target = analysis.coefficients[analysis.selected]
        self.prediction = SpectralPrediction.of(linear, analysis.selected, target, spectrum.error_form)
        self.steps_needed = self.prediction.steps_needed(spectrum.epsilon, spectrum.rule)
        shown = min(TOP_EIGENVALUES, int(np.count_nonzero(linear.eigenvalues)))
        self.eigenvalues = linear.eigenvalues[:shown]
        self.eigen_indices = dominant_indices(linear.eigenvectors[:, :shown])
        self.start = parameter_vector(network)
        self.seconds = time.perf_counter() - started
        self._steps = np.zeros(0, dtype=np.int64)
        self._errors = np.zeros((0, len(analysis.selected)))
        self._losses = np.zeros(0)

    def _extend(self, steps: np.ndarray) -> None:
        """Predict the steps not predicted yet: a run's record only grows."""
        known = len(self._steps)
        if len(steps) < known or not np.array_equal(steps[:known], self._steps):
            known = 0
        new = steps[known:]
        self._errors = np.concatenate([self._errors[:known], self.prediction.errors(new)])
        self._losses = np.concatenate([self._losses[:known], self.prediction.linear.losses(new)])
        self._steps = np.array(steps, dtype=np.int64)

    def drift(self, network: nn.Module) -> float:
        """‖θ − θ₀‖ / ‖θ₀‖: how far the parameters have moved from where the kernel was taken."""
        return float(np.linalg.norm(parameter_vector(network) - self.start) / np.linalg.norm(self.start))

    def kernel_drift(self, network: nn.Sequential) -> float:
        """‖K − K₀‖_F / ‖K₀‖_F of the kernel at ``network`` against the initial one."""
        kernel = tangent_kernel(network, self.x)[0]
        return float(np.linalg.norm(kernel - self.kernel) / np.linalg.norm(self.kernel))

    def add_to(
        self,
        metrics: MutableMapping[str, Any],
        traces: MutableMapping[str, ErrorTrace],
        views: MutableMapping[str, Any],
        network: nn.Sequential,
        final: bool,
    ) -> None:
        """Add the prediction to what a run publishes: ``predicted_loss`` beside ``loss``, the
        ``predicted_delta_f`` trace on the measured trace's steps, the kernel's spectrum and the
        drift (of the kernel too when ``final``)."""
        measured = traces["delta_f"]
        self._extend(np.asarray(measured.steps))
        metrics["predicted_loss"] = self._losses[: len(metrics["step"])]
        traces[PREDICTED] = ErrorTrace(self._steps, self._errors, measured.keys, measured.values)
        views.update(
            {
                "ntk_eigenvalues": self.eigenvalues,
                "ntk_eigen_indices": self.eigen_indices,
                "ntk_learning_rate": self.step_size,
                "ntk_optimizer": self.optimizer,
                "ntk_seconds": self.seconds,
                "ntk_steps_needed": np.array([np.inf if s is None else s for s in self.steps_needed]),
                "parameter_drift": self.drift(network),
            }
        )
        if final:
            views["kernel_drift"] = self.kernel_drift(network)


def theory_summary(spectrum: Any, snapshot: Snapshot, never: int) -> dict[str, Any]:
    """The summary.json fields of the prediction, when the run made one (``theory=ntk``):
    predicted convergence steps by the same rule as the measured ones, on the same record."""
    trace = snapshot.traces.get(PREDICTED)
    if trace is None:
        return {}
    views = snapshot.views
    converged = spectral.convergence_steps(trace.errors, trace.steps, spectrum.epsilon, spectrum.rule)
    return {
        "predicted_convergence_step": converged,
        "predicted_spearman": spectral.spearman(trace.values, converged, never=never),
        "predicted_steps_needed": [int(s) if np.isfinite(s) else None for s in views["ntk_steps_needed"]],
        "ntk_eigenvalues": [float(v) for v in views["ntk_eigenvalues"][:SUMMARY_EIGENVALUES]],
        "ntk_eigenvector_index": [int(k) for k in views["ntk_eigen_indices"][:SUMMARY_EIGENVALUES]],
        "ntk_learning_rate": float(views["ntk_learning_rate"]),
        "ntk_time_scale": "exact" if views["ntk_optimizer"] == "sgd" else "matched",
        "ntk_optimizer": str(views["ntk_optimizer"]),
        "ntk_seconds": round(float(views["ntk_seconds"]), 3),
        "parameter_drift": float(views["parameter_drift"]),
        "kernel_drift": None if "kernel_drift" not in views else float(views["kernel_drift"]),
    }
