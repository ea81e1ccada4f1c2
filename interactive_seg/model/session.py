"""A folder of images and their objects, kept in one COCO file that never loses an accepted object.

Opening lists the folder's images by relative path (:func:`~interactive_seg.files.list_images`),
decoding none. Every ``add``, ``replace``, ``remove`` and class change touches only its
records of the :class:`~interactive_seg.coco.CocoDocument` and is durable when it returns
(a journal record, :mod:`interactive_seg.model.store`); the file is rewritten atomically now and then and on
:meth:`Session.close`, all else in it as it was read. One session writes a folder at a time (:mod:`.lock`).
"""

from __future__ import annotations

import copy
import os
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

import numpy as np

from ..coco.document import CocoDocument
from ..coco.locate import size_finder
from ..errors import InputError
from ..files import IMAGE_SUFFIXES, image_size, list_images, listing_order, read_image, uninterrupted
from ..labels import labels_into_document, objects_to_labels
from ..palette import COLOUR_KEY, class_colours, is_hex
from ..provenance import KEY, record_of, review_state, set_review
from . import settings as _settings
from . import transaction, writers
from .ids import MAX_ID as _MAX_ID
from .ids import ObjectIds
from .names import ImageRecords, add_named_images
from .removals import Removals
from .store import DEFAULT_COMPACT_EVERY, DEFAULT_COMPACT_SECONDS, Store

__all__ = ["Session", "SessionObject", "DEFAULT_ANNOTATIONS", "IMAGE_SUFFIXES"]

DEFAULT_ANNOTATIONS = "annotations.coco.json"


def _record(provenance) -> dict:
    if not isinstance(provenance, dict):
        raise InputError(
            f"A provenance record is a dict (see interactive_seg.provenance.make_record); got {type(provenance).__name__}."
        )
    return copy.deepcopy(provenance)


@dataclass
class SessionObject:
    """One saved object: its id in the session, its class, its COCO annotation id, its mask (decoded on demand).

    ``id`` is the annotation id itself when that is a whole number from 1 to 2**31 - 1
    (what this package writes); other ids (0, strings, very large numbers) get a session
    id of their own, and ``annotation_id`` is the id in the file.
    """

    id: int
    category: str
    annotation_id: object = None
    _session: Session = field(default=None, repr=False, compare=False)

    @property
    def mask(self) -> np.ndarray:
        return self._session.mask(self.id)


class Session(Removals):
    """Images of a folder and their objects, kept in a COCO file; every change is durable when it returns.

    Use :meth:`open`. Object ids are unique across the folder and never reused, so they
    stay valid when the file is reopened. Objects are the annotations with a mask;
    box-only annotations (no segmentation, as detection files have) are kept in the file
    untouched and not listed.

    One session writes a folder at a time: it holds the folder's lock until
    :meth:`close` (or the end of a ``with`` block, or of the program). Another session
    of the same folder is read-only (:attr:`read_only_reason` says why). Each change is
    appended to a journal beside the COCO file before the call returns, and folded into
    the COCO file now and then (see :meth:`open`); a change that cannot be saved changes
    nothing and raises :class:`InputError`.

    Examples
    --------
    >>> import tempfile, numpy as np, cv2, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "a.png"), np.zeros((4, 5, 3), np.uint8))
    >>> mask = np.zeros((4, 5), bool); mask[1:3, 1:3] = True
    >>> with Session.open(folder) as session:
    ...     object_id = session.add("a.png", mask, "cat")
    >>> [(o.id, o.category, int(o.mask.sum())) for o in Session.open(folder).objects("a.png")]
    [(1, 'cat', 4)]
    """

    def __init__(self, folder: Path, path: Path, images: list, unreadable: list, store: Store):
        self.folder = folder
        self.path = path
        self.images = images
        self.unreadable = unreadable
        self._store = store
        self._doc = document = store.doc
        self._txn: Optional[transaction.Transaction] = None
        self._records = ImageRecords(document, folder, images)  # image name -> ids of its records
        self._ids = ObjectIds(document)  # object id <-> annotation id, stored where they differ
        self._text_ids = self._ids.text_ids  # new annotations get ids as text where the file's are all text
        # (in this process only: a forked child that ends must not fold and remove the journal)
        self._finalizer = weakref.finalize(self, Store.close_quietly, store, os.getpid())

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        folder,
        annotations=None,
        *,
        recursive: bool = True,
        include=None,
        exclude=None,
        mode: str = "auto",
        discard_journal: bool = False,
        compact_every: int = DEFAULT_COMPACT_EVERY,
        compact_seconds: float = DEFAULT_COMPACT_SECONDS,
        wait: Optional[float] = None,
    ) -> Session:
        """Open a folder of images; ``annotations`` defaults to ``<folder>/annotations.coco.json``.

        The folder's images are listed with :func:`~interactive_seg.files.list_images`
        (``recursive``, ``include``, ``exclude``): by relative POSIX path, subfolders too,
        hidden ones skipped (``recursive=False``: its top level alone). Images the COCO
        file names by a path below the folder that the listing skips (in a hidden folder)
        are listed too, unless ``recursive=False`` or a pattern leaves them out.
        An existing COCO file is read (and checked), never changed on opening; a file
        with problems is an :class:`InputError` that names them, and is left untouched.
        Changes a crashed session kept in the journal (``.<file name>.journal``) are
        applied; a journal made over another version of the file is not (an
        :class:`InputError` says what to do; ``discard_journal=True`` sets it aside).

        ``mode``: ``"auto"`` writes when no other session writes the folder and opens
        read-only (with a warning) when one does; ``"write"`` refuses then; ``"read"``
        never writes. Changes are folded into the COCO file after ``compact_every``
        changes, or with the first change ``compact_seconds`` after an unsaved one, and
        on :meth:`save` and :meth:`close`. ``wait``: seconds to wait for the folder's lock
        (default :data:`~interactive_seg.model.writers.SESSION_WAIT`).
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{str(folder)!r} is not a folder; give the folder that holds the images.")
        path = Path(annotations) if annotations is not None else folder / DEFAULT_ANNOTATIONS
        images, unreadable = list_images(folder, recursive=recursive, include=include, exclude=exclude)
        store = Store.open(
            path,
            mode=mode,
            discard_journal=discard_journal,
            compact_every=compact_every,
            compact_seconds=compact_seconds,
            where=f"{path.name!r} in {str(path.parent)!r}",
            image_size=size_finder(folder),
            wait=writers.SESSION_WAIT if wait is None else wait,
        )
        if recursive:
            add_named_images(folder, store.doc, images, unreadable, include, exclude)
        images.sort(key=listing_order)
        unreadable.sort(key=listing_order)
        return cls(folder, path, images, unreadable, store)

    def close(self) -> None:
        """Fold the changes into the COCO file and let the folder go (another session may then write it).

        Closing twice is harmless. When the file cannot be written the changes stay in
        the journal (applied when the folder is next opened) and :class:`InputError` says why.
        """
        self._finalizer.detach()
        self._store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        """True when this session cannot save (another session writes the folder, or ``mode="read"``)."""
        return self._store.read_only

    @property
    def read_only_reason(self) -> Optional[str]:
        """Why this session is read-only, as a sentence to show; None when it writes."""
        return self._store.read_only_reason

    @property
    def unsaved(self) -> int:
        """Changes kept in the journal and not yet folded into the COCO file."""
        return self._store.unsaved

    # -- reading -------------------------------------------------------------------------
    @property
    def document(self) -> CocoDocument:
        """The COCO document behind the session (change it through the session's methods)."""
        return self._doc

    @property
    def categories(self) -> dict:
        """Class name -> category id."""
        out = {}
        for category in self._doc.categories:
            out.setdefault(str(category["name"]), category["id"])
        return out

    def image_path(self, name: str) -> Path:
        return self.folder.joinpath(*PurePosixPath(name).parts)

    def read(self, name: str) -> np.ndarray:
        """Read one image of the folder (an unreadable one is moved to ``unreadable``)."""
        if name not in self.images:
            raise InputError(f"{name!r} is not an image of {str(self.folder)!r}; pick one of session.images.")
        try:  # as the COCO file's records size it (upright, or as stored when the file's tool ignored EXIF)
            size, records = self._records.size(name), self._records
            return read_image(self.image_path(name), expect=size, coco=self.path, as_stored=records.as_stored)
        except InputError:
            self.images.remove(name)
            self.unreadable.append(name)
            raise

    def image_ids(self, name: str) -> list:
        """Ids of the image records of ``name`` in :attr:`document` (:class:`~interactive_seg.model.names.ImageRecords`)."""
        return self._records.ids(name)

    def objects(self, name: str) -> list:
        """The objects of one image (annotations with a mask), in file order."""
        doc, out = self._doc, []
        for ann_id in (a for i in self.image_ids(name) for a in doc.annotation_ids(i)):
            object_id = self._ids.object_of(ann_id)
            if object_id is not None:
                out.append(SessionObject(object_id, doc.category_name(doc.meta(ann_id)[1]), ann_id, self))
        return out

    def file_order(self, name: str) -> dict:
        """Object id -> its place among image ``name``'s objects in the file (later ones are drawn over earlier ones)."""
        return {o.id: n for n, o in enumerate(self.objects(name))}

    def count(self, name: str) -> int:
        """How many objects an image has (kept per image: no scan)."""
        return sum(self._doc.count(i) - self._ids.boxes_only.get(i, 0) for i in self.image_ids(name))

    def mask(self, object_id: int) -> np.ndarray:
        """One object's mask at its image's size; :class:`InputError` naming the annotation when it cannot be decoded."""
        return self._doc.mask(self._annotation_id(object_id))

    def labels(self, name: str, shape, hidden=None) -> tuple:
        """(label image with object ids as values, {id: class}) of one image (``hidden``: :func:`objects_to_labels`)."""
        return objects_to_labels(shape, self.objects(name), hidden=hidden)

    def new_id(self) -> int:
        """Reserve an object id (for editors that number objects before saving them)."""
        return self._ids.take()

    # -- changing ------------------------------------------------------------------------
    @contextmanager
    def transaction(self):
        """Group changes into one: saved together as one journal record, or (on any error) none of them.

        Changes made inside are applied at once in memory; when the block raises, or the
        record cannot be written, every one of them is undone and the error goes on."""
        if self._txn is not None:  # joins the outer one
            yield self._txn
            return
        self._store.check_writable()
        with uninterrupted():  # Ctrl+C (SIGTERM, SIGHUP) waits for the change: never half of one in memory
            txn = transaction.Transaction(self._store)
            next_id, self._txn = self._ids.next, txn
            try:
                try:
                    yield txn
                except BaseException:
                    txn.rollback()
                    raise
                self._store.commit(txn)  # rolls back itself when it fails
            except BaseException:
                self._ids.next = next_id
                self._records.forget()
                raise
            finally:
                self._txn = None

    def add(
        self,
        name: str,
        mask,
        category: str,
        object_id: Optional[int] = None,
        offset=None,
        *,
        shape=None,
        provenance: Optional[dict] = None,
    ) -> int:
        """Add an object to image ``name`` and save; returns its id.

        ``provenance`` is the object's record (:func:`interactive_seg.provenance.make_record`):
        it goes on the annotation under :data:`interactive_seg.provenance.KEY`.

        ``mask`` is a bool mask of the image's size, or with ``offset`` (x0, y0) the crop
        of the image that holds the object (so that a small object of a huge image never
        needs a full-size array). ``shape`` (H, W) is the image's size; with a crop, for an
        image that has no objects yet, it is otherwise read from the file's header (PNG,
        JPEG) or, for other formats, from the image.
        """
        self._store.check_writable()
        mask = self._check_mask(mask)
        if object_id is not None:
            object_id = self._ids.check_new(object_id)
        with self.transaction() as txn:
            image_id = self._image_for(name, mask.shape if offset is None else shape)
            if object_id is None:  # taken once the annotation is made (a bad mask or record is said first)
                object_id = self._ids.peek()
            ann_id = self._new_annotation_id(object_id)
            if ann_id is None:
                ann_id = self._doc.new_annotation_id()
            txn.touch("annotation", ann_id)
            extra = {} if provenance is None else {KEY: _record(provenance)}
            ann = self._doc.add_annotation(image_id, mask, str(category), id=ann_id, offset=offset, **extra)
            self._ids.used(object_id)
            self._link(object_id, ann["id"])
            self._store_counter()
        return object_id

    def replace(
        self,
        object_id: int,
        mask=None,
        category: Optional[str] = None,
        offset=None,
        *,
        provenance: Optional[dict] = None,
    ) -> None:
        """Give an object a new mask (full size, or a crop at ``offset``) and/or class, and save.

        Every other key of its annotation stays; a new mask keeps the encoding it had
        (polygons stay polygons where they are faithful). ``provenance``: the record of
        how the new mask was made, put under :data:`interactive_seg.provenance.KEY`
        (None keeps the one there; an empty dict removes it).
        """
        self._store.check_writable()
        ann_id = self._annotation_id(object_id)
        if mask is not None:
            mask = self._check_mask(mask)
        with self.transaction() as txn:
            txn.touch("annotation", ann_id)
            self._doc.update_annotation(
                ann_id, mask=mask, category=None if category is None else str(category), offset=offset
            )
            if provenance is not None:
                ann = self._doc.annotation(ann_id)
                if provenance:
                    ann[KEY] = _record(provenance)
                else:
                    ann.pop(KEY, None)

    def provenance(self, object_id: int) -> Optional[dict]:
        """The object's provenance record (a copy), or None when its annotation has none."""
        record = record_of(self._doc.annotation(self._annotation_id(object_id)))
        return None if record is None else copy.deepcopy(record)

    def review_state(self, object_id: int) -> str:
        """``unreviewed``, ``accepted`` or ``rejected``: what a reviewer said about the object."""
        return review_state(self._doc.annotation(self._annotation_id(object_id)))

    def set_review(self, object_id: int, state: str, by: Optional[str] = None) -> None:
        """Mark an object ``accepted``, ``rejected`` or ``unreviewed`` (with who, and now as when) and save.

        The review goes in the object's provenance record (one is made holding the review
        alone for an annotation that has none); every other key stays.
        """
        self._change_annotation(object_id, lambda ann: set_review(_own_record(ann), state, by=by))

    def restore_provenance(self, object_id: int, record: Optional[dict]) -> None:
        """Give an object back a whole provenance record (None: none), and save (an undone verdict)."""
        self._change_annotation(object_id, lambda ann: _own_record(ann, record))

    def _change_annotation(self, object_id: int, change) -> None:
        self._store.check_writable()
        ann_id = self._annotation_id(object_id)
        with self.transaction() as txn:
            txn.touch("annotation", ann_id)
            change(self._doc.annotation(ann_id))

    def remove(self, object_id: int) -> None:
        """Delete an object and save."""
        self._store.check_writable()
        ann_id = self._annotation_id(object_id)
        with self.transaction() as txn:
            txn.touch("annotation", ann_id)
            self._doc.remove_annotation(ann_id)
            self._unlink(object_id, ann_id)
            self._store_counter()

    @property
    def class_colours(self) -> dict:
        """Class name -> ``"#rrggbb"``: the colour its category keeps (:data:`~interactive_seg.palette.COLOUR_KEY`),
        or the palette's colour of its place among the file's categories."""
        return class_colours(self._doc.categories)

    def add_class(self, name: str, colour: Optional[str] = None, *, record: Optional[dict] = None, place=None) -> None:
        """Add a class (a category holding ``colour``, or ``record`` from :meth:`remove_class` under its id
        where free, at ``place`` in the categories) and save; a class that is there already keeps its record."""
        self._store.check_writable()
        name = str(name)
        if self._doc.category_id(name) is not None:
            return
        if colour is not None and not is_hex(colour):
            raise InputError(f"A class colour is written '#rrggbb'; got {colour!r}.")
        with self.transaction() as txn:
            if record is not None and record["id"] not in self.categories.values():
                txn.touch("category", record["id"])
                self._doc.put_category(dict(record, name=name), place=place)
            else:
                self._doc.add_category(name, place=place, **({} if colour is None else {COLOUR_KEY: colour}))

    def remove_class(self, name: str) -> Optional[dict]:
        """Remove a class no annotation has, and save (a class still in use is an InputError); its record."""
        self._store.check_writable()
        category_id = self._doc.category_id(name)
        if category_id is None:
            return None
        if any(self._doc.meta(a)[1] == category_id for a in self._doc.annotation_ids()):
            raise InputError(
                f"Annotations still have the class {name!r}; give them another class or delete them first."
            )
        with self.transaction() as txn:
            txn.touch("category", category_id)
            return self._doc.remove_category(category_id, give_back=False)  # its id for an undo, not a new class

    def rename_class(self, old: str, new: str, *, as_spelt: bool = False) -> None:
        """Rename a class everywhere (its category id stays) and save (``as_spelt``: see ``CocoDocument.rename_category``)."""
        self._store.check_writable()
        with self.transaction() as txn:
            for category_id in self._doc.category_ids(old):  # (two categories named alike are one class)
                txn.touch("category", category_id)
            self._doc.rename_category(old, new, as_spelt=as_spelt)

    def sync(self, name: str, labels: np.ndarray, classes: dict, changed=None) -> None:
        """Make image ``name``'s objects those of an instance label image (values = object ids).

        ``changed`` names the ids whose pixels or class may differ (all when None); an
        object whose pixels and class are in fact the same is left as it is in the file.
        With ``changed`` None, an object that differs only where other objects cover it
        (overlapping objects of another tool: a label image shows one per pixel) is the
        same too. One change: all saved, or none.
        """
        self._store.check_writable()
        labels = np.asarray(labels)
        if labels.ndim != 2:
            raise InputError(f"The label image must be 2-D (H, W); got shape {labels.shape}.")
        current = {o.id: o.annotation_id for o in self.objects(name)}
        wanted = {int(k) for k in classes}
        bad = [i for i in wanted - set(current) if self._ids.has_object(i) or not 1 <= i <= _MAX_ID]
        if bad:
            raise InputError(
                f"Object id {bad[0]} belongs to another image or is out of range; take new ids from session.new_id()."
            )
        if not current and not wanted:
            return
        with self.transaction() as txn:
            image_id = self._image_for(name, labels.shape)
            made = ("image", image_id) in txn.before and txn.before[("image", image_id)] is transaction.MISSING
            for ann_id in current.values():
                txn.touch("annotation", ann_id)

            def new_id(object_id):
                ann_id = self._new_annotation_id(object_id)
                if ann_id is None:
                    ann_id = self._doc.new_annotation_id()
                txn.touch("annotation", ann_id)
                return ann_id

            added, removed = labels_into_document(
                self._doc, image_id, labels, classes, current, changed=changed, new_id=new_id
            )
            if made and not added:  # nothing to hold: the file gets no empty record
                self._doc.remove_image(image_id)
                self._records.forget(name)
            object_of = {ann_id: object_id for object_id, ann_id in current.items()}
            for ann_id in removed:
                self._unlink(object_of[ann_id], ann_id)
            for object_id, ann_id in added.items():
                self._link(object_id, ann_id)
                self._ids.used(object_id)
            self._store_counter()

    # -- the tool's own settings for this folder -----------------------------------------
    @property
    def settings_path(self) -> Path:
        """``.<coco name>.settings.json`` beside the COCO file: the tool's own settings for the
        folder (the widget's last export choices), kept out of the user's COCO file."""
        return _settings.settings_path(self.path)

    def settings(self, section: str) -> dict:
        """The settings stored under ``section`` ({} when none, or when the file is unreadable)."""
        return _settings.read_settings(self.settings_path, section)

    def save_settings(self, section: str, values: dict) -> None:
        """Store ``values`` (JSON) under ``section``, written whole (other sections stay)."""
        _settings.save_settings(self.settings_path, section, values)

    def save(self, path=None, *, if_due: bool = False):
        """Fold the changes (safe in the journal already) into the COCO file now, for other
        programs to read it, or with ``path`` write this session's version there; the path.
        ``if_due``: only when a fold is due (a window's idle timer: the file current within
        ``compact_seconds`` of a change, with no next change); then True when it folded."""
        if if_due:
            return self._store.fold_if_due()
        if path is not None and Path(path).resolve() != self.path.resolve():
            return writers.save_document(self._doc, path)  # never over a file another session holds
        if self._store.closed:
            return self.path
        return self._store.compact()

    # -- pieces --------------------------------------------------------------------------
    def _link(self, object_id: int, ann_id) -> None:
        self._ids.link(object_id, ann_id)
        if self._txn is not None:
            self._txn.undo.append(lambda: self._unlink(object_id, ann_id, undoing=True))

    def _unlink(self, object_id: int, ann_id, undoing: bool = False) -> None:
        self._ids.unlink(object_id, ann_id)
        if self._txn is not None and not undoing:
            self._txn.undo.append(lambda: self._link_quietly(object_id, ann_id))

    def _link_quietly(self, object_id: int, ann_id) -> None:
        txn, self._txn = self._txn, None
        try:
            self._link(object_id, ann_id)
        finally:
            self._txn = txn

    def _store_counter(self) -> None:
        self._ids.store_counter(self._doc, self._txn)

    def _annotation_id(self, object_id):
        ann_id = self._ids.annotation_of(object_id)
        if ann_id is None:
            raise InputError(f"There is no object {object_id!r} in this session; use an id from session.objects().")
        return ann_id

    def _new_annotation_id(self, object_id: int):
        """The COCO id for a new object: the object id (as text where the file's ids are text)."""
        ann_id = str(object_id) if self._text_ids else object_id
        if ann_id in self._doc.annotation_index():
            return None  # let the document pick one: the object id then maps to it
        return ann_id

    def _check_mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise InputError(f"A mask must be 2-D (H, W); got shape {mask.shape}.")
        mask = mask.astype(bool, copy=False)
        if not mask.any():
            raise InputError("The object is empty; segment something before saving it.")
        return mask

    def _image_for(self, name: str, shape):
        """The image id for ``name``; a record is made (in the open transaction) for an image of the folder."""
        ids = self.image_ids(name)
        if ids:
            if shape is not None:
                self._check_record_size(name, ids[0], tuple(shape[:2]))
            return ids[0]
        if name not in self.images:
            raise InputError(f"{name!r} is not an image of {str(self.folder)!r}; pick one of session.images.")
        if shape is None:  # a crop of an image that has no record yet: its size from its header, else from the image
            shape = image_size(self.image_path(name)) or self.read(name).shape
        image_id = self._doc.new_image_id()  # (counted on from the largest seen, in O(1))
        self._txn.touch("image", image_id)
        record = self._doc.add_image(name, int(shape[1]), int(shape[0]), id=image_id)
        self._records.remember(name, [record["id"]])
        return record["id"]

    def _check_record_size(self, name: str, image_id, shape: tuple) -> None:
        """An InputError naming the disagreement when the COCO file's size of ``name`` is not
        the image's on disk (the file was made for another version of the photograph): not a
        sentence about the mask, which is of the image's size."""
        recorded = self._doc.image_size(image_id)
        if recorded == shape:
            return
        on_disk = image_size(self.image_path(name)) if name in self.images else None
        if on_disk == shape:
            raise InputError(
                f"The COCO file says {name!r} is {recorded[1]} x {recorded[0]} but the image is {shape[1]} x {shape[0]}: "
                "the file was made for another version of this photograph; put that version back, or correct the "
                "image's width and height in the file, before adding objects to it."
            )


def _own_record(ann: dict, record=False) -> dict:
    """``ann`` with a copy of its provenance record (the journal's "before" keeps the old
    one), or of ``record`` when one is given (None: no record)."""
    record = record_of(ann) if record is False else record
    ann.pop(KEY, None) if record is None else ann.update({KEY: copy.deepcopy(record)})
    return ann
