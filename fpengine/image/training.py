"""The training loop of the picture fit (Fig 1.7).

The whole picture is one full batch. The output on every pixel is recorded every ``record_every``
steps (before that step's update, as the 1-D loop does) into a device buffer; every block of records
(or when a snapshot is due) the buffer goes to the host once, becomes float64 there, and the relative
error in radial frequency bands (:mod:`fpengine.image.bands`) and the PSNR are computed there for the
whole block.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from fpengine.engine.device import host_array
from fpengine.engine.memory import FLOAT32, MemoryEstimate, inference_bytes, training_bytes
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.image.bands import RadialBands, log_spectrum, psnr
from fpengine.image.encodings import (
    coordinate_grid,
    coordinate_network,
    fourier_features,
    fourier_frequencies,
    scale_factors,
    training_mask,
)
from fpengine.image.pictures import prepare_target
from fpengine.image.settings import ImageFitConfig
from fpengine.image.uploads import load_source
from fpengine.image.views import ImageViews as V
from fpengine.models import chapter_init_std, initialise_
from fpengine.optimizers import make_optimizer
from fpengine.replay import frame_at

MAX_FRAMES = 24
RECORD_BLOCK = 64
HOST_BYTES_PER_RECORDED_VALUE = 64
"""Host bytes per recorded pixel value while a block is read out: float64 copy, complex128 spectrum,
difference and squares."""


def target_picture(config: ImageFitConfig) -> np.ndarray:
    """The training target (H, W, C) in [0, 1]; ImageError / ConfigError if the picture is unusable."""
    return prepare_target(load_source(config.image), config.long_side, config.colour)


def network_inputs(config: ImageFitConfig, height: int, width: int) -> np.ndarray:
    """(H·W, F) inputs: scaled coordinates, or their random Fourier features."""
    coordinates = coordinate_grid(height, width, config.encoding.input_scale)
    if config.encoding.kind != "fourier":
        return coordinates
    frequencies = fourier_frequencies(config.encoding.fourier_features, 2, config.encoding.fourier_sigma, config.seed)
    return fourier_features(coordinates, frequencies)


def input_features(config: ImageFitConfig) -> int:
    return 2 * config.encoding.fourier_features if config.encoding.kind == "fourier" else 2


def _network(config: ImageFitConfig, in_features: int, out_features: int) -> torch.nn.Module:
    scales = scale_factors(config.encoding.scales) if config.encoding.kind == "multiscale" else (1.0,)
    return coordinate_network(in_features, config.network.widths, out_features, config.network.activation, scales)


def build_network(config: ImageFitConfig, in_features: int, out_features: int, device: torch.device) -> torch.nn.Module:
    """The seeded network, drawn from the run's own generator."""
    network = config.network
    model = _network(config, in_features, out_features)
    initialise_(model, config.seed, chapter_init_std(network.widths, network.init_power) if network.init == "chapter" else None)
    return model.to(device)


def memory(config: ImageFitConfig, device: torch.device) -> MemoryEstimate:
    return estimate_memory(config, target_picture(config).shape)


def estimate_memory(config: ImageFitConfig, shape: tuple[int, ...]) -> MemoryEstimate:
    """A fit of a picture of ``shape`` (H, W, C): full-batch training on its pixels and the
    recording buffer on the device, the float64 read-out of a block of records on the host."""
    height, width, channels = shape
    pixels, features = height * width, input_features(config)
    trained = int(training_mask(height, width, config.hold_out_columns).sum())
    with torch.device("meta"):
        model = _network(config, features, channels)
    on_device = (
        training_bytes(model, (trained, features), config.training.optimizer)
        + inference_bytes(model, (pixels, features))
        + FLOAT32 * (pixels + trained) * (features + channels)
        + FLOAT32 * RECORD_BLOCK * pixels * channels
    )
    host = HOST_BYTES_PER_RECORDED_VALUE * RECORD_BLOCK * pixels * channels
    return MemoryEstimate(on_device, host, ("long_side", "network.widths"))


def train(config: ImageFitConfig, ctx: RunContext) -> None:
    device = ctx.device
    target = target_picture(config)
    height, width, channels = target.shape
    bands = RadialBands.of_target(target, config.bands.edges_for(config.image))
    steps = config.training.steps
    every = config.record_interval()
    inputs_np = network_inputs(config, height, width)
    inputs = torch.tensor(inputs_np, device=device)
    values = torch.tensor(target.reshape(-1, channels), device=device)
    trained = training_mask(height, width, config.hold_out_columns)
    held_out = ~trained
    train_index = torch.tensor(np.flatnonzero(trained), device=device)
    train_inputs, train_values = inputs[train_index], values[train_index]
    model = build_network(config, inputs_np.shape[1], channels, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if config.lr_schedule == "cosine" else None

    panels = set(config.panel_steps())
    # every record_every-th step, the panels' steps between them, and the end
    records = len(set(range(0, steps, every)) | {p for p in panels if p < steps}) + 1
    record_steps = np.empty(records, dtype=int)
    losses = np.empty(records)
    band_errors = np.empty((records, bands.count))
    psnr_all = np.empty(records)
    psnr_held_out = np.empty(records)
    output_buffer = torch.empty((RECORD_BLOCK, height * width * channels), device=device)
    loss_buffer = torch.empty(RECORD_BLOCK, device=device)
    buffered_steps: list[int] = []
    recorded = 0
    latest = np.zeros_like(target)
    panel_steps: list[int] = []
    panel_outputs: list[np.ndarray] = []
    frame_every = max(1, math.ceil(steps / (MAX_FRAMES - 1)))
    frame_steps: list[int] = []
    frames: list[np.ndarray] = []
    target_spectrum = log_spectrum(target)
    flat_target = target.reshape(1, -1, channels)

    def flush() -> None:
        nonlocal recorded, latest
        count = len(buffered_steps)
        if count == 0:
            return
        block = host_array(output_buffer[:count]).reshape(count, height, width, channels)
        rows = slice(recorded, recorded + count)
        record_steps[rows] = buffered_steps
        losses[rows] = host_array(loss_buffer[:count])
        band_errors[rows] = bands.errors(block)
        squared = (block.reshape(count, -1, channels) - flat_target) ** 2
        psnr_all[rows] = psnr(squared.mean(axis=(1, 2)))
        if held_out.any():
            psnr_held_out[rows] = psnr(squared[:, held_out].mean(axis=(1, 2)))
        latest = block[-1].astype(np.float32)
        recorded += count
        buffered_steps.clear()

    def record(step: int, full_output: torch.Tensor, loss: torch.Tensor) -> None:
        output_buffer[len(buffered_steps)].copy_(full_output.reshape(-1))
        loss_buffer[len(buffered_steps)] = loss
        buffered_steps.append(step)
        if step in panels or step % frame_every == 0 or step == steps:
            flush()
            if step in panels:
                panel_steps.append(step)
                panel_outputs.append(latest)
            if step % frame_every == 0 or step == steps:
                frame_steps.append(step)
                frames.append(np.round(np.clip(latest, 0, 1) * 255).astype(np.uint8))
        elif len(buffered_steps) == RECORD_BLOCK:
            flush()

    def full_output(prediction: torch.Tensor) -> torch.Tensor:
        if not held_out.any():
            return prediction.detach()
        with torch.no_grad():
            return model(inputs)

    def publish(completed: int) -> None:
        flush()
        metrics = {"step": record_steps[:recorded], "loss": losses[:recorded], "psnr": psnr_all[:recorded]}
        if held_out.any():
            metrics["held_out_psnr"] = psnr_held_out[:recorded]
        ctx.publish(
            step=completed,
            metrics=metrics,
            traces={"band_error": ErrorTrace(record_steps[:recorded], band_errors[:recorded], bands.keys, bands.values)},
            views={
                V.target: target,
                V.output: latest,
                V.target_spectrum: target_spectrum,
                V.output_spectrum: log_spectrum(latest),
                V.panel_steps: np.array(panel_steps, dtype=int),
                V.panel_outputs: np.array(panel_outputs, dtype=np.float32).reshape(len(panel_steps), height, width, channels),
                V.history_steps: np.array(frame_steps, dtype=int),
                V.frames: np.array(frames, dtype=np.uint8).reshape(len(frame_steps), height, width, channels),
                V.trained_mask: trained.reshape(height, width),
            },
        )

    for step in range(steps):
        ctx.checkpoint()
        prediction = model(train_inputs)
        loss = torch.nn.functional.mse_loss(prediction, train_values)
        if step % every == 0 or step in panels:
            record(step, full_output(prediction), loss.detach())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        if ctx.publish_due():
            publish(step + 1)
    with torch.no_grad():
        prediction = model(inputs)
        loss = torch.nn.functional.mse_loss(prediction[train_index], train_values)
    record(steps, prediction, loss)
    publish(steps)


def replay_frame(snapshot: Snapshot, step: float) -> tuple[int, Snapshot]:
    """The kept frame nearest ``step``: its step, and the snapshot showing that frame's picture and spectrum."""

    def frame_views(views: Mapping[str, Any], index: int) -> dict[str, Any]:
        picture = views[V.frames][index].astype(np.float32) / 255
        return {V.output: picture, V.output_spectrum: log_spectrum(picture)}

    return frame_at(snapshot, step, frame_views)
