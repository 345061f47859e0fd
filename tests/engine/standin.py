"""A stand-in accelerator for a machine without one.

Tensors on ``STANDIN`` (``cpu:0``) compute on the CPU, but the engine treats that device as an
accelerator (``fpengine.engine.device.is_host`` is false for it), and :class:`DeviceGuard` tracks
them as device tensors: a factory given ``device=STANDIN``, ``.to(STANDIN)``, and any result of an
operation with a device tensor among its inputs is one; ``.cpu()`` and ``.to("cpu")`` give a host
tensor (a copy, as from a real device). The guard records every float64 tensor that ends up on the
device (Apple's MPS has none: the run would fail there) and every device tensor handed to NumPy
(CUDA and MPS tensors cannot be), with the engine's line that did it.

A tensor the guard did not see being made (an autograd gradient) counts as a device tensor.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

STANDIN = torch.device("cpu", 0)
HOST = torch.device("cpu")
_TAG = "_standin_on_device"
_WIDE = (torch.float64, torch.complex128)
_READS = (torch.Tensor.__bool__, torch.Tensor.__float__, torch.Tensor.__int__, torch.Tensor.item, torch.Tensor.tolist)
ROOT = Path(__file__).resolve().parents[2]


def _on_device(tensor: torch.Tensor) -> bool:
    return tensor.__dict__.get(_TAG, True)


def _tag(tensor: torch.Tensor, on_device: bool) -> None:
    tensor.__dict__[_TAG] = on_device


def _as_device(value: Any) -> torch.device | None:
    if isinstance(value, torch.device):
        return value
    if isinstance(value, str):
        try:
            return torch.device(value)
        except RuntimeError:  # a string that is not a device (a memory format's name, …)
            return None
    return None


def _target(func: Any, args: tuple, kwargs: dict) -> torch.device | None:
    """The device a call explicitly places its result on, if any."""
    if func is torch.Tensor.cpu:
        return HOST
    if "device" in kwargs and kwargs["device"] is not None:
        return _as_device(kwargs["device"])
    if func is torch.Tensor.to:
        for value in args[1:]:
            if isinstance(value, torch.Tensor):
                return STANDIN if _on_device(value) else HOST
            device = _as_device(value)
            if device is not None:
                return device
    return None


class DeviceGuard(TorchFunctionMode):
    """``with DeviceGuard() as guard:`` … ``guard.violations`` lists what would fail on a GPU."""

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[str] = []
        self.reads = 0
        """How often the host waited for a device tensor's values (copies, ``item``, ``bool``…)."""

    def _record(self, what: str) -> None:
        ours = [f for f in traceback.extract_stack()[:-2] if "/fpengine/" in f.filename or "/tests/" in f.filename]
        where = f"{Path(ours[-1].filename).relative_to(ROOT)}:{ours[-1].lineno} {ours[-1].line}" if ours else "?"
        self.violations.append(f"{what} at {where}")

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        if func in (torch.Tensor.numpy, torch.Tensor.__array__) and _on_device(args[0]):
            self._record("a device tensor handed to NumPy")
        target = _target(func, args, kwargs)
        if (func in _READS and _on_device(args[0])) or (target == HOST and inputs and _on_device(inputs[0])):
            self.reads += 1
        result = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name == "__set__" and len(args) == 2 and isinstance(args[1], torch.Tensor):  # tensor.data = other (Module.to)
            _tag(args[0], _on_device(args[1]))
            return result
        if inputs and result is inputs[0] and (name.endswith("_") or "out" in kwargs):
            return result  # in place: the tensor stays where it is
        if target == HOST and inputs and result is inputs[0]:
            result = result.clone()  # .cpu() of a CPU tensor is itself; from a real device it is a copy
        on_device = target == STANDIN if target is not None else any(_on_device(t) for t in inputs)
        for tensor in tree_leaves(result):
            if isinstance(tensor, torch.Tensor):
                _tag(tensor, on_device)
                if on_device and tensor.dtype in _WIDE:
                    self._record(f"a {tensor.dtype} tensor on the device")
        return result
