"""How much memory a run will need, and the refusal of one that cannot fit before it starts.

An experiment whose settings can ask for more than a machine has (a 512 px colour picture through
wide layers, a large training set through a CNN) estimates its run's memory; the engine compares the
estimate with what the device has free and refuses the config with both numbers, rather than
letting the run end in an out-of-memory error. The estimates are upper-bound sketches (every
layer's output kept for the backward pass, the largest twice more for its gradients), measured on
the meta device: the network is built and run there without memory or arithmetic.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator, Sequence
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


_ADMITTED_LOCK = threading.Lock()
_admitted: dict[int, list[tuple[str, int]]] = {}
"""Runs training in this process, admitted by :func:`admitted`: token → [(memory, bytes planned)]."""
_ADMITTING = threading.Lock()
"""Two runs starting at once are checked and admitted one after the other."""


def _memory_key(device: torch.device) -> str:
    """Which memory a device draws on: the host's for the CPU, else the accelerator's own."""
    return "host" if device.type == "cpu" else f"{device.type}:{device.index or 0}"


def _parts(estimate: MemoryEstimate, device: torch.device) -> list[tuple[int, torch.device]]:
    if device.type == "cpu":
        return [(estimate.device + estimate.host, device)]
    return [(estimate.device, device), (estimate.host, HOST)]


def reserved_memory(device: torch.device) -> tuple[int, int]:
    """(bytes, runs): what the runs already admitted in this process planned on ``device``'s memory.
    Their estimates count whole: what they have not allocated yet, they still may."""
    key = _memory_key(device)
    with _ADMITTED_LOCK:
        planned = [size for parts in _admitted.values() for where, size in parts if where == key and size > 0]
    return sum(planned), len(planned)


def check_memory(estimate: MemoryEstimate, device: torch.device, *, shared: bool = False) -> None:
    """Refuse (ConfigError naming the settings) a run whose estimate exceeds what ``device`` (and,
    for an accelerator, the host) has free. ``shared``: leave room for the runs already admitted
    (the sum of their estimates), and name both numbers in the refusal."""
    for need, where in _parts(estimate, device):
        available = memory_budget(where)
        reserved, runs = reserved_memory(where) if shared else (0, 0)
        if need <= available - reserved:
            continue
        if reserved:
            raise ConfigError(
                ", ".join(estimate.settings),
                "run.error.memory_shared",
                need=format_bytes(need),
                available=format_bytes(max(0, available - reserved)),
                reserved=format_bytes(reserved),
                runs=runs,
                device=describe_device(where),
            )
        raise ConfigError(
            ", ".join(estimate.settings),
            "run.error.memory",
            need=format_bytes(need),
            available=format_bytes(available),
            device=describe_device(where),
        )


@contextlib.contextmanager
def admitted(estimate: MemoryEstimate | None, device: torch.device) -> Iterator[None]:
    """Check the run fits beside the runs already admitted, and hold its estimate while it trains,
    so the next run's check leaves room for it (the check and the hold are one step)."""
    if estimate is None:
        yield
        return
    with _ADMITTING:
        check_memory(estimate, device, shared=True)
        token = object()
        with _ADMITTED_LOCK:
            _admitted[id(token)] = [(_memory_key(where), need) for need, where in _parts(estimate, device)]
    try:
        yield
    finally:
        with _ADMITTED_LOCK:
            _admitted.pop(id(token), None)
