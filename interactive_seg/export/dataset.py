"""Exporting many objects at once: the objects of one image into a COCO file, or a whole COCO dataset as cutouts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from ..coco.checks import image_size
from ..coco.document import CocoDocument
from ..coco.locate import ImageLocator, exif_choice, name_parts, size_finder
from ..errors import InputError
from ..files import ensure_folder, read_image, write_image
from ..labels import LabelObject
from ..wording import counted
from .banded import banded_cutout
from .cutouts import check_format, save_cutout
from .manifest import Cutouts, refuse_over_images
from .naming import image_stems, object_names

__all__ = ["export_objects", "export_dataset", "add_objects", "copy_images", "PartialExport"]


def export_objects(
    image, objects: Sequence, out_dir, stem: str, *, suffix: str = ".png", progress=None, **options
) -> list:
    """Write one cutout per object as ``<stem>_<class>-<n><suffix>`` in ``out_dir``.

    ``objects`` have a ``mask`` (the image's size) and a ``category``:
    :class:`~interactive_seg.labels.LabelObject`, :class:`~interactive_seg.CocoObject`...
    ``n`` counts the objects of each class from 1 (:mod:`~interactive_seg.export.naming`;
    :func:`~interactive_seg.export.image_stem` gives the stem of an image's relative path).
    ``options`` go to :func:`~interactive_seg.export.cutout` (``background``, ``crop``,
    ``padding``, ``feather``...). ``progress(n)`` is called with the number of files
    written so far after each one. Returns the paths written.

    A cropped cutout of a :class:`~interactive_seg.labels.LabelObject` (a crop at an
    offset) of a uint8 or uint16 image is made in bands of rows, each from the window of
    the image it needs (:func:`~interactive_seg.export.banded.banded_cutout`), never from
    image-sized arrays: the files are the same, the memory is a band's.
    """
    out_dir = Path(out_dir)
    check_format(options.get("background", "black"), suffix)
    names = object_names(stem, [obj.category for obj in objects], suffix)
    array = np.asarray(image)
    banded = bool(options.get("crop")) and array.dtype in (np.uint8, np.uint16)
    written = []
    try:
        for name, obj in zip(names, objects):
            if banded and isinstance(obj, LabelObject):
                written.append(write_image(out_dir / name, banded_cutout(array, obj, **options)))
            else:
                written.append(save_cutout(out_dir / name, image, obj.mask, **options))
            if progress is not None:
                progress(len(written))
    except InputError as exc:
        exc.written = written  # (a disk that filled up halfway: what is there is said)
        raise
    return written


def copy_images(doc: CocoDocument, source: CocoDocument, image_ids: Sequence, *, where: str = "the COCO file") -> None:
    """Put images of a session's document into an open COCO document (which the caller
    saves, as the file's one writer) as the session holds them: their image records, their
    annotations (masks, encodings and every key as they are) and the session's classes
    (colours and every key), under the same ids wherever ``doc`` has them free or held
    them for this image, of ``doc``'s kind (text where its ids are text); so an export to a
    new file numbers as the session does. An image ``doc`` holds already (found as
    :func:`~interactive_seg.model.writers.add_to_coco` finds it) has its objects replaced; a class it holds by name keeps
    its id there. ``image_ids`` are the records of one image (a file may hold two)."""
    import copy

    def free(getter, key) -> bool:
        try:
            getter(key)
        except InputError:
            return True
        return False

    kinds = {doc.image: isinstance(doc.new_image_id(), str), doc.annotation: isinstance(doc.new_annotation_id(), str)}

    def own(wanted, getter, fresh):  # (the kind of ids the file has, taken before any is removed)
        candidate = str(wanted) if kinds[getter] else wanted if isinstance(wanted, int) else None
        if candidate is not None and free(getter, candidate):
            return candidate
        new = fresh()
        return str(new) if kinds[getter] else new

    classes = {}
    for record in source.categories:
        found = doc.category_id(str(record["name"]))
        if found is None:
            extra = {k: copy.deepcopy(v) for k, v in record.items() if k not in ("id", "name")}
            texts = any(isinstance(c["id"], str) for c in doc.categories)
            wanted = str(record["id"]) if texts else record["id"]
            found = doc.add_category(
                str(record["name"]), id=wanted if free(doc.category_name, wanted) else None, **extra
            )["id"]
        classes[record["id"]] = found
    if not image_ids:
        return
    first = source.image(image_ids[0])
    height, width = source.image_size(image_ids[0])
    targets = doc.records_of(first["file_name"])
    for record in targets:
        if image_size(record) not in (None, (height, width)):
            raise InputError(
                f"{where!r} says {record['file_name']!r} is {record['width']} x {record['height']}, but this "
                f"image is {width} x {height}, so it is another image: give another COCO file or fix that entry."
            )
    replaced = {ann["id"] for record in targets for ann in doc.annotations(record["id"])}
    for ann_id in replaced:  # once, for every record of the image (the session may hold two)
        doc.remove_annotation(ann_id)
    for image_id in image_ids:
        if targets:
            target = targets[0]["id"]
        else:
            record = copy.deepcopy(source.image(image_id))
            record["id"] = own(record["id"], doc.image, doc.new_image_id)
            doc.put_image(record)
            target = record["id"]
        for ann in source.annotations(image_id):
            record = copy.deepcopy(ann)
            record["image_id"], record["category_id"] = target, classes[ann["category_id"]]
            record["id"] = own(record["id"], doc.annotation, doc.new_annotation_id)
            doc.put_annotation(record)


def add_objects(
    doc: CocoDocument,
    file_name: str,
    width: int,
    height: int,
    objects: Sequence,
    categories=(),
    *,
    polygons=False,
    where: str = "the COCO file",
    records=None,
) -> None:
    """:func:`~interactive_seg.model.writers.add_to_coco` on an open document, which the caller saves (the command line does
    it as the file's one writer, under its folder's lock). ``records``: the image's records
    when the caller found them by its file (:func:`~interactive_seg.coco.locate.records_for_image`);
    else those that ``file_name`` may name (:meth:`~interactive_seg.coco.CocoDocument.records_of`)."""
    records = doc.records_of(file_name) if records is None else list(records)
    for record in records:
        if image_size(record) not in (None, (int(height), int(width))):  # (null: another tool left the size out)
            raise InputError(
                f"{where!r} says {record['file_name']!r} is {record['width']} x {record['height']}, but this image is "
                f"{width} x {height}, so it is another image: give another COCO file or fix that entry."
            )
    for name in categories:
        doc.category_id(str(name), create=True)
    old = [ann for record in records for ann in doc.annotations(record["id"])]
    after = max((int(a["id"]) for a in old if isinstance(a["id"], int) or str(a["id"]).isdigit()), default=0) + 1
    for ann in old:  # the objects a mask holds; a box or keypoints alone (no segmentation) no mask can carry: kept
        if ann.get("segmentation"):
            doc.remove_annotation(ann["id"])
    image_id = records[0]["id"] if records else doc.add_image(str(file_name), int(width), int(height))["id"]
    for obj in objects:
        crop = getattr(obj, "crop", None)
        if crop is not None:
            doc.add_annotation(
                image_id, crop, str(obj.category), offset=obj.offset, polygons=polygons, id=doc.new_annotation_id(after)
            )
        else:
            doc.add_annotation(
                image_id, obj.mask, str(obj.category), polygons=polygons, id=doc.new_annotation_id(after)
            )


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
    coco_path : path or CocoDocument
        The COCO file, or the document read from it (with a session's unsaved changes:
        :func:`~interactive_seg.model.store.read_document`).
    images_dir : path
        Folder of the file's images, found by the rule of :mod:`~interactive_seg.coco.locate`
        (the ``file_name`` as a path below the folder, then its tails, then its base name
        when only one image below the folder has it).
    out_dir : path
        Where ``<stem>_<class>-<n>.png`` files go (created if missing), named by
        :mod:`~interactive_seg.export.naming`: the stem is the image's path in
        ``images_dir`` with ``_`` for ``/`` (``train/a.png`` -> ``train_a``), so two
        images never share a file.
    progress : callable, optional
        Called as ``progress(done, total, file_name)`` after each image.
    **options
        Cutout options (see :func:`~interactive_seg.export.cutout`).

    Box-only annotations (no segmentation) have no mask to cut out and are skipped.

    Raises
    ------
    InputError
        Before anything is written, when images of the file are missing from ``images_dir``
        or a segmentation cannot be decoded.
    PartialExport
        After every other image was exported, when some images could not be (unreadable,
        or another size than the file says): it lists them and the files written.
    """
    doc = (
        coco_path
        if isinstance(coco_path, CocoDocument)
        else CocoDocument.open(coco_path, image_size=size_finder(images_dir))
    )
    coco_path = doc.path if doc.path is not None else coco_path
    images_dir = Path(images_dir)
    todo = []
    for record in doc.images:
        anns = [a for a in doc.annotations(record["id"]) if doc.has_mask(a["id"])]
        if anns:
            todo.append((record, anns))
    locate = ImageLocator(images_dir, records=doc.images)
    located = {record["id"]: locate(record["file_name"]) for record, _ in todo}
    missing = [record["file_name"] for record, _ in todo if located[record["id"]] is None]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        shared = [m for m in missing if locate.shared(m)]
        why = (
            f"; {shared[0]!r} is found by its name alone, and other paths of the file, or several images of the "
            "folder, have that name too: which photograph is it? Point --images at the folder that holds the file's paths"
            if shared
            else "; point --images at their folder"
        )
        raise InputError(
            f"{counted(len(missing), 'image')} of the COCO file {'is' if len(missing) == 1 else 'are'} not in "
            f"{str(images_dir)!r} ({shown}){why}."
        )
    problems = doc.check(masks_only=True)
    if problems:
        raise InputError(
            f"{str(coco_path)!r} has masks that cannot be decoded ({'; '.join(p.rstrip('.') for p in problems[:5])}); fix them first."
        )
    check_format(options.get("background", "black"), suffix)
    out_dir = ensure_folder(out_dir)
    # one photograph is one image of the export, whichever of the file's records name it (a
    # file_name written twice, or with and without another tool's prefix): its objects
    # numbered on together, so N cutouts are N files
    photos: dict = {}
    for record, anns in todo:
        photos.setdefault(located[record["id"]], []).append((record, anns))
    # an image is named by its path in images_dir (one found outside it, by its path in the file)
    relative = {
        path: locate.name(group[0][0]["file_name"]) or "/".join(name_parts(group[0][0]["file_name"]))
        for path, group in photos.items()
    }
    classes = {
        path: [doc.category_name(a["category_id"]) for _, anns in group for a in anns] for path, group in photos.items()
    }
    stems = image_stems(relative.values(), {relative[path]: classes[path] for path in photos})
    targets = {
        path: [out_dir / name for name in object_names(stems[relative[path]], classes[path], suffix)] for path in photos
    }
    refuse_over_images((t for files in targets.values() for t in files), (locate(r["file_name"]) for r in doc.images))
    written, failures = [], []
    cutouts = Cutouts(out_dir)  # an image exported again: its files from before that are not written now go
    cutouts.refuse_foreign(t for files in targets.values() for t in files)
    for path in photos:
        cutouts.planned(path, targets[path])
    cutouts.save()
    as_stored = exif_choice(doc.images, locate)
    try:
        for record in doc.images:
            found = None if record["id"] in located else locate(record["file_name"])
            if found is not None and found not in photos:  # (no objects now: its earlier cutouts go)
                cutouts.covered(found, [])
        for done, (path, group) in enumerate(photos.items(), start=1):
            names = " and ".join(str(record["file_name"]) for record, _ in group)  # (the records of this photograph)
            try:
                image = None
                for record, _ in group:
                    size = doc.image_size(record["id"])
                    if image is None:
                        image = read_image(path, expect=size, coco=coco_path, as_stored=as_stored)
                    if image.shape[:2] != size:
                        raise InputError(
                            f"{record['file_name']!r} is {image.shape[1]} x {image.shape[0]} but the COCO file says "
                            f"{record['width']} x {record['height']}; point --images at the images the file was made for."
                        )
                objects = [
                    _Decoded(doc, a["id"], doc.category_name(a["category_id"])) for _, anns in group for a in anns
                ]
                files = export_objects(image, objects, out_dir, stems[relative[path]], suffix=suffix, **options)
            except InputError as exc:  # one bad image (or object: an empty mask cropped) does not stop the others
                failures.append((names, str(exc)))
                written += getattr(exc, "written", [])
            else:
                cutouts.covered(path, files)
                written += files
            if progress is not None:
                progress(done, len(photos), str(group[0][0]["file_name"]))
    finally:  # (an interrupted export records what it wrote)
        cutouts.save(final=True)
    if failures:
        raise PartialExport(written, failures, len(photos))
    return written


class PartialExport(InputError):
    """Some images of a dataset could not be exported; the others were.

    ``written`` lists the files written, ``failures`` the (file_name, reason) of each image
    that was not exported.
    """

    def __init__(self, written: list, failures: list, images: int):
        self.written, self.failures = written, failures
        shown = "; ".join(f"{name!r}: {why}" for name, why in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(
            f"{len(failures)} of {counted(images, 'image')} could not be exported ({shown}{more}); "
            + (
                f"{counted(len(written), 'cutout')} {'was' if len(written) == 1 else 'were'} written."
                if written
                else "no cutout was written."
            )
        )


class _Decoded:
    """An annotation as an object to cut out: its mask is decoded when the cutout needs it."""

    def __init__(self, doc: CocoDocument, ann_id, category: str):
        self._doc, self._id, self.category = doc, ann_id, category

    @property
    def mask(self) -> np.ndarray:
        return self._doc.mask(self._id)
