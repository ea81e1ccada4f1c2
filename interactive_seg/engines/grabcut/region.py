"""The working region: the part of the image a cut runs on, cropped and scaled down.

``cv2.grabCut`` builds a graph over every pixel it is given, so on a 12-megapixel photo it
takes many seconds. The engine crops the region the prompts talk about (the box, or the
marks, plus a margin), scales it so its longest side is at most ``max_side`` pixels, cuts
there, and brings the mask back to full resolution by interpolating it, so edges stay
smooth. This module chooses the region, makes the working copy and maps boxes and masks
between the image and the working grid; where a cut's mask runs along an inner edge of the
region (:func:`reached`), the engine grows it (:func:`grown`) and cuts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ... import masks as mask_tools
from ...prompts import Prompts
from .settings import GrabCutSettings

__all__ = [
    "Work",
    "choose_region",
    "working",
    "box_in_work",
    "int_box",
    "box_share",
    "on_grid",
    "frame",
    "unframe",
    "reached",
    "grown",
    "edge_run",
    "EDGE_RUN",
]

# The longest run of mask along an inner edge of the working region (image pixels) that is
# left as it is: a longer one is the region's edge, not the object's, and the region grows.
EDGE_RUN = 16


@dataclass
class Work:
    """The working copy of one region: its box in the image, the scale and the pixels."""

    region: tuple  # (x0, y0, x1, y1) ints, in image pixels
    scale: float
    pixels: np.ndarray  # uint8 RGB at working size
    side: Optional[int] = None  # the longest side it was scaled to fit
    edges: Optional[tuple] = None  # (contrast, seeds.edge_cost of the pixels), for the click prior
    smooth: Optional[list] = None  # graphcut.smoothness of the pixels


def choose_region(p: Prompts, marks, height: int, width: int, settings: GrabCutSettings) -> tuple:
    """The part of the image to work on: the box or prior, with foreground marks, plus a
    margin; with strokes alone, the strokes' extent grown by ``stroke_margin``."""
    s = settings
    strokes_only = p.box is None and p.prior is None
    if strokes_only and s.roi and s.scribble_prior != "none" and s.stroke_margin is not None and marks is not None:
        # Strokes alone: the object lies about where they were drawn.
        x0, y0, x1, y1 = marks.window
        grow = max(s.min_margin, s.stroke_margin * max(x1 - x0, y1 - y0))
        region = [
            max(0, int(np.floor(x0 - grow))),
            max(0, int(np.floor(y0 - grow))),
            min(width, int(np.ceil(x1 + grow))),
            min(height, int(np.ceil(y1 + grow))),
        ]
        # Only background strokes beyond the foreground ones bound the object: on a side
        # where a foreground stroke reaches the strokes' extent nothing says where the
        # object ends, so the region runs to the image's edge there.
        fg_box, bg_box = mask_tools.bbox(marks.fg), mask_tools.bbox(marks.bg)
        if fg_box is not None and bg_box is not None:
            for side, (f, b, edge) in enumerate(zip(fg_box, bg_box, (0, 0, width, height))):
                if (b >= f) if side < 2 else (b <= f):
                    region[side] = edge
        return tuple(region)
    if not s.roi or strokes_only:
        # Without a box or a prior nothing bounds the object: take the whole image.
        return (0, 0, width, height)
    boxes = []
    if p.box is not None:
        boxes.append(p.box)
        if marks is not None:
            boxes.append(marks.fg_bbox())
    if p.prior is not None:
        boxes.append(mask_tools.bbox(p.prior))
    boxes = [b for b in boxes if b is not None]
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    grow = max(s.min_margin, s.margin * max(x1 - x0, y1 - y0))
    return (
        max(0, int(np.floor(x0 - grow))),
        max(0, int(np.floor(y0 - grow))),
        min(width, int(np.ceil(x1 + grow))),
        min(height, int(np.ceil(y1 + grow))),
    )


def working(rgb: np.ndarray, region: tuple, side: Optional[int], cached: Optional[Work]) -> Work:
    """The region's pixels at working size (longest side at most ``side``); ``cached`` when
    it is of the same region and size."""
    if cached is not None and cached.region == region and cached.side == side:
        return cached
    x0, y0, x1, y1 = region
    crop = rgb[y0:y1, x0:x1]
    longest = max(x1 - x0, y1 - y0)
    scale = 1.0
    if side is not None and longest > side:
        scale = side / longest
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return Work(region, scale, np.ascontiguousarray(crop), side)


def int_box(box) -> tuple:
    """The box's pixel bounds: its corners rounded outwards."""
    x0, y0, x1, y1 = box
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))


def box_in_work(box, work: Work) -> tuple:
    """The box in working pixels, at least one pixel wide and high."""
    x0, y0, x1, y1 = box
    rx0, ry0 = work.region[:2]
    wh, ww = work.pixels.shape[:2]
    s = work.scale
    bx0 = min(ww - 1, max(0, int(np.floor((x0 - rx0) * s))))
    by0 = min(wh - 1, max(0, int(np.floor((y0 - ry0) * s))))
    bx1 = min(ww, max(bx0 + 1, int(np.ceil((x1 - rx0) * s))))
    by1 = min(wh, max(by0 + 1, int(np.ceil((y1 - ry0) * s))))
    return bx0, by0, bx1, by1


def box_share(mask: np.ndarray, box) -> float:
    """The fraction of the box's pixels that the mask holds."""
    x0, y0, x1, y1 = int_box(box)
    inside = mask[max(0, y0) : y1, max(0, x0) : x1]
    return float(inside.mean()) if inside.size else 1.0


def on_grid(work: Work, mask: np.ndarray, box) -> np.ndarray:
    """A full-resolution mask on ``work``'s grid, inside the box."""
    x0, y0, x1, y1 = work.region
    wh, ww = work.pixels.shape[:2]
    crop = mask[y0:y1, x0:x1]
    if crop.shape != (wh, ww):
        crop = cv2.resize(crop.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) >= 0.5
    bx0, by0, bx1, by1 = box_in_work(box, work)
    inside = np.zeros((wh, ww), bool)
    inside[by0:by1, bx0:bx1] = True
    return crop & inside


def frame(box_w: tuple, size: tuple) -> tuple:
    """The working box kept one pixel inside the working grid, and the sides it was moved
    on (left, top, right, bottom).

    Where the box reaches the image's edge, the region has no margin on that side, so
    nothing would teach the background model what lies along that edge: as in plain
    ``cv2.grabCut``'s rectangle, the outermost line of working pixels there is background
    (for the colour models and the cut; :func:`unframe` gives the mask's edge line back)."""
    ww, wh = size
    bx0, by0, bx1, by1 = box_w
    framed = (bx0 < 1, by0 < 1, bx1 > ww - 1, by1 > wh - 1)
    return (max(bx0, 1), max(by0, 1), min(bx1, ww - 1), min(by1, wh - 1)), framed


def unframe(small: np.ndarray, framed: tuple) -> None:
    """On the sides in ``framed`` (left, top, right, bottom), the mask's outermost line takes
    the labels of the line inside it: the frame was background only to show the colour
    models the image's edge, and an object that touches the edge goes on to it."""
    left, top, right, bottom = framed
    if left:
        small[:, 0] = small[:, 1]
    if right:
        small[:, -1] = small[:, -2]
    if top:
        small[0] = small[1]
    if bottom:
        small[-1] = small[-2]


def edge_run(mask: np.ndarray, region: tuple, shape) -> dict:
    """The longest run of ``mask`` (the region's mask, any grid) along each edge of the
    region that is not the image's edge: {side: run in the mask's pixels}, sides 0-3 being
    left, top, right, bottom."""
    height, width = shape[:2]
    x0, y0, x1, y1 = region
    lines = {0: mask[:, 0], 1: mask[0], 2: mask[:, -1], 3: mask[-1]}
    inner = {0: x0 > 0, 1: y0 > 0, 2: x1 < width, 3: y1 < height}
    runs = {}
    for side, line in lines.items():
        if not inner[side] or not line.any():
            continue
        padded = np.concatenate(([0], line.astype(np.int8), [0]))
        change = np.flatnonzero(np.diff(padded))
        runs[side] = int((change[1::2] - change[::2]).max())
    return runs


def reached(small: np.ndarray, region: tuple, scale: float, shape) -> tuple:
    """The sides of the region (left, top, right, bottom) along which the working mask runs
    for more than :data:`EDGE_RUN` image pixels without the image ending there: the object
    goes on beyond the region."""
    limit = max(1.0, EDGE_RUN * scale)
    runs = edge_run(small, region, shape)
    return tuple(side for side, run in sorted(runs.items()) if run > limit)


def grown(region: tuple, sides, shape, min_margin: int) -> tuple:
    """The region grown on ``sides`` by half its longest side (at least ``min_margin``
    pixels), within the image."""
    height, width = shape[:2]
    x0, y0, x1, y1 = region
    step = max(min_margin, max(x1 - x0, y1 - y0) // 2)
    out = [x0, y0, x1, y1]
    for side in sides:
        if side == 0:
            out[0] = max(0, x0 - step)
        elif side == 1:
            out[1] = max(0, y0 - step)
        elif side == 2:
            out[2] = min(width, x1 + step)
        else:
            out[3] = min(height, y1 + step)
    return tuple(out)
