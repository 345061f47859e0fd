"""How long one training step of a picture fit takes here, measured before the run (the page's
time estimate)."""

from __future__ import annotations

import time

import torch

from fpengine.image.settings import ImageFitConfig
from fpengine.image.training import build_network
from fpengine.optimizers import make_optimizer


def seconds_per_step(config: ImageFitConfig, pixels: int, device: torch.device, probe_pixels: int = 4096) -> float:
    """Measured time of one full-batch training step of ``config``'s network on ``pixels`` pixels.

    Times a few steps on at most ``probe_pixels`` random inputs and scales linearly (the step is
    dominated by per-pixel matrix products), so the estimate itself stays well under a second.
    """
    channels = 3 if config.colour == "rgb" else 1
    in_features = 2 * config.encoding.fourier_features if config.encoding.kind == "fourier" else 2
    probe = min(pixels, probe_pixels)
    model = build_network(config, in_features, channels, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)
    inputs = torch.rand((probe, in_features), device=device)
    values = torch.rand((probe, channels), device=device)

    def step() -> None:
        loss = torch.mean((model(inputs) - values) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    repeats = 3
    for _ in range(repeats):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / repeats * pixels / probe
