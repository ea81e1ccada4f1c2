"""Turn whatever napari can show as a 2-D image into the uint8 RGB array engines take."""

from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = ["as_rgb8"]


def _scale_to_uint8(values: np.ndarray) -> np.ndarray:
    """Map an array of any numeric dtype onto 0..255 the way a viewer would show it."""
    if values.dtype == np.uint8:
        return values
    if values.dtype == bool:
        return values.astype(np.uint8) * 255
    data = values.astype(np.float64, copy=False)
    finite = np.isfinite(data)
    if not finite.any():
        raise InputError(
            "The image has no finite pixel values (all NaN or infinite); "
            "load the image again or replace the NaN values before segmenting."
        )
    lo = float(data[finite].min())
    hi = float(data[finite].max())
    if np.issubdtype(values.dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0  # float images in [0, 1] are already normalised intensities
    elif np.issubdtype(values.dtype, np.integer) and lo >= 0 and hi <= 255:
        lo, hi = 0.0, 255.0
    span = hi - lo if hi > lo else 1.0
    out = np.where(finite, (data - lo) / span, 0.0)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


def as_rgb8(image) -> np.ndarray:
    """Return the image as a contiguous ``uint8`` array of shape ``(H, W, 3)``.

    Parameters
    ----------
    image : array_like
        A 2-D image: grey ``(H, W)``, grey + alpha ``(H, W, 2)``, RGB ``(H, W, 3)`` or
        RGBA ``(H, W, 4)``, channels last, of dtype uint8, uint16, any other integer,
        float (any range; NaN pixels become black) or bool.

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGB image. Alpha is dropped; grey is repeated over three channels.
        Integer images outside 0..255 and float images outside 0..1 are stretched from
        their minimum to their maximum, as napari's default contrast limits show them.

    Raises
    ------
    InputError
        For anything that is not one 2-D image: 3-D stacks, empty arrays, images whose
        pixels are all NaN, or a channel count other than 1 to 4.

    Examples
    --------
    >>> import numpy as np
    >>> as_rgb8(np.zeros((4, 5), dtype=np.uint16)).shape
    (4, 5, 3)
    """
    try:
        arr = np.asarray(image)
    except Exception as exc:  # objects numpy cannot turn into an array
        raise InputError(f"Could not read the image as an array ({exc}); pass a numpy array.") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"The image has dtype {arr.dtype}; pass numbers (uint8, uint16, float or bool).")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError("The image is complex-valued; pass its magnitude (np.abs) instead.")
    if arr.size == 0:
        raise InputError(f"The image is empty (shape {arr.shape}); open an image with at least one pixel.")
    if arr.ndim == 2:
        grey = _scale_to_uint8(arr)
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        channels = arr.shape[2]
        colour = arr[:, :, :1] if channels in (1, 2) else arr[:, :, :3]
        rgb = _scale_to_uint8(colour)
        if rgb.shape[2] == 1:
            rgb = np.repeat(rgb, 3, axis=2)
    elif arr.ndim == 3:
        raise InputError(
            f"The image has shape {arr.shape}: {arr.shape[2]} channels in the last axis. "
            "Pass a 2-D image (H, W) or one with 1-4 channels last (grey, grey+alpha, RGB, RGBA); "
            "for a stack of images, pick one slice."
        )
    else:
        raise InputError(
            f"The image has {arr.ndim} dimensions (shape {arr.shape}); pass a single 2-D image, "
            "for example one slice of a stack (stack[i])."
        )
    return np.ascontiguousarray(rgb)
