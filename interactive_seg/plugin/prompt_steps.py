"""The steps of the object being made (a box, a click, a stroke), for Ctrl+Z / Ctrl+Shift+Z.

While an object is being made, Ctrl+Z takes back its last prompt step and Ctrl+Shift+Z
gives it back; the widget turns to the objects' own history (:mod:`interactive_seg.history`)
only when no prompt step is left. A box or a click step keeps the layer's contents before
and after (a few coordinates); a stroke step is napari's own stroke history on the
scribbles layer (a full-size copy per stroke would cost megabytes on a large image).
A new step drops what was undone, as any new action drops a redo.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..wording import counted
from . import layers as L

__all__ = ["PromptSteps", "STEP_NAMES", "describe"]

#: What the status line calls each kind of step.
STEP_NAMES = {L.BOXES: "the box", L.POINTS: "the last click", L.SCRIBBLES: "the last stroke"}
#: Said when a new prompt calls off an Accept that waited for its preview (Shift+Enter, then the next box at once).
CALLED_OFF = (
    "The object waiting to be kept was not kept: a new prompt came before its preview. Ctrl+Z takes the new "
    "prompt back and Shift+Enter then keeps the object; or go on with the new one."
)


class PromptSteps:
    """Prompt steps of one object, oldest first, on a :class:`~.canvas.Canvas`'s layers."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.done: list = []
        self.undone: list = []
        self._state: dict = {}

    @property
    def can_undo(self) -> bool:
        return bool(self.done)

    @property
    def can_redo(self) -> bool:
        return bool(self.undone)

    def reset(self) -> None:
        """A new object (after Accept, Clear, another image): no steps; the layers as they are now."""
        self.done, self.undone = [], []
        self._state = {name: self._read(name) for name in (L.BOXES, L.POINTS)}

    def record(self, name: str) -> bool:
        """A prompt layer changed (``name``): keep the step; False when nothing changed."""
        if name == L.SCRIBBLES:
            step = (name, None, None)
        else:
            before, after = self._state.get(name), self._read(name)
            if _same(before, after):
                return False
            step = (name, before, after)
            self._state[name] = after
        self.done.append(step)
        self.undone = []
        return True

    @property
    def undo_text(self) -> str:
        """What :meth:`undo` would take back ("" when nothing)."""
        return _said(self.done[-1]) if self.done else ""

    @property
    def redo_text(self) -> str:
        return _said(self.undone[-1]) if self.undone else ""

    def undo(self) -> Optional[str]:
        """Take back the last step; what it was (``"the box"``, ``"the box removed"``...),
        None without one."""
        if not self.done:
            return None
        step = self.done.pop()
        self._apply(step, back=True)
        self.undone.append(step)
        return _said(step)

    def redo(self) -> Optional[str]:
        """Do the last step taken back again; what it was (as :meth:`undo` says it)."""
        if not self.undone:
            return None
        step = self.undone.pop()
        self._apply(step, back=False)
        self.done.append(step)
        return _said(step)

    # -- the layers ----------------------------------------------------------------------
    def _read(self, name: str):
        layer = self.canvas.layer(name)
        if layer is None:
            return None
        if name == L.BOXES:
            return [np.array(shape, float) for shape in layer.data]
        xy, labels = L.points_from_layer(layer.data, layer.features)
        return (np.asarray(layer.data, float).copy(), None if labels is None else labels.copy())

    def _apply(self, step, back: bool) -> None:
        name, before, after = step
        layer = self.canvas.layer(name)
        if layer is None:
            return
        if name == L.SCRIBBLES:
            self.canvas.updating = True
            try:
                (layer.undo if back else layer.redo)()
            finally:
                self.canvas.updating = False
            self.canvas.strokes_replaced()
            return
        state = before if back else after
        self.canvas.set_prompt_layer(name, state)
        self._state[name] = self._read(name)


def _said(step) -> str:
    """What a step did, for "Undone: ..." and "Redone: ...": a step that removed a box or
    clicks says so ("Redone: the box." was shown for a redo that took the box away)."""
    name, before, after = step
    if name == L.BOXES and before is not None and after is not None and len(after) < len(before):
        return "the box removed"
    if name == L.POINTS and before is not None and after is not None and len(after[0]) < len(before[0]):
        removed = len(before[0]) - len(after[0])
        return "a click removed" if removed == 1 else f"{removed} clicks removed"
    return STEP_NAMES[name]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, list):
        return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    return (
        np.array_equal(a[0], b[0]) and (a[1] is None) == (b[1] is None) and (a[1] is None or np.array_equal(a[1], b[1]))
    )


def describe(prompts) -> str:
    """The prompts in a few words: "A box and 2 clicks"."""
    parts = []
    if prompts.box is not None:
        parts.append("a box")
    count = 0 if prompts.points is None else len(prompts.points)
    if count:
        parts.append(counted(count, "click"))
    if prompts.scribbles is not None:
        parts.append("strokes")
    text = " and ".join(parts) if parts else "The prompts"
    return text[0].upper() + text[1:]
