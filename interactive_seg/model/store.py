"""Where a session's COCO document is kept: the file, its journal, the folder's lock.

A :class:`Store` is opened for writing (it holds the folder's lock) or read-only. Every
change is a :class:`~.transaction.Transaction`: it notes each record it touches before touching it;
on commit it appends one journal record (put/delete of the whole records it changed,
fsync'd), and when that append fails it puts every touched record back as it was, so a
failed change leaves nothing behind. The journal is folded into the COCO file (one atomic
rewrite) every ``compact_every`` changes, ``compact_seconds`` after the first unsaved
change (but never sooner than 20 times the last fold's duration after it, so that folding
a huge file takes at most 5 % of the time), on :meth:`Store.compact` and on
:meth:`Store.close`; never on every change.

The COCO file is never overwritten once another program changed it (its size, mtime, ctime or inode
differs from what the store last read or wrote, and so does its digest): the store
refuses, and the changes stay in the journal; closing then keeps both, this session's
version written beside the file (``annotations.coco.this-session-<time>.json``).
"""

from __future__ import annotations

import errno
import glob
import os
import time
import warnings
from pathlib import Path

from ..coco.document import CocoDocument
from ..errors import InputError
from ..files import protection, remove_stale_temporaries, uninterrupted, write_bytes_atomic, write_protected
from ..wording import counted
from . import journal as jr
from .lock import FolderLock, real_path
from .transaction import Transaction, apply_ops

__all__ = [
    "ChangedElsewhere",
    "JournalOfAnotherVersion",
    "kept_beside",
    "DEFAULT_COMPACT_EVERY",
    "DEFAULT_COMPACT_SECONDS",
    "Store",
    "Transaction",
    "read_document",
]


class ChangedElsewhere(InputError):
    """Another program changed the COCO file while this session had it open: it is not written over."""


class JournalOfAnotherVersion(InputError):
    """The folder's journal holds changes made to another version of the COCO file (it was
    replaced since): not applied; ``discard_journal=True`` sets them aside in ``aside``."""

    def __init__(self, message: str, aside: Path):
        super().__init__(message)
        self.aside = aside


DEFAULT_COMPACT_EVERY = 200
DEFAULT_COMPACT_SECONDS = 60.0
#: an automatic fold waits at least this many times the last fold's duration after it: on a
#: 200 MB file (seconds to rewrite) the calls that fold stay rare, whatever N and T say
FOLD_SPACING = 20


def _lock_failure(where: str, error: OSError) -> str:
    """One sentence on why no lock file could be made beside a COCO file."""
    if not Path(error.filename or "").parent.is_dir() or error.errno == errno.ENOENT:
        return f"{where} is in a folder that does not exist ({Path(error.filename or '').parent})"
    causes = {
        errno.EROFS: "is on a read-only file system",
        errno.EACCES: "is in a folder this user may not write to",
        errno.EPERM: "is in a folder this user may not write to",
        errno.ENOSPC: "is on a disk with no space (or no free file entries) left",
        errno.EDQUOT: "is on a disk whose quota is used up",
    }
    cause = causes.get(error.errno, f"cannot be locked for writing ({error.strerror or error})")
    return f"{where} {cause}"


def _stat(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    # ctime and inode too: an edit that keeps the size and puts the mtime back (cp -p, rsync -t)
    # still changes them, and no program can set them; the digest then says whether the bytes differ
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


class Store:
    """A COCO document with its file, journal and lock (see the module's text).

    Use :meth:`open`; ``read_only_reason`` is None for the writer.
    """

    def __init__(
        self,
        path: Path,
        doc: CocoDocument,
        seen: tuple | None,
        digest: str | None,
        lock: FolderLock | None,
        read_only_reason: str | None,
        compact_every: int,
        compact_seconds: float,
    ):
        self.path = path
        self.doc = doc
        self.lock = lock
        self.read_only_reason = read_only_reason
        self.journal = jr.Journal(jr.journal_path(path))
        self.compact_every = max(int(compact_every), 1)
        self.compact_seconds = float(compact_seconds)
        self._seen = seen  # (size, mtime, ctime, inode) of the COCO file as last read or written; None: no file
        self._elsewhere = None  # the stat of another program's version once found, so it is hashed once
        self._digest = digest  # its SHA-256; None: no file
        self._pending_since: float | None = None  # when the first change not in the COCO file was made
        self._last_fold = (time.monotonic(), 0.0)  # when the last fold ended, how long it took
        self.closed = False
        self.last_error: str | None = None  # why the last automatic fold into the file failed

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path,
        *,
        mode: str = "auto",
        discard_journal: bool = False,
        compact_every: int = DEFAULT_COMPACT_EVERY,
        compact_seconds: float = DEFAULT_COMPACT_SECONDS,
        where: str = "",
        image_size=None,
        wait: float = 0.0,
    ) -> Store:
        """``wait``: seconds to wait for another writer to let go of the folder (a command
        line writer's moment), before opening read-only (``"auto"``) or refusing (``"write"``)."""
        if mode not in ("auto", "write", "read"):
            raise InputError(f"mode is 'auto', 'write' or 'read'; got {mode!r}.")
        path = Path(path)
        try:
            if path.is_dir():
                raise InputError(f"{str(path)!r} is a folder, not a COCO file; give the path of the COCO .json file.")
            os.stat(path)
        except FileNotFoundError:
            pass  # a new file (or a link to one not made yet)
        except OSError as exc:  # a symlink loop, a path through a file, no permission
            raise InputError(
                f"{str(path)!r} cannot be read ({exc.strerror or exc}); give a COCO file that can."
            ) from None
        lock, reason = None, None
        if mode == "read":
            reason = (
                f"{where or repr(path.name)} was opened read-only, as asked; changes cannot be saved in this session."
            )
        elif write_protected(path):  # the user's choice: the file would be replaced by a rename all the same
            why, remedy = protection(path).split("; ")
            why = f"{where or repr(path.name)} {why}"
            if mode == "write":
                raise InputError(f"{why}; {remedy} to save changes to it.")
            reason = f"{why}; opened read-only: changes cannot be saved here ({remedy} and open it again)."
            warnings.warn(reason, stacklevel=3)
        else:
            lock = FolderLock(path)
            if not lock.acquire(wait):
                error, lock = lock.error, None
                if error is not None:
                    why = _lock_failure(where or repr(path.name), error)
                    if mode == "write":
                        raise InputError(f"{why}; it cannot be opened for writing.")
                    reason = f"{why}; opened read-only: changes cannot be saved here."
                else:
                    if mode == "write":
                        raise InputError(
                            f"{where or repr(path.name)} is open for writing in another window or program; "
                            "close it there first, or open the folder read-only."
                        )
                    reason = (
                        f"{where or repr(path.name)} is open for writing in another window or program; opened "
                        "read-only: changes cannot be saved here (close the other window and open the folder again)."
                    )
                warnings.warn(reason, stacklevel=3)
        try:
            if lock is not None:
                remove_stale_temporaries(real_path(path))
                remove_stale_temporaries(jr.journal_path(path))
            doc, seen, digest, replayed = cls._read(
                path, writer=lock is not None, discard_journal=discard_journal, image_size=image_size
            )
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store = cls(path, doc, seen, digest, lock, reason, compact_every, compact_seconds)
        if lock is not None and replayed is not None:
            try:
                if replayed:
                    store.journal.resume(len(replayed))
                    store._pending_since = time.monotonic()
                else:
                    store.journal.remove()  # a journal with no change in it: nothing to keep
            except OSError as exc:  # another user's journal (a `sudo napari`), a read-only mount
                store.journal.close()
                lock.release()
                why = (
                    f"The journal of {where or repr(path.name)}, {str(store.journal.path)!r}, holds unsaved changes "
                    f"and cannot be written to ({exc.strerror or exc})"
                )
                if mode == "write":
                    raise InputError(f"{why}; make that file writable to change the COCO file.") from None
                store.read_only_reason = f"{why}; opened read-only, the changes shown: nothing can be saved here."
                store.lock = None
                warnings.warn(store.read_only_reason, stacklevel=2)
        return store

    @classmethod
    def _read(cls, path: Path, *, writer: bool, discard_journal: bool, image_size=None) -> tuple:
        """(document, stat, digest, replayed changes or None when there is no journal).

        A reader may meet a writer folding its journal in: the file, its digest and the
        journal are read again until they belong together (a few tries).
        """
        jpath = jr.journal_path(path)
        for attempt in range(5):
            state = jr.read(jpath)
            seen = _stat(path)
            digest = jr.file_digest(path)
            doc = (
                CocoDocument.open(path, image_size=image_size)
                if seen is not None
                else CocoDocument(path=path, image_size=image_size)
            )
            if _stat(path) != seen:
                continue  # the file was replaced while it was read
            if state is not None and not state.readable and _has_bytes(jpath):
                # a journal whose first line is damaged (a disk error, a sync tool's partial
                # copy): its changes cannot be trusted, but they are work; never overwritten
                aside = _aside(jpath)
                if writer:
                    os.replace(jpath, aside)
                warnings.warn(
                    f"{str(jpath)!r} could not be read (its first line is damaged), so none of its changes were applied"
                    + (f"; it is kept as {aside.name!r}." if writer else "."),
                    stacklevel=4,
                )
                return doc, seen, digest, None
            if state is None or not state.readable or not state.changes:
                return doc, seen, digest, ([] if state is not None else None)
            ops = state.to_replay(digest)
            if ops is None and not writer and attempt < 4:
                time.sleep(0.05)  # a writer may be between its rename and its new journal
                continue
            if ops is None:
                aside = _aside(jpath)
                if discard_journal and writer:
                    beside = _replayed_beside(path, state.changes, image_size)
                    os.replace(jpath, aside)
                    warnings.warn(
                        f"The {counted(len(state.changes), 'unsaved change')} made to another version of {path.name!r} "
                        f"{'is' if len(state.changes) == 1 else 'are'} set aside in {aside.name!r}"
                        + (
                            f", and applied to the file as it is now in {beside.name!r} (compare the two and copy "
                            "what you need)."
                            if beside is not None
                            else "."
                        ),
                        stacklevel=4,
                    )
                    return doc, seen, digest, None
                if not writer:
                    warnings.warn(
                        f"The unsaved changes in {str(jpath)!r} belong to another version of {path.name!r}; they are not shown.",
                        stacklevel=4,
                    )
                    return doc, seen, digest, None
                raise JournalOfAnotherVersion(
                    f"{str(jpath)!r} holds {counted(len(state.changes), 'unsaved change')} made to another version of "
                    f"{path.name!r} (the file was replaced since), so they were not applied; put that version back to "
                    f"recover them, or set them aside in {aside.name!r} and open the folder as it is now (the widget "
                    "asks; `interactive-seg gui FOLDER --set-aside-journal`; Session.open(folder, discard_journal=True)).",
                    aside,
                )
            for change in ops:
                apply_ops(doc, change)
            return doc, seen, digest, ops
        raise InputError(f"{str(path)!r} kept changing while it was read; open the folder again.")

    # -- changing ------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def unsaved(self) -> int:
        """Changes kept in the journal and not yet in the COCO file."""
        return self.journal.changes

    def check_writable(self) -> None:
        if self.closed:
            raise InputError("This session is closed; open the folder again to change it.")
        if self.read_only_reason is not None:
            raise InputError(self.read_only_reason)

    def commit(self, txn: Transaction) -> None:
        """Make a transaction durable (one fsync'd journal record); on any failure it is
        rolled back. Ctrl+C meanwhile waits for it (and a fold it makes due), then stops."""
        with uninterrupted():
            try:
                self.check_unchanged()
                ops = txn.ops()
                if ops:
                    if self.journal.changes == 0 and not self.journal.is_open:
                        self.journal.start(self._digest)
                    self.journal.add_change(ops)
            except OSError as exc:
                txn.rollback()
                raise InputError(
                    f"Could not save the change ({exc.strerror or exc}); nothing was changed: free some space or make "
                    f"{str(self.path.parent)!r} writable, then do it again."
                ) from exc
            except BaseException:
                txn.rollback()
                raise
            txn.keep()
            if not ops:
                return
            if self._pending_since is None:
                self._pending_since = time.monotonic()
            self.fold_if_due(stacklevel=5)

    def fold_if_due(self, stacklevel: int = 3) -> bool:
        """Fold the journal in when it is due: ``compact_every`` changes or ``compact_seconds``
        since the first unsaved one, but never more often than folds take 1/FOLD_SPACING
        of the time. A window calls it when idle, so the file is current
        within ``compact_seconds`` of a change without a next change. A failure is a
        warning: the changes are safe in the journal. True when it folded."""
        if self.read_only_reason is not None or self.closed or not self.journal.changes or self._pending_since is None:
            return False
        now = time.monotonic()
        due = self.journal.changes >= self.compact_every or now - self._pending_since >= self.compact_seconds
        ended, took = self._last_fold
        if not (due and now - ended >= FOLD_SPACING * took):  # folds take at most 1/FOLD_SPACING of the time
            return False
        try:
            self.compact()
        except InputError as exc:  # the change itself is safe in the journal
            self.last_error = str(exc)
            warnings.warn(str(exc), stacklevel=stacklevel)
            return False
        return True

    def check_unchanged(self) -> None:
        """InputError when another program changed the COCO file since this store read or wrote it."""
        now = _stat(self.path)
        if now == self._seen:
            return
        if now is None or now != self._elsewhere:  # a window's idle check asks every few seconds
            if jr.file_digest(self.path) == self._digest:
                self._seen = now
                return
            self._elsewhere = now
        raise ChangedElsewhere(
            f"{str(self.path)!r} was changed by another program while this session had it open, so it was not overwritten; "
            f"the {counted(self.journal.changes, 'change')} made here {'is' if self.journal.changes == 1 else 'are'} "
            f"kept in {str(self.journal.path)!r}, and closing the session (the widget: its window, or another folder) "
            f"keeps both: this session's version is then saved beside it as {_beside(self.path, '<time>').name!r}."
        )

    def compact(self) -> Path:
        """Fold the journal into the COCO file (one atomic rewrite) and start afresh."""
        if self.read_only_reason is not None or self.journal.changes == 0:
            return self.path
        self.check_unchanged()
        if write_protected(self.path):  # made read-only while open: the user's say
            raise InputError(
                f"{str(self.path)!r} was made write-protected while this session had it, so it was not overwritten; "
                f"the {self.journal.changes} change(s) made here are kept in {str(self.journal.path)!r}: make it "
                "writable, then save again."
            )
        start = time.monotonic()
        data = self.doc.dumps()
        digest = jr.bytes_digest(data)
        try:
            self.journal.append({"compact": digest})
        except OSError as exc:
            raise InputError(
                f"Could not save {str(self.path)!r} ({exc.strerror or exc}); the changes are kept in its journal."
            ) from exc
        # checked again just before the rename: encoding and writing a large file take a
        # while, and another program's write in that time must not be lost
        with uninterrupted():
            self._write(data, digest)
            self.journal.remove()
        self._last_fold = (time.monotonic(), time.monotonic() - start)
        self._pending_since = None
        self.last_error = None
        return self.path

    def write_whole(self) -> Path:
        """Write the document now, with changes made to it outside transactions (the one
        writer's direct edit, :func:`edit_document`), and fold the journal in."""
        self.check_writable()
        if self.journal.changes:
            return self.compact()
        self.check_unchanged()
        data = self.doc.dumps()
        with uninterrupted():
            self._write(data, jr.bytes_digest(data))
        return self.path

    def _write(self, data: bytes, digest: str) -> None:
        """Replace the COCO file with ``data`` and note its digest: also when the rename was
        made and what followed it failed (an interrupt), so the file is never taken for another program's."""
        try:
            write_bytes_atomic(self.path, data, self.check_unchanged)
            self._seen, self._digest = _stat(self.path), digest
        except BaseException:
            if jr.file_digest(self.path) == digest:
                self._seen, self._digest = _stat(self.path), digest
            raise

    def close(self) -> None:
        """Fold the journal in and let go of the lock (the journal stays when folding fails).

        When another program changed the file meanwhile, both are kept: this session's
        version is written beside it (:func:`_beside`) and the journal goes, so the folder
        opens again with the other program's file, and :class:`ChangedElsewhere` says where."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.read_only_reason is None:
                try:
                    self.compact()
                except ChangedElsewhere:
                    changes, kept = self.journal.changes, self._keep_beside()
                    if isinstance(kept, Exception):
                        raise ChangedElsewhere(
                            f"{str(self.path)!r} was changed by another program while this session had it open, so "
                            f"it was not overwritten; this session's version could not be saved beside it ({kept}), "
                            f"so its {counted(changes, 'change')} stay in {str(self.journal.path)!r}: free some space; "
                            "opening the folder then offers to set them aside and write them, applied to the file as "
                            "it is now, beside it."
                        ) from None
                    raise ChangedElsewhere(
                        f"{str(self.path)!r} was changed by another program while this session had it open, so it was "
                        f"not overwritten; this session's version, with its {counted(changes, 'change')} since, is saved "
                        f"beside it as {str(kept)!r}: compare the two and copy what you need (the folder opens with "
                        + (
                            "the other program's file)."
                            if self.path.exists()
                            else "no COCO file: the other program removed it)."
                        )
                    ) from None
        finally:
            self.journal.close()
            if self.lock is not None:
                self.lock.release()

    def _keep_beside(self):
        """This session's version written beside the file, the journal removed (its changes
        are in it); the error when it could not be written (the journal stays)."""
        target = _beside(self.path, time.strftime("%Y%m%d-%H%M%S"))
        try:
            write_bytes_atomic(target, self.doc.dumps())
        except (OSError, InputError) as exc:
            return exc
        self.journal.remove()
        return target

    def let_go(self) -> None:
        """Let go of the lock and the journal without writing the document (its changes
        since it was read are dropped; the journal on disk stays as it is)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.journal.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    @staticmethod
    def close_quietly(store: Store, owner: int | None = None) -> None:
        """Close at garbage collection or interpreter exit: a failure is a warning, the journal keeps the work.
        Only in the process ``owner`` (the one that opened it): a child forked from it that
        exits must not fold the parent's journal in and remove it under the parent."""
        if owner is not None and owner != os.getpid():
            return
        try:
            store.close()
        except Exception as exc:  # noqa: BLE001 - nothing may escape a finalizer
            try:
                warnings.warn(
                    f"Could not fold the session's changes into {str(store.path)!r} ({exc}); they are kept in its journal.",
                    stacklevel=2,
                )
            except Exception:  # noqa: BLE001
                pass


def read_document(path: Path, *, image_size=None) -> CocoDocument:
    """A COCO file as its sessions see it: with the changes a session keeps in its journal and
    has not folded in yet (a writer may be at work in another window). Nothing is locked or
    written; batch jobs, review and check read a folder's annotations through this. A path
    that is not a file is an InputError, as for :meth:`CocoDocument.open`."""
    path = Path(path)
    if not path.is_file():
        CocoDocument.open(path)  # raises its sentence: no file there, or a folder
    store = Store.open(path, mode="read", image_size=image_size)
    store.close()
    return store.doc


def _has_bytes(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _replayed_beside(path: Path, changes: list, image_size=None):
    """A journal's changes (whole records) applied to the file as it is now, written beside it
    (:func:`_beside`), for a user to read what a journal of another version held; None
    when that cannot be done."""
    try:
        doc = CocoDocument.open(path, image_size=image_size) if path.is_file() else CocoDocument(path=path)
        for change in changes:
            apply_ops(doc, change)
        target = _beside(path, time.strftime("%Y%m%d-%H%M%S"))
        write_bytes_atomic(target, doc.dumps())
        return target
    except (OSError, InputError, KeyError, TypeError, ValueError):
        return None


def kept_beside(path) -> list:
    """The session versions kept beside a COCO file (:func:`_beside`), oldest first."""
    path = Path(path)
    stem = path.name[: -len(".json")] if path.name.lower().endswith(".json") else path.name
    return sorted(path.parent.glob(f"{glob.escape(stem)}.this-session-*.json"))


def _beside(path: Path, stamp: str) -> Path:
    """Where a session keeps its version of a file another program changed under it:
    ``annotations.coco.this-session-<stamp>.json`` (``-2``, ``-3`` ... when taken)."""
    stem = path.name[: -len(".json")] if path.name.lower().endswith(".json") else path.name
    target = path.with_name(f"{stem}.this-session-{stamp}.json")
    number = 1
    while os.path.lexists(target):
        number += 1
        target = path.with_name(f"{stem}.this-session-{stamp}-{number}.json")
    return target


def _aside(jpath: Path) -> Path:
    """Where a journal that cannot be replayed is set aside: ``<journal>.discarded``, or
    ``.discarded.2``, ``.3`` ... when earlier ones are there (each kept: they hold work)."""
    aside = jpath.with_name(jpath.name + ".discarded")
    number = 1
    while os.path.lexists(aside):
        number += 1
        aside = jpath.with_name(f"{jpath.name}.discarded.{number}")
    return aside
