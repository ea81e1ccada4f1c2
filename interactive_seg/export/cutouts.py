"""Isolated objects: on black, transparent, a solid colour or a blurred copy of the image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .. import masks as mask_tools
from ..errors import InputError
from ..files import write_image
from ..image import _scale_to_uint8

__all__ = ["cutout", "save_cutout", "check_format", "STYLES"]

#: The background styles :func:`cutout` knows.
STYLES = ("black", "transparent", "color", "blur")
#: The widest feather and background blur, in pixels: a Gaussian's kernel is about six
#: times as wide, and one wider than a photograph takes minutes to say nothing more.
MAX_BLUR = 1000
_NO_ALPHA = {".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".pnm"}


def _split(image) -> tuple:
    """(colour H x W x C with C in {1, 3}, alpha H x W or None); dtype uint8 or uint16 kept."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4) or arr.size == 0:
        raise InputError(f"The image has shape {np.asarray(image).shape}; pass a 2-D grey, RGB or RGBA image.")
    if arr.dtype not in (np.uint8, np.uint16):
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise InputError(f"The image has dtype {arr.dtype}; pass numbers.")
        arr = _scale_to_uint8(arr)
    channels = arr.shape[2]
    if channels in (2, 4):
        return arr[:, :, : channels - 1], arr[:, :, channels - 1]
    return arr, None


def cutout(
    image,
    mask,
    *,
    background: str = "black",
    color=(0, 0, 0),
    blur_sigma: float = 15.0,
    crop: bool = False,
    padding: int = 0,
    feather: float = 0.0,
) -> np.ndarray:
    """The object of ``mask`` isolated from ``image``.

    Parameters
    ----------
    image : array_like
        Grey ``(H, W)``, grey+alpha, RGB or RGBA, channels last. uint8 and uint16 keep
        their dtype; other dtypes are scaled to uint8.
    mask : (H, W) bool array
        The object.
    background : {"black", "transparent", "color", "blur"}
        ``"black"`` multiplies the image by the mask (OpenCV's ``bitwise_and`` recipe);
        ``"transparent"`` adds an alpha channel equal to the mask (pixels outside are
        also zeroed); ``"color"`` puts the object on ``color``; ``"blur"`` puts it on a
        Gaussian-blurred copy of the image (a background-blur composite).
    color : tuple of 3 numbers
        RGB background for ``"color"``, from 0 to 255 (on a 16-bit image the same colour:
        255 is 65535), as the dialog, the command line and a folder of mixed images give it.
    blur_sigma : float
        Standard deviation in pixels of the Gaussian for ``"blur"``.
    crop : bool
        Crop to the object's bounding box plus ``padding`` pixels (clipped to the image).
    padding : int
        Pixels around the box when cropping.
    feather : float
        Soften the edge over about this many pixels (alpha from a blurred mask), so the
        object blends instead of showing jagged steps; 0 keeps a hard edge.

    Returns
    -------
    numpy.ndarray
        Grey images stay grey (grey+alpha when transparent), RGB stays RGB (RGBA when
        transparent), and images with alpha keep their alpha, multiplied by the mask's.
        ``"color"`` on a grey image gives RGB.

    Raises
    ------
    InputError
        A mask of another size, an empty mask with ``crop=True``, an unknown style.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((4, 4, 3), 200, np.uint8); mask = np.zeros((4, 4), bool); mask[1:3, 1:3] = True
    >>> cutout(image, mask, background="transparent", crop=True).shape
    (2, 2, 4)
    """
    if background not in STYLES:
        raise InputError(f"Unknown background {background!r}; choose one of {', '.join(STYLES)}.")
    colour, src_alpha = _split(image)
    mask = np.asarray(mask)
    if mask.shape != colour.shape[:2]:
        raise InputError(
            f"The mask has shape {mask.shape} but the image is {colour.shape[0]} x {colour.shape[1]} "
            "(height x width); use the mask made on this image."
        )
    mask = mask.astype(bool, copy=False)
    for name, value, least in (("padding", padding, 0), ("feather", feather, 0), ("blur_sigma", blur_sigma, None)):
        if not np.isfinite(value) or value > (np.inf if name == "padding" else MAX_BLUR):
            raise InputError(
                f"{name} (--{name.replace('_', '-')}) must be a finite number of pixels"
                f"{'' if name == 'padding' else f' up to {MAX_BLUR}'}; got {value}."
            )
        if not (value > 0 if least is None else value >= least):
            raise InputError(
                f"{name} (--{name.replace('_', '-')}) "
                f"{'must be positive' if least is None else 'cannot be negative'}; got {value}."
            )
    top = 65535.0 if colour.dtype == np.uint16 else 255.0
    alpha = mask_tools.feather(mask, feather)

    region = (slice(None), slice(None))
    if crop:
        box = mask_tools.bbox(mask)
        if box is None:
            raise InputError("The mask is empty, so there is no object to crop to; segment an object first.")
        h, w = mask.shape
        x0, y0, x1, y1 = box
        pad = int(padding) + int(np.ceil(2 * feather))
        region = (slice(max(0, y0 - pad), min(h, y1 + pad)), slice(max(0, x0 - pad), min(w, x1 + pad)))

    if background == "blur":
        blurred = cv2.GaussianBlur(colour, (0, 0), sigmaX=blur_sigma, sigmaY=blur_sigma)
        if blurred.ndim == 2:
            blurred = blurred[:, :, None]
        back = blurred[region].astype(np.float32)
    elif background == "color":
        rgb = np.asarray(color, dtype=np.float32).ravel()
        if rgb.size != 3 or not ((rgb >= 0) & (rgb <= 255)).all():
            raise InputError(f"color must be three values from 0 to 255 (R, G, B); got {color!r}.")
        rgb = rgb * (top / 255.0)  # the same colour on a 16-bit image (255 -> 65535)
        if colour.shape[2] == 1 and not (rgb[0] == rgb[1] == rgb[2]):
            colour = np.repeat(colour, 3, axis=2)
        back = rgb[: colour.shape[2]][None, None, :]
    else:
        back = np.zeros((1, 1, 1), np.float32)

    fore = colour[region].astype(np.float32)
    a = alpha[region][:, :, None]
    if background == "transparent":
        out_colour = np.where(a > 0, fore, 0.0)
        out_alpha = a[:, :, 0] * top
        if src_alpha is not None:
            out_alpha = out_alpha * (src_alpha[region].astype(np.float32) / top)
    else:
        out_colour = fore * a + back * (1.0 - a)
        out_alpha = None
        if src_alpha is not None:
            # The object keeps its own transparency; the new background is opaque.
            out_alpha = a[:, :, 0] * src_alpha[region].astype(np.float32) + (1.0 - a[:, :, 0]) * top
    out = np.clip(np.rint(out_colour), 0, top).astype(colour.dtype)
    if out_alpha is not None:
        out = np.concatenate([out, np.clip(np.rint(out_alpha), 0, top).astype(colour.dtype)[:, :, None]], axis=2)
    if out.shape[2] == 1:
        out = out[:, :, 0]
    return out


def check_format(background: str, suffix: str) -> None:
    """InputError when ``background`` needs transparency that files of ``suffix`` cannot hold."""
    if background == "transparent" and suffix.lower() in _NO_ALPHA:
        raise InputError(
            f"{suffix} files have no transparency, so a transparent cutout would come out black; "
            "save it as .png (or .tif), or choose another background (black, color or blur)."
        )


def check_options(**options) -> None:
    """The InputError a cutout with these options would give (a colour out of range, a
    negative padding, an unknown style), now: before an export makes its folder."""
    cutout(np.zeros((2, 2, 3), np.uint8), np.eye(2, dtype=bool), **options)


def save_cutout(path, image, mask, **options) -> Path:
    """Write :func:`cutout` to ``path`` atomically; the suffix picks the format.

    Raises
    ------
    InputError
        When a transparent cutout is asked for in a format without alpha (JPEG, BMP), a
        cropped cutout of an empty mask, or the file cannot be written.
    """
    path = Path(path)
    check_format(options.get("background", "black"), path.suffix)
    if options.get("crop") and not np.any(mask):  # a dataset's speck of a polygon: say which object it is
        raise InputError(
            f"The object to be cut out as {path.name!r} has an empty mask, so there is nothing to crop to; delete or "
            "redraw it (`interactive-seg check --strict` lists such annotations), or export without cropping."
        )
    return write_image(path, cutout(image, mask, **options))
