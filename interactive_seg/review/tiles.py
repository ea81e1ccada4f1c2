"""One page's pixels: each object's crop and mask scaled to the tile raster, each image read once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..coco import CocoDocument, decode_segmentation
from ..coco.locate import ImageLocator, exif_choice
from ..errors import InputError
from ..files import read_image
from ..image import as_rgb8
from ..provenance import review_state
from .select import _iou, _old_annotation

# cropping
_PADDING = 0.15  # context round the object's box, as a fraction of its longest side
_MIN_PAD = 4  # ... at least this many pixels
_MIN_CROP = 32  # a crop is at least this many pixels a side (tiny objects stay visible)


BOX_ONLY = "box only"
IMAGE_MISSING = "image not found"


@dataclass
class _Drawn:
    """A tile's pixels, ready to draw (small: at most a tile's raster)."""

    ann: dict
    category: str
    colour_index: int
    file_name: str
    picture: Optional[np.ndarray] = None  # uint8 RGB, the crop scaled to the tile raster
    mask: Optional[np.ndarray] = None  # float32 0..1 at the picture's size
    box: Optional[tuple] = None  # a box-only object's box, in raster pixel edges
    size: tuple = (1, 1)  # raster (height, width)
    area: Optional[int] = None
    notes: list = field(default_factory=list)
    region: tuple = (0, 0, 1, 1)  # the crop (x0, y0, x1, y1) in image pixels
    box_size: str = ""  # a box-only object's box, as "W x H", for the caption
    review: str = ""
    role: str = ""
    iou: Optional[float] = None


def _crop_region(box, width: int, height: int) -> tuple:
    """A square-ish crop (x0, y0, x1, y1) round ``box`` with padding, inside the image."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1)
    side = max(side + 2 * max(_MIN_PAD, _PADDING * side), _MIN_CROP)
    crop_w, crop_h = int(min(math.ceil(side), width)), int(min(math.ceil(side), height))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    left = int(min(max(round(cx - crop_w / 2.0), 0), width - crop_w))
    top = int(min(max(round(cy - crop_h / 2.0), 0), height - crop_h))
    return left, top, left + crop_w, top + crop_h


def _resize(array: np.ndarray, size: tuple) -> np.ndarray:
    """Scale to (height, width): averaging down, blocks of pixels up (so pixels stay visible)."""
    import cv2

    height, width = size
    if array.shape[:2] == (height, width):
        return array
    up = height > array.shape[0] * 2
    method = cv2.INTER_NEAREST if up else cv2.INTER_AREA if height < array.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(array, (width, height), interpolation=method)


def _raster_size(crop_h: int, crop_w: int, raster: int) -> tuple:
    scale = raster / max(crop_h, crop_w)
    return max(1, round(crop_h * scale)), max(1, round(crop_w * scale))


def _why_undecodable(ann: dict, image: dict, error: InputError) -> str:
    """The reason alone (the document's sentence also names the file and says what to do)."""
    try:
        decode_segmentation(ann.get("segmentation"), int(image["height"]), int(image["width"]))
    except (TypeError, ValueError) as exc:  # a record without a size ("width": null) says so in the error
        if isinstance(exc, TypeError):
            return str(error).rstrip(".")
        return str(exc).rstrip(".")
    return str(error).rstrip(".")


def _prepare(
    doc: CocoDocument,
    anns: Sequence[dict],
    locate: Optional[ImageLocator],
    raster: int,
    class_index: dict,
    old: Optional[CocoDocument] = None,
    reviews: bool = False,
) -> list:
    """Each object's crop, scaled to the tile raster; each image read once and let go at once.

    With ``old``, an object that the other file also has (same id and image) is drawn
    twice, old then new, over the same crop.
    """
    drawn = []
    for ann in anns:
        sources = [(doc, ann, "")]
        old_ann = _old_annotation(old, ann, doc) if old is not None else None
        if old_ann is not None:
            sources = [(old, old_ann, "old"), (doc, ann, "new")]
        pair = [_decode(doc, source, source_ann, role, class_index, reviews) for source, source_ann, role in sources]
        boxes = [box for _, _, box, _ in pair if box is not None]
        height, width = _known_size(doc, ann["image_id"])
        if boxes:
            union = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
        fulls = [full for _, full, _, _ in pair]
        if len(pair) == 2:
            pair[1][0].iou = _iou(fulls[0], fulls[1])
        for item, full, _box, drawn_box in pair:
            item.region = _crop_region(union, width, height) if boxes else (0, 0, width, height)
            cx0, cy0, cx1, cy1 = item.region
            item.size = _raster_size(cy1 - cy0, cx1 - cx0, raster)
            if full is not None:
                crop = full[cy0:cy1, cx0:cx1]
                item.area = int(full.sum())
                item.mask = _resize(crop.astype(np.float32), item.size)
            if drawn_box is not None:
                sy, sx = item.size[0] / (cy1 - cy0), item.size[1] / (cx1 - cx0)
                bx0, by0, bx1, by1 = drawn_box
                item.box = ((bx0 - cx0) * sx, (by0 - cy0) * sy, (bx1 - cx0) * sx, (by1 - cy0) * sy)  # pixel edges
            drawn.append(item)
        del pair, fulls  # the full-size masks go before the next object is decoded
    _read_pictures(doc, drawn, locate)
    return drawn


def _known_size(doc: CocoDocument, image_id) -> tuple:
    """(height, width) of an image record; (0, 0) when neither the record nor the image says."""
    try:
        return doc.image_size(image_id)
    except InputError:
        return 0, 0


def _decode(doc: CocoDocument, source: CocoDocument, ann: dict, role: str, class_index: dict, reviews: bool) -> tuple:
    """One tile's object: (item, full-size mask or None, its box or None, a box-only object's box or None)."""
    image = doc.image(ann["image_id"])
    item = _Drawn(ann, doc.category_name(ann["category_id"]), class_index[ann["category_id"]], str(image["file_name"]))
    item.role = role
    item.review = review_state(ann) if reviews else ""
    height, width = _known_size(doc, ann["image_id"])
    box = full = drawn_box = None
    if source.has_mask(ann["id"]):
        try:
            full = source.mask(ann["id"])
        except InputError as exc:
            item.notes.append(f"cannot decode: {_why_undecodable(ann, image, exc)}")
        else:
            rows = np.flatnonzero(full.any(axis=1))
            if rows.size:
                cols = np.flatnonzero(full.any(axis=0))
                box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            else:
                full = None
                item.notes.append("empty mask")
    else:
        item.notes.append(BOX_ONLY)
    if box is None:
        bbox = ann.get("bbox")
        if isinstance(bbox, list) and len(bbox) == 4:
            x, y, w, h = (float(v) for v in bbox)
            bx0, by0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
            bx1, by1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
            if bx1 > bx0 and by1 > by0:
                box = drawn_box = (bx0, by0, bx1, by1)
                item.box_size = f"{bx1 - bx0:.0f} x {by1 - by0:.0f}"
        if box is None and item.notes == [BOX_ONLY]:
            item.notes = ["no mask and no box on the image"]
    return item, full, box, drawn_box


def _read_pictures(doc: CocoDocument, drawn: list, locate: Optional[ImageLocator]) -> None:
    """Each tile's picture: each image read once, cropped for its tiles, and let go."""
    by_image: dict = {}
    for item in drawn:
        by_image.setdefault(item.ann["image_id"], []).append(item)
    as_stored = exif_choice(doc.images, locate) if locate is not None else None
    for image_id, items in by_image.items():
        record = doc.image(image_id)
        path = locate(record["file_name"]) if locate is not None else None
        if path is None:
            for item in items:
                item.notes.append(IMAGE_MISSING)
            continue
        try:
            try:
                expect = doc.image_size(image_id)
            except InputError:  # a record without a size: the image's own
                expect = None
            pixels = read_image(path, expect=expect, coco=doc.path, as_stored=as_stored)
        except InputError:
            for item in items:
                item.notes.append("image unreadable")
            continue
        try:
            height, width = doc.image_size(image_id)
        except InputError:
            height, width = pixels.shape[:2]
        if pixels.shape[:2] != (height, width):
            for item in items:
                item.notes.append(f"image is {pixels.shape[1]} x {pixels.shape[0]}, the file says {width} x {height}")
            continue
        for item in items:
            cx0, cy0, cx1, cy1 = item.region
            try:
                item.picture = _resize(as_rgb8(pixels[cy0:cy1, cx0:cx1]), item.size)
            except InputError:
                item.notes.append("image unreadable")
        del pixels  # one image at a time
