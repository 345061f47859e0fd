"""High-dimensional pages: the filter's low/high split against the authors' dense float64 code (docs/experiments.md#sources)
(time and peak memory, each measured in a fresh process, same run), and training time per epoch
of the DNN and the CNN on the offline MNIST."""

from __future__ import annotations

import multiprocessing
import resource
import time

import numpy as np
import torch

from fpengine.engine.runner import JobManager
from fpengine.highdim.classification import train_classifier
from fpengine.highdim.datasets import load_dataset
from fpengine.highdim.gaussian_split import (
    DEFAULT_DELTA_MULTIPLES,
    GaussianSmoother,
    LowHighSplit,
    default_deltas,
    dense_low_pass_reference,
)
from fpengine.highdim.settings import ClassificationConfig, ClassifierConfig, EpochTrainingConfig


def _peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _problem(n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[0,1] float32 inputs, one-hot labels and softmax-like outputs (no float64 temporaries)."""
    rng = np.random.default_rng(0)
    x = rng.random((n, d), dtype=np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    outputs = rng.dirichlet(np.ones(10), n).astype(np.float32)
    return x, labels, outputs


def _split_blocked(x: np.ndarray, labels: np.ndarray, outputs: np.ndarray) -> None:
    smoother = GaussianSmoother(x)
    split = LowHighSplit(smoother, labels, default_deltas(smoother, DEFAULT_DELTA_MULTIPLES))
    split.errors(outputs)


def _split_dense(x: np.ndarray, labels: np.ndarray, outputs: np.ndarray) -> None:
    """The notebook's way: a dense float64 kernel per δ (every kernel kept, as the notebook does) (docs/experiments.md#sources)."""
    points = x.astype(np.float64)
    squared = np.sum(points**2, axis=1)
    distances = -2.0 * points @ points.T + squared[:, None] + squared[None, :]
    nearest = np.sort(distances + np.diag(np.full(len(x), np.inf)), axis=1)[:, 0]
    kernels = []
    for multiple in DEFAULT_DELTA_MULTIPLES:
        kernel = np.exp(-distances / 2.0 / (multiple * float(np.median(nearest))))
        kernel /= kernel.sum(axis=1, keepdims=True)
        kernels.append(kernel)
    for kernel in kernels:
        low_y, low_h = kernel @ labels, kernel @ outputs
        np.linalg.norm(low_y - low_h)


def _measure_in_child(method: str, n: int, d: int, queue) -> None:
    torch.set_num_threads(1)
    x, labels, outputs = _problem(n, d)
    before = _peak_megabytes()
    start = time.perf_counter()
    (_split_blocked if method == "blocked" else _split_dense)(x, labels, outputs)
    queue.put((time.perf_counter() - start, _peak_megabytes() - before))


def measure(method: str, n: int, d: int) -> tuple[float, float]:
    """(seconds, peak memory above the data in MB) of one low/high split for three δ, in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure_in_child, args=(method, n, d, queue))
    process.start()
    result = queue.get(timeout=1200)
    process.join()
    return result


def check_agreement(n: int = 300, d: int = 784) -> float:
    """Largest difference between the blocked filter and the dense reference on a small problem."""
    x, labels, _ = _problem(n, d)
    smoother = GaussianSmoother(x)
    delta = default_deltas(smoother, (1.0,))[0]
    return float(np.abs(smoother.low_pass(labels, [delta])[0].numpy() - dense_low_pass_reference(x, labels, delta)).max())


def seconds_per_epoch(model: str, n: int, epochs: int) -> float:
    """Training time per epoch (one evaluation per epoch included), model building excluded."""
    config = ClassificationConfig(
        n_train=n, n_test=100, network=ClassifierConfig(model=model), training=EpochTrainingConfig(epochs=epochs, evaluations_per_epoch=1)
    )
    data = load_dataset(config.dataset).split(config.n_train, config.n_test)
    published: list[float] = []

    def train(run_config: ClassificationConfig, ctx) -> None:
        train_classifier(run_config, ctx, data, lambda evaluation: None, lambda step: published.append(time.perf_counter()))

    JobManager(lease_seconds=None).submit("bench", config, train, torch.device("cpu")).wait()
    return (published[-1] - published[0]) / epochs


def run(quick: bool) -> list[dict]:
    rows = [{"name": "filter/agreement n=300", "max_abs_difference": check_agreement()}]
    sizes = ((1000, 784), (2000, 784)) if quick else ((2000, 784), (2000, 3072), (5000, 784), (5000, 3072))
    for n, d in sizes:
        blocked_seconds, blocked_mb = measure("blocked", n, d)
        dense_seconds, dense_mb = measure("dense", n, d)
        rows.append(
            {
                "name": f"filter/3 deltas n={n} d={d}",
                "engine_s": blocked_seconds,
                "engine_peak_mb": blocked_mb,
                "dense_float64_s": dense_seconds,
                "dense_peak_mb": dense_mb,
                "ratio": dense_mb / max(blocked_mb, 1e-3),
            }
        )
    n, epochs = (500, 1) if quick else (2000, 2)
    for model in ("dnn", "cnn"):
        rows.append({"name": f"train/{model} mnist-5k n={n}", "seconds_per_epoch": seconds_per_epoch(model, n, epochs)})
    return rows
