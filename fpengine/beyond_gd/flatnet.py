"""A small 1-m-1 network evaluated straight from a flat parameter vector θ.

Optimisers that are not gradient descent (SciPy's CG/BFGS/L-BFGS-B/Powell, particle swarm) see the
network as a function of one vector. θ is laid out as ``[w1 (m), b1 (m), w2 (m), b2 (1)]``, so
P = 3m + 1 and ``h(x) = Σ_j w2_j σ(w1_j x + b1_j) + b2``.

A whole swarm θ[S, P] is evaluated in one batched matmul (no Python loop over particles); the loss
is ½·MSE; scipy gets float64 numpy values and gradients from torch autograd.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from fpengine.models import activation, mlp

DEFAULT_INIT_STD = 0.5
"""θ₀ ~ N(0, 0.5²) for every weight and bias."""

DEFAULT_CHUNK = 256
"""Particles per batched forward: measured no slower than bigger chunks, and it bounds the memory."""


class FlatNet:
    """``Linear(1, m) → activation → Linear(m, 1)`` whose weights live in one flat vector."""

    def __init__(self, width: int, activation_name: str = "tanh"):
        if width < 1:
            raise ValueError(f"width must be at least 1, got {width}")
        self.width = width
        self.activation_name = activation_name
        self._activation = activation(activation_name)

    @property
    def parameter_count(self) -> int:
        return 3 * self.width + 1

    def _split(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(w1, b1, w2, b2) views of ``theta[..., P]``; b2 keeps a trailing axis of 1."""
        if theta.shape[-1] != self.parameter_count:
            raise ValueError(f"expected {self.parameter_count} parameters for width {self.width}, got {theta.shape[-1]}")
        m = self.width
        return theta[..., :m], theta[..., m : 2 * m], theta[..., 2 * m : 3 * m], theta[..., 3 * m :]

    def forward(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Output on the points ``x[n]`` of the network ``theta[P]``: shape ``[n]``."""
        w1, b1, w2, b2 = self._split(theta)
        hidden = self._activation(torch.outer(x, w1) + b1)
        return hidden @ w2 + b2

    def forward_batch(self, thetas: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Outputs of the networks ``thetas[S, P]`` on ``x[n]``: shape ``[S, n]``, two batched matmuls."""
        w1, b1, w2, b2 = self._split(thetas)
        swarm = thetas.shape[0]
        inputs = x.reshape(1, -1, 1).expand(swarm, -1, 1)
        hidden = self._activation(torch.baddbmm(b1.unsqueeze(1), inputs, w1.unsqueeze(1)))
        return torch.bmm(hidden, w2.unsqueeze(2)).squeeze(2) + b2

    def module(self, theta: np.ndarray) -> nn.Sequential:
        """The network ``theta`` as ``Linear(1, m) → activation → Linear(m, 1)`` in float64 (what
        the tangent kernel of :mod:`fpengine.readout.theory` reads)."""
        w1, b1, w2, b2 = self._split(torch.as_tensor(np.asarray(theta, dtype=np.float64)))
        with torch.device("meta"):  # built without drawing from torch's global generator
            model = mlp(1, (self.width,), 1, self.activation_name)
        model = model.to_empty(device="cpu").double()
        with torch.no_grad():
            for layer, weight, bias in ((model[0], w1.reshape(-1, 1), b1), (model[2], w2.reshape(1, -1), b2)):
                layer.weight.copy_(weight)
                layer.bias.copy_(bias)
        return model

    def initial_parameters(self, seed: int, std: float = DEFAULT_INIT_STD) -> np.ndarray:
        """θ₀ ~ N(0, std²), reproducible from ``seed`` alone (float64)."""
        return np.random.default_rng(seed).normal(0.0, std, self.parameter_count)


class FlatObjective:
    """L(θ) = ½·mean((h_θ(x) − y)²) on fixed data, in the shapes SciPy and a swarm want."""

    def __init__(self, net: FlatNet, x: np.ndarray, y: np.ndarray, dtype: torch.dtype = torch.float64, device: torch.device | None = None):
        self.net = net
        self.dtype = dtype
        self.device = device or torch.device("cpu")
        self.x = torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=dtype, device=self.device)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float64), dtype=dtype, device=self.device)
        if self.x.shape != self.y.shape or self.x.ndim != 1:
            raise ValueError(f"x and y must be 1-D of the same length, got {tuple(self.x.shape)} and {tuple(self.y.shape)}")

    @property
    def parameter_count(self) -> int:
        return self.net.parameter_count

    def tensor(self, theta: np.ndarray | torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(theta, dtype=self.dtype, device=self.device)

    def loss_tensor(self, theta: torch.Tensor) -> torch.Tensor:
        residual = self.net.forward(theta, self.x) - self.y
        return 0.5 * residual.square().mean()

    def loss(self, theta: np.ndarray) -> float:
        with torch.no_grad():
            return float(self.loss_tensor(self.tensor(theta)))

    def loss_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """(L(θ), ∇L(θ)) as SciPy's ``jac=True`` wants them: a float and a float64 array."""
        parameters = self.tensor(theta).detach().requires_grad_(True)
        value = self.loss_tensor(parameters)
        (gradient,) = torch.autograd.grad(value, parameters)
        return float(value.detach()), gradient.detach().cpu().numpy().astype(np.float64)

    def batch_loss(self, thetas: np.ndarray | torch.Tensor, chunk: int = DEFAULT_CHUNK) -> torch.Tensor:
        """L of every row of ``thetas[S, P]``, ``chunk`` particles per batched forward: shape ``[S]``."""
        thetas = self.tensor(thetas)
        with torch.no_grad():
            parts = [self._batch_chunk(thetas[start : start + chunk]) for start in range(0, thetas.shape[0], chunk)]
        return torch.cat(parts)

    def _batch_chunk(self, thetas: torch.Tensor) -> torch.Tensor:
        residual = self.net.forward_batch(thetas, self.x) - self.y
        return 0.5 * residual.square().mean(dim=1)

    def batch_loss_looped(self, thetas: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The same numbers as :meth:`batch_loss`, one forward per particle (the benchmark's baseline)."""
        thetas = self.tensor(thetas)
        with torch.no_grad():
            return torch.stack([self.loss_tensor(theta) for theta in thetas])

    def outputs(self, theta: np.ndarray | torch.Tensor, x: np.ndarray | None = None) -> np.ndarray:
        """h_θ on the training points (or on ``x``), float64 numpy (what the spectral views read)."""
        points = self.x if x is None else self.tensor(np.asarray(x, dtype=np.float64))
        with torch.no_grad():
            return self.net.forward(self.tensor(theta), points).cpu().numpy().astype(np.float64)
