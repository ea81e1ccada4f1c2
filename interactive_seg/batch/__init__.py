"""Whole datasets at once, on dask.distributed: boxes to masks, SAM embeddings ahead, exports.

Each job is split into tasks per image; a task carries file paths and prompts, never
pixels, and workers read the images themselves. Engines and models are built once per
worker process. By default a local cluster of worker processes runs on this machine (no
setup); ``scheduler="tcp://HOST:PORT"`` sends the tasks to a running cluster instead, and
``workers=0`` runs them in this process without dask: the fields of a :class:`Cluster`, which
every job takes as ``cluster=`` (or its fields as keywords). Per-image results are kept in a work
folder as they arrive, so an interrupted batch resumes where it stopped, and merged in the
input's order at the end: the output does not depend on how many workers ran it.

This package is the only one that imports dask (the ``batch`` extra:
``pip install 'interactive-seg[batch]'``); it imports it when a cluster is first needed.
"""

from .embed import embed_folder
from .export import export_folder
from .masks import masks_from_boxes, read_detections
from .run import Cluster, Failure, Report, Runner

__all__ = [
    "masks_from_boxes",
    "read_detections",
    "embed_folder",
    "export_folder",
    "Cluster",
    "Report",
    "Failure",
    "Runner",
]
