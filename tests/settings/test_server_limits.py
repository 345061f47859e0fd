"""Every FPENGINE_* server setting is bounded by what the machine can do, and each refusal is worded
for where it is read (issue 20, finding 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fpengine.settings.config import ConfigError
from fpengine.settings.environment import MAX_THREADS_PER_CORE, cores, env_number
from fpengine.sweep.background import SweepManager
from fpengine.sweep.definition import SweepError
from tests.cli_helpers import assert_refused, cli_here
from tests.sweep.test_background import small, thread_pool


@pytest.mark.parametrize("value", ["10000000000", "1000000", str(MAX_THREADS_PER_CORE * cores() + 1)])
def test_too_many_threads_are_refused_in_one_line(tmp_path, value):
    result = cli_here("run", "sine-fit", "--out", str(tmp_path / "run"), "--set", "training.steps=5", env={"FPENGINE_THREADS": value})
    err = assert_refused(result, "FPENGINE_THREADS", repr(value), f"[1, {MAX_THREADS_PER_CORE * cores()}]")
    assert not (tmp_path / "run" / "summary.json").exists(), err


@pytest.mark.parametrize(
    ("name", "value"),
    [("FPENGINE_MAX_RUNNING", "1000000"), ("FPENGINE_KEEP_FINISHED", "100000"), ("FPENGINE_LEASE_SECONDS", "1e300")],
)
def test_the_servers_run_settings_have_a_maximum(monkeypatch, name, value):
    from ui.common import job_manager

    monkeypatch.setenv(name, value)
    job_manager.clear()
    try:
        with pytest.raises(ConfigError) as refused:
            job_manager()
    finally:
        job_manager.clear()
    assert refused.value.message("en").startswith(f"{name} must be a") and repr(value) in refused.value.message("en")


def test_a_number_at_its_maximum_is_taken_and_one_more_refused(monkeypatch):
    monkeypatch.setenv("FPENGINE_TEST", "8")
    assert env_number("FPENGINE_TEST", 1, minimum=1, maximum=8) == 8
    monkeypatch.setenv("FPENGINE_TEST", "9")
    with pytest.raises(ConfigError) as refused:
        env_number("FPENGINE_TEST", 1, minimum=1, maximum=8)
    assert str(refused.value) == "FPENGINE_TEST must be a whole number in [1, 8]; got '9'"


def test_a_lab_sweep_into_an_unusable_runs_folder_names_the_servers_setting_not_the_cli_option():
    manager = SweepManager(
        Path("/dev/null/sweeps"), Path("/dev/null"), max_cells=50, workers=1, figures=False, pool_opener=thread_pool, lease_seconds=None
    )
    try:
        with pytest.raises(SweepError) as refused:
            manager.start(small(), device="cpu")
    finally:
        manager.shutdown()
    for lang in ("en", "zh"):
        message = refused.value.message(lang)
        assert "FPENGINE_RUNS_DIR" in message and "--out" not in message and "\n" not in message, message
