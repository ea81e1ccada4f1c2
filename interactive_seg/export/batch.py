"""Exporting many objects at once: from an instance label image, or a whole COCO dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np

from ..errors import InputError
from ..files import ensure_folder, read_image
from .coco import CocoImage, CocoObject, read_coco, write_coco
from .cutouts import check_format, cutout_name, save_cutout

__all__ = ["labels_to_objects", "read_classes", "export_objects", "export_dataset", "add_to_coco"]

DEFAULT_CLASS = "object"


def read_classes(path) -> dict:
    """Classes per label from a JSON file: ``{"1": "cat", "2": "dog"}`` or ``["cat", "dog"]``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"There is no class file at {str(path)!r}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Could not read the classes in {str(path)!r} ({exc}); it must be JSON.") from exc
    if isinstance(data, list):
        return {i + 1: str(name) for i, name in enumerate(data)}
    if isinstance(data, dict):
        try:
            return {int(k): str(v) for k, v in data.items()}
        except ValueError:
            raise InputError(f"The keys of {str(path)!r} must be label numbers, like {{\"1\": \"cat\"}}.") from None
    raise InputError(f"{str(path)!r} must hold a list of class names or a mapping label -> class name.")


def labels_to_objects(labels, classes: Union[None, Sequence[str], dict] = None) -> list:
    """Split an instance label image (0 background, 1..N objects) into ``CocoObject`` s.

    Parameters
    ----------
    labels : (H, W) integer array
    classes : sequence or dict, optional
        A sequence gives label ``i`` the class ``classes[i - 1]``; a dict maps label ->
        class. Labels without a class are called ``"object"``.

    Returns
    -------
    list of CocoObject
        In label order; the object's ``id`` is left unset.
    """
    labels = np.asarray(labels)
    if labels.ndim == 3 and labels.shape[2] in (3, 4) and (labels[..., :3] == labels[..., :1]).all():
        labels = labels[..., 0]  # a label image saved as grey RGB
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
        raise InputError(
            f"The label image must be one channel of integers (0 background, 1..N objects); got shape "
            f"{labels.shape} and dtype {labels.dtype}."
        )
    if isinstance(classes, dict):
        lookup = {int(k): str(v) for k, v in classes.items()}
    else:
        lookup = {i + 1: str(name) for i, name in enumerate(classes or [])}
    values = [int(v) for v in np.unique(labels) if v > 0]
    return [CocoObject(labels == v, lookup.get(v, DEFAULT_CLASS)) for v in values]


def export_objects(image, objects: Sequence[CocoObject], out_dir, stem: str, *, suffix: str = ".png", **options) -> list:
    """Write one cutout per object as ``<stem>_<class>-<n><suffix>`` in ``out_dir``.

    ``n`` counts the objects of each class from 1. ``options`` go to
    :func:`~interactive_seg.export.cutout` (``background``, ``crop``, ``padding``, ``feather``...).
    Returns the paths written.
    """
    out_dir = Path(out_dir)
    counts: dict = {}
    written = []
    for obj in objects:
        counts[obj.category] = counts.get(obj.category, 0) + 1
        path = out_dir / cutout_name(stem, obj.category, counts[obj.category], suffix)
        written.append(save_cutout(path, image, obj.mask, **options))
    return written


def add_to_coco(coco_path, file_name: str, width: int, height: int, objects: Sequence[CocoObject], categories=(), *, polygons=False):
    """Put one image's objects into a COCO file: created if missing, the image's entry replaced if present.

    Ids of the other images, objects and classes are kept.
    """
    coco_path = Path(coco_path)
    if coco_path.exists():
        dataset = read_coco(coco_path)
        images = [im for im in dataset.images if im.file_name != file_name]
        old = next((im for im in dataset.images if im.file_name == file_name), None)
        cats = dict(dataset.categories)
        for name in categories:
            cats.setdefault(str(name), max(cats.values(), default=0) + 1)
    else:
        images, old, cats = [], None, list(categories)
    images.append(CocoImage(file_name, width, height, list(objects), old.id if old else None))
    return write_coco(coco_path, images, cats, polygons=polygons)


def export_dataset(
    coco_path,
    images_dir,
    out_dir,
    *,
    progress: Optional[Callable[[int, int, str], None]] = None,
    suffix: str = ".png",
    **options,
) -> list:
    """Export every object of a COCO dataset as a cutout.

    Parameters
    ----------
    coco_path : path
        The COCO file.
    images_dir : path
        Folder the file's ``file_name`` s are relative to.
    out_dir : path
        Where ``<stem>_<class>-<n>.png`` files go (created if missing).
    progress : callable, optional
        Called as ``progress(done, total, file_name)`` after each image.
    **options
        Cutout options (see :func:`~interactive_seg.export.cutout`).

    Raises
    ------
    InputError
        Before anything is written, when images of the file are missing from ``images_dir``
        or have another size than the file says.
    """
    dataset = read_coco(coco_path)
    images_dir = Path(images_dir)
    missing = [im.file_name for im in dataset.images if im.objects and not (images_dir / im.file_name).is_file()]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(f"{len(missing)} image(s) of the COCO file are not in {str(images_dir)!r}: {shown}. Point --images at their folder.")
    check_format(options.get("background", "black"), suffix)
    out_dir = ensure_folder(out_dir)
    written = []
    todo = [im for im in dataset.images if im.objects]
    for done, record in enumerate(todo, start=1):
        image = read_image(images_dir / record.file_name)
        if image.shape[:2] != (record.height, record.width):
            raise InputError(
                f"{record.file_name!r} is {image.shape[1]} x {image.shape[0]} but the COCO file says "
                f"{record.width} x {record.height}; is it the same image?"
            )
        written += export_objects(image, record.objects, out_dir, Path(record.file_name).stem, suffix=suffix, **options)
        if progress is not None:
            progress(done, len(todo), record.file_name)
    return written
