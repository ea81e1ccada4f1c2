"""Where a cut starts: GrabCut's initial labels, mode and colour models for one call.

A call continues the last one (same region, box and prior, only marks added) from its
labelling and colour models; otherwise it starts from the prompts: a box alone as
OpenCV's rectangle, a box with marks or a prior as a labelling, strokes alone from the
geodesic stroke prior (:func:`.seeds.stroke_prior`) or, as plain GrabCut does, from the
foreground strokes' box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ... import masks as mask_tools
from ...errors import InputError
from ...prompts import Prompts
from . import seeds
from .fit import GMM_COMPONENTS
from .marks import GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD, contains, either, paint, same_array
from .settings import GrabCutSettings

__all__ = ["State", "start"]


@dataclass
class State:
    """What the last call left behind, for continuing the same object."""

    region: tuple
    scale: float
    box: Optional[tuple]
    prior: Optional[np.ndarray]
    fg: np.ndarray  # working-size hard marks
    bg: np.ndarray
    labels: np.ndarray  # GrabCut labels after the last run
    bgd_model: np.ndarray
    fgd_model: np.ndarray
    wide: bool = False  # the whole-image cut made it (the collapse guard's)
    near: Optional[tuple] = None  # geodesic distances to the (fg, bg) marks (click prior)
    grown: bool = False  # the region was grown where the object reached its edge
    levels: Optional[tuple] = None  # the last fine edges (upscale.levels), for a click to continue
    clicks: Optional[dict] = None  # each click's disk radius, image pixels (marks.grow_clicks's known)


def start(p: Prompts, work, box_w, fg, bg, state: Optional[State], settings: GrabCutSettings) -> tuple:
    """Initial labels, GrabCut mode (None: too few pixels of a side for the colour models,
    the prompts' labelling is the answer), iteration count and colour models."""
    s = settings
    wh, ww = work.pixels.shape[:2]
    models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
    if (
        s.reuse
        and state is not None
        and state.region == work.region
        and state.box == p.box
        and same_array(state.prior, p.prior)
        and state.labels.shape == (wh, ww)
        # Marks were only added: every old mark is still marked. A newer mark of the
        # other kind may take over an older one's pixels (a click's disk that lands
        # on an earlier click of the other kind), and that is still a correction to
        # continue from, not a new object to start over on.
        and contains(either(fg, bg), either(state.fg, state.bg))
        and (fg is not None or bg is not None)
    ):
        labels = state.labels.copy()
        paint(labels, fg, bg)
        return labels, cv2.GC_EVAL, s.refine_iterations, (state.bgd_model.copy(), state.fgd_model.copy())

    prior = None
    if p.prior is not None:
        x0, y0, x1, y1 = work.region
        prior = cv2.resize(p.prior[y0:y1, x0:x1].astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) >= 0.5
        if box_w is not None and not prior[box_w[1] : box_w[3], box_w[0] : box_w[2]].any():
            prior = None  # a box that holds none of the old mask (an edit drawn elsewhere): the box alone says where
    if box_w is not None:
        bx0, by0, bx1, by1 = box_w
        labels = np.full((wh, ww), GC_BGD, np.uint8)
        labels[by0:by1, bx0:bx1] = GC_PR_FGD
        has_outside = bx0 > 0 or by0 > 0 or bx1 < ww or by1 < wh
        big_enough = min((bx1 - bx0) * (by1 - by0), ww * wh - (bx1 - bx0) * (by1 - by0)) >= GMM_COMPONENTS
        if fg is None and bg is None and prior is None and has_outside and big_enough:
            return labels, cv2.GC_INIT_WITH_RECT, s.iterations, models
    else:
        labels = np.full((wh, ww), GC_PR_BGD, np.uint8)
        if (
            prior is None
            and s.scribble_prior == "geodesic"
            and fg is not None
            and fg.any()
            and bg is not None
            and (bg & ~fg).any()
        ):
            # Strokes alone: unmarked pixels geodesically nearer the foreground strokes
            # start as probable object, the others as probable background.
            near = seeds.stroke_prior(work.pixels, fg, bg, contrast=s.prior_contrast, edges=s.prior_edges)
            labels[near > 0.5] = GC_PR_FGD
        elif prior is None and fg is not None:
            near = mask_tools.bbox(fg)
            pad = max(2, int(0.1 * max(near[2] - near[0], near[3] - near[1])))
            labels[max(0, near[1] - pad) : near[3] + pad, max(0, near[0] - pad) : near[2] + pad] = GC_PR_FGD
    if prior is not None:
        free = labels != GC_BGD
        labels[free & prior] = GC_PR_FGD
        labels[free & ~prior] = GC_PR_BGD
    paint(labels, fg, bg)
    if not np.isin(labels, (GC_FGD, GC_PR_FGD)).any():
        raise InputError("Nothing is left that could be the object: every pixel is marked background.")
    if not np.isin(labels, (GC_BGD, GC_PR_BGD)).any() and min(wh, ww) >= 3:
        # The box covers the whole region (for example the whole image): let the
        # one-pixel frame be background, as plain cv2.grabCut's rectangle does, so
        # GrabCut has a colour model for it (as probable background the frame turned
        # object on some images).
        frame = np.ones((wh, ww), bool)
        frame[1:-1, 1:-1] = False
        labels[frame & (labels == GC_PR_FGD)] = GC_BGD
    maybe_fg = np.isin(labels, (GC_FGD, GC_PR_FGD))
    if min(np.count_nonzero(maybe_fg), np.count_nonzero(~maybe_fg)) < GMM_COMPONENTS:
        return labels, None, 0, models
    return labels, cv2.GC_INIT_WITH_MASK, s.iterations, models
