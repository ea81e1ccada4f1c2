"""A small COCO dataset in memory as images with decoded masks: read, write and check whole files.

The simple door for scripts: :func:`read_coco` gives every image with its objects' masks
and class names, :func:`write_coco` writes such a list as a new file. Both go through
:class:`~interactive_seg.coco.CocoDocument`, so they read every file it reads (string
ids, box-only annotations, polygons of other tools). To change an existing file without
losing what it holds (other keys, encodings, ids), use the document itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..errors import InputError
from .document import CocoDocument, load_json

__all__ = ["CocoObject", "CocoImage", "CocoDataset", "to_coco", "write_coco", "read_coco", "check_coco"]

Id = Union[int, str]


@dataclass
class CocoObject:
    """One object: its mask (the image's size), its class name and (once saved) its annotation id."""

    mask: np.ndarray
    category: str
    id: Optional[Id] = None


@dataclass
class CocoImage:
    """One image of a dataset with its objects."""

    file_name: str
    width: int
    height: int
    objects: list = field(default_factory=list)
    id: Optional[Id] = None


@dataclass
class CocoDataset:
    """Images with their objects, and the class names with their ids (in file order)."""

    images: list
    categories: dict  # name -> id

    def image(self, file_name: str) -> CocoImage:
        """The image whose ``file_name`` (or its base name) matches."""
        for item in self.images:
            if item.file_name == file_name or Path(item.file_name.replace("\\", "/")).name == file_name:
                return item
        raise InputError(f"The COCO file has no image named {file_name!r}; use one of its 'file_name's.")


def _document(source) -> CocoDocument:
    if isinstance(source, CocoDocument):
        return source
    if isinstance(source, (str, os.PathLike)):
        return CocoDocument.open(source)
    return CocoDocument.from_data(source)


def read_coco(source) -> CocoDataset:
    """Read a COCO file (or parsed dict) into per-image instance masks with their class names.

    Every mask is decoded (equal to pycocotools' ``annToMask``); box-only annotations
    (no segmentation) have no mask and are left out. Ids are kept as the file has them
    (numbers or strings).

    Raises
    ------
    InputError
        When the file is missing, not JSON, not COCO, or has problems (all of them are
        named in the message, and :func:`check_coco` lists them).
    """
    doc = _document(source)
    names = {c["id"]: str(c["name"]) for c in doc.categories}
    categories: dict = {}
    for cid, name in names.items():
        categories.setdefault(name, cid)
    images = []
    for record in doc.images:
        height, width = doc.image_size(record["id"])
        image = CocoImage(str(record["file_name"]), width, height, [], record["id"])
        for ann in doc.annotations(record["id"]):
            if doc.has_mask(ann["id"]):
                image.objects.append(CocoObject(doc.mask(ann["id"]), names[ann["category_id"]], ann["id"]))
        images.append(image)
    return CocoDataset(images, categories)


def to_coco(images: Iterable[CocoImage], categories=(), *, polygons: bool = False) -> dict:
    """Build a COCO dataset dictionary.

    Parameters
    ----------
    images : iterable of CocoImage
        Each with ``file_name``, ``width``, ``height`` and ``objects`` (``CocoObject``:
        bool mask of the image's size, class name, optional id).
    categories : sequence of str or mapping str -> id
        The class list; names are numbered 1, 2, ... in order, or keep the ids of a
        mapping (for example the ``categories`` of a dataset read back). Classes used by
        objects but not listed are added after.
    polygons : bool
        Write polygons instead of RLE where that is faithful (see
        :func:`~interactive_seg.coco.mask_to_segmentation`).

    Returns
    -------
    dict
        With ``images``, ``annotations`` and ``categories``. Ids already on images and
        objects are kept; new ones are numbered after the largest, and are written back
        onto the given objects so that saving again gives the same ids.
    """
    images = list(images)
    doc = CocoDocument()
    if isinstance(categories, Mapping):
        if len(set(categories.values())) != len(categories):
            raise InputError("Two classes share one category id; give each class its own id.")
        for name, cid in categories.items():
            doc.add_category(str(name), id=cid)
    else:
        for name in categories or ():
            doc.category_id(str(name), create=True)
    given = [o.id for im in images for o in im.objects if o.id is not None]
    if len(given) != len(set(given)):
        raise InputError("Two objects share one annotation id; give each object its own id (or none).")
    # new ids come after every given one, so an object later in the list keeps its id
    after = max((int(i) for i in given if isinstance(i, int) or str(i).isdigit()), default=0) + 1
    seen = set()
    for image in images:
        if image.id is not None:
            if image.id in seen:
                raise InputError(f"Two images share the id {image.id!r}; give each image its own id.")
            seen.add(image.id)
            doc.add_image(image.file_name, image.width, image.height, id=image.id)
    for image in images:
        if image.id is None:
            image.id = doc.add_image(image.file_name, image.width, image.height)["id"]
        for obj in image.objects:
            mask = np.asarray(obj.mask)
            if mask.shape != (int(image.height), int(image.width)):
                raise InputError(
                    f"An object of {image.file_name!r} has a mask of shape {mask.shape}, but the image is "
                    f"{image.height} x {image.width}; masks must have the image's size."
                )
            object_id = obj.id if obj.id is not None else doc.new_annotation_id(at_least=after)
            doc.add_annotation(image.id, mask, str(obj.category), id=object_id, polygons=polygons)
            obj.id = object_id
    return doc.to_data()


def write_coco(path, images: Iterable[CocoImage], categories=(), *, polygons: bool = False) -> Path:
    """Write a new COCO JSON file atomically (temporary file beside it, then rename).

    Takes the arguments of :func:`to_coco`. Unicode paths work. A target that cannot be
    written raises :class:`InputError` and nothing else is touched. To add to or change
    an existing file without losing what it holds, use
    :class:`~interactive_seg.coco.CocoDocument` (or :func:`~interactive_seg.add_to_coco`).
    """
    return CocoDocument.from_data(to_coco(images, categories, polygons=polygons)).save(path)


def check_coco(source, *, strict: bool = False, segmentations: bool = True, image_size=None) -> list:
    """Say what is wrong in a COCO dataset instead of crashing on it.

    Parameters
    ----------
    source : path, parsed JSON or CocoDocument
    strict : bool
        Also decode every mask and report ``area`` or ``bbox`` that disagree with it
        (other tools store a polygon's own area and extent; that is not an error).
    segmentations : bool
        Check every segmentation as far as decoding would (RLE runs, polygon sizes);
        with False only ids, fields, references and the quick segmentation checks done
        on opening (the fastest).
    image_size : callable, optional
        ``image_size(record) -> (height, width)`` for image records that give no size (as
        for :meth:`CocoDocument.open`; :func:`~interactive_seg.coco.locate.size_finder`).

    Returns
    -------
    list of str
        One sentence per problem, empty when the file is sound: missing or duplicate ids,
        references to images or categories that do not exist, field types, segmentations
        that cannot be decoded or are not of the image's size.

    Raises
    ------
    InputError
        When the file cannot be read as JSON at all.
    """
    from .reading import _problems

    if isinstance(source, (str, os.PathLike)):
        try:  # record by record: a file of any size is checked in about its size in memory
            source = CocoDocument.open(source, image_size=image_size)
        except InputError:
            source = load_json(source)  # not JSON: that InputError; else every problem of the data
    if isinstance(source, CocoDocument):
        return source.check(strict=strict) if segmentations or strict else []
    else:  # parsed JSON, whatever it holds
        data = source
    found = _problems(data, strict=strict, thorough=segmentations or strict)
    return [p[0].upper() + p[1:] + "." for p in found]
