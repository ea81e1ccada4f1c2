"""COCO datasets: write instance masks with their classes, read them back, check a file.

Segmentation is RLE by default (pycocotools, ``counts`` stored as a string), which round
trips pixel for pixel. Polygons on request, but they never lie: an object with a hole, or
a part too small or thin to be drawn as a polygon of three or more points without losing
more than its boundary pixels, is written as RLE instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import cv2
import numpy as np

from ..errors import InputError
from ..files import write_bytes_atomic

__all__ = ["CocoObject", "CocoImage", "CocoDataset", "to_coco", "write_coco", "read_coco", "check_coco", "is_coco", "mask_to_segmentation"]


def _mask_utils():
    try:
        from pycocotools import mask as mask_utils
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise InputError("COCO export needs pycocotools: pip install pycocotools") from exc
    return mask_utils


@dataclass
class CocoObject:
    """One object: its mask, its class name and (once saved) its annotation id."""

    mask: np.ndarray
    category: str
    id: Optional[int] = None


@dataclass
class CocoImage:
    """One image of a dataset with its objects."""

    file_name: str
    width: int
    height: int
    objects: list = field(default_factory=list)
    id: Optional[int] = None


@dataclass
class CocoDataset:
    """Images with their objects, and the class names with their ids."""

    images: list
    categories: dict  # name -> id, in id order

    def image(self, file_name: str) -> CocoImage:
        """The image whose ``file_name`` (or its base name) matches."""
        for item in self.images:
            if item.file_name == file_name or Path(item.file_name).name == file_name:
                return item
        raise InputError(f"The COCO file has no image named {file_name!r}.")


# -- encoding ----------------------------------------------------------------------------
def _rle(mask: np.ndarray) -> dict:
    rle = _mask_utils().encode(np.asfortranarray(mask.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def _polygons(mask: np.ndarray) -> Optional[list]:
    """Outer contours as COCO polygons, or None where polygons would lie about the mask."""
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    if hierarchy is not None and (hierarchy[0][:, 3] >= 0).any():
        return None  # a hole: polygons cannot say it
    # Trace the outline on the mask doubled in size: contour points then run along pixel
    # edges (within a quarter pixel) instead of through boundary pixels' centres, which
    # would lose half of every boundary pixel when the polygon is rasterised again.
    doubled = cv2.resize(mask.astype(np.uint8), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    outlines, _ = cv2.findContours(doubled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for outline in outlines:
        if len(outline) < 3:
            return None
        polygons.append([round((float(v) + 0.5) / 2.0, 2) for v in outline.reshape(-1)])
    # Enforce the promise: the decoded polygons lose or add only boundary pixels.
    h, w = mask.shape
    mask_utils = _mask_utils()
    drawn = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))).astype(bool)
    kernel = np.ones((3, 3), np.uint8)
    inner = cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    outer = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
    if (inner & ~drawn).any() or (drawn & ~outer).any():
        return None
    # every part must still be there after decoding
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if np.setdiff1d(np.arange(1, n), labels[drawn & mask]).size:
        return None
    return polygons


def mask_to_segmentation(mask, *, polygons: bool = False) -> dict:
    """COCO fields of one mask: ``segmentation``, ``area`` and ``bbox``, from pycocotools.

    With ``polygons=True``, the segmentation is a list of polygons (one per part) when
    that is faithful, and RLE otherwise (holes, tiny parts); ``"iscrowd"`` is 0 either way.
    """
    mask = np.asarray(mask).astype(bool)
    if mask.ndim != 2:
        raise InputError(f"A mask must be 2-D (H, W); got shape {mask.shape}.")
    mask_utils = _mask_utils()
    rle = _rle(mask)
    segmentation = rle
    if polygons:
        polys = _polygons(mask)
        if polys is not None:
            segmentation = polys
            h, w = mask.shape
            rle_poly = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
            return {
                "segmentation": segmentation,
                "area": float(mask_utils.area(rle_poly)),
                "bbox": [float(v) for v in mask_utils.toBbox(rle_poly)],
            }
    encoded = dict(rle, counts=rle["counts"].encode("ascii"))
    return {
        "segmentation": segmentation,
        "area": float(mask_utils.area(encoded)),
        "bbox": [float(v) for v in mask_utils.toBbox(encoded)],
    }


def _category_ids(images: Sequence[CocoImage], categories) -> dict:
    """Stable ids: the ones given (a mapping) kept, new names numbered after the largest."""
    if isinstance(categories, Mapping):
        ids = {str(k): int(v) for k, v in categories.items()}
    else:
        ids = {}
        for name in categories or ():
            ids.setdefault(str(name), len(ids) + 1)
    if len(set(ids.values())) != len(ids):
        raise InputError("Two classes share one category id; give each class its own id.")
    next_id = max(ids.values(), default=0) + 1
    for image in images:
        for obj in image.objects:
            name = str(obj.category)
            if name not in ids:
                ids[name] = next_id
                next_id += 1
    return ids


def to_coco(images: Iterable[CocoImage], categories=(), *, polygons: bool = False) -> dict:
    """Build a COCO dataset dictionary.

    Parameters
    ----------
    images : iterable of CocoImage
        Each with ``file_name``, ``width``, ``height`` and ``objects`` (``CocoObject``:
        bool mask of the image's size, class name, optional id).
    categories : sequence of str or mapping str -> int
        The class list; names are numbered 1, 2, ... in order, or keep the ids of a
        mapping (for example the ``categories`` of a dataset read back). Classes used by
        objects but not listed are added after.
    polygons : bool
        Write polygons instead of RLE where that is faithful (see :func:`mask_to_segmentation`).

    Returns
    -------
    dict
        With ``images``, ``annotations`` and ``categories``. Ids already on images and
        objects are kept; new ones are numbered after the largest, and are written back
        onto the given objects so that saving again gives the same ids.
    """
    images = list(images)
    category_ids = _category_ids(images, categories)
    next_image = max((im.id for im in images if im.id is not None), default=0) + 1
    used_ann = [o.id for im in images for o in im.objects if o.id is not None]
    if len(used_ann) != len(set(used_ann)):
        raise InputError("Two objects share one annotation id; give each object its own id (or none).")
    next_ann = max(used_ann, default=0) + 1
    out_images, annotations = [], []
    seen_image_ids = set()
    for image in images:
        if image.id is None:
            image.id = next_image
            next_image += 1
        if image.id in seen_image_ids:
            raise InputError(f"Two images share the id {image.id}; give each image its own id.")
        seen_image_ids.add(image.id)
        out_images.append({"id": int(image.id), "file_name": str(image.file_name), "width": int(image.width), "height": int(image.height)})
        for obj in image.objects:
            mask = np.asarray(obj.mask)
            if mask.shape != (image.height, image.width):
                raise InputError(
                    f"An object of {image.file_name!r} has a mask of shape {mask.shape}, but the image is "
                    f"{image.height} x {image.width}; masks must have the image's size."
                )
            if obj.id is None:
                obj.id = next_ann
                next_ann += 1
            fields = mask_to_segmentation(mask, polygons=polygons)
            annotations.append(
                {
                    "id": int(obj.id),
                    "image_id": int(image.id),
                    "category_id": category_ids[str(obj.category)],
                    "iscrowd": 0,
                    **fields,
                }
            )
    cats = [{"id": cid, "name": name, "supercategory": ""} for name, cid in sorted(category_ids.items(), key=lambda kv: kv[1])]
    return {"images": out_images, "annotations": annotations, "categories": cats}


def write_coco(path, images: Iterable[CocoImage], categories=(), *, polygons: bool = False) -> Path:
    """Write a COCO JSON file atomically (temporary file beside it, then rename).

    Takes the arguments of :func:`to_coco`. Unicode paths work. A target that cannot be
    written raises :class:`InputError` and nothing else is touched.
    """
    data = to_coco(images, categories, polygons=polygons)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return write_bytes_atomic(path, text.encode("utf-8"))


# -- reading and checking ------------------------------------------------------------------
def _load(source) -> dict:
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"There is no COCO file at {str(path)!r}; check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Could not read {str(path)!r} as text ({exc}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{str(path)!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated. Restore it from a backup or export again."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{str(path)!r} holds JSON but not a COCO dataset (no 'images' and 'annotations').")
    return data


def is_coco(data) -> bool:
    """True when ``data`` (a dict) looks like a COCO dataset: images, annotations, categories lists."""
    return isinstance(data, Mapping) and all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories"))


def decode_segmentation(segmentation, height: int, width: int) -> np.ndarray:
    """One annotation's segmentation (polygons, RLE or uncompressed RLE) as a bool mask; ValueError if it cannot be."""
    mask_utils = _mask_utils()
    if isinstance(segmentation, list):
        if not segmentation or any(not isinstance(p, list) or len(p) < 6 or len(p) % 2 for p in segmentation):
            raise ValueError("a polygon needs at least 3 (x, y) points")
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation, Mapping) and "counts" in segmentation and "size" in segmentation:
        if list(segmentation["size"]) != [height, width]:
            raise ValueError(f"its RLE size {list(segmentation['size'])} is not the image's [{height}, {width}]")
        counts = segmentation["counts"]
        if isinstance(counts, list):
            if sum(counts) != height * width:
                raise ValueError("its uncompressed RLE counts do not add up to the image's pixel count")
            rle = mask_utils.frPyObjects(dict(segmentation), height, width)
        else:
            rle = {"size": [height, width], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    else:
        raise ValueError("its segmentation is neither polygons nor RLE")
    return mask_utils.decode(rle).astype(bool)


def check_coco(source, *, segmentations: bool = True) -> list:
    """Say what is wrong in a COCO dataset instead of crashing on it.

    Parameters
    ----------
    source : path or dict
    segmentations : bool
        Also decode every segmentation and compare it with ``bbox`` and ``area``; with
        False only ids, fields and references are checked (fast on large files).

    Returns
    -------
    list of str
        One sentence per problem (empty when the file is sound): missing or duplicate ids,
        references to images or categories that do not exist, segmentations that cannot be
        decoded or are not of the image's size, and ``bbox`` or ``area`` that disagree with
        the segmentation.
    """
    data = _load(source)
    problems = []
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            problems.append(f"'{key}' is missing or not a list.")
    if problems:
        return problems
    images = {}
    for i, image in enumerate(data["images"]):
        if not isinstance(image, Mapping) or not all(k in image for k in ("id", "file_name", "width", "height")):
            problems.append(f"images[{i}] lacks one of id, file_name, width, height.")
            continue
        if image["id"] in images:
            problems.append(f"image id {image['id']} is used twice.")
        images[image["id"]] = image
    categories = {}
    for i, cat in enumerate(data["categories"]):
        if not isinstance(cat, Mapping) or "id" not in cat or "name" not in cat:
            problems.append(f"categories[{i}] lacks id or name.")
            continue
        if cat["id"] in categories:
            problems.append(f"category id {cat['id']} is used twice.")
        elif any(str(c["name"]) == str(cat["name"]) for c in categories.values()):
            problems.append(f"category name {cat['name']!r} is used by two ids.")
        categories[cat["id"]] = cat
    seen = set()
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, Mapping) or not all(k in ann for k in ("id", "image_id", "category_id", "segmentation")):
            problems.append(f"annotations[{i}] lacks one of id, image_id, category_id, segmentation.")
            continue
        name = f"annotation {ann['id']}"
        if ann["id"] in seen:
            problems.append(f"annotation id {ann['id']} is used twice.")
        seen.add(ann["id"])
        if ann["category_id"] not in categories:
            problems.append(f"{name} refers to category {ann['category_id']}, which is not in 'categories'.")
        image = images.get(ann["image_id"])
        if image is None:
            problems.append(f"{name} refers to image {ann['image_id']}, which is not in 'images'.")
            continue
        if not segmentations:
            continue
        try:
            mask = decode_segmentation(ann["segmentation"], int(image["height"]), int(image["width"]))
        except Exception as exc:  # noqa: BLE001 - any decoding failure is a problem to report
            problems.append(f"{name} cannot be decoded: {exc}.")
            continue
        area = int(mask.sum())
        if "area" in ann and abs(float(ann["area"]) - area) > max(1.0, 0.01 * area):
            problems.append(f"{name} has area {ann['area']} but its segmentation covers {area} pixels.")
        if "bbox" in ann:
            from ..masks import bbox as tight_box

            box = tight_box(mask)
            expected = [0, 0, 0, 0] if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]
            given = ann["bbox"]
            if not isinstance(given, list) or len(given) != 4 or any(abs(float(g) - e) > 1.0 for g, e in zip(given, expected)):
                problems.append(f"{name} has bbox {given} but its segmentation spans {expected}.")
    return problems


def read_coco(source) -> CocoDataset:
    """Read a COCO file (or dict) into per-image instance masks with their class names.

    Raises
    ------
    InputError
        When the file is missing, not JSON, not COCO, or has problems that
        :func:`check_coco` lists (all of them are in the message).
    """
    data = _load(source)
    if not is_coco(data):
        raise InputError("This JSON is not a COCO dataset: it needs 'images', 'annotations' and 'categories' lists.")
    problems = check_coco(data)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise InputError(f"The COCO file has problems: {shown}. Fix them (check_coco lists them all) and open it again.")
    names = {c["id"]: str(c["name"]) for c in data["categories"]}
    categories = {names[cid]: cid for cid in sorted(names)}
    by_id = {}
    images = []
    for item in data["images"]:
        record = CocoImage(str(item["file_name"]), int(item["width"]), int(item["height"]), [], int(item["id"]))
        by_id[record.id] = record
        images.append(record)
    for ann in data["annotations"]:
        image = by_id[ann["image_id"]]
        mask = decode_segmentation(ann["segmentation"], image.height, image.width)
        image.objects.append(CocoObject(mask, names[ann["category_id"]], int(ann["id"])))
    return CocoDataset(images, categories)
