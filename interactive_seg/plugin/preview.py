"""Preview scheduling: engine calls in a worker thread, newest prompt wins, stale results dropped.

One engine call runs at a time. A prompt given while one runs waits as the single pending
request (a newer prompt replaces it), and the running call is given up at the engine's
next step (``Engine.interrupt``; GrabCut's between its graph cuts); a result whose prompt
is no longer the newest is dropped, never shown. An image embedding (engines with ``embeds``) runs in a worker of its
own with a progress bar and can be cancelled; prompts given meanwhile wait for it.
``reset`` is never called on the GUI thread while a worker may be inside the engine: it
is done in the worker, before the next call.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import numpy as np
from napari.qt.threading import create_worker
from qtpy.QtCore import QCoreApplication, QEventLoop, QThread

from .. import get_engine
from ..engines import Interrupted, Result
from ..provenance import engine_record, image_record, make_record, prompts_record

__all__ = ["Preview", "PreviewRunner"]


def outline(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of ``mask`` within ``width`` pixels of its edge (the crop's border counts
    as edge), as a bool array: an erosion by a square, which OpenCV does in time linear in
    the pixels whatever the width (0.08 s for a 36-megapixel crop; scipy's takes 0.7 s)."""
    import cv2

    side = 2 * int(width) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    inside = cv2.erode(np.ascontiguousarray(mask, np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask & ~inside.astype(bool)


def outline_width(shape) -> int:
    """Contour width in image pixels: about a 400th of the image's longest side (2 at least),
    so it stays visible when a large image is zoomed to fit."""
    return max(2, round(max(shape[:2]) / 400))


@dataclass
class Preview:
    """A mask to show and to accept: a crop of it at ``offset`` (x0, y0), and the engine's result.

    ``edge`` (the crop's contour, drawn over the light fill) is computed where the Preview
    is made: in the worker for an engine's result.
    """

    mask: Optional[np.ndarray]  # bool crop over the mask's bounding box; None when the mask is empty
    offset: tuple
    shape: tuple  # (H, W) of the image
    result: Optional[Result] = None
    edge: Optional[np.ndarray] = None
    #: ``(engine_record, prompts_record, image_record)`` of the engine call that made it
    #: (:mod:`interactive_seg.provenance`), all three made in the worker (the image's a hash
    #: of its pixels, 0.16 s for 24 megapixels); None for a mask not made by an engine here
    made_by: Optional[tuple] = None

    def __post_init__(self):
        if self.edge is None and self.mask is not None:
            self.edge = outline(np.asarray(self.mask, bool), outline_width(self.shape))

    def record(self, previous: Optional[dict] = None) -> Optional[dict]:
        """The provenance record of the object this preview makes (``previous``: the edited
        object's record); None for a mask no engine made here (an object loaded for editing
        and accepted as it was). Its parts, the image's hash included, were made in the worker."""
        if self.made_by is None:
            return None
        engine, prompts, image = self.made_by
        return make_record(engine, prompts, image, previous=previous)

    @classmethod
    def of(cls, mask: np.ndarray, result: Optional[Result] = None) -> Preview:
        """Crop a full-size mask to its bounding box (done in the worker, off the GUI thread)."""
        mask = np.asarray(mask, bool)
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return cls(None, (0, 0), mask.shape, result)
        cols = np.flatnonzero(mask.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        return cls(mask[r0:r1, c0:c1].copy(), (int(c0), int(r0)), mask.shape, result)

    @property
    def pixels(self) -> int:
        return 0 if self.mask is None else int(np.count_nonzero(self.mask))

    @property
    def box(self) -> Optional[tuple]:
        """``(x0, y0, x1, y1)`` of the crop; None when empty."""
        if self.mask is None:
            return None
        x0, y0 = self.offset
        return (x0, y0, x0 + self.mask.shape[1], y0 + self.mask.shape[0])


#: How long a closing window waits for the engine call running in a worker.
STOP_SECONDS = 30.0


class PreviewRunner:
    """Runs engine calls and embeddings in workers and reports back through callbacks.

    Parameters
    ----------
    on_result : callable
        ``on_result(preview)`` with the :class:`Preview` of the newest prompt.
    on_refused : callable
        ``on_refused(error)`` when the engine refused the newest prompt (an InputError).
    on_failed : callable
        ``on_failed(error)`` for anything else the engine raised.
    on_status : callable
        ``on_status(text)`` with a line for the status bar.
    on_embedding : callable
        ``on_embedding(running)`` when an embedding starts or ends.
    """

    def __init__(
        self, on_result, on_refused, on_failed, on_status: Callable[[str], None], on_embedding: Callable[[bool], None]
    ):
        self._on_result, self._on_refused, self._on_failed = on_result, on_refused, on_failed
        self._on_status, self._on_embedding = on_status, on_embedding
        self._engine = None
        self._engine_key = None
        self.generation = 0
        self.pending = None  # (generation, engine, image, prompts) waiting to run
        self.worker = None
        self._running = None  # the generation of the request the worker answers
        self.embed_worker = None
        self._reset = False  # reset the engine before its next call (in the worker)
        self._embed_request = None  # an embedding waiting for the running engine call
        self.last_result: Optional[Result] = None
        self._image_records: OrderedDict = OrderedDict()  # id(image) -> (weak ref, record), in workers only
        self._stopping = False  # the window closes: a running engine call is given up

    # -- engines -------------------------------------------------------------------------
    def engine(self, name: str, options: dict):
        """The engine for these settings, built once and reused while they stay."""
        key = (name, tuple(sorted(options.items())))
        if key != self._engine_key:
            self._engine = get_engine(name, **options)
            self._engine_key = key
        return self._engine

    # -- state ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while an engine call runs or waits to run, or an embedding runs."""
        return self.worker is not None or self.pending is not None or self.embedding

    @property
    def answering(self) -> bool:
        """True while the answer to the newest request is to come: it runs or waits to run
        (a stale call still running, whose answer will be dropped, does not count)."""
        return self.pending is not None or (self.worker is not None and self._running == self.generation)

    def wait(self, done: Callable[[], bool], seconds: float) -> None:
        """Until ``done()`` or no answer is to come (:attr:`answering`), at most ``seconds``:
        the event loop runs meanwhile without the user's input, since an answer comes as a
        queued signal (``on_result`` runs in here)."""
        until = time.monotonic() + seconds
        while not done() and self.answering and time.monotonic() < until:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 50)
            if not done() and self.answering:
                QThread.msleep(5)

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Before the window goes: an embedding stops at its next step, and so does a running
        engine call (``Engine.interrupt``); what is left of them is waited for (at most
        ``seconds``), so no worker thread outlives the window (Qt aborts a program whose
        thread still runs at exit). Should the close be cancelled, the next prompt is
        answered as before."""
        self.cancel_embedding()
        self._stopping = True
        until = time.monotonic() + seconds
        try:
            while (self.worker is not None or self.embed_worker is not None) and time.monotonic() < until:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 50)
                QThread.msleep(5)
        finally:
            self._stopping = False

    @property
    def embedding(self) -> bool:
        """True while an embedding runs or waits for the engine."""
        return self.embed_worker is not None or self._embed_request is not None

    # -- requests ------------------------------------------------------------------------
    def request(self, engine, image, prompts) -> None:
        """Segment ``prompts`` next; an older request not yet started is dropped."""
        self.generation += 1
        self.pending = (self.generation, engine, image, prompts)
        if self.worker is None and not self.embedding:
            self._start()

    def invalidate(self) -> None:
        """Drop the pending request and make any running one stale."""
        self.generation += 1
        self.pending = None

    def reset_engine(self) -> None:
        """Start a new object: the engine forgets the last one before its next call."""
        self._reset = True

    def _start(self) -> None:
        generation, engine, image, prompts = self.pending
        self.pending = None
        reset, self._reset = self._reset, False

        def job():
            if reset:
                engine.reset()
            engine.set_image(image)
            # a newer prompt, or the window closing, gives this call up at the engine's next step
            engine.interrupt = lambda: generation != self.generation or self._stopping
            try:
                result = engine.segment(prompts)
            finally:
                engine.interrupt = None
            preview = Preview.of(result.mask, result)
            preview.made_by = (engine_record(engine), prompts_record(prompts), self._image_record(image))
            return preview

        # errors come back through `errored` (handled here), not re-raised in the event loop
        worker = create_worker(job, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda preview, g=generation: self._returned(g, preview))
        worker.errored.connect(lambda exc, g=generation: self._errored(g, exc))
        worker.finished.connect(self._finished)
        self.worker, self._running = worker, generation
        self._on_status("Segmenting...")
        worker.start()

    def _image_record(self, image) -> dict:
        """:func:`~interactive_seg.provenance.image_record` of ``image``, hashed once per
        image (the last 8 are kept), in the engine's worker: never on the GUI thread."""
        found = self._image_records.get(id(image))
        if found is not None and found[0]() is image:
            return found[1]
        record = image_record(image)
        self._image_records[id(image)] = (weakref.ref(image), record)
        while len(self._image_records) > 8:
            self._image_records.popitem(last=False)
        return record

    def _returned(self, generation: int, preview: Preview) -> None:
        if generation != self.generation:
            return  # stale: a newer prompt is on its way
        self.last_result = preview.result
        self._on_result(preview)

    def _errored(self, generation: int, exc: Exception) -> None:
        if generation != self.generation or isinstance(exc, Interrupted):
            return  # (given up: a newer prompt's answer comes, or the window closes)
        from ..errors import InputError

        (self._on_refused if isinstance(exc, InputError) else self._on_failed)(exc)

    def _finished(self) -> None:
        self.worker = self._running = None
        if self._embed_request is not None and self.embed_worker is None:
            self._start_embedding()
        elif self.pending is not None and self.embed_worker is None:
            self._start()

    # -- embeddings ----------------------------------------------------------------------
    def embed(self, engine, image, description: str) -> None:
        """Run ``engine.embed_steps(image)`` in a worker with a progress bar (after the engine
        call running now, if any: one worker inside an engine at a time)."""
        self.cancel_embedding()
        self._embed_request = (engine, image, description)
        if self.worker is None:
            self._start_embedding()

    def _start_embedding(self) -> None:
        from napari.utils import progress

        engine, image, description = self._embed_request
        self._embed_request = None
        bar = progress(total=100, desc=description)

        def job():
            yield from engine.embed_steps(image)

        worker = create_worker(job, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(lambda fraction: bar.update(int(fraction * 100) - bar.n))
        worker.errored.connect(self._embed_failed)
        worker.finished.connect(lambda w=worker: self._embedded(w, bar))
        self.embed_worker = worker
        self._on_embedding(True)
        self._on_status("Computing the image embedding; prompts given now are applied when it is done.")
        worker.start()

    def _embed_failed(self, exc: Exception) -> None:
        from ..errors import InputError

        self.pending = None  # prompts waiting for this embedding cannot be answered
        (self._on_refused if isinstance(exc, InputError) else self._on_failed)(exc)

    def cancel_embedding(self) -> None:
        """Stop the image encoder at its next step; the engine keeps its previous image."""
        self._embed_request = None
        if self.embed_worker is not None:
            self.embed_worker.quit()

    def _embedded(self, worker, bar) -> None:
        bar.close()
        if worker is not self.embed_worker:
            return
        self.embed_worker = None
        self._on_embedding(False)
        if worker.abort_requested:
            self.pending = None
            self._on_status("Embedding cancelled.")
            return
        self._on_status("Embedding ready.")
        if self.pending is not None and self.worker is None:
            self._start()
