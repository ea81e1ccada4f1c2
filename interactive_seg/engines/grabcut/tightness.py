"""The tightness prior of a box, by pinpointing (Lempitsky, Kohli, Rother and Sharp, ICCV 2009).

A box is drawn round an object, so every row and every column that crosses the box, but
the outer ``slack`` of its height or width on each side, crosses some of the object. After
each graph cut on the working region (a fresh box's iterations and every click or stroke
after it), a line left empty gets its most object-like pixel (the colour models'
log-likelihood ratio; never a background mark) pinned as object and the graph is cut
again, up to ``rounds`` times. So a mask can no longer vanish inside its box, and a click
can no longer wipe the object out. The whole-image cuts of the collapse guard and of
``compare`` stay plain GrabCut's.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import colour_models
from .marks import GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD

__all__ = ["pinpoint"]


def pinpoint(pixels, labels, bg_model, fg_model, box, slack, recut, rounds: int = 8) -> None:
    """Pin the most object-like pixel of every empty line crossing ``box`` and ``recut()``,
    until no line is empty; ``labels`` (working grid) is changed in place.

    Pins are then released to probable object, and a part of the mask that is only pins
    and their eight neighbours goes back to probable background: a box drawn looser than
    ``slack`` has lines that truly cross no object, and a pin the cut grew nothing round is
    no evidence (it would be a speck in the mask)."""
    bx0, by0, bx1, by1 = box
    bh, bw = by1 - by0, bx1 - bx0
    sy, sx = int(np.ceil(slack * bh)), int(np.ceil(slack * bw))
    if bh - 2 * sy < 1 or bw - 2 * sx < 1:
        return
    view = labels[by0:by1, bx0:bx1]
    llr = None
    pinned = np.zeros((bh, bw), bool)
    for _ in range(rounds):
        obj = (view == GC_FGD) | (view == GC_PR_FGD)
        empty_rows, empty_cols = ~obj.any(1), ~obj.any(0)
        if not (empty_rows[sy : bh - sy].any() or empty_cols[sx : bw - sx].any()):
            break
        if llr is None:
            inner = pixels[by0:by1, bx0:bx1].reshape(-1, 3).astype(np.float64)
            llr = colour_models.log_likelihood(fg_model, inner) - colour_models.log_likelihood(bg_model, inner)
            llr = llr.reshape(bh, bw)
            llr[view == GC_BGD] = -np.inf  # the user's background marks are never pinned
            empty_rows_ok, empty_cols_ok = np.isfinite(llr).any(1), np.isfinite(llr).any(0)
        bad_rows = sy + np.flatnonzero((empty_rows & empty_rows_ok)[sy : bh - sy])
        bad_cols = sx + np.flatnonzero((empty_cols & empty_cols_ok)[sx : bw - sx])
        if not bad_rows.size and not bad_cols.size:
            break
        pins = np.zeros((bh, bw), bool)
        pins[bad_rows, llr[bad_rows].argmax(1)] = True
        pins[llr[:, bad_cols].argmax(0), bad_cols] = True
        pinned |= pins
        view[pins] = GC_FGD
        recut()
    view[pinned & (view == GC_FGD)] = GC_PR_FGD
    if not pinned.any():
        return
    obj = (view == GC_FGD) | (view == GC_PR_FGD)
    n, comp = cv2.connectedComponents(obj.astype(np.uint8), connectivity=8)
    near = cv2.dilate(pinned.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    real = np.zeros(n, bool)
    real[comp[obj & ~near]] = True
    real[comp[view == GC_FGD]] = True
    view[obj & ~real[comp]] = GC_PR_BGD
