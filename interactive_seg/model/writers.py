"""Writers of a COCO file that are not a session: each writes as the file's one writer.

A session holds its folder's lock for its lifetime (:mod:`.store`); these take it for one
write, waiting up to :data:`WRITER_WAIT` seconds for another one-off writer (parallel
command lines take turns), and refuse in a sentence while a session holds it:
:func:`edit_document` (a change of an open document: ``segment --coco``, ``export
--coco``, napari's writer), :func:`add_to_coco` (the public one-image writer),
:func:`save_document` (a whole file: ``batch masks --out``, ``replay --out``, ``batch
export --coco``, ``Session.save(path)``) and :func:`check_not_held` (that refusal, before a
long job). A job that ends by writing a whole file (``batch masks``, ``replay``, ``batch
export``, ``propose``) notes the file as :func:`check_not_held` found it, and its write is
refused if another program wrote the file meanwhile (a session opened and closed, a
``segment --coco``, a second run of the job): nothing written meanwhile is overwritten by
the job's older copy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from ..coco.document import CocoDocument
from ..coco.locate import size_finder
from ..errors import InputError
from ..export.dataset import add_objects
from ..files import file_stamp, write_bytes_atomic
from .lock import FolderLock, lock_path
from .store import Store

__all__ = [
    "WRITER_WAIT",
    "SESSION_WAIT",
    "edit_document",
    "add_to_coco",
    "save_document",
    "save_bytes",
    "check_not_held",
]

#: Seconds a one-off writer (edit_document, save_document) waits for the folder's lock:
#: parallel command line writers take turns; a session holding the folder still refuses it.
WRITER_WAIT = 5.0

#: Seconds a session opening waits for its folder's lock: a command line writing the file
#: holds it for a moment (a window opened then would be read-only for good); another
#: window holding it for good is waited for that long before the folder opens read-only.
SESSION_WAIT = 1.0


@contextmanager
def edit_document(path: Path, *, where: str = "", image_size=None) -> Iterator[CocoDocument]:
    """Change a COCO file as its one writer: the folder's lock is taken (waiting up to
    :data:`WRITER_WAIT` seconds for another one-off writer, such as a parallel ``segment
    --coco``; an InputError when a session holds it, in a sentence), a journal left by a session that did not close is
    folded in first, and the document, changed in the ``with`` block, is written at its end
    (atomically; nothing is written when the block raises). The command line's writers
    (``segment --coco``, ``export --coco``) change files through this.
    """
    path = Path(path)
    # a record without a size (Label Studio's null width) takes its image's, found beside the file
    store = Store.open(
        path, mode="write", where=where, image_size=image_size or size_finder(path.parent), wait=WRITER_WAIT
    )
    try:
        yield store.doc
    except BaseException:
        # nothing of the block's is written: the document is let go unwritten (a close
        # would fold it in, half-made changes and all); a journal left by a session that
        # did not close stays on disk for the next writer to fold in
        store.let_go()
        raise
    try:
        store.write_whole()
    finally:
        store.close()


def add_to_coco(
    coco_path, file_name: str, width: int, height: int, objects: Sequence, categories=(), *, polygons=False
) -> Path:
    """Put one image's objects into a COCO file: created if missing, the image's objects replaced if present.

    Everything else the file holds is written back as it was read: other images and
    their annotations (encodings, ``iscrowd``, extra keys, ids), ``info``, ``licenses``,
    the image record's own keys. The image is found by its path in the file, else by a
    path one of whose tails it is or which is its tail (``c1.png`` finds ``sub dir/c1.png``;
    ``sub1/a.png`` never finds ``sub2/a.png``). Its old objects (annotations with a
    segmentation) are removed and the objects are added with new ids, after the old ones
    (an id never names two different objects); its annotations without a segmentation (a
    detector's box, keypoints alone) are kept as they are. ``categories`` (class names) are created in order if missing, so
    their ids follow that order; objects' classes not in it are added after.

    ``objects`` have a ``category`` and either a ``mask`` of the image's size or a
    ``crop`` at an ``offset`` (x0, y0) (:class:`~interactive_seg.labels.LabelObject`).
    Returns the path written; on any error the file is left as it was.

    It writes as the file's one writer (:func:`edit_document`):
    refused with an :class:`~interactive_seg.InputError` while a session (a widget, another
    process) has the folder open for writing, and a journal left by a session that did not
    close is folded in first, so no object a session saved is lost to this write.
    """
    coco_path = Path(coco_path)
    with edit_document(coco_path, where=str(coco_path)) as doc:
        add_objects(doc, file_name, width, height, objects, categories, polygons=polygons, where=str(coco_path))
    return coco_path


_ANY = object()


def save_document(doc: CocoDocument, path: Path, *, where: str = "", unchanged_since=_ANY) -> Path:
    """Write a whole document to ``path`` (atomically) as that file's one writer: refused
    with an InputError while a session has its folder open for writing (its saved objects
    and its journal would no longer be the file's), and when ``unchanged_since`` (what
    :func:`check_not_held` returned at the job's start) no longer describes the file:
    another program wrote it meanwhile. The writers of a whole file (``batch masks --out``,
    ``replay --out``, ``batch export --coco``, ``Session.save(path)``) go through this."""
    path = Path(path)
    with _as_writer(path, where):
        _check_unchanged(path, where, unchanged_since)  # before the work of writing, and again before the rename
        return doc.save(path, before_replace=lambda: _check_unchanged(path, where, unchanged_since))


def save_bytes(data: bytes, path: Path, *, where: str = "", unchanged_since=_ANY) -> Path:
    """:func:`save_document` for a file made as bytes (``propose``'s detections, of a job
    that keeps no work: its refusal says so)."""
    path = Path(path)
    with _as_writer(path, where):
        _check_unchanged(path, where, unchanged_since, kept=False)
        return write_bytes_atomic(path, data, lambda: _check_unchanged(path, where, unchanged_since, kept=False))


def check_not_held(path: Path, *, where: str = "") -> Optional[list]:
    """The InputError :func:`save_document` would give now, before a long job that ends
    by writing ``path``; else the file as it is now (its size, time and inode,
    :func:`~interactive_seg.files.file_stamp`; None when there is none), for the job's
    write to check that nobody wrote it meanwhile. Nothing is made: where there is no
    lock file, no session holds the file."""
    if os.path.lexists(lock_path(path)):
        with _as_writer(Path(path), where):
            return file_stamp(Path(path), inode=True)
    return file_stamp(Path(path), inode=True)


def _check_unchanged(path: Path, where: str, since, kept: bool = True) -> None:
    if since is not _ANY and file_stamp(path, inode=True) != since:
        then = (
            "the work done is kept: run the same command again to go on from the file as it is now"
            if kept
            else "nothing of this run is kept: run it again, or write to another file"
        )
        raise InputError(
            f"{where or repr(str(path))} was written by another program while this ran (a window, a command or "
            f"another run); nothing was written over it, and {then}."
        )


@contextmanager
def _as_writer(path: Path, where: str) -> Iterator[None]:
    """Hold ``path``'s folder lock for a moment; an InputError when a session holds it.
    (The lock file stays, as every holder's does: removing it could let two writers each
    hold a lock, one of them on the removed file.)"""
    lock = FolderLock(path)
    if not lock.acquire(WRITER_WAIT) and lock.error is None:
        raise InputError(
            f"{where or repr(str(path))} is open for writing in another window or program; close it there first, "
            "or write to another file."
        )
    try:
        yield  # (the lock held, or not takeable for a reason the write itself will say)
    finally:
        lock.release()
