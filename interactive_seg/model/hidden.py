"""Pixels of an object that other objects cover: another tool's overlaps, kept in the file.

A label view shows one object per pixel. When an image opens, the pixels of an object that
later objects of the COCO file cover are kept aside (``hidden``, per object: a crop and its
offset); an object saved again keeps those still covered from later in the file
(:func:`with_hidden`; an edit of an earlier object over them takes them, :func:`also_saved`;
a part under another object goes with it while it touches what is visible of it, so an
object redrawn elsewhere leaves its old hidden part, :func:`loose_parts`), and where
the object in front goes (a delete, a smaller or moved mask) the one under it shows them
again (:func:`under`), its record untouched (:func:`mark_revealed`).
"""

from __future__ import annotations

import cv2
import numpy as np

from .objects import ObjectSet

__all__ = ["under", "mark_revealed", "loose_parts", "covered", "also_saved", "with_hidden"]


def under(entry, object_id: int, rank: dict):
    """What shows where ``object_id``'s pixels go (a delete, a smaller mask): the labels of a
    box with, at each pixel, the object the file holds there under it (the topmost, by
    ``rank``, the place in the file, of those covered when the image was opened: their
    records keep those pixels), else 0. None when no object of the image has covered pixels."""
    # (an object wholly covered on opening is shown too, while the session has it)
    holders = [
        (k, v)
        for k, v in entry.hidden.items()
        if k != object_id and (k in entry.objects or (k in entry.buried and k in entry.saved))
    ]
    if not holders:
        return None
    holders.sort(key=lambda item: rank.get(item[0], np.inf))  # (later in the file: drawn over)

    def under(box):
        x0, y0, x1, y1 = box
        out = np.zeros((y1 - y0, x1 - x0), np.int32)
        for k, (crop, (u0, v0)) in holders:
            h, w = crop.shape
            a0, b0, a1, b1 = max(x0, u0), max(y0, v0), min(x1, u0 + w), min(y1, v0 + h)
            if a0 < a1 and b0 < b1:
                out[b0 - y0 : b1 - y0, a0 - x0 : a1 - x0][crop[b0 - v0 : b1 - v0, a0 - u0 : a1 - u0]] = k
        return out

    return under


def mark_revealed(objects: ObjectSet, top, under) -> None:
    """Note on the step just pushed the objects it showed where it freed pixels (:func:`under`)."""
    history = objects.history
    step = history._undo[-1] if history.can_undo else None
    if under is None or step is None or step is top or not step.n:
        return
    # (one that also lost pixels in the step, to a new mask over it, is saved as usual)
    lost = step.before.counts(step.n)
    step.revealed = {int(v) for v in step.after.counts(step.n) if v and v != step.subject and v not in lost}


def _touching(part: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """The 8-connected components of ``part`` that touch (or are next to) a ``visible`` pixel."""
    n, comp = cv2.connectedComponents(part.astype(np.uint8), connectivity=8)
    near = cv2.dilate(visible.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    keep = np.zeros(n, bool)
    keep[comp[part & near]] = True
    keep[0] = False
    return keep[comp]


def _around(labels: np.ndarray, object_id: int, offset, shape):
    """``object_id``'s pixels in the window of ``shape`` at ``offset``, one pixel wider on each
    side where the image goes on (a part under another object touches the visible part
    across the window's edge), and the slices of the window in it."""
    (u0, v0), (h, w) = offset, shape
    y0, x0 = max(v0 - 1, 0), max(u0 - 1, 0)
    y1, x1 = min(v0 + h + 1, labels.shape[0]), min(u0 + w + 1, labels.shape[1])
    return labels[y0:y1, x0:x1] == object_id, (slice(v0 - y0, v0 - y0 + h), slice(u0 - x0, u0 - x0 + w))


def loose_parts(hidden: dict, labels: np.ndarray) -> dict:
    """Object id -> the pixels of its hidden crop (:func:`covered`'s window) in parts that touch
    none of its visible pixels when the image opens (a piece of another tool's object wholly
    under another): they stay with it whatever its edits; the other parts go on behind what
    covers them only while they touch what is visible of it."""
    out = {}
    for k, (crop, offset) in hidden.items():
        visible, inner = _around(labels, k, offset, crop.shape)
        part = np.zeros(visible.shape, bool)
        part[inner] = crop
        loose = crop & ~_touching(part, visible)[inner]
        if loose.any():
            out[k] = loose
    return out


def covered(entry, object_id: int, rank: dict):
    """(pixels, offset) of ``object_id``'s hidden pixels that an object later in the file
    covers now (``rank``: object id -> place in the file; one not there is new, so last): a
    reopened folder paints those over it. Pixels an earlier object took (an edit) are the
    edit's, so they leave its record. None when there are none."""
    if object_id not in entry.hidden:
        return None
    under, (u0, v0) = entry.hidden[object_id]
    h, w = under.shape
    labels = entry.objects.labels[v0 : v0 + h, u0 : u0 + w]
    under = under & ~np.isin(labels, (0, object_id))
    if under.any():
        place = rank.get(object_id, np.inf)
        later = [v for v in np.unique(labels[under]).tolist() if rank.get(v, np.inf) > place]
        under &= np.isin(labels, later)
    loose = entry.loose.get(object_id)
    behind = under if loose is None else under & ~loose
    if behind.any():  # a part behind another object goes with the object while it touches what is visible of it
        visible, inner = _around(entry.objects.labels, object_id, (u0, v0), (h, w))
        part = np.zeros(visible.shape, bool)
        part[inner] = behind
        under = (under & ~behind) | (behind & _touching(part, visible)[inner])
    return (under, (u0, v0)) if under.any() else None


def also_saved(entry, subject: int, rank: dict) -> set:
    """The objects whose hidden pixels ``subject``'s new mask now covers from in front of them
    in the file (an edit of an object earlier in the file): saved with the edit, without
    those pixels (:func:`covered`), so that a reopened folder shows what the model shows."""
    place, labels, out = rank.get(subject, np.inf), entry.objects.labels, set()
    for k, (crop, (u0, v0)) in entry.hidden.items():
        shown = k in entry.objects or (k in entry.buried and k in entry.saved)
        if k != subject and shown and rank.get(k, np.inf) > place:
            h, w = crop.shape
            if (crop & (labels[v0 : v0 + h, u0 : u0 + w] == subject)).any():
                out.add(k)
    return out


def with_hidden(entry, object_id: int, rank: dict) -> tuple:
    """(crop, offset) of an object to save: its pixels in the label view, with those of its
    pixels that other objects covered when the image was opened and still cover from later
    in the file (:func:`covered`; a label view shows one object per pixel, and the file's
    overlaps are not the user's edit)."""
    objects = entry.objects
    crop, (x0, y0) = objects.crop(object_id)
    hidden = covered(entry, object_id, rank)
    if hidden is None:
        return crop, (x0, y0)
    under, (u0, v0) = hidden
    h, w = under.shape
    left, top = min(x0, u0), min(y0, v0)
    right, bottom = max(x0 + crop.shape[1], u0 + w), max(y0 + crop.shape[0], v0 + h)
    merged = np.zeros((bottom - top, right - left), bool)
    merged[y0 - top : y0 - top + crop.shape[0], x0 - left : x0 - left + crop.shape[1]] |= crop
    merged[v0 - top : v0 - top + h, u0 - left : u0 - left + w] |= under
    return merged, (left, top)
