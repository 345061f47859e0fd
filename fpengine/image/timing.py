"""How long one training step of a picture fit takes here, measured before the run (the page's
time estimate)."""

from __future__ import annotations

import time

import torch

from fpengine.engine.device import synchronize
from fpengine.image.settings import ImageFitConfig
from fpengine.image.training import build_network, input_features
from fpengine.models import seeded_generator
from fpengine.optimizers import make_optimizer


def seconds_per_step(config: ImageFitConfig, pixels: int, device: torch.device, probe_pixels: int = 4096) -> float:
    """Measured time of one full-batch training step of ``config``'s network on ``pixels`` pixels.

    On the CPU a few steps on at most ``probe_pixels`` random inputs, scaled linearly (a CPU step's
    cost grows with the pixels), so the estimate itself stays well under a second. On a GPU a small
    step costs its kernel launches rather than its pixels, so a scaled probe would overestimate a
    large picture many times over: the steps are measured at the full size (the config has been
    checked to fit the device).
    """
    channels = 3 if config.colour == "rgb" else 1
    in_features = input_features(config)
    probe = min(pixels, probe_pixels) if device.type == "cpu" else pixels
    model = build_network(config, in_features, channels, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)
    generator = seeded_generator(config.seed)  # never the process-wide one, which runs may be using
    inputs = torch.rand((probe, in_features), generator=generator).to(device)
    values = torch.rand((probe, channels), generator=generator).to(device)

    def step() -> None:
        loss = torch.mean((model(inputs) - values) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()
    synchronize(device)
    start = time.perf_counter()
    repeats = 3
    for _ in range(repeats):
        step()
    synchronize(device)
    return (time.perf_counter() - start) / repeats * pixels / probe
