"""The settings of the high-dimensional experiments (Figs 1.10 and 1.12): the data, the classifier
(``network.*``), its training by epochs of mini-batches (``training.*``), ``seed``, and each method's
read-out (``spectrum.*`` for the projection, the δ of the filter). The flat names of earlier versions
(``lr``, ``widths``, ``epochs``, ``epsilon``, …) are accepted as aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fpengine.highdim.classifiers import CLASSIFIERS, CNN_MIN_SIDE
from fpengine.highdim.datasets import DATASET_CLASSES, DATASET_SIZES, DATASETS, IMAGE_SHAPES
from fpengine.highdim.gaussian_split import (
    DEFAULT_BLOCK_ROWS,
    DEFAULT_DELTA_MULTIPLES,
    DELTA_RANGE,
    MULTIPLE_RANGE,
)
from fpengine.highdim.nudft import K_MAX_RANGE
from fpengine.settings.blocks import ACTIVATION, EPSILON, GRADIENT_OPTIMIZER, LEARNING_RATE, MOMENTUM, RULES, widths
from fpengine.settings.schema import SEED, ConfigError, Flag, Interval, ListOf, OneOf, Optional, Rule, setting

MIN_TRAIN = 10
CLASSES = max(len(classes) for classes in DATASET_CLASSES.values())
MAX_DELTAS = 20
MAX_TRACKED = 12


@dataclass(frozen=True)
class ClassifierConfig:
    """Which network classifies the images."""

    model: str = setting("dnn", OneOf(CLASSIFIERS))
    widths: tuple[int, ...] = setting((400, 200), widths(4096))
    """Hidden widths of the DNN (ignored by cnn and vgg16)."""
    activation: str = setting("tanh", ACTIVATION)
    """Of the DNN and the CNN; VGG16 uses ReLU, as in its source."""


@dataclass(frozen=True)
class EpochTrainingConfig:
    """Cross-entropy training in epochs of mini-batches."""

    optimizer: str = setting("adam", GRADIENT_OPTIMIZER)
    lr: float = setting(1e-4, LEARNING_RATE)
    momentum: float = setting(0.9, MOMENTUM)
    batch_size: int = setting(50, Interval(1, None, integer=True))
    """At most ``n_train`` (a rule of the config that holds both)."""
    shuffle: bool = setting(False, Flag())
    """False: batches in dataset order every epoch, as in the authors' code (docs/experiments.md#sources)."""
    epochs: int = setting(30, Interval(1, 100_000, integer=True))
    evaluations_per_epoch: int = setting(4, Interval(1, 100, integer=True))


def _aliases(group: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: f"{group}.{name}" for name in names}


@dataclass(frozen=True)
class ClassificationConfig:
    """Settings both high-dimensional experiments share."""

    dataset: str = setting("mnist-5k", OneOf(DATASETS))
    n_train: int = setting(2000, Interval(MIN_TRAIN, None, integer=True))
    """At most the dataset's training set and ``MAX_TRAIN`` (see :meth:`n_train_rule`)."""
    n_test: int = setting(500, Interval(1, 100_000, integer=True))
    """Test images for the test accuracy, capped at the dataset's test set."""
    network: ClassifierConfig = setting(factory=ClassifierConfig)
    training: EpochTrainingConfig = setting(factory=EpochTrainingConfig)
    seed: int = setting(0, SEED)

    MAX_TRAIN: ClassVar[int] = 60000
    """The most training samples an experiment can analyse (the filter holds n² distances)."""
    ALIASES: ClassVar[dict[str, str]] = {
        **_aliases("network", ("model", "widths", "activation")),
        **_aliases("training", ("optimizer", "lr", "momentum", "batch_size", "shuffle", "epochs", "evaluations_per_epoch")),
    }

    @classmethod
    def n_train_rule(cls, dataset: str) -> Interval:
        """How many training samples ``dataset`` offers to this experiment."""
        return Interval(MIN_TRAIN, min(DATASET_SIZES[dataset][0], cls.MAX_TRAIN), integer=True)

    def rules(self) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        if self.dataset in DATASETS:
            rules["n_train"] = self.n_train_rule(self.dataset)
        if isinstance(self.n_train, int):
            rules["training.batch_size"] = Interval(1, self.n_train, integer=True, high_name="n_train")
        return rules

    def checks(self) -> None:
        height, width = IMAGE_SHAPES[self.dataset][1:]
        if self.network.model == "cnn" and min(height, width) < CNN_MIN_SIDE:
            raise ConfigError(
                "network.model",
                "highdim.error.cnn_image",
                self.network.model,
                side=CNN_MIN_SIDE,
                dataset=self.dataset,
                size=f"{height}×{width}",
            )

    @property
    def test_count(self) -> int:
        return min(self.n_test, DATASET_SIZES[self.dataset][1])

    @property
    def batches_per_epoch(self) -> int:
        return self.n_train // self.training.batch_size

    @property
    def total_steps(self) -> int:
        return self.training.epochs * self.batches_per_epoch


@dataclass(frozen=True)
class ProjectionSpectrumConfig:
    """What the projection method tracks, and when a frequency counts as learned."""

    component: int | None = setting(8, Optional(Interval(0, CLASSES - 1, integer=True), none_key="projection.component.norm"))
    """Which label column (class) to transform; None = the vector norm over all classes."""
    n_frequencies: int = setting(100, Interval(10, 1000, integer=True))
    k_max: float | None = setting(None, Optional(Interval(*K_MAX_RANGE)))
    """Top of the frequency grid; None = chosen from the data, 1.25 / std(projection)."""
    max_peaks: int = setting(4, Interval(1, MAX_TRACKED, integer=True))
    frequencies: tuple[float, ...] = setting((), ListOf(Interval(0, 100), 0, MAX_TRACKED, distinct=True))
    """Frequencies to track; empty = the first ``max_peaks`` peaks of the label spectrum (k = 0 first)."""
    epsilon: float = setting(0.15, EPSILON)
    """ΔF below this counts as converged. At initialisation every softmax output is ≈ 1/classes, so
    ΔF at k = 0 (the class frequency) already sits near 0.05–0.1 and wanders around 0.1 for a while."""
    rule: str = setting("robust", OneOf(RULES))


@dataclass(frozen=True)
class ProjectionConfig(ClassificationConfig):
    spectrum: ProjectionSpectrumConfig = setting(factory=ProjectionSpectrumConfig)

    ALIASES: ClassVar[dict[str, str]] = {
        **ClassificationConfig.ALIASES,
        **_aliases("spectrum", ("component", "n_frequencies", "k_max", "max_peaks", "frequencies", "epsilon", "rule")),
    }


@dataclass(frozen=True)
class FilteringConfig(ClassificationConfig):
    deltas: tuple[float, ...] = setting((), ListOf(Interval(*DELTA_RANGE), 0, MAX_DELTAS, distinct=True))
    """Explicit δ (a variance, in squared input units); empty = ``delta_multiples`` × the median
    nearest-neighbour squared distance of the training inputs."""
    delta_multiples: tuple[float, ...] = setting(DEFAULT_DELTA_MULTIPLES, ListOf(Interval(*MULTIPLE_RANGE), 1, MAX_DELTAS))
    epsilon: float = setting(0.1, Interval(0, 1, closed="neither"))
    """Threshold for "learned": the first epoch at which e_low (e_high) falls below it."""
    block_rows: int = setting(DEFAULT_BLOCK_ROWS, Interval(1, 8192, integer=True))

    MAX_TRAIN: ClassVar[int] = 10000

    def rules(self) -> dict[str, Rule]:
        rules = super().rules()
        if self.deltas:  # the multiples are not used, so none are needed
            rules["delta_multiples"] = ListOf(Interval(*MULTIPLE_RANGE), 0, MAX_DELTAS)
        return rules
