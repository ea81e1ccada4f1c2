"""napari layers <-> core objects. The only place that converts napari's (row, col) to (x, y).

napari puts pixel centres at integer coordinates (pixel ``i`` spans ``i - 0.5 .. i + 0.5``);
the core's pixel ``i`` spans ``i .. i + 1``. So core ``x = col + 0.5`` and ``y = row + 0.5``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .. import palette
from ..prompts import BACKGROUND, FOREGROUND, Prompts

BOXES, POINTS, SCRIBBLES, PREVIEW, OBJECTS = "boxes", "points", "scribbles", "preview", "objects"
#: the Propose panel's layers: the proposals (a Labels layer), the example boxes (Shapes)
PROPOSALS, EXAMPLES = "proposals", "examples"
FG_COLOUR, BG_COLOUR = "lime", "red"

#: Point markers are drawn at least and at most this many screen pixels across: between
#: the two they scale with the zoom like the image (their size is in image pixels).
POINT_SCREEN_SIZES = (12, 40)


def point_size(shape) -> float:
    """The diameter in image pixels of a click marker on an image of ``shape``: about a
    50th of its longest side, so it reads at the zoom that fits the image to the window."""
    return max(4.0, max(shape[:2]) / 50.0)


#: A box's edge is drawn this many screen pixels wide at any zoom: napari draws a shape's
#: edge in image pixels, and a fixed width vanished on a 6000 x 4000 photograph fitted to
#: the window (or filled the screen zoomed in on a small one).
BOX_SCREEN_WIDTH = 3.0


def fit_box_edges(layer, zoom: float) -> None:
    """Give the boxes of ``layer`` (and the next one drawn) an edge :data:`BOX_SCREEN_WIDTH`
    screen pixels wide at the canvas zoom ``zoom`` (screen pixels per image pixel)."""
    if layer is None or not zoom or zoom <= 0:
        return
    width = BOX_SCREEN_WIDTH / float(zoom)
    if abs(layer.current_edge_width - width) > 1e-3 * width:
        layer.current_edge_width = width
    if layer.nshapes and any(abs(w - width) > 1e-3 * width for w in layer.edge_width):
        layer.edge_width = width


class BoxEdges:
    """Keeps the boxes layer's edges (``layer_of(BOXES)``) :data:`BOX_SCREEN_WIDTH` screen
    pixels wide as the canvas zooms; call it when the layer may be new."""

    def __init__(self, viewer, layer_of):
        self.layer_of = layer_of
        scene = getattr(viewer, "scene", None)  # napari >= 0.9 (viewer.camera is deprecated there)
        self.camera = scene.camera if scene is not None else viewer.camera
        self.camera.events.zoom.connect(self)

    def __call__(self, event=None) -> None:
        fit_box_edges(self.layer_of(BOXES), self.camera.zoom)


#: The widget's layers from the bottom up: above the image, the objects, the proposals, the
#: preview, then the prompts (whose marks must never hide under an overlay), the boxes and
#: the Propose panel's example boxes on top.
STACK = (OBJECTS, PROPOSALS, PREVIEW, SCRIBBLES, POINTS, BOXES, EXAMPLES)


def restack(viewer, image) -> None:
    """Put ``image`` above the viewer's other layers and the widget's layers above it, in
    :data:`STACK` order (layers already in place are not moved)."""
    layers = viewer.layers
    order = [image] + [layers[name] for name in STACK if name in layers]
    if list(layers)[-len(order) :] == order:
        return
    for layer in order:
        layers.move(layers.index(layer), len(layers))


def box_from_shapes(data: list) -> Optional[tuple]:
    """The last drawn shape's bounding box as ``(x0, y0, x1, y1)``; None without shapes."""
    if not len(data):
        return None
    corners = np.asarray(data[-1], dtype=float)[:, -2:]
    (r0, c0), (r1, c1) = corners.min(axis=0), corners.max(axis=0)
    return (c0 + 0.5, r0 + 0.5, c1 + 0.5, r1 + 0.5)


def boxes_from_shapes(data: list) -> list:
    """Every shape's bounding box as ``(x0, y0, x1, y1)``, oldest first."""
    return [box_from_shapes([shape]) for shape in data]


def box_to_shape(box) -> np.ndarray:
    """A core box as the 4 (row, col) corners of a napari rectangle."""
    x0, y0, x1, y1 = (float(v) - 0.5 for v in box)
    return np.array([[y0, x0], [y0, x1], [y1, x1], [y1, x0]])


def points_from_layer(data: np.ndarray, features: pd.DataFrame):
    """(points as (x, y), labels 1/0) from a Points layer; (None, None) when empty."""
    data = np.asarray(data, dtype=float)
    if data.size == 0:
        return None, None
    xy = data[:, -2:][:, ::-1] + 0.5
    if "label" in features and len(features) == len(data):
        labels = features["label"].to_numpy().astype(int)
    else:
        labels = np.ones(len(data), int)
    return xy, labels


def points_to_layer(points) -> np.ndarray:
    """Core (x, y) points as napari (row, col) positions."""
    return np.asarray(points, dtype=float)[:, ::-1] - 0.5


def prompts_from_layers(boxes, points, scribbles, prior=None) -> Prompts:
    """Build the Prompts of one object from the three prompt layers (any may be None)."""
    box = box_from_shapes(boxes.data) if boxes is not None else None
    xy, labels = points_from_layer(points.data, points.features) if points is not None else (None, None)
    strokes = None
    if scribbles is not None:
        strokes = np.asarray(scribbles.data)
        if not strokes.any():
            strokes = None
    return Prompts(box=box, points=xy, point_labels=labels, scribbles=strokes, prior=prior)


def scribble_colormap():
    from napari.utils.colormaps import DirectLabelColormap

    return DirectLabelColormap(
        color_dict={0: "transparent", FOREGROUND: FG_COLOUR, BACKGROUND: BG_COLOUR, None: "transparent"}
    )


#: The preview: a light fill (1) under a clear contour (2), in a colour of its own (the
#: boxes are yellow, the clicks green and red, the objects the palette's colours).
PREVIEW_FILL, PREVIEW_EDGE = (0.0, 0.9, 1.0, 0.3), (0.0, 0.9, 1.0, 1.0)


def preview_colormap():
    from napari.utils.colormaps import DirectLabelColormap

    return DirectLabelColormap(color_dict={0: "transparent", 1: PREVIEW_FILL, 2: PREVIEW_EDGE, None: "transparent"})


#: How the objects are coloured: by class (the class list's swatches, as review sheets draw
#: them) or one colour per object (to tell touching objects of one class apart).
COLOUR_BY = ("class", "object")

#: The objects layer draws object ``i`` in slot ``(i - 1) % slots + 1`` of its colormap
#: (napari's cyclic labels colouring), so an object's colour changes by changing that small
#: table alone, never by recolouring the image's pixels (1.7 s on a 10000 x 10000 image
#: here). 254 slots keep napari's texture at one byte per pixel (it needs a value for the
#: background and one per slot below 255); an image whose ids pass 254 moves to 65534 slots
#: (two bytes per pixel, one full redraw then); past that, ids sharing a slot share its
#: colour (the newest object's).
SMALL_SLOTS, LARGE_SLOTS = 254, 65534


def object_slots(max_id: int) -> int:
    """How many colour slots the objects layer needs while its ids go up to ``max_id``.

    >>> object_slots(254), object_slots(255)
    (254, 65534)
    """
    return SMALL_SLOTS if max_id <= SMALL_SLOTS else LARGE_SLOTS


def slot(object_id: int, slots: int) -> int:
    """The colormap entry object ``object_id`` is drawn with (napari's cyclic mapping)."""
    return (int(object_id) - 1) % slots + 1


#: An object whose class is not in the class list (it never stays so: the widget adds it).
OTHER_COLOUR = "#7f7f7f"


def object_colours(classes: dict, class_names, colour_by: str = "class") -> dict:
    """The hex colour of each object: ``classes`` maps id to class name; by class, a
    class's colour is its colour in ``class_names`` when that is a dict (name -> hex, as
    :attr:`Annotations.class_colours <interactive_seg.model.annotations.Annotations.class_colours>`
    gives), else the palette's colour of its place in the list (grey for a name not
    there); by object the palette's colour of the id.

    >>> object_colours({1: "cat", 2: "dog", 3: "cat"}, ["dog", "cat"])
    {1: '#ff7f0e', 2: '#1f77b4', 3: '#ff7f0e'}
    >>> object_colours({1: "cat", 2: "cat"}, ["cat"], "object")
    {1: '#1f77b4', 2: '#ff7f0e'}
    """
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by is one of {COLOUR_BY}; got {colour_by!r}")
    if colour_by == "object":
        return {int(i): palette.colour(int(i) - 1) for i in classes}
    if isinstance(class_names, dict):  # name -> "#rrggbb": the colours the classes keep
        return {int(i): class_names.get(name, OTHER_COLOUR) for i, name in classes.items()}
    place = {name: row for row, name in enumerate(class_names)}
    return {int(i): palette.colour(place[name]) if name in place else OTHER_COLOUR for i, name in classes.items()}


def colour_table(colours: dict, slots: int, base: Optional[np.ndarray] = None) -> np.ndarray:
    """The objects layer's colormap table (``slots + 1`` RGBA rows, row 0 transparent) for
    ``colours`` (id -> hex); unused slots keep their row of ``base`` (the table shown now,
    when it has as many slots: a deleted object's slot shows no pixels, so deleting one, or
    undoing an accept, leaves the table as it is and the canvas has nothing to redo), else
    get the palette's colour of their id."""
    if base is not None and np.shape(base) == (slots + 1, 4):
        table = np.array(base, dtype=float)
    else:
        table = np.ones((slots + 1, 4))
        table[1:, :3] = _cycled(slots)
    table[0] = 0.0
    for object_id in sorted(colours):  # the newest id wins a shared slot
        table[slot(object_id, slots), :3] = palette.hex_to_rgb(colours[object_id])
    return table


def _cycled(slots: int) -> np.ndarray:
    rgb = np.asarray([palette.rgb(i) for i in range(len(palette.COLOURS))])
    return rgb[np.arange(slots) % len(rgb)]


def objects_colormap(table: Optional[np.ndarray] = None):
    """The objects layer's colormap: ``table`` from :func:`colour_table` (default: each
    id in the palette's colour, :data:`SMALL_SLOTS` slots)."""
    from napari.utils.colormaps import CyclicLabelColormap

    return CyclicLabelColormap(colors=colour_table({}, SMALL_SLOTS) if table is None else table, background_value=0)


def set_colour_table(layer, table: np.ndarray) -> None:
    """Give the objects layer ``table``. With as many slots as it has, only the colormap's
    table changes (the pixels' texture stays: it holds slots, not colours), so a large
    image is not recoloured; with another number of slots, the whole layer is redrawn."""
    cmap = layer.colormap
    colors = np.asarray(getattr(cmap, "colors", ()))
    if colors.shape == table.shape:
        if np.allclose(colors, table, atol=1e-6):
            return
        clear = getattr(cmap, "_clear_cache", None)  # napari's colormaps cache their lookup tables
        if clear is not None:
            cmap.colors = table
            clear()
            layer.events.colormap()  # the canvas rebuilds its lookup table from the colormap
            return
    layer.colormap = objects_colormap(table)


def box_slices(box) -> tuple:
    """A core box ``(x0, y0, x1, y1)`` of whole pixels as napari's (rows, cols) slices."""
    x0, y0, x1, y1 = (int(v) for v in box)
    return slice(y0, y1), slice(x0, x1)


def refresh_region(layer, box) -> None:
    """Redraw a 2-D Labels layer after its data changed in place inside ``box`` (x0, y0, x1, y1).

    Only that region's colours are recomputed and sent to the canvas (napari's own partial
    refresh, as painting uses); where napari offers none, the whole layer is refreshed.
    """
    rows, cols = box_slices(box)
    try:
        sliced = layer._slice.image
        if layer.ndim != 2 or sliced.raw.shape != layer.data.shape or not np.shares_memory(sliced.raw, layer.data):
            raise AttributeError("not a plain 2-D view of the data")
        if layer.contour == 0:
            sliced.view[rows, cols] = layer.colormap._data_to_texture(sliced.raw[rows, cols])
        layer._accumulate_updated_slice((rows, cols))
        layer._partial_labels_refresh()
    except (AttributeError, TypeError, ValueError):
        layer.refresh()


def class_features(classes: dict) -> pd.DataFrame:
    """The features table of the objects layer: one row per object, shown on hover."""
    ids = sorted(classes)
    return pd.DataFrame({"index": np.asarray(ids, dtype=np.int64), "class": [classes[i] for i in ids]})


def classes_from_features(features) -> dict:
    """Class per label value from a Labels layer's features (``index`` and ``class`` columns)."""
    if features is None or len(features) == 0 or "class" not in features:
        return {}
    table = pd.DataFrame(features)
    index = table["index"] if "index" in table else pd.Series(range(len(table)))
    return {int(i): str(c) for i, c in zip(index, table["class"]) if int(i) > 0}
