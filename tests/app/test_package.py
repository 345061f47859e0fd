"""The project as installed by the set-up (scripts/setup.sh): the `fpengine` command, one list of
dependencies, and a Dask worker started from another folder that imports the package by itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from fpengine.registry import EXPERIMENTS
from fpengine.sweep.presets import SMALL_FAST_NET
from tests.cli_helpers import cli_here, within
from tests.conftest import ROOT, wait_until
from tests.live_server import free_port

BIN = Path(sys.executable).parent


def clean_env() -> dict[str, str]:
    """The environment a user's shell would give: no PYTHONPATH pointing at the checkout."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, "FPENGINE_THREADS": "1"}


@pytest.mark.slow
def test_the_fpengine_command_is_installed_and_lists_every_experiment(tmp_path):
    result = subprocess.run([str(BIN / "fpengine"), "list"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=clean_env())
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == list(EXPERIMENTS)


@pytest.mark.slow
def test_a_closed_pipe_ends_the_command_without_a_traceback(tmp_path):
    reader_gone = subprocess.run(
        f"'{BIN / 'fpengine'}' list | head -c 1 >/dev/null", shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in reader_gone.stderr, reader_gone.stderr


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_the_dependencies_are_listed_once_in_pyproject():
    """requirements*.txt only point back at the project: a package named there could disagree with pyproject."""
    assert requirement_lines(ROOT / "requirements.txt") == ["-e ."]
    assert requirement_lines(ROOT / "requirements-dev.txt") == ["-e .[dev]"]
    # the installed project's metadata, which pip built from pyproject.toml
    required = metadata.requires("fpengine") or []
    runtime = {re.split(r"[<>=!~; \[]", requirement)[0].lower() for requirement in required if "extra ==" not in requirement}
    dev = {re.split(r"[<>=!~; \[]", requirement)[0].lower() for requirement in required if 'extra == "dev"' in requirement}
    # packages the engine imports (pooch and platformdirs were once only in requirements.txt)
    assert {"torch", "streamlit", "pooch", "platformdirs", "distributed", "tqdm"} <= runtime
    assert {"pytest", "pytest-xdist", "playwright", "ruff"} <= dev


def test_the_setup_installs_from_pyproject_only():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "-r requirements" not in setup
    assert 'install --quiet -e ".[dev]"' in setup and "install --quiet -e ." in setup


@pytest.fixture
def dask_cluster_elsewhere(tmp_path):
    """`dask scheduler` and `dask worker` as a user starts them, from a folder outside the checkout and
    without PYTHONPATH, on 127.0.0.1; stopped after the test."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "dask.log", "w")
    common = dict(cwd=elsewhere, env=clean_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **common)
    worker = subprocess.Popen(
        [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], **common
    )
    try:
        from distributed import Client

        def one_worker():
            with Client(address, timeout=5) as client:
                return len(client.scheduler_info()["workers"]) == 1

        wait_until(lambda: scheduler.poll() is None and worker.poll() is None and _quietly(one_worker), timeout=90, interval=0.5)
        yield address, elsewhere
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _quietly(check) -> bool:
    try:
        return check()
    except OSError:
        return False


@pytest.mark.slow
def test_a_dask_worker_started_elsewhere_without_pythonpath_runs_the_cells(dask_cluster_elsewhere, tmp_path):
    address, elsewhere = dask_cluster_elsewhere
    settings = (*SMALL_FAST_NET, "training.steps=100", "target.frequencies=1", "target.amplitudes=1")
    # the client runs in this process (from the checkout); only the worker has to find the package on its own
    result = within(
        180,
        cli_here,
        "sweep",
        "sine-fit",
        "--seeds",
        "2",
        "--scheduler",
        address,
        "--out",
        str(tmp_path / "out"),
        *(arg for item in settings for arg in ("--set", item)),
        "--no-figures",
        "--quiet",
        env={"FPENGINE_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["complete"], report
    rows = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",done," in row for row in rows[1:]), rows
