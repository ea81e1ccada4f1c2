"""COCO files: one lossless document (:class:`CocoDocument`), the mask encoding it uses, and
a simple in-memory dataset (:func:`read_coco` / :func:`write_coco`) on top of it.

A file format, not an export: sessions, exports, the napari reader and writer and the
batch tools all read and write COCO through :class:`CocoDocument`.
"""

from .dataset import CocoDataset, CocoImage, CocoObject, check_coco, read_coco, to_coco, write_coco
from .document import CocoDocument, is_coco, load_json
from .segmentation import decode_segmentation, has_segmentation, mask_to_segmentation, segmentation_problem

__all__ = [
    "CocoDocument",
    "is_coco",
    "load_json",
    "mask_to_segmentation",
    "decode_segmentation",
    "has_segmentation",
    "segmentation_problem",
    "CocoObject",
    "CocoImage",
    "CocoDataset",
    "read_coco",
    "write_coco",
    "to_coco",
    "check_coco",
]
