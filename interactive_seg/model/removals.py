"""What left a session: removed or changed objects given back whole, and photos gone from the folder.

:class:`Removals` is a part of :class:`~interactive_seg.model.session.Session`: before a
removal the widget's model keeps :meth:`~Removals.removed_record` (the annotation and its
place in the file), and an undo gives it back with :meth:`~Removals.put_back`: its id,
another tool's keys, its encoding, its place and its text as read. Before a new mask it
keeps :meth:`~Removals.record_state`, and an undo of that mask gives the record back with
:meth:`~Removals.restore` (a polygon stays the polygon as read, not the new mask re-encoded).
:meth:`~Removals.missing` names the photos of the COCO file that are no longer in the folder.
"""

from __future__ import annotations

import copy
from typing import Optional

from ..errors import InputError

__all__ = ["Removals"]


class Removals:
    """Removal and put-back of whole annotations, and photos gone (a mixin of ``Session``: its document,
    records, ids and transactions)."""

    def missing(self) -> dict:
        """The file names of the COCO file's image records whose photograph is not in the folder (moved or
        deleted since), each with its number of annotations: kept in the file as they are."""
        return {r["file_name"]: self._doc.count(r["id"]) for r in self._records.without_image()}

    def removed_record(self, object_id: int) -> tuple:
        """The object's whole annotation (a copy) and its place in the file, for :meth:`put_back` after a removal."""
        ann_id = self._annotation_id(object_id)
        return copy.deepcopy(self._doc.annotation(ann_id)), self._doc.annotation_place(ann_id)

    def put_back(self, object_id: int, removed: tuple, category: Optional[str] = None) -> None:
        """Give a removed object back its whole annotation (``removed``, :meth:`removed_record`'s:
        its id, keys, encoding and mask, its place and text in the file), and save; ``category``:
        its class now, when that is not its category's name (a class renamed or removed since)."""
        self._store.check_writable()
        record, (index, *where) = copy.deepcopy(removed[0]), removed[1]
        ann_id = record.get("id")
        if self._ids.has_object(object_id) or ann_id in self._doc.annotation_index():
            raise InputError(f"Object {object_id} (annotation {ann_id!r}) is already in this session.")
        with self.transaction() as txn:
            txn.touch("annotation", ann_id)
            index = self._in_class(record, category, index)
            self._doc.put_annotation_back(record, (index, *where))
            txn.places[ann_id] = tuple(where)  # (a journal's replay puts it back there too)
            self._link(object_id, ann_id)
            self._store_counter()  # (kept while the newest was gone: not needed once it is back)
        self._doc.as_read(ann_id, index)  # (after the commit, which holds the record as a dict)

    def record_state(self, object_id: int) -> tuple:
        """The object's whole annotation (a copy) and the index of its text as read (None once
        changed), for :meth:`restore` after a new mask is undone."""
        ann_id = self._annotation_id(object_id)
        return copy.deepcopy(self._doc.annotation(ann_id)), self._doc.text_index(ann_id)

    def restore(self, object_id: int, state: tuple, category: Optional[str] = None) -> None:
        """Give an object back the annotation it had (``state``, :meth:`record_state`'s: its
        segmentation as it was encoded, every key, its text as read), and save; ``category``:
        its class now, when that is not the record's category's name."""
        self._store.check_writable()
        ann_id = self._annotation_id(object_id)
        record, index = copy.deepcopy(state[0]), state[1]
        if record.get("id") != ann_id:
            raise InputError(f"The record given back to object {object_id} is annotation {record.get('id')!r}.")
        with self.transaction() as txn:
            txn.touch("annotation", ann_id)
            index = self._in_class(record, category, index)
            self._doc.put_annotation(record)
        self._doc.as_read(ann_id, index)  # (after the commit, which holds the record as a dict)

    def _in_class(self, record: dict, category: Optional[str], index):
        """``record`` (a copy given back) moved to the category of ``category`` when its own
        category is not called so (a class renamed or removed since); returns ``index`` (its
        text as read), or None once the record was moved."""
        if category is None or self._category_name(record.get("category_id")) == str(category):
            return index
        record["category_id"] = self._doc.category_id(str(category), create=True)
        return None

    def _category_name(self, category_id) -> Optional[str]:
        try:
            return self._doc.category_name(category_id)
        except InputError:
            return None  # (a category removed since)
