"""A session's images by name: which files it lists, and which image records of its COCO file are each one's.

An image is named by its relative POSIX path below the folder (``train/c1.png``). Its
records are those with exactly that path; a record found by base name alone is the
image's only when that base name is unambiguous both in the folder and in the file, and
the record's path is no other image of the folder (so an object never lands on another
photograph of the same name). A record whose base name differs from the image's in letter
case alone (``Photo1.JPG`` for ``photo1.jpg``: a file made on Windows or macOS, whose
disks ignore case) is the image's when no other image of the folder has that base name in
any case, and none has the record's exactly.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Optional

from ..coco.document import CocoDocument, _path_key
from ..coco.locate import relative_name
from ..errors import InputError
from ..files import IMAGE_SUFFIXES, image_filter, looks_like_image

__all__ = ["ImageRecords", "add_named_images"]


def add_named_images(folder: Path, document: CocoDocument, images: list, unreadable: list, include, exclude) -> None:
    """Add to the listing the images the COCO file names by a path below the folder that the
    listing skipped (in a hidden folder), unless a pattern leaves them out."""
    listed, keep = set(images) | set(unreadable), image_filter(include, exclude)
    for record in document.images:
        name = relative_name(record["file_name"])
        if name is None or "/" not in name or name in listed or not keep(name):
            continue
        entry = folder.joinpath(*name.split("/"))
        if entry.suffix.lower() in IMAGE_SUFFIXES and entry.is_file():
            listed.add(name)
            (images if looks_like_image(entry) else unreadable).append(name)


class ImageRecords:
    """Image name -> ids of its image records in the document (see the module's text), memoised.

    ``images`` is the session's list of image names (the same list, not a copy).
    """

    def __init__(self, document: CocoDocument, folder: Path, images: list):
        self._doc, self._folder, self._images = document, folder, images
        self._ids: dict = {}  # image name -> ids of its records
        self._bases: Optional[dict] = None  # base name -> how many images of the folder have it
        self._cases: Optional[tuple] = None  # (case-folded path -> record ids, -> how many images have it)

    def ids(self, name: str) -> list:
        ids = self._ids.get(name)
        if ids is None:
            key = _path_key(name)
            try:
                found = self._doc.find_images(name)
            except InputError:  # several paths share the base name: none of them is this file
                found = []
            exact = [r["id"] for r in found if _path_key(r["file_name"]) == key]
            if exact or not found:
                ids = exact
            else:
                if self._bases is None:
                    self._bases = {}
                    for image in self._images:
                        base = PurePosixPath(image).name
                        self._bases[base] = self._bases.get(base, 0) + 1
                others = {_path_key(r["file_name"]) for r in found}
                mine = self._bases.get(PurePosixPath(key).name, 0) <= 1 and not any(
                    path in self._images
                    or (
                        not path.startswith("/")
                        and ".." not in path
                        and self._folder.joinpath(*PurePosixPath(path).parts).is_file()
                    )
                    for path in others
                )
                ids = [r["id"] for r in found] if mine else []
            if not ids:
                ids = self._in_another_case(key)
            self._ids[name] = ids
        return ids

    def _in_another_case(self, key: str) -> list:
        """Records whose base name is this image's in another letter case alone, when no other
        image of the folder has that base name in any case and no image has theirs exactly
        (the rule :class:`~interactive_seg.coco.locate.ImageLocator` follows too)."""
        if self._cases is None:
            records, images = {}, {}
            for record in self._doc.images:
                base = PurePosixPath(_path_key(record["file_name"])).name
                records.setdefault(base.casefold(), []).append((record["id"], base))
            for image in self._images:
                folded = PurePosixPath(_path_key(image)).name.casefold()
                images[folded] = images.get(folded, 0) + 1
            exact = {PurePosixPath(_path_key(image)).name for image in self._images}
            self._cases = records, images, exact
        records, images, exact = self._cases
        folded = PurePosixPath(key).name.casefold()
        if images.get(folded, 0) != 1:
            return []
        return [i for i, base in records.get(folded, ()) if base not in exact]

    def remember(self, name: str, ids: list) -> None:
        """The records of ``name`` are now ``ids`` (a record was made for it)."""
        self._ids[name] = ids

    def forget(self, name: Optional[str] = None) -> None:
        """Look ``name`` up again next time (every name, when None)."""
        self._cases = None
        if name is None:
            self._ids.clear()
        else:
            self._ids.pop(name, None)
