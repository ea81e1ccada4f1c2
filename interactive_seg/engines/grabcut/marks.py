"""The user's marks (clicks and strokes) and GrabCut's four labels.

Marks are kept at full resolution only over the window that holds them, shrunk onto the
working grid for the cut (a working pixel is marked when any of its pixels is, so a thin
stroke never vanishes) and enforced again on the full-resolution mask afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ... import masks as mask_tools
from ...prompts import BACKGROUND, FOREGROUND, Prompts

__all__ = [
    "GC_BGD",
    "GC_FGD",
    "GC_PR_BGD",
    "GC_PR_FGD",
    "Marks",
    "grow_clicks",
    "paint",
    "either",
    "contains",
    "same_array",
]

GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD


@dataclass
class Marks:
    """The user's marks at full resolution, kept only over the window that holds them."""

    window: tuple  # (x0, y0, x1, y1) in image pixels
    fg: np.ndarray  # bool, window-sized
    bg: np.ndarray

    @classmethod
    def of(cls, p: Prompts, shape, radius: float) -> Optional[Marks]:
        found = p.marks_window(shape, radius)
        if found is None:
            return None
        window, labels = found
        return cls(window, labels == FOREGROUND, labels == BACKGROUND)

    def fg_bbox(self) -> Optional[tuple]:
        box = mask_tools.bbox(self.fg)
        if box is None:
            return None
        x0, y0 = self.window[:2]
        return (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)

    def overlap(self, region: tuple):
        """The part of the window inside the region: slices into the window and the
        region, and the overlap's corner in the region (None when they do not meet)."""
        wx0, wy0, wx1, wy1 = self.window
        rx0, ry0, rx1, ry1 = region
        x0, y0, x1, y1 = max(wx0, rx0), max(wy0, ry0), min(wx1, rx1), min(wy1, ry1)
        if x1 <= x0 or y1 <= y0:
            return None
        in_window = (slice(y0 - wy0, y1 - wy0), slice(x0 - wx0, x1 - wx0))
        in_region = (slice(y0 - ry0, y1 - ry0), slice(x0 - rx0, x1 - rx0))
        return in_window, in_region, (x0 - rx0, y0 - ry0)

    def shrunk(self, region: tuple, size: tuple) -> tuple:
        """(fg, bg) inside the region at working size: a working pixel is marked when any
        of its full-resolution pixels is, so a thin stroke never vanishes."""
        width, height = size
        fg = np.zeros((height, width), bool)
        bg = np.zeros((height, width), bool)
        overlap = self.overlap(region)
        if overlap is not None:
            in_window, _, (ox, oy) = overlap
            rw, rh = region[2] - region[0], region[3] - region[1]
            for full, small in ((self.fg, fg), (self.bg, bg)):
                ys, xs = np.nonzero(full[in_window])
                if ys.size:
                    small[((ys + oy) * height) // rh, ((xs + ox) * width) // rw] = True
        return fg, bg

    def enforce(self, region_mask: np.ndarray, region: tuple) -> None:
        """Marked pixels keep their side in the full-resolution mask of the region."""
        overlap = self.overlap(region)
        if overlap is not None:
            in_window, in_region, _ = overlap
            part = region_mask[in_region]
            part[self.fg[in_window]] = True
            part[self.bg[in_window]] = False


def grow_clicks(
    p: Prompts, work, fg, bg, min_radius: float, point_radius: float, labels=None, fit: float = 0.0, known=None
) -> tuple:
    """Each click as a disk of at least ``min_radius`` working pixels.

    A 5-pixel click disk on a large photo shrinks to a pixel or two at working size, too
    little for GrabCut's colour models to learn from. With ``labels`` (the last cut's, on
    this grid) and ``fit`` > 0, a new click's disk reaches at most ``fit`` times its
    distance from the nearest pixel that cut already gives the click's side (but never
    less than the click's own ``point_radius``): a click just outside the mask moves the
    boundary a little, and its disk does not mark the background beyond a thin gap as
    object. ``known`` ({(x, y, label): radius in image pixels, None for the full one})
    keeps each click's radius for the calls after it, so a click's disk never changes;
    new clicks are added to it.
    """
    wh, ww = work.pixels.shape[:2]
    fg = np.zeros((wh, ww), bool) if fg is None else fg.copy()
    bg = np.zeros((wh, ww), bool) if bg is None else bg.copy()
    rx0, ry0 = work.region[:2]
    scale = work.scale
    radius = max(1, int(round(max(min_radius, point_radius * scale))))
    core = max(1, int(round(point_radius * scale)))
    known = {} if known is None else known
    gaps = {}
    for (x, y), label in zip(p.points, p.point_labels):
        cx, cy = int((x - rx0) * scale), int((y - ry0) * scale)
        key = (float(x), float(y), int(label))
        if key in known:
            r = radius if known[key] is None else int(np.clip(round(known[key] * scale), core, radius))
        else:
            r = radius
            if fit > 0 and labels is not None and labels.shape == (wh, ww) and 0 <= cx < ww and 0 <= cy < wh:
                if label not in gaps:
                    side = (labels == GC_FGD) | (labels == GC_PR_FGD)
                    side = side if label == 1 else ~side
                    gaps[label] = (
                        cv2.distanceTransform((~side).astype(np.uint8), cv2.DIST_L2, 5) if side.any() else None
                    )
                if gaps[label] is not None:
                    r = int(np.clip(np.ceil(fit * gaps[label][cy, cx]), core, radius))
            known[key] = None if r == radius else r / scale
        disk = np.zeros((wh, ww), np.uint8)
        cv2.circle(disk, (cx, cy), r, 1, -1)
        target, other = (fg, bg) if label == 1 else (bg, fg)
        target |= disk.astype(bool)
        other &= ~disk.astype(bool)
    return fg, bg


def paint(labels: np.ndarray, fg, bg) -> None:
    """The marks onto GrabCut's labels: background marks, then foreground marks on top."""
    if bg is not None:
        labels[bg] = GC_BGD
    if fg is not None:
        labels[fg] = GC_FGD


def either(a, b):
    """The union of two optional masks (None when both are None)."""
    if a is None or b is None:
        return b if a is None else a
    return a | b


def contains(new, old) -> bool:
    """True when every mark in ``old`` is still in ``new`` (marks were only added)."""
    if old is None:
        return True
    if new is None:
        return not old.any()
    return bool(new[old].all())


def same_array(a, b) -> bool:
    """Two optional arrays equal in shape and content (or both None)."""
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and np.array_equal(a, b))
