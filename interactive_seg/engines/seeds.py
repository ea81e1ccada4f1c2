"""What foreground and background strokes say about the pixels they do not touch.

Strokes alone (no box) give GrabCut little to start from: a short foreground stroke covers a
small part of the object's colours, and plain GrabCut calls every unmarked pixel probable
background. The classical answer (Bai and Sapiro, "A geodesic framework for fast
interactive image and video segmentation and matting", IJCV 2009; Criminisi, Sharp and
Blake, "GeoS", ECCV 2008) is the *geodesic distance* from each kind of stroke: the length
of the shortest path to a stroke where crossing an image edge costs more than moving
through a smooth area. A pixel that is much nearer (geodesically) to the foreground strokes
than to the background strokes is probably object, and the other way round.

This module is Qt-free and works on whatever pixels it is given: the engine calls it on its
working (downscaled) copy of the region, never on a full-resolution photo.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np
from skimage.graph import MCP_Geometric

from ..errors import InputError

__all__ = ["edge_cost", "geodesic_distance", "stroke_prior"]


def edge_cost(image: np.ndarray, contrast: float = 10.0, sigma: float = 1.0) -> np.ndarray:
    """The cost of moving through each pixel: ``1 + contrast * g``, with ``g`` the colour
    gradient magnitude (CIELAB, after a Gaussian blur of ``sigma`` pixels) divided by its
    mean over the image, so ``contrast`` means the same on a busy and a plain photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB pixels.
    contrast : float
        How much more an average edge costs than a step through a flat area, per pixel.
    sigma : float
        Gaussian blur before the gradient, in pixels (0: none).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"The image must be uint8 RGB of shape (H, W, 3); got {image.dtype} {image.shape}.")
    if not contrast >= 0:
        raise InputError(f"contrast must not be negative; got {contrast}.")
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    if sigma > 0:
        lab = cv2.GaussianBlur(lab, (0, 0), sigma)
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    g = np.sqrt((gx**2 + gy**2).sum(-1))
    mean = float(g.mean())
    if mean > 0:
        g /= mean
    return 1.0 + contrast * g.astype(np.float64)


def geodesic_distance(cost: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The length of the cheapest 8-connected path from each pixel to a seed pixel, where a
    step costs its length times the mean of the two pixels' ``cost``; 0 on the seeds,
    ``inf`` everywhere when there is no seed."""
    seeds = np.asarray(seeds, bool)
    if seeds.shape != cost.shape:
        raise InputError(f"The seeds' shape {seeds.shape} must match the image's {cost.shape}.")
    if not seeds.any():
        return np.full(cost.shape, np.inf)
    mcp = MCP_Geometric(cost, fully_connected=True)
    distance, _ = mcp.find_costs(np.argwhere(seeds))
    return distance


def stroke_prior(
    image: np.ndarray,
    fg: np.ndarray,
    bg: np.ndarray,
    *,
    contrast: float = 10.0,
    sigma: float = 1.0,
) -> np.ndarray:
    """How much nearer each pixel is to the foreground strokes than to the background ones.

    Returns ``d_bg / (d_fg + d_bg)`` per pixel, from 0 (on a background stroke) through 0.5
    (equally near both) to 1 (on a foreground stroke), with ``d_fg``, ``d_bg`` the geodesic
    distances of :func:`geodesic_distance` over :func:`edge_cost`.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB pixels (the engine's working copy).
    fg, bg : (H, W) bool arrays
        The strokes; each must mark at least one pixel.
    contrast, sigma : float
        See :func:`edge_cost`.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((40, 60, 3), np.uint8); image[:, 30:] = 200
    >>> fg = np.zeros((40, 60), bool); fg[20, 45] = True
    >>> bg = np.zeros((40, 60), bool); bg[20, 5] = True
    >>> p = stroke_prior(image, fg, bg)
    >>> bool(p[5, 35] > 0.5), bool(p[5, 25] < 0.5)
    (True, True)
    """
    image = np.asarray(image)
    fg = np.asarray(fg, bool)
    bg = np.asarray(bg, bool)
    if fg.shape != image.shape[:2] or bg.shape != image.shape[:2]:
        raise InputError(f"The strokes' shapes {fg.shape} and {bg.shape} must match the image's {image.shape[:2]}.")
    cost = edge_cost(image, contrast, sigma)
    bg = bg & ~fg  # where both are marked, foreground wins (as in GrabCut's labels)
    if not fg.any() or not bg.any():
        raise InputError("Give both a foreground and a background stroke, so each pixel can be compared to both.")
    d_fg = geodesic_distance(cost, fg)
    d_bg = geodesic_distance(cost, bg)
    total = d_fg + d_bg
    prior = np.full(fg.shape, 0.5)
    np.divide(d_bg, total, out=prior, where=total > 0)
    prior[fg] = 1.0
    prior[bg] = 0.0
    return prior
