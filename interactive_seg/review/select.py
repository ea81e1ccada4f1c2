"""Which objects of a COCO file a sheet shows, and in which order (class, area, id, image, change)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..coco import CocoDocument
from ..coco.locate import same_image, size_finder
from ..coco.reading import class_key
from ..coco.segmentation import rle_counts
from ..errors import InputError
from ..model.session import DEFAULT_ANNOTATIONS
from ..model.store import read_document
from ..provenance import REVIEW_STATES, review_state


def _open(coco, images) -> tuple:
    """The document, the images' folder and the name shown on the sheet."""
    if isinstance(coco, CocoDocument):
        doc, where = coco, coco.path
        if images is None and where is None:
            raise InputError("This COCO document has no file; give the folder of its images (images=FOLDER).")
        default_dir = where.parent if where is not None else None
        label = where.name if where is not None else "the COCO document"
    else:
        doc, path = None, Path(coco)
        if path.is_dir():
            file = path / DEFAULT_ANNOTATIONS
            if not file.is_file():
                raise InputError(
                    f"The folder {str(path)!r} has no {DEFAULT_ANNOTATIONS}; annotate it with "
                    f"`interactive-seg gui {path}` first, or give the COCO file itself."
                )
            default_dir, label = path, f"{path.name}/{DEFAULT_ANNOTATIONS}"
        else:
            file, default_dir, label = path, path.parent, path.name
    if images is None:
        images_dir = default_dir
    else:
        images_dir = Path(images)
        if not images_dir.is_dir():
            what = "is a file, not a folder" if images_dir.exists() else "does not exist"
            raise InputError(
                f"The images folder {str(images_dir)!r} {what}; point --images (images= in Python) at the folder of the COCO file's images."
            )
    if doc is None:  # an image record without a size gets it from its file
        doc = read_document(file, image_size=size_finder(images_dir))
    return doc, images_dir, label


def _category_ids(doc: CocoDocument, category, label: str) -> Optional[set]:
    if category is None:
        return None
    names = [category] if isinstance(category, str) else list(category)
    if not names:
        return None
    known = [str(c["name"]) for c in doc.categories]
    wanted = set()
    for name in names:
        ids = {c["id"] for c in doc.categories if class_key(c["name"]) == class_key(name)}
        if not ids:
            listed = ", ".join(repr(k) for k in known[:20]) + (
                f" and {len(known) - 20} more" if len(known) > 20 else ""
            )
            raise InputError(
                f"There is no class {str(name)!r} in {label}; "
                + (f"its classes are {listed}." if known else "it has no classes.")
            )
        wanted |= ids
    return wanted


def _id_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


def _pixel_count(doc: CocoDocument, ann: dict) -> Optional[int]:
    """The mask's pixel count, from the RLE runs without decoding where it can; None when undecodable."""
    if not doc.has_mask(ann["id"]):
        return None
    segmentation = ann["segmentation"]
    try:
        height, width = doc.image_size(ann["image_id"])
    except InputError:
        return None
    total = height * width
    if isinstance(segmentation, dict):
        counts = segmentation.get("counts")
        if isinstance(counts, str):
            try:
                runs = rle_counts(counts)
            except ValueError:
                return None
            return int(runs[1::2].sum()) if int(runs.sum()) == total and (runs >= 0).all() else None
        if isinstance(counts, list) and sum(counts) == total:
            return int(sum(counts[1::2]))
    try:
        return int(doc.mask(ann["id"]).sum())
    except InputError:
        return None


def _review_states(review) -> Optional[set]:
    if review is None:
        return None
    states = {review} if isinstance(review, str) else set(review)
    wrong = sorted(str(s) for s in states - set(REVIEW_STATES))
    if wrong:
        raise InputError(f"The review state {wrong[0]!r} is not one of {', '.join(REVIEW_STATES)}; filter by those.")
    return states or None


def _select(doc: CocoDocument, category, sort: str, label: str, review=None) -> list:
    wanted = _category_ids(doc, category, label)
    states = _review_states(review)
    anns = [
        a
        for a in doc.annotations()
        if (wanted is None or a["category_id"] in wanted) and (states is None or review_state(a) in states)
    ]
    if sort == "id":
        return sorted(anns, key=lambda a: _id_key(a["id"]))
    image_order = {im["id"]: i for i, im in enumerate(doc.images)}
    if sort == "image":
        return sorted(anns, key=lambda a: (image_order[a["image_id"]], _id_key(a["id"])))
    if sort == "class":
        class_order = {c["id"]: i for i, c in enumerate(doc.categories)}
        return sorted(anns, key=lambda a: (class_order[a["category_id"]], image_order[a["image_id"]], _id_key(a["id"])))
    # area: smallest first (slivers and specks are the usual mistakes); box-only and
    # undecodable objects, which have no pixel count, come first of all
    areas = {id(a): _pixel_count(doc, a) for a in anns}
    return sorted(anns, key=lambda a: (areas[id(a)] is not None, areas[id(a)] or 0, _id_key(a["id"])))


def _by_change(doc: CocoDocument, old: CocoDocument, anns: list) -> list:
    """Objects by the IoU of their old and new masks, lowest first (one pair of masks decoded at a time);
    objects the other file lacks, or that cannot be compared, last."""

    def key(ann):
        before = _old_annotation(old, ann, doc)
        try:
            if before is None or not doc.has_mask(ann["id"]) or not old.has_mask(before["id"]):
                return (1, 0.0)
            return (0, _iou(old.mask(before["id"]), doc.mask(ann["id"])))
        except InputError:
            return (1, 0.0)

    keys = {id(a): key(a) for a in anns}
    return sorted(anns, key=lambda a: keys[id(a)])  # stable: ids in order among equals


def _old_annotation(old: CocoDocument, ann: dict, doc: Optional[CocoDocument] = None) -> Optional[dict]:
    """The annotation of the other file with the same id on the same image (a replayed file
    keeps ids); given ``doc`` (``ann``'s), the same image is the same photograph: its file
    name and size, not only its id (another tool may number images anew: an id alone paired
    masks of two photographs, or of two sizes, which stopped the sheet with a traceback)."""
    try:
        found = old.annotation(ann["id"])
    except InputError:
        return None
    if found.get("image_id") != ann["image_id"]:
        return None
    if doc is not None:
        try:
            then, now = old.image(found["image_id"]), doc.image(ann["image_id"])
            if not same_image(then["file_name"], now["file_name"]):
                return None
            if old.image_size(found["image_id"]) != doc.image_size(ann["image_id"]):
                return None
        except InputError:
            return None
    return found


def _iou(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[float]:
    if a is None or b is None:
        return None
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0
