"""Downloads of an image-fit run, built in memory: the snapshot strip (PNG), the whole run as an
animated GIF, and the metrics as CSV."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from fpengine.engine.runner import Snapshot
from fpengine.export import metrics_frame
from fpengine.image.views import ImageViews as V

TILE = 192
"""Pictures are enlarged (nearest neighbour, so pixels stay visible) to about this many pixels."""
CAPTION = 18
GAP = 6


def _to_image(pixels: np.ndarray, tile: int = TILE) -> Image.Image:
    """(H, W, C) floats in [0, 1] or uint8 → an RGB picture enlarged by a whole factor."""
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        array = np.round(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    factor = max(1, tile // max(array.shape[:2]))
    return Image.fromarray(array).resize((array.shape[1] * factor, array.shape[0] * factor), Image.Resampling.NEAREST)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def picture_png(pixels: np.ndarray, tile: int = TILE) -> bytes:
    """One picture as a PNG, enlarged by nearest neighbour to about ``tile`` pixels."""
    return _png(_to_image(pixels, tile))


def snapshot_strip_png(snapshot: Snapshot, captions: Sequence[str], target_caption: str) -> bytes:
    """The snapshots side by side, each above its caption (one per snapshot), then the target."""
    views = snapshot.views
    tiles = [(_to_image(out), caption) for out, caption in zip(views[V.panel_outputs], captions, strict=True)]
    tiles.append((_to_image(views[V.target]), target_caption))
    width = sum(tile.width for tile, _ in tiles) + GAP * (len(tiles) - 1)
    height = max(tile.height for tile, _ in tiles) + CAPTION
    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    x = 0
    for tile, caption in tiles:
        strip.paste(tile, (x, CAPTION))
        draw.text((x + 2, 2), caption, fill="black")
        x += tile.width + GAP
    return _png(strip)


def run_gif(snapshot: Snapshot, frame_ms: int = 150) -> bytes:
    """Every kept frame of the run as an animated GIF (looping; the last frame held longer)."""
    views = snapshot.views
    frames = [_to_image(frame) for frame in views[V.frames]] or [_to_image(views[V.output])]
    durations = [frame_ms] * (len(frames) - 1) + [frame_ms * 8]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buffer.getvalue()


def metrics_csv(snapshot: Snapshot) -> bytes:
    """step, loss, PSNR and every band's relative error, one row per recorded step."""
    return metrics_frame(snapshot).to_csv(index=False, float_format="%.6g").encode()
