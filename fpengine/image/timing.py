"""How long one training step of a picture fit takes here, estimated before the run (the page's time
estimate) without training the visitor's network.

A page view must never train: on a shared server a link with a huge network would otherwise make
every visit train it. A step's cost is its work (the network's multiply-adds over the picture's
pixels, counted on the meta device, which allocates nothing) at this device's measured speed. The
speed comes from a small fixed probe, the same whatever the visitor chose, timed once per process
and device: a short step of a tiny network (the fixed cost of a step: kernel launches, Python) and
of a moderate one (the speed of its arithmetic).
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import torch

from fpengine.engine.device import synchronize
from fpengine.image.settings import ImageFitConfig
from fpengine.image.training import _network, input_features

PROBE_LAYERS = ((16, 16, 64), (256, 256, 512))
"""The two fixed probes: (inputs, width, rows) of a two-layer network trained for a few steps."""
PROBE_REPEATS = 3
PROBE_MAX_WEIGHTS = max(inputs * width + width * width for inputs, width, _ in PROBE_LAYERS)
"""The most weights a network built for the estimate has: the largest probe's (tests hold the page to it)."""
_PROBING = threading.Lock()


PROBE_DEPTH = 2
"""Linear layers in each probe."""


@dataclass(frozen=True)
class Speed:
    """This device's cost of a step: ``overhead`` seconds per linear layer (kernel launches, Python;
    what a small step on a GPU costs) plus its work at ``flops`` per second."""

    overhead: float
    flops: float

    def seconds(self, work: float, layers: int = PROBE_DEPTH) -> float:
        return self.overhead * layers + work / self.flops


def step_work(config: ImageFitConfig, pixels: int) -> tuple[float, int]:
    """(floating-point operations, linear layers) of one full-batch training step of ``config``'s
    network on ``pixels`` pixels: a multiply-add per weight and pixel forward, twice that backward."""
    channels = 3 if config.colour == "rgb" else 1
    with torch.device("meta"):
        model = _network(config, input_features(config), channels)
    layers = [module for module in model.modules() if isinstance(module, torch.nn.Linear)]
    return 6.0 * sum(layer.weight.numel() for layer in layers) * pixels, len(layers)


def _probe_seconds(inputs: int, width: int, rows: int, device: torch.device) -> tuple[float, float]:
    """(seconds per step, work per step) of a fixed two-layer network on random data."""
    generator = torch.Generator().manual_seed(0)  # never the process-wide one, which runs may be using
    with torch.device("meta"):  # drawn from the probe's own generator below, not the process-wide one
        model = torch.nn.Sequential(torch.nn.Linear(inputs, width), torch.nn.Tanh(), torch.nn.Linear(width, width))
    model = model.to_empty(device=device)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_((torch.rand(parameter.shape, generator=generator) - 0.5) / width**0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.rand((rows, inputs), generator=generator).to(device)
    target = torch.rand((rows, width), generator=generator).to(device)

    def step() -> None:
        loss = torch.mean((model(data) - target) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(PROBE_REPEATS):
        step()
    synchronize(device)
    return (time.perf_counter() - start) / PROBE_REPEATS, 6.0 * (inputs * width + width * width) * rows


@functools.lru_cache(maxsize=8)
def _speed(device: str) -> Speed:
    (small_s, small_work), (large_s, large_work) = (_probe_seconds(*layers, torch.device(device)) for layers in PROBE_LAYERS)
    flops = (large_work - small_work) / (large_s - small_s) if large_s > small_s else 0.0
    if flops <= 0:  # a noisy timing: the large probe's speed alone
        return Speed(0.0, large_work / max(large_s, 1e-9))
    return Speed(max(small_s - small_work / flops, 0.0) / PROBE_DEPTH, flops)


def device_speed(device: torch.device) -> Speed:
    """This device's measured speed: the fixed probes, timed once per process and device."""
    with _PROBING:  # visitors opening the page together wait for one timing and share it
        return _speed(str(device))


def seconds_per_step(config: ImageFitConfig, pixels: int, device: torch.device) -> float:
    """Estimated time of one full-batch training step of ``config``'s network on ``pixels`` pixels."""
    work, layers = step_work(config, pixels)
    return device_speed(device).seconds(work, layers)
