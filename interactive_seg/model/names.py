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

from ..coco.document import CocoDocument, _path_key
from ..coco.locate import ImageLocator, exif_choice, record_owners, relative_name
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
        self._as_stored: Optional[bool] = None

    def ids(self, name: str) -> list:
        ids = self._ids.get(name)
        if ids is None:
            exact = self._doc.images_at(_path_key(name))
            # a record spelt as the name wins over one alike only in Unicode form (on Linux,
            # café.png composed and decomposed are two files)
            if len(exact) > 1:
                spelt = _path_key(name, nfc=False)
                exact = [r for r in exact if _path_key(r["file_name"], nfc=False) == spelt] or exact
            if self._owned is None:
                self._owned = self._by_rule()
            # and the records the rule gives it (a URL's, a tail's), beside its own path's
            ids = [r["id"] for r in exact]
            ids += [i for i in self._owned.get(name, []) if i not in ids]
            self._ids[name] = ids
        return ids

    def size(self, name: str) -> Optional[tuple]:
        """The (height, width) the records of ``name`` give it (the first that gives one); None."""
        records = map(self._doc.image, self.ids(name))
        return next(((r["height"], r["width"]) for r in records if r.get("height") and r.get("width")), None)

    def as_stored(self) -> bool:
        """Whether the file's tool ignored EXIF orientation, by the rule every door follows
        (:func:`~interactive_seg.coco.locate.exif_choice`: its records in the file's order),
        worked out when first asked."""
        if self._as_stored is None:
            locate = ImageLocator(self._folder, names=self._images, records=self._doc.images)
            self._as_stored = exif_choice(self._doc.images, locate)()
        return self._as_stored

    def _by_rule(self) -> dict:
        """Records no image has by its exact path, by the image the one rule gives them
        (:func:`~interactive_seg.coco.locate.record_owners`, over the listed images); none
        to look for when every record is a listed image's by its path (the usual file)."""
        listed = set(self._images)
        if all(_path_key(record["file_name"]) in listed for record in self._doc.images):
            return {}
        return record_owners(self._doc.images, self._folder, self._images)

    def without_image(self) -> list:
        """The records no listed image has (by its path or by the rule) whose path names no
        file of the folder either (a photograph moved or deleted since; not one a pattern or
        the listing left out): their objects stay in the file as they are."""
        listed = set(self._images)
        if self._owned is None:
            self._owned = self._by_rule()
        owned = {i for ids in self._owned.values() for i in ids}
        out = []
        for record in self._doc.images:
            if _path_key(record["file_name"]) in listed or record["id"] in owned:
                continue
            relative = relative_name(record["file_name"])
            if relative is None or not self._folder.joinpath(*relative.split("/")).exists():
                out.append(record)
        return out

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
