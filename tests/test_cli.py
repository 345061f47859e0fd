"""``python -m fpengine``: the public command line and its files."""

import csv
import json
import subprocess
import sys

import pytest

from fpengine.cli import main
from tests.conftest import ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fpengine", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_list_names_every_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("sine-fit", "staircase", "equal-amplitude"):
        assert name in out


def test_run_writes_config_metrics_summary_and_figures(tmp_path):
    out = tmp_path / "d"
    result = cli("run", "equal-amplitude", "--steps", "3000", "--seed", "0", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    for key in ("experiment", "steps", "device", "final_loss", "frequencies", "convergence_step", "epsilon",
                "spearman", "steps_per_second"):
        assert key in summary
    assert summary["experiment"] == "equal-amplitude" and summary["steps"] == 3000
    steps = summary["convergence_step"]
    assert None not in steps and steps == sorted(steps) and len(set(steps)) == 3
    config = json.loads((out / "config.json").read_text())
    assert config["experiment"] == "equal-amplitude" and config["training"]["steps"] == 3000
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3000
    assert list(rows[0]) == ["step", "loss", "delta_f[1]", "delta_f[3]", "delta_f[5]"]
    for name in ("output", "spectrum", "heatmap", "loss", "panels"):
        assert (out / f"figure_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(result.stdout.strip().splitlines()[-1])["experiment"] == "equal-amplitude"


def test_run_accepts_target_settings_and_reloads_its_config(tmp_path):
    first = tmp_path / "a"
    code = main(["run", "sine-fit", "--steps", "50", "--out", str(first), "--quiet", "--no-figures",
                 "--set", "target.frequencies=1,3,5", "--set", "target.amplitudes=1,0.5,0.25", "--lang", "zh"])
    assert code == 0
    summary = json.loads((first / "summary.json").read_text())
    assert summary["frequency_indices"] == [2, 6, 10]
    second = tmp_path / "b"
    assert main(["run", "sine-fit", "--config", str(first / "config.json"), "--out", str(second), "--quiet",
                 "--no-figures", "--set", "target.formula=sin(x)+0.5*sin(3*x)"]) == 0
    summary = json.loads((second / "summary.json").read_text())
    assert summary["target"] == "sin(x)+0.5*sin(3*x)" and summary["frequency_indices"] == [2, 6]


@pytest.mark.parametrize("args, message", [
    (["run", "nope", "--out", "x"], "unknown experiment 'nope'"),
    (["run", "sine-fit", "--out", "x", "--set", "training.lr=fast"], "training.lr: expected a number"),
    (["run", "sine-fit", "--out", "x", "--set", "bogus=1"], "bogus: unknown setting"),
    (["run", "sine-fit", "--out", "x", "--set", "nokey"], "expected KEY=VALUE"),
    (["run", "sine-fit", "--out", "x", "--set", "target.formula=__import__('os').system('id')"], "target.formula"),
    (["run", "sine-fit", "--out", "x", "--steps", "0"], "training.steps"),
    (["run", "sine-fit", "--out", "x", "--device", "tpu"], "unknown device"),
    (["run", "sine-fit", "--out", "x", "--preset", "huge"], "unknown preset"),
])
def test_bad_input_exits_non_zero_with_one_line(tmp_path, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err and "Traceback" not in err


def test_diverging_run_exits_non_zero_but_keeps_its_files(tmp_path):
    out = tmp_path / "div"
    code = main(["run", "equal-amplitude", "--out", str(out), "--quiet", "--no-figures", "--steps", "2000",
                 "--set", "training.optimizer=sgd", "--set", "training.lr=10"])
    assert code == 3
    assert json.loads((out / "summary.json").read_text())["status"] == "diverged"


def test_bench_prints_ratios_and_one_json_line():
    result = cli("bench", "--quick", "--only", "oned")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    rows = json.loads(lines[-1])["benchmarks"]
    assert [row["name"] for row in rows] == ["equal-amplitude/book", "equal-amplitude/quick"]
    assert all(row["ratio"] > 0 for row in rows)
