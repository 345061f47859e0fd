"""The settings of the picture fit (Fig 1.7): the picture, the network and its training, the input
encoding and the frequency bands of the read-out, each declared once with its rule."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fpengine import spectral
from fpengine.image.bands import DEFAULT_EDGES, MAX_RADIAL_FREQUENCY
from fpengine.image.encodings import ENCODINGS
from fpengine.image.pictures import COLOURS, ZONE_PLATE, ZONE_PLATE_BAND_EDGES
from fpengine.image.uploads import check_source
from fpengine.settings.blocks import EPSILON, RULES, NetworkConfig, TrainingConfig
from fpengine.settings.schema import SEED, Flag, Interval, ListOf, OneOf, Rule, Text, setting

if TYPE_CHECKING:
    from fpengine.engine.runner import ErrorTrace

IMAGE_ACTIVATION = OneOf(("relu", "tanh", "sin"))
IMAGE_OUTPUT_INIT = OneOf(("random",))
"""The picture networks draw every unit on its own (a multi-scale first layer cannot be mirrored in pairs)."""
"""``network.activation`` here: of the shared network block's activations, those tried on pictures."""
LONG_SIDES = (32, 48, 64, 96, 128, 192, 256, 384, 512)
"""The resolutions the page offers; any whole number from 16 to the last of them is accepted."""
ACCELERATOR_LONG_SIDE = 128
"""The quick setup's resolution on a GPU. At the CPU's 48 px a portrait is a thumbnail; at 128 px
(7× the pixels) a face shows, and a full-batch step on a GPU costs its kernel launches rather than
its pixels."""
SCHEDULES = ("cosine", "constant")
MAX_SCALES = 16
CHAPTER_PANELS = (4000, 8000, 36000)
"""The chapter's snapshot steps; a run of N steps shows them scaled to N."""
MAX_RECORDS = 600


@dataclass(frozen=True)
class EncodingConfig:
    kind: str = setting("none", OneOf(ENCODINGS))
    """``none`` (plain coordinates), ``fourier`` (random Fourier features) or ``multiscale``."""
    input_scale: float = setting(2.0, Interval(0, 1000, closed="right"))
    """Coordinates span [−s, s]²; tanh with a large s draws the chapter's radial streaks. At s = 2
    (rather than 1) a ReLU net's first-layer kinks move twice as fast under Adam, so the zone plate's
    outer rings arrive within the quick run (at s = 1 its top band stays near 0.18 after 2000 steps)."""
    fourier_features: int = setting(128, Interval(1, 4096, integer=True))
    fourier_sigma: float = setting(4.0, Interval(0, 1000, closed="right"))
    """Standard deviation of the random frequencies, cycles per unit of the (scaled) coordinates."""
    scales: int = setting(6, Interval(1, MAX_SCALES, integer=True))
    """Multi-scale first layer: neuron groups see the input × 1, 2, 4, … (this many groups, at most
    one per neuron of the first layer)."""


@dataclass(frozen=True)
class BandConfig:
    edges: tuple[float, ...] = setting(
        (), ListOf(Interval(0, MAX_RADIAL_FREQUENCY, closed="neither", high_name="√2/2"), 0, 11, increasing=True)
    )
    """Band edges in cycles per pixel (bands: below the first, between, above the last). Empty =
    scaled to the picture: quarters of the zone plate's maximum frequency (band k = ring k of its
    disc), 0.05 / 0.15 / 0.3 for photos."""
    epsilon: float = setting(0.1, EPSILON)
    rule: str = setting("robust", OneOf(RULES))

    def edges_for(self, image: str) -> tuple[float, ...]:
        if self.edges:
            return self.edges
        return ZONE_PLATE_BAND_EDGES if image == ZONE_PLATE else DEFAULT_EDGES

    def convergence(self, trace: ErrorTrace) -> list[int | None]:
        """The step at which each band's error got below ε (by this rule), None where it never did."""
        return spectral.convergence_steps(trace.errors, trace.steps, self.epsilon, self.rule)


@dataclass(frozen=True)
class ImageFitConfig:
    ALIASES: ClassVar[dict[str, str]] = {"epsilon": "bands.epsilon", "rule": "bands.rule"}
    """The convergence threshold and rule by the names every experiment answers to."""

    image: str = setting(ZONE_PLATE, Text(4096))
    """A built-in picture (zone-plate, china, flower), a file path, or an in-memory upload."""
    long_side: int = setting(48, Interval(16, LONG_SIDES[-1], integer=True))
    """Pixels on the picture's long side at training time."""
    colour: str = setting("grey", OneOf(COLOURS))
    hold_out_columns: bool = setting(False, Flag())
    """Train on every second column only and judge the rest (generalisation, as the authors'
    cat-fitting notebook does)."""
    network: NetworkConfig = setting(factory=lambda: NetworkConfig(widths=(128, 128, 128, 128), activation="relu", init="default"))
    training: TrainingConfig = setting(factory=lambda: TrainingConfig(lr=2e-3, steps=2000))
    """CPU default: Adam 2e-3 (twice the rate that suits s = 1) for 2000 steps, about 35 s on one
    idle core at 48 px. Every band of the zone plate gets below ε, the lowest first and the highest
    last; the two middle ones cross close together, and a loss spike can swap them (seed 2)."""
    lr_schedule: str = setting("cosine", OneOf(SCHEDULES))
    """``cosine`` lowers the rate to 0 by the last step: full-batch Adam at a constant rate keeps the
    picture's brightness flickering from step to step late in training."""
    encoding: EncodingConfig = setting(factory=EncodingConfig)
    bands: BandConfig = setting(factory=BandConfig)
    seed: int = setting(0, SEED)
    snapshot_steps: tuple[int, ...] = setting((), ListOf(Interval(0, None, integer=True), 0, 8))
    """Completed-step counts shown in the strip; empty = the chapter's 4000/8000/36000 scaled."""
    record_every: int = setting(0, Interval(0, None, integer=True))
    """Record the picture every this many steps; 0 = automatic (at most ``MAX_RECORDS`` records)."""

    def rules(self) -> dict[str, Rule]:
        steps = self.training.steps
        step = Interval(0, steps, integer=True, high_name="training.steps")
        first = self.network.widths[0] if self.network.widths else MAX_SCALES
        scales = (
            Interval(1, first, integer=True, high_name="network.widths[0]") if first < MAX_SCALES else Interval(1, MAX_SCALES, integer=True)
        )
        return {
            "network.activation": IMAGE_ACTIVATION,
            "network.output_init": IMAGE_OUTPUT_INIT,
            "encoding.scales": scales,
            "snapshot_steps": ListOf(step, 0, 8),
            "record_every": step,
        }

    def checks(self) -> None:
        check_source(self.image)

    def record_interval(self) -> int:
        return self.record_every or max(1, math.ceil(self.training.steps / MAX_RECORDS))

    def panel_steps(self) -> tuple[int, ...]:
        if self.snapshot_steps:
            return tuple(sorted(set(self.snapshot_steps)))
        scaled = (round(s * self.training.steps / CHAPTER_PANELS[-1]) for s in CHAPTER_PANELS)
        return tuple(sorted(set(scaled)))


def for_device(config: ImageFitConfig, device_type: str) -> ImageFitConfig:
    """``config`` as the page first offers it on a ``device_type`` device: a setup at the CPU's
    default resolution is raised to ``ACCELERATOR_LONG_SIDE`` on a GPU; the book's 75 px and any
    chosen resolution stay."""
    if device_type == "cpu" or config.long_side != ImageFitConfig().long_side:
        return config
    return dataclasses.replace(config, long_side=ACCELERATOR_LONG_SIDE)
