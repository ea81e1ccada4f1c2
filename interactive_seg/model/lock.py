"""One writer per folder: an OS-level lock beside the COCO file, held for a session's lifetime.

The lock is :mod:`filelock`'s (``flock`` on Unix, ``LockFileEx`` on Windows) on
``.<coco name>.lock``: the operating system releases it when the process ends, however it
ends, so a killed window never leaves the folder locked. Two sessions of one process
conflict like two processes do (each holds its own open file).
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["FolderLock", "lock_path"]


def lock_path(coco_path: Path) -> Path:
    """Where the lock of a COCO file lives: a hidden file beside it."""
    coco_path = Path(coco_path)
    return coco_path.with_name(f".{coco_path.name}.lock")


class FolderLock:
    """The write lock of one COCO file; :meth:`acquire` says whether this session got it."""

    def __init__(self, coco_path: Path):
        self.path = lock_path(coco_path)
        self._lock: FileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None and self._lock.is_locked

    def acquire(self) -> bool:
        """Take the lock without waiting: True when taken, False when another session holds it.

        A folder where no lock file can be made (read-only) gives False too: nothing can be
        written there anyway.
        """
        lock = FileLock(str(self.path), timeout=0, thread_local=False, fallback_to_soft=False)
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        if self._lock is not None:
            try:
                self._lock.release(force=True)
            finally:
                self._lock = None
