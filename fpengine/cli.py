"""``python -m fpengine list|run|sweep|bench``: the headless interface researchers script against."""

from __future__ import annotations

import argparse
import json
import os
import sys

from tqdm import tqdm

from fpengine.engine.device import choose_device, configure_threads, describe_device
from fpengine.engine.headless import run_to_end
from fpengine.engine.runner import Snapshot, Status
from fpengine.export import prepare_run_dir, read_config, write_run
from fpengine.i18n import LocalizedError, explain, t
from fpengine.registry import EXPERIMENTS, get_experiment
from fpengine.settings.config import ConfigError, apply_override
from fpengine.settings.schema import validate
from fpengine.sweep.command import add_arguments, presets_epilog, run_command
from fpengine.sweep.definition import SweepError


class UsageError(Exception):
    """A one-line message for the user; the CLI exits non-zero without a traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse's refusals in the CLI's one-line form (its default prints the usage first)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m fpengine", description="F-Principle Explorer, headless.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the experiments")
    run = commands.add_parser("run", help="run one experiment and write its results")
    run.add_argument("experiment", help="experiment name (see `list`)")
    # a str, not a Path: Path("") is "." and an empty --out would write into the current folder
    run.add_argument("--out", required=True, help="output folder: new, empty, or an earlier run's (replaced)")
    run.add_argument("--preset", default="quick", help="quick (CPU-friendly, default) or book (the authors' settings)")
    run.add_argument("--config", help="start from a config.json written by an earlier run")
    run.add_argument("--steps", type=int, help="number of training steps (epochs / iterations)")
    run.add_argument("--seed", type=int, help="random seed")
    run.add_argument("--device", default="auto", help="auto (CUDA/MPS if present), cpu, cuda or mps")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one setting, e.g. --set target.frequencies=1,3,5 (repeatable)",
    )
    run.add_argument("--lang", default="en", choices=["en", "zh"], help="language of the figures and of the error messages")
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep = commands.add_parser(
        "sweep",
        help="run one experiment over a grid of settings × seeds and fit the convergence law",
        epilog=presets_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(sweep)
    bench = commands.add_parser("bench", help="measure training throughput against the classroom loop")
    bench.add_argument("--only", action="append", default=[], help="run only these benchmark groups")
    bench.add_argument("--quick", action="store_true", help="fewer steps (a smoke test, noisier numbers)")
    return parser


def _list() -> int:
    width = max(len(name) for name in EXPERIMENTS)
    for name, experiment in EXPERIMENTS.items():
        print(f"{name:<{width}}  {t(experiment.title_key)} — {t(experiment.description_key)}")
    return 0


def _build_config(args: argparse.Namespace):
    experiment = get_experiment(args.experiment)
    if args.config:
        try:
            config = read_config(args.config, experiment)
        except ValueError as error:  # ConfigError too: the message names the file, the prefix the option
            raise UsageError(f"--config: {error}") from None
    else:
        config = experiment.default_config(args.preset)
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"{experiment.steps_field}={args.steps}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE")
        config = apply_override(config, key.strip(), value.strip())
    validate(config)
    return experiment, config


def _progress_bar(total: int, quiet: bool) -> tqdm:
    """Steps done / total, steps/s and the time left, on stderr."""
    return tqdm(
        total=total,
        unit=" steps",
        file=sys.stderr,
        disable=quiet,
        dynamic_ncols=True,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
    )


def _advance(bar: tqdm, snapshot: Snapshot) -> None:
    if snapshot.total_steps != bar.total:  # a run may end sooner than planned (SciPy meeting its tolerance)
        bar.total = snapshot.total_steps
    bar.update(snapshot.step - bar.n)


def _run(args: argparse.Namespace) -> int:
    try:
        experiment, config = _build_config(args)
        experiment.check_inputs(config)
        chosen = choose_device(args.device)
        device = experiment.device_for(chosen.device)
        experiment.check_fits(config, device)
    except (LocalizedError, KeyError, ValueError, OSError) as error:  # a LocalizedError names its setting and value
        # str(KeyError) is quoted; other messages may end in a quoted value ("got 'inf'") and keep it
        raise UsageError(str(error).strip("'\"") if isinstance(error, KeyError) else explain(error, args.lang)) from None
    try:  # before training: a run must never be lost to an unusable output folder
        out = prepare_run_dir(args.out)
    except ValueError as error:
        raise UsageError(f"--out: {error}") from None
    if chosen.reason == "failed":
        print(f"note: {chosen.detail}; the GPU failed a test computation, so this run trains on the CPU", file=sys.stderr)
    if device.type == "cpu":
        configure_threads()
    with _progress_bar(experiment.total_steps(config), args.quiet) as bar:
        job = run_to_end(experiment, config, device, None if args.quiet else lambda snapshot: _advance(bar, snapshot))
        if job.snapshot is not None and not args.quiet:
            _advance(bar, job.snapshot)
    snapshot = job.snapshot
    if snapshot is None:
        raise UsageError(f"{experiment.name} produced no result ({job.status.value}: {job.message})")
    try:
        summary = write_run(
            out,
            experiment,
            config,
            snapshot,
            status=job.status.value,
            device=describe_device(job.device),
            message=job.message,
            figures=not args.no_figures,
            lang=args.lang,
        )
    except OSError as error:  # the folder was checked before training; a full disk can still refuse
        raise UsageError(f"--out: cannot write the run into {args.out!r} ({error.strerror or error})") from None
    print(json.dumps(summary, ensure_ascii=False))
    if job.status is Status.DIVERGED:
        print(f"error: training diverged at {job.message}; results up to then are in {out}", file=sys.stderr)
        return 3
    if job.status is Status.FAILED:
        print(f"error: {job.message}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # the reader of stdout went away (`fpengine list | head`): not an error of ours, and no traceback.
        # Python's documented recipe: point stdout at devnull so the interpreter's final flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "list":
            return _list()
        if args.command == "run":
            return _run(args)
        if args.command == "sweep":
            return run_command(args)
        from fpengine.bench import run_benchmarks

        return run_benchmarks(args.only, quick=args.quick)
    except (UsageError, ConfigError, SweepError) as error:  # ConfigError: a bad FPENGINE_* setting (threads)
        # in the language of --lang (run, sweep), English otherwise; the "error:" prefix stays for scripts
        print(f"error: {explain(error, getattr(args, 'lang', 'en'))}", file=sys.stderr)
        return 2
