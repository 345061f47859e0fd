"""A Dask cluster for a test, on 127.0.0.1."""

from __future__ import annotations

from typing import Any


def local_cluster(workers: int = 1, **kwargs: Any) -> Any:
    """``workers`` one-thread worker processes and their scheduler, without dashboards; the scheduler's
    own HTTP endpoint on a free port (by default 8787, which two clusters of tests running side by side
    both asked for). ``kwargs`` go to ``LocalCluster`` (e.g. ``preload``)."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        **kwargs,
    )
