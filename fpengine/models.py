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


def antisymmetrize_(model: nn.Module) -> None:
    """Make the network's output 0 everywhere (to float rounding) without redrawing it: the second half of the last
    hidden layer repeats the first half's units (their incoming weights and biases), those units' output
    weights are the first half's negated, and the output bias is 0. Each pair's two units then compute
    the same activation and cancel in the output, for every input. Their gradients do not cancel: the
    tangent kernel gets every first-half unit's contribution twice (a unit's output weight enters it
    squared), so its expected value is unchanged. Needs an even last hidden width."""
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if len(linears) < 2 or linears[-1].in_features % 2:
        raise ValueError("an antisymmetric network needs a hidden layer of an even width")
    hidden, output = linears[-2], linears[-1]
    half = output.in_features // 2
    with torch.no_grad():
        hidden.weight[half:] = hidden.weight[:half]
        hidden.bias[half:] = hidden.bias[:half]
        output.weight[:, half:] = -output.weight[:, :half]
        output.bias.zero_()


def initialise_(model: nn.Module, seed: int, std: float | None = None, *, antisymmetric: bool = False) -> None:
    """PyTorch's default initialisation and then, given ``std``, the chapter's N(0, std²), all drawn
    from a generator seeded with ``seed``; ``antisymmetric``: then made to output 0 (:func:`antisymmetrize_`)."""
    generator = seeded_generator(seed)
    reset_parameters_(model, generator)
    if std is not None:
        init_normal_(model, std, generator)
    if antisymmetric:
        antisymmetrize_(model)


class StackedMLP(nn.Module):
    """S networks of one shape (``mlp``'s) as one: each Linear layer's weights stacked as [S, in, out]
    (each member's weight transposed, so every product reads contiguous rows) and biases as [S, 1, out],
    so a forward pass of inputs [S, n, in] is one batched product per layer (``torch.baddbmm``) and one
    backward pass serves every member. Member i computes what network i computes (to float rounding:
    a batched product may sum in another order), and its gradient from a loss that is the *sum* of the
    members' own losses is exactly its own, so an elementwise optimizer (Adam, SGD, RMSprop) over the
    stacked parameters trains each member as it would train alone.

    Every layer's weights and biases live in one flat buffer, and so do their gradients: an optimizer
    given :meth:`optimizer_parameters` updates them all in one tensor (one fused kernel, none of the
    optimizer's per-tensor Python work), and :meth:`zero_grad_` clears every gradient at once. The
    layers' own parameters alias that buffer, so they always read its current values."""

    def __init__(self, networks: Sequence[nn.Sequential]):
        super().__init__()
        if not networks:
            raise ValueError("StackedMLP needs at least one network")
        parts: list[torch.Tensor] = []
        activations: list[nn.Module | None] = []
        for modules in zip(*networks, strict=True):
            if isinstance(modules[0], nn.Linear):
                with torch.no_grad():
                    parts.append(torch.stack([m.weight.detach().T for m in modules]))
                    parts.append(torch.stack([m.bias.detach() for m in modules]).unsqueeze(1))
                activations.append(None)
            elif next(modules[0].parameters(), None) is None:
                activations.append(modules[0])  # a parameter-free activation acts elementwise on every member
            else:
                raise TypeError(f"StackedMLP stacks Linear layers and parameter-free activations, not {type(modules[0]).__name__}")
        self.flat = nn.Parameter(torch.cat([part.reshape(-1) for part in parts]))
        """Every stacked weight and bias, one after the other: what an optimizer updates."""
        self.flat.grad = torch.zeros_like(self.flat)
        views, offset = [], 0
        for part in parts:
            views.append((offset, part.shape))
            offset += part.numel()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.layers: list[nn.Module | tuple[nn.Parameter, nn.Parameter]] = []
        aliases = iter(self._alias(start, shape) for start, shape in views)
        for module in activations:
            if module is None:
                weight, bias = next(aliases), next(aliases)
                self.weights.append(weight)
                self.biases.append(bias)
                self.layers.append((weight, bias))
            else:
                self.layers.append(module)

    def _alias(self, start: int, shape: torch.Size) -> nn.Parameter:
        """A parameter that shares ``flat``'s storage from ``start``, whose gradient shares ``flat.grad``'s."""
        count = math.prod(shape)
        alias = nn.Parameter(self.flat.detach()[start : start + count].view(shape))
        alias.grad = self.flat.grad[start : start + count].view(shape)
        return alias

    def parameters(self, recurse: bool = True):  # type: ignore[override]
        """The layers' parameters (views of ``flat``); an optimizer takes :meth:`optimizer_parameters`."""
        return iter([*self.weights, *self.biases])

    def optimizer_parameters(self) -> list[nn.Parameter]:
        """What an optimizer steps: the one flat tensor, whose gradient the backward pass fills in place."""
        return [self.flat]

    def zero_grad_(self) -> None:
        """Clear every gradient before a backward pass (which then accumulates into ``flat.grad`` in place)."""
        self.flat.grad.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for layer in self.layers:
            h = torch.baddbmm(layer[1], h, layer[0]) if isinstance(layer, tuple) else layer(h)
        return h

    def copy_to(self, networks: Sequence[nn.Sequential]) -> None:
        """Write each member's current parameters into its own network (for read-outs that take one)."""
        with torch.no_grad():
            for member, network in enumerate(networks):
                linears = [m for m in network if isinstance(m, nn.Linear)]
                for linear, weight, bias in zip(linears, self.weights, self.biases, strict=True):
                    linear.weight.copy_(weight[member].T)
                    linear.bias.copy_(bias[member, 0])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
