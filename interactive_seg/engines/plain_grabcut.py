"""Plain GrabCut: ``cv2.grabCut`` on the whole image at full resolution, as the recipe goes.

The reference the ``grabcut`` engine is measured against, kept as an engine so that a user
can compare the two on their own images (the napari widget's Engine box, ``segment
--engine plain_grabcut``, ``get_engine("plain_grabcut")``). No region of interest, no
downscaling, no colour-model weighting, no stroke prior, no collapse guard: every call
starts afresh from its prompts, and is seeded so that it repeats exactly. It is slow on
large photographs (seconds per call at a few megapixels), which is the point of the other.

How prompts become GrabCut's labels:

- a box alone: ``GC_INIT_WITH_RECT`` (the box kept one pixel inside the image, as OpenCV
  needs some background outside it);
- a box with clicks or strokes: the box's inside probable object, its outside background,
  clicks as disks of ``click_radius`` and strokes as marked, then ``GC_INIT_WITH_MASK``;
- clicks or strokes without a box: everything probable background, the marks as marked;
- a prior mask (the previous result of an edited object) makes its pixels probable object.

>>> import numpy as np
>>> from interactive_seg import Prompts, get_engine
>>> image = np.zeros((60, 80, 3), np.uint8); image[15:45, 20:60] = (200, 40, 40)
>>> engine = get_engine("plain_grabcut")
>>> engine.set_image(image)
>>> mask = engine.segment(Prompts(box=(15, 10, 65, 50))).mask
>>> int(mask.sum()), bool(mask[30, 40]), bool(mask[5, 5])
(1200, True, False)
"""

from __future__ import annotations

import time
from typing import Optional

import cv2
import numpy as np

from ..errors import IncompletePrompts, InputError
from ..image import as_rgb8
from ..prompts import Prompts
from .base import Engine, Option, Result

__all__ = ["PlainGrabCutEngine"]


class PlainGrabCutEngine(Engine):
    """``cv2.grabCut`` on the whole image: the recipe the ``grabcut`` engine replaces.

    Parameters
    ----------
    iterations : int
        GrabCut iterations per call (default 5, as in the benchmark's reference).
    click_radius : int
        Radius in pixels of the disk a click marks (default 5, the benchmark protocol's).
    seed : int
        Seed of OpenCV's random generator before each call (k-means), so results repeat.
    """

    name = "plain_grabcut"
    options = (
        Option("iterations", int, 5, "GrabCut iterations per call", minimum=1, maximum=50),
        Option(
            "click_radius",
            int,
            5,
            "radius in pixels of the disk a click marks",
            label="Click radius (px)",
            minimum=0,
            maximum=100,
        ),
    )

    def __init__(self, iterations: int = 5, click_radius: int = 5, seed: int = 0):
        if int(iterations) < 1:
            raise InputError(f"iterations must be at least 1; got {iterations}.")
        if int(click_radius) < 0:
            raise InputError(f"click_radius is a radius in pixels, 0 or more; got {click_radius}.")
        self.iterations = int(iterations)
        self.click_radius = int(click_radius)
        self.seed = int(seed)
        self._rgb: Optional[np.ndarray] = None

    def set_image(self, image) -> None:
        # cv2.grabCut treats the three channels alike: RGB as given (as the benchmark's reference)
        self._rgb = np.ascontiguousarray(as_rgb8(image))

    def segment(self, prompts: Prompts) -> Result:
        if self._rgb is None:
            raise InputError("No image yet: call set_image(image) before segment().")
        start = time.perf_counter()
        h, w = self._rgb.shape[:2]
        p = prompts.validated(self._rgb.shape)
        if min(h, w) < 3:
            raise InputError(f"The image is {h} x {w} pixels; GrabCut needs at least 3 x 3.")
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(self.seed)
        rect = None if p.box is None else _inner_rect(p.box, w, h)
        if rect is not None and not p.has_marks and p.prior is None:
            labels = np.zeros((h, w), np.uint8)
            cv2.grabCut(self._rgb, labels, rect, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_RECT)
            mode = "rect"
        else:
            labels = self._labels(p, rect, h, w)
            if (
                not np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
                or not np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any()
            ):
                raise IncompletePrompts(
                    "The marks leave GrabCut no object or no background; add a background (or object) mark."
                )
            cv2.grabCut(self._rgb, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
            mode = "mask"
        mask = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        return Result(
            mask=mask,
            info={
                "engine": self.name,
                "mode": mode,
                "iterations": self.iterations,
                "seconds": time.perf_counter() - start,
            },
        )

    def _labels(self, p: Prompts, rect, h: int, w: int) -> np.ndarray:
        if rect is not None:
            x, y, rw, rh = rect
            labels = np.full((h, w), cv2.GC_BGD, np.uint8)
            labels[y : y + rh, x : x + rw] = cv2.GC_PR_FGD
        else:
            labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        if p.prior is not None:
            labels[np.asarray(p.prior, bool)] = cv2.GC_PR_FGD
        if p.points is not None:
            for (x, y), label in zip(p.points, p.point_labels):
                value = cv2.GC_FGD if label == 1 else cv2.GC_BGD
                cv2.circle(labels, (int(round(x)), int(round(y))), self.click_radius, int(value), -1)
        if p.scribbles is not None:
            labels[p.scribbles == 1] = cv2.GC_FGD
            labels[p.scribbles == 2] = cv2.GC_BGD
        return labels


def _inner_rect(box, w: int, h: int) -> tuple:
    """The box as OpenCV's (x, y, width, height), kept one pixel inside the image."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(x0, 1), max(y0, 1)
    x1, y1 = min(x1, w - 1), min(y1, h - 1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise InputError(f"The box {tuple(box)} leaves no pixel inside the image's one-pixel frame; draw it larger.")
    return x0, y0, x1 - x0, y1 - y0
