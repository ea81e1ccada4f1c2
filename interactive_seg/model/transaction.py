"""One change of a folder session's store (:mod:`.store`): the records it touches, noted
before they change; on commit the journal operations (puts and deletes of whole records)
that take the file from before to now; on failure everything put back as it was.
:func:`apply_ops` replays such operations on a document (a journal's, at opening).
"""

from __future__ import annotations

import copy
import json

from ..coco.checks import id_key
from ..coco.document import CocoDocument
from ..errors import InputError

__all__ = ["Transaction", "apply_ops", "MISSING"]

MISSING = object()
_KINDS = ("image", "category", "annotation")
_LIST_OF = {"image": "images", "category": "categories", "annotation": "annotations"}


def _get(doc: CocoDocument, kind: str, key):
    """The current record (or top-level value) of ``kind``/``key``; MISSING when there is none."""
    try:
        if kind == "annotation":
            return doc.annotation(key)
        if kind == "image":
            return doc.image(key)
    except InputError:
        return MISSING
    if kind == "category":
        for record in doc.categories:
            if record["id"] == key:
                return record
        return MISSING
    return doc.get(key, MISSING)


def _copied(value):
    """A deep copy of a top-level value as JSON holds it (through JSON where it nests deeper
    than ``copy.deepcopy`` recurses: a file of ``info`` 500 levels deep opens, so it must change)."""
    try:
        return copy.deepcopy(value)
    except RecursionError:
        return json.loads(json.dumps(value))


def apply_ops(doc: CocoDocument, ops: list) -> None:
    """Apply a journal record's operations (idempotent: applying them twice changes nothing more)."""
    for op in ops:
        verb = op[0]
        if verb == "put" and op[1] == "annotation" and len(op) > 3:  # a removed record put back in its place
            position, before, after = op[3]
            doc.put_annotation_back(op[2], (None, position, before, after))
        elif verb == "put":
            getattr(doc, f"put_{op[1]}")(op[2])
        elif verb == "del":
            if _get(doc, op[1], op[2]) is not MISSING:
                {"annotation": doc.remove_annotation, "image": doc.remove_image, "category": doc.remove_category}[
                    op[1]
                ](op[2])
        elif verb == "set":
            doc.set(op[1], op[2])
        elif verb == "unset":
            doc.delete(op[1])


class Transaction:
    """One change of a store: records touched, then committed as one journal record or rolled back."""

    def __init__(self, store):  # (a Store: its doc, journal and indexes)
        self.store = store
        self.before: dict = {}  # (kind, key) -> the record as it was (a copy), or MISSING
        self.undo: list = []  # callables putting the session's own indexes back, in order
        self._categories = {c["id"] for c in store.doc.categories}  # classes are few: new ones are found by comparing
        self.unchanged: dict = {}  # list name -> ids of touched records found the same as before
        self.places: dict = {}  # annotation id -> (position, id before, id after): a removed record put back there
        store.doc.mark()  # a rollback puts records back as read (text and place), not re-encoded

    def _note_new_categories(self) -> None:
        for record in self.store.doc.categories:
            if record["id"] not in self._categories:
                self.before.setdefault(("category", record["id"]), MISSING)

    def touch(self, kind: str, key) -> None:
        """Note a record (kind image/category/annotation, or "top" for a top-level key) before changing it."""
        if (kind, key) in self.before:
            return
        if kind != "top" and self.store.doc.made_since_mark(_LIST_OF[kind], key):
            self.before[(kind, key)] = MISSING  # made in this change (a class, then renamed): it goes on rollback
            return
        value = _get(self.store.doc, kind, key)
        if value is not MISSING:
            value = _copied(value) if kind == "top" else dict(value)
        self.before[(kind, key)] = value

    def ops(self) -> list:
        """The journal operations that take the file from before to now, in an order replay can follow."""
        doc = self.store.doc
        self._note_new_categories()
        puts = {k: [] for k in _KINDS}
        dels = {k: [] for k in _KINDS}
        top = []
        for (kind, key), before in self.before.items():
            now = _get(doc, kind, key)
            if kind == "top":
                if now is MISSING and before is not MISSING:
                    top.append(["unset", key])
                elif now is not MISSING and now != before:
                    top.append(["set", key, now])
            elif now is MISSING:
                if before is not MISSING:
                    dels[kind].append(["del", kind, key])
            elif before is not MISSING and now == before:
                self.unchanged.setdefault(_LIST_OF[kind], []).append(id_key(key))
            elif before is MISSING or now != before:
                where = self.places.get(key) if kind == "annotation" else None
                puts[kind].append(["put", kind, now] + ([list(where)] if where is not None else []))
                # a record changed in place (a review set on it) is the document's changed record
                # from now on, so folding writes it from the dict, not as the bytes it was read as
                getattr(doc, f"put_{kind}")(now)
        return (
            puts["image"]
            + puts["category"]
            + dels["annotation"]
            + puts["annotation"]
            + dels["category"]
            + dels["image"]
            + top
        )

    def keep(self) -> None:
        """The change is kept (or made nothing): records found the same keep their text as read."""
        self.store.doc.unmark(self.unchanged)

    def rollback(self) -> None:
        doc = self.store.doc
        self._note_new_categories()
        items = list(self.before.items())
        for (kind, key), before in items:  # new annotations go first (new images take theirs along)
            if kind == "annotation" and before is MISSING and _get(doc, kind, key) is not MISSING:
                doc.remove_annotation(key)
        for wanted in ("image", "category", "annotation"):
            for (kind, _key), before in items:
                if kind == wanted and before is not MISSING:
                    getattr(doc, f"put_{kind}")(before)
        for (kind, key), before in items:
            if before is MISSING and _get(doc, kind, key) is not MISSING:
                if kind == "image":
                    doc.remove_image(key)
                elif kind == "category":
                    doc.remove_category(key)
                elif kind == "top":
                    doc.delete(key)
            elif kind == "top" and before is not MISSING:
                doc.set(key, before)
        doc.restore()
        for undo in reversed(self.undo):
            undo()
