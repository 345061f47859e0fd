#!/usr/bin/env bash
# GPU check (at most 5 minutes): every experiment's Quick preset, and the image fit at 256 px, trained
# on the GPU through the CLI; each must finish with finite results and in the F-Principle order (low
# frequencies first: spearman > 0 and the lowest one converged; the filtering method's low_first).
# A short CPU run of the same preset gives the steps/s it is compared with. Then, in this process:
# the same seed gives the same initial networks (1-D, image, CNN, swarm) on the GPU and on the CPU;
# the GPU memory a run reserved is handed back when it ends (and its peak against the engine's
# estimate); the image page's time estimate against the measured step. Prints a table and the
# checks; exits 1 when a check fails (2 when the device is missing). Run from the repository root
# after `bash scripts/setup.sh`:
#
#     bash scripts/gpu_check.sh
#
# The device is CUDA, or on a Mac with Apple silicon MPS. Overrides, to try the script without a GPU:
# GPU_CHECK_DEVICE=cpu (or cuda, mps: the device checked), GPU_CHECK_STEPS=N (steps of the checked
# runs; default: each preset's own), GPU_CHECK_ONLY="sine-fit image-fit@256" (a subset of the table),
# GPU_CHECK_TIMEOUT=seconds (default 300).
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

import torch

mps = getattr(torch.backends, "mps", None)
DEVICE = os.environ.get("GPU_CHECK_DEVICE") or ("mps" if sys.platform == "darwin" and mps and mps.is_available() else "cuda")
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
    if not torch.cuda.is_available():
        print(f"error: no CUDA GPU visible to torch {torch.__version__} (CUDA build: {torch.version.cuda})")
        sys.exit(2)
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
elif DEVICE == "mps":
    if not (mps and mps.is_available()):
        print(f"error: Apple MPS is not available to torch {torch.__version__} (built with it: {bool(mps and mps.is_built())})")
        sys.exit(2)
    print(f"device: Apple MPS, torch {torch.__version__}")


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
print(f"{len(rows) - failed}/{len(rows)} runs passed in {time.monotonic() - started:.0f} s on {DEVICE}", flush=True)

# --- in this process: seeds, memory, the time estimate ----------------------------------------------
import dataclasses  # noqa: E402

import numpy as np  # noqa: E402

from fpengine.beyond_gd.flatnet import FlatNet, FlatObjective  # noqa: E402
from fpengine.beyond_gd.nongradient import ParticleSwarm, SwarmSettings  # noqa: E402
from fpengine.engine.device import backend_settings, configure_backends, configure_threads, probe, synchronize  # noqa: E402
from fpengine.engine.headless import run_to_end  # noqa: E402
from fpengine.highdim.classifiers import build_classifier  # noqa: E402
from fpengine.image.settings import ImageFitConfig  # noqa: E402
from fpengine.image.timing import seconds_per_step  # noqa: E402
from fpengine.image.training import build_network, target_picture  # noqa: E402
from fpengine.models import seeded_generator  # noqa: E402
from fpengine.oned.experiment import build_model  # noqa: E402
from fpengine.registry import EXPERIMENTS  # noqa: E402

# on the CPU the same code is compared on cpu:0, the engine's stand-in accelerator
device = torch.device("cpu", 0) if DEVICE == "cpu" else torch.device(DEVICE)
host = torch.device("cpu")
checks: list[tuple[str, bool, str]] = []
configure_threads()  # as the CLI runs above did
configure_backends()
print(f"probe of {DEVICE}: {probe(DEVICE) or 'ok'}; backend {json.dumps(backend_settings())}")


def same_state(make) -> bool:
    on_device, on_host = make(device).state_dict(), make(host).state_dict()
    return all(torch.equal(on_device[name].cpu(), on_host[name]) for name in on_host)


oned = EXPERIMENTS["sine-fit"].default_config("quick")
image = ImageFitConfig()
net = FlatNet(30)
x = np.linspace(-np.pi, np.pi, 64)


def swarm_positions(where: torch.device) -> torch.Tensor:
    objective = FlatObjective(net, x, np.sin(x), dtype=torch.float32, device=where)
    return ParticleSwarm(objective, net.initial_parameters(0), SwarmSettings(particles=64), seed=0).positions.cpu()


seeds = {
    "1-D": same_state(lambda where: build_model(oned, where)),
    "image": same_state(lambda where: build_network(image, 2, 1, where)),
    "cnn": same_state(lambda where: build_classifier("cnn", (3, 32, 32), 10, generator=seeded_generator(0)).to(where)),
    "swarm": torch.equal(swarm_positions(device), swarm_positions(host)),
}
checks.append(("same seed, same initial network", all(seeds.values()), ", ".join(f"{k} {'ok' if v else 'DIFFERS'}" for k, v in seeds.items())))

fit = EXPERIMENTS["image-fit"]
config = dataclasses.replace(image, long_side=256, training=dataclasses.replace(image.training, steps=int(STEPS or 200)))
height, width, _ = target_picture(config).shape
estimated = seconds_per_step(config, height * width, device)
if device.type in ("cuda", "mps"):
    reserved = torch.cuda.memory_reserved if device.type == "cuda" else lambda: torch.mps.driver_allocated_memory()
    run_to_end(fit, dataclasses.replace(config, training=dataclasses.replace(config.training, steps=2)), device)  # warm-up
    before = reserved()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    job = run_to_end(fit, config, device)
    synchronize(device)
    after = reserved()
    mib = 2**20
    detail = f"reserved {before / mib:.0f} MiB before, {after / mib:.0f} MiB after the run"
    if device.type == "cuda":
        peak, estimate = torch.cuda.max_memory_allocated(), fit.memory(config, device).device
        detail += f"; peak allocated {peak / mib:.0f} MiB, the engine's estimate {estimate / mib:.0f} MiB ({estimate / peak:.1f}x)"
    checks.append(("device memory released after a run", after <= before + 16 * mib, detail))
else:
    job = run_to_end(fit, config, device)
    checks.append(("device memory released after a run", True, f"nothing to release on {DEVICE}"))
measured = job.snapshot.elapsed / max(job.snapshot.step, 1)
checks.append(
    (
        "image time estimate at 256 px",
        job.status.value == "done",
        f"estimated {estimated * 1000:.1f} ms per step, measured {measured * 1000:.1f} ms ({estimated / measured:.2f}x)",
    )
)
for name, ok, detail in checks:
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
sys.exit(1 if failed else 0)
PYTHON
