"""What foreground and background strokes say about the pixels they do not touch.

Strokes alone (no box) give GrabCut little to start from: a short foreground stroke covers a
small part of the object's colours, and plain GrabCut calls every unmarked pixel probable
background, so its foreground colour model never sees the rest of the object. The classical
answer is the *geodesic distance* from each kind of stroke: the length of the cheapest path
to a stroke, where crossing an edge costs more than moving through a smooth area. A pixel
geodesically nearer the foreground strokes than the background ones is probably object.

Two kinds of edge are measured, and by default both count, half each:

- ``"image"``: the colour gradient of the image (Criminisi, Sharp and Blake, "GeoS:
  geodesic image segmentation", ECCV 2008);
- ``"likelihood"``: the gradient of ``p_fg / (p_fg + p_bg)``, the strokes' own colour
  likelihoods (Bai and Sapiro, "A geodesic framework for fast interactive image and video
  segmentation and matting", IJCV 2009): an edge between two colours neither stroke has
  seen (a red petal beside a yellow centre that was stroked) costs little, one between a
  colour like the foreground strokes and one like the background strokes costs much.

This module is Qt-free and works on whatever pixels it is given: the GrabCut engine calls it
on its working (downscaled) copy of the region, never on a full-resolution photo.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.graph import MCP_Geometric

from ...errors import InputError

__all__ = ["EDGES", "edge_cost", "likelihood_cost", "geodesic_distance", "stroke_prior"]

#: The kinds of edge :func:`stroke_prior` can measure.
EDGES = ("both", "image", "likelihood")


def _check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"The image must be uint8 RGB of shape (H, W, 3); got {image.dtype} {image.shape}.")
    return image


def _check_contrast(contrast) -> float:
    if not contrast >= 0:
        raise InputError(f"contrast must not be negative (0 measures straight-line distances); got {contrast}.")
    return float(contrast)


def _cost_from(values: np.ndarray, contrast: float, sigma: float) -> np.ndarray:
    """``1 + contrast * g``, ``g`` the gradient magnitude of ``values`` (H, W, C) after a
    Gaussian blur, over its mean."""
    if sigma > 0:
        values = cv2.GaussianBlur(values, (0, 0), sigma)
    gx = cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    g = gx**2 + gy**2
    g = np.sqrt(g.sum(-1) if g.ndim == 3 else g).astype(np.float64)
    mean = float(g.mean())
    if mean > 0:
        g /= mean
    return 1.0 + contrast * g


def edge_cost(image: np.ndarray, contrast: float = 3.0, sigma: float = 1.0) -> np.ndarray:
    """The cost of moving through each pixel: ``1 + contrast * g``, with ``g`` the colour
    gradient magnitude (CIELAB, after a Gaussian blur of ``sigma`` pixels) divided by its
    mean over the image, so ``contrast`` means the same on a busy and on a plain photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB pixels.
    contrast : float
        How much more than a step through a flat area a step across an average edge costs.
    sigma : float
        Gaussian blur before the gradient, in pixels (0: none).
    """
    image = _check_image(image)
    contrast = _check_contrast(contrast)
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return _cost_from(lab, contrast, sigma)


def likelihood_cost(
    image: np.ndarray, fg: np.ndarray, bg: np.ndarray, contrast: float = 3.0, sigma: float = 1.0, bins: int = 16
) -> np.ndarray:
    """Bai and Sapiro's cost: ``1 + contrast * g`` with ``g`` the gradient magnitude of
    ``p_fg / (p_fg + p_bg)`` over its mean; ``p_fg`` and ``p_bg`` are the colour histograms
    of the foreground and background strokes (``bins`` per channel, smoothed by one bin).

    Parameters are those of :func:`edge_cost`, with ``fg`` and ``bg`` the strokes (bool,
    image-shaped).
    """
    image = _check_image(image)
    contrast = _check_contrast(contrast)
    from skimage.filters import gaussian

    q = (image.astype(np.int64) * bins) // 256
    index = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    densities = []
    for marks in (fg, bg):
        hist = np.bincount(index[marks], minlength=bins**3).reshape(bins, bins, bins).astype(np.float64)
        hist = gaussian(hist, sigma=1.0, mode="constant", preserve_range=True) + 1e-6
        densities.append((hist / hist.sum()).ravel()[index])
    p = (densities[0] / (densities[0] + densities[1])).astype(np.float32)
    return _cost_from(p, contrast, sigma)


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
    contrast: float = 3.0,
    edges: str = "both",
    sigma: float = 1.0,
) -> np.ndarray:
    """How much nearer each pixel is to the foreground strokes than to the background ones.

    Returns ``d_bg / (d_fg + d_bg)`` per pixel, from 0 (on a background stroke) through 0.5
    (equally near both) to 1 (on a foreground stroke), with ``d_fg`` and ``d_bg`` the
    geodesic distances of :func:`geodesic_distance`. Where a pixel is marked both ways, the
    foreground wins, as in GrabCut's labels.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB pixels (the engine's working copy).
    fg, bg : (H, W) bool arrays
        The strokes; each must mark at least one pixel.
    contrast : float
        How much an edge costs (see :func:`edge_cost`); 0 gives straight-line distances.
    edges : {"both", "image", "likelihood"}
        Which edges cost: the image's (:func:`edge_cost`), those of the strokes' colour
        likelihoods (:func:`likelihood_cost`), or the mean of the two costs.
    sigma : float
        Gaussian blur before the gradients, in pixels.

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
    image = _check_image(image)
    fg = np.asarray(fg, bool)
    bg = np.asarray(bg, bool)
    if fg.shape != image.shape[:2] or bg.shape != image.shape[:2]:
        raise InputError(f"The strokes' shapes {fg.shape} and {bg.shape} must match the image's {image.shape[:2]}.")
    if edges not in EDGES:
        raise InputError(f"edges must be one of {', '.join(EDGES)}; got {edges!r}.")
    bg = bg & ~fg
    if not fg.any() or not bg.any():
        raise InputError("Give both a foreground and a background stroke, so each pixel can be compared to both.")
    if edges == "image":
        cost = edge_cost(image, contrast, sigma)
    elif edges == "likelihood":
        cost = likelihood_cost(image, fg, bg, contrast, sigma)
    else:
        cost = 0.5 * (edge_cost(image, contrast, sigma) + likelihood_cost(image, fg, bg, contrast, sigma))
    d_fg = geodesic_distance(cost, fg)
    d_bg = geodesic_distance(cost, bg)
    total = d_fg + d_bg
    prior = np.full(fg.shape, 0.5)
    np.divide(d_bg, total, out=prior, where=total > 0)
    prior[fg] = 1.0
    prior[bg] = 0.0
    return prior
