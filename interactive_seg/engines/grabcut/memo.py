"""The engine's answers to the prompts it saw last, so that the same prompts give the same mask.

A click continues from the last call's labelling (:mod:`.start`), so the mask of some
prompts depended on the calls before: the same prompts twice in a row refined the mask
again, and Ctrl+Z of a click then Ctrl+Shift+Z gave another mask than the first time (an
annotator saw 107172 pixels after undo and 107639 after redo). :class:`Memo` keeps the
result and the engine's state after each of the last calls, keyed by the prompts: a call
with prompts met before gets that answer back and the engine continues from that state,
so undo and redo step along the masks already shown, and a click after an undo continues
from the mask it is drawn on.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections import OrderedDict
from typing import Optional

import numpy as np

__all__ = ["Memo", "prompts_key"]

#: Answers kept, and the most bytes they may hold together (a 12 MP photograph's mask is
#: 12 MB; the working state is small beside it).
MEMO_ENTRIES = 16
MEMO_BYTES = 256 * 2**20


def _digest(array: Optional[np.ndarray]) -> Optional[tuple]:
    if array is None:
        return None
    array = np.ascontiguousarray(array)
    return array.shape, str(array.dtype), hashlib.sha1(array.data).digest()  # (7 ms on 12 MP strokes)


def prompts_key(prompts) -> tuple:
    """What makes two (validated) prompts the same: box, points, labels, strokes, prior."""
    box = None if prompts.box is None else tuple(float(v) for v in prompts.box)
    return (
        box,
        _digest(prompts.points),
        _digest(prompts.point_labels),
        _digest(prompts.scribbles),
        _digest(prompts.prior),
    )


def _nbytes(value, seen=None) -> int:
    """The bytes of the numpy arrays in a result or state (dataclasses, tuples, dicts)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_nbytes(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v, seen) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v, seen) for v in value.values())
    return 0


def _copied(result):
    """A result the caller may change without changing the one kept: its mask and info copied."""
    out = copy.copy(result)
    out.mask = None if result.mask is None else result.mask.copy()
    out.info = dict(result.info)
    return out


class Memo:
    """Results and engine states of the last calls of one engine on one image, by prompts."""

    def __init__(self, entries: int = MEMO_ENTRIES, limit: int = MEMO_BYTES):
        self.entries, self.limit = entries, limit
        self._kept: OrderedDict = OrderedDict()  # key -> (result, state, bytes)
        self._settings = None

    def clear(self) -> None:
        self._kept.clear()

    def get(self, key, settings) -> Optional[tuple]:
        """``(result, state)`` of an earlier call with these prompts and settings (the
        result a copy: the caller may change it), or None."""
        if settings != self._settings:
            self.clear()
            return None
        hit = self._kept.get(key)
        if hit is None:
            return None
        self._kept.move_to_end(key)
        result, state, _ = hit
        return _copied(result), state

    def put(self, key, settings, result, state) -> None:
        if settings != self._settings:
            self.clear()
            self._settings = copy.deepcopy(settings)
        size = _nbytes(result) + _nbytes(state)
        if size > self.limit:
            return
        self._kept[key] = (_copied(result), state, size)
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries or sum(v[2] for v in self._kept.values()) > self.limit:
            self._kept.popitem(last=False)
