"""The dask.distributed side of a batch: the local cluster, connecting, the worker setup plugin.

The only module of the package that imports ``distributed`` at its top; the rest of
:mod:`interactive_seg.batch` imports it when a cluster is asked for.
"""

from __future__ import annotations

import logging
import signal
from urllib.parse import urlsplit

from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from . import worker as worker_side

__all__ = ["Client", "LocalCluster", "WorkerSetup", "start_local", "task_slots"]

PLUGIN_NAME = "interactive-seg-batch"


class WorkerSetup(WorkerPlugin):
    """Runs on every worker (and every worker that joins later): thread limits, malloc, preloads.

    ``threads`` None shares each machine's cores among the task threads of the workers
    on it: ``slots`` maps a host to the task threads the scheduler saw there when the batch
    started (a worker that joins later counts its own only).
    """

    name = PLUGIN_NAME

    def __init__(self, threads=None, preload=(), slots=None):
        self.threads = threads
        self.preload = tuple(preload)
        self.slots = dict(slots or {})

    def setup(self, worker):
        threads = self.threads
        if threads is None:
            own = max(1, int(getattr(worker.state, "nthreads", 1) or 1))
            host = urlsplit(worker.address).hostname
            threads = max(1, worker_side.available_cores() // max(own, int(self.slots.get(host, own))))
        worker_side.tune_malloc()
        worker_side.configure(threads, self.preload)
        try:  # Ctrl+C is the batch's to handle (it stops the cluster): no traceback from each worker
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # (not the worker's main thread: a worker of another kind of cluster)
            pass


def task_slots(client) -> dict:
    """Host -> task threads of all the workers on it, as the scheduler knows them now."""
    slots: dict = {}
    for address, info in client.scheduler_info().get("workers", {}).items():
        host = urlsplit(address).hostname
        slots[host] = slots.get(host, 0) + int(info.get("nthreads", 1) or 1)
    return slots


def start_local(workers: int):
    """A LocalCluster of ``workers`` processes with one task thread each, quiet, no dashboard.

    The scheduler's HTTP routes (which it serves even without a dashboard) get a free port
    on 127.0.0.1 rather than 8787, so two batches at once do not warn that the port is taken.
    """
    return LocalCluster(
        n_workers=int(workers),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.CRITICAL,  # a task's failure is said by the batch, in a sentence
    )
