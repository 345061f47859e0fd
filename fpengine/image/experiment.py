"""Fig 1.7: a fully connected network maps pixel coordinates (x, y) to grey (or RGB) values (spec §5).

The whole picture is one full batch. The output on every pixel is recorded every ``record_every``
steps (before that step's update, as the 1-D loop does) into a device buffer; every block of records
(or when a snapshot is due) the buffer goes to the host once, and the relative error in radial
frequency bands (:mod:`fpengine.image.bands`) and the PSNR are computed there for the whole block.

Uploaded pictures stay in this process's memory (:func:`remember_upload`), named in the config as
``upload:<digest>``; runs on them are not saved to the server's run folder (``Experiment.keeps_run``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import torch

from fpengine import charts, spectral
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.i18n import t
from fpengine.image.bands import DEFAULT_EDGES, MAX_RADIAL_FREQUENCY, RadialBands, log_spectrum
from fpengine.image.encodings import (
    ENCODINGS,
    coordinate_grid,
    coordinate_network,
    fourier_features,
    fourier_frequencies,
    scale_factors,
    training_mask,
)
from fpengine.image.pictures import (
    BUILTIN_IMAGES,
    COLOURS,
    ZONE_PLATE,
    ZONE_PLATE_BAND_EDGES,
    Picture,
    prepare_target,
    read_image_file,
)
from fpengine.models import chapter_init_std, init_normal_
from fpengine.optimizers import make_optimizer
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.config import ConfigError, check

IMAGE_ACTIVATIONS = ("relu", "tanh", "sin")
LONG_SIDES = (32, 48, 64, 96, 128, 192, 256, 384, 512)
SCHEDULES = ("cosine", "constant")
CHAPTER_PANELS = (4000, 8000, 36000)
"""The chapter's snapshot steps; a run of N steps shows them scaled to N."""
MAX_RECORDS = 600
MAX_FRAMES = 24
RECORD_BLOCK = 64
UPLOAD_PREFIX = "upload:"
MAX_UPLOADS = 16

_uploads: OrderedDict[str, Picture] = OrderedDict()


def remember_upload(picture: Picture) -> str:
    """Keep a decoded upload in memory (at most ``MAX_UPLOADS``, oldest dropped); returns the name
    a config uses for it."""
    name = UPLOAD_PREFIX + hashlib.sha256(picture.pixels.tobytes()).hexdigest()[:16]
    _uploads[name] = picture
    _uploads.move_to_end(name)
    while len(_uploads) > MAX_UPLOADS:
        _uploads.popitem(last=False)
    return name


def forget_upload(name: str) -> None:
    _uploads.pop(name, None)


def is_upload(image: str) -> bool:
    return image.startswith(UPLOAD_PREFIX)


def load_source(image: str) -> Picture | str:
    """A built-in name as is; an upload from memory; anything else is a file path, decoded."""
    if image in BUILTIN_IMAGES:
        return image
    if is_upload(image):
        if image not in _uploads:
            raise ConfigError("image: the uploaded picture is no longer in memory; upload it again")
        return _uploads[image]
    path = Path(image)
    if not path.is_file():
        raise ConfigError(f"image: {image!r} is neither a built-in picture ({', '.join(BUILTIN_IMAGES)}) nor a file")
    return read_image_file(path)


@dataclass(frozen=True)
class EncodingConfig:
    kind: str = "none"
    """``none`` (plain coordinates), ``fourier`` (random Fourier features) or ``multiscale``."""
    input_scale: float = 2.0
    """Coordinates span [−s, s]²; tanh with a large s draws the chapter's radial streaks. The CPU
    default 2 (spec §5: 1) moves a ReLU net's first-layer kinks twice as fast under Adam, so the
    zone plate's outer rings arrive within the quick run (at s = 1 its top band stays near 0.18
    after 2000 steps)."""
    fourier_features: int = 128
    fourier_sigma: float = 4.0
    """Standard deviation of the random frequencies, cycles per unit of the (scaled) coordinates."""
    scales: int = 6
    """Multi-scale first layer: neuron groups see the input × 1, 2, 4, … (this many groups)."""

    def validate(self, first_width: int) -> None:
        check(self.kind in ENCODINGS, "encoding.kind", f"choose from {', '.join(ENCODINGS)}", self.kind)
        check(0 < self.input_scale <= 1000, "encoding.input_scale", "must be greater than 0 and at most 1000",
              self.input_scale)
        check(1 <= self.fourier_features <= 4096, "encoding.fourier_features", "must be between 1 and 4096",
              self.fourier_features)
        check(0 < self.fourier_sigma <= 1000, "encoding.fourier_sigma", "must be greater than 0 and at most 1000",
              self.fourier_sigma)
        check(1 <= self.scales <= min(16, first_width), "encoding.scales",
              f"must be between 1 and {min(16, first_width)} (the first layer's width)", self.scales)


@dataclass(frozen=True)
class BandConfig:
    edges: tuple[float, ...] = ()
    """Band edges in cycles per pixel (bands: below the first, between, above the last). Empty =
    scaled to the picture: quarters of the zone plate's maximum frequency (band k = ring k of its
    disc), spec §5's 0.05 / 0.15 / 0.3 for photos."""
    epsilon: float = 0.1
    rule: str = "robust"

    def edges_for(self, image: str) -> tuple[float, ...]:
        if self.edges:
            return self.edges
        return ZONE_PLATE_BAND_EDGES if image == ZONE_PLATE else DEFAULT_EDGES

    def validate(self) -> None:
        check(len(self.edges) <= 11, "bands.edges", "give at most 11 edges (none: scaled to the picture)", self.edges)
        check(all(0 < e < MAX_RADIAL_FREQUENCY for e in self.edges), "bands.edges",
              f"each edge must be greater than 0 and less than {MAX_RADIAL_FREQUENCY:.3f} cycles per pixel", self.edges)
        check(all(b > a for a, b in zip(self.edges, self.edges[1:], strict=False)), "bands.edges", "edges must increase",
              self.edges)
        check(0 < self.epsilon < 10, "bands.epsilon", "must be greater than 0 and less than 10", self.epsilon)
        check(self.rule in ("robust", "consecutive"), "bands.rule", "choose robust or consecutive", self.rule)


@dataclass(frozen=True)
class ImageFitConfig:
    image: str = "zone-plate"
    """A built-in picture (zone-plate, china, flower), a file path, or an in-memory upload."""
    long_side: int = 48
    colour: str = "grey"
    hold_out_columns: bool = False
    """Train on every second column only and judge the rest (generalisation, B A4_4)."""
    network: NetworkConfig = field(default_factory=lambda: NetworkConfig(widths=(128, 128, 128, 128),
                                                                         activation="relu", init="default"))
    training: TrainingConfig = field(default_factory=lambda: TrainingConfig(lr=2e-3, steps=2000))
    """CPU default: Adam 2e-3 (spec §5: 1e-3 at s = 1) for 2000 steps, about 35 s on one idle core at
    48 px. Every band of the zone plate gets below ε, the lowest first and the highest last; the two
    middle ones cross close together, and a loss spike can swap them (seed 2)."""
    lr_schedule: str = "cosine"
    """``cosine`` lowers the rate to 0 by the last step: full-batch Adam at a constant rate keeps the
    picture's brightness flickering from step to step late in training."""
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    bands: BandConfig = field(default_factory=BandConfig)
    seed: int = 0
    snapshot_steps: tuple[int, ...] = ()
    """Completed-step counts shown in the strip; empty = the chapter's 4000/8000/36000 scaled."""
    record_every: int = 0
    """Record the picture every this many steps; 0 = automatic (at most ``MAX_RECORDS`` records)."""

    def validate(self) -> None:
        check(bool(self.image), "image", f"choose a built-in picture ({', '.join(BUILTIN_IMAGES)}) or a file", self.image)
        check(16 <= self.long_side <= 512, "long_side", "must be between 16 and 512 pixels", self.long_side)
        check(self.colour in COLOURS, "colour", f"choose from {', '.join(COLOURS)}", self.colour)
        self.network.validate()
        check(self.network.activation in IMAGE_ACTIVATIONS, "network.activation",
              f"choose from {', '.join(IMAGE_ACTIVATIONS)}", self.network.activation)
        self.training.validate()
        check(self.lr_schedule in SCHEDULES, "lr_schedule", f"choose from {', '.join(SCHEDULES)}", self.lr_schedule)
        self.encoding.validate(self.network.widths[0])
        self.bands.validate()
        check(0 <= self.seed < 2**32, "seed", "must be between 0 and 2³²−1", self.seed)
        check(len(self.snapshot_steps) <= 8, "snapshot_steps", "at most 8 snapshots", self.snapshot_steps)
        check(all(0 <= s <= self.training.steps for s in self.snapshot_steps), "snapshot_steps",
              f"each step must be between 0 and the number of steps ({self.training.steps})", self.snapshot_steps)
        check(0 <= self.record_every <= self.training.steps, "record_every", "must be between 0 (automatic) and the steps",
              self.record_every)
        if not (self.image in BUILTIN_IMAGES or is_upload(self.image) or Path(self.image).is_file()):
            raise ConfigError(f"image: {self.image!r} is neither a built-in picture ({', '.join(BUILTIN_IMAGES)}) nor a file")

    def record_interval(self) -> int:
        return self.record_every or max(1, math.ceil(self.training.steps / MAX_RECORDS))

    def panel_steps(self) -> tuple[int, ...]:
        if self.snapshot_steps:
            return tuple(sorted(set(self.snapshot_steps)))
        scaled = (round(s * self.training.steps / CHAPTER_PANELS[-1]) for s in CHAPTER_PANELS)
        return tuple(sorted(set(scaled)))


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


def build_network(config: ImageFitConfig, in_features: int, out_features: int, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(config.seed)
    scales = scale_factors(config.encoding.scales) if config.encoding.kind == "multiscale" else (1.0,)
    model = coordinate_network(in_features, config.network.widths, out_features, config.network.activation, scales)
    if config.network.init == "chapter":
        init_normal_(model, chapter_init_std(config.network.widths, config.network.init_power))
    return model.to(device)


def _psnr(squared_error: np.ndarray) -> np.ndarray:
    """PSNR in dB of mean squared errors for pictures in [0, 1] (∞ capped at 99 dB for the CSV)."""
    return np.minimum(10 * np.log10(1.0 / np.maximum(squared_error, 1e-300)), 99.0)


def train(config: ImageFitConfig, ctx: RunContext) -> None:
    config.validate()
    device = ctx.device
    target = target_picture(config)
    height, width, channels = target.shape
    bands = RadialBands.of_target(target, config.bands.edges_for(config.image))
    steps = config.training.steps
    ctx.total_steps = steps
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

    records = steps // every + 2
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
    panels = set(config.panel_steps())
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
        block = output_buffer[:count].double().cpu().numpy().reshape(count, height, width, channels)
        rows = slice(recorded, recorded + count)
        record_steps[rows] = buffered_steps
        losses[rows] = loss_buffer[:count].double().cpu().numpy()
        band_errors[rows] = bands.errors(block)
        squared = (block.reshape(count, -1, channels) - flat_target) ** 2
        psnr_all[rows] = _psnr(squared.mean(axis=(1, 2)))
        if held_out.any():
            psnr_held_out[rows] = _psnr(squared[:, held_out].mean(axis=(1, 2)))
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
                "target": target,
                "output": latest,
                "target_spectrum": target_spectrum,
                "output_spectrum": log_spectrum(latest),
                "panel_steps": np.array(panel_steps, dtype=int),
                "panel_outputs": np.array(panel_outputs, dtype=np.float32).reshape(len(panel_steps), height, width, channels),
                "frame_steps": np.array(frame_steps, dtype=int),
                "frames": np.array(frames, dtype=np.uint8).reshape(len(frame_steps), height, width, channels),
                "trained_mask": trained.reshape(height, width),
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


def convergence(config: ImageFitConfig, snapshot: Snapshot) -> list[int | None]:
    trace = snapshot.traces["band_error"]
    return spectral.convergence_steps(trace.errors, trace.steps, config.bands.epsilon, config.bands.rule)


def summarize(config: ImageFitConfig, snapshot: Snapshot) -> dict[str, Any]:
    trace = snapshot.traces["band_error"]
    converged = convergence(config, snapshot)
    target = snapshot.views["target"]
    psnr = snapshot.metrics["psnr"]
    summary: dict[str, Any] = {
        "image": "upload" if is_upload(config.image) else config.image,
        "size": [int(target.shape[0]), int(target.shape[1])],
        "colour": config.colour,
        "encoding": config.encoding.kind,
        "bands": list(trace.keys),
        "band_frequencies": [round(v, 6) for v in trace.values],
        "convergence_step": converged,
        "epsilon": config.bands.epsilon,
        "rule": config.bands.rule,
        "spearman": spectral.spearman(trace.values, converged, never=config.training.steps + 1),
        "final_band_error": [round(float(e), 6) for e in trace.errors[-1]] if len(trace.errors) else [],
        "final_psnr": round(float(psnr[-1]), 3) if len(psnr) else None,
    }
    if "held_out_psnr" in snapshot.metrics and len(snapshot.metrics["held_out_psnr"]):
        summary["final_held_out_psnr"] = round(float(snapshot.metrics["held_out_psnr"][-1]), 3)
    return summary


def picture_chart(pixels: np.ndarray, title: str, size: int = 220) -> alt.Chart:
    """A small picture as an Altair raster (one rect per pixel), for the CLI's PNG figures."""
    height, width, channels = pixels.shape
    rows, cols = np.mgrid[0:height, 0:width]
    rgb = np.round(np.clip(pixels, 0, 1) * 255).astype(int)
    if channels == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    colours = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.reshape(-1, 3)]
    frame = pd.DataFrame({"row": rows.ravel(), "col": cols.ravel(), "colour": colours})
    scale = size / max(height, width)
    return alt.Chart(frame, title=title, width=round(width * scale), height=round(height * scale)).mark_rect().encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None), color=alt.Color("colour:N", scale=None),
    )


def band_curves(trace: ErrorTrace, lang: str, log_steps: bool = False) -> alt.Chart:
    chart = charts.curves_chart(trace.steps + (1 if log_steps else 0),
                                {key: trace.errors[:, i] for i, key in enumerate(trace.keys)},
                                t("image.view.band_curves", lang), t("chart.step", lang) + (" + 1" if log_steps else ""),
                                t("chart.error", lang), lang, log_y=True)
    return chart.encode(x=alt.X("x:Q", title=t("chart.step", lang), scale=alt.Scale(type="log"))) if log_steps else chart


def heatmap(config: ImageFitConfig, snapshot: Snapshot, lang: str, *, log_steps: bool = False,
            scheme: str = "redblue") -> alt.LayerChart:
    trace = snapshot.traces["band_error"]
    return charts.error_heatmap(trace, list(trace.keys), lang, log_steps=log_steps, scheme=scheme,
                                title=t("image.view.heatmap", lang), converged=convergence(config, snapshot),
                                y_title=t("image.chart.band", lang))


def psnr_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    curves = {t("image.chart.psnr_all", lang): snapshot.metrics["psnr"]}
    if "held_out_psnr" in snapshot.metrics:
        curves[t("image.chart.psnr_held_out", lang)] = snapshot.metrics["held_out_psnr"]
    return charts.curves_chart(snapshot.metrics["step"], curves, t("image.view.psnr", lang), t("chart.step", lang),
                               "PSNR (dB)", lang)


def figures(config: ImageFitConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    views = snapshot.views
    panels = [picture_chart(out, t("chart.at_step", lang, step=int(s)), size=160)
              for s, out in zip(views["panel_steps"], views["panel_outputs"], strict=True)]
    return {
        "pictures": alt.hconcat(picture_chart(views["target"], t("image.view.target", lang)),
                                picture_chart(views["output"], t("image.view.output", lang))),
        "snapshots": alt.hconcat(*panels, picture_chart(views["target"], t("image.view.target", lang), size=160),
                                 title=t("view.snapshots", lang)),
        "heatmap": heatmap(config, snapshot, lang),
        "band_curves": band_curves(snapshot.traces["band_error"], lang),
        "loss": charts.loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang),
        "psnr": psnr_chart(snapshot, lang),
    }


def _book() -> ImageFitConfig:
    """The nearest published setup (B A4_4, a cat, interpolation): 75-pixel picture, every second
    column held out, coordinates in a small range, a deep tanh net, Adam 5e-5 at a constant rate,
    the chapter's 36000 steps. Slow: meant for a GPU."""
    return ImageFitConfig(
        long_side=75, hold_out_columns=True,
        network=NetworkConfig(widths=(500, 400, 300, 200, 200, 100), activation="tanh", init="default"),
        training=TrainingConfig(lr=5e-5, steps=36000), lr_schedule="constant",
        encoding=EncodingConfig(input_scale=0.17), snapshot_steps=CHAPTER_PANELS,
    )


def keeps_run(config: ImageFitConfig) -> bool:
    """A run on an uploaded photo is not written to the server's run folder."""
    return not is_upload(config.image)


IMAGE_FIT = Experiment(
    name="image-fit", icon=":material/image:", title_key="image-fit.title", description_key="image-fit.description",
    config_type=ImageFitConfig, presets={"quick": ImageFitConfig, "book": _book},
    train=train, summarize=summarize, figures=figures, keeps_run=keeps_run, check_inputs=target_picture,
)


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
