"""Instance label images <-> objects: the one pair of conversions everything uses.

A label image is an (H, W) array of integers: 0 is background and every other value is
one object. :func:`labels_to_objects` splits one into objects, each kept as the crop of
its mask inside its box with the crop's offset, so a small object of a 10,000 x 10,000
image costs its box, not the image; :func:`objects_to_labels` paints objects back into a
label image. Sessions, the napari reader and writer and the label-image export use these
two and nothing else; :func:`labels_into_document` (on top of them) makes one image's
annotations in a COCO document those of a label image, for sessions and the napari writer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .errors import InputError

__all__ = [
    "LabelObject",
    "labels_to_objects",
    "objects_to_labels",
    "labels_into_document",
    "read_classes",
    "DEFAULT_CLASS",
]

#: The class of a label that was given none.
DEFAULT_CLASS = "object"


@dataclass
class LabelObject:
    """One object of a label image: its label value, class, and mask as a crop at an offset.

    ``crop`` is a bool array of the object's box; ``offset`` is ``(x0, y0)``, where the
    crop's top-left pixel lies in the image; ``shape`` is the image's ``(H, W)``.
    """

    label: int
    category: str
    crop: np.ndarray
    offset: tuple
    shape: tuple

    @property
    def mask(self) -> np.ndarray:
        """The object's bool mask at the image's size (built when asked for)."""
        mask = np.zeros(self.shape, bool)
        x0, y0 = self.offset
        mask[y0 : y0 + self.crop.shape[0], x0 : x0 + self.crop.shape[1]] = self.crop
        return mask

    @property
    def box(self) -> tuple:
        """``(x0, y0, x1, y1)`` of the crop, x1 and y1 exclusive."""
        x0, y0 = self.offset
        return x0, y0, x0 + self.crop.shape[1], y0 + self.crop.shape[0]

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.crop))


def _as_label_image(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 3 and labels.shape[2] in (3, 4) and (labels[..., :3] == labels[..., :1]).all():
        labels = labels[..., 0]  # a label image saved as grey RGB
    if labels.ndim != 2 or not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise InputError(
            f"The label image must be one channel of integers (0 background, 1..N objects); got shape "
            f"{labels.shape} and dtype {labels.dtype}."
        )
    return labels


def _class_lookup(classes) -> dict:
    if classes is None:
        return {}
    if isinstance(classes, Mapping):
        try:
            return {int(k): str(v) for k, v in classes.items()}
        except (TypeError, ValueError):
            raise InputError("Classes must be keyed by label numbers, like {1: 'cat'}.") from None
    if isinstance(classes, str):
        raise InputError("Give the classes as a list of names (label 1 gets the first) or a mapping label -> name.")
    return {i + 1: str(name) for i, name in enumerate(classes)}


def labels_to_objects(
    labels,
    classes: Union[None, Sequence[str], Mapping] = None,
    *,
    only: Optional[Iterable[int]] = None,
) -> list:
    """Split an instance label image (0 background, each other value one object) into objects.

    Parameters
    ----------
    labels : (H, W) integer array
        Also a grey image saved as RGB(A) with equal channels. Values below 1 are background.
    classes : sequence or mapping, optional
        A sequence gives label ``i`` the class ``classes[i - 1]``; a mapping maps label ->
        class. Labels without a class are called ``"object"``.
    only : iterable of int, optional
        Split out these labels only (those absent from the image are left out).

    Returns
    -------
    list of LabelObject
        In label order, each with its mask cropped to its box. One pass over the
        labelled pixels, whatever the number of objects.

    Examples
    --------
    >>> labels = np.array([[0, 1, 1], [2, 0, 1]])
    >>> [(o.label, o.category, o.offset, o.crop.tolist()) for o in labels_to_objects(labels, ["cat"])]
    [(1, 'cat', (1, 0), [[True, True], [False, True]]), (2, 'object', (0, 1), [[True]])]
    """
    labels = _as_label_image(labels)
    lookup = _class_lookup(classes)
    flat = labels.reshape(-1)
    index = np.flatnonzero(flat > 0)
    values = flat[index]
    if only is not None:
        keep = np.isin(values, np.fromiter((int(v) for v in only), np.int64))
        index, values = index[keep], values[keep]
    if index.size == 0:
        return []
    order = np.argsort(values, kind="stable")
    index, values = index[order], values[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], values.size]
    height, width = labels.shape
    rows, cols = np.divmod(index, width)
    objects = []
    for start, end in zip(starts, ends):
        value = int(values[start])
        r, c = rows[start:end], cols[start:end]
        y0, y1, x0, x1 = int(r.min()), int(r.max()) + 1, int(c.min()), int(c.max()) + 1
        crop = np.zeros((y1 - y0, x1 - x0), bool)
        crop[r - y0, c - x0] = True
        objects.append(LabelObject(value, lookup.get(value, DEFAULT_CLASS), crop, (x0, y0), (height, width)))
    return objects


def objects_to_labels(shape, objects: Iterable, *, dtype=np.int32, hidden: Optional[dict] = None) -> tuple:
    """Paint objects into a label image; returns ``(labels, {label: class})``.

    Each object has a ``category`` and a label value (``label``, else ``id``), and either a
    ``crop`` with its ``offset`` (x0, y0) or a ``mask`` of the image's size. Later objects
    paint over earlier ones where they overlap; a ``hidden`` dict given receives, for each
    object some of whose pixels later ones cover, ``{label: (crop of those pixels, offset)}``.

    >>> a = LabelObject(3, "cat", np.ones((1, 2), bool), (1, 0), (2, 3))
    >>> labels, classes = objects_to_labels((2, 3), [a])
    >>> labels.tolist(), classes
    ([[0, 3, 3], [0, 0, 0]], {3: 'cat'})
    """
    shape = tuple(int(v) for v in shape[:2])
    labels = np.zeros(shape, dtype)
    limit = np.iinfo(dtype).max
    classes = {}
    painted = []  # (label, window, its pixels there) to find what later objects cover
    for obj in objects:
        value = getattr(obj, "label", None)
        if value is None:
            value = obj.id
        value = int(value)
        if not 1 <= value <= limit:
            raise InputError(f"A label value must be from 1 to {limit}; got {value}.")
        crop = getattr(obj, "crop", None)
        if crop is not None:
            x0, y0 = (int(v) for v in obj.offset)
            crop = np.asarray(crop, bool)
            if x0 < 0 or y0 < 0 or y0 + crop.shape[0] > shape[0] or x0 + crop.shape[1] > shape[1]:
                raise InputError(
                    f"Object {value} lies outside the {shape[1]} x {shape[0]} image; give its crop's offset inside it."
                )
            labels[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]][crop] = value
            if hidden is not None:
                painted.append((value, (slice(y0, y0 + crop.shape[0]), slice(x0, x0 + crop.shape[1])), crop))
        else:
            mask = np.asarray(obj.mask, bool)
            if mask.shape != shape:
                raise InputError(
                    f"Object {value}'s mask has the shape {mask.shape}, not the image's {shape}; give a mask of the image's size."
                )
            # painted within the mask's box: a full-size mask (a decoded annotation, often
            # in Fortran order) painted whole took 0.18 s on a 6000 x 4000 photograph
            rows = np.flatnonzero(mask.any(axis=1))
            if rows.size:
                cols = np.flatnonzero(mask.any(axis=0))
                window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
                np.copyto(labels[window], value, where=mask[window])
                if hidden is not None:
                    painted.append((value, window, mask[window]))
        classes[value] = str(obj.category)
    for value, window, crop in painted:
        covered = crop & (labels[window] != value)
        if covered.any():
            hidden[value] = (covered, (window[1].start, window[0].start))
    return labels, classes


def read_classes(path) -> dict:
    """Classes per label from a JSON file: ``{"1": "cat", "2": "dog"}`` or ``["cat", "dog"]``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"There is no class file at {str(path)!r}; check the path.") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"Could not read the classes in {str(path)!r} ({exc}); write them as JSON.") from None
    if isinstance(data, list):
        return {i + 1: str(name) for i, name in enumerate(data)}
    if isinstance(data, dict):
        try:
            return {int(k): str(v) for k, v in data.items()}
        except ValueError:
            raise InputError(f'The keys of {str(path)!r} must be label numbers, like {{"1": "cat"}}.') from None
    raise InputError(f"{str(path)!r} must hold a list of class names or a mapping label -> class name.")


def labels_into_document(
    doc, image_id, labels, classes: Mapping, known: Mapping, *, changed=None, new_id=None
) -> tuple:
    """Make the objects of one image of a :class:`~interactive_seg.coco.CocoDocument` those of a label image.

    Parameters
    ----------
    doc : CocoDocument
    image_id
        The image record the label image is of (same size).
    labels : (H, W) integer array
    classes : mapping label -> class name
        The objects the label image holds; a label present in it but not here is ignored.
    known : mapping label -> annotation id
        The image's annotations the label image speaks for (annotations not named here,
        box-only ones for instance, are left alone).
    changed : iterable of labels, optional
        The labels whose pixels or class may differ (all when None).
    new_id : callable, optional
        ``new_id(label)`` gives the annotation id of a new object (None: the document picks).

    An annotation whose pixels and class are the same as the label image's stays exactly as
    it was read; one whose class alone differs gets the new ``category_id`` only; one whose
    pixels differ gets a new mask (keeping its encoding and every other key). With
    ``changed`` None, an object's pixels that another object covers in the label image stay
    its own (a label image shows one object per pixel; other tools' objects overlap): they
    are no difference, and an edited object keeps them; an object that ``classes`` names
    and other objects wholly cover stays too.

    Returns
    -------
    (added, removed)
        ``{label: annotation id}`` of the new annotations, and the ids of the removed ones.
    """
    labels = _as_label_image(labels)
    record = doc.image(image_id)
    if doc.image_size(image_id) != labels.shape:
        raise InputError(
            f"The labels are {labels.shape[1]} x {labels.shape[0]} but {record['file_name']!r} is "
            f"{record['width']} x {record['height']}; give labels of the image's size."
        )
    wanted = {int(k): str(v) for k, v in classes.items()}
    if any(not v.strip() for v in wanted.values()):
        raise InputError("A class name cannot be empty; name the class.")
    known = {int(k): v for k, v in known.items()}
    todo = (set(wanted) | set(known)) if changed is None else ({int(c) for c in changed} | (set(wanted) ^ set(known)))
    pieces = {o.label: o for o in labels_to_objects(labels, only=todo & set(wanted))}
    added, removed = {}, []
    for label in sorted(todo):
        piece = pieces.get(label)
        if piece is None and label in known and label in wanted and changed is None:
            if not (doc.mask(known[label]) & (labels == 0)).any():  # wholly under other objects: as it was
                if doc.category_name(doc.annotation(known[label])["category_id"]) != wanted[label]:
                    doc.update_annotation(known[label], category=wanted[label])
                continue
        if piece is None:
            if label in known:
                removed.append(doc.remove_annotation(known[label])["id"])
            continue
        category = wanted[label]
        if label in known:
            ann_id = known[label]
            stored = doc.mask(ann_id)
            mask, offset = piece.crop, piece.offset
            if changed is None:  # its pixels under other objects stay its own
                under = stored & (labels != 0) & (labels != label)
                if under.any():
                    mask, offset = under | piece.mask, (0, 0)
                if np.array_equal(stored, piece.mask | under):
                    mask = None
            elif np.array_equal(stored, piece.mask):
                mask = None
            if mask is None:
                if doc.category_name(doc.annotation(ann_id)["category_id"]) != category:
                    doc.update_annotation(ann_id, category=category)  # the class only: the segmentation stays as read
                continue
            doc.update_annotation(ann_id, mask=mask, offset=offset, category=category)
        else:
            ann = doc.add_annotation(
                image_id, piece.crop, category, offset=piece.offset, id=new_id(label) if new_id else None
            )
            added[label] = ann["id"]
    return added, removed
