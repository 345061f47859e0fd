"""The 1-D experiments of the chapter: Fig 1.3 (sine-fit), Figs 1.4–1.5 (staircase), Fig 1.6
(equal-amplitude). One config type, one training loop; the three differ only in their presets.

The loop records the training-grid output *before* each step (as the book's utils.py does) into a
device buffer, without a host copy; every few hundred steps (or when a snapshot is due) the buffer is
projected onto the DFT basis at the selected peaks in one matmul and copied to the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from fpengine import charts, spectral
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.models import ACTIVATIONS, chapter_init_std, init_normal_, mlp
from fpengine.oned.targets import TargetConfig
from fpengine.optimizers import GRADIENT_OPTIMIZERS, make_optimizer
from fpengine.settings.config import check

PLOT_POINTS = 1000
ROUND_OFF = 1e-9
"""|DFT| below this fraction of the largest is floating-point noise, never a peak."""
RECORD_BLOCK = 256
MAX_BOUND = 10_000
"""|grid.lo|, |grid.hi| at most this: the network sees x in float32, whose spacing at 10⁴ (0.001)
is still far below the finest grid step (1000 wide / 20,000 samples = 0.05)."""
MAX_WIDTH = 1000


@dataclass(frozen=True)
class NetworkConfig:
    widths: tuple[int, ...] = (100, 100, 100)
    activation: str = "tanh"
    init: str = "chapter"
    """``chapter``: every weight and bias ~ N(0, std²), std = 1/w1**init_power; ``default``: PyTorch's."""
    init_power: float = 0.5

    def validate(self) -> None:
        check(1 <= len(self.widths) <= 8, "network.widths", "give between 1 and 8 hidden layers", self.widths)
        check(all(1 <= w <= 2048 for w in self.widths), "network.widths", "each width must be between 1 and 2048", self.widths)
        check(self.activation in ACTIVATIONS, "network.activation", f"choose from {', '.join(ACTIVATIONS)}", self.activation)
        check(self.init in ("chapter", "default"), "network.init", "choose chapter or default", self.init)
        check(0 <= self.init_power <= 3, "network.init_power", "must be between 0 and 3", self.init_power)


@dataclass(frozen=True)
class TrainingConfig:
    optimizer: str = "adam"
    lr: float = 3e-4
    momentum: float = 0.9
    steps: int = 3000

    def validate(self) -> None:
        check(self.optimizer in GRADIENT_OPTIMIZERS, "training.optimizer", f"choose from {', '.join(GRADIENT_OPTIMIZERS)}",
              self.optimizer)
        check(0 < self.lr <= 10, "training.lr", "must be greater than 0 and at most 10", self.lr)
        check(0 <= self.momentum < 1, "training.momentum", "must be in [0, 1)", self.momentum)
        check(1 <= self.steps <= 1_000_000, "training.steps", "must be between 1 and 1,000,000", self.steps)


@dataclass(frozen=True)
class GridConfig:
    lo: float = -math.pi
    hi: float = math.pi
    samples: int = 256
    periodic: bool = False
    """False: ``linspace(lo, hi, samples)`` with both ends, as the authors do; True: no endpoint."""
    margin: float = 0.5
    """The plot (test) grid extends this far beyond the training domain on each side."""

    def validate(self) -> None:
        # each bound first: with ±1e308, hi − lo overflows and the width rule would blame the wrong setting
        check(abs(self.lo) <= MAX_BOUND, "grid.lo", f"must be between -{MAX_BOUND:,} and {MAX_BOUND:,}", self.lo)
        check(abs(self.hi) <= MAX_BOUND, "grid.hi", f"must be between -{MAX_BOUND:,} and {MAX_BOUND:,}", self.hi)
        check(self.hi > self.lo, "grid.hi", "must be greater than grid.lo", self.hi)
        check(self.hi - self.lo <= MAX_WIDTH, "grid.hi", f"grid.hi − grid.lo (the domain's width) must be at most {MAX_WIDTH:,}",
              self.hi - self.lo)
        check(8 <= self.samples <= 20000, "grid.samples", "must be between 8 and 20,000", self.samples)
        check(0 <= self.margin <= 100, "grid.margin", "must be between 0 and 100", self.margin)

    def training_points(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, self.samples, endpoint=not self.periodic)

    def plot_points(self) -> np.ndarray:
        return np.linspace(self.lo - self.margin, self.hi + self.margin, PLOT_POINTS)


@dataclass(frozen=True)
class SpectrumConfig:
    n_freq: int = 40
    max_peaks: int = 3
    peaks: tuple[int, ...] = ()
    """DFT indices to track; empty = the first ``max_peaks`` genuine peaks of the target's spectrum
    (or one per component of a sine-sum target, if it has more)."""
    error_form: str = "complex"
    epsilon: float = 0.1
    rule: str = "robust"

    def validate(self, samples: int) -> None:
        check(4 <= self.n_freq <= samples // 2, "spectrum.n_freq", f"must be between 4 and samples/2 ({samples // 2})",
              self.n_freq)
        check(1 <= self.max_peaks <= 12, "spectrum.max_peaks", "must be between 1 and 12", self.max_peaks)
        check(all(0 <= p < self.n_freq for p in self.peaks), "spectrum.peaks", f"each index must be in [0, {self.n_freq})",
              self.peaks)
        check(len(set(self.peaks)) == len(self.peaks), "spectrum.peaks", "an index is listed twice", self.peaks)
        check(self.error_form in ("complex", "magnitude"), "spectrum.error_form", "choose complex or magnitude",
              self.error_form)
        check(0 < self.epsilon < 10, "spectrum.epsilon", "must be greater than 0 and less than 10", self.epsilon)
        check(self.rule in ("robust", "consecutive"), "spectrum.rule", "choose robust or consecutive", self.rule)


@dataclass(frozen=True)
class OneDConfig:
    target: TargetConfig = field(default_factory=TargetConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    spectrum: SpectrumConfig = field(default_factory=SpectrumConfig)
    seed: int = 0
    snapshot_steps: tuple[int, ...] = ()
    """Completed-step counts at which the output is kept for the figure's panels."""

    def validate(self) -> None:
        self.target.validate()
        self.network.validate()
        self.training.validate()
        self.grid.validate()
        self.spectrum.validate(self.grid.samples)
        check(0 <= self.seed < 2**32, "seed", "must be between 0 and 2³²−1", self.seed)
        check(len(self.snapshot_steps) <= 8, "snapshot_steps", "at most 8 snapshots", self.snapshot_steps)
        check(all(s >= 0 for s in self.snapshot_steps), "snapshot_steps",
              "steps must not be negative (steps after the end of training are never reached)", self.snapshot_steps)
        check_trackable_peaks(self)


@dataclass(frozen=True)
class TargetAnalysis:
    """The target on the training grid and what the spectral read-out tracks."""

    x: np.ndarray
    y: np.ndarray
    coefficients: np.ndarray
    """Complex DFT/N of the target, first ``n_freq`` indices."""
    peaks: np.ndarray
    """All strict local maxima of |DFT| (spec §1.5, endpoint=False)."""
    genuine: np.ndarray
    """Per peak: True for a real component, False for a leakage side-lobe."""
    selected: np.ndarray
    """The DFT indices tracked by ΔF, low to high."""


def check_trackable_peaks(config: OneDConfig) -> None:
    """The target must have peaks to track, each with a non-zero amplitude. Works on any config with
    ``target``, ``grid`` and ``spectrum`` fields (the Sec 1.6 experiment shares them)."""
    analysis = analyse_target(config)
    check(len(analysis.selected) > 0, "spectrum.peaks",
          "the target has no spectral peak in the shown range; raise spectrum.n_freq or change the target")
    silent = analysis.selected[~(np.abs(analysis.coefficients[analysis.selected]) > 1e-8)]  # nan counts as silent
    check(len(silent) == 0, "spectrum.peaks",
          "a tracked index has (almost) zero target amplitude, so its relative error is undefined", tuple(silent.tolist()))


def analyse_target(config: OneDConfig) -> TargetAnalysis:
    x = config.grid.training_points()
    y = config.target.evaluate(x)
    n_freq = config.spectrum.n_freq
    coefficients = spectral.dft(y, n_freq)
    magnitudes = np.abs(coefficients)
    peaks = spectral.select_peaks(magnitudes)
    # on an exactly periodic grid the spectrum between the components is round-off, not leakage
    peaks = peaks[magnitudes[peaks] > ROUND_OFF * magnitudes.max()] if len(peaks) else peaks
    genuine = spectral.genuine_peaks(y, peaks) if len(peaks) else np.zeros(0, dtype=bool)
    if config.spectrum.peaks:
        selected = np.array(sorted(config.spectrum.peaks), dtype=int)
    else:
        # every designed sine component gets a row, even beyond max_peaks
        designed = 0 if (config.target.formula or config.target.quantize) else len(config.target.frequencies)
        selected = peaks[genuine][: max(config.spectrum.max_peaks, designed)]
    return TargetAnalysis(x, y, coefficients, peaks, genuine, selected)


def angular_frequencies(config: OneDConfig, indices: np.ndarray) -> np.ndarray:
    """DFT index → ω of sin(ωx), exact for the grid's period (hi−lo, or N/(N−1) of it with an endpoint)."""
    return spectral.index_to_angular_frequency(indices, config.grid.lo, config.grid.hi)


def build_model(config: OneDConfig, device: torch.device) -> torch.nn.Module:
    """The seeded network, built exactly as the authors do (seed, build, then init in layer order)."""
    torch.manual_seed(config.seed)
    model = mlp(1, config.network.widths, 1, config.network.activation)
    if config.network.init == "chapter":
        init_normal_(model, chapter_init_std(config.network.widths, config.network.init_power))
    return model.to(device)


def _dft_basis(n: int, indices: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and −sin of 2πkj/n for the tracked indices: output @ basis gives Re and Im of DFT/n."""
    j = np.arange(n)[:, None]
    phase = 2 * np.pi * j * indices[None, :] / n
    cos = torch.tensor(np.cos(phase) / n, dtype=torch.float32, device=device)
    sin = torch.tensor(-np.sin(phase) / n, dtype=torch.float32, device=device)
    return cos, sin


def train(config: OneDConfig, ctx: RunContext) -> None:
    config.validate()
    device = ctx.device
    analysis = analyse_target(config)
    steps = config.training.steps
    ctx.total_steps = steps
    model = build_model(config, device)
    optimizer = make_optimizer(config.training.optimizer, model.parameters(), config.training.lr, config.training.momentum)

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
    frequencies = angular_frequencies(config, analysis.selected)

    def flush() -> None:
        nonlocal recorded, buffered
        if buffered == 0:
            return
        block = output_buffer[:buffered]
        real = (block @ basis_cos).double().cpu().numpy()
        imag = (block @ basis_sin).double().cpu().numpy()
        error_history[recorded:recorded + buffered] = spectral.relative_spectral_error(
            real + 1j * imag, target_at_peaks, config.spectrum.error_form)
        loss_history[recorded:recorded + buffered] = loss_buffer[:buffered].double().cpu().numpy()
        recorded += buffered
        buffered = 0

    def keep_panel(completed: int) -> None:
        with torch.inference_mode():
            plot_output = model(x_plot).squeeze(1).cpu().numpy()
            train_output = model(x).squeeze(1).cpu().numpy()
        panel_steps.append(completed)
        panel_outputs.append(plot_output)
        panel_spectra.append(spectral.amplitude_spectrum(train_output, config.spectrum.n_freq))

    def publish(completed: int) -> None:
        flush()
        with torch.inference_mode():
            plot_output = model(x_plot).squeeze(1).cpu().numpy()
            train_output = model(x).squeeze(1).cpu().numpy()
        record_steps = np.arange(recorded)
        ctx.publish(
            step=completed,
            metrics={"step": record_steps, "loss": loss_history[:recorded]},
            traces={"delta_f": ErrorTrace(record_steps, error_history[:recorded],
                                          tuple(str(k) for k in analysis.selected), tuple(frequencies))},
            views={
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
            },
        )

    for step in range(steps):
        ctx.checkpoint()
        if step in wanted_panels:
            keep_panel(step)
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
    if steps in wanted_panels:
        keep_panel(steps)
    publish(steps)


def spectral_summary(config: OneDConfig, trace: ErrorTrace, never: int) -> dict[str, Any]:
    """The summary.json fields of the ΔF read-out, for any config with ``target`` and ``spectrum``;
    a component that never converged ranks as converging at ``never``."""
    converged = spectral.convergence_steps(trace.errors, trace.steps, config.spectrum.epsilon, config.spectrum.rule)
    return {
        "target": config.target.describe(),
        "frequencies": [round(v, 6) for v in trace.values],
        "frequency_indices": [int(k) for k in trace.keys],
        "convergence_step": converged,
        "epsilon": config.spectrum.epsilon,
        "rule": config.spectrum.rule,
        "error_form": config.spectrum.error_form,
        "spearman": spectral.spearman(trace.values, converged, never=never),
    }


def summarize(config: OneDConfig, snapshot: Snapshot) -> dict[str, Any]:
    return spectral_summary(config, snapshot.traces["delta_f"], never=config.training.steps + 1)


def figures(config: OneDConfig, snapshot: Snapshot, lang: str) -> dict[str, Any]:
    return charts.oned_figures(snapshot, config.spectrum.epsilon, config.spectrum.rule, lang)


def _preset(steps: int, lr: float, widths: tuple[int, ...], grid: GridConfig, target: TargetConfig,
            snapshots: tuple[int, ...]) -> OneDConfig:
    return OneDConfig(target=target, network=NetworkConfig(widths=widths),
                      training=TrainingConfig(lr=lr, steps=steps), grid=grid, snapshot_steps=snapshots)


TWO_SINES = TargetConfig(frequencies=(1.0, 5.0), amplitudes=(1.0, 1.0))
STAIRCASE = TargetConfig(frequencies=(1.0,), amplitudes=(1.0,), quantize=1.0)
THREE_SINES = TargetConfig(frequencies=(1.0, 3.0, 5.0), amplitudes=(1.0, 1.0, 1.0))
BOOK_WIDTHS = (200, 200, 200, 100)
QUICK_WIDTHS = (100, 100, 100)


def _experiment(name: str, icon: str, presets: dict[str, Any]) -> Experiment:
    return Experiment(
        name=name, icon=icon, title_key=f"{name}.title", description_key=f"{name}.description",
        config_type=OneDConfig, presets=presets, train=train, summarize=summarize, figures=figures, sweepable=True,
    )


SINE_FIT = _experiment("sine-fit", ":material/airwave:", {
    "quick": lambda: _preset(3000, 3e-4, QUICK_WIDTHS, GridConfig(-2 * math.pi, 2 * math.pi, 300), TWO_SINES, (0, 1000, 3000)),
    "book": lambda: _preset(10000, 3e-5, BOOK_WIDTHS, GridConfig(-6.283, 6.283, 600), TWO_SINES, (0, 2000, 10000)),
})
STAIRCASE_FIT = _experiment("staircase", ":material/stairs:", {
    "quick": lambda: _preset(5000, 3e-4, QUICK_WIDTHS, GridConfig(-10.0, 10.0, 300), STAIRCASE, (0, 500, 2000, 5000)),
    "book": lambda: _preset(10000, 1e-4, BOOK_WIDTHS, GridConfig(-10.0, 10.0, 600), STAIRCASE, (0, 1000, 3000, 10000)),
})
EQUAL_AMPLITUDE = _experiment("equal-amplitude", ":material/equalizer:", {
    "quick": lambda: _preset(3000, 3e-4, QUICK_WIDTHS, GridConfig(-math.pi, math.pi, 256), THREE_SINES, (0, 300, 1000, 3000)),
    "book": lambda: _preset(10000, 1e-4, BOOK_WIDTHS, GridConfig(-3.1415, 3.1415, 600), THREE_SINES, (0, 1000, 3000, 10000)),
})
