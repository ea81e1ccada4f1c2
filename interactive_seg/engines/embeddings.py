"""The embedding cache: image embeddings in memory (LRU) and on disk, keyed by image and model.

An entry is a dict of numpy arrays (for SAM: ``features`` 1 x 256 x 64 x 64 float32,
``input_size`` and ``original_size``). On disk each entry is one uncompressed ``.npz``
written atomically, so a second engine or a new process loads it in milliseconds.
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import numpy as np

from ..files import write_bytes_atomic

__all__ = ["EmbeddingCache", "image_key"]


def image_key(rgb: np.ndarray) -> str:
    """Content hash of a uint8 RGB image (its pixels and shape)."""
    digest = hashlib.sha256(str(rgb.shape).encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()[:32]


class EmbeddingCache:
    """An in-memory LRU in front of a folder of ``.npz`` files.

    Parameters
    ----------
    folder : path, optional
        Where entries are kept on disk; ``None`` keeps them in memory only.
    memory_items : int
        How many entries the in-memory LRU holds.
    """

    def __init__(self, folder=None, memory_items: int = 8):
        self.folder = Path(folder) if folder is not None else None
        self.memory_items = int(memory_items)
        self._memory: OrderedDict = OrderedDict()
        self.hits = {"memory": 0, "disk": 0}
        self.misses = 0

    def _path(self, key: str) -> Optional[Path]:
        return None if self.folder is None else self.folder / f"{key}.npz"

    def get(self, key: str) -> Optional[dict]:
        """The entry for ``key``, from memory or disk; None when absent (or unreadable)."""
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits["memory"] += 1
            return self._memory[key]
        path = self._path(key)
        if path is not None and path.is_file():
            try:
                with np.load(path) as data:
                    entry = {name: data[name] for name in data.files}
            except (OSError, ValueError, EOFError):
                path.unlink(missing_ok=True)  # a damaged entry is recomputed, never trusted
            else:
                self.hits["disk"] += 1
                self._remember(key, entry)
                return entry
        self.misses += 1
        return None

    def put(self, key: str, entry: dict) -> None:
        """Keep ``entry`` in memory and, when there is a folder, on disk."""
        self._remember(key, entry)
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.savez(buffer, **entry)
            write_bytes_atomic(path, buffer.getvalue())
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs time later

    def forget_memory(self) -> None:
        """Drop the in-memory entries (the disk copies stay)."""
        self._memory.clear()

    def _remember(self, key: str, entry: dict) -> None:
        self._memory[key] = entry
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_items:
            self._memory.popitem(last=False)
