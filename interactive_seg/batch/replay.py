"""Make a dataset again: every object that stores its prompts is segmented anew by another engine or model.

The client reads the COCO file, checks every stored provenance record
(:mod:`interactive_seg.provenance`), finds every image, and plans one task per image (its
path, size, fingerprint and its objects' prompts). A worker reads the image, checks that
its pixels are those the objects were drawn on, and runs each object's prompts through the
engine (built once per worker process, as :mod:`.masks` does); masks come back cropped and
bit-packed. At the end the client writes a new COCO file: each replayed object gets its
new mask and a provenance record whose ``history`` keeps the engine before; where the new
mask differs from the old by more than the threshold, its review goes back to
``unreviewed``. Objects without stored prompts are kept as they are, and counted.

The change of an object is measured as the IoU of its old and new masks: it **changed**
when ``IoU < 1 - threshold`` (threshold 0.05: a mask that keeps 95 % of its union is the
same mask, reviewed or not).
"""

from __future__ import annotations

import csv
import io
import time
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import numpy as np

from .. import __version__
from .. import provenance as pv
from ..coco.locate import ImageLocator, exif_choice, size_finder
from ..errors import InputError
from ..files import check_json_output, ensure_folder, file_stamp, read_image, write_bytes_atomic
from ..masks import bbox as tight_box
from ..model.store import read_document
from ..model.writers import check_not_held, save_document
from . import worker as worker_side
from .masks import _engine_settings, _unpack, check_engine_here
from .parts import WorkFolder, digest
from .run import Cluster, Failure, Report, Runner, Task, run_tasks

__all__ = ["replay", "replay_image", "mask_iou", "DEFAULT_THRESHOLD", "REPORT_SUFFIXES"]

#: An object changed when the IoU of its old and new masks is below ``1 - threshold``.
DEFAULT_THRESHOLD = 0.05
REPORT_SUFFIXES = (".csv", ".md")


def mask_iou(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> float:
    """Intersection over union of two bool masks (1.0 for two empty ones; 0.0 when one is missing)."""
    if a is None or b is None:
        return 0.0
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


# -- the task a worker runs ----------------------------------------------------------------
def replay_image(payload: dict) -> dict:
    """One image: read it here, segment each object from its stored prompts, return the masks packed.

    Runs on a worker. An image that cannot be read or is not the size the COCO file says
    fails as a whole; an object drawn on other pixels (the image changed since), or whose
    prompts the engine refuses, fails alone.
    """
    start = time.perf_counter()
    path, width, height = payload["path"], int(payload["width"]), int(payload["height"])
    try:
        # (a file that gives the photo its stored size, from a tool that ignored EXIF: read as stored)
        image = read_image(path, expect=(height, width), coco=payload.get("coco"), as_stored=payload.get("as_stored"))
    except InputError as exc:
        return {"error": str(exc)}
    if image.shape[:2] != (height, width):
        return {
            "error": f"The image is {image.shape[1]} x {image.shape[0]} pixels but the COCO file says {width} x {height}; is it the same image?"
        }
    fingerprint = pv.image_fingerprint(image)
    results, masks = [], []
    engine_seconds = 0.0
    built_any = False
    for obj in payload["objects"]:
        expected = obj.get("fingerprint")
        if expected and expected != fingerprint:
            results.append(
                {
                    "error": "The image's pixels differ from those the object was drawn on (the file was changed since); its prompts may not fit, so it is kept as it was."
                }
            )
            masks.append(None)
            continue
        engine, lock, built = worker_side.engine(obj["engine"], obj["options"])
        built_any = built_any or built
        problem = mask = None
        with lock:
            began = time.perf_counter()
            try:
                prompts = pv.read_prompts({"prompts": obj["prompts"]}, annotation_id=obj["id"], shape=(height, width))
                engine.set_image(image)
                engine.reset()  # each object a new one: the result never depends on the objects before it
                mask = engine.segment(prompts).mask
            except InputError as exc:
                problem = str(exc)
            engine_seconds += time.perf_counter() - began
        region = tight_box(mask) if mask is not None else None
        if problem is None and region is None:
            problem = "The engine found no object from these prompts; it is kept as it was."
        if problem is not None:
            results.append({"error": problem})
            masks.append(None)
            continue
        x0, y0, x1, y1 = region
        results.append({"offset": [x0, y0], "shape": [y1 - y0, x1 - x0], "engine": pv.engine_record(engine)})
        masks.append(np.packbits(mask[y0:y1, x0:x1], axis=None))
    info = worker_side.state()
    return {
        "results": results,
        "masks": masks,
        "seconds": time.perf_counter() - start,
        "engine_seconds": engine_seconds,
        "pid": info["pid"],
        "built": built_any,
    }


# -- planning ------------------------------------------------------------------------------
def _options_for(record: dict, engine: str, overrides: dict) -> dict:
    """The engine options of one object: its own (same engine) with ``overrides`` on top, else ``overrides``."""
    stored = record.get("engine") or {}
    if stored.get("name") == engine:
        return {**(stored.get("options") or {}), **overrides}
    return dict(overrides)


def _check_output(out: Path, coco: Path, compare: Optional[Path]) -> None:
    check_json_output(out, "--out")
    if out.exists() and coco.exists() and out.resolve() == coco.resolve():
        raise InputError(
            "--out is the input file; write the replayed dataset to a new file, so the two can be compared."
        )
    if compare is not None:
        if compare.suffix.lower() not in REPORT_SUFFIXES:
            raise InputError(f"Write the compare report to a .csv or a .md file, not {compare.name!r}.")
        if compare.is_dir():
            raise InputError(f"--compare {str(compare)!r} is a folder; give the path of the .csv or .md report.")


def _report_bytes(rows: list, path: Path, header: str) -> bytes:
    columns = [
        "annotation_id",
        "image",
        "category",
        "iou",
        "changed",
        "old_area",
        "new_area",
        "old_engine",
        "new_engine",
        "review",
        "note",
    ]
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return buffer.getvalue().encode("utf-8")
    lines = [
        "# Replay: old and new masks, worst first",
        "",
        header,
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        cells = ["" if row[c] is None else str(row[c]).replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return ("\n".join(lines) + "\n").encode("utf-8")


def replay(
    coco,
    out,
    *,
    images=None,
    engine: str,
    engine_options: Optional[dict] = None,
    threshold: float = DEFAULT_THRESHOLD,
    compare=None,
    cluster: Optional[Cluster] = None,
    work=None,
    keep_work: bool = False,
    progress: bool = True,
    **where,
) -> Report:
    """Segment every object that stores its prompts again, with ``engine``, into a new COCO file.

    Parameters
    ----------
    coco : path
        A COCO file whose annotations carry provenance records (the widget, ``segment
        --coco`` and ``replay`` write them).
    out : path
        The COCO file to write (atomically, at the end; not the input). Every record is
        kept as it was but the replayed objects' ``segmentation``, ``area``, ``bbox`` and
        provenance.
    images : path, optional
        The folder the file's ``file_name`` s are relative to (default: the COCO file's).
    engine, engine_options :
        The engine to replay with (:func:`~interactive_seg.get_engine`). For an object made
        by the same engine its own recorded options are used, with ``engine_options`` on
        top; for another engine, ``engine_options`` (the engine's defaults otherwise).
    threshold : float
        An object changed when the IoU of its old and new masks is below ``1 - threshold``;
        its review state is then reset to ``unreviewed`` (default 0.05).
    compare : path, optional
        A ``.csv`` or ``.md`` report: per replayed object the IoU of old and new, worst first.
    cluster, work, keep_work, progress :
        Where and how the tasks run; as :func:`~interactive_seg.batch.masks_from_boxes`.

    Returns
    -------
    Report
        ``counts``: objects replayed, changed, and kept as they were (no stored prompts);
        ``report.rows`` the compare rows, worst first; ``report.document`` the new document.

    Raises
    ------
    InputError
        Before anything is written: a file without stored prompts, a damaged record, an
        unknown or uninstalled engine, a missing image, a bad threshold or output.
    """
    cluster = Cluster.given(cluster, **where)
    engine = str(engine).strip().lower()
    overrides = dict(engine_options or {})
    coco, out = Path(coco), Path(out)
    compare = Path(compare) if compare is not None else None
    _check_output(out, coco, compare)
    out_as_read = check_not_held(out, where=f"--out {str(out)!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise InputError(
            f"The threshold is a fraction from 0 to 1 (an object changed when its IoU is below 1 - threshold); got {threshold!r}."
        )
    images = Path(images) if images is not None else coco.parent
    if not images.is_dir():
        raise InputError(
            f"The image folder {str(images)!r} does not exist; point --images at the folder of the COCO file's images."
        )
    document = read_document(coco, image_size=size_finder(images))  # (a record without a size: its image's)

    # every stored record, checked before anything runs
    chosen: OrderedDict = OrderedDict()  # image id -> [(annotation, record)]
    kept = with_record = 0
    for ann in document.annotations():
        record = pv.record_of(ann)
        if record is not None:
            with_record += 1
        if not pv.has_prompts(ann):
            kept += 1
            continue
        pv.read_prompts(record, annotation_id=ann["id"], shape=document.image_size(ann["image_id"]))
        chosen.setdefault(ann["image_id"], []).append((ann, record))
    if not chosen:
        raise InputError(
            f"No annotation of {coco.name!r} stores the prompts it was made from (the {pv.KEY!r} key"
            + (", present on some, holds no prompts" if with_record else "")
            + "); only objects made with interactive-seg (the widget, `segment --coco`) can be replayed."
        )
    worker_side.preload_here(cluster.preload)
    option_sets = {
        digest(_options_for(r, engine, overrides)): _options_for(r, engine, overrides)
        for objs in chosen.values()
        for _, r in objs
    }
    for options in option_sets.values():
        check_engine_here(engine, options, files=cluster.here)
    missing, paths = [], {}
    locate = ImageLocator(images, records=document.images)  # the one rule of every door
    as_stored = exif_choice(document.images, locate)
    for image_id in chosen:
        record = document.image(image_id)
        found = locate(str(record["file_name"]))
        if found is None:
            missing.append(str(record["file_name"]))
        paths[image_id] = found
    if missing:
        shown = ", ".join(repr(m) for m in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise InputError(
            f"{len(missing)} image{'s' if len(missing) != 1 else ''} of {coco.name!r} {'are' if len(missing) != 1 else 'is'} not in {str(images)!r} ({shown}); point --images at the folder of the COCO file's images."
        )

    settings = {"kind": "replay", "version": __version__, **_engine_settings(engine, overrides)}
    job = digest(settings)
    tasks = []
    for image_id, objs in chosen.items():
        record = document.image(image_id)
        payload = {
            "path": str(paths[image_id]),
            "width": document.image_size(image_id)[1],
            "height": document.image_size(image_id)[0],
            "objects": [
                {
                    "id": ann["id"],
                    "engine": engine,
                    "options": _options_for(r, engine, overrides),
                    "prompts": r["prompts"],
                    "fingerprint": (r.get("image") or {}).get("fingerprint"),
                }
                for ann, r in objs
            ],
        }
        key = digest(job, payload, file_stamp(paths[image_id]))
        payload["coco"] = str(coco)  # named in the warning for a photo read as stored (after the key)
        payload["as_stored"] = as_stored()  # whether the file's tool ignored EXIF
        tasks.append(Task(key, str(record["file_name"]), payload))

    report = Report("replay", images=len(tasks))
    folder = WorkFolder(work if work is not None else out.with_name(out.name + ".parts"))
    failed_images: dict = {}
    with Runner(cluster) as runner:
        first = next(iter(option_sets.values()))
        runner.call(worker_side.check_engine, engine, first)
        ensure_folder(out.parent if str(out.parent) else Path("."))
        timings = {"task": 0.0, "engine": 0.0}
        builds: dict = {}

        def keep(task, result):
            arrays = {f"m{i}": bits for i, bits in enumerate(result["masks"]) if bits is not None}
            folder.save(task.key, {"results": result["results"]}, arrays)
            timings["task"] += result["seconds"]
            timings["engine"] += result["engine_seconds"]
            builds[result["pid"]] = builds.get(result["pid"], 0) + int(result["built"])

        def fail(task, reason):
            failed_images[task.key] = reason
            report.failures.append(Failure(task.label, reason))

        run_tasks(runner, tasks, replay_image, keep, fail, report, progress=progress, done=lambda t: folder.has(t.key))
        report.timings = dict(timings, engine_builds=builds)

    # merge, in the file's order
    rows = []
    replayed = changed = 0
    for task, objs in zip(tasks, chosen.values()):
        loaded = None if task.key in failed_images else folder.load(task.key)
        if loaded is None and task.key not in failed_images:
            reason = "Its result file in the work folder could not be read; run the replay again."
            report.failures.append(Failure(task.label, reason))
            failed_images[task.key] = reason
            folder.discard(task.key)
        category_of = lambda a: document.category_name(a["category_id"])  # noqa: E731
        for index, (ann, record) in enumerate(objs):
            row = {
                "annotation_id": ann["id"],
                "image": task.label,
                "category": category_of(ann),
                "iou": None,
                "changed": None,
                "old_area": None,
                "new_area": None,
                "old_engine": (record.get("engine") or {}).get("name"),
                "new_engine": engine,
                "review": pv.review_state(ann),
                "note": "",
            }
            rows.append(row)
            if loaded is None:
                row["note"] = failed_images[task.key]
                continue
            result, arrays = loaded
            entry = result["results"][index]
            if "error" in entry:
                row["note"] = entry["error"]
                report.failures.append(Failure(f"{task.label}, annotation {ann['id']}", entry["error"]))
                continue
            x0, y0 = entry["offset"]
            crop = _unpack(arrays[f"m{index}"], entry["shape"])
            old = document.mask(ann["id"]) if document.has_mask(ann["id"]) else None
            new = np.zeros((int(task.payload["height"]), int(task.payload["width"])), bool)
            new[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
            iou = mask_iou(old, new)
            moved = iou < 1.0 - threshold
            document.update_annotation(
                ann["id"], mask=crop, offset=(x0, y0), **{pv.KEY: pv.replayed(record, entry["engine"], changed=moved)}
            )
            replayed += 1
            changed += int(moved)
            row.update(
                iou=round(iou, 4),
                changed=moved,
                old_area=None if old is None else int(old.sum()),
                new_area=int(crop.sum()),
                new_engine=entry["engine"]["name"],
                review=pv.review_state(document.annotation(ann["id"])),
            )
    rows.sort(key=lambda r: (r["iou"] is not None, r["iou"] if r["iou"] is not None else 0.0))
    report.counts = {
        "objects replayed": replayed,
        "changed (review reset to unreviewed)": changed,
        "kept as they were (no stored prompts)": kept,
    }
    report.rows = rows
    report.written.append(save_document(document, out, where=f"--out {str(out)!r}", unchanged_since=out_as_read))
    if compare is not None:
        header = (
            f"{replayed} objects of {coco.name} replayed with {engine} into {out.name}: {changed} changed "
            f"(IoU below {1.0 - threshold:g}, review reset to unreviewed); {kept} without stored prompts kept as they were; "
            f"{len(rows) - replayed} failed."
        )
        ensure_folder(compare.parent if str(compare.parent) else Path("."))
        report.written.append(write_bytes_atomic(compare, _report_bytes(rows, compare, header)))
    report.document = document
    if report.ok and not keep_work:
        folder.clear()
    return report
