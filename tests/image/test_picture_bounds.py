"""Reading a picture costs bounded time and memory whatever the file (issue 20, finding 2).

A progressive JPEG's decoder passes over the whole picture once per scan, so thousands of empty scans
in a small file once cost minutes; 16-bit, transparent and float pictures were converted at full size
(several copies of the decoded pixels). The scans are counted and the decoded size checked on the
header, and every conversion happens on the reduced copy. Streamlit refuses an upload over the app's
own limit before receiving it.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fpengine.image import pictures as images
from fpengine.image.pictures import ImageError, decode_image

ROOT = Path(__file__).resolve().parents[2]


def progressive_jpeg(side: int, extra_scans: int) -> bytes:
    """A progressive JPEG with its last scan repeated ``extra_scans`` times (each copy a few bytes:
    the decoder still passes over every block for each)."""
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (120, 130, 140)).save(buffer, "JPEG", progressive=True, quality=50)
    data = buffer.getvalue()
    last = data.rfind(b"\xff\xda")
    end = data.rfind(b"\xff\xd9")
    return data[:end] + data[last:end] * extra_scans + data[end:]


def test_a_progressive_jpeg_with_thousands_of_empty_scans_is_refused_from_its_markers():
    data = progressive_jpeg(64, 5000)
    assert len(data) < 300_000
    with pytest.raises(ImageError) as refused:
        decode_image(data)
    assert refused.value.reason == "too-many-scans"
    assert refused.value.details == {"limit": images.MAX_JPEG_SCANS}


def test_ordinary_progressive_jpegs_and_scans_up_to_the_limit_are_read():
    plain = progressive_jpeg(64, 0)
    assert images._jpeg_scans(plain, 1000) == 10  # libjpeg's own progression
    assert decode_image(plain).pixels.shape == (64, 64, 3)
    at_limit = progressive_jpeg(64, images.MAX_JPEG_SCANS - 10)
    assert images._jpeg_scans(at_limit, 1000) == images.MAX_JPEG_SCANS
    decode_image(at_limit)
    with pytest.raises(ImageError) as over:
        decode_image(progressive_jpeg(64, images.MAX_JPEG_SCANS - 9))
    assert over.value.reason == "too-many-scans"


def test_a_large_progressive_jpeg_may_have_fewer_scans(monkeypatch):
    """The decoder's work is scans × pixels: the bound on scans shrinks as the picture grows."""
    data = progressive_jpeg(64, 20)  # 30 scans of 64×64 pixels
    decode_image(data)
    monkeypatch.setattr(images, "MAX_SCAN_PIXELS", 30 * 64 * 64)
    decode_image(data)
    monkeypatch.setattr(images, "MAX_SCAN_PIXELS", 29 * 64 * 64)
    with pytest.raises(ImageError) as refused:
        decode_image(data)
    assert refused.value.reason == "too-many-scans" and refused.value.details == {"limit": 29}


def test_a_picture_over_the_decoding_memory_budget_is_refused_from_its_header(monkeypatch):
    buffer = io.BytesIO()
    Image.new("RGBA", (100, 50)).save(buffer, "PNG")
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 100 * 50 * 4)
    decode_image(buffer.getvalue())
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 100 * 50 * 4 - 1)
    with pytest.raises(ImageError) as refused:
        decode_image(buffer.getvalue())
    assert refused.value.reason == "too-much-memory"
    assert refused.value.details["width"] == 100 and refused.value.details["height"] == 50


SIDE = 4500
"""Decoded, 39–77 MB: the picture's own copy outweighs the working copies every decode makes (at most
(2 × 1024)² pixels, ≈40 MB), which the bound's constant covers. (At 3000 px a 16-bit PNG, 17 MB
decoded, peaked at 57 MB: over the bound, unseen while the peak was read from ru_maxrss.)"""
PEAK = """
import json, sys, types
# the decoder's module alone: not the image section's package, which imports torch (seconds of CPU a
# process, for nothing measured here)
package = types.ModuleType("fpengine.image")
package.__path__ = ["fpengine/image"]
sys.modules["fpengine.image"] = package
from fpengine.image.pictures import decode_image
assert "torch" not in sys.modules

def high_water_kb():
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    return int(status.split()[0])

data = open(sys.argv[1], "rb").read()
# this process's own peak from here: not ru_maxrss, which a child inherits from the process that
# started it (the test's, hundreds of MB with torch), hiding any smaller peak under it
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak resident size is reset to the current one
before = high_water_kb()
picture = decode_image(data)
after = high_water_kb()
print(json.dumps({"shape": list(picture.pixels.shape), "peak_mb": (after - before) / 1024}))
"""


def _hostile(kind: str, path: Path) -> int:
    """Write a small file that decodes to a large picture; returns its decoded size in bytes."""
    if kind == "png16":
        Image.fromarray(np.tile(np.arange(SIDE, dtype=np.uint16)[None, :] * 16, (SIDE, 1))).save(path, "PNG")
        return SIDE * SIDE * 2
    if kind == "rgba":
        pixels = np.zeros((SIDE, SIDE, 4), np.uint8)
        pixels[..., 0] = np.arange(SIDE, dtype=np.uint8)[None, :]
        pixels[..., 3] = 200
        Image.fromarray(pixels, "RGBA").save(path, "PNG")
        return SIDE * SIDE * 4
    values = np.tile((np.arange(SIDE, dtype=np.float32)[None, :] // 500) * 0.4, (SIDE, 1))  # beyond [0, 1]
    Image.fromarray(values).save(path, "TIFF", compression="tiff_deflate")
    return SIDE * SIDE * 4


@pytest.mark.parametrize("kind", ["png16", "rgba", "float-tiff"])
@pytest.mark.slow
def test_decoding_a_small_file_of_many_pixels_takes_one_copy_of_the_pixels_at_most(kind, tmp_path):
    """Peak resident memory of a fresh interpreter decoding the file: about the decoded pixels once
    (the full-size conversions took 4–6 times that)."""
    path = tmp_path / f"big.{'tif' if kind == 'float-tiff' else 'png'}"
    decoded = _hostile(kind, path)
    assert path.stat().st_size < 2**20
    result = subprocess.run([sys.executable, "-c", PEAK, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["shape"] == [1024, 1024, 3]
    assert measured["peak_mb"] < 1.5 * decoded / 2**20 + 24, measured


def test_streamlit_refuses_uploads_over_the_apps_own_limit_before_receiving_them():
    text = (ROOT / ".streamlit" / "config.toml").read_text()  # (tomllib is Python 3.11+)
    server = re.search(r"^\[server\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert server, "no [server] section in .streamlit/config.toml"
    setting = re.search(r"^maxUploadSize\s*=\s*(\d+)\s*$", server.group(1), re.M)
    assert setting, "server.maxUploadSize is not set: Streamlit would buffer 200 MB uploads"
    assert int(setting.group(1)) * 2**20 == images.MAX_UPLOAD_BYTES
