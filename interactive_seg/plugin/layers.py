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
FG_COLOUR, BG_COLOUR = "lime", "red"

#: Point markers are drawn at least and at most this many screen pixels across: between
#: the two they scale with the zoom like the image (their size is in image pixels).
POINT_SCREEN_SIZES = (12, 40)


def point_size(shape) -> float:
    """The diameter in image pixels of a click marker on an image of ``shape``: about a
    50th of its longest side, so it reads at the zoom that fits the image to the window."""
    return max(4.0, max(shape[:2]) / 50.0)


#: The widget's layers from the bottom up: above the image, the objects, the preview, then
#: the prompts (whose marks must never hide under an overlay), the boxes on top.
STACK = (OBJECTS, PREVIEW, SCRIBBLES, POINTS, BOXES)


def restack(viewer, image) -> None:
    """Put ``image`` above the viewer's other layers and the widget's layers above it, in
    :data:`STACK` order (layers already in place are not moved)."""
    layers = viewer.layers
    order = [image] + [layers[name] for name in STACK if name in layers]
    if list(layers)[-len(order):] == order:
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

    return DirectLabelColormap(color_dict={0: "transparent", FOREGROUND: FG_COLOUR, BACKGROUND: BG_COLOUR, None: "transparent"})


#: The preview: a light fill (1) under a clear contour (2), in a colour of its own (the
#: boxes are yellow, the clicks green and red, the objects the palette's colours).
PREVIEW_FILL, PREVIEW_EDGE = (0.0, 0.9, 1.0, 0.3), (0.0, 0.9, 1.0, 1.0)


def preview_colormap():
    from napari.utils.colormaps import DirectLabelColormap

    return DirectLabelColormap(color_dict={0: "transparent", 1: PREVIEW_FILL, 2: PREVIEW_EDGE, None: "transparent"})


#: The objects' colours: the core's palette (tab10 without the boxes' yellow), so
#: the canvas, the panel's swatches and the review sheets agree.
OBJECT_COLOURS = list(palette.COLOURS)


def objects_colormap():
    from napari.utils.colormaps import CyclicLabelColormap

    colours = [[0.0, 0.0, 0.0, 0.0]] + [list(palette.rgb(i)) + [1.0] for i in range(len(OBJECT_COLOURS))]
    return CyclicLabelColormap(colors=colours, background_value=0)


def object_colour(object_id: int) -> str:
    """The hex colour :func:`objects_colormap` draws object ``object_id`` in."""
    return palette.colour(int(object_id) - 1)


def object_swatch(object_id: int):
    """A small square of the object's colour, for a list beside the canvas."""
    from qtpy.QtGui import QColor, QIcon, QPixmap

    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(object_colour(object_id)))
    return QIcon(pixmap)


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
