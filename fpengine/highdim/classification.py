"""The classification training loop shared by the projection (Fig 1.10) and filtering (Fig 1.12)
experiments: data loading with download progress, and one loop that trains a classifier with
cross-entropy and hands the softmax outputs on the training set to the experiment's analysis a few
times per epoch.

The unit of ``step`` is one optimiser step (one mini-batch); ``epoch`` = step / batches per epoch.
As in the authors' code (docs/experiments.md#sources) the batches are taken in order (no shuffle) with the last partial batch
dropped, and the outputs are recorded once before training starts.

The loop never waits for the device between evaluations: each batch's loss goes into a device
buffer, checked for NaN/inf at the next evaluation (which reads the device anyway), so a diverged
run still reports its first bad step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fpengine.engine.device import host_array
from fpengine.engine.experiment import Experiment
from fpengine.engine.memory import FLOAT32, FLOAT64, MemoryEstimate, inference_bytes, training_bytes
from fpengine.engine.runner import RunContext, RunDiverged, Snapshot, Train
from fpengine.highdim.classifiers import build_classifier
from fpengine.highdim.datasets import DATASET_CLASSES, IMAGE_SHAPES, DataSplit, load_dataset
from fpengine.highdim.settings import ClassificationConfig
from fpengine.models import seeded_generator
from fpengine.optimizers import make_optimizer

EVAL_BATCH = 1000
"""Rows per forward pass when evaluating (bounds memory for VGG16 on large sets)."""


def load_split(config: ClassificationConfig, ctx: RunContext) -> DataSplit:
    """The config's subset; a download publishes its progress as views ``download_*``."""

    def progress(name: str, done: int, total: int | None) -> None:
        ctx.checkpoint()
        if ctx.publish_due():
            ctx.publish(
                step=0,
                metrics={"step": np.zeros(0, dtype=int)},
                views={"download_file": name, "download_bytes": done, "download_total": total or 0},
            )

    return load_dataset(config.dataset, progress=progress).split(config.n_train, config.test_count)


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    probabilities: torch.Tensor
    """Softmax outputs on the training set, ``[n_train, classes]`` float32, on the run's device."""
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
            "step": columns[:, 0].astype(int),
            "epoch": columns[:, 1],
            "loss": columns[:, 2],
            "train_accuracy": columns[:, 3],
            "test_loss": columns[:, 4],
            "test_accuracy": columns[:, 5],
        }


def _evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """(softmax probabilities, mean cross-entropy, accuracy) in eval mode, in chunks."""
    model.eval()
    with torch.inference_mode():
        logits = torch.cat([model(x[i : i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])
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
    network, training = config.network, config.training
    generator = seeded_generator(config.seed)
    model = build_classifier(network.model, data.image_shape, data.n_classes, network.activation, network.widths, generator).to(device)
    optimizer = make_optimizer(training.optimizer, model.parameters(), training.lr, training.momentum)
    x_train = torch.as_tensor(data.x_train, device=device)
    y_train = torch.as_tensor(data.y_train, device=device)
    x_test = torch.as_tensor(data.x_test, device=device)
    y_test = torch.as_tensor(data.y_test, device=device)
    batches = config.batches_per_epoch
    offsets = evaluation_offsets(batches, training.evaluations_per_epoch)
    order_generator = torch.Generator().manual_seed(config.seed)

    batch_losses = torch.empty(batches, device=device)

    def evaluate(step: int) -> None:
        probabilities, train_loss, train_accuracy = _evaluate(model, x_train, y_train)
        _, test_loss, test_accuracy = _evaluate(model, x_test, y_test)
        on_evaluation(Evaluation(step, step / batches, probabilities, train_loss, train_accuracy, test_loss, test_accuracy))

    def check_finite(first: int, last: int, step: int) -> None:
        """Raise RunDiverged at the first non-finite loss of this epoch's batches first..last − 1,
        the last of which was step ``step``."""
        finite = np.isfinite(host_array(batch_losses[first:last]))
        if not finite.all():
            raise RunDiverged(step - (last - first) + 1 + int(np.argmin(finite)))

    evaluate(0)
    publish(0)
    step = 0
    for _ in range(training.epochs):
        order = torch.randperm(len(x_train), generator=order_generator).to(device) if training.shuffle else None
        checked = 0
        for batch in range(batches):
            ctx.checkpoint()
            rows = slice(batch * training.batch_size, (batch + 1) * training.batch_size)
            index = order[rows] if order is not None else rows
            loss = F.cross_entropy(model(x_train[index]), y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            batch_losses[batch] = loss.detach()
            step += 1
            if batch + 1 in offsets:
                check_finite(checked, batch + 1, step)
                checked = batch + 1
                evaluate(step)
                if ctx.publish_due():
                    publish(step)
    publish(step)
    return model


def memory(config: ClassificationConfig, device: torch.device) -> MemoryEstimate:
    """The images on the device, a training step on a batch, an evaluation chunk and the softmax
    outputs on the training set; the images as loaded and the float64 read-outs on the host."""
    shape = IMAGE_SHAPES[config.dataset]
    classes = len(DATASET_CLASSES[config.dataset])
    images = (config.n_train + config.test_count) * math.prod(shape)
    with torch.device("meta"):
        network = config.network
        model = build_classifier(network.model, shape, classes, network.activation, network.widths)
    on_device = (
        FLOAT32 * images
        + training_bytes(model, (config.training.batch_size, *shape), config.training.optimizer)
        + inference_bytes(model, (min(EVAL_BATCH, config.n_train), *shape))
        + FLOAT32 * 3 * config.n_train * classes
    )
    host = FLOAT32 * images + FLOAT64 * 2 * config.n_train * classes
    return MemoryEstimate(on_device, host, ("n_train", "training.batch_size", "network.model", "network.widths"))


def epoch_of_step(snapshot: Snapshot, step: int | None) -> float | None:
    if step is None:
        return None
    index = int(np.searchsorted(snapshot.metrics["step"], step))
    return round(float(snapshot.metrics["epoch"][index]), 4)


def final_accuracies(snapshot: Snapshot) -> dict[str, float | None]:
    metrics = snapshot.metrics
    return {
        name: float(metrics[name][-1]) if len(metrics.get(name, ())) else None for name in ("train_accuracy", "test_accuracy", "test_loss")
    }


def classification_experiment(
    name: str,
    icon: str,
    config_type: type[ClassificationConfig],
    book: Callable[[], ClassificationConfig],
    train: Train,
    summarize: Callable,
    figures: Callable,
    memory: Callable[[ClassificationConfig, torch.device], MemoryEstimate],
) -> Experiment:
    """The registry entry of a classification experiment: presets quick (the config's defaults, CPU)
    and book; ``--steps`` sets the epochs, and a run is epochs × batches per epoch steps long."""
    return Experiment(
        name=name,
        icon=icon,
        config_type=config_type,
        presets={"quick": config_type, "book": book},
        train=train,
        summarize=summarize,
        figures=figures,
        steps_field="training.epochs",
        count_steps=lambda config: config.total_steps,
        memory=memory,
    )
