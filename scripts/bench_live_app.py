"""Live app vs headless throughput: does watching a run in the browser slow its training?

Starts `streamlit run app.py`, opens the Fig 1.6 page in Debian's chromium (playwright), presses
Start on the Quick preset and reads the finished run's steps/s from its summary.json; runs the same
config headless (`python -m fpengine run equal-amplitude`) before and after, and prints one JSON line
with the ratio, and the server's share of the work: the CPU time the server process used while the
watched run trained, against the CPU time its worker processes (its descendants) used (issue 22's
acceptance: at most 0.25; with `FPENGINE_WORKERS=0` the server trains itself and has no workers).
Needs the dev requirements (`bash run_tests.sh` installs them).

    .venv/bin/python scripts/bench_live_app.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live_server import CHROMIUM_ARGS, chromium_path, start_server, stop_server  # noqa: E402

PORT = 8790


def headless(env: dict, out: Path) -> float:
    result = subprocess.run(
        [sys.executable, "-m", "fpengine", "run", "equal-amplitude", "--out", str(out), "--quiet", "--no-figures"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])["steps_per_second"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the fork server and its workers)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


SHARE: dict[str, float] = {}


def live(env: dict, runs: Path) -> float:
    server = start_server(env, PORT)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{PORT}/equal-amplitude")
            start = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Start", exact=True)
            start.wait_for(timeout=120_000)
            time.sleep(5)  # the worker pool warms up with the first page view (the fork server imports torch)
            workers = descendants(server.pid)
            server_before, workers_before = cpu_seconds(server.pid), {pid: cpu_seconds(pid) for pid in workers}
            workers_now = dict(workers_before)
            start.click()
            deadline = time.monotonic() + 900
            while not list(runs.glob("*/summary.json")):
                if time.monotonic() > deadline:
                    raise TimeoutError("the live run did not finish")
                workers_now = {pid: cpu_seconds(pid) for pid in descendants(server.pid)}  # a worker may be new
                time.sleep(0.5)
            server_cpu = cpu_seconds(server.pid) - server_before
            workers_cpu = sum(seconds - workers_before.get(pid, 0.0) for pid, seconds in workers_now.items())
            SHARE.update(server_cpu_s=round(server_cpu, 2), workers_cpu_s=round(workers_cpu, 2))
            SHARE["server_share"] = round(server_cpu / workers_cpu, 3) if workers_cpu > 0 else None
            browser.close()
        return json.loads(next(runs.glob("*/summary.json")).read_text())["steps_per_second"]
    finally:
        stop_server(server)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        env = {**os.environ, "FPENGINE_RUNS_DIR": str(runs), "FPENGINE_SAVE_FIGURES": "0"}
        before = headless(env, Path(folder) / "before")
        watched = live(env, runs)
        after = headless(env, Path(folder) / "after")
    ratio = watched / ((before + after) / 2)
    print(json.dumps({"headless_steps_per_s": [before, after], "live_steps_per_s": watched, "ratio": ratio, **SHARE}))


if __name__ == "__main__":
    main()
