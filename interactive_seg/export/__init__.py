"""Exports: isolated objects (cutouts) and COCO datasets."""

from .cutouts import STYLES, cutout, cutout_name, save_cutout

__all__ = ["cutout", "save_cutout", "cutout_name", "STYLES"]
