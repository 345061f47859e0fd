"""Accelerators, tested on a machine without one: the device is a parameter.

- no float64 tensor on the device and no device tensor handed to NumPy, in every experiment, on the
  stand-in accelerator of ``tests/engine/standin.py``;
- the same seed gives the same network beside other runs and on every device;
- no per-step host syncs in the classification loop;
- device memory released after every run, and a config that cannot fit refused up front;
- fused Adam only where this torch has one;
- device selection: the environment variables, a GPU that fails its probe, the visitor's choice.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import threading
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from fpengine.beyond_gd.flatnet import FlatNet, FlatObjective
from fpengine.beyond_gd.nongradient import ParticleSwarm, SwarmSettings, run_gradient_descent
from fpengine.engine import device as devices
from fpengine.engine import memory
from fpengine.engine.device import HOST, choose_device, configure_backends, run_slots
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import JobManager, RunContext, Status
from fpengine.export import build_summary
from fpengine.highdim import classification
from fpengine.highdim.classifiers import build_classifier
from fpengine.highdim.settings import ClassifierConfig, EpochTrainingConfig, FilteringConfig, ProjectionConfig
from fpengine.image import timing
from fpengine.image.settings import EncodingConfig, ImageFitConfig
from fpengine.image.timing import seconds_per_step
from fpengine.image.training import build_network
from fpengine.models import seeded_generator
from fpengine.oned.experiment import build_model
from fpengine.optimizers import fused_adam_works, make_optimizer
from fpengine.registry import EXPERIMENTS
from fpengine.settings.blocks import NetworkConfig
from fpengine.settings.config import apply_override
from fpengine.settings.schema import ConfigError
from tests.app.test_battery import small_config
from tests.cli_helpers import cli_here
from tests.conftest import open_app_page, wait_until
from tests.engine.standin import STANDIN, DeviceGuard


def guarded_run(name: str, config: Any) -> tuple[Any, DeviceGuard]:
    """``config`` trained by the run engine on the stand-in accelerator (or the CPU, for an
    experiment that always trains there), every tensor operation of the run watched."""
    experiment = EXPERIMENTS[name]
    guard = DeviceGuard()

    def train(config: Any, ctx: RunContext) -> None:
        with guard:  # a torch function mode is per thread: entered in the run's own
            experiment.run(config, ctx)

    job = JobManager(lease_seconds=None).submit(name, config, train, experiment.device_for(STANDIN))
    assert job.wait(300)
    assert job.status is Status.DONE, job.message
    return job, guard


# --- the stand-in accelerator -------------------------------------------------------------------


def test_the_stand_in_catches_float64_made_on_the_device():
    with DeviceGuard() as guard:
        block, basis = torch.ones((4, 3), device=STANDIN), torch.ones((3, 2), device=STANDIN)
        (block @ basis).double().cpu()
    assert len(guard.violations) == 1 and "float64 tensor on the device" in guard.violations[0]
    with DeviceGuard() as guard:
        block, basis = torch.ones((4, 3), device=STANDIN), torch.ones((3, 2), device=STANDIN)
        (block @ basis).cpu().double()
        torch.as_tensor(np.eye(3)).double()  # host float64 work is fine
        torch.as_tensor(np.eye(3), dtype=torch.float32).to(STANDIN)
    assert guard.violations == []


def test_the_stand_in_catches_float64_moved_to_the_device_and_device_tensors_given_to_numpy():
    with DeviceGuard() as guard:
        torch.as_tensor(np.eye(3)).to(STANDIN)
        np.asarray(torch.ones(2, device=STANDIN))
        torch.zeros(2, dtype=torch.float64, device=STANDIN)
        torch.nn.Linear(2, 2).to(STANDIN).weight.double()
    assert len(guard.violations) == 4, guard.violations


EXTRA_RUNS = {
    "image held out, Fourier features": ("image-fit", ("hold_out_columns=true", "encoding.kind=fourier", "encoding.fourier_features=8")),
    "image multi-scale": ("image-fit", ("encoding.kind=multiscale", "encoding.scales=2")),
    "filtering shuffled": ("filtering", ("training.shuffle=true",)),
}


@pytest.mark.parametrize("name", [*EXPERIMENTS, *EXTRA_RUNS])
def test_no_float64_on_the_device_in_any_experiment(name: str):
    experiment, overrides = EXTRA_RUNS.get(name, (name, ()))
    config = small_config(experiment)
    for item in overrides:
        key, _, value = item.partition("=")
        config = apply_override(config, key, value)
    job, guard = guarded_run(experiment, config)
    assert guard.violations == []
    assert job.device == (HOST if experiment == "beyond-gd" else STANDIN)


@pytest.mark.parametrize("method", ["pso", "gd"])
def test_the_swarm_and_the_gradient_reference_are_device_safe_and_a_seed_gives_one_swarm(method: str):
    """Sec 1.6 always trains on the CPU; its batched code still runs on an accelerator, and its
    random draws come from a CPU generator, so a seed gives the same swarm on every device."""
    net = FlatNet(8)
    x = np.linspace(-1, 1, 32)
    theta0 = net.initial_parameters(0)

    def positions(device: torch.device) -> np.ndarray:
        objective = FlatObjective(net, x, np.sin(3 * x), dtype=torch.float32, device=device)
        with DeviceGuard() as guard:
            if method == "pso":
                swarm = ParticleSwarm(objective, theta0, SwarmSettings(particles=16), seed=3)
                swarm.step()
                result = swarm.positions.cpu().numpy()
            else:
                result = run_gradient_descent("adam", objective, theta0, 3, 1e-2).theta
        assert guard.violations == []
        return result

    np.testing.assert_array_equal(positions(HOST), positions(STANDIN))


# --- the same seed, the same network ------------------------------------------------------------


@pytest.fixture
def busy_global_generator():
    """Another thread reseeding and drawing from the process-wide generator all the time, as other
    code in the process may: a run that drew from it would get a different network each time."""
    stop = threading.Event()

    def churn() -> None:
        chooser = random.Random(1)
        while not stop.is_set():
            torch.manual_seed(chooser.randrange(2**31))
            torch.rand(16)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, as on a busy server, so draws interleave
    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()
    sys.setswitchinterval(interval)


def _state(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: value.detach().cpu().numpy().copy() for name, value in model.state_dict().items()}


def _assert_same_states(states: list[dict[str, np.ndarray]]) -> None:
    for state in states[1:]:
        assert state.keys() == states[0].keys()
        for name in state:
            np.testing.assert_array_equal(state[name], states[0][name], err_msg=name)


def _build_everywhere(build, count: int = 6) -> list[dict[str, np.ndarray]]:
    """``build()`` alone, then ``count`` times at once in threads."""
    alone = [_state(build())]
    results: list[dict[str, np.ndarray] | None] = [None] * count
    start = threading.Barrier(count)

    def one(i: int) -> None:
        start.wait()
        results[i] = _state(build())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return alone + results


ONED = small_config("sine-fit")
ONED_DEFAULT_INIT = dataclasses.replace(ONED, network=NetworkConfig(widths=(30, 30), init="default"))
IMAGE = ImageFitConfig(network=NetworkConfig(widths=(16, 16), activation="relu", init="default"))
IMAGE_MULTISCALE = dataclasses.replace(IMAGE, encoding=EncodingConfig(kind="multiscale", scales=2))


@pytest.mark.slow
@pytest.mark.parametrize(
    "build",
    [
        lambda: build_model(ONED, HOST),
        lambda: build_model(ONED_DEFAULT_INIT, HOST),
        lambda: build_network(IMAGE, 2, 1, HOST),
        lambda: build_network(IMAGE_MULTISCALE, 2, 1, HOST),
        lambda: build_classifier("dnn", (1, 8, 8), 10, generator=seeded_generator(4)),
        lambda: build_classifier("cnn", (1, 8, 8), 10, generator=seeded_generator(4)),
        lambda: build_classifier("vgg16", (1, 8, 8), 10, generator=seeded_generator(4)),
    ],
    ids=["1-D chapter init", "1-D default init", "image", "image multi-scale", "dnn", "cnn", "vgg16"],
)
def test_the_same_seed_builds_the_same_network_alone_and_beside_others(busy_global_generator, build):
    _assert_same_states(_build_everywhere(build))


def test_the_same_seed_builds_the_same_network_on_every_device():
    on_host, on_device = build_model(ONED, HOST), build_model(ONED, STANDIN)
    _assert_same_states([_state(on_host), _state(on_device)])


def _first_losses(jobs) -> list[tuple[float, float]]:
    for job in jobs:
        assert job.wait(120) and job.status is Status.DONE, job.message
    return [tuple(job.snapshot.metrics["loss"][:2]) for job in jobs]


def test_runs_started_together_have_the_same_first_losses_as_a_run_alone(busy_global_generator):
    """Loss 0 is the initial network's, loss 1 the network's after one step."""
    experiment = EXPERIMENTS["sine-fit"]
    config = apply_override(ONED, "training.steps", "3")
    (alone,) = _first_losses([run_to_end(experiment, config, HOST)])
    manager = JobManager(max_running=4, lease_seconds=None)
    together = _first_losses([manager.submit(experiment.name, config, experiment.run, HOST) for _ in range(4)])
    assert together == [alone] * 4


def test_the_time_probe_leaves_the_global_generator_alone(monkeypatch):
    def refuse(seed: int) -> None:
        raise AssertionError("the process-wide generator was seeded")

    monkeypatch.setattr(torch, "manual_seed", refuse)
    monkeypatch.setattr(torch.random, "manual_seed", refuse)
    timing._speed.cache_clear()
    assert seconds_per_step(IMAGE, 64, HOST) > 0


# --- no per-step host syncs ---------------------------------------------------------------------

SYNC_CONFIG = ProjectionConfig(dataset="digits", n_train=200, n_test=50, training=EpochTrainingConfig(epochs=1, evaluations_per_epoch=1))


def test_the_classification_loop_waits_for_the_device_per_evaluation_not_per_batch():
    def reads(batch_size: int) -> int:
        config = dataclasses.replace(SYNC_CONFIG, training=dataclasses.replace(SYNC_CONFIG.training, batch_size=batch_size))
        return guarded_run("projection", config)[1].reads

    assert reads(20) == reads(10)  # 10 batches or 20, the same waits


class _PoisonedAt(nn.Module):
    """A classifier whose ``at``-th training forward pass gives NaN."""

    def __init__(self, inner: nn.Module, at: int):
        super().__init__()
        self.inner, self.at, self.calls = inner, at, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                return output * float("nan")
        return output


def test_a_diverged_classification_still_reports_its_first_bad_step(monkeypatch):
    real = classification.build_classifier
    monkeypatch.setattr(classification, "build_classifier", lambda *args, **kwargs: _PoisonedAt(real(*args, **kwargs), at=7))
    config = dataclasses.replace(SYNC_CONFIG, training=dataclasses.replace(SYNC_CONFIG.training, epochs=2, batch_size=20))
    job = JobManager(lease_seconds=None).submit("projection", config, EXPERIMENTS["projection"].run, STANDIN)
    assert job.wait(120)
    assert job.status is Status.DIVERGED and job.diverged_at == 7


# --- device memory ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "release"), [("cuda", "cuda"), ("mps", "mps"), ("cpu", None)])
def test_the_engine_releases_device_memory_after_every_run(monkeypatch, kind: str, release: str | None):
    events: list[str] = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: events.append("cuda"))
    monkeypatch.setattr(torch.mps, "empty_cache", lambda: events.append("mps"))

    def train(config: Any, ctx: RunContext) -> None:
        events.append("trained")
        if config == "fail":
            raise RuntimeError("out of memory")

    manager = JobManager(max_running=2, lease_seconds=None)
    jobs = [manager.submit("test", outcome, train, torch.device(kind)) for outcome in ("ok", "fail")]
    assert all(job.wait(10) for job in jobs)
    expected = ["trained", release] if release else ["trained"]
    assert sorted(events) == sorted(expected * 2) and events[0] == "trained"


BIG_PICTURE = ImageFitConfig(long_side=512, colour="rgb", network=NetworkConfig(widths=(1024,) * 6, activation="relu", init="default"))


def test_a_picture_fit_too_big_for_the_device_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setattr(memory, "memory_budget", lambda device: 8 * 2**30)
    image = EXPERIMENTS["image-fit"]
    image.check_fits(ImageFitConfig(), HOST)  # the quick preset fits
    with pytest.raises(ConfigError) as refused:
        image.check_fits(BIG_PICTURE, HOST)
    english = str(refused.value)
    assert english.startswith("long_side, network.widths: a run this size needs about ") and "GiB of memory" in english
    assert "has about 7.2 GiB free" in english or "has about 8.0 GiB free" in english
    assert refused.value.message("zh").startswith("long_side, network.widths：这样大的运行约需 ")
    # and the run engine refuses it before training: the run fails at once, with that message
    job = JobManager(lease_seconds=None).submit(image.name, BIG_PICTURE, image.run, HOST)
    assert job.wait(30) and job.status is Status.FAILED and job.snapshot is None
    assert job.message == english


def test_estimates_grow_with_what_makes_a_run_big():
    def image_bytes(**changes: Any) -> int:
        estimate = memory_of("image-fit", dataclasses.replace(ImageFitConfig(), **changes))
        return estimate.device + estimate.host

    def memory_of(name: str, config: Any):
        return EXPERIMENTS[name].memory(config, HOST)

    assert image_bytes(long_side=96) > 3 * image_bytes(long_side=48)
    assert image_bytes(network=NetworkConfig(widths=(512,) * 4)) > 3 * image_bytes()
    small, big = FilteringConfig(n_train=1000), FilteringConfig(n_train=4000)
    assert memory_of("filtering", big).device > 3 * memory_of("filtering", small).device  # n² distances
    wide = ProjectionConfig(network=ClassifierConfig(model="cnn"), training=EpochTrainingConfig(batch_size=2000))
    assert memory_of("projection", wide).device > 10 * memory_of("projection", ProjectionConfig()).device
    assert memory_of("filtering", small).settings[:2] == ("n_train", "block_rows")


def test_the_command_line_refuses_a_run_that_cannot_fit_before_training(tmp_path):
    out = tmp_path / "out"
    huge = ["dataset=mnist", "n_train=60000", "training.batch_size=60000", "network.model=vgg16"]
    result = cli_here("run", "projection", "--out", str(out), "--quiet", *[a for s in huge for a in ("--set", s)])
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: n_train, training.batch_size, network.model, network.widths: a run this size needs about ")
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


# --- backends and the optimizer -----------------------------------------------------------------


def test_gpu_numerics_are_set_explicitly_and_recorded_in_the_summary():
    configure_backends()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    snapshot = run_to_end(EXPERIMENTS["sine-fit"], apply_override(ONED, "training.steps", "2"), HOST).snapshot
    summary = build_summary(EXPERIMENTS["sine-fit"], ONED, snapshot, status="done", device="CPU")
    assert summary["backend"] == {
        "torch": torch.__version__,
        "tf32_matmul": False,
        "tf32_cudnn": False,
        "cudnn_benchmark": False,
        "cudnn_deterministic": True,
    }


def test_adam_is_fused_only_where_this_torch_has_a_fused_adam(monkeypatch):
    real_adam = torch.optim.Adam

    def adam_without_fused(params, **kwargs):
        if kwargs.get("fused"):
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return real_adam(params, **kwargs)

    fused_adam_works.cache_clear()
    monkeypatch.setattr(torch.optim, "Adam", adam_without_fused)
    try:
        parameter = nn.Parameter(torch.ones(3))
        optimizer = make_optimizer("adam", [parameter], lr=0.1)
        parameter.grad = torch.ones(3)
        optimizer.step()
        assert not optimizer.defaults["fused"] and parameter.detach().tolist() == pytest.approx([0.9] * 3)
    finally:
        fused_adam_works.cache_clear()
    monkeypatch.undo()
    assert make_optimizer("adam", [nn.Parameter(torch.ones(3))], lr=0.1).defaults["fused"]  # this torch has one for the CPU


# --- device selection ---------------------------------------------------------------------------


@pytest.fixture
def gpu_reported(monkeypatch):
    """A CUDA GPU that reports itself available: on this CPU-only torch, its probe fails for real."""
    probe = devices.probe
    probe.cache_clear()
    monkeypatch.setattr(devices, "_available", lambda kind: kind == "cuda")
    yield
    probe.cache_clear()


def test_force_cpu_is_a_switch(monkeypatch):
    monkeypatch.setattr(devices, "_available", lambda kind: False)
    for value, reason in (("1", "forced"), ("yes", "forced"), ("0", "none"), ("off", "none"), ("", "none")):
        monkeypatch.setenv("FPENGINE_FORCE_CPU", value)
        assert choose_device("auto") == devices.DeviceChoice(HOST, reason)
    monkeypatch.setenv("FPENGINE_FORCE_CPU", "maybe")
    with pytest.raises(ConfigError, match="^FPENGINE_FORCE_CPU must be 1 or 0"):
        choose_device("auto")


def test_a_gpu_that_fails_its_probe_is_reported_and_the_cpu_used(gpu_reported, monkeypatch):
    chosen = choose_device("auto")
    assert chosen.device == HOST and chosen.reason == "failed"
    assert chosen.detail.startswith("CUDA: ") and "\n" not in chosen.detail
    with pytest.raises(ValueError, match="^CUDA was asked for; it reports available but failed a test computation"):
        choose_device("cuda")
    monkeypatch.setattr(devices, "probe", lambda kind: None)  # a GPU that answers
    assert choose_device("auto") == devices.DeviceChoice(torch.device("cuda"), "found")
    assert choose_device("cpu") == devices.DeviceChoice(HOST, "chosen")


def test_the_command_line_says_in_one_line_that_a_failing_gpu_was_skipped(tmp_path, gpu_reported):
    out = tmp_path / "out"
    result = cli_here("run", "sine-fit", "--out", str(out), "--steps", "3", "--quiet", "--no-figures", env={"FPENGINE_FORCE_CPU": "0"})
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("note: CUDA: ") and line.endswith("the GPU failed a test computation, so this run trains on the CPU")
    assert json.loads((out / "summary.json").read_text())["device"].startswith("CPU")


def test_run_slots_follow_the_variable_and_keep_the_cpu_to_one_run(monkeypatch):
    monkeypatch.delenv("FPENGINE_MAX_RUNNING", raising=False)
    assert run_slots(torch.device("cuda")) == (2, {"cpu": 1})
    assert run_slots(HOST) == (1, {"cpu": 1})
    monkeypatch.setenv("FPENGINE_MAX_RUNNING", "3")
    assert run_slots(torch.device("cuda")) == (3, {})
    monkeypatch.setenv("FPENGINE_MAX_RUNNING", "0")
    with pytest.raises(ConfigError, match="^FPENGINE_MAX_RUNNING must be"):
        run_slots(HOST)


def test_a_visitors_cpu_runs_take_one_of_the_two_gpu_slots_at_most():
    release = threading.Event()

    def train(config: Any, ctx: RunContext) -> None:
        while not release.wait(0.01):
            ctx.checkpoint()

    manager = JobManager(max_running=2, lease_seconds=None, device_limits={"cpu": 1})
    first_cpu, second_cpu = (manager.submit("cpu", None, train, HOST) for _ in range(2))
    gpu = manager.submit("gpu", None, train, torch.device("cuda"))  # only the run engine sees its device here
    wait_until(lambda: gpu.status is Status.RUNNING)
    assert first_cpu.status is Status.RUNNING and second_cpu.status is Status.QUEUED
    release.set()
    assert all(job.wait(10) for job in (first_cpu, second_cpu, gpu))


def test_the_sidebar_says_what_trains_and_why(app_test, gpu_reported):
    at = open_app_page(app_test, "app_pages/sine_fit.py")
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Compute device: CPU" in captions and "the GPU failed its test computation" in captions
    (warning,) = [w.value for w in at.sidebar.warning]
    assert warning.startswith("A GPU reports itself available but failed a test computation (CUDA: ")
    assert not at.sidebar.info
    at.sidebar.selectbox(key="device@en").set_value("cpu").run()
    assert "you chose the CPU only" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert "你选择了仅用 CPU" in " ".join(c.value for c in at.sidebar.caption)
    at.switch_page("app_pages/beyond_gd.py").run()
    (note,) = [i.value for i in at.sidebar.info]
    assert note.startswith("本实验总是在 CPU 上训练")
