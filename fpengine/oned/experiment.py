"""The 1-D experiments of the chapter: Fig 1.3 (sine-fit), Figs 1.4–1.5 (staircase), Fig 1.6
(equal-amplitude). One config type, one training loop; the three differ only in their presets.

The loop records the training-grid output *before* each step (as the book's utils.py does) into a
device buffer, without a host copy; every few hundred steps (or when a snapshot is due) the buffer is
projected onto the DFT basis at the selected peaks in one matmul and copied to the host, where it
becomes float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from fpengine import spectral
from fpengine.engine.device import host_array
from fpengine.engine.experiment import Experiment
from fpengine.engine.memory import FLOAT32, FLOAT64, MemoryEstimate, inference_bytes, training_bytes
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.models import chapter_init_std, initialise_, mlp
from fpengine.oned import charts
from fpengine.oned.settings import OneDConfig
from fpengine.optimizers import make_optimizer
from fpengine.readout.analysis import analyse_target, angular_frequencies, spectral_summary
from fpengine.readout.settings import PLOT_POINTS, GridConfig
from fpengine.readout.targets import TargetConfig
from fpengine.readout.theory import RunTheory, theory_summary
from fpengine.replay import HISTORY_FRAMES, history_steps
from fpengine.settings.blocks import NetworkConfig, TrainingConfig

RECORD_BLOCK = 256


def build_model(config: OneDConfig, device: torch.device) -> torch.nn.Module:
    """The seeded network, drawn as the authors' is (seed, build, then init in layer order) (docs/experiments.md#sources) but from
    the run's own generator."""
    network = config.network
    model = mlp(1, network.widths, 1, network.activation)
    initialise_(model, config.seed, chapter_init_std(network.widths, network.init_power) if network.init == "chapter" else None)
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


def train(config: OneDConfig, ctx: RunContext) -> None:
    device = ctx.device
    analysis = analyse_target(config)
    steps = config.training.steps
    model = build_model(config, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)
    # the loss below is mean((f − y)²): c = 1 in the prediction's c·mean(r²)
    theory = RunTheory(model, analysis, config.training, config.spectrum, loss_scale=1.0) if config.theory == "ntk" else None

    x = torch.tensor(analysis.x, dtype=torch.float32, device=device).unsqueeze(1)
    y = torch.tensor(analysis.y, dtype=torch.float32, device=device).unsqueeze(1)
    x_plot_np = config.grid.plot_points()
    x_plot = torch.tensor(x_plot_np, dtype=torch.float32, device=device).unsqueeze(1)
    basis_cos, basis_sin = _dft_basis(len(analysis.x), analysis.selected, device)
    target_at_peaks = analysis.coefficients[analysis.selected]

    loss_history = np.empty(steps)
    error_history = np.empty((steps, len(analysis.selected)))
    output_buffer = torch.empty((RECORD_BLOCK, len(analysis.x)), device=device)
    loss_buffer = torch.empty(RECORD_BLOCK, device=device)
    recorded = 0
    buffered = 0
    panel_steps: list[int] = []
    panel_outputs: list[np.ndarray] = []
    panel_spectra: list[np.ndarray] = []
    wanted_panels = set(config.snapshot_steps)
    # the replay's frames: float32 is plenty for a chart and halves the saved run
    wanted_frames = set(history_steps(steps).tolist())
    frame_steps: list[int] = []
    frame_outputs: list[np.ndarray] = []
    frame_spectra: list[np.ndarray] = []
    frequencies = angular_frequencies(config, analysis.selected)

    def flush() -> None:
        nonlocal recorded, buffered
        if buffered == 0:
            return
        block = output_buffer[:buffered]
        real = host_array(block @ basis_cos)
        imag = host_array(block @ basis_sin)
        error_history[recorded : recorded + buffered] = spectral.relative_spectral_error(
            real + 1j * imag, target_at_peaks, config.spectrum.error_form
        )
        loss_history[recorded : recorded + buffered] = host_array(loss_buffer[:buffered])
        recorded += buffered
        buffered = 0

    def keep_frame(completed: int) -> None:
        """The output on the plot grid and its spectrum after ``completed`` steps, as a panel, a replay frame or both."""
        with torch.inference_mode():
            plot_output = model(x_plot).squeeze(1).cpu().numpy()
            train_output = model(x).squeeze(1).cpu().numpy()
        spectrum = spectral.amplitude_spectrum(train_output, config.spectrum.n_freq)
        if completed in wanted_panels:
            panel_steps.append(completed)
            panel_outputs.append(plot_output)
            panel_spectra.append(spectrum)
        if completed in wanted_frames:
            frame_steps.append(completed)
            frame_outputs.append(plot_output.astype(np.float32))
            frame_spectra.append(spectrum.astype(np.float32))

    def publish(completed: int, final: bool = False) -> None:
        flush()
        with torch.inference_mode():
            plot_output = model(x_plot).squeeze(1).cpu().numpy()
            train_output = model(x).squeeze(1).cpu().numpy()
        record_steps = np.arange(recorded)
        metrics = {"step": record_steps, "loss": loss_history[:recorded]}
        traces = {
            "delta_f": ErrorTrace(record_steps, error_history[:recorded], tuple(str(k) for k in analysis.selected), tuple(frequencies))
        }
        views = {
            "x_plot": x_plot_np,
            "target_plot": config.target.evaluate(x_plot_np, strict=False),  # beyond the domain it may be undefined
            "output_plot": plot_output,
            "target_spectrum": np.abs(analysis.coefficients),
            "output_spectrum": spectral.amplitude_spectrum(train_output, config.spectrum.n_freq),
            "peaks": analysis.peaks,
            "genuine": analysis.genuine,
            "selected": analysis.selected,
            "panel_steps": np.array(panel_steps, dtype=int),
            "panel_outputs": np.array(panel_outputs).reshape(len(panel_steps), PLOT_POINTS),
            "panel_spectra": np.array(panel_spectra).reshape(len(panel_steps), config.spectrum.n_freq),
            "history_steps": np.array(frame_steps, dtype=int),
            "history_outputs": np.array(frame_outputs, dtype=np.float32).reshape(len(frame_steps), PLOT_POINTS),
            "history_spectra": np.array(frame_spectra, dtype=np.float32).reshape(len(frame_steps), config.spectrum.n_freq),
        }
        if theory is not None:
            theory.add_to(metrics, traces, views, model, final)
        ctx.publish(step=completed, metrics=metrics, traces=traces, views=views)

    for step in range(steps):
        ctx.checkpoint()
        if step in wanted_panels or step in wanted_frames:
            keep_frame(step)
        prediction = model(x)
        loss = torch.mean((prediction - y) ** 2)
        output_buffer[buffered].copy_(prediction.detach().squeeze(1))
        loss_buffer[buffered] = loss.detach()
        buffered += 1
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if buffered == RECORD_BLOCK:
            flush()
        if ctx.publish_due():
            publish(step + 1)
    if steps in wanted_panels or steps in wanted_frames:
        keep_frame(steps)
    publish(steps, final=True)


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
        sweepable=True,
        memory=memory,
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
