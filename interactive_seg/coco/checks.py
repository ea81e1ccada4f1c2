"""What makes a COCO record unusable: one checker for opening, :meth:`CocoDocument.check` and
:func:`~interactive_seg.coco.check_coco` alike.

:class:`Checker` takes records one at a time (a file of 500,000 annotations is never held
whole) and collects problems as phrases without a final stop. References to images and
categories are checked as soon as those lists have been seen, or at :meth:`Checker.finish`
when a file lists them after its annotations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..wording import counted
from .segmentation import decode_segmentation, has_segmentation, no_area_polygons, segmentation_problem, stray_polygons

__all__ = ["Checker", "finite_number", "id_key", "is_id", "whole"]


def is_id(value) -> bool:
    """A whole number (``1.0`` too, as some writers spell ids) or a string."""
    kind = type(value)
    if kind is int or kind is str:  # the JSON case, fast
        return True
    if kind is float:
        return math.isfinite(value) and value == int(value)
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def id_key(value):
    """An id as the indexes hold it: ``1.0`` is the id ``1`` (they are equal and hash alike)."""
    return int(value) if type(value) is float else value


def whole(value) -> bool:
    """A whole number: an int, or a float with no fraction (JSON writers differ)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value == int(value)


def finite_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2**63 if isinstance(value, int) else math.isfinite(value)


def _finite_box(box) -> bool:
    """Four finite numbers (the loop runs for every annotation when a file is opened)."""
    if type(box) is not list or len(box) != 4:
        return False
    for v in box:
        kind = type(v)
        if kind is float:
            if v - v != 0:  # NaN or infinity
                return False
        elif kind is int:
            if not -(2**63) < v < 2**63:
                return False
        elif not finite_number(v):
            return False
    return True


def image_size(image) -> tuple | None:
    """(height, width) an image record states, or None when either is missing or null."""
    width, height = image.get("width"), image.get("height")
    if not (whole(width) and whole(height)):
        return None
    return int(height), int(width)


class Checker:
    """Problems of COCO records given one at a time.

    Parameters
    ----------
    thorough : bool
        Check every segmentation as far as decoding would (RLE runs, polygon sizes).
    strict : bool
        Also decode every mask and compare ``area`` and ``bbox`` with it.
    size_of : callable, optional
        ``size_of(image_key, record)`` gives (height, width) for an image record without
        them, or None; segmentations of images of unknown size are not checked.
    masks_only : bool
        With ``thorough``: only what keeps a mask from being decoded, not the records that
        opening keeps as they are (a bbox of NaN beside a mask, polygons of no area).
    """

    def __init__(self, *, thorough: bool = False, strict: bool = False, size_of=None, masks_only: bool = False):
        self.problems: list = []
        self.thorough, self.strict, self.size_of = thorough or strict, strict, size_of
        self.report = self.thorough and not masks_only  # also what opening tolerates
        self.images: dict = {}  # key -> record
        self.sizes: dict = {}  # key -> (height, width) or None
        self.categories: set = set()
        self._named: dict = {}  # category name -> the first id called so
        self.seen: set = set()
        self.images_done = self.categories_done = False
        self._late_images: list = []  # (id, image_key, annotation) seen before the images
        self._late_categories: dict = {}  # category key -> annotation ids, seen before the categories
        self.rle_batch: list = []  # (id, counts, height, width): compressed RLE checked together
        self._batch_chars = 0

    def image(self, i: int, image) -> object | None:
        """Check one image record; its key, or None when it cannot be used."""
        where = f"images[{i}]"
        if type(image) is not dict and not isinstance(image, Mapping):
            self.problems.append(f"{where} is not an object")
            return None
        missing = [k for k in ("id", "file_name") if k not in image]
        if missing:
            self.problems.append(f"{where} lacks {', '.join(missing)}")
            return None
        if not is_id(image["id"]):
            self.problems.append(f"{where} has the id {image['id']!r}; ids must be whole numbers or strings")
            return None
        key = id_key(image["id"])
        if not isinstance(image["file_name"], str) or not image["file_name"]:
            self.problems.append(
                f"image {image['id']!r} has the file_name {image['file_name']!r}, which is not a file name"
            )
        good = True
        for name in ("width", "height"):
            value = image.get(name)
            if value is not None and (not whole(value) or not 1 <= value <= 2**31):
                self.problems.append(
                    f"image {image['id']!r} has the {name} {value!r}; it must be a whole number of pixels"
                )
                good = False
        if key in self.images:
            self.problems.append(f"the image id {image['id']!r} is used twice")
        self.images[key] = image
        self.sizes[key] = image_size(image) if good else None
        return key

    def category(self, i: int, category) -> object | None:
        if (
            type(category) is not dict
            and not isinstance(category, Mapping)
            or "id" not in category
            or "name" not in category
        ):
            self.problems.append(f"categories[{i}] lacks an id or a name")
            return None
        if not is_id(category["id"]):
            self.problems.append(f"categories[{i}] has the id {category['id']!r}; ids must be whole numbers or strings")
            return None
        key = id_key(category["id"])
        if key in self.categories:
            self.problems.append(f"the category id {category['id']!r} is used twice")
        self.categories.add(key)
        name = str(category["name"])
        if self.report and name in self._named:  # (tolerated: new objects of that name go to the most used)
            self.problems.append(
                f"categories {self._named[name]!r} and {category['id']!r} are both called {name!r}; objects added "
                "by that name go to the one with more annotations"
            )
        self._named.setdefault(name, category["id"])
        return key

    def annotation(self, i: int, ann) -> tuple | None:
        """Check one annotation; ``(key, image key, category key)``, or None when it cannot be indexed."""
        if type(ann) is not dict and not isinstance(ann, Mapping):
            self.problems.append(f"annotations[{i}] is not an object")
            return None
        if "id" not in ann or "image_id" not in ann or "category_id" not in ann:
            missing = [k for k in ("id", "image_id", "category_id") if k not in ann]
            self.problems.append(f"annotations[{i}] lacks {', '.join(missing)}")
            return None
        if not (is_id(ann["id"]) and is_id(ann["image_id"]) and is_id(ann["category_id"])):
            self.problems.append(
                f"annotations[{i}] has an id, image_id or category_id that is neither a whole number nor a string"
            )
            return None
        key, image_key, category_key = id_key(ann["id"]), id_key(ann["image_id"]), id_key(ann["category_id"])
        if key in self.seen:
            self.problems.append(f"the annotation id {ann['id']!r} is used twice")
        self.seen.add(key)
        if self.categories_done:
            if category_key not in self.categories:
                self._no_category(ann["id"], category_key)
        else:
            self._late_categories.setdefault(category_key, []).append(ann["id"])
        if self.images_done:
            self._against_image(ann, image_key)
        else:
            self._late_images.append((ann["id"], image_key, ann))
        if "bbox" in ann and not _finite_box(ann["bbox"]) and self.report:
            # opening keeps such a record as read: a box-only one is no object, beside a mask
            # the bbox is a copy of what the mask says; check reports it
            self.problems.append(
                f"annotation {ann['id']!r} has the bbox {ann['bbox']!r}; a bbox is four finite numbers [x, y, width, height]"
            )
        return key, image_key, category_key

    def _no_category(self, ann_id, category_key) -> None:
        self.problems.append(f"annotation {ann_id!r} refers to category {category_key!r}, which is not in 'categories'")

    def _size(self, image_key) -> tuple | None:
        size = self.sizes.get(image_key)
        image = self.images.get(image_key)
        if (
            size is None
            and self.size_of is not None
            and image is not None
            and (image.get("width") is None or image.get("height") is None)
        ):
            size = self.sizes[image_key] = self.size_of(image_key, image)
        return size

    def _against_image(self, ann, image_key) -> None:
        if image_key not in self.images:
            self.problems.append(
                f"annotation {ann['id']!r} refers to image {ann['image_id']!r}, which is not in 'images'"
            )
            return
        size = self._size(image_key)
        if size is None:
            if self.thorough and has_segmentation(ann.get("segmentation")):
                image = self.images[image_key]
                self.problems.append(
                    f"annotation {ann['id']!r} has a mask but its image {image.get('file_name')!r} has no width and height "
                    "and cannot be read, so the mask cannot be decoded"
                )
            return
        height, width = size
        segmentation = ann.get("segmentation")
        if no_area_polygons(segmentation):
            if self.report:
                self.problems.append(
                    f"annotation {ann['id']!r} has polygons of fewer than 3 points: no mask (kept as it is, shown as none)"
                )
            return
        if self.report and stray_polygons(segmentation):
            self.problems.append(
                f"annotation {ann['id']!r} has {counted(stray_polygons(segmentation), 'polygon part')} of fewer than 3 "
                "points beside its others: no area, not drawn (kept as it is)"
            )
        if self.thorough and not self.strict and type(segmentation) is dict and type(segmentation.get("counts")) is str:
            problem = segmentation_problem(segmentation, height, width)  # size and types; the runs come in a batch
            if problem is None:
                self.rle_batch.append((ann["id"], segmentation["counts"], height, width))
                self._batch_chars += len(segmentation["counts"])
                if self._batch_chars > 1 << 20:
                    self._check_rle()
                return
        else:
            problem = segmentation_problem(segmentation, height, width, thorough=self.thorough)
        if problem:
            self.problems.append(f"annotation {ann['id']!r} cannot be decoded: {problem}")
        elif self.strict and has_segmentation(segmentation):
            self._strict(ann, height, width)

    def _strict(self, ann, height: int, width: int) -> None:
        """``area`` and ``bbox`` against the decoded segmentation (a report, not a reason to refuse)."""
        from ..masks import bbox as tight_box

        try:
            mask = decode_segmentation(ann["segmentation"], height, width)
        except ValueError as exc:
            self.problems.append(f"annotation {ann['id']!r} cannot be decoded: {exc}")
            return
        area = int(mask.sum())
        # polygons are written with their geometric area and corner-point box (COCO's own
        # files, detectron2, Label Studio): their pixels differ from those by up to about
        # half the outline (each pixel on it is in or out) and a pixel or so each side
        outline, slack = 0.0, 1.0
        if type(ann["segmentation"]) is list:
            for polygon in ann["segmentation"]:
                if type(polygon) is list and len(polygon) >= 6:
                    points = np.asarray(polygon, float).reshape(-1, 2)
                    outline += float(np.hypot(*(points - np.roll(points, 1, axis=0)).T).sum())
            slack = 2.0
        tolerance = max(1.0, 0.01 * area, 0.5 * outline)
        if finite_number(ann.get("area")) and abs(float(ann["area"]) - area) > tolerance:
            self.problems.append(
                f"annotation {ann['id']!r} has the area {ann['area']} but its segmentation covers {area} pixels"
            )
        if isinstance(ann.get("bbox"), list) and len(ann["bbox"]) == 4:
            box = tight_box(mask)
            expected = [0, 0, 0, 0] if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]
            if any(abs(float(g) - e) > slack for g, e in zip(ann["bbox"], expected)):
                self.problems.append(
                    f"annotation {ann['id']!r} has the bbox {ann['bbox']} but its segmentation spans {expected}"
                )

    def done_images(self) -> None:
        self.images_done = True
        late, self._late_images = self._late_images, []
        for _, image_key, ann in late:
            self._against_image(ann, image_key)

    def done_categories(self) -> None:
        self.categories_done = True
        for category_key, ann_ids in self._late_categories.items():
            if category_key not in self.categories:
                for ann_id in ann_ids:
                    self._no_category(ann_id, category_key)
        self._late_categories = {}

    def finish(self) -> list:
        """Everything found (after the references left open and the RLE batch)."""
        if not self.images_done:
            self.done_images()
        if not self.categories_done:
            self.done_categories()
        self._check_rle()
        return self.problems

    def _check_rle(self) -> None:
        """The compressed RLE waiting, checked in one batch (a megabyte of text at most waits)."""
        if not self.rle_batch:
            return
        from .segmentation import rle_problems

        batch, self.rle_batch, self._batch_chars = self.rle_batch, [], 0
        for (ann_id, _, _, _), problem in zip(batch, rle_problems([(c, h, w) for _, c, h, w in batch])):
            if problem:
                self.problems.append(f"annotation {ann_id!r} cannot be decoded: {problem}")


def problems(data, *, strict: bool = False, thorough: bool = False) -> list:
    """Everything structurally wrong with parsed COCO data (one phrase each, no final stop)."""
    if isinstance(data, list):
        return [
            "its top level is a list (a results file of detections?), not a COCO dataset with 'images' and 'annotations'"
        ]
    if not isinstance(data, Mapping):
        return ["its top level is not a JSON object with 'images', 'annotations' and 'categories'"]
    found = []
    if not isinstance(data.get("images"), list):
        found.append("'images' is missing or not a list")
    if "annotations" in data and not isinstance(data["annotations"], list):
        found.append("'annotations' is not a list")
    if data.get("categories") is not None and not isinstance(data["categories"], list):
        found.append("'categories' is not a list")
    if found:
        return found
    checker = Checker(thorough=thorough, strict=strict)
    for i, image in enumerate(data["images"]):
        checker.image(i, image)
    checker.done_images()
    for i, category in enumerate(data.get("categories") or []):
        checker.category(i, category)
    checker.done_categories()
    for i, ann in enumerate(data.get("annotations") or []):
        checker.annotation(i, ann)
    return checker.finish()
