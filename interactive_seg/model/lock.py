"""One writer per folder: an OS-level lock beside the COCO file, held for a session's lifetime.

The lock is :mod:`filelock`'s (``flock`` on Unix, ``LockFileEx`` on Windows) on
``.<coco name>.lock``: the operating system releases it when the process ends, however it
ends, so a killed window never leaves the folder locked. Two sessions of one process
conflict like two processes do (each holds its own open file).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["FolderLock", "lock_path", "real_path"]


def real_path(coco_path: Path) -> Path:
    """The file a COCO path stands for: a symlink's target (followed even when it is
    missing), so that two links to one file share one lock and one journal, beside the file
    that is written."""
    coco_path = Path(coco_path)
    return Path(os.path.realpath(coco_path)) if coco_path.is_symlink() else coco_path


def lock_path(coco_path: Path) -> Path:
    """Where the lock of a COCO file lives: a hidden file beside it (beside a link's target)."""
    coco_path = real_path(coco_path)
    return coco_path.with_name(f".{coco_path.name}.lock")


class FolderLock:
    """The write lock of one COCO file; :meth:`acquire` says whether this session got it."""

    def __init__(self, coco_path: Path):
        self.path = lock_path(coco_path)
        self._lock: FileLock | None = None
        #: Why the last :meth:`acquire` failed when no other session holds the lock (a
        #: read-only file system, no space, no permission, a missing folder); None otherwise.
        self.error: OSError | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None and self._lock.is_locked

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock (waiting up to ``wait`` seconds for another holder to let go): True
        when taken, False when another session holds it.

        A folder where no lock file can be made gives False too, with :attr:`error` set to the
        operating system's reason: nothing can be written there anyway.
        """
        self.error = None
        if not self.path.parent.is_dir():  # a dangling link's folder: never make it (filelock would)
            self.error = FileNotFoundError(errno.ENOENT, "No such folder", str(self.path))
            return False
        lock = FileLock(str(self.path), timeout=wait, thread_local=False, fallback_to_soft=False)
        try:
            lock.acquire(timeout=wait, poll_interval=0.05)
        except Timeout:
            return False
        except OSError as exc:
            self.error = exc
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        if self._lock is not None:
            try:
                self._lock.release(force=True)
            finally:
                self._lock = None
