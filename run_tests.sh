#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: unit, engine, CLI, AppTest and real-browser tests,
# in parallel on every core (pytest-xdist; the browser tests share one worker). Extra arguments go to
# pytest and win over these (`-n 0` runs in one process; `-m "not browser"` is the quick loop).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -n auto --dist loadgroup --durations=25 "$@"
