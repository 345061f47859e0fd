"""The 1-D experiments of the chapter: Fig 1.3 (sine-fit), Figs 1.4–1.5 (staircase), Fig 1.6
(equal-amplitude). One config type, one training loop; the three differ only in their presets.

The loop records the training-grid output *before* each step (as the book's utils.py does) into a
device buffer, without a host copy; every few hundred steps (or when a snapshot is due) the buffer is
projected onto the DFT basis at the selected peaks in one matmul and copied to the host, where it
becomes float64.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from fpengine import spectral
from fpengine.engine.device import host_array
from fpengine.engine.experiment import Experiment
from fpengine.engine.memory import FLOAT32, FLOAT64, MemoryEstimate, inference_bytes, training_bytes
from fpengine.engine.runner import Batch, ErrorTrace, RunContext, Snapshot
from fpengine.models import StackedMLP, chapter_init_std, initialise_, mlp
from fpengine.oned import charts
from fpengine.oned.settings import OneDConfig
from fpengine.oned.views import OneDViews
from fpengine.oned.views import OneDViews as V
from fpengine.optimizers import make_flat_optimizer, make_optimizer
from fpengine.readout.analysis import analyse_target, angular_frequencies, spectral_summary
from fpengine.readout.settings import PLOT_POINTS, GridConfig, with_prediction
from fpengine.readout.targets import TargetConfig
from fpengine.readout.theory import RunTheory, theory_summary
from fpengine.replay import HISTORY_FRAMES, history_steps
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.config import to_dict

RECORD_BLOCK = 256


def build_model(config: OneDConfig, device: torch.device) -> torch.nn.Module:
    """The seeded network, drawn as the authors' is (seed, build, then init in layer order) (docs/experiments.md#sources) but from
    the run's own generator."""
    network = config.network
    model = mlp(1, network.widths, 1, network.activation)
    std = chapter_init_std(network.widths, network.init_power) if network.init == "chapter" else None
    initialise_(model, config.seed, std, antisymmetric=network.output_init == "antisymmetric")
    return model.to(device)


def memory(config: OneDConfig, device: torch.device) -> MemoryEstimate:
    """Full-batch training on the grid, the recording buffer, and the float64 histories on the host."""
    with torch.device("meta"):
        model = mlp(1, config.network.widths, 1, config.network.activation)
    samples, steps = config.grid.samples, config.training.steps
    tracked = len(config.spectrum.peaks) or config.spectrum.max_peaks
    on_device = (
        training_bytes(model, (samples, 1), config.training.optimizer)
        + inference_bytes(model, (PLOT_POINTS, 1))
        + FLOAT32 * RECORD_BLOCK * (samples + 1)
    )
    # the loss and error histories, and the copies each published snapshot makes of them; with the
    # theory their predicted twins and the kernel's n×n matrices (K₀, V, two layer products)
    on_host = FLOAT64 * steps * (tracked + 1) * 3 + FLOAT32 * HISTORY_FRAMES * (PLOT_POINTS + config.spectrum.n_freq) * 3
    if config.theory == "ntk":
        on_host = 2 * on_host + 4 * FLOAT64 * samples**2
    return MemoryEstimate(on_device, on_host, ("grid.samples", "network.widths", "training.steps"))


def _dft_basis(n: int, indices: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and −sin of 2πkj/n for the tracked indices: output @ basis gives Re and Im of DFT/n."""
    j = np.arange(n)[:, None]
    phase = 2 * np.pi * j * indices[None, :] / n
    cos = torch.tensor(np.cos(phase) / n, dtype=torch.float32, device=device)
    sin = torch.tensor(-np.sin(phase) / n, dtype=torch.float32, device=device)
    return cos, sin


class Record:
    """What one run keeps while it trains: the per-step loss and ΔF at the tracked peaks, the
    panels, the replay's frames and its snapshots. ``train`` keeps one; ``train_together`` one per
    member, each reading its own column of the shared step buffers."""

    def __init__(self, config: OneDConfig, ctx: RunContext, model: torch.nn.Sequential, outputs: torch.Tensor, losses: torch.Tensor):
        device = ctx.device
        self.config, self.ctx = config, ctx
        self.analysis = analysis = analyse_target(config)
        # the loss below is mean((f − y)²): c = 1 in the prediction's c·mean(r²)
        self.theory = RunTheory(model, analysis, config.training, config.spectrum, loss_scale=1.0) if config.theory == "ntk" else None
        self.x = torch.tensor(analysis.x, dtype=torch.float32, device=device).unsqueeze(1)
        self.y = torch.tensor(analysis.y, dtype=torch.float32, device=device).unsqueeze(1)
        self.x_plot_np = config.grid.plot_points()
        self.x_plot = torch.tensor(self.x_plot_np, dtype=torch.float32, device=device).unsqueeze(1)
        self.basis_cos, self.basis_sin = _dft_basis(len(analysis.x), analysis.selected, device)
        self.target_at_peaks = analysis.coefficients[analysis.selected]
        steps = config.training.steps
        self.loss_history = np.empty(steps)
        self.error_history = np.empty((steps, len(analysis.selected)))
        self.outputs, self.losses = outputs, losses
        """[RECORD_BLOCK, n] and [RECORD_BLOCK]: this run's view of the step buffers (the training-grid
        output and loss before each step), filled by the loop."""
        self.recorded = 0
        self.panel_steps: list[int] = []
        self.panel_outputs: list[np.ndarray] = []
        self.panel_spectra: list[np.ndarray] = []
        self.wanted_panels = set(config.snapshot_steps)
        # the replay's frames: float32 is plenty for a chart and halves the saved run
        self.wanted_frames = set(history_steps(steps).tolist())
        self.frame_steps: list[int] = []
        self.frame_outputs: list[np.ndarray] = []
        self.frame_spectra: list[np.ndarray] = []
        self.frequencies = angular_frequencies(config, analysis.selected)

    def wants_frame(self, completed: int) -> bool:
        return completed in self.wanted_panels or completed in self.wanted_frames

    def flush(self, buffered: int) -> None:
        """Move the first ``buffered`` records of the step buffers to the host histories."""
        if buffered == 0:
            return
        block = self.outputs[:buffered]
        real = host_array(block @ self.basis_cos)
        imag = host_array(block @ self.basis_sin)
        recorded = self.recorded
        self.error_history[recorded : recorded + buffered] = spectral.relative_spectral_error(
            real + 1j * imag, self.target_at_peaks, self.config.spectrum.error_form
        )
        self.loss_history[recorded : recorded + buffered] = host_array(self.losses[:buffered])
        self.recorded += buffered

    def keep_frame(self, completed: int, model: torch.nn.Module) -> None:
        """The output on the plot grid and its spectrum after ``completed`` steps, as a panel, a replay frame or both."""
        with torch.inference_mode():
            plot_output = model(self.x_plot).squeeze(1).cpu().numpy()
            train_output = model(self.x).squeeze(1).cpu().numpy()
        self.keep_outputs(completed, plot_output, train_output)

    def keep_outputs(self, completed: int, plot_output: np.ndarray, train_output: np.ndarray) -> None:
        """``keep_frame`` of outputs computed already (a batch computes its members' at once)."""
        spectrum = spectral.amplitude_spectrum(train_output, self.config.spectrum.n_freq)
        if completed in self.wanted_panels:
            self.panel_steps.append(completed)
            self.panel_outputs.append(plot_output)
            self.panel_spectra.append(spectrum)
        if completed in self.wanted_frames:
            self.frame_steps.append(completed)
            self.frame_outputs.append(plot_output.astype(np.float32))
            self.frame_spectra.append(spectrum.astype(np.float32))

    def publish(self, completed: int, buffered: int, model: torch.nn.Module, final: bool = False) -> None:
        """Flush the step buffers and publish a snapshot of the run after ``completed`` steps."""
        config, analysis = self.config, self.analysis
        self.flush(buffered)
        with torch.inference_mode():
            plot_output = model(self.x_plot).squeeze(1).cpu().numpy()
            train_output = model(self.x).squeeze(1).cpu().numpy()
        recorded = self.recorded
        record_steps = np.arange(recorded)
        metrics = {"step": record_steps, "loss": self.loss_history[:recorded]}
        traces = {
            "delta_f": ErrorTrace(
                record_steps, self.error_history[:recorded], tuple(str(k) for k in analysis.selected), tuple(self.frequencies)
            )
        }
        panels, frames = len(self.panel_steps), len(self.frame_steps)
        views = {
            V.x_plot: self.x_plot_np,
            V.target_plot: config.target.evaluate(self.x_plot_np, strict=False),  # beyond the domain it may be undefined
            V.output_plot: plot_output,
            V.target_spectrum: np.abs(analysis.coefficients),
            V.output_spectrum: spectral.amplitude_spectrum(train_output, config.spectrum.n_freq),
            V.peaks: analysis.peaks,
            V.genuine: analysis.genuine,
            V.selected: analysis.selected,
            V.panel_steps: np.array(self.panel_steps, dtype=int),
            V.panel_outputs: np.array(self.panel_outputs).reshape(panels, PLOT_POINTS),
            V.panel_spectra: np.array(self.panel_spectra).reshape(panels, config.spectrum.n_freq),
            V.history_steps: np.array(self.frame_steps, dtype=int),
            V.history_outputs: np.array(self.frame_outputs, dtype=np.float32).reshape(frames, PLOT_POINTS),
            V.history_spectra: np.array(self.frame_spectra, dtype=np.float32).reshape(frames, config.spectrum.n_freq),
        }
        if self.theory is not None:
            self.theory.add_to(metrics, traces, views, model, final)
        self.ctx.publish(step=completed, metrics=metrics, traces=traces, views=views)


def _step_buffers(samples: int, members: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The training-grid outputs [RECORD_BLOCK, members, n] and losses [RECORD_BLOCK, members] of
    the steps not yet flushed to the host."""
    return torch.empty((RECORD_BLOCK, members, samples), device=device), torch.empty((RECORD_BLOCK, members), device=device)


def train(config: OneDConfig, ctx: RunContext) -> None:
    device = ctx.device
    steps = config.training.steps
    model = build_model(config, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)
    output_buffer, loss_buffer = _step_buffers(config.grid.samples, 1, device)
    record = Record(config, ctx, model, output_buffer[:, 0], loss_buffer[:, 0])
    x, y = record.x, record.y
    buffered = 0
    for step in range(steps):
        ctx.checkpoint()
        if record.wants_frame(step):
            record.keep_frame(step, model)
        prediction = model(x)
        loss = torch.mean((prediction - y) ** 2)
        output_buffer[buffered, 0].copy_(prediction.detach().squeeze(1))
        loss_buffer[buffered, 0] = loss.detach()
        buffered += 1
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if buffered == RECORD_BLOCK:
            record.flush(buffered)
            buffered = 0
        if ctx.publish_due():
            record.publish(step + 1, buffered, model)
            buffered = 0
    if record.wants_frame(steps):
        record.keep_frame(steps, model)
    record.publish(steps, buffered, model, final=True)


def batch_key(config: OneDConfig) -> str:
    """Configs that can train as one stacked model: everything but the seed, the target and the
    spectral read-out (each member keeps those for itself) equal."""
    shared = {name: value for name, value in to_dict(config).items() if name not in ("seed", "target", "spectrum")}
    return json.dumps(shared, sort_keys=True)


def train_together(configs: Sequence[OneDConfig], batch: Batch) -> None:
    """``train`` for several configs of one ``batch_key`` as one stacked network: each member drawn
    exactly as its single run draws it (its own seed, then stacked), one batched forward and backward
    pass for all on the sum of the members' own mean losses (so each member's gradient is its own),
    one optimizer over the stacked parameters (elementwise, so each member's update is its own). Each
    member keeps its own record and publishes its own snapshots; a member that diverges leaves the
    batch (its NaNs stay in its own slice) and the others train on."""
    members = batch.live
    configs = [configs[i] for i in members]
    contexts = [batch.contexts[i] for i in members]
    config = configs[0]
    device = contexts[0].device
    steps = config.training.steps
    models = [build_model(member, device) for member in configs]
    stacked = StackedMLP(models)
    (flat,) = stacked.optimizer_parameters()
    optimizer = make_flat_optimizer(config.training.optimizer, flat, config.training.lr, config.training.momentum)
    output_buffer, loss_buffer = _step_buffers(config.grid.samples, len(members), device)
    records = [
        Record(member, ctx, model, output_buffer[:, i], loss_buffer[:, i])
        for i, (member, ctx, model) in enumerate(zip(configs, contexts, models, strict=True))
    ]
    x = records[0].x.expand(len(members), -1, -1)
    y = torch.stack([record.y for record in records])

    x_plot = records[0].x_plot.expand(len(members), -1, -1)

    def keep_frames(completed: int) -> None:
        """Every live member's frame, from one stacked pass (the replay's views: to float rounding
        what its own network gives)."""
        with torch.inference_mode():
            plot_outputs = stacked(x_plot).squeeze(2).cpu().numpy()
            train_outputs = stacked(x).squeeze(2).cpu().numpy()
        each("keep_outputs", completed, per_member=(plot_outputs, train_outputs))

    def each(method: str, *args: Any, model: bool = False, per_member: tuple[np.ndarray, ...] = ()) -> None:
        """``record.method(*args, *its rows of per_member[, its model])`` for every live member, each
        guarded on its own."""
        if model:
            stacked.copy_to(models)
        for i, member in enumerate(members):
            own = [rows[i] for rows in per_member] + ([models[i]] if model else [])
            batch.guard(member, functools.partial(getattr(records[i], method), *args, *own))

    buffered = 0
    for step in range(steps):
        if not batch.checkpoint():
            return
        if records[0].wants_frame(step):
            keep_frames(step)
        prediction = stacked(x)
        losses = torch.mean((prediction - y) ** 2, dim=(1, 2))
        output_buffer[buffered].copy_(prediction.detach().squeeze(2))
        loss_buffer[buffered] = losses.detach()
        buffered += 1
        stacked.zero_grad_()
        losses.sum().backward()
        optimizer.step()
        if buffered == RECORD_BLOCK:
            each("flush", buffered)
            buffered = 0
        if contexts[0].publish_due():
            each("publish", step + 1, buffered, model=True)
            buffered = 0
    if records[0].wants_frame(steps):
        keep_frames(steps)
    stacked.copy_to(models)
    for i, member in enumerate(members):
        batch.guard(member, functools.partial(records[i].publish, steps, buffered, models[i], final=True))


def summarize(config: OneDConfig, snapshot: Snapshot) -> dict[str, Any]:
    never = config.training.steps + 1
    return spectral_summary(config, snapshot.traces["delta_f"], never=never) | theory_summary(config.spectrum, snapshot, never)


def figures(config: OneDConfig, snapshot: Snapshot, lang: str) -> dict[str, Any]:
    return charts.figures_from(snapshot, summarize(config, snapshot)["convergence_step"], config.spectrum, lang)


def _preset(
    steps: int, lr: float, widths: tuple[int, ...], grid: GridConfig, target: TargetConfig, snapshots: tuple[int, ...]
) -> OneDConfig:
    return OneDConfig(
        target=target,
        network=NetworkConfig(widths=widths),
        training=TrainingConfig(lr=lr, steps=steps),
        grid=grid,
        snapshot_steps=snapshots,
    )


TWO_SINES = TargetConfig(frequencies=(1.0, 5.0), amplitudes=(1.0, 1.0))
STAIRCASE = TargetConfig(frequencies=(1.0,), amplitudes=(1.0,), quantize=1.0)
THREE_SINES = TargetConfig(frequencies=(1.0, 3.0, 5.0), amplitudes=(1.0, 1.0, 1.0))
BOOK_WIDTHS = (200, 200, 200, 100)
QUICK_WIDTHS = (100, 100, 100)


def _experiment(name: str, icon: str, presets: dict[str, Any]) -> Experiment:
    return Experiment(
        name=name,
        icon=icon,
        config_type=OneDConfig,
        presets=presets,
        train=train,
        summarize=summarize,
        figures=figures,
        views=OneDViews,
        with_prediction=with_prediction,
        sweepable=True,
        memory=memory,
        train_together=train_together,
        batch_key=batch_key,
    )


SINE_FIT = _experiment(
    "sine-fit",
    ":material/airwave:",
    {
        "quick": lambda: _preset(3000, 3e-4, QUICK_WIDTHS, GridConfig(-2 * math.pi, 2 * math.pi, 300), TWO_SINES, (0, 1000, 3000)),
        "book": lambda: _preset(10000, 3e-5, BOOK_WIDTHS, GridConfig(-6.283, 6.283, 600), TWO_SINES, (0, 2000, 10000)),
    },
)
STAIRCASE_FIT = _experiment(
    "staircase",
    ":material/stairs:",
    {
        "quick": lambda: _preset(5000, 3e-4, QUICK_WIDTHS, GridConfig(-10.0, 10.0, 300), STAIRCASE, (0, 500, 2000, 5000)),
        "book": lambda: _preset(10000, 1e-4, BOOK_WIDTHS, GridConfig(-10.0, 10.0, 600), STAIRCASE, (0, 1000, 3000, 10000)),
    },
)
EQUAL_AMPLITUDE = _experiment(
    "equal-amplitude",
    ":material/equalizer:",
    {
        "quick": lambda: _preset(3000, 3e-4, QUICK_WIDTHS, GridConfig(-math.pi, math.pi, 256), THREE_SINES, (0, 300, 1000, 3000)),
        "book": lambda: _preset(10000, 1e-4, BOOK_WIDTHS, GridConfig(-3.1415, 3.1415, 600), THREE_SINES, (0, 1000, 3000, 10000)),
    },
)
