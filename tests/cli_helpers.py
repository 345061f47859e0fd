"""Running ``fpengine``'s command line from a test: as a real process (``cli``: exit codes, stderr and
what a fresh interpreter does, at the price of importing torch again, seconds a call) or in this
process (``cli_here``: the same ``main`` with its output captured, for what the CLI says and returns)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from fpengine.cli import main
from tests.conftest import ROOT


def cli(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m fpengine ARGS`` in a fresh process (cwd: the checkout); ``env`` adds to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "fpengine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )


@contextmanager
def environment(values: dict[str, str] | None):
    """``os.environ`` with ``values`` set, restored after."""
    saved = {name: os.environ.get(name) for name in values or {}}
    os.environ.update(values or {})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cli_here(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``fpengine ARGS`` through ``main`` in this process, stdout and stderr captured: what a process
    would print and return, without its start-up. An exception escapes (a traceback is a failure)."""
    out, err = io.StringIO(), io.StringIO()
    with environment(env), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's own usage errors
            code = exit.code
    return subprocess.CompletedProcess(["fpengine", *args], code, out.getvalue(), err.getvalue())


def assert_refused(result: subprocess.CompletedProcess, *named: str) -> str:
    """Exit 2 and one line on stderr, "error: …", naming each of ``named``; no traceback, no training."""
    err = result.stderr.strip()
    assert result.returncode == 2, result.stderr
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    assert "steps/s" not in result.stderr  # the progress bar: training never started
    for name in named:
        assert name in err, err
    return err


def within(seconds: float, call, *args, **kwargs):
    """``call(*args, **kwargs)`` in a thread, failed when it has not returned within ``seconds``: what
    a real process's timeout gives a command run in this process (``cli_here``) that may wait on the
    network (a Dask worker that cannot unpickle the cells leaves the client waiting)."""
    outcome: list = []

    def target() -> None:
        try:
            outcome.append((True, call(*args, **kwargs)))
        except BaseException as error:  # raised again in the test
            outcome.append((False, error))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"no answer within {seconds} s (see the test's dask.log)"
    done, value = outcome[0]
    if not done:
        raise value
    return value
