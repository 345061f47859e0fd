"""Worker processes do not run the parent's main script: in a Streamlit server that is the app, which
Streamlit runs as ``__main__`` (a worker ran the whole app in bare mode before it could train). Real
processes: the app's run workers and the sweeps' local pool."""

from __future__ import annotations

import os
import sys
import types

import pytest

from fpengine.engine.workers import LocalWorkers
from fpengine.registry import get_experiment
from fpengine.sweep.executors import RestartingProcessPool

pytestmark = pytest.mark.slow  # starts worker processes


@pytest.fixture
def script_as_main(tmp_path, monkeypatch):
    """``__main__`` as Streamlit's script runner leaves it: a module of a script file, which here
    leaves a mark when it runs."""
    mark = tmp_path / "ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(mark)!r}, 'a').write('ran')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    yield mark
    assert sys.modules["__main__"] is main  # put back after each start


def test_a_run_worker_does_not_run_the_main_script(script_as_main):
    pool = LocalWorkers(1, get_experiment)
    try:
        pool.warm().join()
        (worker,) = pool._idle
        assert worker.connection.poll(120) and worker.connection.recv()[0] == "ready"
    finally:
        pool.close()
    assert not script_as_main.exists()


def test_a_sweep_pool_worker_does_not_run_the_main_script(script_as_main):
    pool = RestartingProcessPool(1)
    try:
        assert pool.submit(os.getpid).result(timeout=120) != os.getpid()
    finally:
        pool.shutdown()
    assert not script_as_main.exists()
