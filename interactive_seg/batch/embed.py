"""SAM embeddings for a whole folder ahead of annotation, into the cache the engine and the GUI read.

Every image's embedding is written to the SAM engine's disk cache
(``<cache>/embeddings/<image hash>-<model>-<checkpoint fingerprint>.npz``), the very entry a
:class:`~interactive_seg.engines.sam.SamEngine` with the same model, checkpoint and cache
folder looks up in ``set_image``; opening the folder in napari then shows SAM masks at once.
Images whose embedding is already there are skipped, so an interrupted run resumes.
On a GPU several images go through the image encoder in one call.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from ..errors import InputError
from ..files import ensure_folder, list_images, listing_order, read_image, write_bytes_atomic
from . import worker as worker_side
from .masks import check_engine_here
from .run import Cluster, Failure, Report, Runner, Task, run_tasks

__all__ = ["embed_folder", "folder_images", "GPU_BATCH"]

#: Images per image-encoder call on a GPU (default of ``batch_size``).
GPU_BATCH = 4


def folder_images(folder, *, recursive: bool = True, include=None, exclude=None) -> list:
    """The image files of a folder, as a folder session lists them (:func:`~interactive_seg.files.list_images`:
    subfolders too unless ``recursive`` is False, ``include`` / ``exclude`` globs); files
    with an image suffix that are not images are kept, to be reported as failures."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{str(folder)!r} is not a folder; give the folder of images to embed.")
    images, unreadable = list_images(folder, recursive=recursive, include=include, exclude=exclude)
    return [folder.joinpath(*name.split("/")) for name in sorted(images + unreadable, key=listing_order)]


def probe(options: dict) -> dict:
    """Build the SAM engine on this worker and check its cache folder can be written (runs on a worker)."""
    engine = worker_side.engine("sam", options)[0]
    folder = engine.cache.folder
    if folder is None:
        raise InputError(
            "The SAM engine keeps no disk cache (disk_cache=False), so there is nowhere to put embeddings."
        )
    try:
        ensure_folder(folder)
        test = write_bytes_atomic(folder / ".write-test", b"")
        test.unlink()
    except (InputError, OSError) as exc:
        raise InputError(
            f"The embedding cache {str(folder)!r} cannot be written ({exc}); give a writable --cache-dir."
        ) from None
    return {"device": engine.device.type, "cache": str(folder), "model": engine.model_key}


def embed_images(payload: dict) -> dict:
    """Embed a few images (runs on a worker): those already cached are skipped; the rest encoded, batched."""
    start = time.perf_counter()
    engine, lock, _ = worker_side.engine("sam", payload["options"])
    statuses: list = [None] * len(payload["paths"])
    images = []
    for i, path in enumerate(payload["paths"]):
        try:
            images.append((i, read_image(path)))
        except InputError as exc:
            statuses[i] = {"error": str(exc)}
    with lock:
        began = time.perf_counter()
        try:
            done = engine.embed_many([image for _, image in images], batch_size=payload["batch_size"])
        except InputError as exc:
            done = [None] * len(images)
            for i, _ in images:
                statuses[i] = {"error": str(exc)}
        encoder = time.perf_counter() - began
    for (i, _), status in zip(images, done):
        if status is not None:
            statuses[i] = {"status": status}
    return {"images": statuses, "seconds": time.perf_counter() - start, "encoder_seconds": encoder}


def embed_folder(
    folder,
    *,
    model_type: str = "vit_b",
    checkpoint=None,
    device: str = "auto",
    cache_dir=None,
    batch_size: Optional[int] = None,
    cluster: Optional[Cluster] = None,
    progress: bool = True,
    recursive: bool = True,
    include=None,
    exclude=None,
    **where,
) -> Report:
    """Compute the SAM embedding of every image of ``folder`` into the embedding cache.

    Parameters
    ----------
    folder : path
        A folder of images (those a folder session lists: subfolders too).
    model_type, checkpoint, device, cache_dir :
        As for ``get_engine("sam", ...)``; the GUI finds the embeddings when it uses the same
        model, checkpoint and cache folder (the defaults match its defaults). On a cluster
        give a ``cache_dir`` the workers and the annotators' machines share.
    batch_size : int, optional
        Images per image-encoder call: default 4 on a GPU, 1 on a CPU (where batching
        does not pay).
    cluster, progress :
        Where the tasks run; as for :func:`~interactive_seg.batch.masks_from_boxes`. Without a
        scheduler the local cluster has one worker per GPU where there is one, and
        otherwise one worker per core.
    recursive, include, exclude :
        Which images of the folder: see :func:`~interactive_seg.files.list_images`.

    Returns
    -------
    Report
        ``computed`` images encoded now, ``reused`` those already cached, failures (an
        unreadable image) with their reasons.
    """
    cluster = Cluster.given(cluster, **where)
    paths = folder_images(folder, recursive=recursive, include=include, exclude=exclude)
    label = {str(p): p.relative_to(folder).as_posix() for p in paths}  # images by their relative path
    options = {
        "model_type": model_type,
        "checkpoint": None if checkpoint is None else str(checkpoint),
        "device": device,
        "cache_dir": None if cache_dir is None else str(cache_dir),
    }
    options = {k: v for k, v in options.items() if v is not None}
    if batch_size is not None and int(batch_size) < 1:
        raise InputError(f"batch_size must be at least 1; got {batch_size}.")
    worker_side.preload_here(cluster.preload)
    check_engine_here("sam", options, files=cluster.here)
    report = Report("embed", images=len(paths))
    with Runner(cluster, workers=_default_workers(cluster, device)) as runner:
        report.startup = runner.startup
        if not paths:
            return report
        found = runner.call(probe, options)
        size = int(batch_size) if batch_size is not None else (GPU_BATCH if found["device"] == "cuda" else 1)
        tasks = [
            Task(
                str(first),
                ", ".join(label[str(p)] for p in paths[first : first + size]),
                {"paths": [str(p) for p in paths[first : first + size]], "options": options, "batch_size": size},
            )
            for first in range(0, len(paths), size)
        ]
        for task in tasks:
            task.weight = len(task.payload["paths"])
        counts = {"computed": 0, "cached": 0}
        seconds = {"task": 0.0, "encoder": 0.0}

        def keep(task, result):
            failed = 0
            for path, status in zip(task.payload["paths"], result["images"]):
                if "error" in status:
                    report.failures.append(Failure(label[path], status["error"]))
                    failed += 1
                else:
                    counts[status["status"]] += 1
            seconds["task"] += result["seconds"]
            seconds["encoder"] += result["encoder_seconds"]
            return failed

        def fail(task, reason):
            for path in task.payload["paths"]:
                report.failures.append(Failure(label[path], reason))

        run_tasks(runner, tasks, embed_images, keep, fail, report, progress=progress)
    report.computed, report.reused = counts["computed"], counts["cached"]
    report.counts = {"embeddings": counts["computed"] + counts["cached"]}
    report.timings = dict(seconds, batch_size=size, device=found["device"], cache=found["cache"], model=found["model"])
    return report


def _default_workers(cluster: Cluster, device):
    """One local worker where the SAM device is a GPU (it batches images instead); else leave the choice to the Runner."""
    workers = cluster.workers
    if (
        workers is not None
        or cluster.scheduler is not None
        or cluster.client is not None
        or str(device).lower() == "cpu"
    ):
        return workers
    from ..engines.sam import resolve_device

    try:
        kind = resolve_device(device).type
    except InputError:
        return workers  # the probe on a worker says what is wrong
    return 1 if kind == "cuda" else workers
