"""The colours objects and classes are drawn in, shared by the napari widget and the review sheets.

Vivid, distinct colours (matplotlib's tab10 without its yellow, which the widget's boxes
use; its preview is a cyan contour over a light fill). Colour ``i`` (0-based) of a
sequence is ``COLOURS[i % len(COLOURS)]``.

>>> colour(0), colour(len(COLOURS))
('#1f77b4', '#1f77b4')
>>> rgb(1)
(1.0, 0.4980392156862745, 0.054901960784313725)
"""

from __future__ import annotations

__all__ = ["COLOURS", "colour", "rgb", "hex_to_rgb"]

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")


def colour(index: int) -> str:
    """The hex colour of item ``index`` (0-based) of a list of objects or classes."""
    return COLOURS[int(index) % len(COLOURS)]


def rgb(index: int) -> tuple:
    """The same colour as three floats in 0..1."""
    return hex_to_rgb(colour(index))


def hex_to_rgb(hex_colour: str) -> tuple:
    """``"#rrggbb"`` as three floats in 0..1."""
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
