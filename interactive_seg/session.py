"""A folder of images and their objects, saved as you go in one COCO file.

Opening a folder lists its images, subfolders too, by relative path (``train/c1.png``;
files whose first bytes are not an image format are listed in ``unreadable`` and skipped)
without decoding any of them (:func:`~interactive_seg.files.list_images`).
The COCO file is a :class:`~interactive_seg.coco.CocoDocument`: every ``add``,
``replace``, ``remove`` and class rename changes only the records it is about and writes
the whole file atomically (temporary file + rename), so a crash at any moment leaves the
last saved state, and whatever else the file holds (other images, ``info``, licenses,
extra keys, polygons, string ids) is written back as it was read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

import numpy as np

from .coco.document import CocoDocument
from .coco.segmentation import has_segmentation
from .coco.locate import relative_name, same_image
from .errors import InputError
from .files import IMAGE_SUFFIXES, image_filter, list_images, listing_order, looks_like_image, read_image, image_size
from .labels import labels_into_document, objects_to_labels

__all__ = ["Session", "SessionObject", "DEFAULT_ANNOTATIONS", "IMAGE_SUFFIXES"]

DEFAULT_ANNOTATIONS = "annotations.coco.json"
#: the key in the file's ``info`` that keeps object ids from being reused (written only when needed)
_NEXT_ID = "interactive_seg_next_annotation_id"
_MAX_ID = 2**31 - 1  # object ids are label values of int32 label images


def _natural_id(ann_id) -> Optional[int]:
    """The object id an annotation id gives as it is: a whole number from 1 to 2**31 - 1 (or such digits)."""
    if isinstance(ann_id, str):
        if not ann_id.isdigit() or len(ann_id) > 10 or not ann_id.isascii():
            return None
        ann_id = int(ann_id)
    elif isinstance(ann_id, bool) or not isinstance(ann_id, int):
        return None
    return ann_id if 1 <= ann_id <= _MAX_ID else None


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
    _session: "Session" = field(default=None, repr=False, compare=False)

    @property
    def mask(self) -> np.ndarray:
        return self._session.mask(self.id)


class Session:
    """Images of a folder and their objects, kept in a COCO file saved after every change.

    Use :meth:`open`. Object ids are unique across the folder and never reused, so they
    stay valid when the file is reopened. Objects are the annotations with a mask;
    box-only annotations (no segmentation, as detection files have) are kept in the file
    untouched and not listed.

    Examples
    --------
    >>> import tempfile, numpy as np, cv2, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "a.png"), np.zeros((4, 5, 3), np.uint8))
    >>> session = Session.open(folder)
    >>> mask = np.zeros((4, 5), bool); mask[1:3, 1:3] = True
    >>> object_id = session.add("a.png", mask, "cat")
    >>> [(o.id, o.category, int(o.mask.sum())) for o in Session.open(folder).objects("a.png")]
    [(1, 'cat', 4)]
    """

    def __init__(self, folder: Path, path: Path, images: list, unreadable: list, document: CocoDocument):
        self.folder = folder
        self.path = path
        self.images = images
        self.unreadable = unreadable
        self._doc = document
        self._names: dict = {}  # image name -> ids of its records (memo of find_images)
        self._ann_of: dict = {}  # object id -> annotation id
        self._object_of: dict = {}  # annotation id -> object id
        self._boxes_only: dict = {}  # image id -> annotations without a mask
        odd, largest, texts = [], 0, document.count() > 0
        for ann in document.annotations():
            natural = _natural_id(ann["id"])
            largest = max(largest, natural or 0)
            texts = texts and isinstance(ann["id"], str)
            if not has_segmentation(ann.get("segmentation")):
                self._boxes_only[ann["image_id"]] = self._boxes_only.get(ann["image_id"], 0) + 1
            elif natural is None or natural in self._ann_of:
                odd.append(ann["id"])
            else:
                self._link(natural, ann["id"])
        self._text_ids = texts  # new annotations get ids as text where the file's are all text
        info = document.get("info")
        stored = info.get(_NEXT_ID) if isinstance(info, dict) else None
        stored = stored if isinstance(stored, int) and not isinstance(stored, bool) else 0
        self._next_id = max(largest + 1, min(stored, _MAX_ID))
        # ids the file spells otherwise get object ids from the top down, out of the counter's way
        spare = _MAX_ID
        for ann_id in odd:
            while spare in self._ann_of:
                spare -= 1
            self._link(spare, ann_id)

    def _link(self, object_id: int, ann_id) -> None:
        self._ann_of[object_id] = ann_id
        self._object_of[ann_id] = object_id

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, folder, annotations=None, *, recursive: bool = True, include=None, exclude=None) -> "Session":
        """Open a folder of images; ``annotations`` defaults to ``<folder>/annotations.coco.json``.

        The folder's images are listed with :func:`~interactive_seg.files.list_images`
        (``recursive``, ``include``, ``exclude``): by relative POSIX path, subfolders too,
        hidden ones skipped (``recursive=False``: its top level alone). Images the COCO
        file names by a path below the folder that the listing skips (in a hidden folder)
        are listed too, unless ``recursive=False`` or a pattern leaves them out.
        An existing COCO file is read (and checked), never changed on opening; a file
        with problems is an :class:`InputError` that names them, and is left untouched.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{str(folder)!r} is not a folder; give the folder that holds the images.")
        path = Path(annotations) if annotations is not None else folder / DEFAULT_ANNOTATIONS
        images, unreadable = list_images(folder, recursive=recursive, include=include, exclude=exclude)
        document = CocoDocument.open(path) if path.exists() else CocoDocument(path=path)
        listed, keep = set(images) | set(unreadable), image_filter(include, exclude)
        for record in document.images if recursive else ():
            name = relative_name(record["file_name"])
            if name is None or "/" not in name or name in listed or not keep(name):
                continue
            entry = folder.joinpath(*name.split("/"))
            if entry.suffix.lower() in IMAGE_SUFFIXES and entry.is_file():
                listed.add(name)
                (images if looks_like_image(entry) else unreadable).append(name)
        images.sort(key=listing_order)
        unreadable.sort(key=listing_order)
        return cls(folder, path, images, unreadable, document)

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
        try:  # as the COCO file's record sizes it (upright, or as stored when the file's tool ignored EXIF)
            size = next(((r["height"], r["width"]) for r in map(self._doc.image, self._image_ids(name)) if r.get("height") and r.get("width")), None)
            return read_image(self.image_path(name), expect=size, coco=self.path)
        except InputError:
            self.images.remove(name)
            self.unreadable.append(name)
            raise

    def _image_ids(self, name: str) -> list:
        """Ids of the image records of ``name`` (same path, else the same base name); memoised."""
        ids = self._names.get(name)
        if ids is None:
            try:
                ids = [record["id"] for record in self._doc.find_images(name) if self._is_record_of(name, record["file_name"])]
            except InputError:  # several paths share the base name: none of them is this file
                ids = []
            self._names[name] = ids
        return ids

    def _is_record_of(self, name: str, file_name) -> bool:
        """Whether a record found for image ``name`` is its own: its very path, or (another
        tool's prefix, ``images/a.png``) a path that is no other image of the folder while
        no other image of the folder has this base name (``train/a.png`` is never ``val/a.png``)."""
        path = relative_name(file_name)
        if path == name:
            return True
        key = (len(self.images), len(self.unreadable))
        if getattr(self, "_listed", (None,))[0] != key:  # (memo: the lists change only when an image turns out unreadable)
            listed = set(self.images) | set(self.unreadable)
            self._listed = (key, listed, Counter(n.rsplit("/", 1)[-1] for n in listed))
        _, listed, bases = self._listed
        return same_image(name, file_name) and path not in listed and bases[name.rsplit("/", 1)[-1]] <= 1

    def objects(self, name: str) -> list:
        """The objects of one image (annotations with a mask), in file order."""
        out = []
        for image_id in self._image_ids(name):
            for ann in self._doc.annotations(image_id):
                object_id = self._object_of.get(ann["id"])
                if object_id is not None:
                    out.append(SessionObject(object_id, self._doc.category_name(ann["category_id"]), ann["id"], self))
        return out

    def count(self, name: str) -> int:
        """How many objects an image has (kept per image: no scan)."""
        return sum(self._doc.count(i) - self._boxes_only.get(i, 0) for i in self._image_ids(name))

    def mask(self, object_id: int) -> np.ndarray:
        """One object's mask at its image's size; :class:`InputError` naming the annotation when it cannot be decoded."""
        return self._doc.mask(self._annotation_id(object_id))

    def labels(self, name: str, shape) -> tuple:
        """(label image with object ids as values, {id: class}) of one image."""
        return objects_to_labels(shape, self.objects(name))

    def new_id(self) -> int:
        """Reserve an object id (for editors that number objects before saving them)."""
        while self._next_id in self._ann_of:
            self._next_id += 1
        if self._next_id > _MAX_ID:
            raise InputError("This session has used up its object ids (2**31 - 1); start a new COCO file.")
        object_id = self._next_id
        self._next_id += 1
        return object_id

    # -- changing ------------------------------------------------------------------------
    def add(self, name: str, mask, category: str, object_id: Optional[int] = None, offset=None, *, shape=None) -> int:
        """Add an object to image ``name`` and save; returns its id.

        ``mask`` is a bool mask of the image's size, or with ``offset`` (x0, y0) the crop
        of the image that holds the object (so that a small object of a huge image never
        needs a full-size array). ``shape`` (H, W) is the image's size; with a crop, for an
        image that has no objects yet, it is otherwise read from the file's header (PNG,
        JPEG) or, for other formats, from the image.
        """
        mask = self._check_mask(mask)
        if object_id is not None:
            object_id = self._check_new_id(object_id)
        image_id, made = self._image_for(name, mask.shape if offset is None else shape)
        try:
            ann = self._doc.add_annotation(image_id, mask, str(category), id=self._new_annotation_id(object_id), offset=offset)
        except InputError:
            if made:
                self._doc.remove_image(image_id)
                self._names.pop(name, None)
            raise
        if object_id is None:
            object_id = self.new_id()
        else:
            self._next_id = max(self._next_id, object_id + 1)
        self._link(object_id, ann["id"])
        self.save()
        return object_id

    def replace(self, object_id: int, mask=None, category: Optional[str] = None, offset=None) -> None:
        """Give an object a new mask (full size, or a crop at ``offset``) and/or class, and save.

        Every other key of its annotation stays; a new mask keeps the encoding it had
        (polygons stay polygons where they are faithful).
        """
        ann_id = self._annotation_id(object_id)
        if mask is not None:
            mask = self._check_mask(mask)
        self._doc.update_annotation(ann_id, mask=mask, category=None if category is None else str(category), offset=offset)
        self.save()

    def remove(self, object_id: int) -> None:
        """Delete an object and save."""
        ann_id = self._annotation_id(object_id)
        self._doc.remove_annotation(ann_id)
        del self._ann_of[object_id], self._object_of[ann_id]
        self.save()

    def rename_class(self, old: str, new: str) -> None:
        """Rename a class everywhere (its category id stays) and save."""
        self._doc.rename_category(old, new)
        self.save()

    def sync(self, name: str, labels: np.ndarray, classes: dict, changed=None) -> None:
        """Make image ``name``'s objects those of an instance label image (values = object ids).

        ``changed`` names the ids whose pixels or class may differ (all when None); an
        object whose pixels and class are in fact the same is left as it is in the file.
        With ``changed`` None, an object that differs only where other objects cover it
        (overlapping objects of another tool: a label image shows one per pixel) is the
        same too. One save.
        """
        labels = np.asarray(labels)
        if labels.ndim != 2:
            raise InputError(f"The label image must be 2-D (H, W); got shape {labels.shape}.")
        current = {o.id: o.annotation_id for o in self.objects(name)}
        wanted = {int(k) for k in classes}
        bad = [i for i in wanted - set(current) if i in self._ann_of or not 1 <= i <= _MAX_ID]
        if bad:
            raise InputError(f"Object id {bad[0]} belongs to another image or is out of range; take new ids from session.new_id().")
        if not current and not wanted:
            return
        image_id, made = self._image_for(name, labels.shape)
        try:
            added, removed = labels_into_document(self._doc, image_id, labels, classes, current, changed=changed, new_id=self._new_annotation_id)
        except InputError:
            if made:
                self._doc.remove_image(image_id)
                self._names.pop(name, None)
            raise
        if made and not added:  # nothing to hold: the file gets no empty record
            self._doc.remove_image(image_id)
            self._names.pop(name, None)
        for ann_id in removed:
            del self._ann_of[self._object_of.pop(ann_id)]
        for object_id, ann_id in added.items():
            self._link(object_id, ann_id)
            self._next_id = max(self._next_id, object_id + 1)
        self.save()

    def save(self) -> Path:
        """Write the COCO file atomically (done after every change)."""
        self._store_counter()
        return self._doc.save(self.path)

    # -- pieces --------------------------------------------------------------------------
    def _store_counter(self) -> None:
        """Keep the next object id in ``info`` when ids alone would not say it (after deleting the newest)."""
        info = self._doc.get("info")
        if isinstance(info, dict) and _NEXT_ID in info:
            if info[_NEXT_ID] != self._next_id:
                info[_NEXT_ID] = self._next_id
            return
        largest = max((n for n in (_natural_id(a["id"]) for a in self._doc.annotations()) if n is not None), default=0)
        if self._next_id <= largest + 1:
            return
        if info is None:
            self._doc.set("info", {_NEXT_ID: self._next_id})
        elif isinstance(info, dict):
            info[_NEXT_ID] = self._next_id
        # an 'info' that is not an object is left alone: ids may then be reused after reopening

    def _annotation_id(self, object_id):
        try:
            return self._ann_of[object_id]
        except (KeyError, TypeError):
            raise InputError(f"There is no object {object_id!r} in this session; use an id from session.objects().") from None

    def _check_new_id(self, object_id) -> int:
        if isinstance(object_id, bool) or not isinstance(object_id, (int, np.integer)) or not 1 <= int(object_id) <= _MAX_ID:
            raise InputError(f"An object id is a whole number from 1 to {_MAX_ID}; got {object_id!r}.")
        object_id = int(object_id)
        if object_id in self._ann_of:
            raise InputError(f"There is already an object {object_id}; take a new id from session.new_id().")
        return object_id

    def _new_annotation_id(self, object_id: Optional[int]):
        """The COCO id for a new object: the object id (as text where the file's ids are text)."""
        if object_id is None:
            object_id = self._peek_id()
        ann_id = str(object_id) if self._text_ids else object_id
        if ann_id in self._object_of or self._taken(ann_id):
            return None  # let the document pick one: the object id then maps to it
        return ann_id

    def _peek_id(self) -> int:
        candidate = self._next_id
        while candidate in self._ann_of:
            candidate += 1
        return candidate

    def _taken(self, ann_id) -> bool:
        try:
            self._doc.annotation(ann_id)
        except InputError:
            return False
        return True

    def _check_mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise InputError(f"A mask must be 2-D (H, W); got shape {mask.shape}.")
        mask = mask.astype(bool, copy=False)
        if not mask.any():
            raise InputError("The object is empty; segment something before saving it.")
        return mask

    def _image_for(self, name: str, shape) -> tuple:
        """(image id for ``name``, whether its record was made now); the record is made for an image of the folder."""
        ids = self._image_ids(name)
        if ids:
            return ids[0], False
        if name not in self.images:
            raise InputError(f"{name!r} is not an image of {str(self.folder)!r}; pick one of session.images.")
        if shape is None:  # a crop of an image that has no record yet: its size from its header, else from the image
            shape = image_size(self.image_path(name)) or self.read(name).shape
        record = self._doc.add_image(name, int(shape[1]), int(shape[0]))
        self._names[name] = [record["id"]]
        return record["id"], True
