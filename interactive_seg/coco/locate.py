"""The one rule that finds an image on disk from a COCO ``file_name``.

COCO files name their images in many ways: by base name (``abc.jpg``), by a path below
the images folder (``train/abc.jpg``), with another tool's prefix (``images/abc.jpg``,
``/data/upload/3/abc.jpg``, ``../data/abc.jpg``), with Windows separators
(``train\\abc.jpg``, ``C:\\data\\abc.jpg``), as a URL (cloud storage's
``https://bucket/train/abc.jpg?X-Amz-Signature=...``, Label Studio's
``/data/local-files/?d=train/abc.jpg``: their path is read, not the host or query). The images folder the user gives wins; the
file's own path is the last resort. In order:

1. the ``file_name`` as a path relative to the images folder (``\\`` read as ``/``);
2. its tails below the folder, longest first: ``images/abc.jpg`` is looked for as
   ``images/abc.jpg``, then ``abc.jpg`` (drives, ``..`` and ``.`` dropped);
3. its base name anywhere below the folder, when exactly one image there has it
   (``abc.jpg`` finds ``train/abc.jpg``; two ``abc.jpg`` in different folders find none).
   Names are compared in one Unicode form (NFC: ``café`` typed on macOS, stored decomposed,
   is ``café`` written by another tool) and, for names another tool wrote as a URL
   (``/data/upload/1/my%20photo.jpg``), also percent-decoded; failing that, in any letter
   case (``Photo1.JPG`` written on Windows or macOS, whose disks ignore case, finds
   ``photo1.jpg`` when exactly one image below the folder has that name in some case);
4. the path as written, when it points outside the folder (an absolute path, or one that
   climbs with ``..``) and that file exists.

Export, review, batch jobs and folder sessions all find images through this module.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Optional
from urllib.parse import unquote

from ..files import image_size, list_images, sizes_as_stored
from .reading import _URL, _path_text

__all__ = [
    "ImageLocator",
    "locate_image",
    "size_finder",
    "relative_name",
    "name_parts",
    "same_image",
    "file_name_in",
    "record_owners",
    "records_for_image",
    "exif_choice",
]


def name_parts(file_name) -> list:
    """The names of a ``file_name``'s path, with ``\\`` read as ``/`` and drives, root,
    ``.`` and ``..`` dropped: ``C:\\data\\..\\a.jpg`` -> ``['data', 'a.jpg']``; a URL's
    path alone (:func:`_path_text`)."""
    parts = _path_text(file_name).split("/")
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":  # a Windows drive
        parts = parts[1:]
    return [p for p in parts if p not in ("", ".", "..")]


def _base_key(name: str) -> str:
    """A base name as compared by step 3 of the rule: one Unicode form (NFC)."""
    return unicodedata.normalize("NFC", name)


def relative_name(file_name) -> Optional[str]:
    """A ``file_name`` as a relative POSIX path below its images folder (``sub\\a.png`` ->
    ``sub/a.png``, ``./a.png`` -> ``a.png``); None when it is absolute, has a drive, or
    climbs out with ``..``, or is a URL (a local-files URL of Label Studio: its ``d`` path)."""
    text = _path_text(file_name)
    if _URL.match(str(file_name)):
        return None
    parts = text.split("/")
    if not text or text.startswith("/") or (len(parts[0]) == 2 and parts[0][1] == ":") or ".." in parts:
        return None
    parts = [p for p in parts if p not in ("", ".")]
    return "/".join(parts) or None


def file_name_in(coco_path, image_path) -> str:
    """The ``file_name`` an image on disk takes in a COCO file: its path from the file's
    folder when it lies below it (``cam2/0001.png``, so it is never taken for
    ``cam1/0001.png``), else its base name."""
    image_path, coco_path = Path(image_path), Path(coco_path)
    try:
        relative = Path(os.path.relpath(image_path.resolve(), coco_path.resolve().parent))
    except ValueError:  # another drive
        return image_path.name
    return relative.as_posix() if ".." not in relative.parts else image_path.name


def same_image(a, b) -> bool:
    """Whether two ``file_name`` s may name one image: one's path is the tail of the other's
    (``abc.jpg``, ``images/abc.jpg``, ``C:\\data\\images\\abc.jpg``); ``sub1/a.png`` and
    ``sub2/a.png`` are two images."""
    first = [_base_key(p) for p in name_parts(a)]
    second = [_base_key(p) for p in name_parts(b)]
    short, long = sorted((first, second), key=len)
    return bool(short) and long[len(long) - len(short) :] == short


class ImageLocator:
    """Finds the images of COCO ``file_name`` s in one images folder (see the module's rule).

    One locator serves a whole file: the folder is listed once, and only when a name is
    not found by its path (step 3 of the rule).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "train").mkdir(); _ = (root / "train" / "abc.png").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
    >>> locate = ImageLocator(root)
    >>> [locate.name(n) for n in ("train/abc.png", "images\\\\train\\\\abc.png", "abc.png", "zzz.png")]
    ['train/abc.png', 'train/abc.png', 'train/abc.png', None]
    """

    def __init__(self, images_dir, names=None, records=None):
        self.folder = Path(images_dir)
        #: the images below the folder (relative POSIX paths) when the caller has listed
        #: them (a folder session): looked up here instead of on the disk
        self.names = None if names is None else set(names)
        self._by_base: Optional[dict] = None
        self._by_folded: dict = {}  # the base names case-folded (Photo1.JPG finds photo1.jpg when alone)
        #: given the file's image ``records``: base name (case-folded) -> the paths of the
        #: records that end in it. A record found by its base name alone (or that in another
        #: case) is found only when no other path of the file has that base name: with
        #: train/a.png and val/a.png in the file and one a.png in the folder, which
        #: photograph is it? (neither: an object never lands on another photograph)
        self._paths_of_base: Optional[dict] = None
        if records is not None:
            from .reading import _path_key

            self._paths_of_base = {}
            for record in records:
                parts = name_parts(record["file_name"])
                if parts:
                    key = _base_key(unquote(parts[-1])).casefold()
                    self._paths_of_base.setdefault(key, set()).add(_path_key(record["file_name"]))

    def __call__(self, file_name) -> Optional[Path]:
        """The image file of ``file_name``, or None when no rule finds it."""
        found = self._inside(file_name)
        if found is not None:
            return self.folder.joinpath(*found.split("/"))
        outside = Path(str(file_name).replace("\\", "/") if os.sep == "/" else str(file_name))
        outside = outside if outside.is_absolute() else self.folder / outside
        return outside if outside.is_file() else None

    def name(self, file_name) -> Optional[str]:
        """The image's relative POSIX path in the folder (``train/abc.jpg``); None when it is
        not in the folder (found outside it, or not at all)."""
        return self._inside(file_name)

    def _inside(self, file_name) -> Optional[str]:
        return self.match(file_name)[0]

    def match(self, file_name) -> tuple:
        """``(name, how)``: the image's relative path in the folder (None when not found in
        it) and the step of the rule that found it: ``"path"``, ``"tail"``, ``"base"`` (its
        base name, or its percent-decoded one, alone in the folder), ``"case"`` (that in
        another letter case alone; also a base name found as the folder's top-level file),
        or ``""``; ``"shared"`` (name None) when it would be found by its base name but
        other paths of the file's ``records`` end in that name too; ``"several"`` (name None)
        when several images below the folder have its base name."""
        name, how = self._match(file_name)
        if name is not None and how in ("base", "case") and self._paths_of_base is not None:
            parts = name_parts(file_name)
            if len(self._paths_of_base.get(_base_key(unquote(parts[-1])).casefold(), ())) > 1:
                return None, "shared"
        return name, how

    def shared(self, file_name) -> bool:
        """True when ``file_name`` is not found because other paths of the file's records
        end in its base name, or several images of the folder have it (see :meth:`match`)."""
        return self.match(file_name)[1] in ("shared", "several")

    def _match(self, file_name) -> tuple:
        direct = relative_name(file_name)
        if direct is not None and self._is_image(direct.split("/")):
            return direct, "path"
        parts = name_parts(file_name)
        for start in range(len(parts)):
            tail = parts[start:]
            if self._is_image(tail):  # (the last tail is the base name alone: found by it)
                return "/".join(tail), "tail" if len(tail) > 1 else "base"
        if not parts:
            return None, ""
        bases = self._bases()
        for base in dict.fromkeys((parts[-1], unquote(parts[-1]))):
            found = bases.get(_base_key(base), [])
            if found:
                return (found[0], "base") if len(found) == 1 else (None, "several")
        for base in dict.fromkeys((parts[-1], unquote(parts[-1]))):  # in another letter case alone
            found = self._by_folded.get(_base_key(base).casefold(), [])
            if found:
                return (found[0], "case") if len(found) == 1 else (None, "several")
        return None, ""

    def _is_image(self, parts: list) -> bool:
        if self.names is not None:
            return "/".join(parts) in self.names
        return self.folder.joinpath(*parts).is_file()

    def _bases(self) -> dict:
        if self._by_base is None:
            self._by_base, self._by_folded = {}, {}
            if self.names is not None or self.folder.is_dir():
                if self.names is not None:
                    images, unreadable = sorted(self.names), []
                else:
                    images, unreadable = list_images(self.folder)
                for name in images + unreadable:
                    key = _base_key(PurePosixPath(name).name)
                    self._by_base.setdefault(key, []).append(name)
                    self._by_folded.setdefault(key.casefold(), []).append(name)
        return self._by_base


def record_owners(records, folder, names=None) -> dict:
    """Image name -> ids of the image records no image has by its exact path, each given to
    the image the module's rule finds for it (over ``names``, the images listed below
    ``folder``, or the disk): a tail (``/data/cam1/0001.png`` is ``cam1/0001.png``), a
    percent-decoded name, a base name alone in the folder, or that in another letter case
    alone. A record found by base name (or case) alone is given only when no other path of
    the records has that base name, and its own path is no file of the folder: an object
    never lands on another photograph of its name. Folder sessions and the command line's
    writers see a file's records through this."""
    records = list(records)
    listed = None if names is None else set(names)
    locator = ImageLocator(folder, names=listed, records=records)  # (several paths of one base name: none)
    owned: dict = {}
    for record in records:
        relative = relative_name(record["file_name"])
        if relative is not None and locator._is_image(relative.split("/")):
            continue  # the image of that path has it
        owner, how = locator.match(record["file_name"])
        if owner is None:
            continue
        if how in ("base", "case") and relative is not None and Path(folder).joinpath(*relative.split("/")).is_file():
            continue  # a file of the folder the listing left out
        owned.setdefault(owner, []).append(record["id"])
    return owned


def records_for_image(doc, coco_path, image_path) -> list:
    """The records of a COCO document (the file at ``coco_path``) that are the image file
    ``image_path``: those with its path from the file's folder, else, for an image below
    that folder, those the module's rule gives it (:func:`record_owners`: cam2/0001.png is
    never cam1/0001.png's record), and for an image elsewhere those whose path is a tail of
    its name or it of theirs."""
    name = file_name_in(coco_path, image_path)
    exact = doc.images_at(name)
    if exact:
        return exact
    try:
        inside = ".." not in Path(os.path.relpath(Path(image_path).resolve(), Path(coco_path).resolve().parent)).parts
    except ValueError:  # another drive
        inside = False
    if not inside:
        return doc.records_of(name)
    base = unquote(PurePosixPath(name).name).casefold()
    candidates = []
    for record in doc.images:
        parts = name_parts(record["file_name"])
        if parts and unquote(parts[-1]).casefold() == base:
            candidates.append(record)
    wanted = set(record_owners(candidates, Path(coco_path).parent).get(name, ()))
    return [r for r in candidates if r["id"] in wanted]


def locate_image(images_dir, file_name) -> Optional[Path]:
    """The image file of a COCO ``file_name`` in ``images_dir`` (the module's rule), or None."""
    return ImageLocator(images_dir)(file_name)


def size_finder(images_dir):
    """An ``image_size(record)`` for :meth:`CocoDocument.open`: the (height, width) of a
    record's image found in ``images_dir`` by the module's rule, from its header (EXIF
    orientation applied); None when it is not found. A record without a size (Label Studio
    writes ``"width": null`` for an image it could not open) gets its size from its file."""
    locate = ImageLocator(images_dir)

    def size(record: dict):
        path = locate(record.get("file_name", ""))
        return image_size(path) if path is not None else None

    return size


def exif_choice(records, locate):
    """A function of no arguments that tells whether the tool that wrote a COCO file's image
    ``records`` ignored EXIF orientation (:func:`~interactive_seg.files.sizes_as_stored` over
    the images ``locate`` finds), worked out once, when first asked: ``read_image``'s
    ``as_stored``, asked only for a photo whose own size cannot tell."""
    answer: list = []

    def ask() -> bool:
        if not answer:
            sized = (r for r in records if r.get("height") and r.get("width"))
            photos = (((r["height"], r["width"]), locate(r.get("file_name", ""))) for r in sized)
            answer.append(sizes_as_stored((size, path) for size, path in photos if path is not None))
        return answer[0]

    return ask
