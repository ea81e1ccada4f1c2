"""Running per-image tasks: on a dask cluster (local or remote) or in this process, with progress.

:class:`Runner` is where tasks run; :class:`Report` is what a batch says at the end.
A task is a plain function of a small dict (file paths and prompts, never pixels), run on
a worker, returning a small dict; one that returns ``{"error": reason}`` or raises is a
failure, recorded with its reason, and never stops the others.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Optional

from ..errors import InputError
from . import worker as worker_side

__all__ = ["Cluster", "Runner", "Report", "Failure", "Task", "Progress", "run_tasks", "runs_here", "ENV_SCHEDULER"]

ENV_SCHEDULER = "DASK_SCHEDULER_ADDRESS"
_HINT = "run: pip install 'interactive-seg[batch]' (or pass workers=0 to run in this process)"


def runs_here(scheduler=None, client=None) -> bool:
    """Whether the workers run on this machine (this process or a local cluster): no
    scheduler given, none in ``$DASK_SCHEDULER_ADDRESS``, no client of the caller's."""
    return scheduler is None and client is None and not os.environ.get(ENV_SCHEDULER)


@dataclass(frozen=True)
class Cluster:
    """Where a batch job's tasks run: one value every job takes (``cluster=``) and the
    command line builds once from its flags.

    Each job also takes these fields as keywords of its own (``workers=0``,
    ``scheduler="tcp://HOST:PORT"``, ...), laid over ``cluster``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://HOST:PORT``); default
        ``$DASK_SCHEDULER_ADDRESS``. Without one, a local cluster of worker processes
        is started on this machine and closed at the end.
    workers : int, optional
        Local cluster: how many worker processes (default: one per core); 0 runs the
        tasks in this process, without dask. With ``scheduler``: wait until this many
        workers are connected (default 1).
    threads : int, optional
        OpenCV / torch threads per task (default: each machine's cores shared among the
        task threads of the workers on it, so 2 workers on 2 cores get 1 each).
    client : distributed.Client, optional
        Use this client as it is (nothing started or closed).
    preload : sequence of str
        Modules to import on every worker (and here) first: ones that register engines
        or SAM model types.
    connect_timeout : float
        Seconds to wait for a scheduler (and its workers).
    """

    scheduler: Optional[str] = None
    workers: Optional[int] = None
    threads: Optional[int] = None
    client: object = None
    preload: tuple = ()
    connect_timeout: float = 10.0

    def __post_init__(self):
        object.__setattr__(self, "preload", tuple(self.preload or ()))

    @classmethod
    def given(cls, cluster: Optional[Cluster] = None, **values) -> Cluster:
        """The cluster a job was given: ``cluster`` (default: a local one) with ``values``, its fields
        given as keywords, laid over it."""
        if cluster is None:
            cluster = cls()
        elif not isinstance(cluster, cls):
            raise InputError(f"cluster must be an interactive_seg.batch.Cluster; got {type(cluster).__name__}.")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r} (a cluster's are {', '.join(names)})")
        return replace(cluster, **values) if values else cluster

    @property
    def here(self) -> bool:
        """Whether the workers run on this machine (see :func:`runs_here`)."""
        return runs_here(self.scheduler, self.client)


@dataclass
class Task:
    """One unit of work: ``key`` names it (and its result file), ``label`` is what a person reads."""

    key: str
    label: str
    payload: dict
    weight: int = 1  # images it holds, for the progress bar


@dataclass
class Failure:
    """What could not be done, and why."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class Report:
    """The outcome of a batch.

    Attributes
    ----------
    images : int
        Images (tasks) in the batch.
    computed, reused : int
        Images computed now, and images whose result an earlier run had left (resumed).
    failures : list of Failure
        Every image or object that failed, with the reason.
    counts : dict
        What was made (``masks``, ``cutouts``, ``embeddings``...).
    written : list of Path
        Files written at the end (the COCO file).
    seconds : float
        Wall time from the first task submitted to the last result.
    startup : float
        Seconds to start or reach the cluster.
    workers : int
        Workers that ran tasks (0: this process).
    timings : dict
        Summed seconds measured inside the tasks (``task``, ``engine``).
    """

    command: str
    images: int = 0
    computed: int = 0
    reused: int = 0
    failures: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    written: list = field(default_factory=list)
    seconds: float = 0.0
    startup: float = 0.0
    workers: int = 0
    timings: dict = field(default_factory=dict)
    document: object = None  # the COCO document written, where there is one

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_status(self) -> int:
        """0 when everything succeeded, 1 when something failed."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        where = f"{self.workers} worker{'s' if self.workers != 1 else ''}" if self.workers else "this process"
        made = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        lines = [
            f"{self.images} image{'s' if self.images != 1 else ''}: {self.computed} computed, {self.reused} from an "
            f"earlier run, in {self.seconds:.1f} s on {where}" + (f"; {made}" if made else "") + "."
        ]
        lines += [f"Wrote {path}" for path in self.written]
        if self.failures:
            lines.append(f"{len(self.failures)} failed:")
            lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """A progress bar on stderr: counts, failures, time so far and time left.

    On a terminal the line is redrawn in place (at most ten times a second); elsewhere
    (a log file) a line is printed at every tenth of the work.
    """

    def __init__(self, total: int, *, what: str = "images", quiet: bool = False, stream=None):
        self.total, self.what, self.quiet = int(total), what, quiet
        self.stream = stream if stream is not None else sys.stderr
        self.done = self.failed = self.computed = 0
        self.start = time.perf_counter()
        self._drawn = 0.0
        self._tenth = -1
        self._shown = None  # the last line printed (not on a terminal)
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False

    def skip(self, count: int) -> None:
        """Count results an earlier run left."""
        self.done += count

    def advance(self, count: int = 1, failed: int = 0) -> None:
        """Count ``count`` items done now, ``failed`` of them failed."""
        self.done += count
        self.computed += count
        self.failed += int(failed)
        self.draw()

    def line(self) -> str:
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.perf_counter() - self.start
        text = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {self.what}"
        if self.failed:
            text += f", {self.failed} failed"
        text += f", {_duration(elapsed)}"
        left = self.total - self.done
        if left and self.computed:
            text += f", about {_duration(left * elapsed / self.computed)} left"
        return text

    def draw(self, final: bool = False) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        if self.tty:
            if final or now - self._drawn >= 0.1:
                self._drawn = now
                print("\r" + self.line() + ("\n" if final else ""), end="", file=self.stream, flush=True)
            return
        tenth = int(10 * self.done / max(self.total, 1))
        if (final and self._shown != (self.done, self.failed)) or tenth > self._tenth:
            self._tenth = tenth
            self._shown = (self.done, self.failed)
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        self.draw(final=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return str(exc)
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the workers running it died several times (out of memory, or killed); see the workers' logs"
    if name in ("CancelledError", "FutureCancelledError"):
        return "it was cancelled: the connection to the scheduler was lost"
    return f"{name}: {exc}"


class Runner:
    """Where a batch's tasks run: a :class:`Cluster` connected to (or started), or this process.

    Parameters
    ----------
    cluster : Cluster, optional
        Where (default: a local cluster, one worker process per core); ``where`` are its
        fields as keywords, laid over it (``Runner(workers=0)``).
    """

    def __init__(self, cluster: Optional[Cluster] = None, **where):
        cluster = Cluster.given(cluster, **where)
        scheduler, workers, threads, client = cluster.scheduler, cluster.workers, cluster.threads, cluster.client
        if workers is not None and int(workers) < 0:
            raise InputError(f"workers must be 0 (this process) or more; got {workers}.")
        if threads is not None and int(threads) < 1:
            raise InputError(f"threads must be at least 1; got {threads}.")
        if scheduler is None and client is None:
            scheduler = os.environ.get(ENV_SCHEDULER) or None
            if scheduler is not None and workers == 0:
                scheduler = None  # workers=0 asks for this process explicitly
        if scheduler is not None and workers == 0:
            raise InputError("workers=0 runs in this process; leave it out when you give a scheduler.")
        self.scheduler = scheduler
        self.workers_wanted = None if workers is None else int(workers)
        self.threads = None if threads is None else int(threads)
        self.preload = cluster.preload
        self.timeout = float(cluster.connect_timeout)
        self.client = client
        self._own_client = False
        self._cluster = None
        self.startup = 0.0

    # -- connecting ----------------------------------------------------------------------
    def __enter__(self) -> Runner:
        start = time.perf_counter()
        worker_side.preload_here(self.preload)  # here too: names they register are checked here
        if self.client is None and self.scheduler is None and self.workers_wanted == 0:
            if self.threads is not None:
                worker_side.configure(self.threads)
            self.startup = time.perf_counter() - start
            return self
        try:
            from . import _dask
        except ImportError as exc:
            raise InputError(f"Batch work needs dask.distributed ({exc}); {_HINT}.") from None
        try:
            if self.client is None:
                if self.scheduler is not None:
                    self._connect(_dask)
                else:
                    self._start_local(_dask)
                self._own_client = True
            self._setup_workers(_dask)
        except BaseException:
            self.close()
            raise
        self.startup = time.perf_counter() - start
        return self

    def _connect(self, _dask) -> None:
        address = str(self.scheduler)
        if "://" not in address:
            address = "tcp://" + address
        try:
            self.client = _dask.Client(address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"Cannot reach the dask scheduler at {address} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}); "
                "start one with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out --scheduler to run on this machine."
            ) from None
        wanted = self.workers_wanted or 1
        try:
            self.client.wait_for_workers(wanted, timeout=self.timeout)
        except (TimeoutError, OSError):
            have = len(self.client.scheduler_info().get("workers", {}))
            raise InputError(
                f"The scheduler at {address} has {have} worker{'s' if have != 1 else ''} after {self.timeout:g} s, "
                f"and {wanted} {'is' if wanted == 1 else 'are'} needed; start workers with `dask worker {address}`."
            ) from None

    def _start_local(self, _dask) -> None:
        count = self.workers_wanted or worker_side.available_cores()
        if self.threads is None:
            self.threads = max(1, worker_side.available_cores() // count)  # the machine's cores shared out
        try:
            self._cluster = _dask.start_local(count)
            self.client = _dask.Client(self._cluster, set_as_default=False)
        except (OSError, RuntimeError) as exc:
            raise InputError(f"Could not start {count} local dask workers ({exc}); try fewer with --workers.") from None

    def _setup_workers(self, _dask) -> None:
        try:
            slots = _dask.task_slots(self.client) if self.threads is None else {}
            self.client.register_plugin(_dask.WorkerSetup(self.threads, self.preload, slots), name=_dask.PLUGIN_NAME)
        except ImportError as exc:
            raise InputError(
                f"The workers cannot import a preload module ({exc}); install it where the workers run."
            ) from None

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._own_client and self.client is not None:
            try:
                self.client.close()
            except Exception:  # noqa: BLE001 - closing a lost connection is not the user's problem
                pass
            self.client = None
        if self._cluster is not None:
            try:
                self._cluster.close()
            except Exception:  # noqa: BLE001
                pass
            self._cluster = None

    @property
    def workers(self) -> int:
        """Workers connected now (0 when tasks run in this process)."""
        if self.client is None:
            return 0
        return len(self.client.scheduler_info().get("workers", {}))

    # -- running -------------------------------------------------------------------------
    def call(self, fn: Callable, *args):
        """Run ``fn(*args)`` once on a worker (here without a cluster); its exception is raised here."""
        if self.client is None:
            return fn(*args)
        return self.client.submit(fn, *args, pure=False).result()

    def run(
        self, tasks: list, fn: Callable, on_result: Callable, on_failure: Callable, progress: Optional[Progress] = None
    ) -> None:
        """Run ``fn(task.payload)`` for every task; ``on_result(task, result)`` or ``on_failure(task, reason)`` here, as each ends.

        ``on_result`` may return how many of the task's images failed inside it (for the
        progress bar's count); a task that fails as a whole counts all of its images.
        """

        def settle(task, result=None, exc=None):
            if exc is None and isinstance(result, dict) and result.get("error"):
                reason = result["error"]
            elif exc is not None:
                reason = _reason(exc)
            else:
                reason = None
            if reason is None:
                failed = on_result(task, result) or 0
            else:
                on_failure(task, reason)
                failed = task.weight
            if progress is not None:
                progress.advance(task.weight, failed=failed)

        if not tasks:
            return
        if self.client is None:
            for task in tasks:
                try:
                    result = fn(task.payload)
                except Exception as exc:  # noqa: BLE001 - one image never stops the batch
                    settle(task, exc=exc)
                else:
                    settle(task, result)
            return
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        futures = self.client.map(
            fn, [t.payload for t in tasks], key=[f"iseg-{t.key}-{token}" for t in tasks], pure=False
        )
        by_key = {f.key: t for f, t in zip(futures, tasks)}
        try:
            for future in as_completed(futures, loop=self.client.loop):
                task = by_key[future.key]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001
                    settle(task, exc=exc)
                else:
                    settle(task, result)
                future.release()
        except BaseException:
            self.client.cancel(futures)
            raise


def run_tasks(
    runner: Runner,
    tasks: list,
    fn: Callable,
    on_result: Callable,
    on_failure: Callable,
    report: Report,
    *,
    progress: bool = True,
    done: Optional[Callable] = None,
) -> None:
    """Run a batch's tasks on ``runner`` with a progress bar, and fill in ``report``'s counts and times.

    ``done(task)`` says that an earlier run left the task's result (it is skipped and
    counted as reused). Sets ``startup``, ``reused``, ``computed`` (tasks), ``seconds``
    (from the first task submitted to the last result) and ``workers``.
    """
    todo = [t for t in tasks if done is None or not done(t)]
    report.startup = runner.startup
    report.reused = len(tasks) - len(todo)
    bar = Progress(sum(t.weight for t in tasks), quiet=not progress)
    bar.skip(sum(t.weight for t in tasks) - sum(t.weight for t in todo))
    start = time.perf_counter()
    try:
        runner.run(todo, fn, on_result, on_failure, bar)
    finally:
        bar.close()
    report.seconds = time.perf_counter() - start
    report.computed = len(todo)
    report.workers = runner.workers
