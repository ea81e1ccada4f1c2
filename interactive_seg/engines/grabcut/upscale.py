"""The working mask brought back to full resolution on a large region, level by level.

A cut on a region scaled down to ``max_side`` pixels decides each working pixel, which on a
6000 x 4000 photograph is some 23 x 23 image pixels: scaled up by interpolation, the mask's
edge is smooth but off the photograph's edge by up to half of that, a staircase of ~10 px
along every slanted boundary. :func:`levels` brings it up by doubling its size, and at
each level cuts again only the pixels within a few pixels of the mask's boundary (GrabCut's
energy with the cut's colour models, :func:`.graphcut.band_cut`) on the region scaled to
that level: a boundary off by a pixel at one level is off by at most two at the next, so a
narrow band always holds it. This is the multilevel banded graph cut of Lombaert, Sun,
Grady and Xu (ICCV 2005); the work grows with the boundary's length at full resolution, not
the region's area.

The colour models were learnt on the working copy, whose pixels average many image pixels:
at each level each model is refitted (one round of GrabCut's hard assignment) to that
level's pixels on its side of the band, so it fits their noise.

A click continues the object on the same region: where the working mask is what it was
(two working pixels round every change), each level keeps the last call's mask, and only
the boundary round the changes is cut again, so a click costs what it changes.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import graphcut
from .fit import GMM_COMPONENTS, refine

__all__ = ["levels", "level_sizes"]

# most pixels of each side a level's colour models are refitted to (a regular subsample)
_SAMPLES = 1 << 16


def level_sizes(full: tuple, work: tuple) -> list:
    """The (width, height) of each level, coarse to fine: ``full`` halved (rounding up)
    while the half stays more than 1.5 times ``work`` on its longer side."""
    sizes = [tuple(full)]
    while True:
        w, h = sizes[-1]
        half = ((w + 1) // 2, (h + 1) // 2)
        if max(half) <= 1.5 * max(work):
            break
        sizes.append(half)
    return sizes[::-1]


def levels(
    rgb: np.ndarray, small: np.ndarray, region: tuple, marks, radius: int, bgd_model, fgd_model, previous=None
) -> tuple:
    """The region's full-resolution mask from ``small`` (its working-grid mask): scaled up
    one level at a time (:func:`level_sizes`), each level's boundary band (``radius`` pixels
    each side, more where a level grows by more than twice) cut again on the region's
    pixels at that level; the marks (``marks``, full resolution) are hard at the last.

    Returns the mask and what a next call on the same region continues from
    (``previous``: the working mask, every level's mask, every level's pixels and the
    samples its colour models are refitted to)."""
    rx0, ry0, rx1, ry1 = region
    crop = rgb[ry0:ry1, rx0:rx1]
    wh, ww = small.shape
    sizes = level_sizes((rx1 - rx0, ry1 - ry0), (ww, wh))
    changed = None
    if previous is not None and previous[0].shape == small.shape and len(previous[1]) == len(sizes):
        changed = cv2.dilate((previous[0] != small).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        pyramid, samples = previous[2], previous[3]  # the same region of the same image
    else:
        pyramid = [crop]
        for size in sizes[-2::-1]:
            pyramid.append(np.ascontiguousarray(cv2.resize(pyramid[-1], size, interpolation=cv2.INTER_AREA)))
        pyramid.reverse()
        pyramid[-1] = np.ascontiguousarray(crop)
        samples = [_samples(pixels) for pixels in pyramid]
    fixed = ()
    overlap = None if marks is None else marks.overlap(region)
    if overlap is not None:
        in_window, (sy, sx), _ = overlap
        fixed = ((marks.fg[in_window], sy, sx, True), (marks.bg[in_window], sy, sx, False))
    bg, fg = np.asarray(bgd_model, np.float64).ravel(), np.asarray(fgd_model, np.float64).ravel()
    if changed is not None:
        if not changed.any() and not fixed:
            return previous[1][-1].copy(), previous
    mask, kept = small, []
    for k, (size, pixels, sampled) in enumerate(zip(sizes, pyramid, samples)):
        growth = max(size) / max(mask.shape)
        r = max(int(radius), int(np.ceil(1.5 * growth)))
        coarse = mask
        mask = cv2.resize(coarse.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) >= 128
        only = None
        if changed is not None:
            # where the working mask is unchanged, the last call's mask at this level
            only = cv2.resize(changed.astype(np.uint8), coarse.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
            here = cv2.resize(changed.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
            mask = _kept_but(previous[1][k], mask, here)
        bg, fg = _refitted(sampled, mask, bg, fg)
        last = k == len(sizes) - 1
        mask = graphcut.band_cut(pixels, mask, coarse, r, bg, fg, marks=fixed if last else (), only=only)
        kept.append(mask.copy() if last else mask)
    return mask, (small.copy(), kept, pyramid, samples)


def _kept_but(before: np.ndarray, now: np.ndarray, here: np.ndarray) -> np.ndarray:
    """``before`` with ``now``'s pixels where ``here`` (``np.where(here, now, before)``,
    worked on ``here``'s bounding box only)."""
    out = before.copy()
    rows, cols = np.flatnonzero(here.any(axis=1)), np.flatnonzero(here.any(axis=0))
    if rows.size:
        window = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        out[window] = np.where(here[window], now[window], before[window])
    return out


def _samples(pixels: np.ndarray) -> tuple:
    """(step, colours): the level's pixels ``[::step, ::step]`` as (n, 3) float64, at most
    about ``_SAMPLES`` of them."""
    step = max(1, int(np.ceil(np.sqrt(pixels.shape[0] * pixels.shape[1] / _SAMPLES))))
    return step, pixels[::step, ::step].reshape(-1, 3).astype(np.float64)


def _refitted(sampled: tuple, mask: np.ndarray, bg: np.ndarray, fg: np.ndarray) -> tuple:
    """The two colour models refitted to this level's pixels of their side (away from the
    boundary), one hard-assignment round each, on the level's ``sampled`` pixels
    (:func:`_samples`); a side too small to refit keeps its model."""
    step, x = sampled
    inner, outer = _sampled_sides(mask, step, 2)
    out = []
    for side, model in ((outer, bg), (inner, fg)):
        xs = x[side.ravel()]
        out.append(refine(model, xs, 1) if len(xs) >= 4 * GMM_COMPONENTS else model)
    return tuple(out)


def _sampled_sides(mask: np.ndarray, step: int, reach: int) -> tuple:
    """At the pixels ``[::step, ::step]``: (the object, the background) farther than
    ``reach`` pixels (in both axes) from the other side, that is ``mask`` eroded and
    inverted dilated by a ``2 * reach + 1`` square, neighbours outside the image ignored
    (OpenCV's default border), evaluated only where sampled."""
    h, w = mask.shape
    ys, xs = np.arange(0, h, step), np.arange(0, w, step)
    offsets = np.arange(-reach, reach + 1)
    # whole rows first (a row's copy is cheap), each sampled row's window reduced...
    rows = mask[np.clip(ys[:, None] + offsets, 0, h - 1).ravel()].reshape(ys.size, offsets.size, w)
    # ...then its columns' window at the sampled columns
    cols = np.clip(xs[None, :] + offsets[:, None], 0, w - 1).ravel()  # (offsets, sampled columns)
    inner = rows.all(axis=1)[:, cols].reshape(ys.size, offsets.size, xs.size).all(axis=1)
    outer = ~rows.any(axis=1)[:, cols].reshape(ys.size, offsets.size, xs.size).any(axis=1)
    return inner, outer
