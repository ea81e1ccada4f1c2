"""Undo and redo: bounded stacks of steps, and the Change each step reports.

A :class:`Step` reverts and reapplies itself and returns a :class:`Change` (which objects
and which box of pixels changed, and a sentence), so a view redraws that region only.
A :class:`History` keeps at most ``HISTORY_STEPS`` steps per image; the histories of one
model share a :class:`HistoryBudget` of ``HISTORY_BYTES`` bytes, the oldest steps
forgotten first (the last step always stays undoable, however large).
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import InputError

__all__ = ["Change", "Step", "History", "HistoryBudget", "SaveError", "HISTORY_STEPS", "HISTORY_BYTES"]

#: Undo steps kept per image.
HISTORY_STEPS = 100
#: Bytes of undo steps kept by one budget (all the images of an Annotations model share one).
HISTORY_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Change:
    """What one step (or its undo or redo) changed: enough to update a view of that region only.

    Attributes
    ----------
    action : str
        ``"accept"``, ``"replace"``, ``"delete"``, ``"rename class"`` or ``"remove class"``.
    ids : frozenset
        The objects whose pixels or class changed.
    bbox : tuple or None
        ``(x0, y0, x1, y1)`` around every pixel that changed (exclusive ends); None when
        only classes changed.
    how : str
        ``"done"``, ``"undone"`` or ``"redone"``.
    text : str
        One sentence for a status bar: what happened.
    image : object
        The image it happened on (the key of an Annotations model; None in a lone ObjectSet).
    object_id : int or None
        The object the step was about (the new one, for an accept); None for a class rename.
    """

    action: str
    ids: frozenset
    bbox: Optional[tuple]
    how: str = "done"
    text: str = ""
    image: Any = None
    object_id: Optional[int] = None

    @property
    def classes_changed(self) -> bool:
        """True when the class list itself changed (a rename, a removal), not only objects."""
        return self.action in ("rename class", "remove class")


class SaveError(InputError):
    """The session could not save a change, so the model took it back: ``change`` says what
    the model's objects went back to (redraw that region), and the message says why.

    The model and the session then hold the same objects: nothing unsaved stays on screen
    to be saved later by surprise (a retry is the user's, and makes no duplicate).
    """

    def __init__(self, message: str, change: Change):
        super().__init__(message)
        self.change = change


class Step:
    """One undoable step of a :class:`History`: subclasses revert and reapply it, each returning
    the :class:`Change`; ``summary`` says what it did ("object 3 kept as 'cat'")."""

    seq: int = 0
    nbytes: int = 0
    summary: str = ""

    def revert(self) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError

    def reapply(self) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError


class HistoryBudget:
    """Bytes of undo steps shared by several histories (the images of one model).

    When a new step makes the total pass ``max_bytes``, the oldest steps of any history
    are forgotten first, then the far ends of other images' redo stacks; the newest step
    always stays.
    """

    def __init__(self, max_bytes: int = HISTORY_BYTES):
        self.max_bytes = int(max_bytes)
        self._histories: weakref.WeakSet[History] = weakref.WeakSet()
        self._seq = itertools.count(1)

    def register(self, history: History) -> None:
        self._histories.add(history)

    def next_seq(self) -> int:
        return next(self._seq)

    @property
    def used(self) -> int:
        return sum(h.nbytes for h in self._histories)

    def trim(self, keep: Step) -> None:
        used = self.used
        while used > self.max_bytes:
            oldest = [(h._undo[0].seq, id(h), h) for h in self._histories if h._undo and h._undo[0] is not keep]
            if oldest:
                _, _, history = min(oldest)
                used -= history._drop(history._undo, 0)
                continue
            future = [(h._redo[0].seq, id(h), h) for h in self._histories if h._redo and h._redo[0] is not keep]
            if not future:
                break  # only the newest step is left: it stays, however large
            _, _, history = max(future)
            used -= history._drop(history._redo, 0)


class History:
    """Undo and redo stacks of one image, bounded by a step count and a shared byte budget."""

    def __init__(self, max_steps: int = HISTORY_STEPS, budget: Optional[HistoryBudget] = None):
        if int(max_steps) < 1:
            raise InputError(f"The history must keep at least one step; got {max_steps}.")
        self.max_steps = int(max_steps)
        self.budget = budget if budget is not None else HistoryBudget()
        self.budget.register(self)
        self._undo: list = []
        self._redo: list = []
        self.nbytes = 0

    def __len__(self) -> int:
        """Steps that can be undone."""
        return len(self._undo)

    def __bool__(self) -> bool:
        return True  # a history is there even when empty (`history and history.can_redo` must work)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_steps(self) -> tuple:
        """The steps an undo would take back, oldest first (read only)."""
        return tuple(self._undo)

    @property
    def redo_steps(self) -> tuple:
        """The steps a redo would make again, the next one last (read only)."""
        return tuple(self._redo)

    @property
    def undo_text(self) -> str:
        """What Undo would undo ("" when nothing)."""
        return self._undo[-1].summary if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].summary if self._redo else ""

    def push(self, step: Step) -> None:
        """Record a step just done; forgets what was undone, and the oldest steps past the bounds."""
        step.seq = self.budget.next_seq()
        while self._redo:
            self._drop(self._redo, -1)
        self._undo.append(step)
        self.nbytes += step.nbytes
        while len(self._undo) > self.max_steps:
            self._drop(self._undo, 0)
        self.budget.trim(keep=step)

    def undo(self) -> Optional[Change]:
        """Revert the last step (None when there is none). A step that cannot be reverted
        raises :class:`InputError` and stays where it was."""
        if not self._undo:
            return None
        change = self._undo[-1].revert()
        self._redo.append(self._undo.pop())
        return change

    def redo(self) -> Optional[Change]:
        if not self._redo:
            return None
        change = self._redo[-1].reapply()
        self._undo.append(self._redo.pop())
        return change

    def forget_redo(self) -> None:
        """Drop what Redo would redo (a step taken back because it could not be saved)."""
        while self._redo:
            self._drop(self._redo, -1)

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self.nbytes = 0

    def _drop(self, stack: list, index: int) -> int:
        step = stack.pop(index)
        self.nbytes -= step.nbytes
        return step.nbytes
