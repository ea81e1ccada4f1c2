"""interactive_seg: cut objects out of images by hand, fast.

The core is ``image + prompts for one object -> engine -> mask``::

    >>> import numpy as np, interactive_seg as iseg
    >>> image = np.zeros((60, 80, 3), np.uint8); image[20:40, 30:50] = 255
    >>> mask = iseg.segment(image, box=(25, 15, 55, 45))
    >>> mask.shape, bool(mask[30, 40])
    ((60, 80), True)
"""

from __future__ import annotations

import numpy as np

from ._version import __version__ as __version__
from .coco import CocoDocument, CocoImage, CocoObject, check_coco, read_coco, write_coco
from .engines import Engine, Result, available_engines, get_engine
from .errors import IncompletePrompts, InputError
from .export import cutout, export_dataset, export_objects, save_cutout
from .files import read_image, write_image
from .image import as_rgb8
from .labels import labels_to_objects, objects_to_labels
from .model.session import Session
from .model.writers import add_to_coco
from .prompts import Prompts

__all__ = [
    "segment",
    "Prompts",
    "InputError",
    "IncompletePrompts",
    "Engine",
    "Result",
    "get_engine",
    "available_engines",
    "as_rgb8",
    "read_image",
    "write_image",
    "cutout",
    "save_cutout",
    "CocoDocument",
    "CocoImage",
    "CocoObject",
    "write_coco",
    "read_coco",
    "check_coco",
    "labels_to_objects",
    "objects_to_labels",
    "export_objects",
    "export_dataset",
    "add_to_coco",
    "Session",
]

_LAZY = (
    "review",
    "batch",
)  # submodules imported on first use (iseg.review.contact_sheet, iseg.batch.masks_from_boxes), not with the package


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def segment(
    image,
    *,
    box=None,
    points=None,
    point_labels=None,
    scribbles=None,
    prior=None,
    engine="grabcut",
    **options,
) -> np.ndarray:
    """Segment one object and return its mask.

    Parameters
    ----------
    image : array_like
        A 2-D image (grey, grey+alpha, RGB or RGBA, any numeric dtype); see :func:`as_rgb8`.
    box : tuple, optional
        ``(x0, y0, x1, y1)`` in pixels, x to the right and y down.
    points : array_like of shape (N, 2), optional
        Clicked ``(x, y)`` positions.
    point_labels : array_like of shape (N,), optional
        1 foreground, 0 background; all foreground when omitted.
    scribbles : (H, W) uint8 array, optional
        0 none, 1 foreground, 2 background.
    prior : (H, W) bool array, optional
        A previous mask of the object to refine.
    engine : str or Engine
        An engine name (``"grabcut"``) or an engine object from :func:`get_engine`; pass
        the same object again to reuse its work on the same image.
    **options
        Engine options, when ``engine`` is a name (see :func:`get_engine`).

    Returns
    -------
    numpy.ndarray
        Bool mask of shape ``(H, W)``.

    Raises
    ------
    InputError
        For an unusable image or prompts, with a sentence that says what to do.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((60, 80, 3), np.uint8); image[20:40, 30:50] = (200, 50, 50)
    >>> scribbles = np.zeros((60, 80), np.uint8); scribbles[30, 35:45] = 1; scribbles[5, 5:70] = 2
    >>> bool(segment(image, scribbles=scribbles)[25, 40])
    True
    """
    if isinstance(engine, str):
        engine = get_engine(engine, **options)
    elif options:
        raise InputError("Engine options go to get_engine(); pass them there when you give an engine object.")
    elif not isinstance(engine, Engine):
        raise InputError(f"engine must be a name or an engine object from get_engine(); got {type(engine).__name__}.")
    prompts = Prompts(box=box, points=points, point_labels=point_labels, scribbles=scribbles, prior=prior)
    engine.set_image(image)
    return engine.segment(prompts).mask
