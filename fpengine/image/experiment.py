"""Fig 1.7: a fully connected network maps pixel coordinates (x, y) to grey (or RGB) values.

The experiment's entry in the registry: its settings (:mod:`fpengine.image.settings`), training loop
(:mod:`fpengine.image.training`), charts (:mod:`fpengine.image.charts`) and the summary of a run.
"""

from __future__ import annotations

from typing import Any

from fpengine import spectral
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Snapshot
from fpengine.image.charts import figures
from fpengine.image.pictures import ImageError
from fpengine.image.settings import CHAPTER_PANELS, EncodingConfig, ImageFitConfig
from fpengine.image.training import memory, target_picture, train
from fpengine.image.uploads import is_upload, upload_of
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.schema import ConfigError


def summarize(config: ImageFitConfig, snapshot: Snapshot) -> dict[str, Any]:
    trace = snapshot.traces["band_error"]
    converged = config.bands.convergence(trace)
    target = snapshot.views["target"]
    psnr = snapshot.metrics["psnr"]
    summary: dict[str, Any] = {
        "image": "upload" if is_upload(config.image) else config.image,
        "size": [int(target.shape[0]), int(target.shape[1])],
        "colour": config.colour,
        "encoding": config.encoding.kind,
        "bands": list(trace.keys),
        "band_frequencies": [round(v, 6) for v in trace.values],
        "convergence_step": converged,
        "epsilon": config.bands.epsilon,
        "rule": config.bands.rule,
        "spearman": spectral.spearman(trace.values, converged, never=config.training.steps + 1),
        "final_band_error": [round(float(e), 6) for e in trace.errors[-1]] if len(trace.errors) else [],
        "final_psnr": round(float(psnr[-1]), 3) if len(psnr) else None,
    }
    if "held_out_psnr" in snapshot.metrics and len(snapshot.metrics["held_out_psnr"]):
        summary["final_held_out_psnr"] = round(float(snapshot.metrics["held_out_psnr"][-1]), 3)
    return summary


def _book() -> ImageFitConfig:
    """The nearest published setup (the authors' cat-fitting notebook (docs/experiments.md#sources), made for interpolation): a
    75-pixel picture, every second column held out, coordinates in a small range, a deep tanh net,
    Adam 5e-5 at a constant rate, the chapter's 36000 steps. Slow: meant for a GPU."""
    return ImageFitConfig(
        long_side=75,
        hold_out_columns=True,
        network=NetworkConfig(widths=(500, 400, 300, 200, 200, 100), activation="tanh", init="default"),
        training=TrainingConfig(lr=5e-5, steps=36000),
        lr_schedule="constant",
        encoding=EncodingConfig(input_scale=0.17),
        snapshot_steps=CHAPTER_PANELS,
    )


def check_inputs(config: ImageFitConfig) -> None:
    """The picture decodes and suits the run; else a ConfigError naming ``image`` and its value."""
    try:
        target_picture(config)
    except ImageError as error:
        raise ConfigError("image", "image.error.unusable", image=config.image, detail=error) from None


def private(config: ImageFitConfig) -> bool:
    """A run on a visitor's uploaded photo: nobody else may watch it, and it is not written to the
    server's run folder."""
    return is_upload(config.image)


def holds(config: ImageFitConfig) -> object | None:
    """The uploaded photo a private run keeps while it trains."""
    return upload_of(config.image) if private(config) else None


IMAGE_FIT = Experiment(
    name="image-fit",
    icon=":material/image:",
    config_type=ImageFitConfig,
    presets={"quick": ImageFitConfig, "book": _book},
    train=train,
    summarize=summarize,
    figures=figures,
    private=private,
    holds=holds,
    check_inputs=check_inputs,
    memory=memory,
)
