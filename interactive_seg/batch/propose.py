"""Proposals for one image or a folder of images, on the batch machinery: each worker loads
the proposal model once (:func:`proposer`) and answers image after image; the results are
written at the end as one COCO file, whole or not at all.

Image ids are 1, 2, ... in the folder's listing order (the order a folder session lists
it), in the detection results and in the dataset alike.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..files import check_json_output, ensure_folder, looks_like_image, read_image
from ..model.writers import check_not_held, save_bytes
from ..provenance import KEY
from ..wording import counted
from . import worker as worker_side
from .embed import folder_images
from .run import Cluster, Failure, Report, Runner, Task, run_tasks

__all__ = ["propose_images", "proposer"]

_PROPOSERS: dict = {}
_GUARD = threading.Lock()


def proposer(source: str, options: dict):
    """The proposal source ``source`` with ``options`` of this process, built on first use; (proposer, lock)."""
    from ..proposals import get_proposer
    from ..proposals.everything import Filters

    key = (source, json.dumps(options, sort_keys=True, default=str))
    with _GUARD:
        entry = _PROPOSERS.get(key)
        if entry is None:
            opts = dict(options)
            if "filters" in opts:
                opts["filters"] = Filters(**opts["filters"])
            threads = worker_side.state()["threads"]
            if threads and "threads" not in opts:
                opts["threads"] = threads
            entry = (get_proposer(source, **opts), threading.Lock())
            _PROPOSERS[key] = entry
    return entry


def probe(source: str, options: dict) -> str:
    """Load the model on a worker (a missing model is found before the images run)."""
    return proposer(source, options)[0].model_key


def propose_one(payload: dict) -> dict:
    """The proposals of one image (runs on a worker): COCO detections with their image's size."""
    from ..proposals import keep
    from ..proposals.coco import detection
    from ..provenance import image_record

    start = time.perf_counter()
    found, lock = proposer(payload["source"], payload["options"])
    image = read_image(payload["path"])
    with lock:
        proposals = found.propose(image, text=payload["text"], boxes=payload["boxes"])
    proposals = keep(proposals, payload["min_score"])
    record = image_record(image)
    return {
        "detections": [detection(p, payload["image_id"], 1) for p in proposals],
        "image": record,
        "model": {"name": str(found.model_type), "fingerprint": str(found.model_key)},
        "seconds": time.perf_counter() - start,
    }


def _inputs(path) -> tuple:
    """(root folder, image paths) of an image file or a folder; an InputError when it is neither."""
    path = Path(path)
    if path.is_dir():
        return path, folder_images(path)
    if not path.is_file():
        raise InputError(f"There is no file or folder at {str(path)!r}; give an image or a folder of images.")
    if not looks_like_image(path):
        raise InputError(
            f"{str(path)!r} is not an image this tool reads (PNG, JPEG, TIFF, BMP, WebP); give an image or a folder of images."
        )
    return path.parent, [path]


def propose_images(
    path,
    out,
    *,
    source: str,
    options: dict,
    text: str | None = None,
    boxes: Sequence = (),
    min_score: float = 0.0,
    as_dataset: bool = False,
    cluster: Cluster | None = None,
    progress: bool = True,
    **where,
) -> Report:
    """Write the proposals of an image, or of every image of a folder, to ``out`` as COCO.

    Parameters
    ----------
    path : path
        An image file, or a folder of images (subfolders too).
    out : path
        The COCO file: detection results (a list with ``score`` per annotation, as
        ``COCO.loadRes`` reads) or, with ``as_dataset``, a whole dataset whose annotations
        carry provenance records.
    source, options :
        The proposal source (``concept``, ``everything``) and what builds it (model, device, filters).
    text, boxes :
        The phrase and example boxes (concept).
    min_score : float
        Proposals scored below are left out.
    cluster, progress :
        Where it runs: as for :func:`~interactive_seg.batch.masks_from_boxes`. One image
        runs in this process.
    """
    from ..proposals.coco import dataset
    from ..provenance import make_record

    cluster = Cluster.given(cluster, **where)
    if text is not None and not text.strip():
        raise InputError("The phrase is empty; give a short noun phrase such as --text car.")
    if not 0.0 <= float(min_score) <= 1.0:
        raise InputError(f"--min-score must lie between 0 and 1; got {min_score}.")
    root, paths = _inputs(path)
    out = check_json_output(out, "--out")
    ensure_folder(out.parent if str(out.parent) else Path("."))  # before the work, not after it
    out_as_read = check_not_held(out, where=f"--out {str(out)!r}")
    _refuse_others_work(out)
    if len(paths) == 1 and cluster.scheduler is None and cluster.client is None:
        cluster = Cluster.given(cluster, workers=0)  # one image: here, with no cluster to start
    worker_side.preload_here(cluster.preload)
    report = Report("propose", images=len(paths))
    results: dict = {}
    label = {str(p): p.relative_to(root).as_posix() for p in paths}
    with Runner(cluster) as runner:
        report.startup = runner.startup
        runner.call(probe, source, options)  # a model that is not there says so before any image runs
        tasks = [
            Task(
                str(i),
                label[str(p)],
                {
                    "path": str(p),
                    "image_id": i,
                    "source": source,
                    "options": options,
                    "text": text,
                    "boxes": [list(b) for b in boxes],
                    "min_score": float(min_score),
                },
            )
            for i, p in enumerate(paths, start=1)
        ]

        def kept(task, result):
            results[task.payload["image_id"]] = (task, result)
            return 0

        def failed(task, reason):
            report.failures.append(Failure(task.label, reason))

        run_tasks(runner, tasks, propose_one, kept, failed, report, progress=progress)
    if len(paths) == 1 and report.failures:
        raise InputError(report.failures[0].reason)
    detections = [d for i in sorted(results) for d in results[i][1]["detections"]]
    if as_dataset:
        name = (text or "").strip() or ("object" if source == "everything" else "example")
        images = [
            {
                "id": i,
                "file_name": results[i][0].label,
                "width": results[i][1]["image"]["width"],
                "height": results[i][1]["image"]["height"],
            }
            for i in sorted(results)
        ]
        engine = {
            "name": f"propose-{source}",
            "options": {
                "text": text,
                "boxes": [list(b) for b in boxes],
                "min_score": float(min_score),
                **{k: v for k, v in options.items() if k not in ("model", "model_type", "checkpoint", "cache_dir")},
            },
        }
        records = []
        for i in sorted(results):
            result = results[i][1]
            engine_i = dict(engine, model=result["model"])
            records += [make_record(engine_i, {}, result["image"]) for _ in result["detections"]]
        payload = dataset(images, [{"id": 1, "name": name, "supercategory": ""}], detections, records)
    else:
        payload = detections
    save_bytes(json.dumps(payload).encode("utf-8"), out, where=f"--out {str(out)!r}", unchanged_since=out_as_read)
    report.written.append(str(out))
    report.counts = {"proposals": len(detections)}
    return report


def _refuse_others_work(out: Path) -> None:
    """InputError, before the work, when ``--out`` holds what this command did not write: a
    COCO file with objects made by hand or another tool (a folder's session file named as
    --out was replaced by the proposals, its objects lost), or a file that is no JSON of
    proposals. An earlier ``propose`` output (a detection list, or a dataset whose every
    object was proposed) is written over, as asked."""
    if not out.is_file():
        return
    try:
        data = json.loads(out.read_bytes().decode("utf-8-sig") or "null")
    except (OSError, ValueError):
        data = None
    if isinstance(data, list):
        return  # detections: an earlier run's (their own kind of file)
    if isinstance(data, dict) and isinstance(data.get("annotations", []), list):
        theirs = [
            a
            for a in data.get("annotations", [])
            if not (
                isinstance(a, dict)
                and isinstance(a.get(KEY), dict)
                and str((a[KEY].get("engine") or {}).get("name", "")).startswith("propose-")
            )
        ]
        if not theirs:
            return
        raise InputError(
            f"--out {str(out)!r} holds {counted(len(theirs), 'object')} this command did not propose (made by hand or "
            "by another tool), so nothing is written over it; give another --out (the widget's Propose adds "
            "proposals to a folder's objects)."
        )
    raise InputError(
        f"--out {str(out)!r} is there already and is not a file of proposals, so nothing is written over it; give another --out."
    )
