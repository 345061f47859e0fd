"""How much memory a run will need, and the refusal of one that cannot fit before it starts.

An experiment whose settings can ask for more than a machine has (a 512 px colour picture through
wide layers, a large training set through a CNN) estimates its run's memory; the engine compares the
estimate with what the device has free and refuses the config with both numbers, rather than
letting the run end in an out-of-memory error. The estimates are upper-bound sketches (every
layer's output kept for the backward pass, the largest twice more for its gradients), measured on
the meta device: the network is built and run there without memory or arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import psutil
import torch
from torch import nn

from fpengine.engine.device import HOST, describe_device
from fpengine.optimizers import STATE_PER_PARAMETER
from fpengine.settings.schema import ConfigError

FLOAT32 = 4
FLOAT64 = 8
HEADROOM = 0.9
"""Share of the free memory a run may plan to use: the estimate is a sketch, and the rest of the
process (the app, other runs' new allocations) needs some too."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs at its peak: ``device`` on the training device, ``host`` besides it on the
    host (float64 read-outs, host copies). On the CPU both are the same memory."""

    device: int
    host: int
    settings: tuple[str, ...]
    """The settings that make it large: what the refusal asks to make smaller."""


def format_bytes(count: float) -> str:
    return f"{count / 2**30:.1f} GiB" if count >= 2**30 else f"{count / 2**20:.0f} MiB"


def activation_sizes(model: nn.Module, batch: Sequence[int]) -> list[int]:
    """Elements of every leaf module's output in one forward pass of a ``batch``-shaped input. The
    model must be on the meta device (built under ``with torch.device("meta")``)."""
    sizes: list[int] = []
    hooks = [
        module.register_forward_hook(lambda module, inputs, output: sizes.append(output.numel()))
        for module in model.modules()
        if not list(module.children())
    ]
    try:
        with torch.no_grad():
            model(torch.empty(tuple(batch), device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    return sizes


def training_bytes(model: nn.Module, batch: Sequence[int], optimizer: str) -> int:
    """float32 bytes of a training step on a ``batch``: parameters, their gradients and the
    optimizer's state, the input, every layer's output kept for the backward pass and the largest
    twice more while gradients flow back."""
    parameters = sum(p.numel() for p in model.parameters())
    sizes = activation_sizes(model, batch)
    return FLOAT32 * (parameters * (2 + STATE_PER_PARAMETER[optimizer]) + math.prod(batch) + sum(sizes) + 2 * max(sizes))


def inference_bytes(model: nn.Module, batch: Sequence[int]) -> int:
    """float32 bytes of a forward pass without gradients: the input and two layers' outputs at a time."""
    return FLOAT32 * (math.prod(batch) + 2 * max(activation_sizes(model, batch)))


def memory_budget(device: torch.device) -> int:
    """Bytes a new run may plan to use on ``device``: a share of what is free there now."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(HEADROOM * (free + cached))
    if device.type == "mps" and hasattr(torch.mps, "recommended_max_memory"):
        return int(HEADROOM * (torch.mps.recommended_max_memory() - torch.mps.driver_allocated_memory()))
    return int(HEADROOM * psutil.virtual_memory().available)


def check_memory(estimate: MemoryEstimate, device: torch.device) -> None:
    """Refuse (ConfigError naming the settings) a run whose estimate exceeds what ``device`` (and,
    for an accelerator, the host) has free."""
    parts = [(estimate.device + estimate.host, device)] if device.type == "cpu" else [(estimate.device, device), (estimate.host, HOST)]
    for need, where in parts:
        available = memory_budget(where)
        if need > available:
            raise ConfigError(
                ", ".join(estimate.settings),
                "run.error.memory",
                need=format_bytes(need),
                available=format_bytes(available),
                device=describe_device(where),
            )
