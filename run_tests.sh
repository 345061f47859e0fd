#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: unit, engine, CLI, AppTest and real-browser tests.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
