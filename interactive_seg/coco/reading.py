"""Reading COCO JSON into a :class:`~interactive_seg.coco.CocoDocument`: one pass, record by record.

The file is walked once (:mod:`.rawjson`); each record is checked as it comes (the common
annotation, integer ids and a compressed RLE or polygons of a known image, inline; any
other through :class:`~.checks.Checker`) and only a small index is kept: ids, which image
and class an annotation has, whether it has a mask, and each record's byte span
(:class:`~.tables.Table`). :class:`Reading` is the document's base class that does it;
:func:`load_json` and :func:`is_coco` are the plain JSON reader and test.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import InputError
from . import checks
from .checks import Checker, _finite_box
from .rawjson import Cursor, JsonError, position
from .segmentation import has_segmentation, segmentation_problem
from .tables import Table

__all__ = ["Reading", "is_coco", "load_json"]

_SHOWN = 10  # problems named in one error sentence
LISTS = ("images", "annotations", "categories")


def _name(path: Path | None) -> str:
    return repr(str(path)) if path is not None else "the COCO data"


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _path_text(file_name) -> str:
    """A ``file_name`` as a path: for a URL its path, without the host, the query and the
    fragment (``https://host/data/a.jpg?X-Amz-Signature=...`` -> ``/data/a.jpg``), or the
    path Label Studio's local files give as ``?d=`` (``/data/local-files/?d=photos/a.jpg``
    -> ``photos/a.jpg``); ``\\`` read as ``/``."""
    text = str(file_name)
    if _URL.match(text) or text.startswith("/data/local-files/?"):
        url = urlsplit(text)
        local = parse_qs(url.query).get("d") if url.path.rstrip("/").endswith("/data/local-files") else None
        text = local[0] if local else url.path
    return text.replace("\\", "/")


def _path_key(file_name: str, nfc: bool = True) -> str:
    """A file name as the index keys it: its path (a URL's, :func:`_path_text`), ``/`` for
    ``\\``, no empty or ``.`` parts (``./sub//a.png`` and ``sub/./a.png`` are ``sub/a.png``),
    one Unicode form (NFC: ``café`` decomposed, as macOS writes it, is ``café`` composed;
    not with ``nfc=False``)."""
    key = _path_text(file_name)
    key = unicodedata.normalize("NFC", key) if nfc else key
    if "//" in key or "/./" in key or key.startswith("./") or key.endswith(("/", "/.")):
        key = ("/" if key.startswith("/") else "") + "/".join(p for p in key.split("/") if p not in ("", "."))
    return key


def class_key(name) -> str:
    """A class name as categories are looked up by: one Unicode form (NFC), so ``café``
    typed composed finds the class a macOS tool stored decomposed (the record keeps its
    spelling)."""
    return unicodedata.normalize("NFC", str(name))


def _why_invalid(message: str) -> str:
    """What a JSON error says of the file: text after the JSON (two files run together, an
    editor's leftovers) is not a truncation."""
    if message.startswith("Extra data"):
        return "so something follows the JSON in it (two files run together?): remove what follows its last '}'."
    return "so it may be truncated: restore it from a backup or export it again."


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
        raise InputError(
            f"Could not read {str(path)!r} ({exc.strerror or exc}); check that it exists and is readable."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{str(path)!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}), "
            + _why_invalid(exc.msg)
        ) from None
    except RecursionError:
        raise InputError(f"{str(path)!r} nests JSON too deeply to be a COCO file; give a COCO dataset.") from None
    except InputError:
        raise
    except ValueError as exc:  # a number of thousands of digits
        raise InputError(f"{str(path)!r} holds a value JSON readers refuse ({exc}); give a COCO dataset.") from None


def is_coco(data) -> bool:
    """True when ``data`` looks like a COCO dataset: a mapping with an ``images`` list (and an
    ``annotations`` list, or none: a file where nothing is labelled yet)."""
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("images"), list)
        and isinstance(data.get("annotations", []), list)
        and ("annotations" in data or "categories" in data or bool(data["images"]))
    )


def _problems(data, strict: bool = False, thorough: bool = False) -> list:
    """Everything structurally wrong with parsed COCO data (see :func:`.checks.problems`)."""
    return checks.problems(data, strict=strict, thorough=thorough)


def _sentence(problems: list, what: str) -> str:
    shown = "; ".join(problems[:_SHOWN]) + (f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else "")
    return f"{what} has problems ({shown}); fix them and open it again."


_NO_BOX = object()


class _Seen:
    """The checker's set of annotation ids seen: the document's index itself (no second set)."""

    def __init__(self, meta: dict):
        self._meta = meta

    def __contains__(self, key) -> bool:
        return key in self._meta

    def add(self, key) -> None:
        pass


class Reading:
    """How a :class:`~interactive_seg.coco.CocoDocument` is filled from JSON bytes (its base class)."""

    def _start(self, data: bytes, path, image_size) -> None:
        self.path = Path(path) if path is not None else None
        self._image_size = image_size
        self._data = data
        self._lists = {key: Table() for key in LISTS}
        self._members: list = []  # top-level (key, value start, value end) in file order
        self._top: dict = {}  # top-level values other than the three lists (the last of a key)
        self._top_read: dict = {}  # their JSON when read, to see a change made in place
        self._top_new: list = []  # keys set that the file did not have, in order
        self._close = 0  # byte offset of the top level's closing brace
        self._images: dict = {}  # key -> record
        self._sizes: dict = {}  # key -> (height, width) found by image_size
        self._categories: dict = {}  # key -> record
        self._meta: dict = {}  # annotation key -> (image key, category key, has mask)
        self._by_image: dict = {}  # image key -> its annotation keys in file order (a short list)
        self._by_file: dict = {}
        self._by_base: dict | None = None  # base name -> ids, built when first asked
        self._category_by_name: dict = {}
        self._category_spelt: dict = {}
        self._cache: OrderedDict = OrderedDict()  # annotation key -> parsed record (untouched ones)
        self._unchecked: list = []  # annotation keys whose class is checked once 'categories' is read

    def _from_parsed(self, data, path, image_size) -> None:
        where = repr(str(path)) if path is not None else "This data"
        if not isinstance(data, Mapping):
            kind = (
                "a list (a results file of detections?)"
                if isinstance(data, list)
                else ("a string" if isinstance(data, str) else "null" if data is None else "a number or boolean")
            )
            raise InputError(
                f"{where} is JSON but not a COCO dataset (its top level is {kind}); give a COCO file with 'images' and 'annotations'."
            )
        try:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            raw = text.encode("utf-8")
        except UnicodeEncodeError:
            raw = json.dumps(data, separators=(",", ":")).encode("ascii")
        except (TypeError, ValueError, RecursionError) as exc:
            raise InputError(f"{where} holds values that are not JSON ({exc}); give parsed COCO JSON.") from None
        self._read(raw, path, image_size, label=where if path is not None else "This COCO data")

    def _read(self, data: bytes, path, image_size, label: str | None = None) -> None:
        self._start(data, path, image_size)
        label = label or f"The COCO file {_name(self.path)}"
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        checker = Checker(size_of=self._size_for_check)
        try:
            cursor = Cursor(data, start)
            if cursor.peek() != "{":
                self._not_an_object(data[start:], label)
            cursor.expect("{", "'{'")
            seen = set()
            if cursor.peek() == "}":
                cursor.expect("}", "'}'")
            else:
                while True:
                    if cursor.peek() != '"':
                        raise JsonError("Expecting property name enclosed in double quotes", cursor.pos)
                    key, _, _ = cursor.value()
                    cursor.expect(":", "':' delimiter")
                    if key in LISTS and key in seen:  # a hand-merged file: which one is meant?
                        checker.problems.append(f"'{key}' is given twice (JSON readers take the last one only)")
                    if key in LISTS and cursor.peek() == "[":
                        value_start = cursor.pos
                        self._read_list(cursor, key, checker)
                        value_end = cursor.pos
                        seen.add(key)
                    else:
                        value, value_start, value_end = cursor.value()
                        if key in LISTS:
                            seen.add(key)
                            if not (key == "categories" and value is None):
                                checker.problems.append(f"'{key}' is not a list")
                            self._lists[key] = Table()
                        else:
                            self._top[key] = value
                            self._top_read[key] = json.dumps(value)
                    self._members.append((key, value_start, value_end))
                    if key == "images":
                        checker.done_images()
                    elif key == "categories":
                        checker.done_categories()
                    if cursor.peek() == ",":
                        cursor.expect(",", "','")
                        continue
                    self._close = cursor.pos
                    cursor.expect("}", "',' delimiter")
                    break
            if not cursor.at_eof():
                raise JsonError("Extra data", cursor.pos)
        except JsonError as exc:
            if exc.message == "it is not UTF-8 text":
                raise InputError(f"{_name(self.path)} is not UTF-8 text; give a COCO JSON file.") from None
            line, column = position(data, exc.position)
            raise InputError(
                f"{_name(self.path)} is not valid JSON (line {line}, column {column}: {exc.message}), "
                + _why_invalid(exc.message)
            ) from None
        except RecursionError:
            raise InputError(
                f"{_name(self.path)} nests JSON too deeply to be a COCO file; give a COCO dataset."
            ) from None
        except InputError:  # (an InputError is a ValueError: its own sentence, not wrapped in another)
            raise
        except ValueError as exc:  # a number of thousands of digits
            raise InputError(
                f"{_name(self.path)} holds a value JSON readers refuse ({exc}); give a COCO dataset."
            ) from None
        if "images" not in seen:
            if "annotations" not in seen:
                raise InputError(
                    f"{label} is JSON but not a COCO dataset (it has no 'images' and 'annotations'); give a COCO file."
                )
            checker.problems.insert(0, "'images' is missing or not a list")
        if self._unchecked:
            for key in self._unchecked:
                category_key = self._meta[key][1]
                if category_key not in checker.categories:
                    checker.problems.append(
                        f"annotation {key!r} refers to category {category_key!r}, which is not in 'categories'"
                    )
            self._unchecked = []
        problems = checker.finish()
        if problems:
            raise InputError(_sentence(problems, label))
        self._sizes.update(
            {k: v for k, v in checker.sizes.items() if v is not None and checks.image_size(self._images[k]) is None}
        )
        self._index_category_names(list(self._categories))

    def _index_category_names(self, keys: list) -> None:
        """Name -> category key, over ``keys`` in the file's order: by the name as spelt,
        and by :func:`class_key` (one Unicode form) for a name spelt otherwise. Where the
        file names two classes alike, the one its annotations use most (the first of those
        used equally): Roboflow's exports put a placeholder ``{"id": 0, "name": "car",
        "supercategory": "none"}`` before the class ``car`` every annotation has, and new
        objects went to the placeholder."""
        spelt: dict = {}
        for key in keys:
            spelt.setdefault(str(self._categories[key]["name"]), []).append(key)
        alike: dict = {}
        for name, group in spelt.items():
            alike.setdefault(class_key(name), []).extend(group)
        uses: Counter = Counter()
        if any(len(group) > 1 for group in alike.values()):
            wanted = {key for group in alike.values() if len(group) > 1 for key in group}
            uses = Counter(meta[1] for meta in self._meta.values() if meta[1] in wanted)
        most = lambda group: max(group, key=lambda key: uses[key])  # noqa: E731 (max keeps the first of a tie)
        self._category_by_name = {name: most(group) for name, group in alike.items()}
        self._category_spelt = {name: most(group) for name, group in spelt.items()}

    def _not_an_object(self, data: bytes, label: str) -> None:
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            return  # the walk names the JSON error
        kind = (
            "a list (a results file of detections?)"
            if isinstance(value, list)
            else ("a string" if isinstance(value, str) else "null" if value is None else "a number or boolean")
        )
        raise InputError(
            f"{label} is JSON but not a COCO dataset (its top level is {kind}); give a COCO file with 'images' and 'annotations'."
        )

    def _read_list(self, cursor: Cursor, key: str, checker: Checker) -> None:
        table = Table()
        self._lists[key] = table
        first = cursor.pos
        starts, ends, order, ids = table.starts, table.ends, table.order, table.ids
        if key == "annotations":
            self._read_annotations(cursor, table, checker)
        else:
            check = checker.image if key == "images" else checker.category
            for index, (record, start, end) in enumerate(cursor.elements()):
                found = check(index, record)
                if found is not None:
                    if key == "images":
                        self._images[found] = record
                        self._by_image.setdefault(found, [])
                        self._by_file.setdefault(_path_key(record["file_name"]), []).append(found)
                    else:
                        self._categories[found] = record
                    order[found] = index
                    ids.add(found)
                starts.append(start)
                ends.append(end)
        table.span = (first, cursor.pos)

    def _read_annotations(self, cursor: Cursor, table: Table, checker: Checker) -> None:
        """The annotations: the common record (int ids, compressed RLE or polygons of a known
        image, a finite bbox) is checked inline; any other goes through the checker."""
        starts, ends, order, ids = table.starts, table.ends, table.order, table.ids
        meta, by_image = self._meta, self._by_image
        checker.seen = _Seen(meta)
        sizes, categories = checker.sizes, checker.categories
        slow = checker.annotation
        for index, (ann, start, end) in enumerate(cursor.elements()):
            starts.append(start)
            ends.append(end)
            if type(ann) is dict:
                key, image_key, category_key = ann.get("id"), ann.get("image_id"), ann.get("category_id")
                if (
                    type(key) is int
                    and type(image_key) is int
                    and type(category_key) is int
                    and key not in meta
                    and checker.images_done
                    and (category_key in categories or not checker.categories_done)
                ):
                    size = sizes.get(image_key)
                    segmentation = ann.get("segmentation")
                    if size is not None and type(segmentation) is dict and type(segmentation.get("counts")) is str:
                        fast = segmentation.get("size") == [size[0], size[1]]
                    elif size is not None and type(segmentation) is list and has_segmentation(segmentation):
                        fast = segmentation_problem(segmentation, size[0], size[1]) is None
                    else:
                        fast = False
                    box = ann.get("bbox", _NO_BOX)
                    if fast and (box is _NO_BOX or _finite_box(box)):
                        if not checker.categories_done:
                            self._unchecked.append(key)  # classes listed after the annotations: checked at the end
                        meta[key] = (image_key, category_key, True)
                        by_image[image_key].append(key)
                        order[key] = index
                        ids.add(key)
                        continue
            found = slow(index, ann)
            if found is not None:
                key, image_key, category_key = found
                meta[key] = (image_key, category_key, has_segmentation(ann.get("segmentation")))
                by_image.setdefault(image_key, []).append(key)
                order[key] = index
                ids.add(key)
