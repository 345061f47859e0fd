"""Fig 1.10: the projection method. A classifier trains on real images; the labels and the softmax
outputs are projected on the first principal direction of the training inputs and transformed with
the NUDFT. ΔF_k = |ĥ_k − ŷ_k| / |ŷ_k| at the picked frequencies over training shows the low
frequencies converging first.

ΔF is recorded at every frequency of the grid, so a page can show any selection of rows live; the
trace ``delta_f`` holds the picked frequencies (the config's, or the first peaks of the label
spectrum) for the summary and the CLI's figures.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import torch

from fpengine import spectral
from fpengine.engine.device import is_host
from fpengine.engine.memory import FLOAT32, FLOAT64, MemoryEstimate
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.highdim import charts, classification, nudft
from fpengine.highdim.classification import (
    Evaluation,
    History,
    classification_experiment,
    epoch_of_step,
    load_split,
    train_classifier,
)
from fpengine.highdim.datasets import IMAGE_SHAPES, DataSplit, load_dataset
from fpengine.highdim.settings import ClassifierConfig, EpochTrainingConfig, ProjectionConfig, ProjectionSpectrumConfig
from fpengine.highdim.views import ProjectionViews
from fpengine.highdim.views import ProjectionViews as V
from fpengine.replay import ThinnedFrames, frame_at
from fpengine.settings.schema import ConfigError


@dataclass(frozen=True)
class LabelSpectrum:
    """What the projection method tracks, computed from the training inputs and labels alone."""

    frequencies: np.ndarray
    """The grid (with any configured frequencies merged in), ascending."""
    coefficients: np.ndarray
    """ŷ_k of the one-hot labels, ``[K, classes]`` complex."""
    magnitude: np.ndarray
    """|ŷ_k| of the configured component (or the vector norm)."""
    peaks: np.ndarray
    """Grid indices of all local peaks of ``magnitude`` (k = 0 included)."""
    selected: np.ndarray
    """Grid indices that are tracked, low → high."""
    unreliable: np.ndarray
    """Grid indices among the peaks and the selected whose |ŷ_k| is within 2× the noise floor."""
    noise_floor: float
    projected: np.ndarray
    """v_i = p1 · x_i of the training inputs."""


def analyse_labels(config: ProjectionConfig, data: DataSplit) -> LabelSpectrum:
    """The label spectrum of ``data`` along its first principal direction and what is tracked;
    ConfigError when these data give nothing to track."""
    spectrum = config.spectrum
    x = data.flat_train()
    projected = nudft.project(x, nudft.first_principal_direction(x))
    grid = nudft.frequency_grid(projected, spectrum.n_frequencies, k_max=spectrum.k_max)
    frequencies = np.union1d(grid, np.asarray(spectrum.frequencies, dtype=float))
    labels = np.eye(data.n_classes)[data.y_train]
    coefficients = nudft.NudftBasis(projected, frequencies).transform(labels)
    magnitude = nudft.component_magnitude(coefficients, spectrum.component)
    peaks = spectral.select_peaks(magnitude, endpoint=True)
    if spectrum.frequencies:
        selected = np.searchsorted(frequencies, sorted(spectrum.frequencies))
    else:
        selected = peaks[: spectrum.max_peaks]
    # a zero or flat |ŷ_k| has no peak (and ΔF = x/0): an empty list must not be tracked as a result
    if spectrum.component is not None and not np.any(labels[:, spectrum.component]):
        raise ConfigError("spectrum.component", "projection.error.absent_class", spectrum.component, n_train=len(data.y_train))
    if len(selected) == 0:
        raise ConfigError("spectrum.k_max", "projection.error.no_peak", spectrum.k_max)
    floor = nudft.noise_floor(labels, spectrum.component)
    candidates = np.union1d(peaks, selected).astype(int)
    unreliable = np.array(nudft.unreliable_peaks(magnitude, candidates, floor), dtype=int)
    return LabelSpectrum(frequencies, coefficients, magnitude, peaks, selected.astype(int), unreliable, floor, projected)


def label_spectrum(config: ProjectionConfig) -> LabelSpectrum:
    """The label spectrum a run of ``config`` will track (loads the data; no training)."""
    return analyse_labels(config, load_dataset(config.dataset).split(config.n_train, config.test_count))


def _labels(frequencies: np.ndarray) -> tuple[str, ...]:
    return tuple(f"{k:.4g}" for k in frequencies)


def train(config: ProjectionConfig, ctx: RunContext) -> None:
    data = load_split(config, ctx)
    spectrum = analyse_labels(config, data)
    component = config.spectrum.component
    basis = nudft.NudftBasis(spectrum.projected, spectrum.frequencies, ctx.device)
    history = History()
    errors: list[np.ndarray] = []
    latest_output = np.zeros_like(spectrum.magnitude)
    frames = ThinnedFrames()  # the replay's: the output's spectrum at (at most 101) evaluations

    def on_evaluation(evaluation: Evaluation) -> None:
        nonlocal latest_output
        history.add(evaluation)
        outputs = basis.transform(evaluation.probabilities)
        errors.append(nudft.relative_error(outputs, spectrum.coefficients, component))
        latest_output = nudft.component_magnitude(outputs, component)
        frames.keep(len(errors) - 1, evaluation.step, latest_output)

    def publish(step: int) -> None:
        metrics = history.metrics()
        grid_errors = np.array(errors).reshape(len(errors), len(spectrum.frequencies))
        picked = spectrum.frequencies[spectrum.selected]
        ctx.publish(
            step=step,
            metrics=metrics,
            traces={"delta_f": ErrorTrace(metrics["step"], grid_errors[:, spectrum.selected], _labels(picked), tuple(picked))},
            views={
                V.frequencies: spectrum.frequencies,
                V.label_spectrum: spectrum.magnitude,
                V.output_spectrum: latest_output,
                V.peaks: spectrum.peaks,
                V.selected: spectrum.selected,
                V.unreliable: spectrum.unreliable,
                V.noise_floor: spectrum.noise_floor,
                V.delta_f_grid: grid_errors,
                V.epoch: metrics["epoch"],
                **frames.views(V.history_spectra),
            },
        )

    train_classifier(config, ctx, data, on_evaluation, publish)


def memory(config: ProjectionConfig, device: torch.device) -> MemoryEstimate:
    """The classification's, the float64 copies of the training inputs the principal direction is
    found from, and the NUDFT basis (on the host, and in float32 on an accelerator)."""
    base = classification.memory(config, device)
    basis = 2 * (config.spectrum.n_frequencies + len(config.spectrum.frequencies)) * config.n_train
    host = FLOAT64 * (2 * config.n_train * math.prod(IMAGE_SHAPES[config.dataset]) + basis)
    on_device = 0 if is_host(device) else FLOAT32 * basis
    return dataclasses.replace(base, device=base.device + on_device, host=base.host + host)


def converged_steps(config: ProjectionConfig, trace: ErrorTrace) -> list[int | None]:
    """The convergence step of each row of ``trace`` (None: never), by the config's ε and rule."""
    return spectral.convergence_steps(trace.errors, trace.steps, config.spectrum.epsilon, config.spectrum.rule)


def grid_trace(snapshot: Snapshot, rows: Sequence[int]) -> ErrorTrace:
    """ΔF over training at the grid indices ``rows`` (any peaks a page picks, not only the tracked ones)."""
    views = snapshot.views
    frequencies = np.asarray(views[V.frequencies])[np.asarray(rows, dtype=int)]
    grid = np.asarray(views[V.delta_f_grid]).reshape(-1, len(views[V.frequencies]))
    return ErrorTrace(np.asarray(snapshot.metrics["step"]), grid[:, rows], _labels(frequencies), tuple(frequencies))


def noisy_frequencies(frequencies: np.ndarray, unreliable: np.ndarray, rows: Sequence[int]) -> list[float]:
    """The frequencies among the grid indices ``rows`` that are ``unreliable`` (|ŷ_k| within the noise floor)."""
    noisy = set(np.asarray(unreliable).tolist())
    return [float(frequencies[k]) for k in rows if int(k) in noisy]


def summarize(config: ProjectionConfig, snapshot: Snapshot) -> dict[str, Any]:
    trace = snapshot.traces["delta_f"]
    converged = converged_steps(config, trace)
    views = snapshot.views
    epsilon = config.spectrum.epsilon
    return {
        "dataset": config.dataset,
        "model": config.network.model,
        "component": "norm" if config.spectrum.component is None else config.spectrum.component,
        "frequencies": [round(v, 6) for v in trace.values],
        "convergence_step": converged,
        "convergence_epoch": [epoch_of_step(snapshot, s) for s in converged],
        # a frequency below ε from step 0 on converges "at 0": the untrained network matched it (k = 0:
        # softmax ≈ 1/classes ≈ the class frequency), which is not learning
        "below_epsilon_at_start": [bool(e < epsilon) for e in trace.errors[0]] if len(trace.errors) else [],
        "unreliable_frequencies": [round(k, 6) for k in noisy_frequencies(views[V.frequencies], views[V.unreliable], views[V.selected])],
        "epsilon": epsilon,
        "rule": config.spectrum.rule,
        "spearman": spectral.spearman(trace.values, converged, never=snapshot.total_steps + 1),
        **classification.final_accuracies(snapshot),
    }


def spectrum_frame(snapshot: Snapshot, step: float) -> tuple[int, Snapshot]:
    """The kept evaluation nearest ``step``: its step, and the snapshot showing the output's spectrum then."""
    return frame_at(snapshot, step, lambda views, i: {V.output_spectrum: views[V.history_spectra][i]})


def heatmap(config: ProjectionConfig, snapshot: Snapshot, rows: Sequence[int], lang: str, **options: Any) -> alt.LayerChart:
    """ΔF at the grid indices ``rows`` over epochs, with their convergence marked."""
    trace = grid_trace(snapshot, rows)
    return charts.delta_f_heatmap(trace, converged_steps(config, trace), config.batches_per_epoch, lang, **options)


def figures(config: ProjectionConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    views = snapshot.views
    return {
        "spectrum": charts.spectrum_chart(
            views[V.frequencies], views[V.label_spectrum], views[V.output_spectrum], views[V.selected], views[V.unreliable], lang
        ),
        "heatmap": heatmap(config, snapshot, views[V.selected], lang),
        **charts.training_figures(snapshot, lang),
    }


PROJECTION = classification_experiment(
    "projection",
    ":material/flashlight_on:",
    ProjectionConfig,
    book=lambda: ProjectionConfig(
        dataset="cifar10",
        n_train=5000,
        n_test=10000,
        network=ClassifierConfig(model="cnn", activation="tanh"),
        training=EpochTrainingConfig(epochs=100, evaluations_per_epoch=1),
        spectrum=ProjectionSpectrumConfig(k_max=0.35, max_peaks=4, component=8),
    ),
    train=train,
    summarize=summarize,
    figures=figures,
    views=ProjectionViews,
    memory=memory,
)
