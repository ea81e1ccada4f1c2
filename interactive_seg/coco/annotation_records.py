"""The annotation records of a :class:`~interactive_seg.coco.CocoDocument`: indexed, parsed when asked for.

Every annotation has one entry in the document's index (``id -> (image id, category
id, has mask)``) and one in its image's list; its record is parsed from the bytes read
only when asked for (the last few thousand are kept parsed) and its mask decoded only
when asked for. Adding, changing or removing one keeps the indexes true and checks the
record first. :class:`AnnotationRecords` is the document's base class that does it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..errors import InputError
from . import checks
from .checks import Checker, id_key, is_id
from .rawjson import encode_record
from .reading import _name, _sentence
from .segmentation import decode_segmentation, has_segmentation, mask_to_segmentation, rle_counts
from .tables import Id

#: the key in a file's ``info`` a session keeps its next object id under, once ids alone
#: would not say it (the newest object deleted): no writer gives that id or a lower one again
NEXT_ID = "interactive_seg_next_annotation_id"

__all__ = ["AnnotationRecords"]

_CACHED = 4096  # annotation records kept parsed after they were asked for


class AnnotationRecords:
    """The annotation methods of a :class:`~interactive_seg.coco.CocoDocument` (its base class)."""

    def _record(self, key, cache: bool = True) -> dict:
        """The annotation record of an index key: the changed dict, or parsed from its text."""
        table = self._lists["annotations"]
        slot = table.order[key]
        if type(slot) is not int:
            return slot
        record = self._cache.get(key)
        if record is not None:
            self._cache.move_to_end(key)
            return record
        record = json.loads(table.raw(self._data, slot))
        if cache:
            self._cache[key] = record
            if len(self._cache) > _CACHED:
                self._cache.popitem(last=False)
        return record

    def annotation_ids(self, image_id: Id | None = None) -> list:
        """Annotation ids of one image (file order), or of the whole file, without parsing a record.

        Parameters
        ----------
        image_id : id, optional
            The image; all annotations when None.

        Returns
        -------
        list
            The ids as the indexes hold them (an id written ``1.0`` is ``1``).
        """
        if image_id is None:
            return list(self._meta)
        self.image(image_id)
        return list(self._by_image.get(image_id, ()))

    def annotation_index(self) -> Mapping:
        """Annotation id -> ``(image_id, category_id, has_mask)`` of every annotation, in file order.

        A read-only view of the document's own index (it follows every change), for
        callers that look up many ids without parsing a record or catching an error.
        """
        return MappingProxyType(self._meta)

    def meta(self, ann_id: Id) -> tuple:
        """``(image_id, category_id, has_mask)`` of an annotation, without parsing it.

        Raises
        ------
        InputError
            When there is no annotation with that id.
        """
        try:
            return self._meta[ann_id]
        except (KeyError, TypeError):
            raise InputError(
                f"There is no annotation {ann_id!r} in {_name(self.path)}; use an id of its 'annotations'."
            ) from None

    def annotations(self, image_id: Id | None = None) -> list:
        """Annotation records of one image (file order), or of all images (parsed now)."""
        if image_id is None:
            return [self._record(key, cache=False) for key in self._meta]
        self.image(image_id)
        return [self._record(key) for key in self._by_image.get(image_id, ())]

    def count(self, image_id: Id | None = None) -> int:
        """How many annotations an image has, or the whole file (no scan)."""
        if image_id is None:
            return len(self._meta)
        try:
            return len(self._by_image.get(image_id, ()))
        except TypeError:  # an unhashable id names no image
            return 0

    def annotation(self, ann_id: Id) -> dict:
        self.meta(ann_id)
        return self._record(ann_id)

    def has_mask(self, ann_id: Id) -> bool:
        """False for box-only annotations (no segmentation, or an empty one)."""
        return self.meta(ann_id)[2]

    def mask(self, ann_id: Id) -> np.ndarray:
        """One annotation's mask, decoded now; :class:`InputError` naming the annotation when it cannot be."""
        ann = self.annotation(ann_id)
        image_key = self._meta[ann_id][0]
        image = self._images[image_key]
        height, width = self.image_size(image_key)
        try:
            return decode_segmentation(ann.get("segmentation"), height, width)
        except ValueError as exc:
            raise InputError(
                f"Annotation {ann_id!r} (image {image['file_name']!r}) of {_name(self.path)} cannot be decoded "
                f"({exc}); fix or remove it."
            ) from None

    def new_annotation_id(self, at_least: int = 1) -> Id:
        """A fresh annotation id: after the largest used, at least ``at_least``, and not one a
        session deleted (its counter, :data:`NEXT_ID` in ``info``): an id never names two objects."""
        info = self.get("info")
        counter = info.get(NEXT_ID) if isinstance(info, dict) else None
        if type(counter) is int and counter > at_least:
            at_least = counter
        return self._lists["annotations"].ids.new(self._meta, at_least)

    def put_annotation(self, record: dict) -> None:
        """Insert an annotation record, or replace the one with its id (it keeps its place).

        Used to replay changes: the indexes (by image, by class, the mask flag) follow.

        Parameters
        ----------
        record : dict
            A whole annotation record: ``id``, ``image_id`` and ``category_id`` of an
            image and a category of the document, and whatever else it holds (taken, not
            copied; written from its dict from now on).

        Raises
        ------
        InputError
            When the record is not usable: ids, references, a segmentation that does
            not fit its image (a ``bbox`` is the writer's: written as it is, where JSON can).
        """
        checker = Checker(size_of=self._size_for_check)
        checker.images, checker.sizes = self._images, _Sizes(self)
        checker.images_done = checker.categories_done = True
        checker.categories = self._categories.keys()
        found = checker.annotation(0, record)
        if checker.problems:
            raise InputError(_sentence(checker.problems, "This annotation record"))
        key, image_key, category_key = found
        old = self._meta.get(key)
        if old is not None and old[0] != image_key:
            self._by_image[old[0]].remove(key)
        if old is None or old[0] != image_key:
            self._by_image.setdefault(image_key, []).append(key)
        self._meta[key] = (image_key, category_key, has_segmentation(record.get("segmentation")))
        self._cache.pop(key, None)
        self._lists["annotations"].change(key, record)

    def add_annotation(
        self,
        image_id: Id,
        mask,
        category: str,
        *,
        id: Id | None = None,
        polygons: bool = False,
        offset=None,
        **extra,
    ) -> dict:
        """Add an object to an image and return its record.

        ``mask`` is the image's size, or a crop at ``offset`` (x0, y0); ``category`` a class
        name (created when new); ``extra`` keys go into the record after the standard ones.
        """
        image = self.image(image_id)
        if id is not None and (not is_id(id) or id_key(id) in self._meta):
            raise InputError(f"The annotation id {id!r} is taken or not a number or text; leave it out for a new one.")
        fields = self._fields(image, mask, polygons, offset)
        if id is None:
            id = self.new_annotation_id()
        created = category is not None and self.category_id(category) is None
        category_id = self.category_id(category, create=True)
        record = {"id": id, "image_id": image["id"], "category_id": category_id, "iscrowd": 0, **fields, **extra}
        try:
            encode_record(record)
            self.put_annotation(record)
        except (TypeError, ValueError, InputError) as exc:
            if created:
                self._drop_category(category_id)
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"The annotation's extra values cannot be written as JSON ({exc}); give JSON values."
            ) from None
        return record

    def update_annotation(
        self, ann_id: Id, *, mask=None, category: str | None = None, polygons: bool | None = None, offset=None, **extra
    ) -> dict:
        """Give an object a new mask and/or class (and set ``extra`` keys); every other key stays.

        A new mask replaces ``segmentation``, ``area`` and ``bbox``; it is written as
        polygons when the old one was (and polygons are faithful), RLE otherwise, unless
        ``polygons`` says; uncompressed RLE (``counts`` a list) stays uncompressed.
        """
        ann = self.annotation(ann_id)
        for key in ("id", "image_id", "category_id"):
            if key in extra:
                raise InputError(f"An annotation's {key!r} cannot be changed here; use category= for its class.")
        fields = {}
        if mask is not None:
            if polygons is None:
                polygons = isinstance(ann.get("segmentation"), list) and len(ann["segmentation"]) > 0
            fields = self._fields(self._images[self._meta[ann_id][0]], mask, polygons, offset)
            old = ann.get("segmentation")
            if (
                isinstance(old, dict)
                and isinstance(old.get("counts"), list)
                and isinstance(fields["segmentation"], dict)
            ):
                # uncompressed RLE (CVAT's, with iscrowd 1) stays uncompressed
                fields["segmentation"]["counts"] = rle_counts(fields["segmentation"]["counts"]).tolist()
        if category is not None and self.category_name(ann["category_id"]) == category:
            category = None  # its own class: its category stays (another category may have the same name)
        category_id = self.category_id(category, create=True) if category is not None else None
        changed = dict(ann)
        changed.update(fields)
        if category_id is not None:
            changed["category_id"] = category_id
        changed.update(extra)
        try:
            encode_record(changed, self._lists["annotations"].original_text(self._data, id_key(ann_id)))
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"The annotation's new values cannot be written as JSON ({exc}); give JSON values."
            ) from None
        # everything is checked: now change the record (the dict the caller holds too)
        ann.update(fields)
        if category_id is not None:
            ann["category_id"] = category_id
        ann.update(extra)
        self.put_annotation(ann)
        return ann

    def annotation_place(self, ann_id: Id) -> tuple:
        """Where a record is in the file: (the index of its text as read, None once changed;
        its position in the list; the records before and after it, None at an end), for
        :meth:`put_annotation_back` after a removal."""
        table, key = self._lists["annotations"], id_key(ann_id)
        keys = list(table.order)
        n = keys.index(key)
        before, after = (keys[n - 1] if n else None), (keys[n + 1] if n + 1 < len(keys) else None)
        return self.text_index(ann_id), n, before, after

    def text_index(self, ann_id: Id):
        """The index of a record's text as read, for :meth:`as_read`; None once it was changed."""
        slot = self._lists["annotations"].order.get(id_key(ann_id))
        return slot if type(slot) is int else None

    def put_annotation_back(self, record: dict, place: tuple) -> None:
        """A removed record (its dict as read) put back where it was in the list
        (:meth:`annotation_place`): before the record that followed it, or after the one before
        it, where that is still there (others may have been removed and put back since); else at
        its position. :meth:`as_read` then gives it its text."""
        self.put_annotation(record)
        table, key = self._lists["annotations"], id_key(record["id"])
        _, position, before, after = place
        keys = list(table.order)
        keys.remove(key)  # (the last: put_annotation appended it)
        if after is not None and after in table.order:
            position = keys.index(after)
        elif before is not None and before in table.order:
            position = keys.index(before) + 1
        elif after is None:
            position = len(keys)
        table.place(key, position)
        siblings = self._by_image[self._meta[key][0]]  # its image's list: before the first of them after it
        siblings.remove(key)
        others, following = set(siblings), keys[position:]
        later = next((k for k in following if k in others), None)
        siblings.insert(len(siblings) if later is None else siblings.index(later), key)

    def as_read(self, ann_id: Id, index) -> None:
        """Record ``ann_id``, put back unchanged, is written as its text was read (``index``,
        :meth:`annotation_place`'s; None: it had been changed, so it stays written from its dict)."""
        table, key = self._lists["annotations"], id_key(ann_id)
        if index is not None and isinstance(table.order.get(key), dict):
            table.order[key] = index
            table.origin.pop(key, None)
            self._cache.pop(key, None)

    def remove_annotation(self, ann_id: Id) -> dict:
        """Delete an object; returns its record."""
        ann = self.annotation(ann_id)
        key = id_key(ann["id"])
        image_key = self._meta.pop(key)[0]
        self._by_image[image_key].remove(key)
        self._cache.pop(key, None)
        self._lists["annotations"].remove(key)
        return ann

    def _fields(self, image: dict, mask, polygons: bool, offset) -> dict:
        mask = np.asarray(mask)
        height, width = self.image_size(id_key(image["id"]))
        if mask.ndim != 2:
            raise InputError(f"A mask must be 2-D (H, W); got shape {mask.shape}.")
        if offset is None and mask.shape != (height, width):
            raise InputError(
                f"The mask is {mask.shape[1]} x {mask.shape[0]} but {image['file_name']!r} is {width} x {height}; "
                "give a mask of the image's size, or a crop with its offset."
            )
        mask = mask.astype(bool, copy=False)
        if not mask.any():
            raise InputError("The object is empty; segment something before saving it.")
        try:
            return mask_to_segmentation(
                mask, polygons=bool(polygons), offset=offset, shape=(height, width) if offset is not None else None
            )
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"The mask does not fit {image['file_name']!r} ({exc}); give the crop's (x0, y0) inside the image."
            ) from None


class _Sizes:
    """The checker's view of image sizes for one record put: the record's, or image_size's."""

    def __init__(self, document):
        self._document = document

    def get(self, key, default=None):
        record = self._document._images.get(key)
        if record is None:
            return default
        return checks.image_size(record) or self._document._sizes.get(key)

    def __getitem__(self, key):
        return self.get(key)

    def __setitem__(self, key, value):
        if value is not None:
            self._document._sizes[key] = value
