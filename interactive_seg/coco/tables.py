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

    __slots__ = ("ends", "ids", "order", "origin", "span", "starts")

    def __init__(self):
        self.span: tuple | None = None  # the list's bytes in the file, '[' to ']'
        self.starts, self.ends = array("q"), array("q")
        self.order: dict = {}
        self.origin: dict = {}
        self.ids = Ids()

    def raw(self, data, index: int) -> bytes:
        return data[self.starts[index] : self.ends[index]]

    def change(self, key, record: dict) -> None:
        slot = self.order.get(key)
        if type(slot) is int:
            self.origin[key] = slot
        if key not in self.order:
            self.ids.add(key)
        self.order[key] = record

    def remove(self, key) -> None:
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
