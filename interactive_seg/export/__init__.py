"""Exports: isolated objects (cutouts) and COCO datasets."""

from .batch import add_to_coco, export_dataset, export_objects, labels_to_objects, read_classes
from .coco import CocoDataset, CocoImage, CocoObject, check_coco, is_coco, mask_to_segmentation, read_coco, to_coco, write_coco
from .cutouts import STYLES, cutout, cutout_name, save_cutout

__all__ = [
    "cutout",
    "save_cutout",
    "cutout_name",
    "STYLES",
    "CocoObject",
    "CocoImage",
    "CocoDataset",
    "to_coco",
    "write_coco",
    "read_coco",
    "check_coco",
    "is_coco",
    "mask_to_segmentation",
    "labels_to_objects",
    "read_classes",
    "export_objects",
    "export_dataset",
    "add_to_coco",
]
