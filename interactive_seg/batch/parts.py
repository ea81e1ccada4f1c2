"""The work folder of a batch: one result file per image, written atomically, read back on a re-run.

A result file's name is a hash of the job's settings and of the image's task (its path,
size on disk and modification time, its record and prompts), so a re-run with the same
settings finds the results of images already done, and a re-run with other settings (or
an image changed since) does not reuse them. Each file is an uncompressed ``.npz`` of
small arrays plus one JSON record, written through a temporary file and a rename.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..files import ensure_folder, file_stamp, write_bytes_atomic

__all__ = ["WorkFolder", "digest", "file_stamp"]

_SUFFIX = ".part.npz"


def digest(*values, length: int = 24) -> str:
    """A short hash of JSON-able values (dict keys sorted)."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    # (a file name that is not UTF-8 on disk holds lone surrogates: kept, as their code points)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


class WorkFolder:
    """Per-image results of one job in a folder (created on first write)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(f"The work folder {str(self.folder)!r} is a file; give a folder (or leave --work out).")

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{_SUFFIX}"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def save(self, key: str, record: dict, arrays: Optional[dict] = None) -> Path:
        """Keep one image's result: ``record`` (JSON-able) and named numpy arrays."""
        ensure_folder(self.folder)
        buffer = io.BytesIO()
        meta = np.frombuffer(json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass"), np.uint8)
        np.savez(buffer, __record__=meta, **(arrays or {}))
        return write_bytes_atomic(self.path(key), buffer.getvalue())

    def load(self, key: str) -> Optional[tuple]:
        """(record, arrays) of one image, or None when absent or unreadable (then it is computed again)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            record = json.loads(arrays.pop("__record__").tobytes().decode("utf-8", "surrogatepass"))
        except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
            return None
        return record, arrays

    def discard(self, key: str) -> None:
        """Delete one result file (a damaged one, so that the next run computes the image again)."""
        try:
            self.path(key).unlink()
        except OSError:
            pass

    def clear(self) -> None:
        """Delete the result files (and the folder when nothing else is in it)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"*{_SUFFIX}"):
            try:
                path.unlink()
            except OSError:
                pass
        try:
            self.folder.rmdir()
        except OSError:
            pass
