#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv with the project installed into it (editable, from
# pyproject.toml: the one list of dependencies), so `.venv/bin/fpengine` exists and a Dask worker
# started from any folder imports fpengine. With --dev, the tests' extra and the browser too. Without an
# NVIDIA GPU the CPU build of torch goes in first, so pyproject's torch range is already met.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)${1:-}"
if [ -f "$stamp" ]; then
  exit 0
fi
$PIP install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    $PIP install --quiet "torch>=2.2,<3"
  else
    # CPU build: from PyTorch's CPU index where reachable, else the release pip can find.
    $PIP install --quiet --retries 0 --timeout 10 torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
      || $PIP install --quiet torch==2.13.0
  fi
fi
if [ "${1:-}" = "--dev" ]; then
  $PIP install --quiet -e ".[dev]"
  if ! command -v chromium >/dev/null 2>&1; then
    # the browser tests drive Debian's chromium through playwright (`playwright install` needs a download)
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  if command -v fc-list >/dev/null 2>&1 && ! fc-list :lang=zh | grep -q .; then
    # Chinese figures (CLI PNGs, screenshots) need a CJK font; best effort, the tests do not read pixels of text
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || true
  fi
else
  $PIP install --quiet -e .
fi
touch "$stamp"
