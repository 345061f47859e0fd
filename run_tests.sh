#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: unit, engine, CLI, AppTest and real-browser tests,
# in parallel (pytest-xdist; the browser tests in two units, each with one server and chromium). One worker more than the cores: the
# browser tests and the process start-ups leave a core waiting (2-core box: 8 min 44 s with 2 workers,
# 10.5 min of CPU). Extra arguments go to pytest and win over these (`-n 0` runs in one process;
# `-m "not slow"` is the quick loop).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -n "$(( $(nproc) + 1 ))" --durations=25 "$@"
