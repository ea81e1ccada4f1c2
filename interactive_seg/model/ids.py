"""A session's object ids and the COCO annotation ids they stand for, stored only where they differ.

An object id is a whole number from 1 to 2**31 - 1 (a label value of an int32 label
image). An annotation with such an integer id (what this package writes, and most tools)
is the object of the same number, and nothing is stored for it: the document's own index
says which annotations exist and which have a mask. Two small dicts hold the rest: ids
spelt otherwise (0, text such as ``"7"``, numbers beyond int32), which get object ids of
their own from the top down, and an annotation whose number another one took first
(``"7"`` before ``7`` in one file). Maps of every annotation onto itself cost ~80 MB when
a COCO-train sized file (500,000 annotations) was opened, a third of the file's size.

The largest number the annotation ids give (:meth:`ObjectIds.largest`: the next object id
follows it) is kept without a set of them all: the numbers the file had when opened, as
one sorted int32 array walked down past the ones that are gone, and a heap of those added
since.
"""

from __future__ import annotations

import heapq
from array import array
from typing import Optional

import numpy as np

from ..coco.annotation_records import NEXT_ID  # the key in the file's 'info' that keeps ids from being reused
from ..errors import InputError

__all__ = ["MAX_ID", "NEXT_ID", "ObjectIds", "natural_id"]

MAX_ID = 2**31 - 1  # object ids are label values of int32 label images
_NO_INFO = object()  # a file without 'info' (null is the user's value, kept)
_USED_UP = "This session has used up its object ids (2**31 - 1); start a new COCO file."


def natural_id(ann_id) -> Optional[int]:
    """The object id an annotation id gives as it is: a whole number from 1 to 2**31 - 1 (or such digits)."""
    if isinstance(ann_id, str):
        if not ann_id.isdigit() or len(ann_id) > 10 or not ann_id.isascii():
            return None
        ann_id = int(ann_id)
    elif isinstance(ann_id, bool) or not isinstance(ann_id, int):
        return None
    return ann_id if 1 <= ann_id <= MAX_ID else None


def _whole(value) -> Optional[int]:
    """``value`` as an object id (an int, or a number equal to one: ``np.int64(3)``, ``3.0``), else None."""
    if type(value) is not int:
        try:
            hash(value)
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if number != value:
            return None
        value = number
    return value if 1 <= value <= MAX_ID else None


class ObjectIds:
    """Object id <-> annotation id of the annotations with a mask of a document (see the module's text).

    Built from the document as opened; then told of each link made or undone
    (:meth:`link`, :meth:`unlink`) after the document changed. ``next`` is the counter of
    new object ids: never below one past the largest id, nor below the one the file's
    ``info`` keeps (:data:`NEXT_ID`), so ids are not reused after the newest was deleted.
    """

    def __init__(self, document):
        self._meta = meta = document.annotation_index()  # ann id -> (image id, category id, has mask)
        self._ann_of: dict = {}  # object id -> annotation id, where they differ
        self._object_of: dict = {}  # annotation id -> object id, where they differ
        self._text: dict = {}  # natural id -> how many text annotation ids give it ("7", "007")
        self._added: list = []  # a max-heap (negated) of natural ids linked since opening (stale ones skipped)
        self.boxes_only: dict = {}  # image id -> how many of its annotations have no mask
        self.text_ids = len(meta) > 0  # every annotation id is text: new ones are written as text too
        naturals = array("i")
        odd, contested = [], False
        for ann_id, (image_id, _, has_mask) in meta.items():
            if type(ann_id) is int and 0 < ann_id <= MAX_ID:  # the common case: itself
                naturals.append(ann_id)
                self.text_ids = False
                if not has_mask:
                    self.boxes_only[image_id] = self.boxes_only.get(image_id, 0) + 1
                continue
            if not isinstance(ann_id, str):
                self.text_ids = False
            natural = natural_id(ann_id)
            if natural is not None:
                naturals.append(natural)
                self._text[natural] = self._text.get(natural, 0) + 1
            if not has_mask:
                self.boxes_only[image_id] = self.boxes_only.get(image_id, 0) + 1
            elif natural is None:
                odd.append(ann_id)
            else:
                contested = True
        if contested:  # text ids give numbers: the first annotation in file order to give one has it
            odd = self._claim()
        self._file = np.sort(np.frombuffer(naturals, dtype=np.intc)) if naturals else np.zeros(0, np.intc)
        self._top = len(self._file)  # entries from here on were found gone
        spare = MAX_ID  # the others get object ids from the top down, out of the counter's way
        for ann_id in odd:
            while self.has_object(spare):
                spare -= 1
            self._pair(spare, ann_id)
        info = document.get("info", _NO_INFO)
        self._read_counter = isinstance(info, dict) and NEXT_ID in info  # (the file as read had one)
        self._read_info = info is not _NO_INFO
        stored = info.get(NEXT_ID) if isinstance(info, dict) else None
        stored = stored if isinstance(stored, int) and not isinstance(stored, bool) else 0
        self.next = max(self.largest() + 1, min(stored, MAX_ID))

    def _claim(self) -> list:
        """Pair text ids with the numbers they give, in file order; returns the annotations left without one."""
        wanted = {natural_id(a) for a, m in self._meta.items() if isinstance(a, str) and m[2]} - {None}
        claimed, odd = set(), []
        for ann_id, (_, _, has_mask) in self._meta.items():
            if not has_mask:
                continue
            natural = natural_id(ann_id)
            if natural is None:
                odd.append(ann_id)
            elif natural in wanted:
                if natural in claimed:
                    odd.append(ann_id)
                else:
                    claimed.add(natural)
                    if type(ann_id) is not int:
                        self._pair(natural, ann_id)
        return odd

    def _pair(self, object_id: int, ann_id) -> None:
        self._ann_of[object_id] = ann_id
        self._object_of[ann_id] = object_id

    # -- looking up ----------------------------------------------------------------------
    def annotation_of(self, object_id):
        """The annotation id of an object, or None when there is no such object."""
        try:
            ann_id = self._ann_of.get(object_id)
        except TypeError:  # unhashable: no object
            return None
        if ann_id is not None:
            return ann_id
        key = _whole(object_id)
        if key is None or key in self._object_of:
            return None
        meta = self._meta.get(key)
        return key if meta is not None and meta[2] else None

    def object_of(self, ann_id) -> Optional[int]:
        """The object id of an annotation, or None when it is no object (box-only, or not there)."""
        object_id = self._object_of.get(ann_id)
        if object_id is not None:
            return object_id
        if type(ann_id) is int and 0 < ann_id <= MAX_ID and ann_id not in self._ann_of:
            meta = self._meta.get(ann_id)
            if meta is not None and meta[2]:
                return ann_id
        return None

    def has_object(self, object_id) -> bool:
        return self.annotation_of(object_id) is not None

    def largest(self) -> int:
        """The largest natural id of the document's annotations (0 when none), with no scan."""
        heap, meta, text = self._added, self._meta, self._text
        while heap and -heap[0] not in meta and not text.get(-heap[0]):
            heapq.heappop(heap)
        file, top = self._file, self._top
        while top and int(file[top - 1]) not in meta and not text.get(int(file[top - 1])):
            top -= 1
        self._top = top
        return max(-heap[0] if heap else 0, int(file[top - 1]) if top else 0)

    # -- changing (after the document changed) -------------------------------------------
    def link(self, object_id: int, ann_id) -> None:
        """Record a new object: ``ann_id`` is in the document, with a mask."""
        if type(ann_id) is not int or ann_id != object_id:
            self._pair(object_id, ann_id)
        natural = natural_id(ann_id)
        if natural is not None:
            if type(ann_id) is not int:
                self._text[natural] = self._text.get(natural, 0) + 1
            heapq.heappush(self._added, -natural)

    def unlink(self, object_id: int, ann_id) -> None:
        """Forget an object whose annotation left the document."""
        self._ann_of.pop(object_id, None)
        self._object_of.pop(ann_id, None)
        natural = natural_id(ann_id)
        if natural is not None and type(ann_id) is not int:
            left = self._text.get(natural, 0) - 1
            if left > 0:
                self._text[natural] = left
            else:
                self._text.pop(natural, None)

    # -- new ids -------------------------------------------------------------------------
    def peek(self) -> int:
        """The next free object id (not reserved)."""
        candidate = self.next
        while self.has_object(candidate):
            candidate += 1
        return candidate

    def take(self) -> int:
        """Reserve the next free object id."""
        self.next = self.peek()
        if self.next > MAX_ID:
            raise InputError(_USED_UP)
        self.next += 1
        return self.next - 1

    def used(self, object_id: int) -> None:
        """An object is being made with ``object_id`` (given, or :meth:`peek`'s): the counter goes past it."""
        if object_id > MAX_ID:
            raise InputError(_USED_UP)
        self.next = max(self.next, object_id + 1)

    def check_new(self, object_id) -> int:
        """``object_id`` as an int when it is a whole number in range that no object has; else InputError."""
        if (
            isinstance(object_id, bool)
            or not isinstance(object_id, (int, np.integer))
            or not 1 <= int(object_id) <= MAX_ID
        ):
            raise InputError(f"An object id is a whole number from 1 to {MAX_ID}; got {object_id!r}.")
        object_id = int(object_id)
        if self.has_object(object_id):
            raise InputError(f"There is already an object {object_id}; take a new id from session.new_id().")
        return object_id

    def store_counter(self, document, txn) -> None:
        """Keep the counter in the file's ``info`` (a change of transaction ``txn``) when ids
        alone would not say it (after deleting the newest)."""
        info = document.get("info", _NO_INFO)
        if isinstance(info, dict) and NEXT_ID in info:
            if not self._read_counter and self.next <= self.largest() + 1:  # ids say it again (a delete undone)
                txn.touch("top", "info")
                if len(info) == 1 and not self._read_info:
                    document.delete("info")  # the file as read had none
                else:
                    del info[NEXT_ID]
                return
            if info[NEXT_ID] != self.next:
                txn.touch("top", "info")
                info[NEXT_ID] = self.next
            return
        if self.next <= self.largest() + 1:
            return
        if info is _NO_INFO:
            txn.touch("top", "info")
            document.set("info", {NEXT_ID: self.next})
        elif isinstance(info, dict):
            txn.touch("top", "info")
            info[NEXT_ID] = self.next
        # an 'info' that is not an object (null too) is left alone: ids may then be reused after reopening
