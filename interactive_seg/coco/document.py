"""A COCO file held whole: every key, encoding and id as read, indexed by image, saved atomically.

:class:`CocoDocument` is the one place that parses and writes COCO JSON. It keeps each
record (top level, image, category, annotation) as the dict it was read as, so a record
nobody changed is written back equal as JSON (same keys in the same order, same
segmentation encoding, same id); a changed annotation keeps every key but the ones the
change replaces. Ids may be numbers or strings, as long as references use the same ones.

Opening checks the structure cheaply (ids, references, field types, segmentation shapes)
and raises :class:`~interactive_seg.InputError` listing what is wrong; masks are decoded
only when asked for. ``area`` and ``bbox`` are the writer's business: they are read and
kept, never used to judge a file (:meth:`CocoDocument.check` with ``strict=True`` reports
them). Box-only annotations (no segmentation, ``[]`` or ``{}``, as detection files
write) are valid: they are kept, :meth:`CocoDocument.has_mask` says False for them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping, Optional, Union

import numpy as np

from ..errors import InputError
from ..files import write_bytes_atomic
from .segmentation import decode_segmentation, has_segmentation, mask_to_segmentation, segmentation_problem

__all__ = ["CocoDocument", "is_coco", "load_json"]

Id = Union[int, str]
_SHOWN = 10  # problems named in one error sentence
_LISTS = ("images", "annotations", "categories")


def _is_id(value) -> bool:
    kind = type(value)
    if kind is int or kind is str:  # the JSON case, fast
        return True
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def _is_record(value) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


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
        elif not _finite_number(v):
            return False
    return True


def _whole(value) -> bool:
    """A whole number: an int, or a float with no fraction (JSON writers differ)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value == int(value)


def _finite_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2**63 if isinstance(value, int) else math.isfinite(value)


def _name(path: Optional[Path]) -> str:
    return repr(str(path)) if path is not None else "the COCO data"


def _path_key(file_name: str) -> str:
    """A file name as the index keys it: ``/`` for ``\\``, no leading ``./``."""
    key = str(file_name).replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key


def load_json(path) -> Any:
    """Parse a JSON file (a UTF-8 byte-order mark is allowed); InputError when it cannot be."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"There is no COCO file at {str(path)!r}; check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{str(path)!r} is a folder; give the COCO .json file inside it.") from None
    except UnicodeDecodeError:
        raise InputError(f"{str(path)!r} is not UTF-8 text; give a COCO JSON file.") from None
    except OSError as exc:
        raise InputError(f"Could not read {str(path)!r} ({exc.strerror or exc}); check that it exists and is readable.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{str(path)!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}), "
            "so it may be truncated: restore it from a backup or export it again."
        ) from None
    except RecursionError:
        raise InputError(f"{str(path)!r} nests JSON too deeply to be a COCO file; give a COCO dataset.") from None
    except ValueError as exc:  # a number of thousands of digits
        raise InputError(f"{str(path)!r} holds a value JSON readers refuse ({exc}); give a COCO dataset.") from None


def is_coco(data) -> bool:
    """True when ``data`` looks like a COCO dataset: a mapping with ``images`` and ``annotations`` lists."""
    return isinstance(data, Mapping) and isinstance(data.get("images"), list) and isinstance(data.get("annotations"), list)


def _problems(data, strict: bool = False, thorough: bool = False) -> list:
    """Everything structurally wrong with parsed COCO data (one phrase each, no final stop).

    ``thorough`` adds what only decoding would find (RLE runs, polygons too long to draw);
    ``strict`` adds ``area``/``bbox`` that disagree with the decoded masks.
    """
    if isinstance(data, list):
        return ["its top level is a list (a results file of detections?), not a COCO dataset with 'images' and 'annotations'"]
    if not isinstance(data, Mapping):
        return ["its top level is not a JSON object with 'images', 'annotations' and 'categories'"]
    problems = []
    for key in ("images", "annotations"):
        if not isinstance(data.get(key), list):
            problems.append(f"'{key}' is missing or not a list")
    if data.get("categories") is not None and not isinstance(data["categories"], list):
        problems.append("'categories' is not a list")
    if problems:
        return problems
    images = {}
    for i, image in enumerate(data["images"]):
        where = f"images[{i}]"
        if not _is_record(image):
            problems.append(f"{where} is not an object")
            continue
        missing = [k for k in ("id", "file_name", "width", "height") if k not in image]
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
            continue
        if not _is_id(image["id"]):
            problems.append(f"{where} has the id {image['id']!r}; ids must be whole numbers or strings")
            continue
        if not isinstance(image["file_name"], str) or not image["file_name"]:
            problems.append(f"image {image['id']!r} has the file_name {image['file_name']!r}, which is not a file name")
        for key in ("width", "height"):
            value = image[key]
            if not _whole(value) or not 1 <= value <= 2**31:
                problems.append(f"image {image['id']!r} has the {key} {value!r}; it must be a whole number of pixels")
        if image["id"] in images:
            problems.append(f"the image id {image['id']!r} is used twice")
        images[image["id"]] = image
    categories = {}
    for i, category in enumerate(data.get("categories") or []):
        if not _is_record(category) or "id" not in category or "name" not in category:
            problems.append(f"categories[{i}] lacks an id or a name")
            continue
        if not _is_id(category["id"]):
            problems.append(f"categories[{i}] has the id {category['id']!r}; ids must be whole numbers or strings")
            continue
        if category["id"] in categories:
            problems.append(f"the category id {category['id']!r} is used twice")
        categories[category["id"]] = category
    seen = set()
    for i, ann in enumerate(data["annotations"]):
        if not _is_record(ann):
            problems.append(f"annotations[{i}] is not an object")
            continue
        if "id" not in ann or "image_id" not in ann or "category_id" not in ann:
            missing = [k for k in ("id", "image_id", "category_id") if k not in ann]
            problems.append(f"annotations[{i}] lacks {', '.join(missing)}")
            continue
        if not (_is_id(ann["id"]) and _is_id(ann["image_id"]) and _is_id(ann["category_id"])):
            problems.append(f"annotations[{i}] has an id, image_id or category_id that is neither a whole number nor a string")
            continue
        if ann["id"] in seen:
            problems.append(f"the annotation id {ann['id']!r} is used twice")
        seen.add(ann["id"])
        if ann["category_id"] not in categories:
            problems.append(f"annotation {ann['id']!r} refers to category {ann['category_id']!r}, which is not in 'categories'")
        image = images.get(ann["image_id"])
        if image is None:
            problems.append(f"annotation {ann['id']!r} refers to image {ann['image_id']!r}, which is not in 'images'")
            continue
        if _whole(image["width"]) and _whole(image["height"]):
            problem = segmentation_problem(ann.get("segmentation"), int(image["height"]), int(image["width"]), thorough=thorough)
            if problem:
                problems.append(f"annotation {ann['id']!r} cannot be decoded: {problem}")
        if "bbox" in ann and not _finite_box(ann["bbox"]):
            problems.append(f"annotation {ann['id']!r} has the bbox {ann['bbox']!r}; a bbox is four finite numbers [x, y, width, height]")
    if strict and not problems:
        problems += _strict_problems(data, images)
    return problems


def _strict_problems(data, images) -> list:
    """``area`` and ``bbox`` against the decoded segmentation (a report, not a reason to refuse)."""
    from ..masks import bbox as tight_box

    problems = []
    for ann in data["annotations"]:
        if not has_segmentation(ann.get("segmentation")):
            continue
        image = images[ann["image_id"]]
        try:
            mask = decode_segmentation(ann["segmentation"], int(image["height"]), int(image["width"]))
        except ValueError as exc:
            problems.append(f"annotation {ann['id']!r} cannot be decoded: {exc}")
            continue
        area = int(mask.sum())
        if _finite_number(ann.get("area")):
            if abs(float(ann["area"]) - area) > max(1.0, 0.01 * area):
                problems.append(f"annotation {ann['id']!r} has the area {ann['area']} but its segmentation covers {area} pixels")
        if isinstance(ann.get("bbox"), list) and len(ann["bbox"]) == 4:
            box = tight_box(mask)
            expected = [0, 0, 0, 0] if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]
            if any(abs(float(g) - e) > 1.0 for g, e in zip(ann["bbox"], expected)):
                problems.append(f"annotation {ann['id']!r} has the bbox {ann['bbox']} but its segmentation spans {expected}")
    return problems


def _sentence(problems: list, what: str) -> str:
    shown = "; ".join(problems[:_SHOWN]) + (f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else "")
    return f"{what} has problems ({shown}); fix them and open it again."


def _new_id(used: Iterable[Id], at_least: int = 1) -> Id:
    """A fresh id: after the largest number used; a number written as text where ids are text."""
    numbers, texts = [], []
    for u in used:
        (numbers if isinstance(u, int) else texts).append(u)
    if texts and not numbers:
        taken = set(texts)
        digits = [int(t) for t in texts if t.isdigit() and len(t) < 19]
        candidate = max(max(digits, default=0) + 1, at_least)
        while str(candidate) in taken:
            candidate += 1
        return str(candidate)
    return max(max(numbers, default=0) + 1, at_least)


class CocoDocument:
    """A COCO dataset held losslessly, indexed by image, changed in place and saved atomically.

    Build one with :meth:`open` (a file), :meth:`from_data` (parsed JSON) or
    ``CocoDocument()`` (empty). Records are plain dicts; read them, but change them only
    through the methods here so the indexes stay true.

    Examples
    --------
    >>> doc = CocoDocument()
    >>> image = doc.add_image("a.png", width=5, height=4)
    >>> mask = np.zeros((4, 5), bool); mask[1:3, 1:3] = True
    >>> ann = doc.add_annotation(image["id"], mask, "cat", attributes={"occluded": False})
    >>> ann["id"], doc.category_name(ann["category_id"]), int(doc.mask(ann["id"]).sum())
    (1, 'cat', 4)
    >>> doc.update_annotation(ann["id"], category="dog")["attributes"]
    {'occluded': False}
    """

    def __init__(self, data: Optional[Mapping] = None, path=None):
        self._load({"images": [], "annotations": [], "categories": []} if data is None else data, path)

    def _load(self, data, path) -> None:
        self.path = Path(path) if path is not None else None
        problems = _problems(data)
        if problems:
            where = repr(str(self.path)) if self.path else "This data"
            if not isinstance(data, Mapping):
                kind = "a list (a results file of detections?)" if isinstance(data, list) else (
                    "a string" if isinstance(data, str) else "null" if data is None else "a number or boolean"
                )
                raise InputError(f"{where} is JSON but not a COCO dataset (its top level is {kind}); give a COCO file with 'images' and 'annotations'.")
            if not any(k in data for k in ("images", "annotations")):
                raise InputError(f"{where} is JSON but not a COCO dataset (it has no 'images' and 'annotations'); give a COCO file.")
            raise InputError(_sentence(problems, f"The COCO file {_name(self.path)}" if self.path else "This COCO data"))
        # top-level keys in their order; the three lists are rebuilt from the indexes on save
        self._top = dict(data)
        self._images = {im["id"]: im for im in data["images"]}
        self._categories = {c["id"]: c for c in (data.get("categories") or [])}
        self._annotations = {a["id"]: a for a in data["annotations"]}
        self._by_image: dict = {image_id: {} for image_id in self._images}
        for ann in self._annotations.values():
            self._by_image[ann["image_id"]][ann["id"]] = None  # an ordered set of ids
        self._by_file: dict = {}
        for image in self._images.values():
            self._by_file.setdefault(_path_key(image["file_name"]), []).append(image["id"])
        self._by_base: Optional[dict] = None  # base name -> ids, built when first asked
        self._category_by_name: dict = {}
        for category in self._categories.values():
            self._category_by_name.setdefault(str(category["name"]), category["id"])

    def __repr__(self) -> str:
        return (
            f"CocoDocument({_name(self.path)}: {len(self._images)} images, "
            f"{len(self._annotations)} annotations, {len(self._categories)} categories)"
        )

    # -- opening and saving --------------------------------------------------------------
    @classmethod
    def open(cls, path) -> "CocoDocument":
        """Read a COCO file; :class:`InputError` listing its problems when it is not one we can use."""
        path = Path(path)
        return cls.from_data(load_json(path), path=path)

    @classmethod
    def from_data(cls, data, path=None) -> "CocoDocument":
        """A document over already parsed COCO data (a dict); the dicts are taken, not copied."""
        document = cls.__new__(cls)
        document._load(data, path)
        return document

    def to_data(self) -> dict:
        """The dataset as a dict, in the order read (new records last), ready for ``json.dumps``."""
        out = {}
        for key, value in self._top.items():
            if key == "images":
                value = list(self._images.values())
            elif key == "annotations":
                value = list(self._annotations.values())
            elif key == "categories":
                value = list(self._categories.values())
            out[key] = value
        if "categories" not in out and self._categories:  # a file without them that now has classes
            out["categories"] = list(self._categories.values())
        return out

    def dumps(self) -> bytes:
        """The document as UTF-8 JSON bytes (non-ASCII kept as it is; values read as NaN stay NaN)."""
        data = self.to_data()
        try:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate read from a \ud800 escape: written back escaped, as read
            return json.dumps(data, separators=(",", ":")).encode("ascii")

    def save(self, path=None) -> Path:
        """Write the whole file atomically (temporary file beside it, then rename); returns the path."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("This COCO document has no file yet; give save() a path.")
        written = write_bytes_atomic(target, self.dumps())
        if self.path is None:
            self.path = target
        return written

    def check(self, *, strict: bool = False) -> list:
        """Problems as sentences (empty when there are none).

        Beyond what opening checks, every segmentation is checked as far as decoding it
        would (RLE runs, polygon sizes) without building masks; with ``strict`` also
        ``area`` and ``bbox`` that disagree with the decoded mask by more than 1 % / 1 px
        (a report: other writers store a polygon's own area and extent, which is fine).
        """
        return [p[0].upper() + p[1:] + "." for p in _problems(self.to_data(), strict=strict, thorough=True)]

    # -- top level -----------------------------------------------------------------------
    def get(self, key: str, default=None):
        """A top-level entry other than the three lists (``info``, ``licenses``, ...)."""
        if key in _LISTS:
            raise InputError(f"Read '{key}' through the document's methods.")
        return self._top.get(key, default)

    def set(self, key: str, value) -> None:
        """Set a top-level entry other than the three lists (kept in place when it exists)."""
        if key in _LISTS:
            raise InputError(f"Change '{key}' through the document's methods.")
        self._top[key] = value

    # -- images --------------------------------------------------------------------------
    @property
    def images(self) -> list:
        """Image records in file order."""
        return list(self._images.values())

    def image(self, image_id: Id) -> dict:
        try:
            return self._images[image_id]
        except (KeyError, TypeError):
            raise InputError(f"There is no image with the id {image_id!r} in {_name(self.path)}; use an id of its 'images'.") from None

    def find_images(self, file_name: str) -> list:
        """Image records for ``file_name``: those with that path, else those with that base name.

        Paths compare with ``/`` and ``\\`` alike. Several records may share one path (the
        file is kept as it is); an empty list when none matches; an :class:`InputError`
        when records of different paths have that base name and none has the path.
        """
        key = _path_key(file_name)
        ids = self._by_file.get(key)
        if not ids:
            base = PurePosixPath(key).name
            if self._by_base is None:
                self._by_base = {}
                for path_key, path_ids in self._by_file.items():
                    self._by_base.setdefault(PurePosixPath(path_key).name, []).extend(path_ids)
            ids = self._by_base.get(base, [])
            paths = {_path_key(self._images[i]["file_name"]) for i in ids}
            if len(paths) > 1:
                shown = ", ".join(repr(p) for p in sorted(paths)[:3])
                raise InputError(
                    f"{len(paths)} images of {_name(self.path)} are called {base!r} ({shown}); "
                    "name the image by its path in the file."
                )
        return [self._images[i] for i in ids]

    def find_image(self, file_name: str) -> Optional[dict]:
        """The image record for ``file_name`` (the first of :meth:`find_images`), or None."""
        found = self.find_images(file_name)
        return found[0] if found else None

    def add_image(self, file_name: str, width: int, height: int, *, id: Optional[Id] = None, **extra) -> dict:
        """Add an image record (a new id unless one is given) and return it."""
        if not isinstance(file_name, (str, Path)) or not str(file_name):
            raise InputError(f"An image needs a file name; got {file_name!r}.")
        if not _whole(width) or not _whole(height) or not (1 <= width <= 2**31 and 1 <= height <= 2**31):
            raise InputError(f"An image's width and height are whole numbers of pixels; got {width!r} x {height!r}.")
        if id is None:
            id = _new_id(self._images)
        elif not _is_id(id) or id in self._images:
            raise InputError(f"The image id {id!r} is taken or not a number or text; leave it out for a new one.")
        record = {"id": id, "file_name": str(file_name), "width": int(width), "height": int(height), **extra}
        self._images[id] = record
        self._by_image[id] = {}
        self._by_file.setdefault(_path_key(record["file_name"]), []).append(id)
        self._by_base = None
        return record

    def remove_image(self, image_id: Id) -> None:
        """Remove an image record and its annotations."""
        record = self.image(image_id)
        for ann_id in list(self._by_image[image_id]):
            del self._annotations[ann_id]
        del self._by_image[image_id]
        del self._images[image_id]
        key = _path_key(record["file_name"])
        self._by_file[key].remove(image_id)
        if not self._by_file[key]:
            del self._by_file[key]
        self._by_base = None

    # -- categories ----------------------------------------------------------------------
    @property
    def categories(self) -> list:
        """Category records in file order."""
        return list(self._categories.values())

    def category_name(self, category_id: Id) -> str:
        try:
            return str(self._categories[category_id]["name"])
        except (KeyError, TypeError):
            raise InputError(f"There is no category with the id {category_id!r} in {_name(self.path)}; use an id of its 'categories'.") from None

    def category_id(self, name: str, *, create: bool = False) -> Optional[Id]:
        """The id of the class called ``name`` (the first, if the file names two alike); new with ``create``."""
        name = str(name)
        if name in self._category_by_name:
            return self._category_by_name[name]
        if not create:
            return None
        return self.add_category(name)["id"]

    def add_category(self, name: str, *, id: Optional[Id] = None, supercategory: str = "", **extra) -> dict:
        """Add a class (a new id unless one is given) and return its record."""
        name = str(name)
        if not name.strip():
            raise InputError("A class name cannot be empty; name the class.")
        if name in self._category_by_name:
            raise InputError(f"There is already a class {name!r}; pick another name.")
        if id is None:
            id = _new_id(self._categories)
        elif not _is_id(id) or id in self._categories:
            raise InputError(f"The category id {id!r} is taken or not a number or text; leave it out for a new one.")
        record = {"id": id, "name": name, "supercategory": supercategory, **extra}
        self._categories[id] = record
        self._category_by_name[name] = id
        return record

    def rename_category(self, old: str, new: str) -> None:
        """Rename a class (its id and every other key stay)."""
        old, new = str(old), str(new)
        if old not in self._category_by_name:
            raise InputError(f"There is no class {old!r}; rename one of {sorted(self._category_by_name)[:10]}.")
        if not new.strip():
            raise InputError("A class name cannot be empty; name the class.")
        if new in self._category_by_name:
            raise InputError(f"There is already a class {new!r}; pick another name.")
        cid = self._category_by_name.pop(old)
        self._categories[cid]["name"] = new
        self._category_by_name[new] = cid

    # -- whole records (a journal's replay, a failed change's rollback) -----------------------
    def annotation_ids(self, image_id: Optional[Id] = None) -> list:
        """Annotation ids of one image (file order), or of the whole file, without reading the records."""
        if image_id is None:
            return list(self._annotations)
        self.image(image_id)
        return list(self._by_image[image_id])

    def meta(self, ann_id: Id) -> tuple:
        """``(image_id, category_id, has_mask)`` of one annotation."""
        ann = self.annotation(ann_id)
        return ann["image_id"], ann["category_id"], has_segmentation(ann.get("segmentation"))

    def put_image(self, record: Mapping) -> dict:
        """Insert an image record, or replace the one with its id (in place); its annotations stay."""
        record = dict(record)
        old = self._images.get(record["id"])
        if old is not None:
            key = _path_key(old["file_name"])
            self._by_file[key].remove(old["id"])
            if not self._by_file[key]:
                del self._by_file[key]
        else:
            self._by_image[record["id"]] = {}
        self._images[record["id"]] = record
        self._by_file.setdefault(_path_key(record["file_name"]), []).append(record["id"])
        self._by_base = None
        return record

    def put_category(self, record: Mapping) -> dict:
        """Insert a category record, or replace the one with its id (in place)."""
        record = dict(record)
        old = self._categories.get(record["id"])
        if old is not None and self._category_by_name.get(str(old["name"])) == old["id"]:
            del self._category_by_name[str(old["name"])]
        self._categories[record["id"]] = record
        self._category_by_name = {}
        for category in self._categories.values():
            self._category_by_name.setdefault(str(category["name"]), category["id"])
        return record

    def remove_category(self, category_id: Id) -> dict:
        """Delete a category record no annotation uses (a rolled-back new class); returns it."""
        record = self._categories.pop(category_id)
        self._category_by_name = {}
        for category in self._categories.values():
            self._category_by_name.setdefault(str(category["name"]), category["id"])
        return record

    def put_annotation(self, record: Mapping) -> dict:
        """Insert an annotation record, or replace the one with its id (in place); its image must be there."""
        record = dict(record)
        self.image(record["image_id"])
        old = self._annotations.get(record["id"])
        if old is not None and old["image_id"] != record["image_id"]:
            del self._by_image[old["image_id"]][record["id"]]
        self._annotations[record["id"]] = record
        self._by_image[record["image_id"]][record["id"]] = None
        return record

    def delete(self, key: str) -> None:
        """Remove a top-level entry other than the three lists (nothing when it is not there)."""
        if key in _LISTS:
            raise InputError(f"Change '{key}' through the document's methods.")
        self._top.pop(key, None)

    # -- annotations ---------------------------------------------------------------------
    def annotations(self, image_id: Optional[Id] = None) -> list:
        """Annotation records of one image (file order), or of all images."""
        if image_id is None:
            return list(self._annotations.values())
        self.image(image_id)
        return [self._annotations[a] for a in self._by_image[image_id]]

    def count(self, image_id: Optional[Id] = None) -> int:
        """How many annotations an image has, or the whole file (no scan)."""
        if image_id is None:
            return len(self._annotations)
        try:
            return len(self._by_image.get(image_id, ()))
        except TypeError:  # an unhashable id names no image
            return 0

    def annotation(self, ann_id: Id) -> dict:
        try:
            return self._annotations[ann_id]
        except (KeyError, TypeError):
            raise InputError(f"There is no annotation {ann_id!r} in {_name(self.path)}; use an id of its 'annotations'.") from None

    def has_mask(self, ann_id: Id) -> bool:
        """False for box-only annotations (no segmentation, or an empty one)."""
        return has_segmentation(self.annotation(ann_id).get("segmentation"))

    def mask(self, ann_id: Id) -> np.ndarray:
        """One annotation's mask, decoded now; :class:`InputError` naming the annotation when it cannot be."""
        ann = self.annotation(ann_id)
        image = self._images[ann["image_id"]]
        try:
            return decode_segmentation(ann.get("segmentation"), int(image["height"]), int(image["width"]))
        except ValueError as exc:
            raise InputError(
                f"Annotation {ann_id!r} (image {image['file_name']!r}) of {_name(self.path)} cannot be decoded "
                f"({exc}); fix or remove it."
            ) from None

    def new_annotation_id(self, at_least: int = 1) -> Id:
        """A fresh annotation id (after the largest used, and at least ``at_least``)."""
        return _new_id(self._annotations, at_least)

    def add_annotation(
        self,
        image_id: Id,
        mask,
        category: str,
        *,
        id: Optional[Id] = None,
        polygons: bool = False,
        offset=None,
        **extra,
    ) -> dict:
        """Add an object to an image and return its record.

        ``mask`` is the image's size, or a crop at ``offset`` (x0, y0); ``category`` a class
        name (created when new); ``extra`` keys go into the record after the standard ones.
        """
        image = self.image(image_id)
        if id is not None and (not _is_id(id) or id in self._annotations):
            raise InputError(f"The annotation id {id!r} is taken or not a number or text; leave it out for a new one.")
        fields = self._fields(image, mask, polygons, offset)
        if id is None:
            id = self.new_annotation_id()
        record = {"id": id, "image_id": image_id, "category_id": self.category_id(category, create=True), "iscrowd": 0, **fields, **extra}
        self._annotations[id] = record
        self._by_image[image_id][id] = None
        return record

    def update_annotation(
        self, ann_id: Id, *, mask=None, category: Optional[str] = None, polygons: Optional[bool] = None, offset=None, **extra
    ) -> dict:
        """Give an object a new mask and/or class (and set ``extra`` keys); every other key stays.

        A new mask replaces ``segmentation``, ``area`` and ``bbox``; it is written as
        polygons when the old one was (and polygons are faithful), RLE otherwise, unless
        ``polygons`` says.
        """
        ann = self.annotation(ann_id)
        for key in ("id", "image_id", "category_id"):
            if key in extra:
                raise InputError(f"An annotation's {key!r} cannot be changed here; use category= for its class.")
        fields = {}
        if mask is not None:
            if polygons is None:
                polygons = isinstance(ann.get("segmentation"), list) and len(ann["segmentation"]) > 0
            fields = self._fields(self._images[ann["image_id"]], mask, polygons, offset)
        category_id = self.category_id(category, create=True) if category is not None else None
        # everything is checked: now change the record
        ann.update(fields)
        if category_id is not None:
            ann["category_id"] = category_id
        ann.update(extra)
        return ann

    def remove_annotation(self, ann_id: Id) -> dict:
        """Delete an object; returns its record."""
        ann = self.annotation(ann_id)
        del self._annotations[ann_id]
        del self._by_image[ann["image_id"]][ann_id]
        return ann

    def _fields(self, image: dict, mask, polygons: bool, offset) -> dict:
        mask = np.asarray(mask)
        height, width = int(image["height"]), int(image["width"])
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
            return mask_to_segmentation(mask, polygons=bool(polygons), offset=offset, shape=(height, width) if offset is not None else None)
        except (TypeError, ValueError) as exc:
            raise InputError(f"The mask does not fit {image['file_name']!r} ({exc}); give the crop's (x0, y0) inside the image.") from None
