"""What a click or stroke on a continued object says about the pixels near it.

The colour models alone let a click flip only the pixels whose colours it changes the
models' mind about. The click prior adds a cost for labelling a pixel against the marks
geodesically near it, ``click_prior * exp(-d / click_spread)`` (``d`` the geodesic distance
in working pixels to the nearest mark of the other side's kind, longer across colour
edges, :func:`.seeds.edge_cost`), so a click claims the flat-coloured part round it up to
an edge and the next refit learns from it. The cut is then made by :mod:`.graphcut`.

After a click on a region scaled down to its working size, :func:`band` cuts the pixels
near the scaled-up mask's boundary again at full resolution with the refined colour
models, so the edge follows the image rather than the working grid.
"""

from __future__ import annotations

import cv2
import numpy as np

from ... import masks as mask_tools
from . import graphcut, seeds
from .marks import contains

__all__ = ["near_marks", "click_cost", "geodesic_near", "band"]


def near_marks(work, fg, bg, state, contrast: float, spread: float, clicks=(None, None), reach: float = 1.0) -> tuple:
    """Geodesic distances (working pixels, longer across colour edges) from each working
    pixel to the nearest foreground and background mark (None for a kind with no mark).
    ``clicks``: the (fg, bg) pixels that are clicks' disks; their distances count
    ``1 / reach`` times, so a click's prior reaches ``reach`` times as far as a stroke's.

    Continuing an object (``state``, the last call's), only the new marks' distances are
    measured, near them, and merged with the last call's (the minimum over marks is the
    distance to their union)."""
    if work.edges is None or work.edges[0] != contrast:
        work.edges = (contrast, seeds.edge_cost(work.pixels, contrast))
    cost = work.edges[1]
    far = int(np.ceil(6 * spread))  # farther, the prior is below e^-6 of its cost

    def distances(seeds, clicked):
        if clicked is None or reach == 1.0 or not (seeds & clicked).any():
            return geodesic_near(cost, seeds, far)
        out = np.full(seeds.shape, np.inf)
        if (seeds & ~clicked).any():
            out = geodesic_near(cost, seeds & ~clicked, far)
        return np.minimum(out, geodesic_near(cost, seeds & clicked, int(np.ceil(far * reach))) / reach)

    out = []
    for k, marks in enumerate((fg, bg)):
        if marks is None or not marks.any():
            out.append(None)
            continue
        old = None if state is None or state.near is None else state.near[k]
        old_marks = None if state is None else (state.fg, state.bg)[k]
        if old is not None and old.shape == marks.shape and old_marks is not None and contains(marks, old_marks):
            new = marks & ~old_marks
            out.append(old if not new.any() else np.minimum(old, distances(new, clicks[k])))
        else:
            out.append(distances(marks, clicks[k]))
    return tuple(out)


def click_cost(distance, shape: tuple, prior: float, spread: float) -> np.ndarray:
    """``prior * exp(-distance / spread)``: the cost of labelling a pixel against the marks
    at that geodesic distance (zeros of ``shape`` without marks)."""
    if distance is None:
        return np.zeros(shape)
    return prior * np.exp(-distance / spread)


def geodesic_near(cost: np.ndarray, seeds_mask: np.ndarray, reach: int) -> np.ndarray:
    """Geodesic distances from the seeds, measured within ``reach`` pixels of their box
    (a path leaving it is at least that long, since every step costs at least its
    length); ``inf`` beyond."""
    h, w = cost.shape
    x0, y0, x1, y1 = mask_tools.bbox(seeds_mask)
    y0, x0, y1, x1 = max(0, y0 - reach), max(0, x0 - reach), min(h, y1 + reach), min(w, x1 + reach)
    out = np.full((h, w), np.inf)
    out[y0:y1, x0:x1] = seeds.geodesic_distance(cost[y0:y1, x0:x1], seeds_mask[y0:y1, x0:x1])
    return out


def band(rgb: np.ndarray, small: np.ndarray, region: tuple, marks, width: int, bgd_model, fgd_model) -> np.ndarray:
    """The region's mask: ``small`` (working grid) scaled up, its boundary band (``width``
    pixels each side) cut again on the region's full-resolution pixels of ``rgb`` with the
    refined colour models, the marks hard. Only the band's footprint is touched."""
    rx0, ry0, rx1, ry1 = region
    fixed = ()
    overlap = None if marks is None else marks.overlap(region)
    if overlap is not None:
        in_window, (sy, sx), _ = overlap
        fixed = ((marks.fg[in_window], sy, sx, True), (marks.bg[in_window], sy, sx, False))
    size = (rx1 - rx0, ry1 - ry0)
    mask = cv2.resize(small.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) >= 128
    return graphcut.band_cut(rgb[ry0:ry1, rx0:rx1], mask, small, width, bgd_model, fgd_model, marks=fixed)
