"""COCO files: one lossless document (:class:`CocoDocument`) and the mask encoding it uses.

A file format, not an export: sessions, exports, the napari reader and writer and the
batch tools all read and write COCO through :class:`CocoDocument`.
"""

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
]
