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

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from ..errors import InputError
from . import checks
from .annotation_records import AnnotationRecords
from .checks import Checker, id_key, is_id, whole
from .rawjson import encode_record
from .reading import LISTS, Reading, _name, _path_key, _sentence, class_key, is_coco, load_json
from .tables import Id
from .writing import Writing

__all__ = ["CocoDocument", "is_coco", "load_json"]


class CocoDocument(Reading, Writing, AnnotationRecords):
    """A COCO dataset held losslessly, indexed by image, changed in place and saved atomically.

    Build one with :meth:`open` (a file), :meth:`from_data` (parsed JSON) or
    ``CocoDocument()`` (empty). Records are plain dicts; read them, but change them only
    through the methods here: a record changed otherwise is written back as it was read.
    Reading, writing and the annotation records are its base classes' (:mod:`.reading`,
    :mod:`.writing`, :mod:`.annotation_records`); the images, categories and top-level
    entries are here.

    Examples
    --------
    >>> import numpy as np
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

    def check(self, *, strict: bool = False, masks_only: bool = False) -> list:
        """Problems as sentences (empty when there are none).

        Beyond what opening checks, every segmentation is checked as far as decoding it
        would (RLE runs, polygon sizes) without building masks; with ``strict`` also
        ``area`` and ``bbox`` that disagree with the decoded mask by more than 1 % / 1 px
        (a report: other writers store a polygon's own area and extent, which is fine).
        ``masks_only``: only what keeps a mask from being decoded (:class:`~.checks.Checker`).
        """
        checker = Checker(thorough=True, strict=strict, size_of=self._size_for_check, masks_only=masks_only)
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
        if key in LISTS:
            raise InputError(f"Read '{key}' through the document's methods.")
        return self._top.get(key, default)

    def set(self, key: str, value) -> None:
        """Set a top-level entry other than the three lists (kept in place when it exists)."""
        if key in LISTS:
            raise InputError(f"Change '{key}' through the document's methods.")
        try:
            encode_record(value, self._top_text(key))
        except (TypeError, ValueError) as exc:
            raise InputError(f"The value of {key!r} cannot be written as JSON ({exc}); give JSON values.") from None
        if key not in self._top and key not in self._top_new:  # a new key: written before the closing brace
            self._top_new.append(key)
        self._top[key] = value
        self._top_read[key] = None  # written from the value from now on

    # -- a change taken back whole --------------------------------------------------------
    def mark(self) -> None:
        """Start a change that :meth:`restore` can take back exactly: each record as it was
        read (its text, its place in the file), not a copy written anew."""
        for table in self._lists.values():
            table.mark()

    def restore(self) -> None:
        """After the records changed since :meth:`mark` were put back (``put_*``, ``remove_*``):
        each takes back its text as read and its place in its list."""
        table = self._lists["annotations"]
        reordered = table.reordered
        keys = table.restore()
        for kind in ("images", "categories"):
            self._lists[kind].restore()
        if reordered:  # an object removed and put back went last in its image's list
            position = {key: n for n, key in enumerate(table.order)}
            for image_key in {self._meta[key][0] for key in keys if key in self._meta}:
                self._by_image[image_key].sort(key=position.__getitem__)

    def made_since_mark(self, kind: str, key) -> bool:
        """True when record ``key`` of list ``kind`` was added since :meth:`mark`."""
        return self._lists[kind].made_since_mark(id_key(key))

    def unmark(self, unchanged: dict) -> None:
        """Keep the change started by :meth:`mark`; ``unchanged`` (kind -> ids) names records
        found the same as before, which keep their text as read."""
        for kind, table in self._lists.items():
            table.unmark(unchanged.get(kind, ()))

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
            ids = self._base_index().get(base, [])
            paths = {_path_key(self._images[i]["file_name"]) for i in ids}
            if len(paths) > 1:
                shown = ", ".join(repr(p) for p in sorted(paths)[:3])
                raise InputError(
                    f"{len(paths)} images of {_name(self.path)} are called {base!r} ({shown}); "
                    "name the image by its path in the file."
                )
        return [self._images[i] for i in ids]

    def records_of(self, file_name: str) -> list:
        """The image records that may be the image ``file_name`` names: those with its path,
        else those whose path is a tail of it or it of theirs (``images/a.png`` and ``a.png``;
        never ``sub1/a.png`` for ``sub2/a.png``), however many paths share its base name."""
        from .locate import same_image

        exact = self.images_at(file_name)
        if exact:
            return exact
        base = PurePosixPath(_path_key(file_name)).name
        return [
            self._images[i]
            for i in self._base_index().get(base, [])
            if same_image(self._images[i]["file_name"], file_name)
        ]

    def _base_index(self) -> dict:
        """Base name -> image ids, built when first asked."""
        if self._by_base is None:
            self._by_base = {}
            for path_key, path_ids in self._by_file.items():
                self._by_base.setdefault(PurePosixPath(path_key).name, []).extend(path_ids)
        return self._by_base

    def images_at(self, file_name: str) -> list:
        """The image records whose path is ``file_name`` itself (``/`` and ``\\`` alike), in order."""
        return [self._images[i] for i in self._by_file.get(_path_key(file_name), ())]

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
        """The id of the class called ``name`` (if the file names two alike, the one its annotations use most); new with ``create``."""
        name = str(name)
        key = self._category_spelt.get(name, self._category_by_name.get(class_key(name)))
        if key is not None:
            return self._categories[key]["id"]
        if not create:
            return None
        return self.add_category(name)["id"]

    def add_category(
        self, name: str, *, id: Id | None = None, supercategory: str = "", place: int | None = None, **extra
    ) -> dict:
        """Add a class (a new id unless one is given; at ``place`` in the list, default last) and return its record."""
        name = str(name)
        if not name.strip():
            raise InputError("A class name cannot be empty; name the class.")
        if class_key(name) in self._category_by_name:
            raise InputError(f"There is already a class {name!r}; pick another name.")
        table = self._lists["categories"]
        if id is None:
            id = table.ids.new(self._categories)
        elif not is_id(id) or id_key(id) in self._categories:
            raise InputError(f"The category id {id!r} is taken or not a number or text; leave it out for a new one.")
        record = {"id": id, "name": name, "supercategory": supercategory, **extra}
        self.put_category(record, place=place)
        return record

    def put_category(self, record: dict, *, place: int | None = None) -> None:
        """Insert a category record, or replace the one with its id (it keeps its place).

        Parameters
        ----------
        record : dict
            A whole category record with ``id`` and ``name`` (taken, not copied).
        place : int, optional
            Where a new record goes in the list (default: last), as a removed one put back.

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
        if place is not None:
            self._lists["categories"].place(key, place)
        self._index_category_names(list(self._lists["categories"].order))

    def rename_category(self, old: str, new: str, *, as_spelt: bool = False) -> None:
        """Rename a class (its ids and every other key stay): every category of the name, where
        the file names two alike (one class here, as :meth:`category_id` finds it).
        ``as_spelt``: only a category spelt ``new`` exactly is in the way (an undo giving a
        name back as the file spelt it, beside one spelt in another Unicode form)."""
        old, new = str(old), str(new)
        if class_key(old) not in self._category_by_name:
            names = sorted(str(c["name"]) for c in self.categories)[:10]
            raise InputError(f"There is no class {old!r}; rename one of {names}.")
        if not new.strip():
            raise InputError("A class name cannot be empty; name the class.")
        keys = [id_key(i) for i in self.category_ids(old)]
        other = self._category_spelt.get(new, None if as_spelt else self._category_by_name.get(class_key(new)))
        if other is not None and other not in keys:
            raise InputError(f"There is already a class {new!r}; pick another name.")
        for key in keys:
            record = dict(self._categories[key])
            record["name"] = new
            self.put_category(record)

    def category_ids(self, name: str) -> list:
        """The ids of every category called ``name`` as spelt, in the file's order; where none
        is, of those called so in one Unicode form (:func:`class_key`)."""
        categories, order = self._categories, self._lists["categories"].order
        spelt = [categories[k]["id"] for k in order if str(categories[k]["name"]) == str(name)]
        wanted = class_key(name)
        return spelt or [categories[k]["id"] for k in order if class_key(categories[k]["name"]) == wanted]

    def _drop_category(self, category_id) -> None:
        key = id_key(category_id)
        del self._categories[key]
        self._lists["categories"].remove(key)
        self._index_category_names(list(self._lists["categories"].order))

    # -- whole records (a journal's replay, a failed change's rollback) -----------------------
    def remove_category(self, category_id: Id, *, give_back: bool = True) -> dict:
        """Delete a category record no annotation uses (a rolled-back new class); returns it.
        ``give_back=False`` keeps its id from new classes (a removal an undo may take back)."""
        key = id_key(category_id)
        record = self._categories.get(key)
        if record is None:
            raise InputError(f"There is no category with the id {category_id!r} in {_name(self.path)}.")
        if any(meta[1] == key for meta in self._meta.values()):
            raise InputError(f"Annotations still use the category {record['name']!r}; remove them first.")
        self._drop_category(category_id)
        ids = self._lists["categories"].ids
        if give_back and isinstance(key, int) and key == ids.largest:  # a rolled-back new class gives its id back
            ids.largest = max((k for k in self._categories if isinstance(k, int)), default=0)
        return record

    def delete(self, key: str) -> None:
        """Remove a top-level entry this document added (a rolled-back new key); nothing when it is not there.

        An entry the file was read with stays (set it to another value instead).
        """
        if key in LISTS:
            raise InputError(f"Change '{key}' through the document's methods.")
        if key in self._top_new:
            self._top_new.remove(key)
            self._top.pop(key, None)
            self._top_read.pop(key, None)
        elif key in self._top:
            raise InputError(
                f"The top-level entry {key!r} was read from the file; set it to another value instead of removing it."
            )
