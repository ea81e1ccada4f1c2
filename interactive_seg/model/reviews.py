"""Provenance and review in the annotation model: how each object was made, and a
reviewer's verdict on it, each verdict one step of its image's undo history.

:class:`Reviews` is the part of :class:`~interactive_seg.model.annotations.Annotations`
that reads an object's provenance record and review state and gives verdicts; undoing a
verdict puts back the record the object had before it (who and when too), in the
session's file as well.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from typing import Optional

from ..errors import InputError
from .history import Change, SaveError, Step

__all__ = ["Reviews"]


class _ReviewStep(Step):
    """A reviewer's verdict on one object; undone by putting back the provenance record it
    had (who and when too), redone by the one the verdict made."""

    def __init__(self, model, key, object_id: int, state: str, before: Optional[dict], after: Optional[dict]):
        self.model, self.key, self.object_id, self.before, self.after = model, key, object_id, before, after
        self.summary = f"object {object_id} marked {state}"
        self.nbytes = 512

    def revert(self) -> Change:
        self.model._put_review(self.key, self.object_id, self.before)
        return Change("review", frozenset(), None, "undone", f"Undone: {self.summary}.", self.key, self.object_id)

    def reapply(self) -> Change:
        self.model._put_review(self.key, self.object_id, self.after)
        return Change("review", frozenset(), None, "redone", f"Redone: {self.summary}.", self.key, self.object_id)


class Reviews:
    """Provenance and verdicts of an :class:`~interactive_seg.model.annotations.Annotations`
    model (its base class): uses its ``session`` and open images (``_entry``)."""

    def provenance(self, key: Hashable, object_id: int) -> Optional[dict]:
        """How object ``object_id`` of image ``key`` was made (its provenance record), or None."""
        entry = self._entry(key)
        record = entry.provenance.get(object_id)
        if record is None and object_id in entry.saved and self.session is not None:
            record = self.session.provenance(object_id)
        return record or None

    def review_state(self, key: Hashable, object_id: int) -> str:
        """``unreviewed``, ``accepted`` or ``rejected``."""
        from ..provenance import KEY, review_state

        entry = self._entry(key)
        record = entry.provenance.get(object_id)
        if record is None and object_id in entry.saved and self.session is not None:
            return self.session.review_state(object_id)  # read in place: no copy per mouse move
        return review_state({KEY: record} if record else {})

    def set_review(self, key: Hashable, object_id: int, state: str, by: Optional[str] = None) -> Change:
        """Mark an object ``accepted``, ``rejected`` or ``unreviewed``, and save: one step of
        the image's history (undo puts back the review it had, with who and when); nothing
        when it has that state already."""
        from ..provenance import KEY, record_of, set_review

        entry = self._entry(key)
        if object_id not in entry.objects:
            raise InputError(f"There is no object {object_id!r} on this image; point at an object first.")
        if state == self.review_state(key, object_id):  # no step that undoes nothing
            return Change(
                "review", frozenset(), None, "done", f"Object {object_id} is {state} already.", key, object_id
            )
        before = self._review_record(entry, object_id)
        if entry.in_session and object_id in entry.saved:
            try:
                self.session.set_review(object_id, state, by=by)
            except InputError as exc:
                raise SaveError(
                    f"Could not save the review: {exc}",
                    Change("review", frozenset(), None, "not saved", str(exc), key, object_id),
                ) from exc
            entry.provenance[object_id] = self.session.provenance(object_id) or {}
        else:
            holder = {KEY: dict(entry.provenance.get(object_id) or {})} if entry.provenance.get(object_id) else {}
            set_review(holder, state, by=by)
            entry.provenance[object_id] = record_of(holder)
        step = _ReviewStep(self, key, object_id, state, before, self._review_record(entry, object_id))
        entry.objects.history.push(step)
        return Change("review", frozenset(), None, "done", f"Object {object_id} marked {state}.", key, object_id)

    def _review_record(self, entry, object_id: int) -> Optional[dict]:
        """The object's whole provenance record as it is now (a copy; None when it has none)."""
        if entry.in_session and object_id in entry.saved:
            return self.session.provenance(object_id)
        record = entry.provenance.get(object_id)
        return copy.deepcopy(record) if record else None

    def _put_review(self, key: Hashable, object_id: int, record: Optional[dict]) -> None:
        """Give the object back a provenance record from before or after a verdict, and save."""
        entry = self._entry(key)
        if entry.in_session and object_id in entry.saved:
            self.session.restore_provenance(object_id, record)
        entry.provenance[object_id] = copy.deepcopy(record) if record else {}
