"""A real `streamlit run app.py` on 127.0.0.1 and the chromium that drives it, shared by the browser
tests (tests/conftest.py) and the live benchmarks (scripts/bench_live_app.py, bench_classroom.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a fake camera that answers without asking (a test pattern; only a page that asks sees it)
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def chromium_path() -> str:
    """Debian's chromium (playwright cannot download its own browser here), unless $CHROMIUM names one."""
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int, log: IO[str] | None = None, timeout: float = 60, root: Path = ROOT) -> subprocess.Popen:
    """`streamlit run app.py` of the checkout ``root`` (default: this one) on 127.0.0.1:``port``,
    returned once its health check answers; its output goes to ``log`` (a file open for writing), or nowhere."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + timeout
    while server.poll() is None and time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    if server.poll() is None:
        stop_server(server)
        raise RuntimeError(f"streamlit did not answer on port {port} within {timeout:g} s")
    raise RuntimeError(f"streamlit exited with status {server.returncode}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
