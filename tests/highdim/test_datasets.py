"""Datasets: the offline ones load for real; downloads are served by a local HTTP server made
here, never by the internet."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from fpengine.highdim import datasets
from fpengine.highdim.datasets import (
    ChecksumMismatch,
    DatasetUnavailable,
    RemoteFile,
    fetch,
    is_cached,
    load_dataset,
)
from tests.highdim.offline import closed_port_url


def test_mnist_5k_is_real_shuffled_and_split() -> None:
    data = load_dataset("mnist-5k")
    assert data.train_images.shape == (4000, 1, 28, 28)
    assert data.test_images.shape == (1000, 1, 28, 28)
    assert data.train_images.dtype == np.uint8 and data.train_images.max() == 255
    # the file is sorted by label; the fixed shuffle mixes the classes into every prefix
    assert len(set(data.train_labels[:50].tolist())) == 10
    assert np.bincount(np.concatenate([data.train_labels, data.test_labels])).tolist() == [500] * 10
    split = data.split(300, 100)
    assert split.x_train.shape == (300, 1, 28, 28) and split.x_train.dtype == np.float32
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert split.flat_train().shape == (300, 784)
    assert split.n_classes == 10 and split.image_shape == (1, 28, 28)
    assert load_dataset("mnist-5k") is data  # loaded once per process
    with pytest.raises(ValueError):
        data.train_images[0, 0, 0, 0] = 1


def test_digits_scale_by_16() -> None:
    data = load_dataset("digits")
    assert data.train_images.shape == (1500, 1, 8, 8) and len(data.test_labels) == 297
    split = data.split(1500, 297)
    assert split.x_train.max() == 1.0
    np.testing.assert_allclose(split.x_train[0, 0] * 16, data.train_images[0, 0])


def test_split_rejects_impossible_sizes() -> None:
    data = load_dataset("digits")
    with pytest.raises(ValueError, match="1500 training images"):
        data.split(1501, 10)
    with pytest.raises(ValueError, match="test images"):
        data.split(10, 0)


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(DatasetUnavailable, match="unknown dataset"):
        load_dataset("imagenet")
    assert not is_cached("imagenet")


def test_cache_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FPENGINE_CACHE_DIR", str(tmp_path / "c"))
    assert datasets.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("FPENGINE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "fpengine"


# --- files and servers made by the tests ------------------------------------------------------


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _fake_idx_files(folder: Path, n_train: int = 12, n_test: int = 5) -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    contents = {
        "train-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte.gz": _idx(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": _idx(np.arange(n_test) % 10),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in contents.items():
        (folder / name).write_bytes(blob)
    return contents


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path):
    """(folder, base_url): an HTTP server on a free local port serving ``folder``."""
    folder = tmp_path / "served"
    folder.mkdir()

    def handler(*args, **kwargs):
        return _QuietHandler(*args, directory=str(folder), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_download_over_http_reports_progress(served, tmp_path: Path) -> None:
    folder, base = served
    blob = bytes(range(256)) * 1000
    (folder / "blob.bin").write_bytes(blob)
    calls: list[tuple[str, int, int | None]] = []
    path = fetch(RemoteFile("blob.bin", _sha(blob), (base + "blob.bin",)), tmp_path / "cache", lambda *a: calls.append(a))
    assert path.read_bytes() == blob
    assert calls[0] == ("blob.bin", 0, len(blob)) and calls[-1] == ("blob.bin", len(blob), len(blob))
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)


def test_corrupted_download_is_a_clear_error_and_never_cached(served, tmp_path: Path) -> None:
    folder, base = served
    good = b"the real archive" * 500
    (folder / "archive.gz").write_bytes(good[:-1] + b"X")
    remote = RemoteFile("archive.gz", _sha(good), (base + "archive.gz",))
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumMismatch, match="corrupted.*nothing was cached") as raised:
        fetch(remote, cache)
    assert raised.value.dataset == "archive.gz"
    assert list(cache.iterdir()) == []  # neither the file nor a partial download stays
    (folder / "archive.gz").write_bytes(good)  # the server is fixed: the next try succeeds
    assert fetch(remote, cache).read_bytes() == good


def test_next_mirror_is_tried_when_one_fails(served, tmp_path: Path) -> None:
    folder, base = served
    blob = b"mirror two"
    (folder / "f.bin").write_bytes(blob)
    remote = RemoteFile("f.bin", _sha(blob), (base + "missing/f.bin", base + "f.bin"))
    assert fetch(remote, tmp_path / "cache").read_bytes() == blob


def test_offline_download_says_what_to_do(tmp_path: Path) -> None:
    remote = RemoteFile("f.bin", "0" * 64, (closed_port_url() + "f.bin",))
    with pytest.raises(DatasetUnavailable) as raised:
        fetch(remote, tmp_path / "cache")
    assert not isinstance(raised.value, ChecksumMismatch)
    assert "could not download" in str(raised.value) and "mnist-5k" in str(raised.value)
    assert not (tmp_path / "cache" / "f.bin").exists()


def test_mnist_download_parse_and_cache(served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source, base = served
    contents = _fake_idx_files(source)
    remotes = tuple(RemoteFile(n, _sha(b), (base + n,)) for n, b in contents.items())
    monkeypatch.setitem(datasets.REMOTE_SOURCES, "mnist", remotes)
    cache = tmp_path / "cache"
    assert not is_cached("mnist", cache)
    seen: set[str] = set()
    data = load_dataset("mnist", cache, lambda name, done, total: seen.add(name))
    assert seen == set(contents)
    assert data.train_images.shape == (12, 1, 28, 28) and data.test_images.shape == (5, 1, 28, 28)
    assert data.train_labels.tolist() == [i % 10 for i in range(12)]
    assert data.classes[3] == "3" and data.pixel_max == 255.0
    assert is_cached("mnist", cache)
    for path in source.iterdir():  # the source is gone: the parsed cache serves the next load
        path.unlink()
    again = load_dataset("mnist", cache)
    np.testing.assert_array_equal(again.train_images, data.train_images)


def test_unreadable_verified_file_is_reported(served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source, base = served
    contents = _fake_idx_files(source)
    contents["train-labels-idx1-ubyte.gz"] = gzip.compress(b"\x00\x00\x0d\x01garbage")
    (source / "train-labels-idx1-ubyte.gz").write_bytes(contents["train-labels-idx1-ubyte.gz"])
    remotes = tuple(RemoteFile(n, _sha(b), (base + n,)) for n, b in contents.items())
    monkeypatch.setitem(datasets.REMOTE_SOURCES, "fashion-mnist", remotes)
    with pytest.raises(DatasetUnavailable, match="cannot be read"):
        load_dataset("fashion-mnist", tmp_path / "cache")


def _cifar_archive(n_per_batch: int) -> bytes:
    rng = np.random.default_rng(2)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8), b"labels": list(range(n_per_batch))}
            blob = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


def test_cifar10_archive_is_parsed(served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder, base = served
    blob = _cifar_archive(4)
    (folder / "cifar.tgz").write_bytes(blob)
    remote = RemoteFile("cifar-10-python.tar.gz", _sha(blob), (base + "cifar.tgz",))
    monkeypatch.setitem(datasets.REMOTE_SOURCES, "cifar10", (remote,))
    data = load_dataset("cifar10", tmp_path / "cache")
    assert data.train_images.shape == (20, 3, 32, 32) and data.test_images.shape == (4, 3, 32, 32)
    assert data.train_labels.tolist() == [0, 1, 2, 3] * 5
    assert data.classes[8] == "ship"


def test_idx_header_is_checked() -> None:
    with pytest.raises(ValueError, match="IDX"):
        datasets._parse_idx(b"\x00\x00\x0d\x01\x00\x00\x00\x01")
    with pytest.raises(ValueError, match="payload"):
        datasets._parse_idx(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"abc")


def test_a_download_stopped_midway_leaves_nothing_in_the_cache(served, tmp_path: Path) -> None:
    """Stop pressed during a download (the progress callback raises): no partial file is kept."""
    folder, base = served
    blob = bytes(range(256)) * 1000
    (folder / "big.bin").write_bytes(blob)

    class Stopped(Exception):
        pass

    def stop_after_first_chunk(name: str, done: int, total: int | None) -> None:
        if done > 0:
            raise Stopped

    cache = tmp_path / "cache"
    with pytest.raises(Stopped):
        fetch(RemoteFile("big.bin", _sha(blob), (base + "big.bin",)), cache, stop_after_first_chunk)
    assert list(cache.iterdir()) == []
    assert fetch(RemoteFile("big.bin", _sha(blob), (base + "big.bin",)), cache).read_bytes() == blob
