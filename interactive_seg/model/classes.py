"""The class list of the annotation model: names in order, each with its colour, kept in a session's categories.

:class:`ClassList` is the part of :class:`~interactive_seg.model.annotations.Annotations`
that owns the classes: adding, removing and renaming them (a rename is one undoable step
for every image, and keeps a session's category id), the colour each keeps, and the
default class that reaches the file only once used or renamed.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Optional

from ..coco.reading import class_key
from ..errors import InputError
from .objects import Change, Step

__all__ = ["ClassList"]


class _RenameStep(Step):
    """A class renamed on every image (and once in the session); undone by renaming it back."""

    def __init__(self, model: ClassList, old: str, new: str):
        self.model, self.old, self.new = model, old, new
        self.summary = f"class '{old}' renamed '{new}'"
        self.nbytes = 64

    def revert(self) -> Change:
        classes = self.model._classes
        # a class of the old name made since, or this one renamed again in another image's
        # history: the undo has nothing to do (the step is not stuck on top of the history)
        self.skipped = self.old in classes or self.new not in classes
        if self.skipped:
            why = (
                f"a class '{self.old}' was made since" if self.old in classes else f"there is no class '{self.new}' now"
            )
            return Change(
                "rename class", frozenset(), None, "undone", f"Undone: {self.summary} ({why}: it stays as it is)."
            )
        self.model._rename(self.new, self.old, as_spelt=True)  # (the name as it was spelt, NFC or NFD)
        return Change("rename class", frozenset(), None, "undone", f"Undone: {self.summary}.")

    def reapply(self) -> Change:
        if getattr(self, "skipped", False):  # its undo changed nothing: nor does its redo
            return Change("rename class", frozenset(), None, "redone", f"Redone: {self.summary} (nothing to do).")
        self.model._rename(self.old, self.new)
        return Change("rename class", frozenset(), None, "redone", f"Redone: {self.summary}.")


class _RemoveStep(Step):
    """A class no object had, removed; undone by putting it back in its place, with its
    colour and (in a session) its category record and id."""

    def __init__(self, model: ClassList, name: str, kept: tuple):
        self.model, self.name, self.kept = model, name, kept
        self.summary = f"class '{name}' removed"
        self.nbytes = 256

    def revert(self) -> Change:
        back = self.model._put_back(self.name, *self.kept)
        self.skipped = not back
        there = ""
        if not back and getattr(self, "brought_back", False):
            there = " (it was back already, with an object an undo gave it)"
        elif not back:
            there = f" (a class '{self.name}' was made since: it stays as it is)"
        return Change("remove class", frozenset(), None, "undone", f"Undone: {self.summary}{there}.")

    def reapply(self) -> Change:
        if getattr(self, "skipped", False):  # its undo changed nothing: nor does its redo
            return Change("remove class", frozenset(), None, "redone", f"Redone: {self.summary} (nothing to do).")
        self.kept = self.model._remove(self.name)
        return Change("remove class", frozenset(), None, "redone", f"Redone: {self.summary}.")


class ClassList:
    """The classes of an :class:`~interactive_seg.model.annotations.Annotations` model (its base class).

    The model holds the state: ``_classes`` (names in order), ``_colours`` (name ->
    ``"#rrggbb"``), ``_lazy`` (classes not in the session's file until used or renamed),
    ``_reserved`` (colours of removed classes an undo may bring back),
    ``session``, its open images (``_images``, ``_entry``) and ``_class_history``.
    """

    @property
    def class_colours(self) -> dict:
        """Class name -> ``"#rrggbb"``, in the class list's order."""
        return {name: self._colours[name] for name in self._classes}

    def colour(self, name: str) -> str:
        """The colour of class ``name`` (grey for a name that is not a class)."""
        return self._colours.get(str(name), "#7f7f7f")

    def _append(self, name: str, colour: Optional[str] = None, save: bool = True) -> None:
        """A new class at the end of the list, with ``colour`` or a colour no class has (the
        palette's colour of its place in the file's categories, or in the list, where that
        is free; every class shown keeps its own); written to the session's categories (with its colour)
        when there is one and ``save``."""
        from ..palette import colour as place_colour
        from ..palette import next_colour

        # every class shown keeps its colour, the unused default class too (an annotator
        # has seen it): the new one takes a colour no class has
        # a list: next_colour counts how many have each (a removed class's, which Ctrl+Z may bring back, too)
        used = [self._colours.get(n) for n in self._classes] + self._reserved
        session = self.session if save and self.session is not None and not self.session.read_only else None
        if not colour and session is not None:  # its place among the file's categories, where free
            kept = list({**session.class_colours, **{n: self._colours.get(n) for n in self._classes}}.values())
            kept += self._reserved
            colour = place_colour(len(session.categories))
            if colour in kept:
                colour = next_colour(kept)
        elif not colour:
            colour = place_colour(len(self._classes))
            if colour in used:
                colour = next_colour(used)
        self._classes.append(name)
        self._colours[name] = colour
        if not save:
            self._lazy.add(name)
        if save:
            try:
                self._save_class(name)
            except InputError:
                self._classes.remove(name)
                self._colours.pop(name, None)
                raise

    def _save_class(self, name: str) -> None:
        """Write class ``name`` to the session's categories, with the classes before it in the
        list that are not there yet (so the file's categories follow the list's order)."""
        session = self.session
        if session is None or session.read_only or name in session.categories:
            return
        for at, earlier in enumerate(self._classes[: self._classes.index(name) + 1]):
            if earlier not in session.categories and (earlier == name or earlier not in self._lazy):
                # at its place in the list: the default class used after a later one was added
                # stays first in the file, so the folder reopens with the list as it was
                before = set(self._classes[:at])
                place = sum(1 for c in session.document.categories if str(c["name"]) in before)
                session.add_class(earlier, self._colours.get(earlier), place=place)
        self._lazy.discard(name)

    @property
    def classes(self) -> list:
        """The class names, in the order they were made."""
        return list(self._classes)

    def add_class(self, name: Optional[str] = None) -> str:
        """Add a class (``"class N"`` when no name is given); returns its name."""
        if name is None:
            n = len(self._classes) + 1
            while f"class {n}" in self._classes:
                n += 1
            name = f"class {n}"
        name = self._check_name(name)
        if name in self._classes:
            raise InputError(f"There is already a class {name!r}; pick another name.")
        self._append(name)
        return name

    def remove_class(self, name: str, *, step: bool = False, image: Optional[Hashable] = None) -> Optional[Change]:
        """Remove a class no object has (on any image, open or saved). ``step``: as one step
        of ``image``'s history (undo puts it back, with its colour and category id); else
        none (a class just made and left unnamed)."""
        if name not in self._classes:
            raise InputError(f"There is no class {name!r}.")
        if self.class_in_use(name):
            raise InputError(f"Objects still have the class {name!r}; give them another class or delete them first.")
        if len(self._classes) == 1:
            raise InputError("Keep at least one class.")
        kept = self._remove(name)
        if not step:
            return None
        history = self._entry(image).objects.history if image is not None else self._class_history
        history.push(_RemoveStep(self, name, kept))
        return Change("remove class", frozenset(), None, text=f"Removed the class '{name}'.", image=image)

    def _remove(self, name: str) -> tuple:
        """Remove class ``name``; returns what puts it back: (place, colour, lazy, category
        record, its place among the file's categories). Its colour stays out of new classes'
        reach while an undo may bring it back."""
        if name not in self._classes:
            raise InputError(f"There is no class {name!r} any more.")
        record = spot = None
        if self.session is not None and name in self.session.categories:
            spot = [str(c["name"]) for c in self.session.document.categories].index(name)
            record = self.session.remove_class(name)  # first: when it cannot be saved, nothing here changes
        kept = (self._classes.index(name), self._colours.get(name), name in self._lazy, record, spot)
        self._classes.remove(name)
        self._reserved += [c for c in (self._colours.pop(name, None),) if c]
        self._lazy.discard(name)
        return kept

    def _bring_back(self, name: str) -> None:
        """Class ``name``, removed since, in the list again (an object has it back): as the
        newest undoable removal of it kept it (place, colour, category id), else new."""
        histories = [self._class_history] + [e.objects.history for e in self._images.values()]
        removals = [s for h in histories for s in h.undo_steps if isinstance(s, _RemoveStep) and s.name == name]
        if removals:
            removal = max(removals, key=lambda s: s.seq)
            self._put_back(name, *removal.kept)
            removal.brought_back = True
        else:
            self._append(name)

    def _put_back(self, name: str, place: int, colour, lazy: bool, record: Optional[dict], spot) -> bool:
        if colour in self._reserved:
            self._reserved.remove(colour)
        if name in self._classes:  # a class of that name made since: it stays, this undo has nothing to do
            return False
        if record is not None and self.session is not None:  # first: when it cannot be saved, nothing changes
            self.session.add_class(name, colour, record=record, place=spot)
        self._classes.insert(min(place, len(self._classes)), name)
        self._colours[name] = colour
        if lazy:
            self._lazy.add(name)
        return True

    def class_in_use(self, name: str) -> bool:
        if any(name in e.objects.classes.values() for e in self._images.values()):
            return True
        if self.session is None or name not in self.session.categories:
            return False
        open_ = {k for k, e in self._images.items() if e.in_session}
        return any(
            o.category == name
            for image in self.session.images
            if image not in open_
            for o in self.session.objects(image)
        )

    def rename_class(self, old: str, new: str, *, image: Optional[Hashable] = None) -> Change:
        """Rename a class on every image, as one step of ``image``'s history (undo renames it back).

        In a session the class keeps its category id.
        """
        new = self._check_name(new)
        if old not in self._classes:
            raise InputError(f"There is no class {old!r}.")
        if new == old:
            return Change("rename class", frozenset(), None, text="Nothing changed.", image=image)
        self._rename(old, new)
        step = _RenameStep(self, old, new)
        history = self._entry(image).objects.history if image is not None else self._class_history
        history.push(step)
        return Change("rename class", frozenset(), None, text=f"Class '{old}' renamed '{new}'.", image=image)

    def name_new_class(self, old: str, new: str) -> str:
        """Give the class Add class just made (``old``, its placeholder name) the name typed
        for it: part of its making, so no step of any history (undo never brings the
        placeholder back). Returns the name, checked as :meth:`rename_class` checks it."""
        new = self._check_name(new)
        if new != old:
            if new in self._classes:
                raise InputError(f"There is already a class {new!r}.")
            self._rename(old, new)
        return new

    def _rename(self, old: str, new: str, as_spelt: bool = False) -> None:
        if new in self._classes:
            raise InputError(f"There is already a class {new!r}; rename it first.")
        if old not in self._classes:
            raise InputError(f"There is no class {old!r} any more.")
        if self.session is not None and old in self.session.categories:
            self.session.rename_class(old, new, as_spelt=as_spelt)  # first: when it cannot be saved, nothing changes
        self._classes[self._classes.index(old)] = new
        self._colours[new] = self._colours.pop(old)
        if old in self._lazy:
            self._lazy.discard(old)
            self._lazy.add(new)
        if self.session is not None and new not in self.session.categories:
            try:
                self._save_class(new)  # a class of the model alone: the file keeps it now
            except InputError:
                self._classes[self._classes.index(new)] = old
                self._colours[old] = self._colours.pop(new)
                raise
        for entry in self._images.values():
            entry.objects.relabel_class(old, new)
            entry.buried = {k: (new if v == old else v) for k, v in entry.buried.items()}  # (shown later, renamed)

    def _category(self, category: Optional[str]) -> str:
        if category is None:
            return self._classes[0]
        category = self._check_name(category)
        if category not in self._classes:
            self._append(category)
        else:
            self._save_class(category)  # its colour goes with it
        return category

    def _check_name(self, name) -> str:
        """A class name as typed, without the spaces around it; the spelling of the class it
        names when one differs only in its Unicode form (:func:`~interactive_seg.coco.reading.class_key`)."""
        name = str(name).strip()
        if not name:
            raise InputError("A class name cannot be empty.")
        if name not in self._classes:
            key = class_key(name)
            return next((known for known in self._classes if class_key(known) == key), name)
        return name
