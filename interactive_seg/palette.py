"""The colours objects and classes are drawn in, shared by the napari widget and the review sheets.

Vivid, distinct colours (matplotlib's tab10 without its yellow, which the widget's boxes
use, and with magenta for its brown, whose objects vanished on brown photographs; the
widget's preview is a cyan contour over a light fill). A class keeps the colour stored
with it (a COCO category's ``"color"``), so a change here colours only new classes. Colour ``i`` (0-based) of a
sequence is ``COLOURS[i % len(COLOURS)]``.

>>> colour(0), colour(len(COLOURS))
('#1f77b4', '#1f77b4')
>>> rgb(1)
(1.0, 0.4980392156862745, 0.054901960784313725)
"""

from __future__ import annotations

__all__ = [
    "COLOURS",
    "COLOUR_KEY",
    "colour",
    "rgb",
    "hex_to_rgb",
    "is_hex",
    "class_colours",
    "category_colours",
    "next_colour",
]

#: The key of a COCO category that holds its class's colour (``"#rrggbb"``), on the
#: categories this tool writes; a category without it takes the palette's colour of its
#: place in the file's categories.
COLOUR_KEY = "color"

#: tab10's first five, then the rest ordered so that neighbours differ most (CIEDE2000 at least 27 between
#: any two, the last and the first too: ids 6 and 7 were magenta and pink, hard to tell apart side by side)
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#17becf", "#ff00ff", "#7f7f7f", "#e377c2")


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


def is_hex(value) -> bool:
    """True for a ``"#rrggbb"`` colour."""
    if not isinstance(value, str) or len(value) != 7 or value[0] != "#":
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


def class_colours(categories) -> dict:
    """``{name: "#rrggbb"}`` of COCO category records: each its :data:`COLOUR_KEY` where it
    holds a colour, else the palette's colour of its place in the list (the first record of
    a name wins, as class names do).

    >>> class_colours([{"name": "cat"}, {"name": "dog", "color": "#123456"}])
    {'cat': '#1f77b4', 'dog': '#123456'}
    """
    out = {}
    for record, hex_colour in zip(categories, category_colours(categories)):
        out.setdefault(str(record["name"]), hex_colour)
    return out


def category_colours(categories) -> list:
    """The colour of each COCO category record, in order: its :data:`COLOUR_KEY` where that
    holds a colour, else the palette's colour of its place in the list.

    >>> category_colours([{"name": "cat"}, {"name": "dog", "color": "#12345F"}])
    ['#1f77b4', '#12345f']
    """
    out = []
    for index, record in enumerate(categories):
        given = record.get(COLOUR_KEY)
        out.append(given.lower() if is_hex(given) else colour(index))
    return out


def next_colour(used) -> str:
    """The palette colour the fewest of ``used`` (the colours of the classes there are)
    have, the first in the palette's order among equals: the first colour not used while
    there is one, then round the palette again, never piling the new classes on one colour.

    >>> next_colour(["#1f77b4", "#ff7f0e"])
    '#2ca02c'
    >>> next_colour(list(COLOURS) + ["#1f77b4"])
    '#ff7f0e'
    """
    counts: dict = {}
    for value in used:
        key = str(value).lower()
        counts[key] = counts.get(key, 0) + 1
    return min(COLOURS, key=lambda value: counts.get(value, 0))
