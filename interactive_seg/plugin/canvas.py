"""The widget's layers on the canvas: made at the image's size, prompts read from them,
the preview and the objects drawn into them, region by region.

Layer names and conversions come from :mod:`.layers`; this module only keeps the layers
in step with the image and the model.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..prompts import BACKGROUND, FOREGROUND
from . import layers as L

__all__ = ["Canvas"]


class Canvas:
    """The ``boxes``, ``points``, ``scribbles``, ``preview`` and ``objects`` layers of a viewer.

    ``on_prompts(event)`` runs when a prompt layer changes; ``on_new_points(layer)`` when
    the points layer is made (the widget binds its keys there).
    """

    def __init__(self, viewer, on_prompts: Callable, on_new_points: Callable):
        self.viewer = viewer
        self._on_prompts, self._on_new_points = on_prompts, on_new_points
        self.updating = False  # True while the canvas itself changes prompt layers
        self._preview_box: Optional[tuple] = None  # where the preview layer has pixels set

    def layer(self, name: str):
        return self.viewer.layers[name] if name in self.viewer.layers else None

    # -- making the layers ---------------------------------------------------------------
    def ensure(self, shape, brush_size: int) -> None:
        """Have all five layers, the Labels ones at ``shape``; select ``boxes``."""
        self.updating = True
        try:
            objects, _ = self._labels(L.OBJECTS, shape, np.int32, opacity=0.55, colormap=L.objects_colormap())
            objects.editable = False
            preview, made = self._labels(L.PREVIEW, shape, np.uint8, opacity=0.5, colormap=L.preview_colormap())
            preview.editable = False
            if made:
                self._preview_box = None
            scribbles, made = self._labels(L.SCRIBBLES, shape, np.uint8, opacity=0.8, colormap=L.scribble_colormap())
            if made:
                scribbles.brush_size = brush_size
                scribbles.selected_label = FOREGROUND
                scribbles.events.paint.connect(self._on_prompts)
                scribbles.events.data.connect(self._on_prompts)
            if self.layer(L.POINTS) is None:
                points = self.viewer.add_points(
                    np.zeros((0, 2)), name=L.POINTS, size=max(6, max(shape) // 100), features={"label": np.zeros(0, int)},
                    face_color=L.FG_COLOUR, border_color="white",
                )
                points.feature_defaults = {"label": 1}
                points.events.data.connect(self._on_prompts)
                self._on_new_points(points)
            if self.layer(L.BOXES) is None:
                boxes = self.viewer.add_shapes(name=L.BOXES, edge_color="yellow", face_color="transparent", edge_width=max(2, max(shape) // 300))
                boxes.events.data.connect(self._on_prompts)
            self.select(L.BOXES)
        finally:
            self.updating = False

    def _labels(self, name: str, shape, dtype, **options):
        """The Labels layer ``name`` at ``shape``: kept when it fits, made anew when not (and
        whether it was made now, so its events are connected once)."""
        layer = self.layer(name)
        if layer is not None and layer.data.shape == tuple(shape):
            return layer, False
        if layer is not None:
            self.viewer.layers.remove(layer)
        return self.viewer.add_labels(np.zeros(shape, dtype), name=name, **options), True

    def select(self, name: str) -> None:
        """Make a prompt layer the active one, in its drawing mode."""
        layer = self.layer(name)
        if layer is None:
            return
        self.viewer.layers.selection.active = layer
        layer.mode = {L.SCRIBBLES: "paint", L.POINTS: "add", L.BOXES: "add_rectangle"}.get(name, layer.mode)

    # -- prompts -------------------------------------------------------------------------
    def prompts(self, prior=None):
        return L.prompts_from_layers(self.layer(L.BOXES), self.layer(L.POINTS), self.layer(L.SCRIBBLES), prior=prior)

    def clear_prompts(self) -> None:
        self.updating = True
        try:
            boxes, points, scribbles = self.layer(L.BOXES), self.layer(L.POINTS), self.layer(L.SCRIBBLES)
            if boxes is not None and len(boxes.data):
                boxes.data = []
            if points is not None and len(points.data):
                points.data = np.zeros((0, 2))
            if scribbles is not None and scribbles.data.any():
                scribbles.data = np.zeros(scribbles.data.shape, np.uint8)
        finally:
            self.updating = False

    def set_point_label(self, background: bool) -> None:
        points = self.layer(L.POINTS)
        if points is not None:
            points.feature_defaults = {"label": 0 if background else 1}
            points.current_face_color = L.BG_COLOUR if background else L.FG_COLOUR

    def set_brush(self, background: Optional[bool] = None, size: Optional[int] = None) -> None:
        scribbles = self.layer(L.SCRIBBLES)
        if scribbles is None:
            return
        if background is not None:
            scribbles.selected_label = BACKGROUND if background else FOREGROUND
        if size is not None:
            scribbles.brush_size = size

    # -- preview and objects -------------------------------------------------------------
    def show_preview(self, preview) -> None:
        """Draw a :class:`~.preview.Preview` (None or empty: nothing), touching only the old
        and new boxes."""
        layer = self.layer(L.PREVIEW)
        if layer is None:
            return
        data = layer.data
        old, new = self._preview_box, None if preview is None else preview.box
        if old is not None:
            data[L.box_slices(old)] = 0
        if new is not None:
            region = data[L.box_slices(new)]
            region[preview.mask] = 1
        self._preview_box = new
        boxes = [b for b in (old, new) if b is not None]
        if boxes:
            L.refresh_region(layer, (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)))

    def show_objects(self, objects) -> None:
        """Show an image's :class:`~interactive_seg.objects.ObjectSet` (the layer shares its labels)."""
        layer = self.layer(L.OBJECTS)
        if layer is None:
            return
        layer.data = objects.labels
        layer.features = L.class_features(objects.classes)
        layer.refresh()

    def update_objects(self, objects, change) -> None:
        """Redraw what a :class:`~interactive_seg.objects.Change` changed."""
        layer = self.layer(L.OBJECTS)
        if layer is None:
            return
        if layer.data is not objects.labels:
            self.show_objects(objects)
            return
        if change.bbox is not None:
            L.refresh_region(layer, change.bbox)
        layer.features = L.class_features(objects.classes)
