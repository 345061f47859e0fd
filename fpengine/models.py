"""Fully connected networks with the chapter's initialisation: every weight and bias drawn from N(0, std²),
std = 1/w1**t with w1 the first hidden width."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = ("tanh", "relu", "sigmoid", "sin", "hat")


class Sin(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


class Hat(nn.Module):
    """hat(x) = x on [0,1), 2−x on [1,2), 0 elsewhere (the notebooks' hat activation)."""

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


def init_normal_(model: nn.Module, std: float) -> None:
    """Draw every Linear weight and then its bias from N(0, std²), layer by layer in order.

    The order matters: it reproduces the authors' random stream, hence their printed losses.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, std)
                module.bias.normal_(0.0, std)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
