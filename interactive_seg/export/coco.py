"""Old home of the COCO functions, kept so that ``interactive_seg.export.coco`` imports work.

COCO is a file format, not an export: it lives in :mod:`interactive_seg.coco`. Import from
there (or from ``interactive_seg`` / ``interactive_seg.export``); this module only re-exports.
"""

from ..coco import (  # noqa: F401 - re-exports
    CocoDataset,
    CocoImage,
    CocoObject,
    check_coco,
    decode_segmentation,
    is_coco,
    mask_to_segmentation,
    read_coco,
    to_coco,
    write_coco,
)
