"""1-D training: the engine's loop vs the classroom loop, on the Fig 1.6 presets."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch

from fpengine.engine.runner import JobManager, Status
from fpengine.oned.analysis import analyse_target
from fpengine.oned.experiment import EQUAL_AMPLITUDE, build_model
from fpengine.oned.settings import OneDConfig


def classroom_loop(config: OneDConfig, steps: int) -> float:
    """The notebooks' loop: after every step, evaluate train and test outputs, copy them to the
    host and take their FFT. Returns steps/s."""
    analysis = analyse_target(config)
    model = build_model(config, torch.device("cpu"))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    x = torch.tensor(analysis.x, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(analysis.y, dtype=torch.float32).unsqueeze(1)
    x_test = torch.tensor(config.grid.plot_points(), dtype=torch.float32).unsqueeze(1)
    outputs, test_outputs, spectra, losses = [], [], [], []
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_output = model(x).detach().numpy().copy()
        test_outputs.append(model(x_test).detach().numpy().copy())
        outputs.append(train_output)
        spectra.append(np.abs(np.fft.fft(np.squeeze(train_output)))[: config.spectrum.n_freq])
        losses.append(loss.item())
    return steps / (time.perf_counter() - start)


def engine_loop(config: OneDConfig, steps: int) -> float:
    """The app's run engine, publishing snapshots as it does for a live page. Returns steps/s."""
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, steps=steps))
    manager = JobManager(lease_seconds=None)
    start = time.perf_counter()
    job = manager.submit("bench", config, EQUAL_AMPLITUDE.run, torch.device("cpu"))
    job.wait()
    # a run that ended early would report the steps it never took as fast ones
    if job.status is not Status.DONE or job.snapshot.step != steps:
        raise RuntimeError(f"the benchmark run ended {job.status.value}: {job.message}")
    return steps / (time.perf_counter() - start)


def run(quick: bool) -> list[dict]:
    rows = []
    for preset, steps in (("book", 400), ("quick", 1500)):
        steps = steps // 4 if quick else steps
        config = EQUAL_AMPLITUDE.default_config(preset)
        classroom_loop(config, 10)  # warm-up: first calls allocate
        naive = classroom_loop(config, steps)
        engine = engine_loop(config, steps)
        rows.append(
            {
                "name": f"equal-amplitude/{preset}",
                "steps": steps,
                "engine_steps_per_s": engine,
                "naive_steps_per_s": naive,
                "ratio": engine / naive,
            }
        )
    return rows
