"""Which device trains, how torch is set up for it, and what a run leaves behind on it.

The host is the plain CPU device, ``torch.device("cpu")``; any other device is treated as an
accelerator: a tensor is copied to the host *before* it is converted to float64 (Apple's MPS has no
float64) and float64 work stays on the host. ``cpu:0`` computes on the CPU but counts as an
accelerator, which lets the tests take every accelerator path on a machine without one.
"""

from __future__ import annotations

import functools
import gc
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from fpengine.settings.environment import MAX_THREADS_PER_CORE, cores, env_flag, env_number

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
HOST = torch.device("cpu")
ACCELERATORS = {"cuda": "CUDA", "mps": "Apple MPS"}


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    reason: str
    """Why: ``found`` a working GPU (automatic), ``none`` on this machine (automatic), the server
    ``forced`` the CPU (FPENGINE_FORCE_CPU), the visitor or command line ``chosen`` it, or a GPU that
    reports itself available ``failed`` the test computation (automatic, so the CPU)."""
    detail: str = ""
    """For ``failed``: which GPU and how it failed."""


def is_host(device: torch.device) -> bool:
    return device == HOST


def host_array(tensor: torch.Tensor, dtype: Any = np.float64) -> np.ndarray:
    """A tensor as a host array of ``dtype``: copied first, converted on the host."""
    return tensor.detach().cpu().numpy().astype(dtype)


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


@functools.cache
def probe(kind: str) -> str | None:
    """None when a tiny matrix product on ``kind`` gives the right answer, else why not. Once per
    process: a GPU can report itself available and still fail its first kernel (driver mismatch,
    a build without kernels for this card)."""
    try:
        ones = torch.ones((8, 8), device=kind)
        value = float((ones @ ones).sum())
    except Exception as error:  # whatever the driver or runtime raises: the GPU is not usable
        first_line = (str(error).strip().splitlines() or [""])[0]
        return f"{type(error).__name__}: {first_line}"
    return None if value == 512.0 else f"a test product gave {value:g} instead of 512"


def choose_device(choice: str = "auto") -> DeviceChoice:
    """``auto`` picks CUDA, then Apple MPS, each only if it passes :func:`probe`, else the CPU;
    ``FPENGINE_FORCE_CPU`` (a switch: 1/0, true/false, …) keeps ``auto`` on the CPU. An explicit
    ``cuda`` or ``mps`` that is missing or fails the probe raises ValueError."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {choice!r} (choose from {', '.join(DEVICE_CHOICES)})")
    if choice == "cpu":
        return DeviceChoice(HOST, "chosen")
    if choice != "auto":
        name = ACCELERATORS[choice]
        if not _available(choice):
            raise ValueError(f"{name} was asked for but it is not available")
        problem = probe(choice)
        if problem is not None:
            raise ValueError(f"{name} was asked for; it reports available but failed a test computation ({problem})")
        return DeviceChoice(torch.device(choice), "chosen")
    if env_flag("FPENGINE_FORCE_CPU", False):
        return DeviceChoice(HOST, "forced")
    failures = []
    for kind, name in ACCELERATORS.items():
        if _available(kind):
            problem = probe(kind)
            if problem is None:
                return DeviceChoice(torch.device(kind), "found")
            failures.append(f"{name}: {problem}")
    return DeviceChoice(HOST, "failed", "; ".join(failures)) if failures else DeviceChoice(HOST, "none")


def resolve_device(choice: str = "auto") -> torch.device:
    return choose_device(choice).device


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"


def configure_threads() -> int:
    """Leave one core for the UI: on a loaded 2-core box two torch threads are many times slower
    than one. ``FPENGINE_THREADS`` overrides."""
    threads = env_number("FPENGINE_THREADS", max(1, (os.cpu_count() or 2) - 1), minimum=1, maximum=MAX_THREADS_PER_CORE * cores())
    torch.set_num_threads(threads)
    return threads


def cpu_runs() -> int:
    """How many runs a server's worker processes train on the CPU at once by default: one per two
    cores beyond the server's own (a 2-core box 1, an 8-core laptop 3), and at most one per GiB of the
    machine's memory."""
    try:
        memory_gib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (ValueError, OSError, AttributeError):
        memory_gib = 1.0
    return max(1, min((cores() - 1) // 2, int(memory_gib)))


def run_slots(automatic: torch.device, workers: bool = False) -> tuple[int, dict[str, int]]:
    """How many runs a server trains at once, and the cap per device type. ``FPENGINE_MAX_RUNNING``
    sets both; by default two with a CUDA GPU (a GPU trains two of these small networks side by
    side), and on the CPU one when runs train in the server's threads, or ``cpu_runs()`` when each
    trains in a worker process of its own (``workers``): a visitor who chose "CPU only" on a GPU
    server must not get more CPU runs than the cores carry."""
    if os.environ.get("FPENGINE_MAX_RUNNING", "").strip():
        limit = int(env_number("FPENGINE_MAX_RUNNING", 1, minimum=1, maximum=MAX_THREADS_PER_CORE * cores()))
        return limit, {}
    on_cpu = cpu_runs() if workers else 1
    return (2 if automatic.type == "cuda" else on_cpu), {"cpu": on_cpu}


def configure_backends() -> None:
    """Set the GPU numerics explicitly, the same for every run of the process: full float32 in
    matrix products and convolutions (TF32 keeps 10 mantissa bits, about 1e-3 relative, which is the
    size of the smallest spectral errors the chapter reads), and cuDNN algorithms chosen
    deterministically, so a seed gives the same run again on the same GPU."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):  # torch ≥ 2.9; its legacy flags must not be mixed with it
        matmul.fp32_precision = "ieee"
        torch.backends.cudnn.fp32_precision = "ieee"
    else:
        matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def backend_settings() -> dict[str, Any]:
    """The settings :func:`configure_backends` made, as summary.json records them."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        tf32_matmul, tf32_cudnn = matmul.fp32_precision == "tf32", torch.backends.cudnn.conv.fp32_precision == "tf32"
    else:
        tf32_matmul, tf32_cudnn = matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    return {
        "torch": torch.__version__,
        "tf32_matmul": bool(tf32_matmul),
        "tf32_cudnn": bool(tf32_cudnn),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
    }


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (for timing)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def release_memory(device: torch.device) -> None:
    """Hand the device memory a finished run cached back to the driver, so a server does not keep
    its largest run's reservation forever. Other runs' live tensors are not touched."""
    if device.type not in ACCELERATORS:
        return
    gc.collect()  # tensors held only by reference cycles (closures, tracebacks) go first
    if device.type == "cuda":
        torch.cuda.empty_cache()
    else:
        torch.mps.empty_cache()
