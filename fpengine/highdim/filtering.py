"""Fig 1.12: the filtering method. A classifier trains on real images; labels and softmax outputs are
split by a Gaussian low-pass over the dataset into a low- and a high-frequency part for several δ at
once, and e_low, e_high are recorded over training. e_low falls first.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import altair as alt
import numpy as np
import torch

from fpengine.engine.memory import MemoryEstimate
from fpengine.engine.runner import ErrorTrace, RunContext, RunDiverged, Snapshot
from fpengine.highdim import charts, classification
from fpengine.highdim.classification import (
    Evaluation,
    History,
    classification_experiment,
    epoch_of_step,
    load_split,
    train_classifier,
)
from fpengine.highdim.datasets import DATASET_CLASSES, IMAGE_SHAPES
from fpengine.highdim.gaussian_split import (
    IDENTITY_BELOW,
    NOTEBOOK_DELTAS,
    GaussianSmoother,
    LowHighSplit,
    default_deltas,
    smoother_bytes,
)
from fpengine.highdim.settings import ClassifierConfig, EpochTrainingConfig, FilteringConfig
from fpengine.highdim.views import FilteringViews
from fpengine.highdim.views import FilteringViews as V
from fpengine.replay import ThinnedFrames
from fpengine.settings.schema import ConfigError


def first_below(errors: np.ndarray, steps: np.ndarray, epsilon: float) -> list[int | None]:
    """Per column, the first recorded step with an error below ``epsilon`` (None if never)."""
    result: list[int | None] = []
    for column in np.asarray(errors).T:
        below = np.flatnonzero(column < epsilon)
        result.append(int(steps[below[0]]) if below.size else None)
    return result


def check_label_parts(config: FilteringConfig, split: LowHighSplit, scale: float) -> None:
    """Refuse the δ for which these inputs have no high-frequency part: the kernel reaches no
    neighbour (every off-diagonal weight underflows), so y^low = y and e_high would be 0/0."""
    empty = [i for i, norm in enumerate(split.high_norm.tolist()) if not norm > 0]
    if not empty:
        return
    setting, given, minimum = (
        ("deltas", config.deltas, IDENTITY_BELOW * scale) if config.deltas else ("delta_multiples", config.delta_multiples, IDENTITY_BELOW)
    )
    raise ConfigError(
        setting, "filtering.error.delta_too_small", tuple(given[i] for i in empty), scale=f"{scale:.3g}", minimum=f"{minimum:.3g}"
    )


def train(config: FilteringConfig, ctx: RunContext) -> None:
    data = load_split(config, ctx)
    ctx.checkpoint()
    smoother = GaussianSmoother(data.flat_train(), config.block_rows, ctx.device)
    scale = smoother.median_nearest_neighbour_distance()
    deltas = tuple(config.deltas) if config.deltas else default_deltas(smoother, config.delta_multiples)
    split = LowHighSplit(smoother, np.eye(data.n_classes)[data.y_train], deltas)
    check_label_parts(config, split, scale)
    history = History()
    low: list[np.ndarray] = []
    high: list[np.ndarray] = []
    keys = tuple(charts.delta_label(d) for d in deltas)
    frames = ThinnedFrames()  # the steps a replay moves the heatmaps' cursor to: at most 101 evaluations

    def on_evaluation(evaluation: Evaluation) -> None:
        history.add(evaluation)
        errors = split.errors(evaluation.probabilities)
        if not (np.all(np.isfinite(errors.e_low)) and np.all(np.isfinite(errors.e_high))):
            # the label parts are checked non-zero, so only non-finite outputs get here: never a result
            raise RunDiverged(evaluation.step)
        low.append(errors.e_low)
        high.append(errors.e_high)
        frames.keep(len(low) - 1, evaluation.step)

    def publish(step: int) -> None:
        metrics = history.metrics()
        steps = metrics["step"]
        ctx.publish(
            step=step,
            metrics=metrics,
            traces={
                "e_low": ErrorTrace(steps, np.array(low).reshape(len(low), len(deltas)), keys, deltas),
                "e_high": ErrorTrace(steps, np.array(high).reshape(len(high), len(deltas)), keys, deltas),
            },
            views={V.deltas: np.array(deltas), V.median_nn_distance: scale, **frames.views()},
        )

    train_classifier(config, ctx, data, on_evaluation, publish)


def memory(config: FilteringConfig, device: torch.device) -> MemoryEstimate:
    """The classification's, and the Gaussian filter's n×n distances and kernel blocks."""
    base = classification.memory(config, device)
    deltas = len(config.deltas) or len(config.delta_multiples)
    classes = len(DATASET_CLASSES[config.dataset])
    features = math.prod(IMAGE_SHAPES[config.dataset])
    on_device, host = smoother_bytes(config.n_train, features, config.block_rows, deltas, classes, device)
    settings = ("n_train", "block_rows", *base.settings[1:])
    return dataclasses.replace(base, device=base.device + on_device, host=base.host + host, settings=settings)


def summarize(config: FilteringConfig, snapshot: Snapshot) -> dict[str, Any]:
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    low_steps = first_below(low.errors, low.steps, config.epsilon)
    high_steps = first_below(high.errors, high.steps, config.epsilon)
    per_delta = [
        {
            "delta": float(f"{delta:.6g}"),  # round(δ, 6) would report a small δ as 0
            "low_step": low_step,
            "high_step": high_step,
            "low_epoch": epoch_of_step(snapshot, low_step),
            "high_epoch": epoch_of_step(snapshot, high_step),
            "final_e_low": float(low.errors[-1, i]) if len(low.errors) else None,
            "final_e_high": float(high.errors[-1, i]) if len(high.errors) else None,
            "low_first": _low_first(low_step, high_step),
        }
        for i, (delta, low_step, high_step) in enumerate(zip(low.values, low_steps, high_steps, strict=True))
    ]
    return {
        "dataset": config.dataset,
        "model": config.network.model,
        "median_nn_distance": snapshot.views.get(V.median_nn_distance),
        "epsilon": config.epsilon,
        "deltas": per_delta,
        "low_first": all(d["low_first"] for d in per_delta),
        **classification.final_accuracies(snapshot),
    }


def _low_first(low_step: int | None, high_step: int | None) -> bool:
    """e_low fell below ε, strictly before e_high did (or e_high never did). A δ whose low part
    never got below ε is not low-first: a run that learns nothing must not read as the F-Principle."""
    return low_step is not None and (high_step is None or low_step < high_step)


def figures(config: FilteringConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    deltas = snapshot.traces["e_low"].values
    return {
        "curves": charts.band_curves(snapshot, lang),
        "heatmaps": alt.vconcat(*[charts.band_heatmap(snapshot, i, config.batches_per_epoch, lang) for i in range(len(deltas))]),
        **charts.training_figures(snapshot, lang),
    }


FILTERING = classification_experiment(
    "filtering",
    ":material/filter_alt:",
    FilteringConfig,
    book=lambda: FilteringConfig(
        dataset="cifar10",
        n_train=5000,
        n_test=10000,
        network=ClassifierConfig(model="cnn", activation="relu"),
        training=EpochTrainingConfig(optimizer="momentum", lr=1e-3, epochs=100, evaluations_per_epoch=1),
        deltas=NOTEBOOK_DELTAS,
    ),
    train=train,
    summarize=summarize,
    figures=figures,
    views=FilteringViews,
    memory=memory,
)
