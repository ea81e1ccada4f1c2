"""Object changes and exports off the GUI thread: one job at a time, in the order asked.

On a large image an accept, delete, undo or redo rewrites millions of label pixels (the
object's box) and recolours them for the screen, and an export encodes whole files: done
on the GUI thread they froze the window for seconds. A :class:`Jobs` queue runs each such
job's ``work`` in a worker thread and then its ``done`` on the GUI thread; jobs never
overlap, so the model is changed by one thread at a time. Where the image is small (below
``sync_pixels``) and nothing is queued, a job runs at once on the GUI thread, as before:
it takes milliseconds, and the caller gets its result back.

Code on the GUI thread that reads or changes the model outside a job (choosing another
image, renaming a class, editing an object) calls :meth:`Jobs.finish` first: it waits for
the running job and runs the queued ones, so it always sees the model at rest. Quitting
the application does the same, so no change asked for is left unmade (or unsaved).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, Optional

from napari.qt.threading import create_worker
from qtpy.QtCore import QCoreApplication, QObject, QTimer, Signal

__all__ = ["Jobs", "SYNC_PIXELS"]

#: Images with fewer pixels than this change their objects on the GUI thread (milliseconds).
SYNC_PIXELS = 4_000_000


class _Job:
    __slots__ = ("work", "done", "failed", "progress", "result", "error", "event", "handled", "name")

    def __init__(self, work, done, failed, progress, name):
        self.work, self.done, self.failed, self.progress, self.name = work, done, failed, progress, name
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.event = threading.Event()
        self.handled = False


class _Relay(QObject):
    """Carries a worker's progress reports to the GUI thread (a queued signal)."""

    report = Signal(object, object)


class Jobs:
    """A queue of jobs, each ``work(report)`` in a worker then ``done(result)`` on the GUI thread.

    ``report(value)`` may be called by ``work`` from the worker: ``progress(value)`` then
    runs on the GUI thread. ``on_busy(busy)`` runs when the queue starts or stops working.
    """

    def __init__(self, on_busy: Optional[Callable[[bool], None]] = None, sync_pixels: int = SYNC_PIXELS):
        self.sync_pixels = int(sync_pixels)
        self._on_busy = on_busy
        self._queue: deque = deque()
        self._running: Optional[_Job] = None
        self._worker = None
        self._draining = False
        self._told_busy = False
        self._relay = _Relay()
        self._relay.report.connect(self._deliver_report)
        app = QCoreApplication.instance()
        if app is not None:  # quitting with changes queued: make them (and their saves) first
            app.aboutToQuit.connect(functools.partial(_finish_at_quit, weakref.ref(self)))

    @property
    def busy(self) -> bool:
        """True while a job runs or waits."""
        return self._running is not None or bool(self._queue)

    @property
    def running(self) -> str:
        """The name of the job running now ("" when none)."""
        return self._running.name if self._running is not None else ""

    def run(
        self,
        work: Callable,
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        pixels: int = 0,
        progress: Optional[Callable[[Any], None]] = None,
        name: str = "",
    ) -> bool:
        """Run ``work`` then ``done`` (or ``failed`` with what ``work`` raised).

        Returns True when it ran already (a small job with nothing queued: on this thread),
        False when it waits its turn in the worker.
        """
        job = _Job(work, done, failed, progress, name)
        if not self.busy and pixels < self.sync_pixels:
            self._inline(job)
            return True
        self._queue.append(job)
        if not self._told_busy:
            self._told_busy = True
            if self._on_busy is not None:
                self._on_busy(True)
        # The worker starts on the loop's next turn, after the frame that shows what the
        # caller changed on the canvas just now (a cleared preview): on a software OpenGL that
        # frame needs every core, and a worker started at once took one of them
        QTimer.singleShot(0, self._next)
        return False

    def finish(self) -> None:
        """Wait for the running job and run the queued ones here: the model is at rest after."""
        if not self.busy:
            return
        self._draining = True
        try:
            while self._running is not None or self._queue:
                job = self._running
                if job is not None:
                    job.event.wait()
                    self._complete(job)  # the worker's own 'finished' signal will find it handled
                else:
                    self._inline(self._queue.popleft())
        finally:
            self._draining = False
        self._idle()

    # -- pieces --------------------------------------------------------------------------
    def _inline(self, job: _Job) -> None:
        try:
            job.result = job.work(lambda value: job.progress and job.progress(value))
        except Exception as exc:  # handed to the job's own handler, as from a worker
            job.error = exc
        job.event.set()
        self._complete(job)

    def _next(self) -> None:
        if self._running is not None or self._draining:
            return
        if not self._queue:
            self._idle()
            return
        job = self._running = self._queue.popleft()

        def body():
            try:
                job.result = job.work(lambda value: self._relay.report.emit(job, value))
            except Exception as exc:
                job.error = exc
            finally:
                job.event.set()

        worker = create_worker(body, _start_thread=False)
        worker.finished.connect(lambda: self._complete(job))
        self._worker = worker
        worker.start()

    def _complete(self, job: _Job) -> None:
        if job.handled:
            return
        job.handled = True
        if self._running is job:
            self._running = None
            self._worker = None
        try:
            if job.error is not None:
                job.failed(job.error)
            else:
                job.done(job.result)
        finally:
            self._next()

    def _idle(self) -> None:
        if self._told_busy and not self.busy:
            self._told_busy = False
            if self._on_busy is not None:
                self._on_busy(False)

    def _deliver_report(self, job: _Job, value) -> None:
        if not job.handled and job.progress is not None:
            job.progress(value)


def _finish_at_quit(ref) -> None:
    """Finish a queue (held weakly, so the connection keeps no widget alive) as the application quits."""
    jobs = ref()
    if jobs is None:
        return
    try:
        jobs.finish()
    except RuntimeError:  # a job's follow-up met a widget already deleted: the change itself is made
        pass
