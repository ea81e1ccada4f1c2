"""Boxes to masks for a whole dataset: every box of a COCO file (or a detector's results) becomes a mask.

The client reads the COCO file, plans one task per image (its path, size and boxes), and
runs them on a :class:`~interactive_seg.batch.run.Runner`. A worker reads the image itself,
segments each box with its engine (built once per worker), and sends back each mask as
packed bits cropped to the mask; the client keeps each image's result in the work folder
as it arrives, and at the end merges them, in the input's annotation order, into one
:class:`~interactive_seg.coco.CocoDocument` saved atomically.
"""

from __future__ import annotations

import inspect
import math
import time
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import numpy as np

from .. import __version__
from .. import provenance as pv
from ..coco import CocoDocument, load_json
from ..coco.locate import ImageLocator, exif_choice, name_parts, size_finder
from ..engines import engine_class
from ..errors import InputError
from ..files import check_json_output, ensure_folder, file_stamp, read_image
from ..masks import bbox as tight_box
from ..model.store import read_document
from ..model.writers import check_not_held, save_document
from ..prompts import Prompts
from . import worker as worker_side
from .export import cutout_settings, write_cutouts
from .parts import WorkFolder, digest
from .run import Cluster, Failure, Report, Runner, Task, run_tasks

__all__ = ["masks_from_boxes", "read_detections"]


def _prompt_box(ann: dict) -> Optional[list]:
    """The box (x, y, w, h) to segment an annotation from: the one its mask was made from
    (the box prompt of its provenance record, so ``--redo`` prompts as the first run did),
    else its bbox."""
    record = pv.record_of(ann)
    prompts = record.get("prompts") if isinstance(record, dict) else None
    box = prompts.get("box") if isinstance(prompts, dict) else None
    if isinstance(box, list) and len(box) == 4 and all(_number(v) for v in box):
        x0, y0, x1, y1 = (float(v) for v in box)
        return [x0, y0, x1 - x0, y1 - y0]
    return list(ann["bbox"]) if isinstance(ann.get("bbox"), list) else None


# -- input ---------------------------------------------------------------------------------
def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_detections(path, document: CocoDocument, *, min_score: Optional[float] = None) -> list:
    """Detections of a COCO results file, checked against the COCO file they refer to.

    A results file is a JSON list of ``{"image_id", "category_id", "bbox": [x, y, w, h],
    "score"}``; ``image_id`` and ``category_id`` are ids of ``document``. Detections
    scoring below ``min_score`` are left out. Returns dicts with ``id`` (1, 2, ... in file
    order of the detections kept), ``image_id``, ``category_id``, ``bbox`` and ``score``
    (None when absent), plus the entry's other keys under ``extra``.

    Raises
    ------
    InputError
        The file is not a list of detections, or names images or categories that the COCO
        file lacks (every problem listed, up to ten).
    """
    data = load_json(path)
    name = repr(str(path))
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        raise InputError(
            f"{name} is a COCO dataset, not a results file; give it with --coco (alone) to fill its boxes."
        )
    if not isinstance(data, list):
        raise InputError(
            f"{name} is not a COCO results file: that is a JSON list of {{image_id, category_id, bbox, score}}."
        )
    images = {im["id"] for im in document.images}
    categories = {c["id"] for c in document.categories}
    problems, kept = [], []
    for i, det in enumerate(data):
        where = f"detection {i}"
        if not isinstance(det, dict):
            problems.append(f"{where} is not an object")
            continue
        missing = [k for k in ("image_id", "category_id", "bbox") if k not in det]
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
            continue
        box = det["bbox"]
        if not isinstance(box, list) or len(box) != 4 or not all(_number(v) for v in box):
            problems.append(f"{where} has the bbox {box!r}; a bbox is [x, y, width, height]")
            continue
        if det["image_id"] not in images:
            problems.append(f"{where} refers to image {det['image_id']!r}, which the COCO file does not list")
        if det["category_id"] not in categories:
            problems.append(f"{where} refers to category {det['category_id']!r}, which the COCO file does not list")
        score = det.get("score")
        if score is not None and not _number(score):
            problems.append(f"{where} has the score {score!r}; a score is a number")
            continue
        if min_score is not None:
            if score is None:
                problems.append(f"{where} has no score, so --min-score cannot judge it")
                continue
            if score < min_score:
                continue
        extra = {
            k: v
            for k, v in det.items()
            if k not in ("id", "image_id", "category_id", "bbox", "score", "segmentation", "area", "iscrowd")
        }
        kept.append(
            {
                "image_id": det["image_id"],
                "category_id": det["category_id"],
                "bbox": list(box),
                "score": score,
                "extra": extra,
            }
        )
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise InputError(
            f"The results file {name} does not fit the COCO file: {shown}. Give the COCO file its image ids come from."
        )
    if data and not kept and min_score is not None:  # (a --min-score of 2 for scores from 0 to 1)
        best = max(float(d["score"]) for d in data if isinstance(d, dict) and _number(d.get("score")))
        raise InputError(
            f"No detection of {name} scores at least --min-score {min_score:g} (the highest scores {best:g}); "
            "give a lower --min-score."
        )
    for number, det in enumerate(kept, start=1):
        det["id"] = number
    return kept


# -- the task a worker runs ----------------------------------------------------------------
def _box_problem(box, width: int, height: int) -> Optional[str]:
    x, y, w, h = box
    if not (w > 0 and h > 0):
        return f"The box {box} has zero area (its width and height must be positive); fix or remove this annotation."
    if (
        x >= width
        or y >= height
        or x + w <= 0
        or y + h <= 0
        or min(x + w, width) - max(x, 0) < 1
        or min(y + h, height) - max(y, 0) < 1
    ):
        return f"The box {box} lies outside the image ({width} x {height} pixels); fix or remove this annotation."
    return None


def segment_image(payload: dict) -> dict:
    """One image: read it here, segment each box, return the masks cropped and bit-packed.

    Runs on a worker. Per-box problems (zero area, off the image, nothing found) are
    reported per box; an image that cannot be read, or is not the size the COCO file
    says, fails as a whole.
    """
    start = time.perf_counter()
    engine, lock, built = worker_side.engine(payload["engine"], payload["options"])
    path, width, height = payload["path"], int(payload["width"]), int(payload["height"])
    try:
        image = read_image(path, expect=(height, width), coco=payload.get("coco"), as_stored=payload.get("as_stored"))
    except InputError as exc:
        return {"error": str(exc)}
    if image.shape[:2] != (height, width):
        return {
            "error": f"The image is {image.shape[1]} x {image.shape[0]} pixels but the COCO file says {width} x {height}; is it the same image?"
        }
    results, masks, full = [], [], []
    with lock:
        engine_start = time.perf_counter()
        try:
            engine.set_image(image)
        except InputError as exc:
            return {"error": str(exc)}
        for box in payload["boxes"]:
            problem = _box_problem(box, width, height)
            mask = None
            if problem is None:
                x, y, w, h = box
                if hasattr(engine, "reset"):
                    engine.reset()  # each box a new object: the result never depends on the boxes before it
                try:
                    mask = engine.segment(Prompts(box=(x, y, x + w, y + h))).mask
                except InputError as exc:
                    problem = str(exc)
            region = tight_box(mask) if mask is not None else None
            if problem is None and region is None:
                problem = "The engine found no object in this box; check the box, or try the other engine."
            if problem is not None:
                results.append({"error": problem})
                masks.append(None)
                full.append(None)
                continue
            x0, y0, x1, y1 = region
            crop = mask[y0:y1, x0:x1]
            results.append({"offset": [x0, y0], "shape": [y1 - y0, x1 - x0]})
            masks.append(np.packbits(crop, axis=None))
            full.append(mask)
        engine_seconds = time.perf_counter() - engine_start
    written = 0
    spec = payload.get("cutouts")
    if spec is not None:
        try:
            written = write_cutouts(image, [(m, name) for m, name in zip(full, spec["names"]) if m is not None], spec)
        except InputError as exc:
            return {"error": str(exc)}
    info = worker_side.state()
    return {
        "results": results,
        "masks": masks,
        "cutouts": written,
        # how the masks were made, as provenance records keep it (the engine as built here)
        "made_by": {"engine": pv.engine_record(engine), "image": pv.image_record(image)},
        "seconds": time.perf_counter() - start,
        "engine_seconds": engine_seconds,
        "pid": info["pid"],
        "built": built,
        "peak_memory": info["peak_memory"],
    }


def _unpack(bits: np.ndarray, shape) -> np.ndarray:
    h, w = int(shape[0]), int(shape[1])
    return np.unpackbits(bits, count=h * w).reshape(h, w).astype(bool)


# -- planning ------------------------------------------------------------------------------
def _engine_settings(engine: str, options: dict) -> dict:
    """The engine's options plus what identifies its weights (a checkpoint's size and date)."""
    settings = {"engine": engine, "options": options}
    checkpoint = options.get("checkpoint")
    if checkpoint is not None:
        settings["checkpoint"] = file_stamp(checkpoint)
    return settings


def check_engine_here(engine: str, options: dict, files: bool = True) -> None:
    """What can be checked about the engine before any cluster starts: its name and options,
    and with ``files`` (the workers run on this machine) its checkpoint file. On another
    machine's workers the checkpoint is theirs to find: they build the engine first
    (:func:`.worker.check_engine`) and say what is missing there."""
    cls = engine_class(engine)  # an unknown name or a missing extra, said here
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as exc:
        raise InputError(f"The {engine} engine does not take these options ({exc}); see help(get_engine).") from None
    if engine == "sam" and files:
        checkpoint = options.get("checkpoint")
        if checkpoint is not None:
            if not Path(checkpoint).is_file():
                raise InputError(f"There is no checkpoint file at {str(checkpoint)!r}; check the path.")
        else:
            from ..engines.checkpoints import MODELS, find_checkpoint

            model_type = options.get("model_type", "vit_b")
            if model_type in MODELS:
                find_checkpoint(model_type, options.get("cache_dir"))


def _cutout_names(
    document: CocoDocument, photo: list, image_id, stem: str, chosen: dict, category_of, existing: bool
) -> list:
    """``<stem>_<class>-<n>`` for each chosen annotation of ``image_id``, numbered as
    ``interactive-seg export`` numbers the output's objects: per class, in annotation order
    over ``photo`` (the records of the one photograph ``image_id`` is: a file may name it
    twice), so no two objects share a file (``existing``: the image's other objects with
    masks count too). ``chosen``: image id -> its (annotation id, box) pairs."""
    from ..export.naming import object_names

    order = []
    for record in photo:
        wanted = {ann_id for ann_id, _ in chosen.get(record, ())}
        order += (
            [ann["id"] for ann in document.annotations(record) if ann["id"] in wanted or document.has_mask(ann["id"])]
            if existing
            else [a for a, _ in chosen.get(record, ())]
        )
    names = dict(zip(order, object_names(stem, [category_of(ann_id) for ann_id in order], "")))
    return [names[ann_id] for ann_id, _ in chosen[image_id]]


def masks_from_boxes(
    coco,
    images,
    out,
    *,
    results=None,
    min_score: Optional[float] = None,
    redo: bool = False,
    engine: str = "grabcut",
    engine_options: Optional[dict] = None,
    polygons: bool = False,
    cutouts=None,
    cutout_options: Optional[dict] = None,
    cutout_format: str = "png",
    cluster: Optional[Cluster] = None,
    work=None,
    keep_work: bool = False,
    progress: bool = True,
    **where,
) -> Report:
    """Give every box of a COCO file (or of a detector's results) a mask, on a dask cluster.

    Parameters
    ----------
    coco : path
        A COCO file. Alone: every annotation with a ``bbox`` and no segmentation (every
        annotation with a ``bbox`` with ``redo``) gets a mask; everything else in the file
        is kept as it is. With ``results``: the file whose images and categories the
        detections refer to (its own annotations are not carried over).
    images : path
        The folder of the file's images (read by the workers), found by the rule of
        :mod:`~interactive_seg.coco.locate`.
    out : path
        The COCO file to write (atomically, at the end). A mask replaces the annotation's
        ``segmentation``, ``area`` and ``bbox`` (the mask's own); the box that was given
        is the box prompt of the annotation's provenance record (``"interactive_seg"``, see
        :mod:`~interactive_seg.provenance`), and is the box a ``redo`` segments from.
    results : path, optional
        Detections in the COCO results format: a list of ``{image_id, category_id, bbox,
        score}`` with ids of ``coco``. Each kept detection becomes an annotation with id
        1, 2, ... in file order and keeps its ``score``.
    min_score : float, optional
        Leave out detections that score lower.
    engine, engine_options :
        The engine for every box (:func:`~interactive_seg.get_engine`); e.g. ``"sam"`` with
        ``{"model_type": "vit_t", "checkpoint": PATH}``.
    polygons : bool
        Write masks as polygons where that is faithful (RLE otherwise, the default).
    cutouts : path, optional
        Also write every new object as a cutout into this folder,
        ``<stem>_<class>-<n>.<format>`` as ``interactive-seg export`` names them
        (:mod:`~interactive_seg.export.naming`: ``sub1/a.png`` -> ``sub1_a_cup-1.png``), with
        ``cutout_options`` (``background``, ``crop``, ``padding``, ...; see
        :func:`~interactive_seg.export.cutout`).
    cluster : Cluster, optional
        Where the tasks run (:class:`~interactive_seg.batch.Cluster`): by default a local
        cluster, one worker process per core. Its fields may be given as keywords instead
        (``workers=0``: in this process, without dask).
    work : path, optional
        The folder of per-image results (default ``<out>.parts``). A re-run with the same
        settings computes only the images that are not there yet. Emptied and removed
        once every image succeeded, unless ``keep_work``.
    progress : bool
        Draw a progress bar on stderr.

    Returns
    -------
    Report
        Counts, timings and every failure with its reason; ``report.document`` is the
        merged :class:`~interactive_seg.coco.CocoDocument`.

    Raises
    ------
    InputError
        Bad arguments, before anything is written: an unreadable COCO or results file,
        a missing image folder, an unknown engine, an unreachable scheduler.
    """
    cluster = Cluster.given(cluster, **where)
    engine = str(engine).strip().lower()
    options = dict(engine_options or {})
    out = check_json_output(out, "--out")
    if results is not None and out.exists() and Path(coco).exists() and out.resolve() == Path(coco).resolve():
        raise InputError("--out is --coco, whose annotations detections' masks do not keep; give a new file.")
    out_as_read = check_not_held(out, where=f"--out {str(out)!r}")
    images = Path(images)
    if not images.is_dir():
        raise InputError(
            f"The image folder {str(images)!r} does not exist; point --images at the folder of the COCO file's images."
        )
    if min_score is not None and results is None:
        raise InputError("--min-score judges detections; give them with --results DETECTIONS.json.")
    if redo and results is not None:
        raise InputError("--redo is for the annotations of --coco; every detection of --results gets a mask anyway.")
    document = read_document(coco, image_size=size_finder(images))  # (a record without a size: its image's)
    cutout_spec = None
    if cutouts is not None:
        cutout_spec = cutout_settings(cutouts, cutout_options or {}, cutout_format)
    worker_side.preload_here(cluster.preload)  # engines a preload module registers are known from here on
    check_engine_here(engine, options, files=cluster.here)

    # one group per image, in the document's image order; boxes in annotation order
    detections = None
    if results is not None:
        detections = read_detections(results, document, min_score=min_score)
        wanted: dict = OrderedDict((im["id"], []) for im in document.images)
        for det in detections:
            wanted[det["image_id"]].append(det)
        boxes_of = {image_id: [(d["id"], d["bbox"]) for d in dets] for image_id, dets in wanted.items() if dets}
        det_category = {d["id"]: document.category_name(d["category_id"]) for d in detections}
    else:
        boxes_of = OrderedDict()
        for image in document.images:
            chosen = [
                (ann["id"], _prompt_box(ann))
                for ann in document.annotations(image["id"])
                if isinstance(ann.get("bbox"), list) and (redo or not document.has_mask(ann["id"]))
            ]
            if chosen:
                boxes_of[image["id"]] = chosen
        det_category = {}

    settings = {
        "kind": "masks",
        "version": __version__,
        **_engine_settings(engine, options),
        "cutouts": None if cutout_spec is None else {k: v for k, v in cutout_spec.items() if k != "names"},
    }
    job = digest(settings)
    from ..export.naming import image_stems

    locate = ImageLocator(images, records=document.images)
    as_stored = exif_choice(document.images, locate)  # whether the file's tool ignored EXIF
    located = {}  # image id -> (its file, its relative path: what its cutouts are named by)
    for image_id in boxes_of:
        file_name = document.image(image_id)["file_name"]
        path = locate(file_name)
        located[image_id] = (
            path if path is not None else images / str(file_name),
            locate.name(file_name) or "/".join(name_parts(file_name)),
        )
    photos: dict = {}  # relative path -> the records of that photograph (a file may name one twice)
    for image_id in boxes_of:
        photos.setdefault(located[image_id][1], []).append(image_id)
    if detections is None:  # an image's objects and their classes: the file's, or the detections'
        category_of = lambda a: document.category_name(document.annotation(a)["category_id"])  # noqa: E731
        named = lambda i: [a["id"] for a in document.annotations(i)]  # noqa: E731
    else:
        category_of = det_category.__getitem__
        named = lambda i: [a for a, _ in boxes_of[i]]  # noqa: E731
    # what each photograph's cutouts may be named by (its objects are named together)
    classes = {relative: [category_of(a) for i in photo for a in named(i)] for relative, photo in photos.items()}
    stems = image_stems((relative for _, relative in located.values()), classes)
    tasks = []
    for image_id, chosen in boxes_of.items():
        record = document.image(image_id)
        path = located[image_id][0]
        payload = {
            "path": str(path),
            "file_name": str(record["file_name"]),
            "width": document.image_size(image_id)[1],
            "height": document.image_size(image_id)[0],
            "engine": engine,
            "options": options,
            "boxes": [box for _, box in chosen],
        }
        if cutout_spec is not None:
            relative = located[image_id][1]
            names = _cutout_names(
                document,
                photos[relative],
                image_id,
                stems[relative],
                boxes_of,
                category_of,
                existing=detections is None,
            )
            payload["cutouts"] = dict(cutout_spec, names=names)
        key = digest(job, payload, file_stamp(path))
        # named when the file gives the image its stored size (after the key: moving the file keeps the parts)
        payload["coco"], payload["as_stored"] = str(coco), as_stored()
        tasks.append(Task(key, str(record["file_name"]), payload))
    if tasks and not any(Path(t.payload["path"]).is_file() for t in tasks):
        shown = ", ".join(repr(t.label) for t in tasks[:3])
        raise InputError(
            f"None of the {len(tasks)} images with boxes is in {str(images)!r} (looked for {shown}...); "
            "point --images at the folder the COCO file's file_names are relative to."
        )

    report = Report("masks", images=len(tasks))
    folder = WorkFolder(work if work is not None else out.with_name(out.name + ".parts"))
    with Runner(cluster) as runner:
        if tasks:
            runner.call(worker_side.check_engine, engine, options)
        ensure_folder(out.parent if str(out.parent) else Path("."))
        failed_images = set()
        timings = {"task": 0.0, "engine": 0.0}
        builds: dict = {}
        peaks: dict = {}  # worker process -> the most memory it held, as its tasks saw it

        def keep(task, result):
            arrays = {f"m{i}": bits for i, bits in enumerate(result["masks"]) if bits is not None}
            folder.save(
                task.key,
                {"results": result["results"], "cutouts": result["cutouts"], "made_by": result["made_by"]},
                arrays,
            )
            timings["task"] += result["seconds"]
            timings["engine"] += result["engine_seconds"]
            builds[result["pid"]] = builds.get(result["pid"], 0) + int(result["built"])
            if result.get("peak_memory"):
                peaks[result["pid"]] = max(peaks.get(result["pid"], 0), result["peak_memory"])

        def fail(task, reason):
            failed_images.add(task.key)
            report.failures.append(Failure(task.label, reason))

        run_tasks(runner, tasks, segment_image, keep, fail, report, progress=progress, done=lambda t: folder.has(t.key))
        report.timings = dict(timings, engine_builds=builds, peak_memory=peaks)

    # merge, in the input's order
    failures = []
    made = cut = 0
    cache: OrderedDict = OrderedDict()

    def part(task):
        if task.key not in cache:
            cache[task.key] = folder.load(task.key)
            if len(cache) > 32:
                cache.popitem(last=False)
        return cache[task.key]

    task_of, boxes_given = {}, {}
    for task, chosen in zip(tasks, boxes_of.values()):
        for index, (ann_id, box) in enumerate(chosen):
            task_of[ann_id] = (task, index)
            boxes_given[ann_id] = box
        loaded = None if task.key in failed_images else part(task)
        if loaded is None and task.key not in failed_images:
            failures.append(
                Failure(task.label, "Its result file in the work folder could not be read; run the batch again.")
            )
            failed_images.add(task.key)
            folder.discard(task.key)  # computed again next time
        elif loaded is not None:
            cut += int(loaded[0].get("cutouts", 0))

    def mask_of(ann_id):
        task, index = task_of[ann_id]
        if task.key in failed_images:
            return None
        record, arrays = part(task)
        entry = record["results"][index]
        if "error" in entry:
            failures.append(
                Failure(
                    f"{task.label}, {'detection' if detections is not None else 'annotation'} {ann_id}", entry["error"]
                )
            )
            return None
        return _unpack(arrays[f"m{index}"], entry["shape"]), tuple(entry["offset"]), record.get("made_by")

    def provenance(made_by, box, previous=None) -> dict:
        """The record of a mask made from ``box`` (x, y, w, h) by the engine on the worker."""
        made_by = made_by or {}
        x, y, w, h = (float(v) for v in box)
        return pv.make_record(
            made_by.get("engine") or {"name": engine, "options": pv._plain(dict(options))},
            {"box": [x, y, x + w, y + h]},
            made_by.get("image") or {},
            previous=previous,
        )

    if detections is None:
        for ann_id in task_of:
            got = mask_of(ann_id)
            if got is None:
                continue
            # bbox and area become the mask's; the box given (the prompt, often a person's) is in its provenance record
            record = provenance(got[2], boxes_given[ann_id], previous=pv.record_of(document.annotation(ann_id)))
            document.update_annotation(ann_id, mask=got[0], offset=got[1], polygons=polygons, **{pv.KEY: record})
            made += 1
    else:
        for ann in list(document.annotations()):
            document.remove_annotation(ann["id"])
        for det in detections:
            got = mask_of(det["id"])
            if got is None:
                continue
            name = document.category_name(det["category_id"])
            extra = dict(det["extra"])
            if det["score"] is not None:
                extra["score"] = det["score"]
            extra[pv.KEY] = provenance(got[2], det["bbox"])
            record = document.add_annotation(
                det["image_id"], got[0], name, id=det["id"], polygons=polygons, offset=got[1], **extra
            )
            record["category_id"] = det["category_id"]  # the very id, even where two classes share a name
            made += 1
    report.failures += failures
    report.counts = {"masks": made}
    if cutout_spec is not None:
        report.counts["cutouts"] = cut
    report.written.append(save_document(document, out, where=f"--out {str(out)!r}", unchanged_since=out_as_read))
    report.document = document
    if report.ok and not keep_work:
        folder.clear()
    return report
