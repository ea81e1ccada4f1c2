"""The dask.distributed side of a batch: the local cluster, connecting, the worker setup plugin.

The only module of the package that imports ``distributed`` at its top; the rest of
:mod:`interactive_seg.batch` imports it when a cluster is asked for.
"""

from __future__ import annotations

import logging

from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from . import worker as worker_side

__all__ = ["Client", "LocalCluster", "WorkerSetup", "start_local"]

PLUGIN_NAME = "interactive-seg-batch"


class WorkerSetup(WorkerPlugin):
    """Runs on every worker (and every worker that joins later): thread limits and preloads.

    ``threads`` None gives each task slot its share of the worker machine's cores
    (cores // worker threads, at least 1).
    """

    name = PLUGIN_NAME

    def __init__(self, threads=None, preload=()):
        self.threads = threads
        self.preload = tuple(preload)

    def setup(self, worker):
        threads = self.threads
        if threads is None:
            slots = max(1, int(getattr(worker.state, "nthreads", 1) or 1))
            threads = max(1, worker_side.available_cores() // slots)
        worker_side.configure(threads, self.preload)


def start_local(workers: int):
    """A LocalCluster of ``workers`` processes with one task thread each, quiet, no dashboard."""
    return LocalCluster(
        n_workers=int(workers),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
