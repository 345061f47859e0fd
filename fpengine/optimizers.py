"""Gradient optimizers chosen by name, shared by every experiment that trains with torch."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import torch

GRADIENT_OPTIMIZERS = ("adam", "sgd", "momentum", "rmsprop")
STATE_PER_PARAMETER = {"adam": 2, "sgd": 0, "momentum": 1, "rmsprop": 1}
"""Tensors of a parameter's size each optimizer keeps (the memory estimates count them)."""


@functools.cache
def fused_adam_works(device_type: str, dtype: torch.dtype) -> bool:
    """Whether this torch has a fused Adam for ``device_type`` tensors of ``dtype``; tried once per
    process on a scratch parameter (older builds have none for the CPU or for Apple's MPS)."""
    try:
        parameter = torch.nn.Parameter(torch.zeros(1, device=device_type, dtype=dtype))
        parameter.grad = torch.zeros_like(parameter)
        torch.optim.Adam([parameter], fused=True).step()
    except (RuntimeError, NotImplementedError, TypeError):  # what torch raises for an unsupported device or dtype
        return False
    return True


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float, momentum: float = 0.9) -> torch.optim.Optimizer:
    params = list(params)
    if name == "adam":
        # One fused kernel instead of a dozen small ops per tensor (~1.4x faster steps on CPU), where
        # this torch has one for the parameters' device; else its per-tensor loop (the same update).
        fused = bool(params) and fused_adam_works(params[0].device.type, params[0].dtype)
        return torch.optim.Adam(params, lr=lr, fused=fused)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r} (choose from {', '.join(GRADIENT_OPTIMIZERS)})")


class FlatAdam:
    """Adam over one tensor, stepped by torch's fused kernel directly: the same update as
    ``torch.optim.Adam(fused=True)`` (lr, β = (0.9, 0.999), ε = 10⁻⁸; the same kernel, so the same
    numbers) without its per-step Python work (grouping, profiler records, state look-ups), which
    for a small network costs several times the update itself."""

    def __init__(self, parameter: torch.Tensor, lr: float):
        self.parameter, self.lr = parameter, lr
        self.exp_avg = torch.zeros_like(parameter)
        self.exp_avg_sq = torch.zeros_like(parameter)
        self.steps = torch.zeros((), dtype=torch.float32, device=parameter.device)

    @torch.no_grad()
    def step(self) -> None:
        self.steps.add_(1)
        torch._fused_adam_(
            [self.parameter],
            [self.parameter.grad],
            [self.exp_avg],
            [self.exp_avg_sq],
            [],
            [self.steps],
            amsgrad=False,
            lr=self.lr,
            beta1=0.9,
            beta2=0.999,
            weight_decay=0.0,
            eps=1e-8,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )


class FlatGradientDescent:
    """``torch.optim.SGD`` (no momentum) over one tensor: θ ← θ − lr·g, the same single operation."""

    def __init__(self, parameter: torch.Tensor, lr: float):
        self.parameter, self.lr = parameter, lr

    @torch.no_grad()
    def step(self) -> None:
        self.parameter.add_(self.parameter.grad, alpha=-self.lr)


def make_flat_optimizer(
    name: str, parameter: torch.Tensor, lr: float, momentum: float = 0.9
) -> FlatAdam | FlatGradientDescent | torch.optim.Optimizer:
    """``make_optimizer`` for one flat tensor that holds many (a stacked model's): Adam and plain
    gradient descent as one direct update each (:class:`FlatAdam`, :class:`FlatGradientDescent`), the
    others by torch.optim. Each has ``step()``; the caller clears the gradient itself."""
    if name == "adam" and fused_adam_works(parameter.device.type, parameter.dtype):
        return FlatAdam(parameter, lr)
    if name == "sgd":
        return FlatGradientDescent(parameter, lr)
    return make_optimizer(name, [parameter], lr, momentum)


def warm_up_optimizers(device: torch.device | str = "cpu") -> None:
    """Build and step an Adam on ``device`` once: a fused Adam's first use imports torch._dynamo,
    which takes seconds."""
    parameter = torch.nn.Parameter(torch.zeros(1, device=device))
    parameter.grad = torch.zeros_like(parameter)
    make_optimizer("adam", [parameter], lr=1e-3).step()
