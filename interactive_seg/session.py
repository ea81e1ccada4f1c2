"""A folder of images and their objects, saved as you go in one COCO file.

Opening a folder lists its images (sorted; files whose first bytes are not an image
format are listed in ``unreadable`` and skipped) without decoding any of them. Every
``add``, ``replace``, ``remove`` and class rename writes the whole COCO file atomically
(temporary file + rename), so a crash at any moment leaves the last saved state. Each
object's COCO record is encoded once when it changes; a save only dumps JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import InputError
from .export.coco import check_coco, decode_segmentation, mask_to_segmentation
from .files import read_image, write_bytes_atomic

__all__ = ["Session", "SessionObject", "DEFAULT_ANNOTATIONS", "IMAGE_SUFFIXES"]

DEFAULT_ANNOTATIONS = "annotations.coco.json"
_NEXT_ID = "interactive_seg_next_annotation_id"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".pbm", ".pgm", ".ppm"}

# first bytes of the formats OpenCV reads
_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF",
    b"\x00\x00\x00\x0cjP  ", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6",
)


def _looks_like_image(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return any(head.startswith(magic) for magic in _MAGIC)


@dataclass
class SessionObject:
    """One saved object: its annotation id, class and mask (decoded on demand)."""

    id: int
    category: str
    _session: "Session"
    _image: str

    @property
    def mask(self) -> np.ndarray:
        return self._session.mask(self.id)


class Session:
    """Images of a folder and their objects, kept in a COCO file saved after every change.

    Use :meth:`open`. Object ids are COCO annotation ids: unique across the folder and
    never reused, so they stay valid when the file is reopened.

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

    def __init__(self, folder: Path, path: Path, images: list, unreadable: list, data: dict):
        self.folder = folder
        self.path = path
        self.images = images
        self.unreadable = unreadable
        self._records = {im["file_name"]: dict(im) for im in data["images"]}
        self._categories = {str(c["name"]): int(c["id"]) for c in data["categories"]}
        self._category_records = {int(c["id"]): dict(c) for c in data["categories"]}
        self._annotations = {int(a["id"]): dict(a) for a in data["annotations"]}
        self._image_by_id = {int(im["id"]): im["file_name"] for im in data["images"]}
        self._extra = {k: v for k, v in data.items() if k not in ("images", "annotations", "categories")}
        info = self._extra.get("info") if isinstance(self._extra.get("info"), dict) else {}
        # ids are never reused, not even after a reopening: the counter is saved in "info"
        self._next_id = max(max(self._annotations, default=0) + 1, int(info.get(_NEXT_ID, 0) or 0))

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, folder, annotations=None) -> "Session":
        """Open a folder of images; ``annotations`` defaults to ``<folder>/annotations.coco.json``.

        An existing COCO file is read (and checked), never overwritten on opening; a file
        with problems is an :class:`InputError` that lists them, and is left untouched.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{str(folder)!r} is not a folder; give the folder that holds the images.")
        path = Path(annotations) if annotations is not None else folder / DEFAULT_ANNOTATIONS
        images, unreadable = [], []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if not entry.is_file() or entry.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            (images if _looks_like_image(entry) else unreadable).append(entry.name)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"The annotations {str(path)!r} cannot be read ({exc}); restore them or choose another file.") from exc
            problems = check_coco(data, segmentations=False)  # masks are decoded when they are used
            if problems:
                raise InputError(f"The annotations {str(path)!r} have problems: {'; '.join(problems[:5])}. Nothing was changed.")
        else:
            data = {"images": [], "annotations": [], "categories": []}
        return cls(folder, path, images, unreadable, data)

    # -- reading -------------------------------------------------------------------------
    @property
    def categories(self) -> dict:
        """Class name -> category id."""
        return dict(self._categories)

    def image_path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> np.ndarray:
        """Read one image of the folder (an unreadable one is moved to ``unreadable``)."""
        if name not in self.images:
            raise InputError(f"{name!r} is not an image of {str(self.folder)!r}.")
        try:
            return read_image(self.image_path(name))
        except InputError:
            self.images.remove(name)
            self.unreadable.append(name)
            raise

    def objects(self, name: str) -> list:
        """The objects of one image, in id order."""
        record = self._records.get(name)
        if record is None:
            return []
        return [
            SessionObject(i, self._category_records[a["category_id"]]["name"], self, name)
            for i, a in sorted(self._annotations.items())
            if a["image_id"] == record["id"]
        ]

    def count(self, name: str) -> int:
        record = self._records.get(name)
        return 0 if record is None else sum(1 for a in self._annotations.values() if a["image_id"] == record["id"])

    def mask(self, object_id: int) -> np.ndarray:
        ann = self._annotation(object_id)
        record = self._records[self._image_by_id[ann["image_id"]]]
        return decode_segmentation(ann["segmentation"], int(record["height"]), int(record["width"]))

    def labels(self, name: str, shape) -> tuple:
        """(label image with annotation ids as values, {id: class}) of one image."""
        labels = np.zeros(tuple(shape[:2]), np.int32)
        classes = {}
        for obj in self.objects(name):
            labels[obj.mask] = obj.id
            classes[obj.id] = obj.category
        return labels, classes

    def new_id(self) -> int:
        """Reserve an annotation id (for editors that number objects before saving them)."""
        object_id = self._next_id
        self._next_id += 1
        return object_id

    # -- changing ------------------------------------------------------------------------
    def add(self, name: str, mask, category: str, object_id: Optional[int] = None) -> int:
        """Add an object to image ``name`` and save; returns its id."""
        mask = self._check_mask(name, mask)
        if object_id is None:
            object_id = self.new_id()
        elif object_id in self._annotations:
            raise InputError(f"There is already an object {object_id}.")
        else:
            self._next_id = max(self._next_id, object_id + 1)
        record = self._image_record(name, mask.shape)
        self._annotations[object_id] = self._encode(object_id, record["id"], mask, category)
        self.save()
        return object_id

    def replace(self, object_id: int, mask=None, category: Optional[str] = None) -> None:
        """Give an object a new mask and/or class, and save."""
        ann = self._annotation(object_id)
        name = self._image_by_id[ann["image_id"]]
        if mask is not None:
            mask = self._check_mask(name, mask)
        else:
            mask = self.mask(object_id)
        category = category if category is not None else self._category_records[ann["category_id"]]["name"]
        self._annotations[object_id] = self._encode(object_id, ann["image_id"], mask, category)
        self.save()

    def remove(self, object_id: int) -> None:
        """Delete an object and save."""
        self._annotation(object_id)
        del self._annotations[object_id]
        self.save()

    def rename_class(self, old: str, new: str) -> None:
        """Rename a class everywhere (its category id stays) and save."""
        if old not in self._categories:
            raise InputError(f"There is no class {old!r}.")
        if new in self._categories:
            raise InputError(f"There is already a class {new!r}; pick another name.")
        cid = self._categories.pop(old)
        self._categories[new] = cid
        self._category_records[cid]["name"] = new
        self.save()

    def sync(self, name: str, labels: np.ndarray, classes: dict, changed=None) -> None:
        """Make image ``name``'s objects those of an instance label image (values = object ids).

        ``changed`` names the ids whose pixels or class may differ (all when None); one save.
        """
        labels = np.asarray(labels)
        record = self._image_record(name, labels.shape)
        current = {o.id for o in self.objects(name)}
        wanted = {int(k) for k in classes}
        ids = (wanted | current) if changed is None else (set(int(c) for c in changed) | (wanted ^ current))
        for object_id in ids:
            if object_id in wanted:
                mask = labels == object_id
                if mask.any():
                    self._annotations[object_id] = self._encode(object_id, record["id"], mask, classes[object_id])
                    self._next_id = max(self._next_id, object_id + 1)
                    continue
            if object_id in current:
                del self._annotations[object_id]
        self.save()

    def save(self) -> Path:
        """Write the COCO file atomically (done after every change)."""
        data = dict(self._extra)
        info = dict(data.get("info") or {}) if isinstance(data.get("info", {}), dict) else {}
        info[_NEXT_ID] = self._next_id
        data["info"] = info
        data["images"] = sorted(self._records.values(), key=lambda r: r["id"])
        data["annotations"] = [self._annotations[i] for i in sorted(self._annotations)]
        data["categories"] = [self._category_records[c] for c in sorted(self._category_records)]
        return write_bytes_atomic(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    # -- pieces --------------------------------------------------------------------------
    def _annotation(self, object_id: int) -> dict:
        if object_id not in self._annotations:
            raise InputError(f"There is no object {object_id} in this session.")
        return self._annotations[object_id]

    def _check_mask(self, name: str, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise InputError(f"A mask must be 2-D (H, W); got shape {mask.shape}.")
        record = self._records.get(name)
        if record is not None and mask.shape != (record["height"], record["width"]):
            raise InputError(f"The mask is {mask.shape} but {name!r} is {record['height']} x {record['width']}.")
        if name not in self._records and name not in self.images:
            raise InputError(f"{name!r} is not an image of {str(self.folder)!r}.")
        mask = mask.astype(bool, copy=False)
        if not mask.any():
            raise InputError("The object is empty; segment something before saving it.")
        return mask

    def _image_record(self, name: str, shape) -> dict:
        record = self._records.get(name)
        if record is None:
            image_id = max((r["id"] for r in self._records.values()), default=0) + 1
            record = {"id": image_id, "file_name": name, "width": int(shape[1]), "height": int(shape[0])}
            self._records[name] = record
            self._image_by_id[image_id] = name
        return record

    def _category_id(self, category: str) -> int:
        category = str(category)
        if category not in self._categories:
            cid = max(self._category_records, default=0) + 1
            self._categories[category] = cid
            self._category_records[cid] = {"id": cid, "name": category, "supercategory": ""}
        return self._categories[category]

    def _encode(self, object_id: int, image_id: int, mask: np.ndarray, category: str) -> dict:
        return {"id": int(object_id), "image_id": int(image_id), "category_id": self._category_id(category), "iscrowd": 0, **mask_to_segmentation(mask)}
