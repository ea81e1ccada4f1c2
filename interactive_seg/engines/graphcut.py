"""GrabCut's graph cut with the colour models frozen, built here so its energy can change.

``cv2.grabCut(..., GC_EVAL_FREEZE_MODEL)`` cuts a fixed energy: the colour models' data
term and an 8-neighbour smoothness term of weight 50, with no way to add anything. The
GrabCut engine's click prior (``click_prior``) needs one more unary term, so for clicks on
a continued object it builds the same graph itself and cuts it with PyMaxflow (the
Boykov-Kolmogorov algorithm, as OpenCV's own ``GCGraph``). Without the extra term
:func:`cut` gives ``cv2.grabCut``'s labelling (the tests check it).
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from . import colour_models

__all__ = ["GAMMA", "smoothness", "cut"]

GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD
#: OpenCV's smoothness weight; hard labels are linked with 9 times that (its ``lambda``).
GAMMA = 50.0
# (dy, dx) of the four neighbours OpenCV links each pixel to: left, up-left, up, up-right
_OFFSETS = ((0, -1), (-1, -1), (-1, 0), (-1, 1))


def smoothness(pixels: np.ndarray, gamma: float = GAMMA) -> list:
    """The four pairwise weight maps of GrabCut's smoothness term, OpenCV's formula:
    ``gamma * exp(-beta * |z_p - z_q|^2)`` (over sqrt(2) for diagonal neighbours), with
    ``beta`` one over twice the mean squared colour difference of neighbours. Map ``k``
    links each pixel to its neighbour at ``_OFFSETS[k]`` (0 where there is none)."""
    img = np.asarray(pixels, np.float64)
    h, w = img.shape[:2]
    diffs = []
    for dy, dx in _OFFSETS:
        d = np.zeros((h, w))
        ys, xs = slice(-dy, h), slice(max(0, -dx), w - max(0, dx))
        diff = img[ys, xs] - img[ys.start + dy : h + dy, xs.start + dx : xs.stop + dx]
        d[ys, xs] = (diff * diff).sum(-1)
        diffs.append(d)
    total = sum(float(d.sum()) for d in diffs)
    count = 4 * h * w - 3 * w - 3 * h + 2
    beta = 0.0 if total <= 1e-12 or count <= 0 else 1.0 / (2.0 * total / count)
    weights = []
    for (dy, dx), d in zip(_OFFSETS, diffs):
        wmap = (gamma / np.sqrt(2.0) if dy and dx else gamma) * np.exp(-beta * d)
        if dy:
            wmap[0, :] = 0
        if dx == -1:
            wmap[:, 0] = 0
        if dx == 1:
            wmap[:, -1] = 0
        weights.append(wmap)
    return weights


def cut(
    pixels: np.ndarray,
    labels: np.ndarray,
    bg_model: np.ndarray,
    fg_model: np.ndarray,
    *,
    gamma: float = GAMMA,
    weights: Optional[list] = None,
    extra: Optional[tuple] = None,
) -> np.ndarray:
    """One graph cut of GrabCut's energy with the colour models frozen; relabels the
    probable pixels of ``labels`` in place (``GC_PR_FGD`` / ``GC_PR_BGD``) and returns it.

    Parameters
    ----------
    pixels : (H, W, 3) array
        The colours the models describe.
    labels : (H, W) uint8
        GrabCut labels; ``GC_FGD`` / ``GC_BGD`` pixels stay as they are.
    bg_model, fg_model : array
        Colour models in OpenCV's layout (65 doubles, see ``colour_models``).
    gamma : float
        Smoothness weight (OpenCV's 50).
    weights : list, optional
        :func:`smoothness`'s maps for these pixels and ``gamma`` (computed when ``None``).
    extra : (object_cost, background_cost), optional
        Per-pixel costs added to labelling a probable pixel object and background.
    """
    import maxflow  # PyMaxflow

    h, w = labels.shape
    if weights is None:
        weights = smoothness(pixels, gamma)
    flat = labels.reshape(-1)
    free = (flat == GC_PR_BGD) | (flat == GC_PR_FGD)
    hard = 9.0 * gamma
    to_source = np.zeros(h * w)  # paid when the pixel ends up background
    to_sink = np.zeros(h * w)  # paid when it ends up object
    if free.any():
        x = np.asarray(pixels, np.float64).reshape(-1, 3)[free]
        background = -colour_models.log_likelihood(np.asarray(bg_model, np.float64).ravel(), x)
        obj = -colour_models.log_likelihood(np.asarray(fg_model, np.float64).ravel(), x)
        if extra is not None:
            obj = obj + np.asarray(extra[0], np.float64).reshape(-1)[free]
            background = background + np.asarray(extra[1], np.float64).reshape(-1)[free]
        low = np.minimum(obj, background)  # the same constant off both: capacities >= 0
        to_source[free] = background - low
        to_sink[free] = obj - low
    to_source[flat == GC_FGD] = hard
    to_sink[flat == GC_BGD] = hard
    graph = maxflow.Graph[float](h * w, 4 * h * w)
    nodes = graph.add_grid_nodes((h, w))
    for (dy, dx), wmap in zip(_OFFSETS, weights):
        structure = np.zeros((3, 3))
        structure[1 + dy, 1 + dx] = 1
        graph.add_grid_edges(nodes, weights=wmap, structure=structure, symmetric=True)
    graph.add_grid_tedges(nodes, to_source.reshape(h, w), to_sink.reshape(h, w))
    graph.maxflow()
    background_side = graph.get_grid_segments(nodes).reshape(-1)
    flat[free] = np.where(background_side[free], GC_PR_BGD, GC_PR_FGD)
    return labels
