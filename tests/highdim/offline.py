"""A download address that refuses every connection, as a machine without internet does."""

from __future__ import annotations

import socket


def closed_port_url() -> str:
    """``http://127.0.0.1:<port>/`` of a port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
