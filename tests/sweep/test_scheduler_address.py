"""``--scheduler`` at something that is not a Dask scheduler: one line, exit 2, within the promised
time (issue 20, finding 10). ``fpengine sweep`` against small local servers: a real process against
the silent one (the whole command ends, exit code and stderr), the others through its ``main`` here."""

from __future__ import annotations

import contextlib
import http.server
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from fpengine.sweep.executors import CONNECT_TIMEOUT_S
from tests.cli_helpers import assert_refused, cli_here, within
from tests.sweep.test_sweep import sweep_cli

pytestmark = pytest.mark.slow  # a real process, and waits on silent servers

BOUND_S = 6 * CONNECT_TIMEOUT_S
"""A generous bound for the whole command (interpreter start included) on a busy machine; before the
fix a silent server held it for over 400 s. Not a timing assertion: the command must end at all."""


@contextlib.contextmanager
def talking_server(banner: bytes = b"") -> Iterator[int]:
    """Greets every connection with ``banner`` (as SSH or SMTP servers do) and keeps it open; with no
    banner, a port that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                connection = listener.accept()[0]
                if banner:
                    connection.sendall(banner)
                held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@contextlib.contextmanager
def http_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_within_bound(address: str, tmp_path, process: bool = False) -> str:
    """The command refuses ``address`` with one line and exit 2, within ``BOUND_S``: in a real process
    (``process``), else through its ``main`` in this process (what it says, without a torch import)."""
    args = ("sine-fit", "--out", str(tmp_path / "a"), "--steps", "100", "--scheduler", address)
    if process:
        try:
            result = sweep_cli(*args, timeout=BOUND_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"--scheduler {address} still had no answer after {BOUND_S} s")
    else:
        result = within(BOUND_S, cli_here, "sweep", *args)
    assert not (tmp_path / "a").exists()  # nothing written before the cluster answered
    return assert_refused(result, f"scheduler {address}")


def test_an_address_that_accepts_but_never_answers(tmp_path):
    with talking_server() as port:
        err = refused_within_bound(f"tcp://127.0.0.1:{port}", tmp_path, process=True)
    assert f"no answer within {CONNECT_TIMEOUT_S} s" in err


def test_a_port_answering_http(tmp_path):
    with http_server() as port:
        refused_within_bound(f"tcp://127.0.0.1:{port}", tmp_path)


def test_a_server_that_speaks_first_but_not_dask(tmp_path):
    with talking_server(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        err = refused_within_bound(f"127.0.0.1:{port}", tmp_path)
    assert "does not speak Dask's protocol" in err


@pytest.mark.parametrize("address", ["tls://127.0.0.1:1", "ucx://127.0.0.1:1", "ws://127.0.0.1:1"])
def test_transports_other_than_tcp(tmp_path, address):
    err = refused_within_bound(address, tmp_path)
    assert "only tcp:// addresses" in err
