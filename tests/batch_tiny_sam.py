"""Imported on batch workers by the SAM batch tests (``--preload batch_tiny_sam``).

Registers the ``micro`` SAM model type: the tests' tiny SAM (tests/sam_models.py) at a
256-pixel input (16 x 16 image tokens), random weights, so that a worker embeds an image
in milliseconds. Speed and masks do not matter here, only that every path gives the same
result.
"""

from functools import partial

from sam_models import tiny_sam

micro_sam = partial(tiny_sam, img_size=256)


def register():
    from interactive_seg.engines.sam import register_sam_builder

    register_sam_builder("micro", micro_sam)


register()
