"""Cropped cutouts of huge images made band by band, never from image-sized arrays."""

from __future__ import annotations

import math

import numpy as np

from .cutouts import cutout

__all__ = ["banded_cutout", "BAND_PIXELS"]


#: Pixels of a cropped cutout computed at once (its float temporaries are ~50 bytes a pixel).
BAND_PIXELS = 2_000_000


def banded_cutout(image: np.ndarray, item, **options) -> np.ndarray:
    """``cutout(image, item.mask, crop=True, **options)`` made band by band of rows.

    The output is the object's box plus the padding cutout adds (``padding`` + twice the
    feather), clipped to the image. Each band is cut, uncropped, from the window of the
    image around it widened by the reach of the feather's and the blur's Gaussian
    kernels, so every output pixel sees the neighbours it sees in the whole image (at the
    image's own edges the kernels reflect the same pixels): the result is the same, made
    from band-sized arrays.
    """
    feather = float(options.get("feather", 0.0) or 0.0)
    pad = int(options.get("padding", 0) or 0) + int(math.ceil(2 * feather))  # as cutout pads its crop
    reach = int(math.ceil(2 * feather)) + 2 if feather > 0 else 0  # the feather's kernel: 4 sigma, sigma = feather / 2
    if options.get("background") == "blur":
        reach += int(math.ceil(4 * float(options.get("blur_sigma", 15.0)))) + 2
    height, width = image.shape[:2]
    x0, y0, x1, y1 = item.box
    r0, r1, c0, c1 = max(0, y0 - pad), min(height, y1 + pad), max(0, x0 - pad), min(width, x1 + pad)
    w0, w1 = max(0, c0 - reach), min(width, c1 + reach)  # the columns every band reads
    rows = max(1, BAND_PIXELS // (w1 - w0))
    uncropped = dict(options, crop=False)
    out = None
    for b0 in range(r0, r1, rows):
        b1 = min(b0 + rows, r1)
        h0, h1 = max(0, b0 - reach), min(height, b1 + reach)
        mask = np.zeros((h1 - h0, w1 - w0), bool)
        oy0, oy1, ox0, ox1 = max(h0, y0), min(h1, y1), max(w0, x0), min(w1, x1)
        if oy0 < oy1 and ox0 < ox1:
            mask[oy0 - h0 : oy1 - h0, ox0 - w0 : ox1 - w0] = item.crop[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0]
        band = cutout(image[h0:h1, w0:w1], mask, **uncropped)[b0 - h0 : b1 - h0, c0 - w0 : c1 - w0]
        if out is None:
            out = np.empty((r1 - r0, c1 - c0) + band.shape[2:], band.dtype)
        out[b0 - r0 : b1 - r0] = band
    return out
