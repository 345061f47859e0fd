"""A worker's messages to the server, sent from a thread of their own so that training never waits
for the server to read them.

A snapshot carries the whole run so far (a Fig 1.6 Quick run's last is ~590 KB: its 101 recorded
outputs, the loss and ΔF per step), more than a pipe holds, so sending one blocks until the server's
reader has taken it all; that reader needs the web process's GIL, which the page scripts hold while
they draw. Sent from the training loop, a snapshot that went out during a page's refresh held the run
up to 0.11 s (Fig 1.6 Quick, 2-core box; docs/development.md, Benchmarks).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class Outbox:
    """Sends the messages posted to it with ``send``, in the order posted, from its own thread. A
    snapshot still waiting when the next message is a newer snapshot is replaced by it (each one holds
    everything before it), so at most one waits behind the one being sent. An error of ``send`` is
    raised by the next :meth:`post`, and by :meth:`close`, which returns once everything posted has
    gone (a run whose last snapshot could not be sent has not ended well)."""

    def __init__(self, send: Callable[[tuple], None]):
        self._send = send
        self._waiting: deque[tuple] = deque()
        self._changed = threading.Condition()
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._deliver, name="fpengine-outbox", daemon=True)
        self._thread.start()

    def post(self, message: tuple) -> None:
        with self._changed:
            if self._error is not None:
                raise self._error
            if message[0] == "snapshot" and self._waiting and self._waiting[-1][0] == "snapshot":
                self._waiting[-1] = message
            else:
                self._waiting.append(message)
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _deliver(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closing:
                    self._changed.wait()
                if not self._waiting:
                    return
                message = self._waiting.popleft()
            try:
                self._send(message)
            except BaseException as error:  # noqa: BLE001 — the training thread raises it at its next post
                with self._changed:
                    self._error = error
                    self._waiting.clear()
                return
