"""1-D training: the engine's loop vs the classroom loop, on the Fig 1.6 presets; and the cost of
the theory's tangent kernel (layer by layer) against per-sample Jacobians with ``torch.func``, on
one thread, each measured in a fresh process (its peak resident memory is the process's own)."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from fpengine.engine.runner import JobManager, Status
from fpengine.oned.experiment import EQUAL_AMPLITUDE, SINE_FIT, build_model
from fpengine.oned.settings import OneDConfig
from fpengine.readout.analysis import analyse_target
from fpengine.readout.theory import tangent_kernel


def classroom_loop(config: OneDConfig, steps: int) -> float:
    """The notebooks' loop: after every step, evaluate train and test outputs, copy them to the
    host and take their FFT. Returns steps/s."""
    analysis = analyse_target(config)
    model = build_model(config, torch.device("cpu"))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    x = torch.tensor(analysis.x, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(analysis.y, dtype=torch.float32).unsqueeze(1)
    x_test = torch.tensor(config.grid.plot_points(), dtype=torch.float32).unsqueeze(1)
    outputs, test_outputs, spectra, losses = [], [], [], []
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_output = model(x).detach().numpy().copy()
        test_outputs.append(model(x_test).detach().numpy().copy())
        outputs.append(train_output)
        spectra.append(np.abs(np.fft.fft(np.squeeze(train_output)))[: config.spectrum.n_freq])
        losses.append(loss.item())
    return steps / (time.perf_counter() - start)


def engine_loop(config: OneDConfig, steps: int) -> float:
    """The app's run engine, publishing snapshots as it does for a live page. Returns steps/s."""
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, steps=steps))
    manager = JobManager(lease_seconds=None)
    start = time.perf_counter()
    job = manager.submit("bench", config, EQUAL_AMPLITUDE.run, torch.device("cpu"))
    job.wait()
    # a run that ended early would report the steps it never took as fast ones
    if job.status is not Status.DONE or job.snapshot.step != steps:
        raise RuntimeError(f"the benchmark run ended {job.status.value}: {job.message}")
    return steps / (time.perf_counter() - start)


def jacobian_kernel(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """K = JJᵀ from the full n×P Jacobian, per-sample gradients by ``vmap(jacrev(...))`` (the
    baseline the layer-by-layer kernel is measured against)."""
    parameters = {name: p.detach() for name, p in model.named_parameters()}

    def output(params: dict[str, torch.Tensor], point: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(model, params, (point.reshape(1, 1),)).squeeze()

    points = torch.as_tensor(x, dtype=next(model.parameters()).dtype)
    jacobians = torch.func.vmap(torch.func.jacrev(output), in_dims=(None, 0))(parameters, points)
    jacobian = torch.cat([j.reshape(len(points), -1) for j in jacobians.values()], dim=1).double()
    return (jacobian @ jacobian.T).numpy()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def kernel_cost(method: str, preset: str) -> dict:
    """Seconds and peak memory of one kernel of ``preset``'s sine-fit network and grid on one
    thread, by ``layers`` (the theory's) or ``jacobian`` (the baseline); run in a fresh process."""
    torch.set_num_threads(1)
    config = SINE_FIT.default_config(preset)
    model = build_model(config, torch.device("cpu"))
    x = analyse_target(config).x
    compute = {"layers": lambda: tangent_kernel(model, x)[0], "jacobian": lambda: jacobian_kernel(model, x)}[method]
    baseline = _peak_mb()
    start = time.perf_counter()
    kernel = compute()
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    torch.linalg.eigh(torch.from_numpy(kernel))
    return {
        "seconds": seconds,
        "eigh_seconds": time.perf_counter() - start,
        "added_mb": _peak_mb() - baseline,
        "peak_mb": _peak_mb(),
        "samples": len(x),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


FRESH_PROCESS = "import json, sys; from fpengine.oned.bench import kernel_cost; print(json.dumps(kernel_cost(*sys.argv[1:])))"


def _in_fresh_process(method: str, preset: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, method, preset],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def kernel_rows(quick: bool) -> list[dict]:
    """The tangent kernel of the Book network (quick: the quick preset's), layer by layer vs Jacobians."""
    preset = "quick" if quick else "book"
    layers = _in_fresh_process("layers", preset)
    jacobian = _in_fresh_process("jacobian", preset)
    return [
        {
            "name": f"ntk/{preset}",
            "samples": layers["samples"],
            "parameters": layers["parameters"],
            "kernel_s": layers["seconds"],
            "eigh_s": layers["eigh_seconds"],
            "kernel_added_mb": layers["added_mb"],
            "kernel_peak_mb": layers["peak_mb"],
            "jacobian_s": jacobian["seconds"],
            "jacobian_added_mb": jacobian["added_mb"],
            "ratio": jacobian["seconds"] / layers["seconds"],
        }
    ]


TIMED_STEPS = (("book", 400), ("quick", 1500))
"""The steps each loop is timed over, per Fig 1.6 preset (``--quick``: a quarter)."""
WARM_UP_STEPS = 10


def run(quick: bool) -> list[dict]:
    rows = []
    for preset, steps in TIMED_STEPS:
        steps = steps // 4 if quick else steps
        config = EQUAL_AMPLITUDE.default_config(preset)
        classroom_loop(config, WARM_UP_STEPS)  # warm-up: first calls allocate
        naive = classroom_loop(config, steps)
        engine = engine_loop(config, steps)
        rows.append(
            {
                "name": f"equal-amplitude/{preset}",
                "steps": steps,
                "engine_steps_per_s": engine,
                "naive_steps_per_s": naive,
                "ratio": engine / naive,
            }
        )
    return rows + kernel_rows(quick)
