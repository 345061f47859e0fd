"""Picture loading: every kind of upload a student may try, built-ins, resizing and colour."""

from __future__ import annotations

import io
import logging
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from fpengine.engine.runner import JobManager, Status
from fpengine.formula import FormulaError
from fpengine.image import pictures as images
from fpengine.image.pictures import ImageError, decode_image, prepare_target, read_image_file
from fpengine.image.strings import STRINGS
from fpengine.settings.schema import ConfigError


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient_rgb(width: int = 40, height: int = 30) -> Image.Image:
    """Red grows left → right, green top → bottom, blue constant: every pixel is distinct."""
    x = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    rgb = np.stack([x, y, np.full_like(x, 128)], axis=2).round().astype(np.uint8)
    return Image.fromarray(rgb)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` grey pixels but holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def reason_of(data: bytes) -> str:
    with pytest.raises(ImageError) as caught:
        decode_image(data)
    return caught.value.reason


# ---------------------------------------------------------------------------------------------- good files


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_lossless_formats_round_trip_exactly(fmt):
    source = gradient_rgb()
    options = {"lossless": True} if fmt == "WEBP" else {}
    picture = decode_image(encode(source, fmt, **options), "x")
    assert picture.pixels.shape == (30, 40, 3)
    assert picture.pixels.dtype == np.float32
    np.testing.assert_allclose(picture.pixels, np.asarray(source) / 255.0, atol=1e-6)
    assert picture.notes == ()
    assert not picture.pixels.flags.writeable


def test_jpeg_is_decoded_close_to_the_source():
    source = gradient_rgb(64, 48)
    picture = decode_image(encode(source, "JPEG", quality=95))
    assert picture.pixels.shape == (48, 64, 3)
    assert np.abs(picture.pixels - np.asarray(source) / 255.0).mean() < 0.02


def test_grey_picture_becomes_three_equal_channels():
    grey = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    picture = decode_image(encode(grey, "PNG"))
    np.testing.assert_allclose(picture.pixels[..., 0], np.asarray(grey) / 255.0, atol=1e-6)
    np.testing.assert_array_equal(picture.pixels[..., 0], picture.pixels[..., 2])


@pytest.mark.parametrize("orientation", [3, 6, 8, 2])
def test_phone_photo_is_turned_upright_from_exif(orientation):
    """Orientation 6 = the phone was held upright: the stored 40×20 frame is shown 20×40."""
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = stored.getexif()
    exif[0x0112] = orientation
    data = encode(stored, "JPEG", quality=95, exif=exif)
    picture = decode_image(data)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))), dtype=np.float32) / 255.0
    assert picture.pixels.shape == expected.shape
    assert np.abs(picture.pixels - expected).max() < 1e-6
    assert "image.note.rotated" in picture.notes
    if orientation == 6:
        assert picture.pixels.shape == (40, 20, 3)
        assert picture.pixels[5, 10, 0] > 0.9 and picture.pixels[35, 10, 2] > 0.9  # red on top


def test_transparency_is_flattened_on_white():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # fully transparent → white
    rgba.putpixel((1, 0), (0, 0, 0, 128))  # half transparent black → mid grey
    picture = decode_image(encode(rgba, "PNG"))
    np.testing.assert_allclose(picture.pixels[0, 0], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(picture.pixels[0, 1], [127 / 255] * 3, atol=1 / 255)
    np.testing.assert_allclose(picture.pixels[4, 4], [1, 0, 0], atol=1e-6)
    assert picture.notes == ("image.note.transparency",)


def test_opaque_alpha_channel_needs_no_note():
    picture = decode_image(encode(Image.new("RGBA", (8, 8), (10, 20, 30, 255)), "PNG"))
    assert picture.notes == ()
    np.testing.assert_allclose(picture.pixels[0, 0], np.array([10, 20, 30]) / 255.0, atol=1e-6)


def test_grey_with_alpha_is_flattened():
    la = Image.new("LA", (6, 6), (0, 0))
    picture = decode_image(encode(la, "PNG"))
    np.testing.assert_allclose(picture.pixels, 1.0)
    assert "image.note.transparency" in picture.notes


def test_palette_picture_is_converted_with_its_transparent_index():
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([0, 255, 0] + [0, 0, 0] * 255)
    palette.putpixel((0, 0), 1)
    data = encode(palette, "GIF", transparency=1)
    picture = decode_image(data)
    np.testing.assert_allclose(picture.pixels[4, 4], [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(picture.pixels[0, 0], [1, 1, 1], atol=1e-6)
    assert "image.note.palette" in picture.notes and "image.note.transparency" in picture.notes


def test_sixteen_bit_keeps_its_precision():
    values = np.array([[0, 1000, 32768, 65535]] * 4, dtype=np.uint16)
    picture = decode_image(encode(Image.fromarray(values), "PNG"))
    np.testing.assert_allclose(picture.pixels[0, :, 0], values[0] / 65535.0, atol=1e-6)
    assert picture.notes == ("image.note.high-bit-depth",)


def test_float_tiff_is_scaled_to_unit_range():
    values = np.linspace(-3.0, 5.0, 32, dtype=np.float32).reshape(4, 8)
    picture = decode_image(encode(Image.fromarray(values), "TIFF"))
    assert picture.pixels.min() == 0.0 and picture.pixels.max() == pytest.approx(1.0)
    np.testing.assert_allclose(picture.pixels[..., 1], (values + 3) / 8, atol=1e-6)


def test_cmyk_is_converted_to_rgb():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 0, 0))  # full magenta ink
    picture = decode_image(encode(cmyk, "JPEG", quality=95))
    np.testing.assert_allclose(picture.pixels[4, 4], [1, 0, 1], atol=0.02)
    assert picture.notes == ("image.note.cmyk",)


def test_animation_gives_its_first_frame():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    picture = decode_image(data)
    np.testing.assert_allclose(picture.pixels[5, 5], [1, 0, 0], atol=1e-6)
    assert "image.note.first-frame" in picture.notes


def test_animated_webp_gives_its_first_frame():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((0, 255, 0), (255, 0, 0))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    picture = decode_image(data)
    np.testing.assert_allclose(picture.pixels[5, 5], [0, 1, 0], atol=1e-6)
    assert picture.notes == ("image.note.first-frame",)


def test_big_photo_is_reduced_to_the_working_size():
    big = gradient_rgb(2400, 1200)
    picture = decode_image(encode(big, "PNG", compress_level=1))
    assert picture.pixels.shape == (512, 1024, 3)
    # red still grows left → right after the reduction
    assert picture.pixels[256, 10, 0] < 0.05 and picture.pixels[256, 1013, 0] > 0.95


# ----------------------------------------------------------------------------------------------- bad files


def test_empty_file():
    assert reason_of(b"") == "empty-file"


def test_file_over_the_size_limit_is_refused_before_decoding():
    assert reason_of(b"\0" * (images.MAX_UPLOAD_BYTES + 1)) == "file-too-large"


def test_a_picture_file_over_the_limit_is_refused_from_its_size_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    with open(path, "wb") as handle:  # sparse: no disk, and reading it whole would cost its size
        handle.truncate(images.MAX_UPLOAD_BYTES)
    with pytest.raises(ImageError) as at_limit:
        read_image_file(path)
    assert at_limit.value.reason == "not-an-image"  # read and decoded: the limit itself is allowed
    with open(path, "ab") as handle:
        handle.truncate(3 * 2**30)
    monkeypatch.setattr(images, "open", None, raising=False)  # opening it now would fail the test
    with pytest.raises(ImageError) as over:
        read_image_file(path)
    assert over.value.reason == "file-too-large" and over.value.details["size"] == 3072.0


def test_a_picture_exactly_at_the_size_and_pixel_limits_is_accepted_and_one_more_refused(tmp_path, monkeypatch):
    data = encode(gradient_rgb(8, 6), "PNG")
    path = tmp_path / "small.png"
    path.write_bytes(data)
    # the limits shrunk to this picture: exactly at each is allowed
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", len(data))
    monkeypatch.setattr(images, "MAX_PIXELS", 8 * 6)
    decode_image(data)
    read_image_file(path)
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", len(data) - 1)
    assert reason_of(data) == "file-too-large"
    with pytest.raises(ImageError) as over:
        read_image_file(path)
    assert over.value.reason == "file-too-large"
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", len(data))
    monkeypatch.setattr(images, "MAX_PIXELS", 8 * 6 - 1)
    assert reason_of(data) == "too-many-pixels"


@pytest.mark.parametrize(
    "error", [ImageError("flat"), ConfigError("image", "image.setting.upload_gone"), FormulaError("formula.unknown_name", name="y")]
)
def test_a_refusal_inside_a_run_is_one_line_and_never_a_logged_traceback(error, caplog):
    def train(config, ctx):
        raise error

    manager = JobManager(max_running=1, lease_seconds=None)
    job = manager.submit("image-fit", None, train, torch.device("cpu"))
    assert job.wait(10)
    assert job.status is Status.FAILED and job.message == str(error)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    manager.shutdown()


@pytest.mark.parametrize("data", [b"hello, this is a text file", b"%PDF-1.4\n%\xe2\xe3", bytes(range(256)) * 4])
def test_non_image(data):
    assert reason_of(data) == "not-an-image"


def test_format_outside_the_supported_list_is_not_parsed():
    assert reason_of(encode(gradient_rgb(8, 8), "PPM")) == "not-an-image"


def test_zero_sized_picture():
    assert reason_of(png_header_only(0, 0)) in ("empty-image", "not-an-image")


def test_decompression_bomb_is_refused_on_its_header():
    assert reason_of(png_header_only(100_000, 100_000)) == "too-many-pixels"  # Pillow's own hard limit
    assert reason_of(png_header_only(8000, 8000)) == "too-many-pixels"  # 64 MP: over our limit


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file(fmt):
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)), fmt)
    assert reason_of(data[: len(data) // 2]) == "truncated"


def test_corrupt_pixel_data():
    data = bytearray(encode(gradient_rgb(32, 32), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 40] = b"\xff" * 40
    assert reason_of(bytes(data)) in ("corrupt", "truncated")


def test_tiny_picture():
    assert reason_of(encode(Image.new("RGB", (2, 50)), "PNG")) == "too-small"


def test_every_message_reads_in_both_languages():
    details = {
        "size": 30.0,
        "limit": 25,
        "formats": "PNG",
        "width": 2,
        "height": 3,
        "minimum": 4,
        "setting": "image",
        "image": "x.png",
        "detail": "d",
    }
    keys = [k for k in STRINGS if k.startswith(("image.error.", "image.note."))]
    assert len(keys) >= 16
    for key in keys:
        english, chinese = STRINGS[key]
        assert english.format(**details) and chinese.format(**details)
        assert english != chinese and "\n" not in english


def test_error_message_is_the_english_text():
    with pytest.raises(ImageError) as caught:
        decode_image(b"")
    assert str(caught.value) == STRINGS["image.error.empty-file"][0]
    assert caught.value.key == "image.error.empty-file"


# ---------------------------------------------------------------------------------- built-ins and targets


def test_sample_photos_ship_with_scikit_learn():
    for name in ("china", "flower"):
        photo = images.sample_photo(name)
        assert photo.pixels.shape == (427, 640, 3)
        assert 0.0 <= photo.pixels.min() < photo.pixels.max() <= 1.0
    with pytest.raises(ValueError):
        images.sample_photo("cat")


def test_zone_plate_frequency_grows_with_radius_up_to_the_limit():
    plate = images.zone_plate(65, 65, max_frequency=0.25)
    assert plate[32, 32] == pytest.approx(1.0)
    assert 0.0 <= plate.min() and plate.max() <= 1.0
    # local frequency = phase'(r)/2π is linear in r: outer rings are denser
    row = plate[32, 32:] - 0.5
    crossings = np.flatnonzero(np.diff(np.sign(row[:26])) != 0)
    inner = np.sum(crossings < 13)
    outer = np.sum(crossings >= 13)
    assert outer >= 2 * inner >= 2
    # faded to flat grey at the rim and in the corners: no jump at the picture's border
    np.testing.assert_allclose(plate[0, 0], 0.5)
    np.testing.assert_allclose(plate[:, 0], 0.5, atol=0.02)
    # so the spectrum holds almost nothing above the maximum frequency, and each quarter of it has energy
    spectrum = np.abs(np.fft.fft2(plate - plate.mean())) ** 2
    radius = np.sqrt(np.fft.fftfreq(65)[:, None] ** 2 + np.fft.fftfreq(65)[None, :] ** 2)
    assert spectrum[radius > 0.3].sum() < 0.01 * spectrum.sum()
    for lo, hi in zip((0, *images.ZONE_PLATE_BAND_EDGES), (*images.ZONE_PLATE_BAND_EDGES, 0.3), strict=True):
        assert spectrum[(radius >= lo) & (radius < hi)].sum() > 0.05 * spectrum.sum()


def test_prepare_target_shapes_and_colour():
    grey = prepare_target("china", 48, "grey")
    rgb = prepare_target("china", 48, "rgb")
    assert grey.shape == (32, 48, 1) and rgb.shape == (32, 48, 3)
    assert grey.dtype == np.float32
    np.testing.assert_allclose(grey[..., 0], rgb @ images.LUMA, atol=1e-6)
    plate = prepare_target(images.ZONE_PLATE, 40, "rgb")
    assert plate.shape == (40, 40, 3)
    np.testing.assert_array_equal(plate[..., 0], plate[..., 1])


def test_prepare_target_from_an_upload_keeps_the_aspect_ratio():
    picture = decode_image(encode(gradient_rgb(300, 100), "PNG"))
    target = prepare_target(picture, 60, "rgb")
    assert target.shape == (20, 60, 3)
    assert target[10, 0, 0] < 0.05 and target[10, -1, 0] > 0.95


def test_flat_and_too_thin_pictures_are_refused_at_the_training_size():
    flat = decode_image(encode(Image.new("RGB", (20, 20), (90, 90, 90)), "PNG"))
    with pytest.raises(ImageError) as caught:
        prepare_target(flat, 16, "grey")
    assert caught.value.reason == "flat"
    thin = decode_image(encode(gradient_rgb(400, 8), "PNG"))
    with pytest.raises(ImageError) as caught:
        prepare_target(thin, 48, "grey")
    assert caught.value.reason == "too-thin"
    assert caught.value.details == {"width": 48, "height": 1, "minimum": 4}


def test_resize_keeps_a_constant_picture_constant():
    pixels = np.full((30, 50, 3), 0.25, dtype=np.float32)
    resized = images.resize(pixels, 12, 20)
    assert resized.shape == (12, 20, 3)
    np.testing.assert_allclose(resized, 0.25, atol=1e-6)


def test_fit_shape():
    assert images.fit_shape(427, 640, 48) == (32, 48)
    assert images.fit_shape(640, 427, 64) == (64, 43)
    assert images.fit_shape(1, 1000, 48) == (1, 48)
