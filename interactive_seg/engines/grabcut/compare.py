"""The second cut after a fresh box: plain GrabCut's whole-image cut beside the fast one.

Two reasons call for it. The collapse guard (``guard_area``): a box is drawn round an
object, so a fast mask that keeps little of its box means the fast path's premise failed
(the margin round the box holds the object's own colours, or the object is too thin at
working size); the larger mask is kept. ``compare``: where the box reaches the image's
edge the fast region has no margin on that side, so its background model saw nothing of
it; the two masks are brought to the fast cut's working grid, one pair of colour models
is learnt from what they agree on, and the cut whose disputed pixels those models give
to its own side (the lower data term, :func:`shared_energy_gap`) is kept. Clicks then
continue on the fast region from the kept cut's labelling (:func:`restarted`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from . import colour_models
from .fit import GMM_COMPONENTS, fit_model
from .marks import GC_FGD, GC_PR_BGD, GC_PR_FGD
from .region import Work, on_grid
from .start import State

__all__ = ["shared_energy_gap", "restarted"]


def shared_energy_gap(work: Work, first: np.ndarray, second: np.ndarray, box, seed: int) -> Optional[float]:
    """GrabCut's data term of ``first`` minus that of ``second`` (full-resolution masks),
    both on ``work``'s grid under one pair of colour models learnt from what the two masks
    agree on; ``None`` when they agree on too few pixels of either side to learn from.
    Only the disputed pixels count: positive means the shared models give them to
    ``second``'s side."""
    a, b = on_grid(work, first, box), on_grid(work, second, box)
    agree_fg, agree_bg = a & b, ~a & ~b
    if min(np.count_nonzero(agree_fg), np.count_nonzero(agree_bg)) < 4 * GMM_COMPONENTS:
        return None
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    fg_model = fit_model(x[agree_fg.ravel()], seed)
    bg_model = fit_model(x[agree_bg.ravel()], seed)
    disputed = (a ^ b).ravel()
    if not disputed.any():
        return 0.0
    xd = x[disputed]
    object_minus_background = colour_models.log_likelihood(fg_model, xd) - colour_models.log_likelihood(bg_model, xd)
    # first labels a\b object (cost -log p_fg) where second labels it background, and the
    # other way round on b\a
    sign = np.where(a.ravel()[disputed], -1.0, 1.0)
    return float(np.sum(sign * object_minus_background))


def restarted(state: State, work: Work, mask: np.ndarray, box, seed: int) -> State:
    """``state`` (a fast cut's) with its free pixels relabelled from ``mask`` and colour
    models learnt from that labelling."""
    labels = state.labels.copy()
    free = (labels == GC_PR_FGD) | (labels == GC_PR_BGD)
    small = on_grid(work, mask, box)
    labels[free & small] = GC_PR_FGD
    labels[free & ~small] = GC_PR_BGD
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    obj = np.isin(labels, (GC_FGD, GC_PR_FGD)).ravel()
    if min(np.count_nonzero(obj), np.count_nonzero(~obj)) < GMM_COMPONENTS:
        return state
    return replace(
        state,
        labels=labels,
        bgd_model=fit_model(x[~obj], seed)[None].copy(),
        fgd_model=fit_model(x[obj], seed)[None].copy(),
    )
