#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: unit, engine, CLI, AppTest and real-browser tests,
# in parallel (pytest-xdist). The real-browser tests run as one unit on one worker, with one app server
# and chromium, mostly waiting on them, and the other tests wait on processes they start; so two workers
# more than the cores keep the cores busy. Extra arguments go to pytest and win over these (`-n 0` runs
# in one process; `-m "not slow"` is the quick loop). docs/development.md has the suite's times.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -n "$(( $(nproc) + 2 ))" --durations=25 "$@"
