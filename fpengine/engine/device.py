"""Which device trains, and how many CPU threads torch may use."""

from __future__ import annotations

import os

import torch

from fpengine.settings.environment import env_flag, env_number

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(choice: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then CPU. An unavailable explicit choice raises."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {choice!r} (choose from {', '.join(DEVICE_CHOICES)})")
    if choice == "auto" and env_flag("FPENGINE_FORCE_CPU", False):
        return torch.device("cpu")
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if choice == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if choice == "cuda" and not cuda:
        raise ValueError("CUDA was asked for but no CUDA GPU is available")
    if choice == "mps" and not mps:
        raise ValueError("MPS was asked for but it is not available")
    return torch.device(choice)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"


def configure_threads() -> int:
    """Leave one core for the UI: on a loaded 2-core box two torch threads are many times slower
    than one. ``FPENGINE_THREADS`` overrides."""
    threads = env_number("FPENGINE_THREADS", max(1, (os.cpu_count() or 2) - 1), minimum=1)
    torch.set_num_threads(threads)
    return threads
