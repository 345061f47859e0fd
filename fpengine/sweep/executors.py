"""Where cells run: one ``concurrent.futures.Executor`` interface for a local process pool and a
Dask cluster (``distributed``'s ``Client.get_executor``), so the sweep code is the same on both."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from fpengine.engine.workers import WorkersWatch, main_script_hidden, worker_context
from fpengine.sweep.definition import SweepError

DASK_RETRIES = 2
"""A cell whose worker died is run again on another worker this many times (on a cluster, by Dask;
on the local pool, by the sweep: ``run.WORKER_DEATH_RETRIES``)."""
CONNECT_TIMEOUT_S = 10
"""Everything about reaching a scheduler (connecting, its handshake) takes at most this long."""
MAX_HANDSHAKE_BYTES = 1 << 16
"""A Dask scheduler's first message (its handshake) is a few hundred bytes; what claims more is not one
(an HTTP server's reply read as a frame length asked Dask for 3 EiB)."""
MAX_WORKERS = 256


def default_workers() -> int:
    """One worker per core, less one for the machine itself (the parent, a browser, the app)."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class Pool:
    executor: Executor
    workers: int
    where: str
    """For the progress line and sweep.json: ``local pool`` or the scheduler's address."""
    check: Callable[[int], None] | None = None
    """Called while the sweep waits, with the number of cells left; raises SweepError when the pool
    can no longer run them (a cluster whose workers all left)."""


def scheduler_address(option: str | None) -> str | None:
    """``--scheduler`` or, when it is not given, ``$DASK_SCHEDULER_ADDRESS``."""
    return option or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


@contextlib.contextmanager
def open_pool(workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """A local pool of ``workers`` processes, or the Dask cluster at ``scheduler``. The pool is
    shut down on leaving, cancelling what has not started (Ctrl-C leaves no cell queued)."""
    if scheduler:
        with _dask_pool(scheduler) as pool:
            yield pool
        return
    count = default_workers() if workers is None else workers
    if not 1 <= count <= MAX_WORKERS:
        raise SweepError("sweep.error.workers", most=MAX_WORKERS, count=count)
    executor = RestartingProcessPool(count)
    try:
        yield Pool(executor, count, "local pool")
    finally:
        executor.shutdown()


class RestartingProcessPool(Executor):
    """A local process pool that outlives a dead worker. The standard pool is broken for good once
    a worker dies (killed, out of memory) and fails every cell it holds with BrokenProcessPool;
    the sweep runs those cells again, and this pool then starts afresh for them."""

    def __init__(self, workers: int):
        self._workers = workers
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=worker_context(), initializer=_ignore_interrupts)

    def submit(self, fn, /, *args, **kwargs):
        with main_script_hidden():  # the pool starts its processes in submit
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                _stop_local(self._pool)
                self._pool = self._start()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        _stop_local(self._pool)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent (a terminal sends it to the whole process group), which
    stops them; otherwise every idle worker would die printing a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_local(executor: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for running cells (after Ctrl-C their results are not
    wanted). Python 3.11's pool fails on a cancelled task it still lists when a worker is killed,
    so the kill waits (≤ 2 s) until the pool has dropped the cancelled tasks."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 2
    pending = getattr(executor, "_pending_work_items", {})
    while time.monotonic() < deadline and any(not item.future.running() for item in list(pending.values())):
        time.sleep(0.02)
    for process in processes:
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=True)


def _probe_scheduler(address: str, deadline: float) -> None:
    """Check, before Dask is given ``address``, that a Dask scheduler answers there: a ``tcp://``
    address (other transports need settings ``--scheduler`` cannot carry), a connection, and within
    the deadline the handshake a scheduler sends first, framed as Dask frames it. Dask itself waits
    for that handshake without a time limit and trusts the frame length it reads."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location, 8786)
    except (ValueError, TypeError) as error:
        raise SweepError("sweep.error.unreachable", address=address, reason=_reason(error)) from None
    if scheme != "tcp":
        raise SweepError("sweep.error.scheduler_scheme", address=address, scheme=scheme)

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer within {CONNECT_TIMEOUT_S} s")
        return remaining

    def receive(connection: socket.socket, count: int) -> bytes:
        data = b""
        while len(data) < count:
            connection.settimeout(left())
            chunk = connection.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the connection was closed before a Dask handshake")
            data += chunk
        return data

    try:
        with socket.create_connection((host, int(port)), timeout=left()) as connection:
            (length,) = struct.unpack("<Q", receive(connection, 8))
            if not 0 < length <= MAX_HANDSHAKE_BYTES:
                raise ConnectionError("what answers there does not speak Dask's protocol")
            receive(connection, length)
    except TimeoutError:
        raise SweepError("sweep.error.unreachable", address=address, reason=f"no answer within {CONNECT_TIMEOUT_S} s") from None
    except (OSError, ValueError, OverflowError) as error:
        raise SweepError("sweep.error.unreachable", address=address, reason=_reason(error)) from None


def check_scheduler(address: str) -> None:
    """SweepError unless a Dask scheduler answers at ``address`` within ``CONNECT_TIMEOUT_S`` (the app's
    run placement asks this before it connects, as sweeps do)."""
    _probe_scheduler(address, time.monotonic() + CONNECT_TIMEOUT_S)


@contextlib.contextmanager
def _dask_pool(address: str) -> Iterator[Pool]:
    try:
        from distributed import Client
    except ImportError:  # requirements.txt lists it; a trimmed environment may not have it
        raise SweepError("sweep.error.no_distributed", address=address) from None
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    _probe_scheduler(address, deadline)
    try:
        client = Client(address, timeout=max(1.0, deadline - time.monotonic()))
    except (OSError, TimeoutError, ValueError) as error:
        raise SweepError("sweep.error.unreachable", address=address, reason=_reason(error)) from None
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        if workers == 0:
            raise SweepError("sweep.error.no_workers", address=address)
        # pure=False: two cells with equal arguments are still two tasks (never happens: the seed differs)
        yield Pool(client.get_executor(retries=DASK_RETRIES, pure=False), workers, address, _stop_when_workers_gone(client, address))
    finally:
        client.close()


def _stop_when_workers_gone(client: Any, address: str) -> Callable[[int], None]:
    """A Dask pool's ``check``: SweepError once its cluster has had no worker for ``DASK_WORKERS_GONE_S``."""
    watch = WorkersWatch(client)

    def check(cells_left: int) -> None:
        if watch.gone():
            raise SweepError("sweep.error.workers_gone", address=address, seconds=watch.limit, cells=cells_left)

    return check


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
