"""Pixels of an object that other objects cover: another tool's overlaps, kept in the file.

A label view shows one object per pixel. When an image opens, the pixels of an object that
later objects of the COCO file cover are kept aside (``hidden``, per object: a crop and its
offset); an object saved again keeps those still covered from later in the file
(:func:`with_hidden`; an edit of an earlier object over them takes them, :func:`also_saved`), and where
the object in front goes (a delete, a smaller or moved mask) the one under it shows them
again (:func:`under`), its record untouched (:func:`mark_revealed`).
"""

from __future__ import annotations

import numpy as np

from .objects import ObjectSet

__all__ = ["under", "mark_revealed", "covered", "also_saved", "with_hidden"]


def under(entry, object_id: int):
    """What shows where ``object_id``'s pixels go (a delete, a smaller mask): the labels of a
    box with, at each pixel, the object the file holds there under it (the topmost of those
    it covered when the image was opened: their records keep those pixels), else 0. None
    when no object of the image has covered pixels."""
    holders = [(k, v) for k, v in entry.hidden.items() if k != object_id and k in entry.objects]
    if not holders:
        return None

    def under(box):
        x0, y0, x1, y1 = box
        out = np.zeros((y1 - y0, x1 - x0), np.int32)
        for k, (crop, (u0, v0)) in holders:  # (file order: a later object is on top)
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
    return (under, (u0, v0)) if under.any() else None


def also_saved(entry, subject: int, rank: dict) -> set:
    """The objects whose hidden pixels ``subject``'s new mask now covers from in front of them
    in the file (an edit of an object earlier in the file): saved with the edit, without
    those pixels (:func:`covered`), so that a reopened folder shows what the model shows."""
    place, labels, out = rank.get(subject, np.inf), entry.objects.labels, set()
    for k, (crop, (u0, v0)) in entry.hidden.items():
        if k != subject and k in entry.objects and rank.get(k, np.inf) > place:
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
