"""Ctrl+Z / Ctrl+Shift+Z in the widget: one history the annotator can predict.

While an object is being made, Ctrl+Z takes back its prompt steps (:mod:`.prompt_steps`:
a box, a click, a stroke), then the objects' own changes (accept, delete, rename: the
model's history). Ctrl+Shift+Z redoes what the Ctrl+Z presses since the last new step
undid, latest first; a new step drops that redo, and nothing deleted comes back except by
redoing its deletion.
"""

from __future__ import annotations

__all__ = ["UndoRedo"]


class UndoRedo:
    """The widget's undo and redo; ``widget`` is the dock widget (its canvas, model, messages)."""

    def __init__(self, widget):
        self.widget = widget
        self.undone: list = []  # "prompt" or "object" per Ctrl+Z since the last new step

    def new_step(self) -> None:
        """The annotator added a step (or started afresh): what was undone cannot be redone."""
        self.undone.clear()

    def making(self) -> bool:
        """True while an object is being made: prompts on the canvas."""
        return self.widget.canvas.steps.can_undo

    def undo(self) -> None:
        """The last prompt step of the object being made; with none left, the last change
        to the objects."""
        widget = self.widget
        if widget._image is None:
            return
        undone = widget.canvas.steps.undo()
        if undone is not None:
            self.undone.append("prompt")
            widget._prompts_changed(new_step=False)
            widget._say(f"Undone: {undone}.")
            widget._update_buttons()
            return
        if widget._editing is not None:  # no prompt of the edit left: leave the edit, not undo the object
            editing = widget._editing
            widget.clear(say=False)
            widget._say(
                f"Left the edit of object {editing}, unchanged; Ctrl+Z again undoes the last change to objects."
            )
            return
        blocked = self._blocked(undo=True)
        if blocked:
            widget._warn(blocked)
            return
        change = widget._apply(widget.model.undo, widget._key, nothing=self.nothing() or "Nothing to undo.")
        if change is not None:
            self.undone.append("object")

    def redo(self) -> None:
        """What the Ctrl+Z presses since the last new step undid, latest first. While an
        object is being made, only its prompt steps are redone; objects are redone once no
        prompt is on the canvas."""
        widget = self.widget
        if widget._image is None:
            return
        last = self.undone[-1] if self.undone else None
        if last == "prompt" or (last is None and widget.canvas.steps.can_redo):
            redone = widget.canvas.steps.redo()
            if redone is not None:
                if self.undone:
                    self.undone.pop()
                widget._prompts_changed(new_step=False)
                widget._say(f"Redone: {redone}.")
                widget._update_buttons()
                return
        if self.making():
            widget._say("Nothing to redo for this object; Accept or Clear it to redo changes to objects.")
            return
        blocked = self._blocked(undo=False)
        if blocked:
            widget._warn(blocked)
            return
        change = widget._apply(widget.model.redo, widget._key, nothing="Nothing to redo.")
        if change is not None and last == "object":
            self.undone.pop()

    def _blocked(self, undo: bool) -> str:
        """Why this image's next undo (or redo), a class rename, cannot be made now: the class
        it renames was renamed again since on another image, and each image keeps its own
        history, so that rename is taken back there first ("There is no class 'person' any
        more." said nothing of where, or what to do). "" where nothing is in the way."""
        widget = self.widget
        if widget.jobs.busy:
            return ""  # (a change still running comes first: the model says what it finds)
        model = widget.model
        history = model.history(widget._key)
        stack = history.undo_steps if undo else history.redo_steps
        step = stack[-1] if stack else None
        old, new = getattr(step, "old", None), getattr(step, "new", None)
        if not isinstance(old, str) or not isinstance(new, str):
            return ""  # not a class rename
        needed, wanted = (new, old) if undo else (old, new)
        if needed in model.classes:
            return ""
        if undo:
            then, cannot = f"Ctrl+Z here renames '{needed}' back to '{wanted}'", f"rename it back to '{wanted}'"
        else:
            then, cannot = f"Ctrl+Shift+Z here renames '{needed}' '{wanted}' again", f"rename it '{wanted}' again"
        for key in model.images:
            if key == widget._key:
                continue
            for later in model.history(key).undo_steps:
                if getattr(later, "old", None) == needed and later.seq > step.seq:
                    where = self._name(key)
                    return (
                        f"Class '{needed}' was renamed '{later.new}' on {where} since: undo that rename first "
                        f"(Ctrl+Z on {where}); then {then}."
                    )
        return (
            f"There is no class '{needed}' any more (removed, or renamed on an image whose history is gone), "
            f"so {'Ctrl+Z' if undo else 'Ctrl+Shift+Z'} cannot {cannot}; rename the class yourself (double-click it)."
        )

    def _name(self, key) -> str:
        """The name of the image of model key ``key``, as the image list or the Image box shows it."""
        if isinstance(key, str):
            return key
        for layer in self.widget.image_combo.layers():
            if self.widget.image_combo.key_of(layer) == key:
                return layer.name
        return "another image"

    def nothing(self) -> str:
        """Why this image has no step to undo where it had some (they went when later images
        were opened): said by Ctrl+Z and the Undo button's tooltip; "" otherwise."""
        model = self.widget.model
        if self.widget._key not in model.histories_let_go:
            return ""
        return (
            "Nothing more to undo on this image: its earlier steps went when other images were opened "
            f"after it (the last {model.keep_images} images opened keep their undo steps)."
        )

    def texts(self) -> tuple[str, str]:
        """What Undo and Redo would do now ("" where nothing): the buttons' tooltips."""
        widget = self.widget
        # (not `history and ...`: an empty undo stack makes a History falsy, redo or not)
        history = widget.model.history(widget._key) if widget._key is not None else None
        steps = widget.canvas.steps
        undo_text = redo_text = ""
        if steps.can_undo:
            undo_text = f"Undo {steps.undo_text}"
        elif history is not None and history.can_undo:
            undo_text = f"Undo {history.undo_text}"
        last = self.undone[-1] if self.undone else None
        if steps.can_redo and (last == "prompt" or last is None):
            redo_text = f"Redo {steps.redo_text}"
        elif not self.making() and history is not None and history.can_redo:
            redo_text = f"Redo {history.redo_text}"
        return undo_text, redo_text
