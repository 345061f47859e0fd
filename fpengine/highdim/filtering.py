"""Fig 1.12: the filtering method (spec §7). A classifier trains on real images; labels and softmax
outputs are split by a Gaussian low-pass over the dataset into a low- and a high-frequency part for
several δ at once, and e_low, e_high are recorded over training. e_low falls first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import altair as alt
import numpy as np

from fpengine import charts
from fpengine.engine.runner import ErrorTrace, RunContext, RunDiverged, Snapshot
from fpengine.highdim import classification
from fpengine.highdim.classification import (
    ClassificationConfig,
    Evaluation,
    History,
    classification_experiment,
    epoch_of_step,
    load_split,
    train_classifier,
)
from fpengine.highdim.gaussian_split import (
    DEFAULT_BLOCK_ROWS,
    DEFAULT_DELTA_MULTIPLES,
    DELTA_RANGE,
    MULTIPLE_RANGE,
    GaussianSmoother,
    LowHighSplit,
    default_deltas,
)
from fpengine.i18n import t
from fpengine.settings.config import check


@dataclass(frozen=True)
class FilteringConfig(ClassificationConfig):
    deltas: tuple[float, ...] = ()
    """Explicit δ (a variance, in squared input units); empty = ``delta_multiples`` × the median
    nearest-neighbour squared distance of the training inputs."""
    delta_multiples: tuple[float, ...] = DEFAULT_DELTA_MULTIPLES
    epsilon: float = 0.1
    """Threshold for "learned": the first epoch at which e_low (e_high) falls below it."""
    block_rows: int = DEFAULT_BLOCK_ROWS

    MAX_TRAIN: ClassVar[int] = 10000

    def validate(self) -> None:
        super().validate()
        check(1 <= len(self.deltas or self.delta_multiples) <= 20, "deltas", "give between 1 and 20 values of δ",
              self.deltas or self.delta_multiples)
        low, high = DELTA_RANGE
        # chained comparisons refuse nan and ±inf too
        check(all(low <= d <= high for d in self.deltas), "deltas", f"each δ must be between {low:g} and {high:g}", self.deltas)
        low, high = MULTIPLE_RANGE
        check(all(low <= m <= high for m in self.delta_multiples), "delta_multiples",
              f"each multiple must be between {low:g} and {high:g}", self.delta_multiples)
        check(len(set(self.deltas)) == len(self.deltas), "deltas", "a δ is listed twice", self.deltas)
        check(0 < self.epsilon < 1, "epsilon", "must be greater than 0 and less than 1", self.epsilon)
        check(1 <= self.block_rows <= 8192, "block_rows", "must be between 1 and 8192", self.block_rows)


def _delta_label(delta: float) -> str:
    return f"{delta:.3g}"


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
    field, given = ("deltas", config.deltas) if config.deltas else ("delta_multiples", config.delta_multiples)
    check(not empty, field, "δ is too small for these inputs: the kernel reaches no neighbour, so the labels have no "
          f"high-frequency part; use δ of at least {scale / 8:.3g} (an eighth of the median nearest-neighbour "
          "squared distance)", tuple(given[i] for i in empty))


def train(config: FilteringConfig, ctx: RunContext) -> None:
    config.validate()
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
    keys = tuple(_delta_label(d) for d in deltas)

    def on_evaluation(evaluation: Evaluation) -> None:
        history.add(evaluation)
        errors = split.errors(evaluation.probabilities)
        if not (np.all(np.isfinite(errors.e_low)) and np.all(np.isfinite(errors.e_high))):
            # the label parts are checked non-zero, so only non-finite outputs get here: never a result
            raise RunDiverged(evaluation.step)
        low.append(errors.e_low)
        high.append(errors.e_high)

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
            views={"deltas": np.array(deltas), "median_nn_distance": scale},
        )

    train_classifier(config, ctx, data, on_evaluation, publish)


def summarize(config: FilteringConfig, snapshot: Snapshot) -> dict[str, Any]:
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    low_steps = first_below(low.errors, low.steps, config.epsilon)
    high_steps = first_below(high.errors, high.steps, config.epsilon)
    per_delta = [
        {
            "delta": float(f"{delta:.6g}"),  # round(δ, 6) would report a small δ as 0
            "low_step": low_step, "high_step": high_step,
            "low_epoch": epoch_of_step(snapshot, low_step), "high_epoch": epoch_of_step(snapshot, high_step),
            "final_e_low": float(low.errors[-1, i]) if len(low.errors) else None,
            "final_e_high": float(high.errors[-1, i]) if len(high.errors) else None,
            "low_first": _low_first(low_step, high_step),
        }
        for i, (delta, low_step, high_step) in enumerate(zip(low.values, low_steps, high_steps, strict=True))
    ]
    return {
        "dataset": config.dataset,
        "model": config.model,
        "median_nn_distance": snapshot.views.get("median_nn_distance"),
        "epsilon": config.epsilon,
        "deltas": per_delta,
        "low_first": all(d["low_first"] for d in per_delta),
        **classification.final_accuracies(snapshot),
    }


def _low_first(low_step: int | None, high_step: int | None) -> bool:
    """e_low fell below ε, strictly before e_high did (or e_high never did). A δ whose low part
    never got below ε is not low-first: a run that learns nothing must not read as the F-Principle."""
    return low_step is not None and (high_step is None or low_step < high_step)


def band_traces(snapshot: Snapshot, index: int) -> ErrorTrace:
    """e_low and e_high of the ``index``-th δ over training, as a two-row trace (low first)."""
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    errors = np.stack([low.errors[:, index], high.errors[:, index]], axis=1)
    return ErrorTrace(low.steps, errors, ("low", "high"), (0.0, 1.0))


def band_heatmap(config: FilteringConfig, snapshot: Snapshot, index: int, lang: str, *, scheme: str = "redblue",
                 log_epochs: bool = False, width: int = charts.WIDTH * 2) -> alt.LayerChart:
    """The chapter's two-row heatmap for one δ: e_low at the bottom, e_high on top, RdBu 0.1–1, over epochs."""
    delta = snapshot.traces["e_low"].values[index]
    return charts.error_heatmap(
        band_traces(snapshot, index), [t("filtering.low", lang), t("filtering.high", lang)], lang,
        log_steps=log_epochs, scheme=scheme, vmin=0.1, vmax=1.0, y_title=" ", x_title=t("highdim.epoch", lang),
        title=t("filtering.heatmap_title", lang, delta=_delta_label(delta)), width=width,
        steps_per_unit=config.batches_per_epoch,
    )


def band_curves(snapshot: Snapshot, lang: str, width: int = charts.WIDTH) -> alt.Chart:
    """e_low (solid) and e_high (dashed) over epochs for every δ."""
    low, high = snapshot.traces["e_low"], snapshot.traces["e_high"]
    curves: dict[str, np.ndarray] = {}
    dashed = []
    for i, key in enumerate(low.keys):
        curves[t("filtering.low_delta", lang, delta=key)] = low.errors[:, i]
        name = t("filtering.high_delta", lang, delta=key)
        curves[name] = high.errors[:, i]
        dashed.append(name)
    return charts.curves_chart(snapshot.metrics["epoch"], curves, t("filtering.curves", lang), t("highdim.epoch", lang),
                               t("chart.error", lang), lang, dashed=dashed, width=width)


def figures(config: FilteringConfig, snapshot: Snapshot, lang: str) -> dict[str, alt.TopLevelMixin]:
    deltas = snapshot.traces["e_low"].values
    return {
        "curves": band_curves(snapshot, lang),
        "heatmaps": alt.vconcat(*[band_heatmap(config, snapshot, i, lang) for i in range(len(deltas))]),
        **classification.training_figures(snapshot, lang),
    }


FILTERING = classification_experiment(
    "filtering", ":material/filter_alt:", FilteringConfig,
    book=lambda: FilteringConfig(dataset="cifar10", n_train=5000, n_test=10000, model="cnn", activation="relu",
                                 optimizer="momentum", lr=1e-3, epochs=100, evaluations_per_epoch=1,
                                 deltas=tuple(float(d) for d in np.linspace(2, 100, 20))),
    train=train, summarize=summarize, figures=figures,
)
