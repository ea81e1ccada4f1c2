"""Pixels of an object that other objects cover: another tool's overlaps, kept in the file.

A label view shows one object per pixel. When an image opens, the pixels of an object that
later objects of the COCO file cover are kept aside (``hidden``, per object: a crop and its
offset); an object saved again keeps those still covered (:func:`with_hidden`), and where
the object in front goes (a delete, a smaller or moved mask) the one under it shows them
again (:func:`under`), its record untouched (:func:`mark_revealed`).
"""

from __future__ import annotations

import numpy as np

from .objects import ObjectSet

__all__ = ["under", "mark_revealed", "still_hidden", "with_hidden"]


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


def still_hidden(entry, object_id: int):
    """(crop, offset) of the pixels of ``object_id``'s saved record that other objects cover
    now (None: none), after it was saved with :func:`with_hidden`."""
    if object_id not in entry.hidden:
        return None
    under, (u0, v0) = entry.hidden[object_id]
    h, w = under.shape
    under = under & ~np.isin(entry.objects.labels[v0 : v0 + h, u0 : u0 + w], (0, object_id))
    return (under, (u0, v0)) if under.any() else None


def with_hidden(entry, object_id: int) -> tuple:
    """(crop, offset) of an object to save: its pixels in the label view, with those of its
    pixels that other objects covered when the image was opened and still cover (a label
    view shows one object per pixel; the file's overlaps are not the user's edit)."""
    objects = entry.objects
    crop, (x0, y0) = objects.crop(object_id)
    if object_id not in entry.hidden:
        return crop, (x0, y0)
    under, (u0, v0) = entry.hidden[object_id]
    h, w = under.shape
    under = under & ~np.isin(objects.labels[v0 : v0 + h, u0 : u0 + w], (0, object_id))
    if not under.any():
        return crop, (x0, y0)
    left, top = min(x0, u0), min(y0, v0)
    right, bottom = max(x0 + crop.shape[1], u0 + w), max(y0 + crop.shape[0], v0 + h)
    merged = np.zeros((bottom - top, right - left), bool)
    merged[y0 - top : y0 - top + crop.shape[0], x0 - left : x0 - left + crop.shape[1]] |= crop
    merged[v0 - top : v0 - top + h, u0 - left : u0 - left + w] |= under
    return merged, (left, top)
