"""The three lists of a COCO file as tables: where each record's text lies, and what replaced it.

A :class:`Table` keeps, for ``images``, ``annotations`` or ``categories``, each original
element's byte span in the file and its id in order; a changed record replaces its span
by the dict that is written instead. Writing the list back copies runs of untouched
neighbours as one slice of the bytes read. :class:`Ids` hands out new ids in O(1).
"""

from __future__ import annotations

from array import array
from typing import Union

__all__ = ["Id", "Ids", "Table"]

Id = Union[int, str]
_ABSENT = object()


class Ids:
    """New ids in O(1): after the largest number ever used; a number as text where ids are text."""

    __slots__ = ("largest", "numbers", "text_largest")

    def __init__(self):
        self.numbers, self.largest, self.text_largest = 0, 0, 0

    def add(self, key) -> None:
        if isinstance(key, int):
            self.numbers += 1
            self.largest = max(self.largest, key)
        elif key.isdigit() and len(key) < 19 and int(key) > self.text_largest:
            self.text_largest = int(key)

    def remove(self, key) -> None:
        if isinstance(key, int):
            self.numbers -= 1

    def new(self, taken, at_least: int = 1) -> Id:
        if self.numbers == 0 and len(taken):
            candidate = max(self.text_largest + 1, at_least)
            while str(candidate) in taken:
                candidate += 1
            return str(candidate)
        return max(self.largest + 1, at_least)


class Table:
    """One of the three lists as read: each original element's byte span, and the ids in order.

    ``order`` maps an id to the index of its original element (written back as read) or
    to the record dict that replaces it. ``origin`` keeps the original index of a changed
    record (its text lends a ``1e400`` back when it is written).
    """

    __slots__ = ("_keys", "_saved", "ends", "ids", "order", "origin", "span", "starts")

    def __init__(self):
        self.span: tuple | None = None  # the list's bytes in the file, '[' to ']'
        self.starts, self.ends = array("q"), array("q")
        self.order: dict = {}
        self.origin: dict = {}
        self.ids = Ids()
        self._saved: dict | None = None  # while marked: key -> its slot in order before its first change
        self._keys: list | None = None  # while marked: the ids in order, before the first removal

    # -- a change that may be taken back whole (a session's transaction) ------------------
    def mark(self) -> None:
        """Remember from now on how each changed id was (its text or record, its place)."""
        self._saved, self._keys = {}, None

    def _save(self, key) -> None:
        if self._saved is not None and key not in self._saved:
            self._saved[key] = self.order.get(key, _ABSENT)

    def made_since_mark(self, key) -> bool:
        """True when ``key`` was added since :meth:`mark` (it was not there then)."""
        return self._saved is not None and self._saved.get(key, None) is _ABSENT

    @property
    def reordered(self) -> bool:
        """True when an id was removed since :meth:`mark` (put back, it would go last)."""
        return self._keys is not None

    def restore(self) -> set:
        """After the caller put each record changed since :meth:`mark` back (as a dict): each
        read from the file takes back its text, each id its place, and ids new since the
        mark go; returns the ids changed. Ends the mark."""
        saved, keys = self._saved or {}, self._keys
        self._saved = self._keys = None
        for key, slot in saved.items():
            if slot is _ABSENT:
                if self.order.pop(key, _ABSENT) is not _ABSENT:
                    self.ids.remove(key)
                self.origin.pop(key, None)
            elif type(slot) is int:  # (a record held as a dict was put back by the caller, as it was)
                if key not in self.order:
                    self.ids.add(key)
                self.order[key] = slot
                self.origin.pop(key, None)
        if keys is not None:  # an id removed and put back went to the end: the order as it was
            order = self.order
            self.order = {key: order[key] for key in keys if key in order}
            self.order.update((key, slot) for key, slot in order.items() if key not in self.order)
        return set(saved)

    def unmark(self, unchanged=()) -> None:
        """Keep the changes made since :meth:`mark`; ids in ``unchanged`` (records found the
        same as before) take back their text as read."""
        saved, self._saved, self._keys = self._saved or {}, None, None
        for key in unchanged:
            slot = saved.get(key, _ABSENT)
            if type(slot) is int and key in self.order:
                self.order[key] = slot
                self.origin.pop(key, None)

    def raw(self, data, index: int) -> bytes:
        return data[self.starts[index] : self.ends[index]]

    def change(self, key, record: dict) -> None:
        self._save(key)
        slot = self.order.get(key)
        if type(slot) is int:
            self.origin[key] = slot
        if key not in self.order:
            self.ids.add(key)
        self.order[key] = record

    def place(self, key, index: int) -> None:
        """Move ``key`` to position ``index`` of the list (a removed record put back where it was)."""
        if self._saved is not None and self._keys is None:
            self._keys = list(self.order)
        keys, slots = list(self.order), list(self.order.values())  # (made in C, no tuple each: no collector's pass)
        at = len(keys) - 1 if keys[-1] == key else keys.index(key)  # (a record put back is the last)
        keys.pop(at)
        slot = slots.pop(at)
        at = max(0, min(int(index), len(keys)))
        keys.insert(at, key)
        slots.insert(at, slot)
        self.order = dict(zip(keys, slots))

    def remove(self, key) -> None:
        self._save(key)
        if self._saved is not None and self._keys is None:
            self._keys = list(self.order)
        slot = self.order.pop(key)
        if type(slot) is int:
            self.origin.pop(key, None)
        self.ids.remove(key)

    def original_text(self, data, key) -> bytes | None:
        slot = self.order.get(key)
        index = slot if type(slot) is int else self.origin.get(key)
        return None if index is None or data is None else self.raw(data, index)

    def changed(self) -> bool:
        if self.span is None:
            return bool(self.order)
        if len(self.order) != len(self.starts):
            return True
        for n, slot in enumerate(self.order.values()):
            if slot != n or type(slot) is not int:
                return True
        return False

    def write(self, out, data: bytes | None, encode) -> None:
        """The list as JSON: runs of untouched neighbours as one slice of the original bytes."""
        count = len(self.starts)
        separator = data[self.ends[0] : self.starts[1]] if count > 1 else b","
        if count:
            out.write(data[self.span[0] : self.starts[0]])
        else:
            out.write(b"[")
        run_first = run_last = -1
        first = True
        for key, slot in self.order.items():
            if type(slot) is int and slot == run_last + 1 and run_last >= 0:
                run_last = slot
                continue
            if run_last >= 0:
                out.write(memoryview(data)[self.starts[run_first] : self.ends[run_last]])
                run_first = run_last = -1
            if not first:
                out.write(separator)
            first = False
            if type(slot) is int:
                run_first = run_last = slot
            else:
                out.write(encode(self, key, slot))
        if run_last >= 0:
            out.write(memoryview(data)[self.starts[run_first] : self.ends[run_last]])
        if count:
            out.write(data[self.ends[count - 1] : self.span[1]])
        else:
            out.write(b"]")
