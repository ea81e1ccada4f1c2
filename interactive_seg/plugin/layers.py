"""napari layers <-> core objects. The only place that converts napari's (row, col) to (x, y).

napari puts pixel centres at integer coordinates (pixel ``i`` spans ``i - 0.5 .. i + 0.5``);
the core's pixel ``i`` spans ``i .. i + 1``. So core ``x = col + 0.5`` and ``y = row + 0.5``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from ..prompts import BACKGROUND, FOREGROUND, Prompts

BOXES, POINTS, SCRIBBLES, PREVIEW, OBJECTS = "boxes", "points", "scribbles", "preview", "objects"
FG_COLOUR, BG_COLOUR = "lime", "red"


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


def preview_colormap():
    from napari.utils.colormaps import DirectLabelColormap

    return DirectLabelColormap(color_dict={0: "transparent", 1: "yellow", None: "transparent"})


#: Vivid, distinct colours for objects (tab10 without yellow, which the preview uses).
OBJECT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]


def objects_colormap():
    from napari.utils.colormaps import CyclicLabelColormap

    colours = [[0.0, 0.0, 0.0, 0.0]] + [_rgba(c) for c in OBJECT_COLOURS]
    return CyclicLabelColormap(colors=colours, background_value=0)


def _rgba(hex_colour: str) -> list:
    value = hex_colour.lstrip("#")
    return [int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4)] + [1.0]


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
