"""The picture a config's ``image`` names: a built-in, a file, or a visitor's upload.

Uploaded pictures (files or camera photos) stay in this process's memory (:func:`remember_upload`), named in the config as
``upload:<digest>``; runs on them are not saved to the server's run folder (``Experiment.keeps_run``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlsplit

from fpengine.image.pictures import BUILTIN_IMAGES, Picture, read_image_file
from fpengine.settings.schema import ConfigError, OneOf

UPLOAD_PREFIX = "upload:"
MAX_UPLOADS = 16

_uploads: OrderedDict[str, Picture] = OrderedDict()


def remember_upload(picture: Picture) -> str:
    """Keep a decoded upload in memory (at most ``MAX_UPLOADS``, oldest dropped); returns the name
    a config uses for it."""
    name = UPLOAD_PREFIX + hashlib.sha256(picture.pixels.tobytes()).hexdigest()[:16]
    _uploads[name] = picture
    _uploads.move_to_end(name)
    while len(_uploads) > MAX_UPLOADS:
        _uploads.popitem(last=False)
    return name


def forget_upload(name: str) -> None:
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
        if image not in _uploads:
            raise ConfigError("image", "image.setting.upload_gone")
        return _uploads[image]
    check_source(image)
    try:
        return read_image_file(Path(image))
    except OSError as error:
        raise ConfigError("image", "image.setting.unreadable", image, reason=error.strerror or str(error)) from None
