"""Image fit (Fig 1.7): the engine's loop vs a naive loop, on 64² and 128² grey zone plates."""

from __future__ import annotations

import dataclasses
import time

import torch

from ..bands import RadialBands
from ..experiments.image import IMAGE_FIT, ImageFitConfig, build_network, network_inputs, target_picture
from ..runner import JobManager


def sized(long_side: int, steps: int) -> ImageFitConfig:
    config = IMAGE_FIT.default_config("quick")
    return dataclasses.replace(config, long_side=long_side,
                               training=dataclasses.replace(config.training, steps=steps))


def naive_loop(config: ImageFitConfig, steps: int) -> float:
    """The classroom way: after every step, evaluate the whole picture again, copy it to the host,
    take its 2-D FFT band errors and read the loss. Returns steps/s."""
    target = target_picture(config)
    height, width, channels = target.shape
    bands = RadialBands.of_target(target, config.bands.edges)
    inputs = torch.tensor(network_inputs(config, height, width))
    values = torch.tensor(target.reshape(-1, channels))
    model = build_network(config, inputs.shape[1], channels, torch.device("cpu"))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    errors, losses = [], []
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.mean((model(inputs) - values) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        picture = model(inputs).detach().numpy().reshape(height, width, channels)
        errors.append(bands.errors(picture))
        losses.append(loss.item())
    return steps / (time.perf_counter() - start)


def engine_loop(config: ImageFitConfig) -> float:
    """The app's run engine, publishing snapshots as for a live page. Returns steps/s."""
    manager = JobManager(lease_seconds=None)
    start = time.perf_counter()
    job = manager.submit("bench", config, IMAGE_FIT.train, torch.device("cpu"))
    job.wait()
    return config.training.steps / (time.perf_counter() - start)


def run(quick: bool) -> list[dict]:
    rows = []
    for long_side, steps in ((64, 200), (128, 60)):
        steps = max(steps // 4, 5) if quick else steps
        config = sized(long_side, steps)
        naive_loop(config, 3)  # warm-up: first calls allocate
        naive = naive_loop(config, steps)
        engine = engine_loop(config)
        rows.append({"name": f"image-fit/{long_side}x{long_side} grey", "steps": steps, "engine_steps_per_s": engine,
                     "naive_steps_per_s": naive, "ratio": engine / naive})
    return rows
