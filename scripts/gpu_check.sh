#!/usr/bin/env bash
# GPU check (at most 5 minutes): every experiment's Quick preset, and the image fit at 256 px, trained
# on CUDA through the CLI; each must finish with finite results and in the F-Principle order (low
# frequencies first: spearman > 0 and the lowest one converged; the filtering method's low_first).
# A short CPU run of the same preset gives the steps/s it is compared with. Prints a table; exits 1
# when a check fails (2 when the device is missing). Run from the repository root after
# `bash scripts/setup.sh`:
#
#     bash scripts/gpu_check.sh
#
# Overrides, to try the script without a GPU: GPU_CHECK_DEVICE=cpu (the device checked),
# GPU_CHECK_STEPS=N (steps of the checked runs; default: each preset's own),
# GPU_CHECK_ONLY="sine-fit image-fit@256" (a subset), GPU_CHECK_TIMEOUT=seconds (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
exec timeout "${GPU_CHECK_TIMEOUT:-300}" .venv/bin/python - <<'PYTHON'
import json
import math
import os
import subprocess
import sys
import tempfile
import time

DEVICE = os.environ.get("GPU_CHECK_DEVICE", "cuda")
STEPS = os.environ.get("GPU_CHECK_STEPS")
# (row, experiment, extra CLI arguments, steps of the CPU baseline: steps, iterations or epochs; a
# short run, so its steps/s includes start-up costs that the full run spreads thinner)
ROWS = [
    ("sine-fit", "sine-fit", [], 1000),
    ("staircase", "staircase", [], 1000),
    ("equal-amplitude", "equal-amplitude", [], 1000),
    ("image-fit", "image-fit", [], 300),
    ("image-fit@256", "image-fit", ["--set", "long_side=256"], 20),
    ("beyond-gd", "beyond-gd", [], 200),
    ("projection", "projection", [], 3),
    ("filtering", "filtering", [], 3),
]
only = os.environ.get("GPU_CHECK_ONLY", "").split()
rows = [row for row in ROWS if not only or row[0] in only]

if DEVICE == "cuda":
    import torch

    if not torch.cuda.is_available():
        print(f"error: no CUDA GPU visible to torch {torch.__version__} (CUDA build: {torch.version.cuda})")
        sys.exit(2)
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")


def run(experiment: str, device: str, extra: list[str], steps: str | None, out: str) -> tuple[int, dict | None, str]:
    command = [sys.executable, "-m", "fpengine", "run", experiment, "--device", device, "--out", out,
               "--no-figures", "--quiet", *extra, *(["--steps", steps] if steps else [])]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        with open(os.path.join(out, "summary.json")) as file:
            summary = json.load(file)
    except (OSError, ValueError):
        summary = None
    lines = result.stderr.strip().splitlines()
    return result.returncode, summary, lines[-1] if lines else ""


def finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def problems(code: int, summary: dict | None, error: str) -> list[str]:
    if summary is None:
        return [f"exit {code}, no summary: {error}"]
    found = [] if code == 0 and summary["status"] == "done" else [f"exit {code}, {summary['status']}: {error}"]
    if not finite(summary.get("final_loss")):
        found.append(f"final loss {summary.get('final_loss')}")
    if "low_first" in summary:  # the filtering method: e_low below ε strictly before e_high, for every δ
        bad = [row for row in summary["deltas"] if not (finite(row["final_e_low"]) and finite(row["final_e_high"]))]
        found += [f"δ={row['delta']}: e_low/e_high not finite" for row in bad]
        if summary["low_first"] is not True:
            found.append("not low first: " + ", ".join(f"δ={r['delta']} low {r['low_step']} high {r['high_step']}"
                                                       for r in summary["deltas"]))
    else:  # rank correlation of frequency and convergence step; the lowest must converge
        steps = summary.get("convergence_step") or [None]
        if summary.get("spearman") is None or summary["spearman"] <= 0 or steps[0] is None:
            found.append(f"order: spearman {summary.get('spearman')}, convergence steps {steps}")
    return found


header = f"{'run':<16} {'status':<8} {'steps':>7} {DEVICE + ' steps/s':>14} {'cpu short run':>13} {'ratio':>7} " \
         f"{'order':>14}  check"
print(header)
print("-" * len(header))
failed = 0
started = time.monotonic()
with tempfile.TemporaryDirectory() as folder:
    for name, experiment, extra, cpu_steps in rows:
        code, summary, error = run(experiment, DEVICE, extra, STEPS, os.path.join(folder, name))
        _, baseline, _ = run(experiment, "cpu", extra, str(cpu_steps), os.path.join(folder, name + ".cpu"))
        found = problems(code, summary, error)
        failed += bool(found)
        rate = (summary or {}).get("steps_per_second")
        cpu_rate = (baseline or {}).get("steps_per_second")
        ratio = f"{rate / cpu_rate:.1f}×" if finite(rate) and finite(cpu_rate) and cpu_rate > 0 else "–"
        summary = summary or {}
        order = f"low_first {summary['low_first']}" if "low_first" in summary else f"ρ {summary.get('spearman')}"
        print(f"{name:<16} {summary.get('status', '–'):<8} {summary.get('steps', '–'):>7} {rate or '–':>14} "
              f"{cpu_rate or '–':>13} {ratio:>7} {order:>14}  {'ok' if not found else 'FAIL: ' + '; '.join(found)}",
              flush=True)
print(f"{len(rows) - failed}/{len(rows)} passed in {time.monotonic() - started:.0f} s on {DEVICE}")
sys.exit(1 if failed else 0)
PYTHON
