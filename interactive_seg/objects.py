"""The accepted objects of one image: an instance label image, a class per object, undo and redo.

Pure numpy, no GUI: the napari widget mirrors it into its ``objects`` layer, and sessions
save it. Each object has an id (its label value, never reused while the set lives) and a
class name. Pixels belong to one object at most: a new or edited object takes its pixels
from the objects under it, as painting on a label image does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .errors import InputError

__all__ = ["ObjectSet"]


@dataclass
class _Change:
    """One undoable step: the pixels it changed and the classes before and after."""

    name: str
    index: np.ndarray  # flat pixel indices
    before: np.ndarray
    after: np.ndarray
    classes_before: dict
    classes_after: dict


class ObjectSet:
    """Objects of one image with their classes, and a history of accept, replace and delete.

    Parameters
    ----------
    shape : tuple
        ``(H, W)`` of the image.
    labels : (H, W) int array, optional
        Existing instance labels (0 background).
    classes : dict, optional
        Class name per label value; labels without one get ``"object"``.
    new_id : callable, optional
        Gives the id of each new object (for example a session's annotation counter, so
        ids stay unique across images); by default ids count up from the largest label.

    Examples
    --------
    >>> objects = ObjectSet((4, 4))
    >>> mask = np.zeros((4, 4), bool); mask[1:3, 1:3] = True
    >>> objects.add(mask, "cat")
    1
    >>> objects.classes, objects.undo(), objects.classes
    ({1: 'cat'}, True, {})
    """

    def __init__(self, shape, labels=None, classes: Optional[dict] = None, new_id=None):
        shape = tuple(int(v) for v in shape[:2])
        if labels is None:
            self.labels = np.zeros(shape, np.int32)
        else:
            labels = np.asarray(labels)
            if labels.shape != shape:
                raise InputError(f"The labels have shape {labels.shape}, not the image's {shape}.")
            self.labels = labels.astype(np.int32, copy=True)
        present = [int(v) for v in np.unique(self.labels) if v > 0]
        classes = {int(k): str(v) for k, v in (classes or {}).items()}
        self.classes = {v: classes.get(v, "object") for v in present}
        self._next_id = max(present, default=0) + 1
        self._new_id = new_id
        self._undo: list = []
        self._redo: list = []
        #: ids whose pixels or class the last step (change, undo or redo) touched
        self.last_changed: set = set()

    # -- reading -------------------------------------------------------------------------
    @property
    def ids(self) -> list:
        """Object ids in the order they were made."""
        return sorted(self.classes)

    def mask(self, object_id: int) -> np.ndarray:
        """The bool mask of one object."""
        self._check(object_id)
        return self.labels == object_id

    def __len__(self) -> int:
        return len(self.classes)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- changing ------------------------------------------------------------------------
    def add(self, mask, category: str) -> int:
        """Add an object; returns its new id. An empty mask is an :class:`InputError`."""
        mask = self._mask(mask)
        if not mask.any():
            raise InputError("The object is empty: segment something before accepting it.")
        if self._new_id is not None:
            object_id = int(self._new_id())
        else:
            object_id = self._next_id
            self._next_id += 1
        new = self.labels.copy()
        new[mask] = object_id
        classes = dict(self.classes)
        classes[object_id] = str(category)
        self._apply("accept", new, classes)
        return object_id

    def replace(self, object_id: int, mask=None, category: Optional[str] = None) -> None:
        """Give an object a new mask and/or class; its id stays."""
        self._check(object_id)
        new = self.labels
        if mask is not None:
            mask = self._mask(mask)
            if not mask.any():
                raise InputError("The new mask is empty; delete the object instead if it should go.")
            new = self.labels.copy()
            new[new == object_id] = 0
            new[mask] = object_id
        classes = dict(self.classes)
        if category is not None:
            classes[object_id] = str(category)
        # an edit can swallow other objects whole: they are gone from the class list too
        present = set(np.unique(new).tolist()) if mask is not None else set(classes) | {0}
        classes = {k: v for k, v in classes.items() if k in present}
        self._apply("replace", new, classes)

    def remove(self, object_id: int) -> None:
        """Delete an object."""
        self._check(object_id)
        new = self.labels.copy()
        new[new == object_id] = 0
        classes = {k: v for k, v in self.classes.items() if k != object_id}
        self._apply("delete", new, classes)

    def undo(self) -> bool:
        """Undo the last accept, replace or delete; False when there is nothing to undo."""
        if not self._undo:
            return False
        change = self._undo.pop()
        self.labels.flat[change.index] = change.before
        self.classes = dict(change.classes_before)
        self._redo.append(change)
        self.last_changed = _touched(change)
        return True

    def redo(self) -> bool:
        """Redo what was last undone; False when there is nothing to redo."""
        if not self._redo:
            return False
        change = self._redo.pop()
        self.labels.flat[change.index] = change.after
        self.classes = dict(change.classes_after)
        self._undo.append(change)
        self.last_changed = _touched(change)
        return True

    # -- pieces --------------------------------------------------------------------------
    def _apply(self, name: str, new: np.ndarray, classes: dict) -> None:
        index = np.flatnonzero(new != self.labels)
        change = _Change(name, index, self.labels.flat[index].copy(), new.flat[index].copy(), dict(self.classes), classes)
        self.labels.flat[index] = change.after
        self.classes = classes
        self._undo.append(change)
        self._redo.clear()
        self.last_changed = _touched(change)

    def _mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.shape != self.labels.shape:
            raise InputError(f"The mask has shape {mask.shape}, not the image's {self.labels.shape}.")
        return mask.astype(bool, copy=False)

    def _check(self, object_id: int) -> None:
        if object_id not in self.classes:
            raise InputError(f"There is no object {object_id}; pick one of {self.ids or 'none (accept one first)'}.")


def _touched(change: _Change) -> set:
    ids = set(np.unique(change.before).tolist()) | set(np.unique(change.after).tolist())
    ids |= {k for k in set(change.classes_before) | set(change.classes_after) if change.classes_before.get(k) != change.classes_after.get(k)}
    ids.discard(0)
    return {int(i) for i in ids}
