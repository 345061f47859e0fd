"""Pictures for the 2-D fitting page: uploads (validated, decoded in memory), built-ins, resizing.

Every picture becomes a float32 RGB array in [0, 1] of at most ``WORKING_LONG_SIDE`` pixels on its
long side; :func:`prepare_target` then resizes it to the training resolution as grey (1 channel) or
RGB (3 channels), shape ``(H, W, C)``. Anything wrong with an upload raises :class:`ImageError`,
whose ``key``/``details`` give the one-line message in either language (``fpengine.i18n``).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from fpengine.i18n import LocalizedError

Colour = Literal["grey", "rgb"]
COLOURS = ("grey", "rgb")

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
"""Decoders tried on an upload; nothing else is parsed. (Pillow's JPEG decoder also reads MPO, the
multi-picture JPEG many phones write.)"""
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000
"""Decompression-bomb guard, checked on the header before any pixel is decoded."""
MAX_DECODE_BYTES = 4 * MAX_PIXELS
"""The most memory one picture may take while it is decoded at full size (Pillow keeps most modes at
4 bytes a pixel; a progressive JPEG needs 2 bytes per sample for its coefficients), checked on the
header. Everything after decoding happens on a reduced copy, strip by strip, so this is the peak."""
MAX_JPEG_SCANS = 64
"""A progressive JPEG's decoder works over the whole picture once per scan: thousands of empty scans
cost minutes on a small file. Real encoders write about 10 (libjpeg), rarely 20."""
MAX_SCAN_PIXELS = 16 * MAX_PIXELS
"""Scans × pixels of a progressive JPEG: the decoder's work. A 50 MP picture may have 16 scans, a
12 MP one the full 64 (a 49 MP picture with 64 scans took 5–8 s to decode on a busy 2-core box)."""
_DECODING = threading.Lock()
"""One picture is decoded at a time in the server, so the memory bound above holds for the server."""
MIN_SIDE = 4
WORKING_LONG_SIDE = 1024
"""Decoded pictures are reduced to this long side at once: training never uses more than 512."""

ZONE_PLATE = "zone-plate"
ZONE_PLATE_MAX_FREQUENCY = 0.25
"""Cycles per pixel at the rim of the zone plate's disc: four pixels per cycle at the finest ring,
well inside what any resolution shows (Nyquist: 0.5), so the fine rings are learnable in a CPU run."""
ZONE_PLATE_TAPER = 0.2
"""Outer fraction of the disc's radius over which the plate fades to mid-grey."""
ZONE_PLATE_BAND_EDGES = tuple(ZONE_PLATE_MAX_FREQUENCY * k / 4 for k in (1, 2, 3))
"""Quarters of the plate's maximum frequency: band k of the spectrum is ring k of the disc."""
ASSETS = Path(__file__).resolve().parents[2] / "assets"
"""The app's own pictures (their sources and licences: assets/README.md)."""
SAMPLE_PHOTOS = {"astronaut": "astronaut.jpg", "china": "china.jpg", "flower": "flower.jpg"}
"""The portrait ships in assets/; the temple and the flower come with scikit-learn."""
BUILTIN_IMAGES = (ZONE_PLATE, *SAMPLE_PHOTOS)

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
"""ITU-R BT.601 weights, the same as Pillow's ``convert("L")``."""


class ImageError(LocalizedError):
    """An upload cannot be used; ``reason`` names why (the message is ``image.error.<reason>``)."""

    def __init__(self, reason: str, **details: object):
        self.reason = reason
        super().__init__(f"image.error.{reason}", **details)


@dataclass(frozen=True)
class Picture:
    """A decoded picture: ``pixels`` float32 (H, W, 3) in [0, 1], read-only.

    ``notes`` are i18n keys of what was done to the file to make it usable (rotated upright,
    transparency flattened, …), shown to the user as one-line remarks.
    """

    pixels: np.ndarray
    name: str
    notes: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float32)
    array.flags.writeable = False
    return array


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except Image.DecompressionBombError:
        raise ImageError("too-many-pixels", limit=MAX_PIXELS // 1_000_000) from None
    except UnidentifiedImageError:
        raise ImageError("not-an-image", formats=", ".join(SUPPORTED_FORMATS)) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise _decoding_error(error) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError("empty-image")
    if min(width, height) < MIN_SIDE:
        raise ImageError("too-small", width=width, height=height, minimum=MIN_SIDE)
    if width * height > MAX_PIXELS:
        raise ImageError("too-many-pixels", limit=MAX_PIXELS // 1_000_000)
    _check_work(image, data)
    return image


def _bytes_per_pixel(mode: str) -> int:
    """How many bytes Pillow keeps for one pixel of ``mode`` (1, 2 for 16-bit grey, else 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _jpeg_scans(data: bytes, stop: int) -> int:
    """The number of scans (SOS markers) of the first picture in a JPEG stream, read from the marker
    segments alone (entropy-coded data is skipped; it stops at EOI or after ``stop`` scans)."""
    scans, at, end = 0, 2, len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return scans  # not a marker: leave the damage to the decoder
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # EOI: the first picture ends (an MPO's next ones are not decoded)
            return scans
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        if scans > stop:
            return scans
        while True:  # entropy-coded data ends at the first 0xFF not followed by 00 or a restart
            at = data.find(b"\xff", at)
            if at < 0 or at + 1 >= end:
                return scans
            following = data[at + 1]
            if following == 0 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                at += 1 if following == 0xFF else 2
                continue
            break
    return scans


def _check_work(image: Image.Image, data: bytes) -> None:
    """Refuse, from the header alone, a picture whose decoding would cost more than the bounds:
    more than ``MAX_DECODE_BYTES`` at full size or more than ``MAX_JPEG_SCANS`` scans."""
    width, height = image.size
    if image.format in ("JPEG", "MPO"):
        progressive = bool(image.info.get("progressive") or image.info.get("progression"))
        most = min(MAX_JPEG_SCANS, max(1, MAX_SCAN_PIXELS // (width * height))) if progressive else MAX_JPEG_SCANS
        if _jpeg_scans(data, most) > most:
            raise ImageError("too-many-scans", limit=most)
        if not progressive:
            return  # a baseline JPEG is decoded straight to the reduced size (draft)
        layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
        h_max = max(layer[1] for layer in layers)
        v_max = max(layer[2] for layer in layers)
        needed = sum(-(-width * layer[1] // h_max) * -(-height * layer[2] // v_max) * 2 for layer in layers)
    else:
        needed = width * height * _bytes_per_pixel(image.mode)
        if image.format == "TIFF" and "jpeg" in str(image.info.get("compression", "")):
            segments = len(image.tag_v2.get(324, ()) or image.tag_v2.get(273, ()) or (0,))
            scans = data.count(b"\xff\xda")  # an upper bound on the scans of its JPEG strips or tiles
            if scans > MAX_JPEG_SCANS + 4 * segments:
                raise ImageError("too-many-scans", limit=MAX_JPEG_SCANS)
    if needed > MAX_DECODE_BYTES:
        raise ImageError(
            "too-much-memory",
            width=width,
            height=height,
            size=round(needed / 2**20),
            limit=MAX_DECODE_BYTES // 2**20,
        )


def _decoding_error(error: BaseException) -> ImageError:
    text = str(error).lower()
    if "truncated" in text or "end of file" in text or "unexpected end" in text:
        return ImageError("truncated")
    return ImageError("corrupt")


def _reduce(image: Image.Image, long_side: int) -> Image.Image:
    """Shrink so the long side is at most ``long_side`` (integer box reduction, then Lanczos)."""
    longest = max(image.size)
    if longest <= long_side:
        return image
    factor = longest // long_side
    if factor >= 2:
        image = image.reduce(factor)
    scale = long_side / max(image.size)
    size = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _working_mode(image: Image.Image) -> str:
    """The mode the decoded picture is reduced in: one Pillow reduces (``reduce``, ``resize``) and
    that loses nothing :func:`_canonical` needs (transparency, 16-bit precision)."""
    mode = image.mode
    if mode.startswith("I;16"):
        return "I"
    if mode in ("I", "F", "L", "RGB", "RGBA", "LA"):
        return "RGBA" if mode in ("L", "RGB") and "transparency" in image.info else mode
    if mode in ("P", "PA", "RGBa", "La") or "transparency" in image.info:
        return "RGBA"
    if mode == "1":
        return "L"
    return "RGB"


def _reduced_copy(image: Image.Image, long_side: int) -> Image.Image:
    """The decoded picture in its working mode with its long side at most ``2 × long_side - 1``:
    an integer box reduction done strip by strip, so no second full-size copy is ever made."""
    mode = _working_mode(image)
    factor = max(image.size) // long_side
    if factor < 2:
        return image.convert(mode) if image.mode != mode else image.copy()
    width, height = image.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    rows = max(factor, (4 * 2**20 // max(width * 4, 1)) // factor * factor)  # about 4 MB a strip
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        strip = strip.convert(mode) if strip.mode != mode else strip
        out.paste(strip.reduce(factor), (0, top // factor))
    return out


def _unit_range(image: Image.Image) -> np.ndarray:
    """Single-channel 16/32-bit integer or float pixels → float32 [0, 1], full precision kept."""
    values = np.asarray(image, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    if image.mode.startswith("I;16") or (image.mode == "I" and lo >= 0 and hi <= 65535):
        unit = values / 65535.0
    elif lo >= 0.0 and hi <= 1.0:
        unit = values
    else:
        unit = (values - lo) / max(hi - lo, 1e-12)
    return unit.astype(np.float32)


def _flatten_on_white(image: Image.Image) -> tuple[Image.Image, bool]:
    """Composite over white; also says whether any pixel actually was see-through."""
    rgba = image.convert("RGBA")
    see_through = rgba.getchannel("A").getextrema()[0] < 255
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB"), see_through


def _canonical(image: Image.Image, original: str | None = None) -> tuple[Image.Image, list[str]]:
    """Any decoded mode → ``L``, ``RGB`` or ``F`` (single channel in [0, 1]), with notes.

    ``image`` may be the reduced copy (:func:`_reduced_copy`); ``original`` is then the mode the file
    was decoded in, which the notes name."""
    notes: list[str] = []
    original = original or image.mode
    if original in ("P", "PA"):
        notes.append("image.note.palette")
    if original == "CMYK":
        notes.append("image.note.cmyk")
        return image.convert("RGB"), notes
    if image.mode.startswith("I") or image.mode == "F":
        notes.append("image.note.high-bit-depth")
        return Image.fromarray(_unit_range(image)), notes
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        flattened, see_through = _flatten_on_white(image)
        if see_through:
            notes.append("image.note.transparency")
        return flattened, notes
    if image.mode in ("1", "L"):
        return image.convert("L"), notes
    return image.convert("RGB"), notes


_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation tag (0x0112) → the transpose that turns the picture upright."""


def decode_image(data: bytes, name: str = "upload") -> Picture:
    """Validate and decode an uploaded file in memory (nothing is written anywhere).

    Phone photos are turned upright from their EXIF orientation; transparency is flattened on
    white; palette, CMYK and 16-bit pictures are converted; an animation gives its first frame.
    """
    if len(data) == 0:
        raise ImageError("empty-file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError("file-too-large", size=round(len(data) / 2**20, 1), limit=MAX_UPLOAD_BYTES // 2**20)
    with _DECODING:
        return _decode(data, name)


def _decode(data: bytes, name: str) -> Picture:
    image = _open(data)
    notes: list[str] = []
    try:
        if getattr(image, "is_animated", False):  # not n_frames: a GIF's count reads every frame
            notes.append("image.note.first-frame")
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (WORKING_LONG_SIDE, WORKING_LONG_SIDE))
        image.load()
        orientation = image.getexif().get(0x0112, 1)
        original = image.mode
        small = _reduced_copy(image, WORKING_LONG_SIDE)
        del image  # the full-size pixels go before anything else is made
        canonical, conversion_notes = _canonical(small, original)
        reduced = _reduce(canonical, WORKING_LONG_SIDE)
    except Image.DecompressionBombError:
        raise ImageError("too-many-pixels", limit=MAX_PIXELS // 1_000_000) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise _decoding_error(error) from None
    if orientation in _ORIENTATION:
        reduced = reduced.transpose(_ORIENTATION[orientation])
        notes.append("image.note.rotated")
    pixels = np.asarray(reduced, dtype=np.float32)
    pixels = pixels if reduced.mode == "F" else pixels / 255.0
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return Picture(_readonly(np.clip(pixels, 0.0, 1.0)), name, tuple(notes + conversion_notes))


def read_image_file(path: Path) -> Picture:
    """A picture file given by path (the command line's ``--set image=…``), decoded like an upload.

    The caller makes sure ``path`` is a regular file (a FIFO would block, a device never end). The
    size comes from the file system and at most one byte past the limit is read, so a huge file
    costs no memory. OSError (unreadable) is left to the caller, who names the setting.
    """
    info = os.stat(path)
    if info.st_size > MAX_UPLOAD_BYTES:
        raise ImageError("file-too-large", size=round(info.st_size / 2**20, 1), limit=MAX_UPLOAD_BYTES // 2**20)
    with open(path, "rb") as handle:
        data = handle.read(MAX_UPLOAD_BYTES + 1)  # the file may have grown since the stat
    return decode_image(data, Path(path).name)


@functools.lru_cache(maxsize=len(SAMPLE_PHOTOS))
def sample_photo(name: str) -> Picture:
    """A built-in photo: the NASA portrait of Eileen Collins (512×512 RGB, public domain, the picture
    scikit-image distributes as ``astronaut``) from assets/, or one of the photos that ship with
    scikit-learn (427×640 RGB). No download. scikit-learn's JPEGs are read straight from the installed
    package: importing ``sklearn.datasets`` for them would cost seconds."""
    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"unknown built-in photo {name!r} (choose from {', '.join(SAMPLE_PHOTOS)})")
    if (ASSETS / SAMPLE_PHOTOS[name]).is_file():
        return decode_image((ASSETS / SAMPLE_PHOTOS[name]).read_bytes(), name)
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ValueError("scikit-learn is not installed, so its sample photos are not available")
    path = Path(spec.origin).parent / "datasets" / "images" / SAMPLE_PHOTOS[name]
    return decode_image(path.read_bytes(), name)


def zone_plate(height: int, width: int, max_frequency: float = ZONE_PLATE_MAX_FREQUENCY, taper: float = ZONE_PLATE_TAPER) -> np.ndarray:
    """A zone plate on mid-grey, float (H, W) in [0, 1]: 0.5 + 0.5·w(r)·cos(π·f·r²/R).

    R is half the short side (the disc touching the picture's edges). The local frequency
    φ'(r)/2π = f·r/R grows linearly from 0 at the centre to ``max_frequency`` f (cycles per pixel)
    at the rim, so ring k of the disc holds band k of the spectrum. The window w is 1 inside
    (1 − ``taper``)·R and falls along a raised cosine to 0 at the rim; outside the disc (the corners)
    the picture is flat grey. Its periodic extension therefore has no jump at the picture's border,
    and the spectrum holds almost nothing above f (a hard-edged plate leaks energy into every band).
    """
    rows = np.arange(height) - (height - 1) / 2
    cols = np.arange(width) - (width - 1) / 2
    radius = np.sqrt(rows[:, None] ** 2 + cols[None, :] ** 2)
    rim = min(height, width) / 2
    inside = np.clip((rim - radius) / max(taper * rim, 1e-12), 0.0, 1.0)
    window = 0.5 - 0.5 * np.cos(np.pi * inside)
    return 0.5 + 0.5 * window * np.cos(np.pi * max_frequency * radius**2 / rim)


def fit_shape(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(h, w) with the long side ``long_side`` and the aspect ratio kept (at least 1 pixel)."""
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Lanczos resize of float (H, W, C) pixels, channel by channel at float precision."""
    if pixels.shape[:2] == (height, width):
        return np.array(pixels, dtype=np.float32)
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(pixels[..., c], dtype=np.float32), mode="F").resize(
                (width, height), Image.Resampling.LANCZOS
            )
        )
        for c in range(pixels.shape[2])
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


def to_colour(pixels: np.ndarray, colour: Colour) -> np.ndarray:
    """(H, W, 3) RGB → (H, W, 1) luma for ``grey``; unchanged for ``rgb``."""
    if colour == "rgb":
        return pixels
    if colour == "grey":
        return (pixels @ LUMA)[..., None].astype(np.float32)
    raise ValueError(f"unknown colour mode {colour!r} (choose from {', '.join(COLOURS)})")


def prepare_target(source: Picture | str, long_side: int, colour: Colour) -> np.ndarray:
    """The training target: float32 (H, W, C) in [0, 1] with long side ``long_side``.

    ``source`` is a decoded :class:`Picture` or a built-in name. The zone plate is drawn at the
    training resolution itself (square) so that its rings reach the chosen maximum frequency;
    the photos are resized. A picture of one flat colour has nothing to fit and raises ImageError.
    """
    if isinstance(source, str):
        if source == ZONE_PLATE:
            plate = zone_plate(long_side, long_side, ZONE_PLATE_MAX_FREQUENCY)[..., None]
            return np.repeat(plate, 3 if colour == "rgb" else 1, axis=2).astype(np.float32)
        source = sample_photo(source)
    height, width = fit_shape(source.height, source.width, long_side)
    if min(height, width) < MIN_SIDE:
        raise ImageError("too-thin", width=width, height=height, minimum=MIN_SIDE)
    target = to_colour(resize(source.pixels, height, width), colour)
    if float(target.std()) < 1e-3:
        raise ImageError("flat")
    return target
