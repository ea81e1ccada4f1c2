"""The annotation model: every image's objects, one class list, undo per image, saving and export.

No Qt and no napari: the widget shows what this model holds, and tests and scripts drive
the same object. Images are named by a key the caller chooses (a session's file name, a
napari layer's ``unique_id``), never by anything a user can rename. Every change returns
a :class:`~interactive_seg.model.objects.Change` saying which objects and which box of pixels
changed, so a view redraws that region only, and which sentence to show.

>>> import numpy as np
>>> model = Annotations(["cat"])
>>> objects = model.open("a", (20, 30))
>>> mask = np.zeros((4, 6), bool); mask[1:3, 1:5] = True
>>> change = model.accept("a", mask, "cat", offset=(10, 5))   # a crop at x0=10, y0=5
>>> change.text, change.bbox, objects.area(change.object_id)
("Object 1 kept as 'cat'.", (11, 6, 15, 8), 8)
>>> model.rename_class("cat", "lion", image="a").text, objects.classes
("Class 'cat' renamed 'lion'.", {1: 'lion'})
>>> model.undo("a").text, objects.classes
("Undone: class 'cat' renamed 'lion'.", {1: 'cat'})
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from . import hidden
from .classes import ClassList
from .history import SaveError
from .objects import HISTORY_BYTES, HISTORY_STEPS, Change, History, HistoryBudget, ObjectSet
from .reviews import Reviews

__all__ = ["Annotations", "Change", "SaveError", "DEFAULT_CLASS"]

DEFAULT_CLASS = "object"


@dataclasses.dataclass
class _Image:
    objects: ObjectSet
    file_name: Optional[str]
    in_session: bool
    saved: set  # ids the session holds
    # object id -> its provenance record as the model knows it ({}: known to have none);
    # an object of the session not listed here has the record its annotation holds
    provenance: dict = dataclasses.field(default_factory=dict)
    # object id -> (crop, offset) of its saved pixels that later objects covered when the
    # image was opened (another tool's overlaps): saved with it while another object covers them
    hidden: dict = dataclasses.field(default_factory=dict)
    # object id -> its whole annotation when the model removed it (an undo puts it back as it was)
    removed: dict = dataclasses.field(default_factory=dict)
    # object id -> the pixels of its hidden crop that touched nothing visible of it on opening (hidden.loose_parts)
    loose: dict = dataclasses.field(default_factory=dict)
    # object id -> class of the session's objects wholly covered by others on opening (shown once uncovered)
    buried: dict = dataclasses.field(default_factory=dict)


class Annotations(ClassList, Reviews):
    """Objects of many images with one class list, a bounded undo history per image, saved to a
    :class:`~interactive_seg.Session` (when given) after every change.

    Parameters
    ----------
    classes : iterable of str, optional
        The class list to start with; a session's categories are added to it. Without
        either, one class called ``"object"``.
    session : Session, optional
        A folder session: its images open with their saved objects, and every change,
        undo, redo and class rename is saved at once.
    history_steps : int
        Undo steps kept per image.
    history_bytes : int
        Bytes of undo steps kept for all images together; the oldest go first.
    keep_images : int
        Session images kept open (with their undo history) after moving to another; the
        least recently opened beyond this are closed (their objects are saved). Images
        without a session are never closed by the model.
    """

    def __init__(
        self,
        classes: Optional[Iterable[str]] = None,
        *,
        session=None,
        history_steps: int = HISTORY_STEPS,
        history_bytes: int = HISTORY_BYTES,
        keep_images: int = 8,
    ):
        self.session = None
        self._lazy: set = set()  # classes the session's file does not hold until used or renamed (the default)
        self._reserved: list = []  # colours of removed classes that Ctrl+Z may bring back: new classes take others
        self._classes: list = []
        self._colours: dict = {}  # class name -> "#rrggbb", kept with the class (in a session, in its category)
        for name in classes or ():
            name = self._check_name(name)
            if name not in self._classes:
                self._append(name)
        self.session = None
        self.history_steps = int(history_steps)
        self.budget = HistoryBudget(history_bytes)
        self.keep_images = max(int(keep_images), 1)
        #: session images whose undo steps went when they were closed (``keep_images`` newer ones opened)
        self.histories_let_go: set = set()
        self._images: OrderedDict[Hashable, _Image] = OrderedDict()  # least recently opened first
        self._class_history = History(self.history_steps, self.budget)  # renames made with no image open
        if session is not None:
            self.use_session(session)
        if not self._classes:
            self._append(DEFAULT_CLASS, save=False)  # in the file once used or renamed

    # -- images --------------------------------------------------------------------------
    def use_session(self, session) -> None:
        """Save to ``session`` from now on. The class list is then the session's: its
        categories in the file's order, each with the colour its category keeps
        (:func:`~interactive_seg.palette.class_colours`), so a folder reopens with the very
        classes and colours it was closed with. The model's own classes that no object has
        (the default ``"object"``) are dropped when the file has classes, kept otherwise
        (and written to the file once renamed or used)."""
        self.session = session
        colours = session.class_colours
        names = list(colours)
        in_use = {name for e in self._images.values() for name in e.objects.classes.values()}
        keep = [name for name in self._classes if name not in colours and (not names or name in in_use)]
        old = self._colours
        self._classes, self._colours, self._lazy = names, dict(colours), set()
        for name in keep:
            self._append(name, old.get(name), save=False)  # in the file once used, renamed or followed by a new class

    def open(
        self, key: Hashable, shape=None, *, file_name: Optional[str] = None, labels=None, classes: Optional[dict] = None
    ) -> ObjectSet:
        """The objects of image ``key``, opened now if needed (its history survives reopening).

        A key that is an image of the session loads that image's saved objects (``shape``
        is the image's ``(H, W)``); other images start empty, or from ``labels`` and
        ``classes``. ``file_name`` names the image in exports (a session image's is its key).
        """
        entry = self._images.get(key)
        if entry is not None and (shape is None or entry.objects.shape == tuple(shape[:2])):
            self._images.move_to_end(key)
            if file_name is not None and not entry.in_session:
                entry.file_name = file_name
            return entry.objects
        if shape is None:
            raise InputError(f"The image {key!r} is not open; open it with its shape first.")
        history = History(self.history_steps, self.budget)
        in_session = self.session is not None and key in self.session.images
        if in_session:
            covered = {}
            labels, classes = self.session.labels(key, shape, hidden=covered)
            objects = ObjectSet(shape, labels, classes, new_id=self.session.new_id, history=history, copy=False)
            buried = {k: classes[k] for k in covered if k not in objects and k in classes}
            entry = _Image(objects, str(key), True, set(objects.ids) | set(buried), hidden=covered, buried=buried)
            entry.loose = hidden.loose_parts(covered, labels)
        else:
            objects = ObjectSet(shape, labels, classes, history=history)
            entry = _Image(objects, file_name, False, set())
        for name in [*objects.classes.values(), *entry.buried.values()]:
            if name not in self._classes:
                from ..palette import next_colour

                self._classes.append(name)  # a session's category, or an image's own
                known = self.session.class_colours.get(name) if in_session else None
                self._colours[name] = known or self._colours.get(name) or next_colour(self._colours.values())
        if key in self._images:
            self._images[key].objects.history.clear()
        self._images[key] = entry
        self._images.move_to_end(key)
        self._close_old(keep=key)
        return objects

    def objects(self, key: Hashable) -> ObjectSet:
        """The objects of an open image."""
        return self._entry(key).objects

    def __contains__(self, key) -> bool:
        return key in self._images

    @property
    def images(self) -> list:
        """Keys of the open images, least recently opened first."""
        return list(self._images)

    def file_name(self, key: Hashable) -> Optional[str]:
        return self._entry(key).file_name

    def count(self, key: Hashable) -> int:
        """How many objects image ``key`` has (open or only saved in the session)."""
        if key in self._images:  # (with the session's objects wholly under others, not shown)
            entry = self._images[key]
            return len(entry.objects) + sum(k in entry.saved and k not in entry.objects for k in entry.buried)
        if self.session is not None and key in self.session.images:
            return self.session.count(key)
        return 0

    def close(self, key: Hashable) -> None:
        """Forget an image (its history too); a session image's objects stay saved."""
        entry = self._images.pop(key, None)
        if entry is not None:
            entry.objects.history.clear()

    def _close_old(self, keep: Hashable) -> None:
        session_images = [k for k, e in self._images.items() if e.in_session and k != keep]
        for key in session_images[: max(len(session_images) - (self.keep_images - 1), 0)]:
            if self._images[key].objects.history.can_undo:
                self.histories_let_go.add(key)  # (an undo there later says why it finds nothing)
            self.close(key)

    # -- objects -------------------------------------------------------------------------
    def accept(
        self, key: Hashable, mask, category: Optional[str] = None, *, offset=None, provenance: Optional[dict] = None
    ) -> Change:
        """Add an object of ``category`` (default the first class; a new name joins the list).

        ``mask`` is the image's size, or a crop whose top-left pixel is at ``offset``
        (x0, y0). ``provenance`` is how it was made
        (:func:`~interactive_seg.provenance.make_record`): saved with it, and back with it
        when its deletion is undone. The Change's ``object_id`` is the new object's id.
        """
        category = self._category(category)
        objects = self.objects(key)
        top = self._top(objects)
        objects.add(mask, category, offset=offset)
        self._note(key, objects, top, provenance)
        return self._done(key, objects.last_change)

    def replace(
        self,
        key: Hashable,
        object_id: int,
        mask=None,
        category: Optional[str] = None,
        *,
        offset=None,
        provenance: Optional[dict] = None,
    ) -> Change:
        """Give an object a new mask (full size, or a crop at ``offset``) and/or class.

        ``provenance``: how the new mask was made (its ``previous=`` is the object's old
        record, :meth:`provenance`); None keeps the record the object has.
        """
        category = None if category is None else self._category(category)
        objects = self.objects(key)
        top = self._top(objects)
        entry = self._entry(key)
        rank = self._file_order(entry, key)
        under = hidden.under(entry, object_id, rank)
        objects.replace(object_id, mask, category, offset=offset, under=under, buried=entry.buried)
        self._note(key, objects, top, provenance)
        hidden.mark_revealed(objects, top, under)
        step = objects.history.undo_steps[-1] if objects.history.can_undo else None
        if entry.hidden and entry.in_session and step is not None and step is not top and mask is not None:
            step.also = hidden.also_saved(entry, object_id, rank)
        return self._done(key, objects.last_change)

    def delete(self, key: Hashable, object_id: int) -> Change:
        objects = self.objects(key)
        entry = self._entry(key)
        if object_id not in entry.provenance and object_id in entry.saved:
            entry.provenance[object_id] = self.provenance(key, object_id) or {}  # back with it on undo
        top = self._top(objects)
        under = hidden.under(entry, object_id, self._file_order(entry, key))
        objects.remove(object_id, under=under, buried=entry.buried)
        hidden.mark_revealed(objects, top, under)
        return self._done(key, objects.last_change)

    def _top(self, objects: ObjectSet):
        history = objects.history
        return history._undo[-1] if history.can_undo else None

    def _note(self, key, objects: ObjectSet, top, provenance: Optional[dict]) -> None:
        """Keep ``provenance`` for the object of the step just pushed (and the record it had,
        for undo), when a step was pushed."""
        history = objects.history
        step = history._undo[-1] if history.can_undo else None
        if step is None or step is top:
            return
        entry = self._entry(key)
        subject = objects.last_change.object_id
        if subject is None:
            return
        before = entry.provenance.get(subject)
        if before is None and subject in entry.saved:
            before = self.session.provenance(subject) or {}
        if provenance is None:
            if objects.last_change.action == "accept":
                provenance = {}
            else:
                return  # the object keeps its record
        step.provenance = (subject, before if before is not None else {}, dict(provenance))
        entry.provenance[subject] = dict(provenance)

    def _step_provenance(self, key, step, forward: bool) -> None:
        marks = getattr(step, "provenance", None)
        if marks is not None:
            subject, before, after = marks
            self._entry(key).provenance[subject] = after if forward else before

    def undo(self, key: Optional[Hashable]) -> Optional[Change]:
        """Undo image ``key``'s last step (an object change or a class rename); None when there is none."""
        history = self._class_history if key is None else self.objects(key).history
        step = history._undo[-1] if history.can_undo else None
        change = history.undo()
        if change is not None and key is not None:
            self._step_provenance(key, step, forward=False)
            self._list_classes_of(key)
        return None if change is None else self._done(key, change)

    def redo(self, key: Optional[Hashable]) -> Optional[Change]:
        history = self._class_history if key is None else self.objects(key).history
        step = history._redo[-1] if history.can_redo else None
        change = history.redo()
        if change is not None and key is not None:
            self._step_provenance(key, step, forward=True)
            self._list_classes_of(key)
        return None if change is None else self._done(key, change)

    def _file_order(self, entry: _Image, key) -> dict:
        """Object id -> place in the file of a session image with objects under others (else empty)."""
        return self.session.file_order(key) if entry.in_session and entry.hidden else {}

    def _list_classes_of(self, key) -> None:
        """A class an undo or redo gave back to an object, removed from the list since, is in the list again."""
        for name in dict.fromkeys(self.objects(key).classes.values()):
            if name not in self._classes:
                try:
                    self._bring_back(name)  # (with its colour and category, where its removal kept them)
                except InputError:
                    self._append(name, save=False)  # (the object's save says why it cannot be saved)

    def history(self, key: Optional[Hashable]) -> History:
        """Image ``key``'s undo history (``can_undo``, ``undo_text``...)."""
        return self._class_history if key is None else self.objects(key).history

    def _done(self, key, change: Change) -> Change:
        change = dataclasses.replace(change, image=key)
        if key is not None and not change.classes_changed:
            try:
                self._save(key, change)
            except InputError as exc:
                raise SaveError(f"{exc} The change was taken back here too.", self._take_back(key, change)) from exc
        return change

    def _take_back(self, key, change: Change) -> Change:
        """Put the image's objects back as they were before ``change`` (one the session refused)."""
        history = self.objects(key).history
        if change.how == "undone":
            step = history._redo[-1] if history.can_redo else None
            back = history.redo()
            self._step_provenance(key, step, forward=True)
        else:
            step = history._undo[-1] if history.can_undo else None
            back = history.undo()
            self._step_provenance(key, step, forward=False)
            if change.how == "done":
                history.forget_redo()  # the refused step is not something to redo
        if back is None:
            return change
        return dataclasses.replace(
            back, image=key, how="not saved", text="Not saved, so nothing changed (the message says why)."
        )

    # -- saving --------------------------------------------------------------------------
    def _save(self, key, change: Change) -> None:
        """Save the objects ``change`` touched, as one session change: all of them or none."""
        entry = self._entry(key)
        objects, session = entry.objects, self.session
        step = _step_of(objects.history, change)
        ids = set(change.ids) | getattr(step, "also", set())  # (objects whose hidden pixels an edit took)
        if not entry.in_session or not ids:
            return
        rank = self._file_order(entry, key)
        saved, removed, before, still = set(entry.saved), {}, {}, {}
        kept = getattr(step, "records", {})  # object id -> its record before the step's new mask
        revealed = getattr(step, "revealed", ())  # objects shown where the step freed pixels: their records hold those
        try:
            with session.transaction():
                for object_id in sorted(ids):
                    if object_id in revealed and object_id in saved:
                        continue
                    if object_id not in objects and object_id in entry.buried:  # wholly under others: its record
                        category = entry.buried[object_id]
                        if change.how == "undone" and object_id in kept:
                            if object_id in saved:
                                session.restore(object_id, kept[object_id][0], category)
                            else:  # (an edit had taken every pixel it had)
                                session.put_back(object_id, entry.removed[object_id], category)
                                saved.add(object_id)
                            still[object_id] = kept[object_id][1]
                        elif object_id in saved and step is not None:
                            if object_id not in kept:
                                before[object_id] = (session.record_state(object_id), entry.hidden.get(object_id))
                            part = hidden.covered(entry, object_id, rank)
                            if part is None:
                                removed[object_id] = session.removed_record(object_id)
                                session.remove(object_id)
                                saved.discard(object_id)
                            else:
                                session.replace(object_id, mask=part[0], offset=part[1])
                                still[object_id] = part
                        continue
                    if object_id in objects:
                        category = objects.classes[object_id]
                        record = entry.provenance.get(object_id)
                        if object_id not in saved and object_id in entry.removed:  # its id, keys and pixels
                            session.put_back(object_id, entry.removed[object_id], category)
                            saved.add(object_id)
                        elif object_id not in saved:
                            crop, offset = hidden.with_hidden(entry, object_id, rank)
                            session.add(
                                key,
                                crop,
                                category,
                                object_id=object_id,
                                offset=offset,
                                shape=objects.shape,
                                provenance=record or None,
                            )
                            saved.add(object_id)
                        elif change.how == "undone" and object_id in kept:  # as it was, encoding and text too
                            session.restore(object_id, kept[object_id][0], category)
                            still[object_id] = kept[object_id][1]
                        else:
                            if step is not None and object_id not in kept:
                                before[object_id] = (session.record_state(object_id), entry.hidden.get(object_id))
                            if change.bbox is None:  # the class only
                                session.replace(object_id, category=category)
                                continue
                            crop, offset = hidden.with_hidden(entry, object_id, rank)
                            session.replace(object_id, mask=crop, category=category, offset=offset, provenance=record)
                            still[object_id] = hidden.covered(entry, object_id, rank)
                    elif object_id in saved:
                        removed[object_id] = session.removed_record(object_id)
                        session.remove(object_id)
                        saved.discard(object_id)
        except (InputError, OSError) as exc:
            raise InputError(f"Could not save the annotations: {exc}") from exc
        entry.saved = saved
        if before:
            step.records = {**kept, **before}
        for object_id, under in still.items():  # the pixels its record holds that other objects cover
            if under is None:
                entry.hidden.pop(object_id, None)
            else:
                entry.hidden[object_id] = under
        for object_id in ids:  # a record put back is the session's again; one removed waits for an undo
            entry.removed.pop(object_id, None)
        entry.removed.update(removed)

    # -- export --------------------------------------------------------------------------
    def _session_stem(self, key: str) -> str:
        """The stem the folder's export (``batch export``) gives session image ``key``: its
        path, parted from the other annotated images' (:func:`~interactive_seg.export.image_stems`)."""
        from ..export.naming import image_stems

        doc, session = self.session.document, self.session
        classes = {}
        for name in session.images:  # (from the records' index: nothing parsed, a 500k-object file too)
            metas = [doc.meta(a) for i in session.image_ids(name) for a in doc.annotation_ids(i)]
            names = [doc.category_name(category) for _, category, has_mask in metas if has_mask]
            if names or name == key:
                classes[name] = names
        return image_stems(classes, classes)[key]

    def export(
        self,
        key: Hashable,
        image,
        folder,
        *,
        file_name: Optional[str] = None,
        coco=None,
        polygons: bool = False,
        suffix: str = ".png",
        progress=None,
        **options,
    ) -> list:
        """Write every object of image ``key`` as a cutout ``<stem>_<class>-<n><suffix>`` in
        ``folder`` (created), and into the COCO file ``coco`` when given; returns the paths.
        An image of the folder session goes into ``coco`` as the session's file holds it,
        with its ids, classes and colours (:func:`~interactive_seg.export.dataset.copy_images`);
        ``coco`` is changed as its one writer (a COCO file a session holds is refused).
        The stem is the image's relative path with ``_`` for ``/`` (``sub/a.png`` -> ``sub_a``;
        :mod:`~interactive_seg.export.naming`); a session's image takes the stem the folder's
        export gives it, so images of a folder session never share a file. An image of the
        session exported again into a folder removes its cutouts there that it no longer
        writes (:mod:`~interactive_seg.export.manifest`); no cutout is written over the image.

        ``options`` go to :func:`~interactive_seg.export.cutout` (``background``, ``crop``,
        ``padding``, ``feather``, ``color``, ``blur_sigma``). ``file_name`` names the image
        (default: the one it was opened with). ``progress(n)`` is called with the number of
        files written so far after each one.

        A cropped cutout of a uint8 or uint16 image is made in bands of rows, each from the
        window of the image it needs (with the margin its feather and blur reach), never
        from image-sized arrays: the files are the same, the memory is a band's.
        """
        from ..coco.locate import name_parts
        from ..export.cutouts import check_format
        from ..export.dataset import add_objects, copy_images, export_objects
        from ..export.manifest import Cutouts, refuse_over_images
        from ..export.naming import image_stem, object_names
        from ..files import check_output_file, ensure_folder
        from ..labels import LabelObject

        objects = self.objects(key)
        if not len(objects):
            raise InputError("There are no objects to export yet: accept one first.")
        file_name = file_name or self._entry(key).file_name
        if not file_name:
            raise InputError("Name the image for the exported files: pass file_name='photo.png'.")
        image = np.asarray(image)
        if image.shape[:2] != objects.shape:
            raise InputError(
                f"The image is {image.shape[1]} x {image.shape[0]} but its objects are {objects.shape[1]} x {objects.shape[0]}."
            )
        check_format(options.get("background", "black"), suffix)
        if coco:
            if self.session is not None and Path(coco).resolve() == self.session.path.resolve():
                raise InputError(
                    f"{str(coco)!r} is this folder's own COCO file: its objects are saved there already; "
                    "give another COCO file."
                )
            if Path(folder).exists() or Path(coco).parent.resolve() != Path(folder).resolve():  # (else made below)
                check_output_file(coco, "The COCO file")
        items = [LabelObject(i, objects.classes[i], *objects.crop(i), objects.shape) for i in objects.ids]
        source = self.session.image_path(key) if self._entry(key).in_session else None
        # a session's image is named as the folder's export names it (two images never share a name)
        stem = self._session_stem(key) if source is not None else image_stem(file_name)
        targets = [Path(folder) / n for n in object_names(stem, [i.category for i in items], suffix)]
        refuse_over_images(targets, (self.session.image_path(n) for n in self.session.images) if source else ())
        cutouts = Cutouts(folder)  # (said before the writing: a killed export leaves nothing unknown)
        cutouts.refuse_foreign(targets)
        try:
            folder = ensure_folder(folder)
            source = source if source is not None else Path(file_name or stem)  # (an image of no session: by name)
            cutouts.planned(source, targets)
            cutouts.save()
            written = export_objects(image, items, folder, stem, suffix=suffix, progress=progress, **options)
            cutouts.covered(source, written)  # its cutouts from an earlier export that are not written now go
        finally:
            cutouts.save(final=True)  # (also after a failed write: what it wrote is recorded, the folder let go)
        if coco:
            from .writers import edit_document

            height, width = objects.shape
            # as the COCO file's one writer (a folder another window holds is refused; atomic)
            with edit_document(Path(coco), where=repr(str(coco))) as doc:
                if self.session is not None and key in self.session.images:
                    # as the session's file holds it: its ids, classes and colours (its objects are these)
                    copy_images(doc, self.session.document, self.session.image_ids(key), where=str(coco))
                else:  # the image by its relative path, as a folder session names it
                    add_objects(
                        doc,
                        "/".join(name_parts(file_name)),
                        width,
                        height,
                        items,
                        self._classes,
                        polygons=polygons,
                        where=str(coco),
                    )
            written.append(Path(coco))
            if progress is not None:
                progress(len(written))
        return written

    # -- pieces --------------------------------------------------------------------------
    def _entry(self, key) -> _Image:
        try:
            return self._images[key]
        except (KeyError, TypeError):
            raise InputError(f"The image {key!r} is not open; open it first.") from None


def _step_of(history, change: Change):
    """The history step ``change`` did, redid or undid (None for a change of no step)."""
    steps = history.redo_steps if change.how == "undone" else history.undo_steps
    return steps[-1] if steps and change.how in ("done", "redone", "undone") else None
