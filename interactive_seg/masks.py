"""Mask tools: plain functions over boolean H x W arrays."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from .errors import InputError

__all__ = ["fill_holes", "remove_small", "keep_connected", "bbox", "feather"]


def _as_mask(mask) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise InputError(f"A mask must be 2-D (H, W); got shape {arr.shape}.")
    return arr.astype(bool, copy=False)


def _components(mask: np.ndarray):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return n, labels, stats[:, cv2.CC_STAT_AREA]


def fill_holes(mask, max_area: Optional[int] = None) -> np.ndarray:
    """Fill background regions that the object encloses.

    Parameters
    ----------
    mask : (H, W) bool array
    max_area : int, optional
        Fill only holes of at most this many pixels; ``None`` fills every hole.

    Examples
    --------
    >>> ring = np.zeros((5, 5), bool); ring[1:4, 1:4] = True; ring[2, 2] = False
    >>> bool(fill_holes(ring)[2, 2])
    True
    """
    mask = _as_mask(mask)
    background = ~mask
    n, labels, stats = cv2.connectedComponentsWithStats(background.astype(np.uint8), connectivity=4)[:3]
    if n <= 1:
        return mask.copy()
    touching = np.zeros(n, bool)
    touching[np.unique(labels[0, :])] = True
    touching[np.unique(labels[-1, :])] = True
    touching[np.unique(labels[:, 0])] = True
    touching[np.unique(labels[:, -1])] = True
    hole = ~touching
    hole[0] = False
    if max_area is not None:
        hole &= stats[:, cv2.CC_STAT_AREA] <= max_area
    return mask | (hole[labels] & background)


def remove_small(mask, min_area: int) -> np.ndarray:
    """Drop connected parts (8-connected) of fewer than ``min_area`` pixels.

    Examples
    --------
    >>> m = np.zeros((6, 6), bool); m[0, 0] = True; m[2:5, 2:5] = True
    >>> int(remove_small(m, 4).sum())
    9
    """
    mask = _as_mask(mask)
    if min_area <= 1 or not mask.any():
        return mask.copy()
    n, labels, areas = _components(mask)
    keep = areas >= min_area
    keep[0] = False
    return keep[labels]


def keep_connected(mask, seeds) -> np.ndarray:
    """Keep only the parts of ``mask`` that touch a ``seeds`` pixel (8-connected).

    Parameters
    ----------
    mask : (H, W) bool array
    seeds : (H, W) bool array
        Foreground evidence, for example the user's foreground clicks and strokes.
        Where no seed touches the mask, the mask is returned unchanged rather than
        emptied, so a stray stroke never wipes a result.

    Examples
    --------
    >>> m = np.zeros((5, 7), bool); m[1:4, 0:2] = True; m[1:4, 4:7] = True
    >>> s = np.zeros_like(m); s[2, 5] = True
    >>> bool(keep_connected(m, s)[2, 0]), bool(keep_connected(m, s)[2, 5])
    (False, True)
    """
    mask = _as_mask(mask)
    seeds = _as_mask(seeds)
    if seeds.shape != mask.shape:
        raise InputError(f"Seeds of shape {seeds.shape} do not match the mask's {mask.shape}.")
    n, labels, _ = _components(mask)
    hit = np.unique(labels[seeds & mask])
    hit = hit[hit > 0]
    if hit.size == 0:
        return mask.copy()
    keep = np.zeros(n, bool)
    keep[hit] = True
    return keep[labels]


def bbox(mask) -> Optional[tuple]:
    """The tight box ``(x0, y0, x1, y1)`` around the mask (x1, y1 exclusive); None if empty.

    Examples
    --------
    >>> m = np.zeros((4, 6), bool); m[1:3, 2:5] = True
    >>> bbox(m)
    (2, 1, 5, 3)
    """
    mask = _as_mask(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def feather(mask, radius: float) -> np.ndarray:
    """A soft alpha in [0, 1] from a binary mask, blurred over about ``radius`` pixels.

    The blur is centred on the mask's edge, so the 0.5 level stays where the hard edge
    was; ``radius=0`` returns the hard mask as floats.
    """
    mask = _as_mask(mask)
    alpha = mask.astype(np.float32)
    if radius <= 0:
        return alpha
    sigma = float(radius) / 2.0
    return np.clip(cv2.GaussianBlur(alpha, (0, 0), sigmaX=sigma, sigmaY=sigma), 0.0, 1.0)
