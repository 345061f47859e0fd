"""``fpengine sweep``: grid expansion, resume, cell = single run, bad definitions, the Dask path and
the F-Principle across a frequency sweep."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import torch

from fpengine.settings.config import to_dict
from fpengine.sweep import command as sweep_command
from fpengine.sweep.cell import run_cell
from fpengine.sweep.definition import MAX_CELLS, SweepDefinition, SweepError, define_sweep, parse_grid_option, split_values
from fpengine.sweep.executors import Pool, open_pool, scheduler_address
from fpengine.sweep.presets import SMALL_FAST_NET, SWEEP_PRESETS
from fpengine.sweep.results import prepare_sweep_dir
from fpengine.sweep.run import SweepControl, run_sweep
from tests.cli_helpers import assert_refused, cli_here
from tests.conftest import ROOT
from tests.dask_helpers import local_cluster

SMALL = (*SMALL_FAST_NET, "training.steps=300", "target.frequencies=1", "target.amplitudes=1")
"""Seconds-long cells: enough to exercise the machinery, not the science."""


def sweep_cli(*args: str, timeout: float = 600, **popen) -> subprocess.CompletedProcess:
    env = {**os.environ, "FPENGINE_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "fpengine", "sweep", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, **popen
    )


def in_process_pool() -> Pool:
    """Cells on a thread of this process: the same run_cell, without spawning workers."""
    return Pool(ThreadPoolExecutor(max_workers=1), 1, "test thread")


@contextmanager
def on_a_thread(workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """``open_pool`` for the command in this process: its cells on a thread here (``in_process_pool``)."""
    assert scheduler is None
    yield in_process_pool()


def small_sweep(seeds: int = 2, frequencies: str = "1,2") -> SweepDefinition:
    return define_sweep("sine-fit", overrides=SMALL, grid=(f"target.frequencies={frequencies}",), seeds=seeds)


# ---- definitions -------------------------------------------------------------------------------


def test_grid_values_split_on_top_level_commas_and_keep_bracketed_lists():
    assert split_values("tanh,relu") == ["tanh", "relu"]
    assert split_values("[1,4],[1,5]") == ["1,4", "1,5"]
    assert parse_grid_option("network.widths=[64,64], [32,32,32]") == ("network.widths", ("64,64", "32,32,32"))
    with pytest.raises(SweepError, match="unbalanced"):
        split_values("[1,4],[1,5")
    with pytest.raises(SweepError, match="empty value"):
        parse_grid_option("training.lr=1e-3,,3e-4")
    with pytest.raises(SweepError, match="listed twice"):
        parse_grid_option("network.activation=tanh,tanh")
    with pytest.raises(SweepError, match="expected KEY=V1"):
        parse_grid_option("network.activation")


def test_cells_are_every_combination_times_every_seed_in_grid_order():
    definition = define_sweep("sine-fit", overrides=SMALL, seeds=2, grid=("network.activation=tanh,relu", "target.frequencies=1,2,3"))
    cells = list(definition.cells())
    assert definition.size == len(cells) == 2 * 3 * 2
    assert [cell.settings for cell in cells[:3]] == [{"network.activation": "tanh", "target.frequencies": "1"}] * 2 + [
        {"network.activation": "tanh", "target.frequencies": "2"}
    ]
    assert [cell.seed for cell in cells[:4]] == [0, 1, 0, 1]
    assert len({cell.id for cell in cells}) == len(cells)
    config = definition.cell_config(cells[-1])
    assert (config.network.activation, config.target.frequencies, config.seed) == ("relu", (3.0,), 1)
    assert definition.group_keys == ["network.activation"]  # the frequency key is the law's x axis
    assert SweepDefinition.from_json(json.loads(json.dumps(definition.to_json()))) == definition


def test_linked_grid_settings_change_together_on_one_axis():
    definition = define_sweep("sine-fit", overrides=SMALL, seeds=1, grid=("network.activation+network.init_power=[relu,0],[hat,-0.3333]",))
    configs = [definition.cell_config(cell) for cell in definition.cells()]
    assert [(c.network.activation, c.network.init_power) for c in configs] == [("relu", 0.0), ("hat", -0.3333)]
    assert definition.group_keys == ["network.activation+network.init_power"]
    with pytest.raises(SweepError) as refused:
        define_sweep("sine-fit", overrides=SMALL, seeds=1, grid=("network.activation+network.init_power=[relu,0],[hat]",))
    assert "needs 2 comma-separated values" in str(refused.value) and "需要 2 个" in refused.value.message("zh")
    with pytest.raises(SweepError, match=r"network.init_power must be a number in \[-1, 3\]; got -5"):
        define_sweep("sine-fit", overrides=SMALL, seeds=1, grid=("network.activation+network.init_power=[relu,-5]",))


def test_the_linear_regime_preset_is_plain_gradient_descent_with_five_seeds_and_hat_as_a_control():
    definition = SWEEP_PRESETS["linear-regime"].define()
    configs = {c.network.activation: c for c in (definition.cell_config(cell) for cell in definition.cells())}
    assert set(configs) == {"relu", "tanh", "hat"} and len(definition.seeds) >= 5
    assert all(c.training.optimizer == "sgd" and c.theory == "ntk" and c.network.widths == (2048,) for c in configs.values())
    assert all(c.network.output_init == "antisymmetric" for c in configs.values())  # f₀ = 0: the residual is the target alone
    assert configs["hat"].network.init_power < 0 < configs["relu"].training.steps


def test_a_preset_grid_option_replaces_the_presets_own_grid_of_that_key():
    definition = SWEEP_PRESETS["frequency"].define(grid=("target.frequencies=[1,3]",), seeds=1)
    assert [cell.settings for cell in definition.cells()] == [{"target.frequencies": "1,3"}]
    assert len(list(SWEEP_PRESETS["frequency"].define(seeds=1).cells())) == 9


@pytest.mark.parametrize("name", sorted(SWEEP_PRESETS))
def test_every_preset_defines_valid_cells(name):
    definition = SWEEP_PRESETS[name].define()
    assert len(definition.seeds) == SWEEP_PRESETS[name].seeds
    assert 10 <= definition.size <= 60  # "a few minutes on a 2-core CPU": ≈4.5 s per cell on one worker
    for cell in definition.cells():
        definition.cell_config(cell)


@pytest.mark.parametrize(
    ("grid", "seeds", "named"),
    [
        (("network.depth=1,2",), 2, ["--grid network.depth=1", "network.depth is not a setting (known here: activation"]),
        (("network.activation=tanh,swish",), 2, ["network.activation=swish"]),
        (("training.lr=1e-3,-1",), 2, ["training.lr=-1", "training.lr"]),
        (("target.frequencies=1,2,2",), 2, ["listed twice"]),
        (("target.frequencies=[1,2],[1,3]",), 2, ["target.amplitudes"]),  # two frequencies, one amplitude
        (("seed=1,2",), 2, ["--seeds"]),
        ((), 0, ["--seeds"]),
    ],
)
def test_bad_definitions_are_refused_before_anything_runs(grid, seeds, named):
    with pytest.raises(SweepError) as refused:
        define_sweep("sine-fit", overrides=SMALL, grid=grid, seeds=seeds)
    for text in named:
        assert text in str(refused.value)


def test_a_million_cells_are_refused_with_the_sweeps_size():
    values = ",".join(f"{k}e-5" for k in range(1, 1001))
    steps = ",".join(str(k) for k in range(100, 1100))
    start = time.monotonic()
    with pytest.raises(SweepError) as refused:
        define_sweep("sine-fit", grid=(f"training.lr={values}", f"training.steps={steps}"), seeds=1)
    assert "1,000,000 cells" in str(refused.value) and f"{MAX_CELLS:,}" in str(refused.value)
    assert time.monotonic() - start < 30  # refused from its size, not after checking a million configs
    assert "1,000,000 个单元（1000 × 1000 × 1 个种子）" in refused.value.message("zh")


def test_a_refusal_reads_in_chinese_with_the_setting_it_wraps():
    with pytest.raises(SweepError) as refused:
        define_sweep("sine-fit", overrides=SMALL, grid=("training.lr=1e-3,-1",), seeds=1)
    english, chinese = str(refused.value), refused.value.message("zh")
    assert english == refused.value.message("en") and english.startswith("cell training.lr=-1: training.lr must be")
    assert chinese.startswith("单元 training.lr=-1：training.lr 须为") and chinese.endswith("收到 -1")


# ---- running ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_without_repeating_a_finished_cell(tmp_path):
    definition = small_sweep(seeds=2, frequencies="1,2")  # 4 cells
    out = prepare_sweep_dir(tmp_path / "sweep", definition)

    def stop_after_two(report):
        if report.ran == 2:
            raise KeyboardInterrupt

    first = run_sweep(definition, out, in_process_pool(), device="cpu", figures=False, on_cell=stop_after_two)
    assert first.interrupted and first.finished == 2 and not first.complete
    kept = {path.name: path.stat().st_mtime_ns for path in (out / "cells").iterdir()}
    assert len(kept) == 2
    assert len(pd.read_csv(out / "results.csv")) == 2  # the tables hold what finished

    out = prepare_sweep_dir(tmp_path / "sweep", definition)
    second = run_sweep(definition, out, in_process_pool(), device="cpu", figures=False)
    assert (second.resumed, second.ran, second.complete) == (2, 2, True)
    assert {name: (out / "cells" / name).stat().st_mtime_ns for name in kept} == kept  # not rewritten: not rerun
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4 and list(table["seed"]) == [0, 1, 0, 1]
    assert pd.read_parquet(out / "results.parquet").shape == table.shape

    more_seeds = small_sweep(seeds=3, frequencies="1,2")  # one more seed reuses the four cells
    out = prepare_sweep_dir(tmp_path / "sweep", more_seeds)
    third = run_sweep(more_seeds, out, in_process_pool(), device="cpu", figures=False)
    assert (third.resumed, third.ran) == (4, 2)


@pytest.mark.slow
def test_a_cell_gives_exactly_the_result_of_fpengine_run_with_its_seed(tmp_path):
    definition = define_sweep(
        "sine-fit",
        overrides=(*SMALL_FAST_NET, "training.steps=1500", "target.amplitudes=1,0.2"),
        grid=("target.frequencies=[1,2]",),
        seeds=2,
    )
    cell = list(definition.cells())[1]  # seed 1
    row = run_cell(definition.experiment, to_dict(definition.cell_config(cell)), cell.settings, "cpu")
    sets = [
        arg
        for item in (*SMALL_FAST_NET, "training.steps=1500", "target.amplitudes=1,0.2", "target.frequencies=1,2")
        for arg in ("--set", item)
    ]
    # the command's main in this process (the cell above is run here too): what `fpengine run` computes,
    # not a fresh interpreter's start-up
    single = cli_here(
        "run",
        "sine-fit",
        *sets,
        "--seed",
        "1",
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--no-figures",
        env={"FPENGINE_THREADS": "1"},
    )
    assert single.returncode == 0, single.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert row["seed"] == 1 and row["status"] == summary["status"] == "done"
    assert row["final_loss"] == summary["final_loss"]
    assert [row["convergence_step[1]"], row["convergence_step[2]"]] == summary["convergence_step"]
    assert row["spearman"] == summary["spearman"]


@pytest.mark.slow
def test_the_cli_writes_definition_tables_fits_and_figures_and_resumes(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    args = (
        "sine-fit",
        "--out",
        str(out),
        "--seeds",
        "2",
        "--grid",
        "target.frequencies=1,2",
        "--workers",
        "2",
        *(arg for item in SMALL for arg in ("--set", item)),
    )
    result = sweep_cli(*args)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["cells"], report["ran"], report["complete"]) == (4, 4, True)
    assert "4/4" in result.stderr and "Traceback" not in result.stderr  # the progress bar: cells done / total
    definition = json.loads((out / "sweep.json").read_text())
    assert definition["grid"] == {"target.frequencies": ["1", "2"]} and definition["seeds"] == [0, 1]
    table = pd.read_csv(out / "results.csv", dtype={"target.frequencies": str})
    assert list(table.columns[:8]) == [
        "target.frequencies",
        "seed",
        "status",
        "spearman",
        "final_loss",
        "steps_per_second",
        "wall_seconds",
        "convergence_step[1]",
    ]
    assert list(table["target.frequencies"]) == ["1", "1", "2", "2"] and set(table["status"]) == {"done"}
    fit = json.loads((out / "fit.json").read_text())
    assert fit["finished_cells"] == 4 and len(fit["groups"]) == 1
    assert (out / "figure_convergence.png").read_bytes()[:4] == b"\x89PNG"
    # what the command says and writes from here on, not the process: in this one (no second torch import)
    again = cli_here("sweep", *args)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["ran"] == 0 and json.loads(again.stdout)["resumed"] == 4

    # sweep.json is enough to run the sweep again, elsewhere: the same cells, the same results (on a
    # thread here: the worker processes were the first command's)
    monkeypatch.setattr(sweep_command, "open_pool", on_a_thread)
    rerun = cli_here("sweep", str(out / "sweep.json"), "--out", str(tmp_path / "rerun"), "--workers", "2", "--quiet", "--no-figures")
    assert rerun.returncode == 0, rerun.stderr
    columns = ["target.frequencies", "seed", "final_loss", "convergence_step[1]", "convergence_step[2]", "cell"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "rerun" / "results.csv")[columns], pd.read_csv(out / "results.csv")[columns])
    assert_refused(cli_here("sweep", str(out / "sweep.json"), "--out", str(tmp_path / "x"), "--seeds", "5"), "--seeds", "sweep.json")


@pytest.mark.slow
def test_ctrl_c_stops_the_sweep_and_keeps_every_finished_cell(tmp_path):
    out = tmp_path / "sweep"
    args = [
        "sine-fit",
        "--out",
        str(out),
        "--seeds",
        "20",
        "--grid",
        "target.frequencies=1,2",
        "--workers",
        "1",
        "--no-figures",
        "--no-batch",  # cell by cell: a batch of seeds finishes together, before a Ctrl-C could land between them
        *(arg for item in (*SMALL, "training.steps=60") for arg in ("--set", item)),  # 40 short cells
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "fpengine", "sweep", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FPENGINE_THREADS": "1"},
        # SIGINT as a terminal's foreground process has it: a test run started in the background by a
        # non-interactive shell hands its children an ignored SIGINT (and Python keeps it ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (out / "cells").is_dir() or len(list((out / "cells").glob("*.json"))) < 2:
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
        time.sleep(0.2)
    # how the sweep's process takes SIGINT when it is sent (bit 2 of these masks), for a failure to show
    masks = [line for line in Path(f"/proc/{process.pid}/status").read_text().splitlines() if line.startswith("Sig")]
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (masks, stderr[-2000:])
    assert "interrupted" in stderr and "Traceback" not in stderr
    report = json.loads(stdout)
    cells = len(list((out / "cells").glob("*.json")))
    assert report["finished"] == cells == len(pd.read_csv(out / "results.csv")) and 2 <= cells < 40


# ---- refusals of the command line (its main, in this process) -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("no-such", "--out", "{tmp}/a"), ["'no-such'", "sine-fit"]),
        (("image-fit", "--out", "{tmp}/a"), ["'image-fit'"]),  # no convergence law to tabulate
        (("sine-fit", "--out", "{tmp}/a", "--grid", "network.depth=1,2"), ["network.depth"]),
        (("sine-fit", "--out", "{tmp}/a", "--grid", "training.lr="), ["training.lr", "empty value"]),
        (("sine-fit", "--out", "{tmp}/a", "--seeds", "0"), ["--seeds"]),
        (("sine-fit", "--out", "{tmp}/a", "--workers", "0"), ["--workers"]),
        (("sine-fit", "--out", "{tmp}/file.txt"), ["--out", "not a folder"]),
        (("sine-fit", "--out", "{tmp}/a", "--device", "tpu"), ["--device", "'tpu'"]),
        (("{tmp}/missing.json", "--out", "{tmp}/a"), ["missing.json", "cannot read"]),
        (("sine-fit", "--out", "{tmp}/a", "--scheduler", "tcp://127.0.0.1:{port}"), ["scheduler tcp://127.0.0.1:", "cannot reach"]),
    ],
)
def test_bad_sweeps_are_one_line_refusals(tmp_path, args, named):
    (tmp_path / "file.txt").write_text("x")
    result = cli_here("sweep", *(arg.format(tmp=tmp_path, port=_free_port()) for arg in args), "--steps", "100")
    assert_refused(result, *named)
    assert not (tmp_path / "a" / "cells").exists() or not any((tmp_path / "a" / "cells").iterdir())


def test_the_scheduler_comes_from_the_option_or_dask_scheduler_address(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert scheduler_address(None) is None
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.5:8786")
    assert scheduler_address(None) == "tcp://10.0.0.5:8786"
    assert scheduler_address("tcp://127.0.0.1:9999") == "tcp://127.0.0.1:9999"


def test_a_folder_holding_another_sweep_is_refused(tmp_path):
    out = tmp_path / "sweep"
    prepare_sweep_dir(out, small_sweep())
    result = cli_here("sweep", "equal-amplitude", "--out", str(out), "--steps", "100")
    assert_refused(result, "--out", "another experiment")
    result = cli_here("sweep", "sine-fit", "--out", str(tmp_path))  # holds 'sweep/', not a sweep
    assert_refused(result, "--out", "no earlier sweep")


# ---- a Dask cluster ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_cluster_path_runs_the_same_cells_on_a_local_dask_cluster(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    args = (
        "sine-fit",
        "--seeds",
        "2",
        "--grid",
        "target.frequencies=1,2",
        "--no-figures",
        "--quiet",
        *(arg for item in SMALL for arg in ("--set", item)),
    )
    # the command, in this process (its subject is where the cells run, not the process that sends them);
    # the reference cells on a thread here (the same run_cell; worker processes are other tests' subject)
    with monkeypatch.context() as patch:
        patch.setattr(sweep_command, "open_pool", on_a_thread)
        local = cli_here("sweep", *args, "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.returncode == 0, local.stderr
    # one worker process: a cluster all the same (each worker imports torch, seconds of CPU)
    with local_cluster() as cluster:
        remote = cli_here("sweep", *args, "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address)
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout)["complete"]
    columns = ["target.frequencies", "seed", "status", "final_loss", "convergence_step[1]", "convergence_step[2]"]
    on_pool = pd.read_csv(tmp_path / "local" / "results.csv")[columns]
    on_cluster = pd.read_csv(tmp_path / "dask" / "results.csv")[columns]
    pd.testing.assert_frame_equal(on_pool, on_cluster)


# ---- the science ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_on_the_frequency_preset_the_convergence_step_rises_with_k(tmp_path):
    """The F-Principle across cells (the preset reduced to k = 2, 3 and 3,000 steps; measured at seeds 0
    and 1: ω = 2 converges by step 860–1,170, ω = 3 by 1,560–2,470, the same with 4,000 steps): sin x +
    0.2·sin kx converges at ω = k later for larger k, and ω = 1 before ω = k in every cell. A net that
    does not learn never converges and fails here. The cells train in this process (the command and
    its worker processes are the other tests' subject)."""
    torch.set_num_threads(1)
    definition = SWEEP_PRESETS["frequency"].define(overrides=("training.steps=3000",), grid=("target.frequencies=[1,2],[1,3]",), seeds=2)
    out = prepare_sweep_dir(tmp_path / "frequency", definition)
    assert run_sweep(definition, out, in_process_pool(), device="cpu", figures=False).complete
    table = pd.read_csv(out / "results.csv", dtype={"target.frequencies": str})
    assert set(table["status"]) == {"done"}
    medians = []
    for k in (2, 3):
        rows = table[table["target.frequencies"] == f"1,{k}"]
        high = rows[f"convergence_step[{k}]"]
        assert high.notna().all(), f"ω = {k} never converged"
        assert (rows["convergence_step[1]"] < high).all()
        medians.append(high.median())
    assert medians[0] < medians[1], medians
    fit = json.loads((out / "fit.json").read_text())
    assert fit["groups"][0]["power"]["exponent"] > 0 and fit["groups"][0]["exponential"]["rate"] > 0


def test_written_results_are_plain_files_of_the_sweep_folder(tmp_path):
    definition = small_sweep(seeds=1, frequencies="1")
    out = prepare_sweep_dir(tmp_path / "s", definition)
    run_sweep(definition, out, in_process_pool(), device="cpu", figures=True, lang="zh")
    names = sorted(path.name for path in Path(out).iterdir())
    assert names == ["cells", "figure_convergence.png", "figure_spearman.png", "fit.json", "results.csv", "results.parquet", "sweep.json"]
    assert not list(Path(out).glob(".*.tmp"))


def test_the_sec_1_6_experiment_sweeps_over_its_optimizers(tmp_path):
    definition = define_sweep("beyond-gd", overrides=("max_iterations=60",), grid=("optimizer=bfgs,cg,sgd",), seeds=1)
    out = prepare_sweep_dir(tmp_path / "s", definition)
    report = run_sweep(definition, out, in_process_pool(), device="cpu", figures=False)
    assert report.complete
    table = pd.read_csv(out / "results.csv")
    assert list(table["optimizer"]) == ["bfgs", "cg", "sgd"] and set(table["status"]) == {"done"}
    assert table["convergence_step[1]"][:2].notna().all()  # sin x + sin 3x: the low frequency converges within 60 iterations
    # gradient descent's cell has its linearised prediction; the other methods' do not (it would be GD's, not theirs)
    assert table["predicted_convergence_step[1]"].notna().tolist() == [False, False, True]


@pytest.mark.slow
def test_a_background_sweep_pauses_between_cells_resumes_and_stops(tmp_path):
    definition = small_sweep(seeds=3, frequencies="1,2")  # 6 cells
    out = prepare_sweep_dir(tmp_path / "s", definition)
    control = SweepControl()
    finished: list[int] = []

    def pause_after_the_first(report):
        finished.append(report.finished)
        if report.ran == 1:
            control.pause()

    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(
            report=run_sweep(
                definition,
                out,
                Pool(ThreadPoolExecutor(max_workers=1), 1, "test thread"),
                device="cpu",
                figures=False,
                on_cell=pause_after_the_first,
                control=control,
                batch=False,  # pausing between cells, as the Lab's sweeps do (a batch finishes as one)
            )
        )
    )
    worker.start()
    deadline = time.monotonic() + 120
    while not control.paused:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(6)  # the cells queued before the pause finish (≤ 2 in flight for 1 worker), then nothing runs
    held = len(list((out / "cells").iterdir()))
    assert 1 <= held <= 3
    time.sleep(2)
    assert len(list((out / "cells").iterdir())) == held and worker.is_alive()
    control.resume()
    while len(list((out / "cells").iterdir())) <= held:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    control.stop()
    worker.join(60)
    report = result["report"]
    assert report.interrupted and report.finished < 6 and report.finished == len(list((out / "cells").iterdir()))


@pytest.mark.slow
def test_a_local_worker_killed_mid_cell_costs_no_cell(tmp_path):
    """The sweep's own local pool (``open_pool``, as ``fpengine sweep --workers`` opens it) in this
    process: one worker, a tiny cell and then a long one. When the tiny cell is in, the worker is
    killed (as the kernel's OOM killer would) while it trains the long one, which then runs again on
    a fresh pool: no cell is lost."""
    definition = define_sweep("sine-fit", overrides=SMALL, grid=("training.steps=10,1000",), seeds=1)
    out = prepare_sweep_dir(tmp_path / "sweep", definition)
    long_cell = list(definition.cells())[1]
    killed, broken = [], []
    with open_pool(workers=1) as pool:

        def kill_the_worker(report):
            if report.ran == 1 and not killed:
                assert not (out / "cells" / f"{long_cell.id}.json").exists(), "the long cell finished first"
                broken.append(pool.executor._pool)  # the standard pool inside, broken for good by the kill
                killed.extend(broken[0]._processes)  # the pids of its (one) worker
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)

        report = run_sweep(definition, out, pool, device="cpu", figures=False, on_cell=kill_the_worker)
        assert len(killed) == 1 and pool.executor._pool is not broken[0]  # the long cell ran again, on a fresh pool
    assert report.complete and not report.lost and report.finished == 2
    table = pd.read_csv(out / "results.csv")
    assert list(table["training.steps"]) == [10, 1000] and set(table["status"]) == {"done"}


def test_a_1d_cell_records_the_linearised_prediction_beside_the_measured_steps(tmp_path):
    """Every 1-D cell computes the NTK prediction (it does not change the training): the table gets
    predicted_convergence_step[ω], the run's length and its drift, and fit.json fits the predicted steps too."""
    definition = define_sweep(
        "sine-fit",
        overrides=(*SMALL_FAST_NET, "training.steps=400", "target.amplitudes=1,0.2"),
        grid=("target.frequencies=[1,2]",),
        seeds=2,
    )
    out = prepare_sweep_dir(tmp_path / "sweep", definition)
    run_sweep(definition, out, in_process_pool(), device="cpu", figures=False)
    table = pd.read_csv(out / "results.csv")
    for name in ("run_steps", "predicted_convergence_step[1]", "predicted_convergence_step[2]", "parameter_drift", "kernel_drift"):
        assert name in table.columns and table[name].notna().all(), name
    assert list(table["run_steps"]) == [400, 400]
    assert (table["predicted_convergence_step[2]"] > table["predicted_convergence_step[1]"]).all()
    assert (table["ntk_seconds"] < 5).all()
    group = json.loads((out / "fit.json").read_text())["groups"][0]
    assert group["predicted"]["converged_points"] == 4 and group["predicted"]["law"]["models"]["power"] is not None
    assert group["drift"]["parameter_drift"]["max"] == pytest.approx(table["parameter_drift"].max())
