"""Fig 1.10: the projection method (spec §6). A classifier trains on real images; the labels and the
softmax outputs are projected on the first principal direction of the training inputs and
transformed with the NUDFT. ΔF_k = |ĥ_k − ŷ_k| / |ŷ_k| at the picked frequencies over training
shows the low frequencies converging first.

ΔF is recorded at every frequency of the grid, so a page can show any selection of rows live; the
trace ``delta_f`` holds the picked frequencies (the config's, or the first peaks of the label
spectrum) for the summary and the CLI's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from fpengine import charts, spectral
from fpengine.engine.runner import ErrorTrace, RunContext, Snapshot
from fpengine.highdim import classification
from fpengine.highdim import nudft as projection
from fpengine.highdim.classification import (
    ClassificationConfig,
    Evaluation,
    History,
    classification_experiment,
    epoch_of_step,
    load_split,
    train_classifier,
)
from fpengine.highdim.datasets import DataSplit
from fpengine.i18n import t
from fpengine.settings.config import check


@dataclass(frozen=True)
class ProjectionConfig(ClassificationConfig):
    component: int | None = 8
    """Which label column (class) to transform; None = the vector norm over all classes."""
    n_frequencies: int = 100
    k_max: float | None = None
    """Top of the frequency grid; None = chosen from the data, 1.25 / std(projection)."""
    max_peaks: int = 4
    frequencies: tuple[float, ...] = ()
    """Frequencies to track; empty = the first ``max_peaks`` peaks of the label spectrum (k = 0 first)."""
    epsilon: float = 0.15
    """ΔF below this counts as converged. At initialisation every softmax output is ≈ 1/classes, so
    ΔF at k = 0 (the class frequency) already sits near 0.05–0.1 and wanders around 0.1 for a while."""
    rule: str = "robust"

    def validate(self) -> None:
        super().validate()
        check(self.component is None or 0 <= self.component < 10, "component", "a class 0–9, or none for the vector norm",
              self.component)
        check(10 <= self.n_frequencies <= 1000, "n_frequencies", "must be between 10 and 1000", self.n_frequencies)
        low, high = projection.K_MAX_RANGE
        check(self.k_max is None or low <= self.k_max <= high, "k_max",
              f"must be between {low:g} and {high:g} (or none: automatic)", self.k_max)
        check(1 <= self.max_peaks <= 12, "max_peaks", "must be between 1 and 12", self.max_peaks)
        check(len(self.frequencies) <= 12, "frequencies", "track at most 12 frequencies", self.frequencies)
        check(all(0 <= k <= 100 for k in self.frequencies), "frequencies", "each frequency must be between 0 and 100",
              self.frequencies)
        check(len(set(self.frequencies)) == len(self.frequencies), "frequencies", "a frequency is listed twice", self.frequencies)
        check(0 < self.epsilon < 10, "epsilon", "must be greater than 0 and less than 10", self.epsilon)
        check(self.rule in ("robust", "consecutive"), "rule", "choose robust or consecutive", self.rule)


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
    x = data.flat_train()
    projected = projection.project(x, projection.first_principal_direction(x))
    grid = projection.frequency_grid(projected, config.n_frequencies, k_max=config.k_max)
    frequencies = np.union1d(grid, np.asarray(config.frequencies, dtype=float))
    labels = np.eye(data.n_classes)[data.y_train]
    coefficients = projection.NudftBasis(projected, frequencies).transform(labels)
    magnitude = projection.component_magnitude(coefficients, config.component)
    peaks = spectral.select_peaks(magnitude, endpoint=True)
    if config.frequencies:
        selected = np.searchsorted(frequencies, sorted(config.frequencies))
    else:
        selected = peaks[: config.max_peaks]
    # a zero or flat |ŷ_k| has no peak (and ΔF = x/0): an empty list must not be tracked as a result
    check(config.component is None or bool(np.any(labels[:, config.component])), "component",
          "this class does not occur in the training set, so its spectrum is zero", config.component)
    check(len(selected) > 0, "k_max", "the label spectrum has no peak up to k_max; raise k_max or leave it automatic",
          config.k_max)
    floor = projection.noise_floor(labels, config.component)
    candidates = np.union1d(peaks, selected).astype(int)
    unreliable = np.array(projection.unreliable_peaks(magnitude, candidates, floor), dtype=int)
    return LabelSpectrum(frequencies, coefficients, magnitude, peaks, selected.astype(int), unreliable, floor, projected)


def label_spectrum(config: ProjectionConfig) -> LabelSpectrum:
    """The label spectrum a run of ``config`` will track (loads the data; no training)."""
    from fpengine.highdim.datasets import load_dataset

    return analyse_labels(config, load_dataset(config.dataset).split(config.n_train, config.test_count))


def _labels(frequencies: np.ndarray) -> tuple[str, ...]:
    return tuple(f"{k:.4g}" for k in frequencies)


def train(config: ProjectionConfig, ctx: RunContext) -> None:
    config.validate()
    data = load_split(config, ctx)
    spectrum = analyse_labels(config, data)
    basis = projection.NudftBasis(spectrum.projected, spectrum.frequencies)
    history = History()
    errors: list[np.ndarray] = []
    latest_output = np.zeros_like(spectrum.magnitude)

    def on_evaluation(evaluation: Evaluation) -> None:
        nonlocal latest_output
        history.add(evaluation)
        outputs = basis.transform(evaluation.probabilities)
        errors.append(projection.relative_error(outputs, spectrum.coefficients, config.component))
        latest_output = projection.component_magnitude(outputs, config.component)

    def publish(step: int) -> None:
        metrics = history.metrics()
        grid_errors = np.array(errors).reshape(len(errors), len(spectrum.frequencies))
        picked = spectrum.frequencies[spectrum.selected]
        ctx.publish(
            step=step,
            metrics=metrics,
            traces={"delta_f": ErrorTrace(metrics["step"], grid_errors[:, spectrum.selected], _labels(picked), tuple(picked))},
            views={
                "frequencies": spectrum.frequencies,
                "label_spectrum": spectrum.magnitude,
                "output_spectrum": latest_output,
                "peaks": spectrum.peaks,
                "selected": spectrum.selected,
                "unreliable": spectrum.unreliable,
                "noise_floor": spectrum.noise_floor,
                "delta_f_grid": grid_errors,
                "epoch": metrics["epoch"],
            },
        )

    train_classifier(config, ctx, data, on_evaluation, publish)


def summarize(config: ProjectionConfig, snapshot: Snapshot) -> dict[str, Any]:
    trace = snapshot.traces["delta_f"]
    converged = spectral.convergence_steps(trace.errors, trace.steps, config.epsilon, config.rule)
    views = snapshot.views
    unreliable = set(np.asarray(views["unreliable"]).tolist())
    return {
        "dataset": config.dataset,
        "model": config.model,
        "component": "norm" if config.component is None else config.component,
        "frequencies": [round(v, 6) for v in trace.values],
        "convergence_step": converged,
        "convergence_epoch": [epoch_of_step(snapshot, s) for s in converged],
        # a frequency below ε from step 0 on converges "at 0": the untrained network matched it (k = 0:
        # softmax ≈ 1/classes ≈ the class frequency), which is not learning
        "below_epsilon_at_start": [bool(e < config.epsilon) for e in trace.errors[0]] if len(trace.errors) else [],
        "unreliable_frequencies": [round(float(views["frequencies"][k]), 6) for k in views["selected"] if int(k) in unreliable],
        "epsilon": config.epsilon,
        "rule": config.rule,
        "spearman": spectral.spearman(trace.values, converged, never=snapshot.total_steps + 1),
        **classification.final_accuracies(snapshot),
    }


def spectrum_chart(frequencies: np.ndarray, label_spectrum: np.ndarray, output_spectrum: np.ndarray | None,
                   marked: np.ndarray, unreliable: np.ndarray, lang: str) -> alt.LayerChart:
    """|ŷ_k| of the labels (and the outputs) on a log axis; tracked frequencies as red rings, ones
    within the noise floor as grey rings."""
    floor = 1e-6
    curves = {t("chart.target", lang): np.asarray(label_spectrum) + floor}
    if output_spectrum is not None:
        curves[t("chart.output", lang)] = np.asarray(output_spectrum) + floor
    lines = charts.curves_chart(frequencies, curves, t("projection.spectrum", lang), t("projection.frequency", lang),
                                "|ŷ_k|", lang, dashed=[t("chart.target", lang)], log_y=True)
    noisy = set(np.asarray(unreliable).tolist())
    marks = pd.DataFrame({
        "x": [float(frequencies[k]) for k in marked],
        "y": [float(label_spectrum[k]) + floor for k in marked],
        "kind": [t("projection.noisy_peak", lang) if int(k) in noisy else t("chart.peak", lang) for k in marked],
    })
    rings = alt.Chart(marks).mark_point(size=160, strokeWidth=2, filled=False).encode(
        x="x:Q", y=alt.Y("y:Q", scale=alt.Scale(type="log")),
        stroke=alt.Stroke("kind:N", title=None, scale=alt.Scale(
            domain=[t("chart.peak", lang), t("projection.noisy_peak", lang)], range=["#d62728", "#9e9e9e"])),
    )
    return alt.layer(lines, rings).resolve_scale(color="independent")


def heatmap(config: ProjectionConfig, snapshot: Snapshot, rows: np.ndarray, lang: str, *, log_epochs: bool = True,
            scheme: str = "redblue", vmin: float = 0.1, vmax: float = 0.5) -> alt.LayerChart:
    """ΔF at the grid indices ``rows`` over epochs (the chapter's colour range 0.1–0.5, log epochs)."""
    views = snapshot.views
    frequencies = np.asarray(views["frequencies"])[rows]
    grid = np.asarray(views["delta_f_grid"]).reshape(-1, len(views["frequencies"]))
    trace = ErrorTrace(np.asarray(snapshot.metrics["step"]), grid[:, rows], _labels(frequencies), tuple(frequencies))
    converged = spectral.convergence_steps(trace.errors, trace.steps, config.epsilon, config.rule)
    return charts.error_heatmap(
        trace, [f"k={label}" for label in trace.keys], lang, log_steps=log_epochs, scheme=scheme, vmin=vmin, vmax=vmax,
        converged=converged, y_title=t("projection.frequency", lang), x_title=t("highdim.epoch", lang),
        steps_per_unit=config.batches_per_epoch,
    )


def figures(config: ProjectionConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    views = snapshot.views
    return {
        "spectrum": spectrum_chart(views["frequencies"], views["label_spectrum"], views["output_spectrum"],
                                   views["selected"], views["unreliable"], lang),
        "heatmap": heatmap(config, snapshot, np.asarray(views["selected"]), lang),
        **classification.training_figures(snapshot, lang),
    }


PROJECTION = classification_experiment(
    "projection", ":material/flashlight_on:", ProjectionConfig,
    book=lambda: ProjectionConfig(dataset="cifar10", n_train=5000, n_test=10000, model="cnn", activation="tanh",
                                  epochs=100, evaluations_per_epoch=1, k_max=0.35, max_peaks=4, component=8),
    train=train, summarize=summarize, figures=figures,
)
