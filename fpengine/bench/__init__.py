"""``python -m fpengine bench``: throughput of the engine against the authors' classroom loops (docs/experiments.md#sources).

Each group module provides ``run(quick: bool) -> list[dict]``; every dict is one printed line
(``name``, figures and a ``ratio``), and the command ends with one JSON line holding them all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from fpengine.engine.device import configure_threads


def groups() -> dict[str, Callable[[bool], list[dict]]]:
    """The benchmark groups: one per chapter section of the registry, then the sweep's."""
    from fpengine.registry import SECTIONS
    from fpengine.sweep import bench as sweep

    return {**{s.name: s.bench for s in SECTIONS if s.bench is not None}, "sweep": sweep.run}


def format_row(row: dict) -> str:
    figures = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items() if k != "name")
    return f"{row['name']:<32} {figures}"


def run_benchmarks(only: list[str], quick: bool = False) -> int:
    available = groups()
    unknown = [name for name in only if name not in available]
    if unknown:
        print(f"error: unknown benchmark group {unknown[0]!r} (choose from {', '.join(available)})", file=sys.stderr)
        return 2
    configure_threads()
    rows: list[dict] = []
    for name, group in available.items():
        if only and name not in only:
            continue
        for row in group(quick):
            print(format_row(row), flush=True)
            rows.append(row)
    print(json.dumps({"benchmarks": rows}))
    return 0
