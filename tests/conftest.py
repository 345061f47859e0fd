"""Shared fixtures: a quiet single-threaded engine, a private runs directory, AppTest with clean
process-wide state, and a real Streamlit server + Debian chromium for the browser tests."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pytest

from tests.live_server import CHROMIUM_ARGS, chromium_path, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"

os.environ.setdefault("FPENGINE_THREADS", "1")
# one OpenMP/BLAS thread in every test process (read when torch and numpy load, so before any test
# module imports them): tests/oned/test_experiment.py alone under `-n 4` spent 506 CPU-s with torch's
# default two threads a process, against 104 serially (its book presets 114 CPU-s each instead of 20),
# as four processes' spinning thread pairs fought over two cores. (The whole suite was spared only
# because some other test modules set one thread as they were collected.)
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("FPENGINE_SAVE_FIGURES", "0")
os.environ.setdefault(
    "FPENGINE_WORKERS", "0"
)  # runs train in the test's process (many tests stand in for an experiment); tests of the worker placement set their own


def _scan_component_manifests_once() -> None:
    """Every new AppTest scans every installed distribution's metadata for Streamlit components
    (``streamlit.components.v2.manifest_scanner``: ~0.2 s of CPU each time on the 2-core box, once per
    AppTest, and the suite makes hundreds); the installed packages do not change while a test process
    runs, so one scan per process serves them all. (The real server scans once at start anyway.)"""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


_scan_component_manifests_once()

BROWSER_FIXTURES = frozenset({"page", "streamlit_server", "fresh_streamlit_server"})
"""A test that uses one of these drives a real Streamlit server or chromium: it is marked ``browser``,
so ``pytest -m "not browser"`` is the quick loop."""


SLOW_FIXTURES = BROWSER_FIXTURES | {"app_test"}
"""A test that uses one of these runs the app's scripts (AppTest: seconds a check) or a real server: it
is marked ``slow`` too, beside the tests marked by hand that start processes or train for seconds, so
``pytest -m "not slow"`` is the quickest loop."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        if BROWSER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.browser)


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (run_tests.sh) the real-browser tests go to one worker, as one unit: one app
    server and one chromium serve them all, and no two of them load the box at once. (Split in two
    units, tests/app/ and the rest, each with its own server and chromium, the suite took 9 min 49 s
    and 720 s of user CPU on the 2-core box, against 8 min 59 s and 666 s as one unit: the second
    server and browser cost more than the parallel chain saved.) (xdist's own ``--dist loadgroup``
    marks groups by rewriting a node id that pytest 9 no longer lets it change.) A browser test is
    parametrized by pytest-playwright with its browser: ``[chromium]``."""
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "browser" if "[chromium" in nodeid else nodeid

    return BrowserTestsTogether(config, log)


@pytest.fixture(autouse=True)
def runs_dir(tmp_path_factory, monkeypatch) -> Path:
    """Every test saves runs into its own folder, never into the user's cache."""
    directory = tmp_path_factory.mktemp("runs")
    monkeypatch.setenv("FPENGINE_RUNS_DIR", str(directory))
    return directory


@pytest.fixture
def app_test():
    """Factory for AppTest instances; stops every job they started and clears cached resources."""
    from streamlit.testing.v1 import AppTest

    from ui.common import job_manager

    job_manager.clear()

    def make(timeout: float = 60) -> AppTest:
        return AppTest.from_file(str(APP), default_timeout=timeout)

    yield make
    job_manager().shutdown()
    job_manager.clear()


def open_app_page(make_app_test, page: str, lang: str = "en"):
    """An AppTest of the whole app (``make_app_test`` is the ``app_test`` fixture), switched to the
    page file ``page`` (relative to app.py) in language ``lang``; fails on any exception."""
    at = make_app_test()
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def wait_until(condition, timeout: float = 30.0, interval: float = 0.05):
    """Poll ``condition`` until it returns a truthy value; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def _serve(tmp_path_factory):
    """A real `streamlit run app.py` on a free port, with its own runs folder; yields its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "FPENGINE_RUNS_DIR": str(tmp_path_factory.mktemp("server_runs")), "FPENGINE_THREADS": "1"}
    with open(log_path, "w") as log:
        try:
            server = start_server(env, port, log)
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{log_path.read_text()}") from None
    yield f"http://127.0.0.1:{port}"
    stop_server(server)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """The app server shared by the browser tests."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_streamlit_server(tmp_path_factory):
    """A server of the module's own, for a test that must not share the machine with runs and
    sessions that other browser tests left behind."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="session")
def warm_browser_context(browser, browser_context_args):
    """The one chromium context (profile) that the browser tests' pages open in: see ``context``."""
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()


@pytest.fixture
def context(warm_browser_context):
    """pytest-playwright's per-test context (so its ``page``), made a new visitor of the one warm
    context. In a fresh context every first page load parsed and compiled Streamlit's JavaScript anew:
    a Fig 1.6 page cost chromium 4.7 CPU-s against 3.4 in a context that had loaded it before (four
    loads each, alternated). The visitor is the XSRF cookie (ui/run_panel.py ``visitor``), so the
    cookies are cleared before and after each test; a test that needs two visitors at once opens a
    second context of its own. A test sets its own viewport (``page.set_viewport_size``) and
    permissions (``context.grant_permissions``)."""
    warm_browser_context.clear_cookies()
    warm_browser_context.clear_permissions()
    yield warm_browser_context
    for page in list(warm_browser_context.pages):
        page.close()
    warm_browser_context.clear_cookies()
    warm_browser_context.clear_permissions()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}
