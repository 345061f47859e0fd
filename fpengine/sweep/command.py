"""``python -m fpengine sweep PRESET --out DIR …``: the sweep subcommand's options and its run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

from fpengine.engine.device import DEVICE_CHOICES, resolve_device
from fpengine.i18n import t
from fpengine.registry import EXPERIMENTS
from fpengine.sweep.definition import SweepDefinition, SweepError, define_sweep, load_definition
from fpengine.sweep.executors import open_pool, scheduler_address
from fpengine.sweep.presets import SWEEP_PRESETS
from fpengine.sweep.results import prepare_sweep_dir

if TYPE_CHECKING:
    from fpengine.sweep.run import SweepReport

DEFAULT_SEEDS = 3
EXIT_INTERRUPTED = 130
EXIT_LOST_CELLS = 1


def add_arguments(sweep: argparse.ArgumentParser) -> None:
    sweep.add_argument(
        "preset",
        help=f"a sweep preset ({', '.join(SWEEP_PRESETS)}), an experiment's name for a sweep of your own, "
        "or an earlier sweep's sweep.json to run it again",
    )
    sweep.add_argument("--out", required=True, help="output folder: new, empty, or an earlier sweep's (resumed)")
    sweep.add_argument("--seeds", type=int, help="seeds per grid combination: 0 … N−1 (default 3)")
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,…",
        help="sweep one setting over these values (repeatable; a list value in brackets: [1,4],[1,5])",
    )
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix one setting of the base config for every cell, as in `run` (repeatable)",
    )
    sweep.add_argument("--steps", type=int, help="training steps of every cell")
    sweep.add_argument("--workers", type=int, help="local worker processes (default: one per core, less one)")
    sweep.add_argument("--scheduler", help="a Dask scheduler, e.g. tcp://host:8786 (default $DASK_SCHEDULER_ADDRESS; none: local pool)")
    sweep.add_argument("--device", default="auto", help="each cell's device: auto (CUDA/MPS if present), cpu, cuda or mps")
    sweep.add_argument("--lang", default="en", choices=["en", "zh"], help="language of the figures and of the error messages")
    sweep.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument(
        "--no-batch",
        action="store_true",
        help="train every cell alone (by default cells that differ only in seed or target train together as one stacked model)",
    )


def presets_epilog() -> str:
    width = max(len(name) for name in SWEEP_PRESETS)
    return "presets:\n" + "\n".join(f"  {name:<{width}}  {t(preset.description_key)}" for name, preset in SWEEP_PRESETS.items())


def build_definition(args: argparse.Namespace) -> SweepDefinition:
    if args.preset.endswith(".json"):
        definition = load_definition(args.preset)
        given = [
            option
            for option, value in (("--grid", args.grid), ("--set", args.overrides), ("--steps", args.steps), ("--seeds", args.seeds))
            if value not in (None, [])
        ]
        if given:
            raise SweepError("sweep.error.complete_definition", option=given[0])
        return definition
    preset = SWEEP_PRESETS.get(args.preset)
    experiment = preset.experiment if preset else args.preset
    overrides = tuple(args.overrides)
    seeds = (preset.seeds if preset else DEFAULT_SEEDS) if args.seeds is None else args.seeds
    if args.steps is not None:  # an unknown experiment is refused by define_sweep, by name
        steps_field = EXPERIMENTS[experiment].steps_field if experiment in EXPERIMENTS else "training.steps"
        overrides += (f"{steps_field}={args.steps}",)
    if preset is not None:
        return preset.define(overrides=overrides, grid=tuple(args.grid), seeds=seeds)
    return define_sweep(experiment, overrides=overrides, grid=tuple(args.grid), seeds=seeds)


def _check_device(choice: str, on_this_machine: bool) -> None:
    """A device this machine lacks is refused before any cell; a cluster's workers may have it."""
    if choice not in DEVICE_CHOICES:
        raise SweepError("sweep.error.device", choice=choice, choices=", ".join(DEVICE_CHOICES))
    if on_this_machine:
        try:
            resolve_device(choice)
        except ValueError as error:
            raise SweepError("sweep.error.at", where="--device", error=error) from None


def run_command(args: argparse.Namespace) -> int:
    """The sweep, with a progress bar on stderr and a one-line JSON report on stdout."""
    # here, not at the top: the fits import scipy.stats (~0.6 s), which `list` and `run` never need
    from fpengine.sweep.run import run_sweep

    definition = build_definition(args)
    scheduler = scheduler_address(args.scheduler)
    _check_device(args.device, on_this_machine=scheduler is None)
    with open_pool(args.workers, scheduler) as pool:  # an unreachable cluster writes nothing
        out = prepare_sweep_dir(args.out, definition)
        label = f"{definition.preset or definition.experiment} ({pool.where}, {pool.workers} worker{'s' if pool.workers != 1 else ''})"
        bar = tqdm(total=definition.size, unit="cell", desc=label, file=sys.stderr, disable=args.quiet, dynamic_ncols=True)

        def advance(report: SweepReport) -> None:
            if report.ran == 0:  # the first call: cells finished earlier count, but not in the rate
                bar.initial = bar.n = report.resumed
                bar.refresh()
            else:
                bar.update(report.finished - bar.n)

        try:
            report = run_sweep(
                definition,
                out,
                pool,
                device=args.device,
                figures=not args.no_figures,
                lang=args.lang,
                on_cell=advance,
                batch=not args.no_batch,
            )
        except OSError as error:  # the folder was checked before the first cell; a full disk can still refuse
            raise SweepError("sweep.error.cannot_write", path=str(out), reason=error.strerror or str(error)) from None
        finally:
            bar.close()
    print(
        json.dumps(
            {
                "sweep": definition.preset or definition.experiment,
                "out": str(out),
                "cells": report.total,
                "finished": report.finished,
                "resumed": report.resumed,
                "ran": report.ran,
                "lost": len(report.lost),
                "complete": report.complete,
            }
        )
    )
    if report.interrupted:
        print(
            f"interrupted: {report.finished} of {report.total} cells finished and kept in {out}; run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if report.lost:
        first = next(iter(report.lost.values()))
        print(
            f"error: {len(report.lost)} cell(s) have no result (first: {first}); run the same command again to retry them", file=sys.stderr
        )
        return EXIT_LOST_CELLS
    return 0
