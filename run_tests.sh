#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: unit, engine, CLI, AppTest and real-browser tests,
# in parallel (pytest-xdist; the browser tests share one worker). Two workers more than the cores: the
# browser tests and the process start-ups leave the cores waiting (2-core box, fresh clone, 1,511 tests:
# 8 min 29 s and 8 min 44 s with three workers, 8 min 0 s with four). Extra arguments go to pytest and
# win over these (`-n 0` runs in one process; `-m "not slow"` is the quick loop).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -n "$(( $(nproc) + 2 ))" --durations=25 "$@"
