"""Exports: isolated objects (cutouts), and many objects at once (into COCO files, or a whole dataset)."""

from ..coco import (
    CocoDataset,
    CocoImage,
    CocoObject,
    check_coco,
    is_coco,
    mask_to_segmentation,
    read_coco,
    to_coco,
    write_coco,
)
from ..labels import labels_to_objects, read_classes
from .cutouts import STYLES, cutout, save_cutout
from .dataset import PartialExport, add_objects, export_dataset, export_objects
from .naming import cutout_name, image_stem, image_stems, object_names

__all__ = [
    "cutout",
    "save_cutout",
    "cutout_name",
    "image_stem",
    "image_stems",
    "object_names",
    "STYLES",
    "export_objects",
    "export_dataset",
    "add_objects",
    "PartialExport",
    "labels_to_objects",
    "read_classes",
    # COCO lives in interactive_seg.coco; re-exported here for older code
    "CocoObject",
    "CocoImage",
    "CocoDataset",
    "to_coco",
    "write_coco",
    "read_coco",
    "check_coco",
    "is_coco",
    "mask_to_segmentation",
]
