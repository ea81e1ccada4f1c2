"""A COCO file held losslessly and leanly: every record as read, indexed by image, saved atomically.

:class:`CocoDocument` is the one place that parses and writes COCO JSON. Opening reads
the file once, record by record (:mod:`.rawjson`), checks each record and keeps only a
small index (ids, which image and class an annotation has, whether it has a mask) and
where each record's text lies in the file: half a million annotations take a few seconds
and about the file's size in memory. A record nobody changed through the document's
methods is written back as the exact bytes it was read as (spaces, key order, escapes,
number text such as ``1.50`` or ``1e400``); a changed record keeps every key but the ones
the change replaces, and is never written with a ``NaN`` or ``Infinity`` token.
Ids may be numbers (``1.0`` is the id 1) or strings, as long as references use the same.

Opening checks the structure cheaply (ids, references, field types, segmentation shapes)
and raises :class:`~interactive_seg.InputError` listing what is wrong; records are parsed
again when asked for and masks decoded only when asked for. ``area`` and ``bbox`` are the
writer's business: they are read and kept, never used to judge a file
(:meth:`CocoDocument.check` with ``strict=True`` reports them). Box-only annotations (no
segmentation, ``[]`` or ``{}``, as detection files write) are valid: they are kept,
:meth:`CocoDocument.has_mask` says False for them. An image without ``width`` and
``height`` (or with null ones, as Label Studio writes) is valid too: its size comes from
the ``image_size`` function given to :meth:`CocoDocument.open` when a mask needs it.
"""

from __future__ import annotations

import json
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from ..errors import InputError
from ..files import open_atomic
from . import checks
from .checks import Checker, _finite_box, id_key, is_id, whole
from .rawjson import Cursor, JsonError, encode_record, position
from .segmentation import (
    decode_segmentation,
    has_segmentation,
    mask_to_segmentation,
    segmentation_problem,
)

__all__ = ["CocoDocument", "is_coco", "load_json"]

Id = Union[int, str]
_SHOWN = 10  # problems named in one error sentence
_LISTS = ("images", "annotations", "categories")
_CACHED = 4096  # annotation records kept parsed after they were asked for


def _name(path: Path | None) -> str:
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
        raise InputError(
            f"Could not read {str(path)!r} ({exc.strerror or exc}); check that it exists and is readable."
        ) from None
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


class _Ids:
    """New ids in O(1): after the largest number ever used; a number as text where ids are text."""

    __slots__ = ("largest", "numbers", "text_largest")

    def __init__(self):
        self.numbers, self.largest, self.text_largest = 0, 0, 0

    def add(self, key) -> None:
        if isinstance(key, int):
            self.numbers += 1
            self.largest = max(self.largest, key)
        elif key.isdigit() and len(key) < 19 and int(key) > self.text_largest:
            self.text_largest = int(key)

    def remove(self, key) -> None:
        if isinstance(key, int):
            self.numbers -= 1

    def new(self, taken, at_least: int = 1) -> Id:
        if self.numbers == 0 and len(taken):
            candidate = max(self.text_largest + 1, at_least)
            while str(candidate) in taken:
                candidate += 1
            return str(candidate)
        return max(self.largest + 1, at_least)


class _List:
    """One of the three lists as read: each original element's byte span, and the ids in order.

    ``order`` maps an id to the index of its original element (written back as read) or
    to the record dict that replaces it. ``origin`` keeps the original index of a changed
    record (its text lends a ``1e400`` back when it is written).
    """

    __slots__ = ("ends", "ids", "order", "origin", "span", "starts")

    def __init__(self):
        self.span: tuple | None = None  # the list's bytes in the file, '[' to ']'
        self.starts, self.ends = array("q"), array("q")
        self.order: dict = {}
        self.origin: dict = {}
        self.ids = _Ids()

    def raw(self, data, index: int) -> bytes:
        return data[self.starts[index] : self.ends[index]]

    def change(self, key, record: dict) -> None:
        slot = self.order.get(key)
        if type(slot) is int:
            self.origin[key] = slot
        if key not in self.order:
            self.ids.add(key)
        self.order[key] = record

    def remove(self, key) -> None:
        slot = self.order.pop(key)
        if type(slot) is int:
            self.origin.pop(key, None)
        self.ids.remove(key)

    def original_text(self, data, key) -> bytes | None:
        slot = self.order.get(key)
        index = slot if type(slot) is int else self.origin.get(key)
        return None if index is None or data is None else self.raw(data, index)

    def changed(self) -> bool:
        if self.span is None:
            return bool(self.order)
        if len(self.order) != len(self.starts):
            return True
        for n, slot in enumerate(self.order.values()):
            if slot != n or type(slot) is not int:
                return True
        return False

    def write(self, out, data: bytes | None, encode) -> None:
        """The list as JSON: runs of untouched neighbours as one slice of the original bytes."""
        count = len(self.starts)
        separator = data[self.ends[0] : self.starts[1]] if count > 1 else b","
        if count:
            out.write(data[self.span[0] : self.starts[0]])
        else:
            out.write(b"[")
        run_first = run_last = -1
        first = True
        for key, slot in self.order.items():
            if type(slot) is int and slot == run_last + 1 and run_last >= 0:
                run_last = slot
                continue
            if run_last >= 0:
                out.write(memoryview(data)[self.starts[run_first] : self.ends[run_last]])
                run_first = run_last = -1
            if not first:
                out.write(separator)
            first = False
            if type(slot) is int:
                run_first = run_last = slot
            else:
                out.write(encode(self, key, slot))
        if run_last >= 0:
            out.write(memoryview(data)[self.starts[run_first] : self.ends[run_last]])
        if count:
            out.write(data[self.ends[count - 1] : self.span[1]])
        else:
            out.write(b"]")


class CocoDocument:
    """A COCO dataset held losslessly, indexed by image, changed in place and saved atomically.

    Build one with :meth:`open` (a file), :meth:`from_data` (parsed JSON) or
    ``CocoDocument()`` (empty). Records are plain dicts; read them, but change them only
    through the methods here: a record changed otherwise is written back as it was read.

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

    def __init__(self, data: Mapping | None = None, path=None, *, image_size: Callable | None = None):
        if data is None:
            self._start(b'{"images":[],"annotations":[],"categories":[]}', None, image_size)
            self._data = None  # nothing was read: every record is written from its dict
            self.path = Path(path) if path is not None else None
        else:
            self._from_parsed(data, path, image_size)

    # -- reading ---------------------------------------------------------------------------
    def _start(self, data: bytes, path, image_size) -> None:
        self.path = Path(path) if path is not None else None
        self._image_size = image_size
        self._data = data
        self._lists = {key: _List() for key in _LISTS}
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
                    if key in _LISTS and cursor.peek() == "[":
                        value_start = cursor.pos
                        self._read_list(cursor, key, checker)
                        value_end = cursor.pos
                        seen.add(key)
                    else:
                        value, value_start, value_end = cursor.value()
                        if key in _LISTS:
                            seen.add(key)
                            if not (key == "categories" and value is None):
                                checker.problems.append(f"'{key}' is not a list")
                            self._lists[key] = _List()
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
                "so it may be truncated: restore it from a backup or export it again."
            ) from None
        except RecursionError:
            raise InputError(
                f"{_name(self.path)} nests JSON too deeply to be a COCO file; give a COCO dataset."
            ) from None
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
        for category in self._categories.values():
            self._category_by_name.setdefault(str(category["name"]), id_key(category["id"]))

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
        table = _List()
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

    def _read_annotations(self, cursor: Cursor, table: _List, checker: Checker) -> None:
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
                    elif size is not None and type(segmentation) is list and segmentation:
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

    def _size_for_check(self, image_key, record) -> tuple | None:
        if self._image_size is None:
            return None
        return self._ask_size(image_key, record, quiet=True)

    def _ask_size(self, image_key, record, quiet: bool = False) -> tuple | None:
        if image_key in self._sizes:
            return self._sizes[image_key]
        size = None
        if self._image_size is not None:
            try:
                size = self._image_size(record)
            except InputError:
                size = None
        if size is not None:
            height, width = (int(v) for v in size)
            size = (height, width)
            self._sizes[image_key] = size
        return size

    def __repr__(self) -> str:
        return (
            f"CocoDocument({_name(self.path)}: {len(self._images)} images, "
            f"{len(self._meta)} annotations, {len(self._categories)} categories)"
        )

    # -- opening and saving --------------------------------------------------------------
    @classmethod
    def open(cls, path, *, image_size: Callable | None = None) -> CocoDocument:
        """Read a COCO file; :class:`InputError` listing its problems when it is not one we can use.

        Parameters
        ----------
        path : path-like
            The COCO JSON file (a UTF-8 byte-order mark is allowed and kept).
        image_size : callable, optional
            ``image_size(record) -> (height, width)`` or None, called for an image record
            whose ``width`` or ``height`` is missing or null, when a mask of that image is
            checked, decoded or added (a session passes one that reads the image's header).
            The record itself is written back as it was read.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"There is no COCO file at {str(path)!r}; check the path.") from None
        except IsADirectoryError:
            raise InputError(f"{str(path)!r} is a folder; give the COCO .json file inside it.") from None
        except OSError as exc:
            raise InputError(
                f"Could not read {str(path)!r} ({exc.strerror or exc}); check that it exists and is readable."
            ) from None
        document = cls.__new__(cls)
        document._read(data, path, image_size)
        return document

    @classmethod
    def from_data(cls, data, path=None, *, image_size: Callable | None = None) -> CocoDocument:
        """A document over already parsed COCO data (a dict), as if read from its JSON."""
        document = cls.__new__(cls)
        document._from_parsed(data, path, image_size)
        return document

    def to_data(self) -> dict:
        """The dataset as a dict, in the order read (new records last), ready for ``json.dumps``."""
        return json.loads(self.dumps())

    def _encode(self, table: _List, key, record) -> bytes:
        try:
            return encode_record(record, table.original_text(self._data, key))
        except ValueError as exc:
            raise InputError(
                f"The record {key!r} holds a value JSON cannot hold ({exc}); give finite numbers."
            ) from None

    def _top_text(self, key) -> bytes | None:
        """The text a top-level value was read as (the last of its key), or None."""
        for name, start, end in reversed(self._members):
            if name == key and self._data is not None:
                return self._data[start:end]
        return None

    def _top_changed(self, key) -> bool:
        return key in self._top and json.dumps(self._top[key]) != self._top_read.get(key)

    def write(self, out) -> None:
        """Write the document as JSON to a binary file object, piece by piece.

        Untouched records and the text between them are the bytes read; only what
        changed is encoded.
        """
        data = self._data
        holes = []  # (start, end, writer) over the original bytes, in order
        if data is not None:
            last = {}
            for n, (key, _start, _end) in enumerate(self._members):
                last[key] = n
            for n, (key, start, end) in enumerate(self._members):
                if last[key] != n:
                    continue  # an earlier copy of a repeated key: as read (JSON readers take the last)
                if key in _LISTS:
                    table = self._lists[key]
                    if table.span is not None and table.changed():
                        holes.append((start, end, lambda out, table=table: table.write(out, data, self._encode)))
                elif self._top_changed(key):
                    text = encode_record(self._top[key], data[start:end])
                    holes.append((start, end, lambda out, text=text: out.write(text)))
        new = []  # keys the file did not have: the lists first, as COCO files order them
        if self._lists["images"].span is None and data is None:
            new.append("images")
        if self._lists["annotations"].span is None and (self._meta or data is None):
            new.append("annotations")
        if self._lists["categories"].span is None and (self._categories or data is None):
            new.append("categories")
        new += [key for key in self._top_new if key in self._top]
        if data is None:
            out.write(b"{")
            for n, key in enumerate(new):
                out.write((b"," if n else b"") + json.dumps(key).encode() + b":")
                self._write_new(out, key)
            out.write(b"}")
            return
        if new:
            empty = not self._members

            def tail(out, new=new, empty=empty):
                for n, key in enumerate(new):
                    out.write((b"" if empty and n == 0 else b",") + json.dumps(key, ensure_ascii=False).encode() + b":")
                    self._write_new(out, key)

            holes.append((self._close, self._close, tail))
        at = 0
        view = memoryview(data)
        for start, end, writer in sorted(holes, key=lambda h: h[0]):
            out.write(view[at:start])
            writer(out)
            at = end
        out.write(view[at:])

    def _write_new(self, out, key) -> None:
        if key in _LISTS:
            table = self._lists[key]
            out.write(b"[")
            for n, (record_key, slot) in enumerate(table.order.items()):
                if n:
                    out.write(b",")
                out.write(self._encode(table, record_key, slot))
            out.write(b"]")
        else:
            out.write(encode_record(self._top[key]))

    def dumps(self) -> bytes:
        """The document as UTF-8 JSON bytes (untouched records as read)."""
        import io

        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def save(self, path=None) -> Path:
        """Write the whole file atomically (temporary file beside it, then rename); returns the path.

        The pieces are streamed: nothing the size of the file is built in memory. A
        symbolic link stays a link: its target receives the save.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("This COCO document has no file yet; give save() a path.")
        self._check_encodable()
        with open_atomic(target) as handle:
            self.write(handle)
        if self.path is None:
            self.path = target
        return target

    def _check_encodable(self) -> None:
        """Raise the InputError a changed record would raise half way through a save, before it."""
        for table in self._lists.values():
            for key, slot in table.order.items():
                if type(slot) is not int:
                    self._encode(table, key, slot)

    def check(self, *, strict: bool = False) -> list:
        """Problems as sentences (empty when there are none).

        Beyond what opening checks, every segmentation is checked as far as decoding it
        would (RLE runs, polygon sizes) without building masks; with ``strict`` also
        ``area`` and ``bbox`` that disagree with the decoded mask by more than 1 % / 1 px
        (a report: other writers store a polygon's own area and extent, which is fine).
        """
        checker = Checker(thorough=True, strict=strict, size_of=self._size_for_check)
        for i, image in enumerate(self._images.values()):
            checker.image(i, image)
        checker.done_images()
        for i, category in enumerate(self._categories.values()):
            checker.category(i, category)
        checker.done_categories()
        for i, key in enumerate(self._meta):
            checker.annotation(i, self._record(key, cache=False))
        return [p[0].upper() + p[1:] + "." for p in checker.finish()]

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
        try:
            encode_record(value, self._top_text(key))
        except (TypeError, ValueError) as exc:
            raise InputError(f"The value of {key!r} cannot be written as JSON ({exc}); give JSON values.") from None
        if key not in self._top and key not in self._top_new:  # a new key: written before the closing brace
            self._top_new.append(key)
        self._top[key] = value
        self._top_read[key] = None  # written from the value from now on

    # -- images --------------------------------------------------------------------------
    @property
    def images(self) -> list:
        """Image records in file order."""
        table = self._lists["images"]
        return [self._images[key] for key in table.order]

    def image(self, image_id: Id) -> dict:
        try:
            return self._images[image_id]
        except (KeyError, TypeError):
            raise InputError(
                f"There is no image with the id {image_id!r} in {_name(self.path)}; use an id of its 'images'."
            ) from None

    def image_size(self, image_id: Id) -> tuple:
        """An image's (height, width): from its record, or from ``image_size`` when the record lacks them.

        Raises :class:`InputError` when neither says it.
        """
        record = self.image(image_id)
        size = checks.image_size(record)
        if size is not None:
            return size
        size = self._ask_size(id_key(record["id"]), record)
        if size is None:
            raise InputError(
                f"The COCO file gives no width and height for {record['file_name']!r} and the image cannot be read; "
                "put the image beside the COCO file or fill in its width and height."
            )
        return size

    def find_images(self, file_name: str) -> list:
        """Image records for ``file_name``: those with that path, else those with that base name.

        Paths compare with ``/`` and ``\\\\`` alike. Several records may share one path (the
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

    def find_image(self, file_name: str) -> dict | None:
        """The image record for ``file_name`` (the first of :meth:`find_images`), or None."""
        found = self.find_images(file_name)
        return found[0] if found else None

    def new_image_id(self) -> Id:
        """A fresh image id (after the largest used; O(1))."""
        return self._lists["images"].ids.new(self._images)

    def add_image(self, file_name: str, width: int, height: int, *, id: Id | None = None, **extra) -> dict:
        """Add an image record (a new id unless one is given) and return it."""
        if not isinstance(file_name, (str, Path)) or not str(file_name):
            raise InputError(f"An image needs a file name; got {file_name!r}.")
        if not whole(width) or not whole(height) or not (1 <= width <= 2**31 and 1 <= height <= 2**31):
            raise InputError(f"An image's width and height are whole numbers of pixels; got {width!r} x {height!r}.")
        table = self._lists["images"]
        if id is None:
            id = table.ids.new(self._images)
        elif not is_id(id) or id_key(id) in self._images:
            raise InputError(f"The image id {id!r} is taken or not a number or text; leave it out for a new one.")
        record = {"id": id, "file_name": str(file_name), "width": int(width), "height": int(height), **extra}
        self.put_image(record)
        return record

    def put_image(self, record: dict) -> None:
        """Insert an image record, or replace the one with its id (it keeps its place).

        Parameters
        ----------
        record : dict
            A whole image record: ``id`` and ``file_name``, and ``width``/``height`` when
            known. The dict is taken as it is (not copied); it is written from now on.

        Raises
        ------
        InputError
            When the record is not a usable image record.
        """
        checker = Checker()
        key = checker.image(0, record)
        if checker.problems:
            raise InputError(_sentence(checker.problems, "This image record"))
        old = self._images.get(key)
        if old is not None:
            self._unfile(key, old)
        self._images[key] = record
        self._sizes.pop(key, None)
        self._by_image.setdefault(key, [])
        self._by_file.setdefault(_path_key(record["file_name"]), []).append(key)
        self._by_base = None
        self._lists["images"].change(key, record)

    def _unfile(self, key, record) -> None:
        path_key = _path_key(record["file_name"])
        self._by_file[path_key].remove(key)
        if not self._by_file[path_key]:
            del self._by_file[path_key]
        self._by_base = None

    def remove_image(self, image_id: Id) -> None:
        """Remove an image record and its annotations."""
        record = self.image(image_id)
        key = id_key(record["id"])
        for ann_id in list(self._by_image.get(key, ())):
            self.remove_annotation(ann_id)
        self._by_image.pop(key, None)
        del self._images[key]
        self._sizes.pop(key, None)
        self._unfile(key, record)
        self._lists["images"].remove(key)

    # -- categories ----------------------------------------------------------------------
    @property
    def categories(self) -> list:
        """Category records in file order."""
        return [self._categories[key] for key in self._lists["categories"].order]

    def category_name(self, category_id: Id) -> str:
        try:
            return str(self._categories[category_id]["name"])
        except (KeyError, TypeError):
            raise InputError(
                f"There is no category with the id {category_id!r} in {_name(self.path)}; use an id of its 'categories'."
            ) from None

    def category_id(self, name: str, *, create: bool = False) -> Id | None:
        """The id of the class called ``name`` (the first, if the file names two alike); new with ``create``."""
        name = str(name)
        if name in self._category_by_name:
            return self._categories[self._category_by_name[name]]["id"]
        if not create:
            return None
        return self.add_category(name)["id"]

    def add_category(self, name: str, *, id: Id | None = None, supercategory: str = "", **extra) -> dict:
        """Add a class (a new id unless one is given) and return its record."""
        name = str(name)
        if not name.strip():
            raise InputError("A class name cannot be empty; name the class.")
        if name in self._category_by_name:
            raise InputError(f"There is already a class {name!r}; pick another name.")
        table = self._lists["categories"]
        if id is None:
            id = table.ids.new(self._categories)
        elif not is_id(id) or id_key(id) in self._categories:
            raise InputError(f"The category id {id!r} is taken or not a number or text; leave it out for a new one.")
        record = {"id": id, "name": name, "supercategory": supercategory, **extra}
        self.put_category(record)
        return record

    def put_category(self, record: dict) -> None:
        """Insert a category record, or replace the one with its id (it keeps its place).

        Parameters
        ----------
        record : dict
            A whole category record with ``id`` and ``name`` (taken, not copied).

        Raises
        ------
        InputError
            When the record is not a usable category record.
        """
        checker = Checker()
        key = checker.category(0, record)
        if checker.problems:
            raise InputError(_sentence(checker.problems, "This category record"))
        self._categories[key] = record
        self._lists["categories"].change(key, record)
        self._category_by_name = {}
        for category_key in self._lists["categories"].order:
            self._category_by_name.setdefault(str(self._categories[category_key]["name"]), category_key)

    def rename_category(self, old: str, new: str) -> None:
        """Rename a class (its id and every other key stay)."""
        old, new = str(old), str(new)
        if old not in self._category_by_name:
            raise InputError(f"There is no class {old!r}; rename one of {sorted(self._category_by_name)[:10]}.")
        if not new.strip():
            raise InputError("A class name cannot be empty; name the class.")
        if new in self._category_by_name:
            raise InputError(f"There is already a class {new!r}; pick another name.")
        key = self._category_by_name[old]
        record = dict(self._categories[key])
        record["name"] = new
        self.put_category(record)

    # -- whole records (a journal's replay, a failed change's rollback) -----------------------
    def remove_category(self, category_id: Id) -> dict:
        """Delete a category record no annotation uses (a rolled-back new class); returns it."""
        key = id_key(category_id)
        record = self._categories.get(key)
        if record is None:
            raise InputError(f"There is no category with the id {category_id!r} in {_name(self.path)}.")
        if any(meta[1] == key for meta in self._meta.values()):
            raise InputError(f"Annotations still use the category {record['name']!r}; remove them first.")
        self._drop_category(category_id)
        ids = self._lists["categories"].ids
        if isinstance(key, int) and key == ids.largest:  # a rolled-back new class gives its id back
            ids.largest = max((k for k in self._categories if isinstance(k, int)), default=0)
        return record

    def delete(self, key: str) -> None:
        """Remove a top-level entry this document added (a rolled-back new key); nothing when it is not there.

        An entry the file was read with stays (set it to another value instead).
        """
        if key in _LISTS:
            raise InputError(f"Change '{key}' through the document's methods.")
        if key in self._top_new:
            self._top_new.remove(key)
            self._top.pop(key, None)
            self._top_read.pop(key, None)
        elif key in self._top:
            raise InputError(
                f"The top-level entry {key!r} was read from the file; set it to another value instead of removing it."
            )

    # -- annotations ---------------------------------------------------------------------
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
        """A fresh annotation id (after the largest used, and at least ``at_least``)."""
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
            not fit its image, a bbox that is not four finite numbers.
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

    def _drop_category(self, category_id) -> None:
        key = id_key(category_id)
        del self._categories[key]
        self._lists["categories"].remove(key)
        self._category_by_name = {n: k for n, k in self._category_by_name.items() if k != key}

    def update_annotation(
        self, ann_id: Id, *, mask=None, category: str | None = None, polygons: bool | None = None, offset=None, **extra
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
            fields = self._fields(self._images[self._meta[ann_id][0]], mask, polygons, offset)
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


_NO_BOX = object()


class _Seen:
    """The checker's set of annotation ids seen: the document's index itself (no second set)."""

    def __init__(self, meta: dict):
        self._meta = meta

    def __contains__(self, key) -> bool:
        return key in self._meta

    def add(self, key) -> None:
        pass


class _Sizes:
    """The checker's view of image sizes for one record put: the record's, or image_size's."""

    def __init__(self, document: CocoDocument):
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
