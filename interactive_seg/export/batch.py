"""Old name of :mod:`interactive_seg.export.dataset`, kept so that old imports work.

"Batch" now names the dask package :mod:`interactive_seg.batch`; many objects at once
are :mod:`interactive_seg.export.dataset`, and label images :mod:`interactive_seg.labels`.
This module only re-exports.
"""

from ..labels import labels_to_objects, read_classes  # noqa: F401 - re-exports
from .dataset import add_to_coco, export_dataset, export_objects  # noqa: F401 - re-exports
