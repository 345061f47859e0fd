"""Fully connected networks with the chapter's initialisation: every weight and bias drawn from N(0, std²),
std = 1/w1**t with w1 the first hidden width.

Every random draw of a network comes from the run's own ``torch.Generator`` seeded with the run's
seed, never from the process-wide generator: runs training side by side (two on a GPU, a sweep's
cells, the app's visitors) would otherwise interleave their draws and the same seed would give
different networks. The generator lives on the CPU, so a seed gives the same network on every device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = ("tanh", "relu", "sigmoid", "sin", "hat")


class Sin(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


class Hat(nn.Module):
    """hat(x) = x on [0,1), 2−x on [1,2), 0 elsewhere (the notebooks' hat activation (docs/experiments.md#sources))."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(torch.minimum(x, 2 - x), min=0)


def activation(name: str) -> nn.Module:
    modules = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "sin": Sin, "hat": Hat}
    if name not in modules:
        raise ValueError(f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})")
    return modules[name]()


def mlp(in_features: int, widths: Sequence[int], out_features: int, activation_name: str) -> nn.Sequential:
    """``Linear(in, w1), act, …, Linear(w_last, out)`` with a linear output and biases everywhere."""
    layers: list[nn.Module] = []
    previous = in_features
    for width in widths:
        layers += [nn.Linear(previous, width), activation(activation_name)]
        previous = width
    layers.append(nn.Linear(previous, out_features))
    return nn.Sequential(*layers)


def chapter_init_std(widths: Sequence[int], power: float) -> float:
    """std = 1 / w1**t, with w1 the first hidden width (t = 0.5 by default)."""
    return 1.0 / float(widths[0]) ** power


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU generator of its own: it draws the same stream as ``torch.manual_seed(seed)`` would."""
    return torch.Generator().manual_seed(seed)


def reset_parameters_(model: nn.Module, generator: torch.Generator) -> None:
    """Draw PyTorch's default initialisation of every Linear and Conv layer again, from ``generator``,
    layer by layer in order (the same draws as their constructors make from the global generator)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                if module.bias is not None:
                    fan_in = module.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                    nn.init.uniform_(module.bias, -bound, bound, generator=generator)


def init_normal_(model: nn.Module, std: float, generator: torch.Generator) -> None:
    """Draw every Linear weight and then its bias from N(0, std²), layer by layer in order.

    The order matters: after :func:`reset_parameters_` from the same generator it reproduces the
    authors' random stream (seed, build, then this), hence their printed losses.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, std, generator=generator)
                module.bias.normal_(0.0, std, generator=generator)


def initialise_(model: nn.Module, seed: int, std: float | None = None) -> None:
    """PyTorch's default initialisation and then, given ``std``, the chapter's N(0, std²), all drawn
    from a generator seeded with ``seed``."""
    generator = seeded_generator(seed)
    reset_parameters_(model, generator)
    if std is not None:
        init_normal_(model, std, generator)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
