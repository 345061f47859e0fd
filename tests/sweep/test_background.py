"""Sweeps in the background of a server (the Lab page's engine): pause/resume/stop, reattaching by id
and reopening from disk, the server's cap on cells, run slots shared with single runs, the lease,
each cell's kept run and trace, the time estimate and the sweeps folder's retention."""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fpengine.engine.runner import ErrorTrace, JobManager, Status
from fpengine.export import load_run
from fpengine.registry import EXPERIMENTS
from fpengine.retention import APP_MARKER, mark_app_folder, prune_runs
from fpengine.sweep.background import SweepManager, SweepStatus
from fpengine.sweep.builder import LabForm, setting_keys, source_axes, source_steps, value_text
from fpengine.sweep.definition import SweepError, define_sweep
from fpengine.sweep.estimate import POOL_STARTUP_S, estimated_seconds, measured_rate
from fpengine.sweep.executors import Pool
from fpengine.sweep.figures import cell_heatmaps
from fpengine.sweep.library import STATUS_FILE, cell_label, cell_links, cell_run_id, cell_table, list_saved, open_saved, results_of
from fpengine.sweep.results import TRACE_RECORDS, prepare_sweep_dir, read_cell_traces, zip_sweep
from fpengine.sweep.run import run_sweep
from tests.conftest import wait_until
from tests.sweep.test_sweep import SMALL


def small(seeds: int = 2, frequencies: str = "1,2", steps: int = 300, amplitudes: str = "1"):
    overrides = (*SMALL, f"training.steps={steps}", f"target.amplitudes={amplitudes}")
    return define_sweep("sine-fit", overrides=overrides, grid=(f"target.frequencies={frequencies}",), seeds=seeds)


@contextlib.contextmanager
def thread_pool(workers: int, scheduler: str | None) -> Iterator[Pool]:
    """Cells on threads of this process: the same run_cell as a worker runs, without spawning."""
    executor = ThreadPoolExecutor(max_workers=workers)
    try:
        yield Pool(executor, workers, "test threads")
    finally:
        executor.shutdown(cancel_futures=True)


@pytest.fixture
def made(tmp_path):
    """SweepManagers over one runs folder, sharing one JobManager's slots; all shut down afterwards."""
    jobs = JobManager(max_running=1, lease_seconds=None)
    managers: list[SweepManager] = []

    def make(**options) -> SweepManager:
        settings = {"max_cells": 50, "workers": 1, "figures": False, "pool_opener": thread_pool, "lease_seconds": None, **options}
        manager = SweepManager(tmp_path / "sweeps", tmp_path, slots=jobs, **settings)
        managers.append(manager)
        return manager

    make.jobs = jobs
    yield make
    for manager in managers:
        manager.shutdown()
    jobs.shutdown()


def cells_on_disk(out: Path) -> int:
    return len(list((out / "cells").glob("*.json")))


# ---- control ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_background_sweep_pauses_resumes_and_stops_keeping_its_finished_cells(made):
    manager = made()
    sweep = manager.start(small(seeds=4, steps=600), device="cpu")  # 8 cells, one at a time
    wait_until(lambda: sweep.progress().finished >= 1, timeout=120)
    sweep.pause()
    assert sweep.progress().status is SweepStatus.PAUSED
    wait_until(lambda: sweep.progress().held, timeout=60)  # the running cell finishes, none starts
    assert not sweep.progress().in_flight
    held = cells_on_disk(sweep.out)
    time.sleep(1.5)
    assert cells_on_disk(sweep.out) == held == sweep.progress().finished and not sweep.done
    assert made.jobs.take_slots(1) == 1  # once its running cell has finished, a paused sweep holds no slot
    made.jobs.give_slots(1)

    sweep.resume()
    wait_until(lambda: sweep.progress().finished > held, timeout=120)
    sweep.stop()
    assert sweep.wait(60)
    progress = sweep.progress()
    assert progress.status is SweepStatus.STOPPED and not progress.status.active
    assert progress.finished == cells_on_disk(sweep.out) < 8
    assert json.loads((sweep.out / STATUS_FILE).read_text())["status"] == "stopped"
    assert made.jobs.take_slots(1) == 1  # every slot given back
    made.jobs.give_slots(1)


def test_a_finished_sweep_reopens_by_id_from_memory_and_then_from_disk(made):
    manager = made(keep_finished=0)
    sweep = manager.start(small(seeds=1), device="cpu")
    assert manager.get(sweep.id) is sweep  # what a second browser with ?sweep=ID finds while it runs
    assert sweep.wait(120) and sweep.progress().status is SweepStatus.DONE
    wait_until(lambda: manager.get(sweep.id) is None)  # dropped from memory once finished
    saved = open_saved(manager.root, sweep.id)
    assert saved is not None and (saved.status, saved.finished) == ("done", 2)
    assert [entry.id for entry in list_saved(manager.root)] == [sweep.id]
    results = results_of(manager.root / sweep.id, saved.definition, saved.finished)
    assert list(results.frame["target.frequencies"]) == ["1", "2"] and set(results.frame["status"]) == {"done"}
    assert open_saved(manager.root, "nosuchsweep") is None and open_saved(manager.root, "../etc") is None


def test_a_sweep_the_server_stopped_mid_way_is_listed_as_interrupted(made, tmp_path):
    manager = made()
    sweep = manager.start(small(seeds=1), device="cpu")
    sweep.wait(120)
    status = json.loads((sweep.out / STATUS_FILE).read_text())
    (sweep.out / STATUS_FILE).write_text(json.dumps({**status, "status": "running"}))  # as a killed server leaves it
    assert open_saved(manager.root, sweep.id).status == "interrupted"
    assert open_saved(manager.root, sweep.id, live=[sweep.id]).status == "running"


# ---- the server's cap and its run slots ---------------------------------------------------------------


def test_a_sweep_over_the_servers_cap_is_refused_with_the_reason(made):
    manager = made(max_cells=3)
    with pytest.raises(SweepError) as refused:
        manager.start(small(seeds=2), device="cpu")  # 4 cells
    assert "4 cells" in str(refused.value) and "at most 3" in str(refused.value) and "FPENGINE_MAX_SWEEP_CELLS" in str(refused.value)
    assert "最多运行 3 个" in refused.value.message("zh")
    assert manager.sweeps() == [] and not manager.root.exists()
    manager.check_size(3)


def test_lent_slots_count_against_the_cap_and_queued_runs_come_first():
    experiment = EXPERIMENTS["sine-fit"]
    config = experiment.default_config("quick")
    jobs = JobManager(max_running=2, lease_seconds=None)
    try:
        assert jobs.take_slots(5) == 2  # no more than the cap
        queued = jobs.submit(experiment.name, config, experiment.run, torch.device("cpu"))
        assert queued.status is Status.QUEUED  # both slots are lent
        jobs.give_slots(1)
        wait_until(lambda: queued.status is Status.RUNNING)  # a slot given back starts the waiting run
        assert jobs.take_slots(1) == 0
        waiting = jobs.submit(experiment.name, config, experiment.run, torch.device("cpu"))
        queued.stop()
        queued.wait(30)
        wait_until(lambda: waiting.status is Status.RUNNING)
        assert jobs.take_slots(1) == 0  # the queued run took the freed slot first
        waiting.stop()
        waiting.wait(30)
        assert jobs.take_slots(1) == 1
    finally:
        jobs.shutdown()


def test_a_sweep_waits_while_single_runs_hold_every_slot_and_never_exceeds_the_cap(made):
    experiment = EXPERIMENTS["sine-fit"]
    manager = made()
    single = made.jobs.submit(experiment.name, experiment.default_config("quick"), experiment.run, torch.device("cpu"))
    sweep = manager.start(small(seeds=1), device="cpu")
    wait_until(lambda: sweep.progress().status is SweepStatus.WAITING, timeout=30)
    time.sleep(1)
    assert sweep.progress().finished == 0 and not sweep.progress().in_flight
    single.stop()
    wait_until(lambda: sweep.progress().in_flight, timeout=30)
    another = made.jobs.submit(experiment.name, experiment.default_config("quick"), experiment.run, torch.device("cpu"))
    assert another.status is Status.QUEUED  # the sweep's training cell holds the only slot
    wait_until(lambda: another.status is Status.RUNNING, timeout=60)  # given back between cells: the run goes first
    wait_until(lambda: sweep.progress().status is SweepStatus.WAITING)
    assert not sweep.progress().in_flight
    another.stop()
    assert sweep.wait(120) and sweep.progress().status is SweepStatus.DONE


@pytest.mark.slow
def test_with_slots_run_sweep_trains_no_more_cells_at_once_than_it_holds(tmp_path):
    class Counting:
        def __init__(self, limit: int):
            self.limit, self.held, self.most = limit, 0, 0
            self.lock = threading.Lock()

        def take_slots(self, wanted: int) -> int:
            with self.lock:
                taken = max(0, min(wanted, self.limit - self.held))
                self.held += taken
                self.most = max(self.most, self.held)
                return taken

        def give_slots(self, count: int) -> None:
            with self.lock:
                self.held -= count

    definition = small(seeds=2)
    out = prepare_sweep_dir(tmp_path / "s", definition)
    slots = Counting(limit=1)
    with thread_pool(3, None) as pool:  # three workers, one slot
        report = run_sweep(definition, out, pool, device="cpu", figures=False, slots=slots)
    assert report.complete and slots.most == 1 and slots.held == 0


# ---- the lease ----------------------------------------------------------------------------------------


def test_a_sweep_nobody_watches_is_stopped_as_abandoned(made):
    manager = made(lease_seconds=1.0)
    sweep = manager.start(small(seeds=20, steps=600), device="cpu")
    assert sweep.wait(60)
    progress = sweep.progress()
    assert progress.status is SweepStatus.STOPPED and progress.message == "abandoned"
    assert progress.finished < 40


@pytest.mark.slow
def test_a_watched_sweep_keeps_its_lease(made):
    manager = made(lease_seconds=1.0)
    sweep = manager.start(small(seeds=3, steps=300), device="cpu")
    while not sweep.wait(0.2):
        sweep.touch()
    assert sweep.progress().status is SweepStatus.DONE


# ---- what each cell keeps -------------------------------------------------------------------------------


def test_each_cell_keeps_a_bounded_trace_and_a_run_that_reopens_as_a_single_run(made, tmp_path):
    manager = made()
    sweep = manager.start(small(seeds=1, frequencies="[1,2]", steps=1200, amplitudes="1,0.2"), device="cpu")
    assert sweep.wait(120)
    cell = next(sweep.definition.cells())
    row = json.loads((sweep.out / "cells" / f"{cell.id}.json").read_text())
    trace = read_cell_traces(sweep.out, [cell.id])[cell.id]
    assert trace.errors.shape == (TRACE_RECORDS, 2) and trace.steps[0] == 0 and trace.steps[-1] == 1199
    assert trace.values == (1.0, 2.0)
    run_dir = tmp_path / cell_run_id(sweep.id, cell.id)
    assert (run_dir / APP_MARKER).is_file() and (sweep.out / APP_MARKER).is_file()  # retention may delete them
    saved = load_run(run_dir, EXPERIMENTS)  # what ?run=ID on the page reads
    assert saved.experiment == "sine-fit" and saved.config == sweep.definition.cell_config(cell)
    assert saved.summary["final_loss"] == row["final_loss"] and saved.summary["convergence_step"] == [
        row["convergence_step[1]"],
        row["convergence_step[2]"],
    ]
    assert np.array_equal(saved.snapshot.traces["delta_f"].errors[-1], trace.errors[-1])
    links = cell_links(tmp_path, sweep.id, "sine-fit", [cell.id, "missing"], "zh")
    assert links == {cell.id: f"sine-fit?run={cell_run_id(sweep.id, cell.id)}&lang=zh"}


@pytest.mark.slow
def test_the_cells_table_lists_every_cell_with_its_status(made):
    manager = made()
    sweep = manager.start(small(seeds=2), device="cpu")
    sweep.wait(120)
    results = results_of(sweep.out, sweep.definition, sweep.progress().finished)
    cells = list(sweep.definition.cells())
    table = cell_table(results, in_flight=[], lost={cells[1].id: "BrokenProcessPool"}, links={}, lang="en")
    assert list(table["status"]) == ["done"] * 4 and list(table["seed"]) == [0, 1, 0, 1]
    partial = results_of(sweep.out, sweep.definition, 4)
    partial = type(partial)(partial.definition, partial.frame.iloc[:1], partial.fit, partial.traces)
    table = cell_table(partial, in_flight=[cells[2].id], lost={cells[1].id: "lost"}, links={}, lang="zh")
    assert list(table["状态"]) == ["完成", "丢失", "训练中", "等待中"]
    assert list(cell_table(partial, [], {}, {}, "en", active=False)["status"])[1:] == ["not run"] * 3


def test_the_sweeps_zip_holds_definition_tables_fit_and_cells(made):
    manager = made()
    sweep = manager.start(small(seeds=1), device="cpu")
    sweep.wait(120)
    with zipfile.ZipFile(io.BytesIO(zip_sweep(sweep.out))) as archive:
        names = set(archive.namelist())
    assert {"sweep.json", "results.csv", "results.parquet", "fit.json", STATUS_FILE} <= names
    assert sum(name.startswith("cells/") and name.endswith(".npz") for name in names) == 2


# ---- the form ---------------------------------------------------------------------------------------------


def test_the_form_builds_presets_and_grids_of_ones_own():
    assert source_axes("frequency-law") == [("target.frequencies", "1,2,3,4,5,6,7,8"), ("network.activation", "relu,tanh")]
    assert source_steps("frequency") == 8000 and source_steps("beyond-gd") == 500
    assert "network.activation" in setting_keys("sine-fit") and "seed" not in setting_keys("sine-fit")
    assert (value_text("amplitude", "target.frequencies"), value_text("sine-fit", "training.lr")) == ("[1,4]", "0.0003")
    preset = LabForm("frequency", (("target.frequencies", "[1,2],[1,3]"), ("", "")), seeds=2, steps=500).definition()
    assert (preset.size, preset.preset, preset.base_config["training"]["steps"]) == (4, "frequency", 500)
    own = LabForm("sine-fit", (("network.activation", "tanh,relu"), ("training.lr", "1e-3,3e-4,1e-4")), seeds=1)
    assert own.cell_count() == 6 and own.definition().grid_keys == ["network.activation", "training.lr"]
    many = ",".join(f"{k}e-5" for k in range(1, 101))
    assert LabForm("sine-fit", (("training.lr", many),), seeds=1000).cell_count() == 100_000  # counted, not built
    with pytest.raises(SweepError, match="network.activation=swish"):
        LabForm("sine-fit", (("network.activation", "tanh,swish"),), seeds=1).definition()


# ---- the estimate -------------------------------------------------------------------------------------------


def test_the_estimate_counts_every_cells_steps_at_the_measured_rate():
    definition = define_sweep("sine-fit", overrides=SMALL, grid=("training.steps=100,300",), seeds=3)
    assert estimated_seconds(definition, rate=100.0, workers=2) == pytest.approx(POOL_STARTUP_S + (100 + 300) * 3 / 100 / 2)
    assert estimated_seconds(definition, rate=0.0, workers=1) is None
    rate = measured_rate(small(seeds=1, steps=3000), torch.device("cpu"))
    assert 10 < rate < 1e6  # steps per second of the presets' small net on one CPU thread


# ---- retention ------------------------------------------------------------------------------------------------


def test_the_sweeps_folder_is_pruned_by_the_runs_limits_never_an_active_sweep(tmp_path):
    root = tmp_path / "sweeps"
    for name, age in (("old", 40), ("busy", 50), ("new", 1)):
        cells = root / name / "cells"
        cells.mkdir(parents=True)
        (root / name / "sweep.json").write_text("{}")
        mark_app_folder(root / name)
        (cells / "a.json").write_bytes(b"\0" * 1000)
        stamp = time.time() - age * 86400
        for path in (*cells.iterdir(), cells, root / name / "sweep.json", root / name / APP_MARKER, root / name):
            os.utime(path, (stamp, stamp))
    deleted = prune_runs(root, max_age_days=30, max_mb=0, busy=["busy"], marker="sweep.json")
    assert [path.name for path in deleted] == ["old"]
    assert sorted(path.name for path in root.iterdir()) == ["busy", "new"]
    assert prune_runs(root, max_age_days=0, max_mb=0.0015, marker="sweep.json") == [root / "busy"]  # 2 kB > 1.5 kB: sizes count the cells


@pytest.mark.parametrize(("lang", "seed"), [("en", "seed 1"), ("zh", "种子 1")])
def test_a_cells_name_speaks_the_visitors_language(lang, seed):
    assert cell_label({"method": "bfgs", "training.lr": "0.01"}, 1, lang) == f"method=bfgs · training.lr=0.01 · {seed}"


def test_the_cell_heatmaps_are_one_small_bounded_map_per_cell():
    trace = ErrorTrace(np.arange(5000), np.linspace(1, 0.01, 10_000).reshape(5000, 2), ("2", "4"), (1.0, 2.0))
    spec = cell_heatmaps([("ω = 1,2 · seed 0", trace), ("ω = 1,2 · seed 1", trace)], "zh").to_dict(validate=False)
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert spec["columns"] == 4 and spec["title"]["text"] == "各单元的 ΔF"
    assert sorted(data["cell"].unique()) == ["ω = 1,2 · seed 0", "ω = 1,2 · seed 1"]
    per_cell = data.groupby("cell")
    assert (per_cell["row"].nunique() == 2).all() and (per_cell.size() <= 2 * 40).all()  # binned, not 5000 steps
