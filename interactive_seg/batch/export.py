"""Exporting a whole folder session at once: a cutout of every object, and the COCO file.

Each task is one image: a worker reads it, decodes the image's masks (sent as their COCO
segmentations, a few kilobytes) and writes the cutouts itself, so no pixels travel. The
files are named and made exactly as ``interactive-seg export`` makes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from .. import __version__
from ..coco import decode_segmentation
from ..coco.locate import ImageLocator, exif_choice, name_parts, size_finder
from ..errors import InputError
from ..export.manifest import Cutouts, refuse_over_images
from ..files import check_json_output, check_output_file, ensure_folder, file_stamp, read_image
from ..model.store import read_document
from ..model.writers import check_not_held, save_document
from .parts import WorkFolder, digest
from .run import Cluster, Failure, Report, Runner, Task, run_tasks

__all__ = ["export_folder", "cutout_settings", "write_cutouts", "CUTOUT_OPTIONS"]

#: The options of :func:`~interactive_seg.export.cutout` a batch passes on.
CUTOUT_OPTIONS = ("background", "color", "blur_sigma", "crop", "padding", "feather")


def cutout_settings(folder, options: dict, fmt: str = "png") -> dict:
    """Check cutout options before a batch starts; returns what the tasks need.

    Raises
    ------
    InputError
        An unknown option or style, a colour out of range, transparency asked of JPEG.
    """
    from ..export.cutouts import check_format, check_options

    unknown = sorted(set(options) - set(CUTOUT_OPTIONS))
    if unknown:
        raise InputError(f"Unknown cutout option(s) {', '.join(unknown)}; the options are {', '.join(CUTOUT_OPTIONS)}.")
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items() if v is not None}
    options.setdefault("background", "transparent")  # as `interactive-seg export`
    suffix = str(fmt) if str(fmt).startswith(".") else "." + str(fmt)
    check_format(options.get("background", "black"), suffix)
    check_options(**options)  # every option's value checked on a 2 x 2 image
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"The cutout folder {str(folder)!r} is a file; give a folder.")
    return {"folder": str(folder), "suffix": suffix.lower(), "options": options}


def write_cutouts(image, objects, spec: dict) -> int:
    """Write ``(mask, name)`` objects of one image as ``<folder>/<name><suffix>``; returns how many."""
    from ..export import save_cutout

    if not objects:
        return 0
    folder = ensure_folder(spec["folder"])
    for mask, name in objects:
        save_cutout(folder / f"{name}{spec['suffix']}", image, mask, **spec["options"])
    return len(objects)


def export_image(payload: dict) -> dict:
    """One image of a folder session: read it here, decode its masks, write their cutouts (runs on a worker)."""
    start = time.perf_counter()
    width, height = int(payload["width"]), int(payload["height"])
    try:
        as_stored = payload.get("as_stored")
        image = read_image(payload["path"], expect=(height, width), coco=payload.get("coco"), as_stored=as_stored)
    except InputError as exc:
        return {"error": str(exc)}
    if image.shape[:2] != (height, width):
        return {
            "error": f"The image is {image.shape[1]} x {image.shape[0]} pixels but the COCO file says {width} x {height}; is it the same image?"
        }
    try:
        objects = [
            (decode_segmentation(seg, height, width), name)
            for seg, name in zip(payload["segmentations"], payload["names"])
        ]
        written = write_cutouts(image, objects, payload["cutouts"])
    except (InputError, ValueError) as exc:
        return {"error": str(exc)}
    return {"cutouts": written, "seconds": time.perf_counter() - start}


def export_folder(
    folder,
    out,
    *,
    annotations=None,
    coco=None,
    cutout_options: Optional[dict] = None,
    cutout_format: str = "png",
    cluster: Optional[Cluster] = None,
    work=None,
    keep_work: bool = False,
    progress: bool = True,
    recursive: bool = True,
    include=None,
    exclude=None,
    on_progress: Optional[Callable[[int, int], None]] = None,
    **where,
) -> Report:
    """Export every object of a folder session as a cutout, and its COCO file, on a dask cluster.

    Parameters
    ----------
    folder : path
        A folder session: images and ``annotations.coco.json`` (or ``annotations``).
    out : path
        Folder for the cutouts, ``<stem>_<class>-<n>.<format>`` (created if missing), named
        by :mod:`~interactive_seg.export.naming` from the image's path in ``folder``
        (``sub1/a.png`` -> ``sub1_a_cup-1.png``), so no cutout overwrites another.
    coco : path, optional
        Where to write the COCO file (default ``<out>/annotations.coco.json``): the
        session's file as it is, every key and id kept.
    cutout_options : dict
        ``background`` (black, transparent, color, blur), ``color``, ``blur_sigma``,
        ``crop``, ``padding``, ``feather``: see :func:`~interactive_seg.export.cutout`.
    cutout_format : str
        ``png`` (default), ``tif``, ``jpg``.
    cluster, work, keep_work, progress :
        As for :func:`~interactive_seg.batch.masks_from_boxes`; the work folder defaults to
        ``<out>/.interactive-seg-work``.
    recursive, include, exclude :
        Only the objects of the images these choose, by their relative path (as
        :meth:`~interactive_seg.Session.open` lists them): ``recursive=False`` the folder's
        top level alone; ``include`` / ``exclude`` globs as for
        :func:`~interactive_seg.files.list_images`. The COCO file is written whole.
    on_progress : callable, optional
        ``on_progress(done, total)`` after each image exported (or failed) here, for a
        window's progress line (``total`` counts the images to export).
    """
    from ..model.session import DEFAULT_ANNOTATIONS

    cluster = Cluster.given(cluster, **where)
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{str(folder)!r} is not a folder; give the folder of a session (its images and annotations).")
    path = Path(annotations) if annotations is not None else folder / DEFAULT_ANNOTATIONS
    if path.is_dir():
        raise InputError(f"--annotations {str(path)!r} is a folder; give the COCO file itself (a .json file).")
    if not path.is_file():
        raise InputError(
            f"There are no annotations at {str(path)!r}; annotate the folder with `interactive-seg gui {folder}` first, or give --annotations FILE."
        )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; give a folder for the cutouts.")
    document = read_document(path, image_size=size_finder(folder))
    spec = cutout_settings(out, dict(cutout_options or {}), cutout_format)
    coco_path = Path(coco) if coco is not None else out / DEFAULT_ANNOTATIONS
    if coco_path.resolve() == Path(path).resolve():
        raise InputError(
            f"The export's COCO file would be the folder's own {str(path)!r}; give another COCO file or output folder."
        )
    if out.exists() or coco_path.parent.resolve() != out.resolve():  # (else in the output folder, made below)
        check_output_file(coco_path, "The COCO file")
    check_json_output(coco_path, "The COCO file")
    coco_as_read = check_not_held(coco_path, where=f"The COCO file {str(coco_path)!r}")
    settings = {"kind": "export", "version": __version__, "cutouts": spec}
    job = digest(settings)

    from ..export.naming import image_stems, object_names
    from ..files import image_filter

    locate = ImageLocator(folder, records=document.images)
    as_stored = exif_choice(document.images, locate)  # whether the file's tool ignored EXIF
    chosen = image_filter(include, exclude)
    todo, without_objects = [], []
    classes = {}  # every annotated image's classes: names are parted over the whole folder, whatever is chosen
    for image in document.images:
        anns = [a for a in document.annotations(image["id"]) if document.has_mask(a["id"])]
        relative = locate.name(image["file_name"]) or "/".join(name_parts(image["file_name"]))
        if anns:
            classes.setdefault(relative, []).extend(document.category_name(a["category_id"]) for a in anns)
        if not chosen(relative) or (not recursive and "/" in relative):
            continue
        if anns:
            found = locate(image["file_name"])
            todo.append((image, anns, found if found is not None else folder / str(image["file_name"]), relative))
        else:
            found = locate(image["file_name"])
            if found is not None:  # (its cutouts from an earlier export into --out go)
                without_objects.append(found)
    stems = image_stems(classes, classes)  # (two runs with --include each name as the whole folder does)
    photos: dict = {}  # one photograph, one task, whichever records of the file name it: its objects numbered on
    for image, anns, image_path, relative in todo:
        if relative in photos:
            photos[relative][1].extend(anns)
        else:
            photos[relative] = (image, list(anns), image_path, relative)
    todo = list(photos.values())
    tasks = []
    files_of = {}  # task key -> (the image's file, the cutouts it writes)
    for image, anns, image_path, relative in todo:
        names = object_names(stems[relative], [document.category_name(a["category_id"]) for a in anns], "")
        payload = {
            "path": str(image_path),
            "width": document.image_size(image["id"])[1],
            "height": document.image_size(image["id"])[0],
            "segmentations": [a["segmentation"] for a in anns],
            "names": names,
            "cutouts": spec,
        }
        key = digest(job, payload, file_stamp(image_path))
        # named when the file gives the image its stored size (after the key: moving the file keeps the parts)
        payload["coco"], payload["as_stored"] = str(path), as_stored()
        tasks.append(Task(key, str(image["file_name"]), payload))
        files_of[key] = (image_path, [out / f"{name}{spec['suffix']}" for name in names])
    refuse_over_images(
        (f for _, files in files_of.values() for f in files), (locate(im["file_name"]) for im in document.images)
    )
    if tasks and not any(Path(t.payload["path"]).is_file() for t in tasks):
        raise InputError(
            f"None of the {len(tasks)} annotated images of {str(path)!r} is in {str(folder)!r}; is it the folder they were annotated in?"
        )

    report = Report("export", images=len(tasks))
    cutouts = Cutouts(out)  # an image exported again: its files from before that are not written now go
    cutouts.refuse_foreign(f for _, files in files_of.values() for f in files)
    for image_path, files in files_of.values():
        cutouts.planned(image_path, files)
    parts = WorkFolder(work if work is not None else out / ".interactive-seg-work")
    with Runner(cluster) as runner:
        ensure_folder(out)
        cutouts.save()
        seconds = {"task": 0.0}

        finished = [0]

        def advanced():
            finished[0] += 1
            if on_progress is not None:
                on_progress(finished[0], len(tasks))

        def keep(task, result):
            parts.save(task.key, {"cutouts": result["cutouts"]})
            seconds["task"] += result["seconds"]
            advanced()

        def fail(task, reason):
            report.failures.append(Failure(task.label, reason))
            advanced()

        run_tasks(runner, tasks, export_image, keep, fail, report, progress=progress, done=lambda t: parts.has(t.key))
        report.timings = seconds
    failed = {f.item for f in report.failures}
    made = 0
    for found in without_objects:
        cutouts.covered(found, [])
    for task in tasks:
        if task.label in failed:
            continue
        loaded = parts.load(task.key)
        if loaded is None:
            report.failures.append(
                Failure(task.label, "Its result file in the work folder could not be read; run the export again.")
            )
            parts.discard(task.key)
            continue
        made += int(loaded[0]["cutouts"])
        cutouts.covered(*files_of[task.key])
    cutouts.save(final=True)
    report.counts = {"cutouts": made}
    report.written.append(
        save_document(document, coco_path, where=f"The COCO file {str(coco_path)!r}", unchanged_since=coco_as_read)
    )
    report.document = document
    if report.ok and not keep_work:
        parts.clear()
    return report
