"""The picture a config's ``image`` names: a built-in, a file, or a visitor's upload.

Uploaded pictures (files or camera photos) stay in this process's memory, named in the config as
``upload:<digest>``; runs on them are private and not saved to the server's run folder (``Experiment.private``).

The store holds an upload only as long as something needs it: it keeps weak references, and the
visitor's session (its current photo) and each run on the photo (``Job.holds``) keep the picture
itself. So a photo lives exactly as long as its visitor's session or a run needs it, the store has no
server-wide count to overflow, and a picture is named per visitor (the digest covers the visitor's
token): two visitors with the same picture have two entries, and one's Forget leaves the other's.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from fpengine.image.pictures import BUILTIN_IMAGES, Picture, read_image_file
from fpengine.settings.schema import ConfigError, OneOf

UPLOAD_PREFIX = "upload:"

_uploads: weakref.WeakValueDictionary[str, Picture] = weakref.WeakValueDictionary()
_lock = threading.Lock()


def remember_upload(picture: Picture, owner: str = "") -> str:
    """Make a decoded upload of ``owner`` (a visitor's token) reachable by the name a config uses
    for it, while the caller (or a run) keeps ``picture``; returns that name."""
    digest = hashlib.sha256(owner.encode() + b"\0" + picture.pixels.tobytes()).hexdigest()[:16]
    name = UPLOAD_PREFIX + digest
    with _lock:
        _uploads[name] = picture
    return name


def upload_of(name: str) -> Picture | None:
    """The upload ``name`` while it is remembered; None once it is forgotten or nothing holds it."""
    with _lock:
        return _uploads.get(name)


def lend_upload(name: str, picture: Picture) -> None:
    """Make ``picture`` reachable as ``name`` in this process (a worker training a run on a visitor's
    photo, which arrived in memory with the run), while the caller keeps it."""
    with _lock:
        _uploads[name] = picture


def forget_upload(name: str) -> None:
    with _lock:
        _uploads.pop(name, None)


def is_upload(image: str) -> bool:
    return image.startswith(UPLOAD_PREFIX)


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def camera_allowed(url: str | None) -> bool:
    """Whether a browser lets the page at ``url`` use the camera: only in a secure context, that is
    over HTTPS or from this machine. Unknown (None: no browser, as in AppTest) counts as allowed."""
    if url is None:
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" or host in LOCAL_HOSTS or host.endswith(".localhost")


def is_picture_file(image: str) -> bool:
    """Whether ``image`` is a path to a regular file (a name too long for the file system is not)."""
    try:
        return Path(image).is_file()
    except (OSError, ValueError):
        return False


def check_source(image: str) -> None:
    """ConfigError naming ``image`` unless it is a built-in picture, an upload or a file."""
    if not (image in BUILTIN_IMAGES or is_upload(image) or is_picture_file(image)):
        raise ConfigError("image", "image.setting.unknown_picture", image, rule=OneOf(BUILTIN_IMAGES))


def load_source(image: str) -> Picture | str:
    """A built-in name as is; an upload from memory; anything else is a file path, decoded.
    ConfigError naming ``image`` if it is none of these or cannot be read; ImageError if the
    file is not a usable picture."""
    if image in BUILTIN_IMAGES:
        return image
    if is_upload(image):
        picture = upload_of(image)
        if picture is None:
            raise ConfigError("image", "image.setting.upload_gone")
        return picture
    check_source(image)
    try:
        return read_image_file(Path(image))
    except OSError as error:
        raise ConfigError("image", "image.setting.unreadable", image, reason=error.strerror or str(error)) from None
