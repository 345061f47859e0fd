"""``python -m fpengine``: the public command line and its files."""

import csv
import errno
import json
import os
import time

import numpy as np
import pytest
import torch
from PIL import Image

from fpengine import export
from fpengine.cli import main
from fpengine.export import load_run, prepare_run_dir, read_config, write_run
from fpengine.oned import bench as oned_bench
from fpengine.registry import EXPERIMENTS
from fpengine.spectral import convergence_steps
from tests.cli_helpers import assert_refused, cli, cli_here
from tests.conftest import ROOT

LONG_RUN = ["run", "equal-amplitude", "--steps", "1000000"]
"""Minutes of training, with the progress bar on: a refusal that came after training would show."""


def test_list_names_every_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("sine-fit", "staircase", "equal-amplitude"):
        assert name in out


@pytest.mark.slow
def test_run_writes_config_metrics_summary_and_figures(tmp_path):
    """A real process, end to end. 600 steps: ω = 1 converges by step ≈ 50; that the higher
    frequencies follow in order is tests/oned/test_experiment.py's F-Principle check (3,000 steps)."""
    out = tmp_path / "d"
    result = cli("run", "equal-amplitude", "--steps", "600", "--seed", "0", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "experiment",
        "steps",
        "device",
        "final_loss",
        "frequencies",
        "convergence_step",
        "epsilon",
        "spearman",
        "steps_per_second",
    ):
        assert key in summary
    assert summary["experiment"] == "equal-amplitude" and summary["steps"] == 600
    steps = summary["convergence_step"]
    assert len(steps) == 3 and steps[0] is not None and all(step is None or 0 <= step <= 600 for step in steps), steps
    config = json.loads((out / "config.json").read_text())
    assert config["experiment"] == "equal-amplitude" and config["training"]["steps"] == 600
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 600
    assert list(rows[0]) == ["step", "loss", "delta_f[1]", "delta_f[3]", "delta_f[5]"]
    # the summary's convergence steps are those of the written ΔF columns
    errors = np.array([[float(row[f"delta_f[{k}]"]) for k in (1, 3, 5)] for row in rows])
    written = np.array([int(row["step"]) for row in rows])
    assert convergence_steps(errors, written, summary["epsilon"], config["spectrum"]["rule"]) == steps
    for name in ("output", "spectrum", "heatmap", "loss", "panels"):
        assert (out / f"figure_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(result.stdout.strip().splitlines()[-1])["experiment"] == "equal-amplitude"

    # a rerun into the same folder replaces the run: no old figure survives beside the new results
    (out / "notes.txt").write_text("mine")
    again = cli_here("run", "sine-fit", "--steps", "2", "--out", str(out), "--quiet", "--no-figures")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "metrics.csv",
        "notes.txt",
        "snapshot.json",
        "snapshot.npz",
        "summary.json",
    ]
    assert json.loads((out / "summary.json").read_text())["experiment"] == "sine-fit"


def test_run_accepts_target_settings_and_reloads_its_config(tmp_path):
    first = tmp_path / "a"
    code = main(
        [
            "run",
            "sine-fit",
            "--steps",
            "50",
            "--out",
            str(first),
            "--quiet",
            "--no-figures",
            "--set",
            "target.frequencies=1,3,5",
            "--set",
            "target.amplitudes=1,0.5,0.25",
            "--lang",
            "zh",
        ]
    )
    assert code == 0
    summary = json.loads((first / "summary.json").read_text())
    assert summary["frequency_indices"] == [2, 6, 10]
    second = tmp_path / "b"
    assert (
        main(
            [
                "run",
                "sine-fit",
                "--config",
                str(first / "config.json"),
                "--out",
                str(second),
                "--quiet",
                "--no-figures",
                "--set",
                "target.formula=sin(x)+0.5*sin(3*x)",
            ]
        )
        == 0
    )
    summary = json.loads((second / "summary.json").read_text())
    assert summary["target"] == "sin(x)+0.5*sin(3*x)" and summary["frequency_indices"] == [2, 6]


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "sine-fit", "--out", "x", "--seed", "-5"], "seed must be a whole number in [0, 2³²−1]; got -5"),
        (["run", "sine-fit", "--out", "x", "--set", "a.b.c=1"], "a is not a setting (known here: grid, network"),
        (["run", "sine-fit", "--out", "x", "--set", " =3"], "expected KEY=VALUE"),
        (["run", "sine-fit", "--out", "x", "--set", "training.lr=fast"], "training.lr must be a number in (0, 10]; got 'fast'"),
        (["run", "sine-fit", "--out", "x", "--set", "bogus=1"], "bogus is not a setting (known here: grid, network"),
        (["run", "sine-fit", "--out", "x", "--set", "nokey"], "expected KEY=VALUE"),
        (["run", "sine-fit", "--out", "x", "--set", "target.formula=__import__('os').system('id')"], "target.formula"),
        (["run", "sine-fit", "--out", "x", "--steps", "0"], "training.steps"),
        (["run", "sine-fit", "--out", "x", "--device", "tpu"], "unknown device"),
        (["run", "sine-fit", "--out", "x", "--preset", "huge"], "unknown preset"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(tmp_path, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err and "Traceback" not in err


REFUSALS = {
    "steps": (["run", "sine-fit", "--out", "x", "--steps", "99999999999"], ["training.steps", "99999999999"]),
    "set": (["run", "sine-fit", "--out", "x", "--set", "=3"], ["--set '=3'", "KEY=VALUE"]),
    "cuda": (["run", "sine-fit", "--out", "x", "--device", "cuda"], ["CUDA"]),
    "experiment": (["run", "nope", "--out", "x"], ["unknown experiment 'nope'"]),
    "lang": (["run", "sine-fit", "--out", "x", "--lang", "fr"], ["--lang", "'fr'"]),
    "bench": (["bench", "--only", "nope"], ["benchmark group 'nope'"]),
}
REAL_PROCESS = ("cuda", "bench")
"""Refused by a fresh interpreter (its exit code and stderr, of each command: ``run``'s device probe,
made by an interpreter that starts with CUDA hidden, and ``bench``'s arguments); every refusal of
``REFUSALS`` by ``main`` in this process too (a settings refusal, as ``steps``, is the same code in
either: it needs no torch import of its own)."""


@pytest.mark.parametrize("name", REFUSALS)
def test_every_refusal_is_one_line_naming_the_input(name, tmp_path):
    args, named = REFUSALS[name]
    assert_refused(cli_here(*args, env={"CUDA_VISIBLE_DEVICES": ""}), *named)
    assert not (ROOT / "x").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", REAL_PROCESS)
def test_a_real_process_refuses_bad_input_in_one_line(name, tmp_path):
    args, named = REFUSALS[name]
    # CUDA hidden, so "--device cuda" is refused on a machine with a GPU too
    assert_refused(cli(*args, timeout=120, env={"CUDA_VISIBLE_DEVICES": ""}), *named)
    assert not (ROOT / "x").exists()


def _non_run_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"mine")
    return folder


@pytest.mark.parametrize(
    "make_out, named",
    [
        (lambda tmp: tmp / "file.txt", ["exists and is not a folder"]),
        (lambda tmp: "/dev/null", ["'/dev/null'", "not a folder"]),
        (lambda tmp: tmp / "file.txt" / "run", ["cannot create", "file.txt"]),
        (lambda tmp: "", ["the folder name is empty"]),
        (lambda tmp: "/proc/fpengine-run", ["cannot create", "/proc/fpengine-run"]),
        (_non_run_folder, ["photos", "not empty"]),
    ],
    ids=["file", "dev-null", "under-a-file", "empty-name", "proc", "other-folder"],
)
def test_an_unusable_out_is_refused_before_training(tmp_path, make_out, named):
    (tmp_path / "file.txt").write_text("keep me")
    out = make_out(tmp_path)
    start = time.monotonic()
    assert_refused(cli_here(*LONG_RUN, "--out", str(out)), "--out", *named)
    assert time.monotonic() - start < 60
    assert (tmp_path / "file.txt").read_text() == "keep me"
    assert not (ROOT / "summary.json").exists()  # --out "" once wrote into the current folder
    if isinstance(out, os.PathLike) and out.name == "photos":
        assert [p.name for p in out.iterdir()] == ["cat.jpg"]


def test_a_folder_that_refuses_writing_is_refused_before_training(tmp_path, monkeypatch):
    """As root a chmod'ed folder stays writable, so the refusal is simulated where the probe opens."""

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(export, "open", refuse, raising=False)
    with pytest.raises(ValueError, match=r"cannot write into .*ro.* \(Permission denied\)"):
        prepare_run_dir(tmp_path / "ro")


def test_an_empty_or_earlier_run_folder_is_accepted(tmp_path):
    assert prepare_run_dir(tmp_path / "new" / "run").is_dir()
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "config.json").write_text("{}")
    assert prepare_run_dir(tmp_path / "old") == tmp_path / "old"
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["config.json"]  # the probe left nothing


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    return tmp_path / "pipe"


def _write(name: str, text: str):
    def make(tmp_path):
        (tmp_path / name).write_text(text)
        return tmp_path / name

    return make


@pytest.mark.parametrize(
    "make_config, named",
    [
        (_fifo, ["pipe", "not a regular file"]),
        (lambda tmp: "/dev/zero", ["'/dev/zero'", "not a regular file"]),
        (_write("list.json", "[1, 2]"), ["list.json", "JSON list"]),
        (_write("broken.json", '{"seed": 1,\n  "training": {"steps": }}'), ["broken.json", "line 2, column 25"]),
    ],
    ids=["fifo", "dev-zero", "list", "malformed"],
)
def test_a_bad_config_file_is_refused_before_training(tmp_path, make_config, named):
    config = make_config(tmp_path)
    assert_refused(cli_here(*LONG_RUN, "--out", str(tmp_path / "run"), "--config", str(config)), *named)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"training": {"steps": Infinity}}', "Infinity is not a number"),
        ('{"training": {"lr": NaN}}', "NaN is not a number"),
        ('{"training": {"lr": -Infinity}}', "-Infinity is not a number"),
        ('{"training": {"lr": 1e999}}', "1e999 is beyond the range"),
        ('{"training": {"steps": 3.5}}', "training.steps must be a whole number in [1, 1,000,000]; got 3.5"),
        ('{"experiment": "staircase"}', "a config of 'staircase', not 'sine-fit'"),
        ('"sine-fit"', "JSON str, not an object"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("", "not valid JSON: Expecting value at line 1, column 1"),
    ],
    ids=["inf", "nan", "minus-inf", "overflow", "fraction", "other-experiment", "string", "deep", "empty"],
)
def test_config_file_contents_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ValueError) as raised:
        read_config(path, EXPERIMENTS["sine-fit"])
    assert str(raised.value).startswith(f"'{path}'") and message in str(raised.value)


def test_config_file_kind_and_size_are_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    with open(path, "wb") as handle:  # at the limit: read (and found not to be JSON)
        handle.truncate(export.MAX_CONFIG_BYTES)
    with pytest.raises(ValueError, match="not valid JSON"):
        read_config(path, EXPERIMENTS["sine-fit"])
    with open(path, "ab") as handle:
        handle.write(b" ")
    monkeypatch.setattr(export, "open", None, raising=False)  # over the limit: never opened
    with pytest.raises(ValueError, match=r"is 1,000,001 bytes; a config is at most 1,000,000"):
        read_config(path, EXPERIMENTS["sine-fit"])
    for missing, why in ((tmp_path / "none.json", "No such file"), (tmp_path, "not a regular file")):
        with pytest.raises(ValueError, match=why):
            read_config(missing, EXPERIMENTS["sine-fit"])


def test_a_bad_picture_is_refused_in_one_line_before_training(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture at all")
    result = cli_here("run", "image-fit", "--steps", "100000", "--out", str(tmp_path / "x"), "--set", f"image={broken}")
    assert_refused(result, "image", "broken.jpg", "not a picture")  # and no logged traceback before it
    assert not (tmp_path / "x").exists()


def test_a_picture_too_thin_for_the_run_is_refused_before_training(tmp_path):
    thin = tmp_path / "thin.png"
    Image.fromarray((np.random.default_rng(0).random((4, 400)) * 255).astype(np.uint8)).save(thin)
    result = cli_here(
        "run", "image-fit", "--steps", "100000", "--out", str(tmp_path / "x"), "--set", f"image={thin}", "--set", "long_side=64"
    )
    assert_refused(result, "image", "thin.png", "64×1")


def _saved_run(tmp_path):
    directory = tmp_path / "run"
    assert main(["run", "sine-fit", "--steps", "2", "--out", str(directory), "--quiet", "--no-figures"]) == 0
    return directory, load_run(directory, EXPERIMENTS)


def test_a_write_failing_midway_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    directory, saved = _saved_run(tmp_path)
    before = (directory / "summary.json").read_bytes()
    real_dumps = json.dumps

    def failing_dumps(data, **options):  # the summary's serialiser dies after its file was opened
        if isinstance(data, dict) and "final_loss" in data:
            raise RuntimeError("disk gone")
        return real_dumps(data, **options)

    monkeypatch.setattr(export.json, "dumps", failing_dumps)
    with pytest.raises(RuntimeError):
        write_run(directory, EXPERIMENTS["sine-fit"], saved.config, saved.snapshot, status="done", device="cpu", figures=False)
    assert (directory / "summary.json").read_bytes() == before
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "metrics.csv", "snapshot.json", "snapshot.npz", "summary.json"]


def test_a_failed_rename_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def refuse(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "replace", refuse)
    with pytest.raises(OSError), export.atomic_file(target) as handle:
        handle.write(b"new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_diverging_run_exits_non_zero_but_keeps_its_files(tmp_path):
    out = tmp_path / "div"
    code = main(
        [
            "run",
            "equal-amplitude",
            "--out",
            str(out),
            "--quiet",
            "--no-figures",
            "--steps",
            "2000",
            "--set",
            "training.optimizer=sgd",
            "--set",
            "training.lr=10",
        ]
    )
    assert code == 3
    assert json.loads((out / "summary.json").read_text())["status"] == "diverged"


@pytest.mark.slow
def test_bench_prints_ratios_and_one_json_line(monkeypatch):
    # what the command prints, not the figures: each loop timed over a few steps (the layer-by-layer
    # kernel keeps its fresh process, whose own peak memory it reports; the Jacobian baseline, of which
    # only the seconds are checked, runs here instead of in a second fresh process that imports torch)
    monkeypatch.setattr(oned_bench, "TIMED_STEPS", (("book", 12), ("quick", 12)))
    monkeypatch.setattr(oned_bench, "WARM_UP_STEPS", 1)
    fresh = oned_bench._in_fresh_process

    def jacobian_here(method: str, preset: str) -> dict:
        if method != "jacobian":
            return fresh(method, preset)
        threads = torch.get_num_threads()
        try:
            return oned_bench.kernel_cost(method, preset)
        finally:
            torch.set_num_threads(threads)

    monkeypatch.setattr(oned_bench, "_in_fresh_process", jacobian_here)
    result = cli_here("bench", "--quick", "--only", "oned")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    rows = json.loads(lines[-1])["benchmarks"]
    assert [row["name"] for row in rows] == ["equal-amplitude/book", "equal-amplitude/quick", "ntk/quick"]
    # timed figures: only their consistency is known (engine runs that did not finish raise instead)
    for row in rows[:2]:
        assert 0 < row["engine_steps_per_s"] < float("inf") and 0 < row["naive_steps_per_s"] < float("inf")
        assert row["ratio"] == pytest.approx(row["engine_steps_per_s"] / row["naive_steps_per_s"])
    kernel = rows[2]
    assert kernel["ratio"] == pytest.approx(kernel["jacobian_s"] / kernel["kernel_s"])
    assert kernel["parameters"] == 20_501 and kernel["kernel_peak_mb"] > kernel["kernel_added_mb"] >= 0
    assert len(lines) == len(rows) + 1 and "Traceback" not in result.stderr
