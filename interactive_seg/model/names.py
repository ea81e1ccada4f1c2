"""A session's images by name: which files it lists, and which image records of its COCO file are each one's.

An image is named by its relative POSIX path below the folder (``train/c1.png``). Its
records are those with exactly that path; a record no image has by its path is given by
the rule that export, review and batch jobs find images by
(:class:`~interactive_seg.coco.locate.ImageLocator`, over the session's listed images): a
tail of its path (``/datasets/mine/cam1/0001.png``, as detectron2 writes it, is
``cam1/0001.png``), its percent-decoded name (Label Studio's ``my%20photo.jpg``), its base
name alone in the folder, or that in another letter case alone (``Photo1.JPG`` for
``photo1.jpg``: a file made on Windows or macOS). A record found by base name alone is the
image's only when that base name is no other path's in the file too, and the record's own
path is no file of the folder: an object never lands on another photograph of its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional
from urllib.parse import unquote

from ..coco.document import CocoDocument, _path_key
from ..coco.locate import ImageLocator, name_parts, relative_name
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
        self._owned: Optional[dict] = None  # image name -> ids of records found by the locator's rule

    def ids(self, name: str) -> list:
        ids = self._ids.get(name)
        if ids is None:
            key = _path_key(name)
            ids = [r["id"] for r in self._doc.images_at(key)]
            if not ids:
                if self._owned is None:
                    self._owned = self._by_rule()
                ids = self._owned.get(name, [])
            self._ids[name] = ids
        return ids

    def _by_rule(self) -> dict:
        """The records no image has by its exact path, each given to the image the locator's
        rule finds for it among the session's images (:class:`~interactive_seg.coco.locate.ImageLocator`
        over the listed names: a tail, ``/data/cam1/0001.png`` for ``cam1/0001.png``; a
        percent-decoded name; a base name alone in the folder, or in another letter case
        alone). A record found by base name (or case) alone is given only when its base name
        is no other record path's in the file too, and its own path is no file of the folder
        (one the listing left out): an object never lands on another photograph of its name."""
        listed = set(self._images)
        locator = ImageLocator(self._folder, names=listed)
        paths_of_base: dict = {}
        for record in self._doc.images:
            parts = name_parts(record["file_name"])
            if parts:
                paths_of_base.setdefault(unquote(parts[-1]).casefold(), set()).add(_path_key(record["file_name"]))
        owned: dict = {}
        for record in self._doc.images:
            path = _path_key(record["file_name"])
            if path in listed:
                continue  # the image of that path has it
            owner, how = locator.match(record["file_name"])
            if owner is None:
                continue
            if how in ("base", "case"):
                parts = name_parts(record["file_name"])
                if len(paths_of_base.get(unquote(parts[-1]).casefold(), ())) > 1:
                    continue  # several of the file's paths have that name: which is this photograph?
                relative = relative_name(record["file_name"])
                if relative is not None and self._folder.joinpath(*relative.split("/")).is_file():
                    continue  # a file of the folder the listing left out
            owned.setdefault(owner, []).append(record["id"])
        return owned

    def remember(self, name: str, ids: list) -> None:
        """The records of ``name`` are now ``ids`` (a record was made for it)."""
        self._ids[name] = ids

    def forget(self, name: Optional[str] = None) -> None:
        """Look ``name`` up again next time (every name, when None)."""
        self._owned = None
        if name is None:
            self._ids.clear()
        else:
            self._ids.pop(name, None)
