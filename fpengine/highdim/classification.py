"""The classification training loop shared by the projection (Fig 1.10) and filtering (Fig 1.12)
experiments: one config base, data loading with download progress, and one loop that trains a
classifier with cross-entropy and hands the softmax outputs on the training set to the
experiment's analysis a few times per epoch.

The unit of ``step`` is one optimiser step (one mini-batch); ``epoch`` = step / batches per epoch.
As in the sources the batches are taken in order (no shuffle) with the last partial batch dropped,
and the outputs are recorded once before training starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import altair as alt
import numpy as np
import torch
import torch.nn.functional as F

from fpengine import charts
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import RunContext, RunDiverged, Snapshot, Train
from fpengine.highdim.classifiers import CLASSIFIERS, build_classifier
from fpengine.highdim.datasets import DATASET_SIZES, DATASETS, IMAGE_SHAPES, DataSplit, load_dataset
from fpengine.i18n import t
from fpengine.models import ACTIVATIONS
from fpengine.optimizers import GRADIENT_OPTIMIZERS, make_optimizer
from fpengine.settings.config import check

EVAL_BATCH = 1000
"""Rows per forward pass when evaluating (bounds memory for VGG16 on large sets)."""


@dataclass(frozen=True)
class ClassificationConfig:
    """Settings both high-dimensional experiments share (flat, so ``--set dataset=…`` works)."""

    dataset: str = "mnist-5k"
    n_train: int = 2000
    n_test: int = 500
    """Test images for the test accuracy, capped at the dataset's test set."""
    model: str = "dnn"
    activation: str = "tanh"
    widths: tuple[int, ...] = (400, 200)
    """Hidden widths of the DNN (ignored by cnn and vgg16)."""
    optimizer: str = "adam"
    lr: float = 1e-4
    momentum: float = 0.9
    batch_size: int = 50
    shuffle: bool = False
    """False: batches in dataset order every epoch, as in the sources."""
    epochs: int = 30
    evaluations_per_epoch: int = 4
    seed: int = 0

    MAX_TRAIN: ClassVar[int] = 60000
    """The most training samples an experiment can analyse (the filter holds n² distances)."""

    def validate(self) -> None:
        check(self.dataset in DATASETS, "dataset", f"choose from {', '.join(DATASETS)}", self.dataset)
        limit = min(DATASET_SIZES[self.dataset][0], self.MAX_TRAIN)
        check(10 <= self.n_train <= limit, "n_train", f"must be between 10 and {limit:,} for {self.dataset}", self.n_train)
        check(1 <= self.n_test <= 100_000, "n_test", "must be between 1 and 100,000", self.n_test)
        check(self.model in CLASSIFIERS, "model", f"choose from {', '.join(CLASSIFIERS)}", self.model)
        check(self.activation in ACTIVATIONS, "activation", f"choose from {', '.join(ACTIVATIONS)}", self.activation)
        check(1 <= len(self.widths) <= 8, "widths", "give between 1 and 8 hidden layers", self.widths)
        check(all(1 <= w <= 4096 for w in self.widths), "widths", "each width must be between 1 and 4096", self.widths)
        check(self.optimizer in GRADIENT_OPTIMIZERS, "optimizer", f"choose from {', '.join(GRADIENT_OPTIMIZERS)}",
              self.optimizer)
        check(0 < self.lr <= 10, "lr", "must be greater than 0 and at most 10", self.lr)
        check(0 <= self.momentum < 1, "momentum", "must be in [0, 1)", self.momentum)
        check(1 <= self.batch_size <= self.n_train, "batch_size", "must be between 1 and n_train", self.batch_size)
        check(1 <= self.epochs <= 100_000, "epochs", "must be between 1 and 100,000", self.epochs)
        check(1 <= self.evaluations_per_epoch <= 100, "evaluations_per_epoch", "must be between 1 and 100",
              self.evaluations_per_epoch)
        check(0 <= self.seed < 2**32, "seed", "must be between 0 and 2³²−1", self.seed)
        if self.model == "cnn":
            check(min(IMAGE_SHAPES[self.dataset][1:]) >= 6, "model", "the CNN needs images of at least 6×6 pixels",
                  self.dataset)

    @property
    def test_count(self) -> int:
        return min(self.n_test, DATASET_SIZES[self.dataset][1])

    @property
    def batches_per_epoch(self) -> int:
        return self.n_train // self.batch_size

    @property
    def total_steps(self) -> int:
        return self.epochs * self.batches_per_epoch


def load_split(config: ClassificationConfig, ctx: RunContext) -> DataSplit:
    """The config's subset; a download publishes its progress as views ``download_*``."""

    def progress(name: str, done: int, total: int | None) -> None:
        ctx.checkpoint()
        if ctx.publish_due():
            ctx.publish(step=0, metrics={"step": np.zeros(0, dtype=int)},
                        views={"download_file": name, "download_bytes": done, "download_total": total or 0})

    return load_dataset(config.dataset, progress=progress).split(config.n_train, config.test_count)


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    probabilities: np.ndarray
    """Softmax outputs on the training set, ``[n_train, classes]`` float64."""
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float


class History:
    """Accuracy and loss curves over the evaluations, as the run's metrics."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, float, float, float, float, float]] = []

    def add(self, evaluation: Evaluation) -> None:
        e = evaluation
        self.rows.append((e.step, e.epoch, e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy))

    def metrics(self) -> dict[str, np.ndarray]:
        columns = np.array(self.rows, dtype=float).reshape(len(self.rows), 6)
        return {
            "step": columns[:, 0].astype(int), "epoch": columns[:, 1], "loss": columns[:, 2],
            "train_accuracy": columns[:, 3], "test_loss": columns[:, 4], "test_accuracy": columns[:, 5],
        }

    @property
    def epochs(self) -> np.ndarray:
        return np.array([row[1] for row in self.rows], dtype=float)


def _evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """(softmax probabilities, mean cross-entropy, accuracy) in eval mode, in chunks."""
    model.eval()
    with torch.inference_mode():
        logits = torch.cat([model(x[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])
        loss = float(F.cross_entropy(logits, y))
        accuracy = float((logits.argmax(dim=1) == y).float().mean())
        probabilities = torch.softmax(logits, dim=1)
    model.train()
    return probabilities, loss, accuracy


def evaluation_offsets(batches_per_epoch: int, per_epoch: int) -> set[int]:
    """Batch counts within an epoch after which to evaluate: evenly spread, always the last."""
    count = min(per_epoch, batches_per_epoch)
    return {int(round(batches_per_epoch * j / count)) for j in range(1, count + 1)}


def train_classifier(
    config: ClassificationConfig,
    ctx: RunContext,
    data: DataSplit,
    on_evaluation: Callable[[Evaluation], None],
    publish: Callable[[int], None],
) -> torch.nn.Module:
    """Train with cross-entropy; call ``on_evaluation`` before training and a few times per epoch,
    ``publish(step)`` whenever a snapshot is due and once at the end. Returns the trained model."""
    device = ctx.device
    torch.manual_seed(config.seed)
    model = build_classifier(config.model, data.image_shape, data.n_classes, config.activation, config.widths).to(device)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum)
    x_train = torch.as_tensor(data.x_train, device=device)
    y_train = torch.as_tensor(data.y_train, device=device)
    x_test = torch.as_tensor(data.x_test, device=device)
    y_test = torch.as_tensor(data.y_test, device=device)
    batches = config.batches_per_epoch
    offsets = evaluation_offsets(batches, config.evaluations_per_epoch)
    ctx.total_steps = config.total_steps
    order_generator = torch.Generator().manual_seed(config.seed)

    def evaluate(step: int) -> None:
        probabilities, train_loss, train_accuracy = _evaluate(model, x_train, y_train)
        _, test_loss, test_accuracy = _evaluate(model, x_test, y_test)
        on_evaluation(Evaluation(step, step / batches, probabilities.double().cpu().numpy(),
                                 train_loss, train_accuracy, test_loss, test_accuracy))

    evaluate(0)
    publish(0)
    step = 0
    for _ in range(config.epochs):
        order = torch.randperm(len(x_train), generator=order_generator).to(device) if config.shuffle else None
        for batch in range(batches):
            ctx.checkpoint()
            rows = slice(batch * config.batch_size, (batch + 1) * config.batch_size)
            index = order[rows] if order is not None else rows
            loss = F.cross_entropy(model(x_train[index]), y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if not torch.isfinite(loss.detach()):
                raise RunDiverged(step)
            if batch + 1 in offsets:
                evaluate(step)
                if ctx.publish_due():
                    publish(step)
    publish(step)
    return model


def epoch_of_step(snapshot: Snapshot, step: int | None) -> float | None:
    if step is None:
        return None
    index = int(np.searchsorted(snapshot.metrics["step"], step))
    return round(float(snapshot.metrics["epoch"][index]), 4)


def final_accuracies(snapshot: Snapshot) -> dict[str, float | None]:
    metrics = snapshot.metrics
    return {name: float(metrics[name][-1]) if len(metrics.get(name, ())) else None
            for name in ("train_accuracy", "test_accuracy", "test_loss")}


def training_figures(snapshot: Snapshot, lang: str) -> dict[str, alt.Chart]:
    """The accuracy and loss figures every classification experiment writes."""
    return {"accuracy": accuracy_chart(snapshot, lang), "loss": loss_chart(snapshot, lang)}


def accuracy_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    metrics = snapshot.metrics
    return charts.curves_chart(
        metrics["epoch"], {t("highdim.train", lang): metrics["train_accuracy"], t("highdim.test", lang): metrics["test_accuracy"]},
        t("highdim.accuracy", lang), t("highdim.epoch", lang), t("highdim.accuracy", lang), lang,
        dashed=[t("highdim.test", lang)],
    )


def loss_chart(snapshot: Snapshot, lang: str) -> alt.Chart:
    metrics = snapshot.metrics
    return charts.curves_chart(
        metrics["epoch"], {t("highdim.train", lang): metrics["loss"], t("highdim.test", lang): metrics["test_loss"]},
        t("highdim.loss", lang), t("highdim.epoch", lang), t("chart.loss", lang), lang,
        dashed=[t("highdim.test", lang)], log_y=True,
    )


def classification_experiment(name: str, icon: str, config_type: type[ClassificationConfig], book: Callable[[], ClassificationConfig],
                              train: Train, summarize: Callable, figures: Callable) -> Experiment:
    """The registry entry of a classification experiment: presets quick (the config's defaults, CPU)
    and book; ``--steps`` sets the epochs."""
    return Experiment(name=name, icon=icon, title_key=f"{name}.title", description_key=f"{name}.description",
                      config_type=config_type, presets={"quick": config_type, "book": book}, train=train,
                      summarize=summarize, figures=figures, steps_field="epochs")
