"""Image fit (Fig 1.7): the engine's loop vs a naive loop, on 64² and 128² grey zone plates.

Both loops record the band errors of every step (the engine does so for runs of up to
``MAX_RECORDS`` steps), so they deliver the same read-out. The naive loop pays for a second forward
pass and a host copy and FFT every step; the engine reuses the training forward's output, keeps the
records on the device and scores them in blocks. Both are warmed up first (the first fused-Adam
optimizer of a process imports its kernels, seconds), then timed alternately several times and the
best of each is kept. Speeds are steps per second of this process's CPU time (one torch thread:
``FPENGINE_THREADS=1``), which a neighbour's load on a shared box barely changes; the wall-clock
speeds are reported beside them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import torch

from fpengine.engine.runner import JobManager
from fpengine.image.bands import RadialBands
from fpengine.image.experiment import IMAGE_FIT
from fpengine.image.settings import ImageFitConfig
from fpengine.image.training import build_network, network_inputs, target_picture

SIZES = ((64, 400), (128, 80))
"""(long side, steps): enough steps that a job's start-up (picture, network, thread) is negligible."""
REPEATS = 3


def sized(long_side: int, steps: int) -> ImageFitConfig:
    config = IMAGE_FIT.default_config("quick")
    return dataclasses.replace(config, long_side=long_side, training=dataclasses.replace(config.training, steps=steps))


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) that ``run`` takes."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def naive_loop(config: ImageFitConfig, steps: int) -> None:
    """The classroom way: after every step, evaluate the whole picture again, copy it to the host,
    take its 2-D FFT band errors and read the loss."""
    target = target_picture(config)
    height, width, channels = target.shape
    bands = RadialBands.of_target(target, config.bands.edges_for(config.image))
    inputs = torch.tensor(network_inputs(config, height, width))
    values = torch.tensor(target.reshape(-1, channels))
    model = build_network(config, inputs.shape[1], channels, torch.device("cpu"))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    errors, losses = [], []
    for _ in range(steps):
        loss = torch.mean((model(inputs) - values) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        picture = model(inputs).detach().numpy().reshape(height, width, channels)
        errors.append(bands.errors(picture))
        losses.append(loss.item())


def engine_loop(config: ImageFitConfig) -> None:
    """The app's run engine, publishing snapshots as for a live page."""
    job = JobManager(lease_seconds=None).submit("bench", config, IMAGE_FIT.run, torch.device("cpu"))
    job.wait()


def run(quick: bool) -> list[dict]:
    rows = []
    for long_side, steps in SIZES:
        steps = max(steps // 4, 10) if quick else steps
        config = sized(long_side, steps)
        naive_loop(config, 3)
        engine_loop(sized(long_side, 3))
        naive, engine = [], []
        for _ in range(1 if quick else REPEATS):
            naive.append(timed(lambda config=config, steps=steps: naive_loop(config, steps)))
            engine.append(timed(lambda config=config: engine_loop(config)))
        naive_cpu, naive_wall = (min(seconds) for seconds in zip(*naive, strict=True))
        engine_cpu, engine_wall = (min(seconds) for seconds in zip(*engine, strict=True))
        rows.append(
            {
                "name": f"image-fit/{long_side}x{long_side} grey",
                "steps": steps,
                "engine_steps_per_s": steps / engine_cpu,
                "naive_steps_per_s": steps / naive_cpu,
                "ratio": naive_cpu / engine_cpu,
                "engine_wall_steps_per_s": steps / engine_wall,
                "naive_wall_steps_per_s": steps / naive_wall,
            }
        )
    return rows
