"""The widget's layers on the canvas: made at the image's size, prompts read from them,
the preview and the objects drawn into them, region by region.

Layer names and conversions come from :mod:`.layers`; this module only keeps the layers
in step with the image and the model. A changed region is sent to the screen in strips
of rows, as many per event-loop turn as fit in ``TURN_SECONDS`` and ``TURN_PIXELS`` (:class:`RegionPainter`),
with its display colours computed beforehand in a worker where the caller can
(:meth:`Canvas.colours`), so that redrawing a 16-megapixel object never holds the window
for long. A layer that shows nothing (the preview when there is none, the scribbles when
empty and not being painted on) is left out of the canvas's frames (:meth:`Canvas.draw_layer`):
each frame costs less, and every change pays one frame.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from typing import Optional

import numpy as np
from qtpy.QtCore import QTimer

from ..prompts import BACKGROUND, FOREGROUND
from . import layers as L
from .prompt_steps import PromptSteps

__all__ = ["MIN_BOX_SCREEN_PIXELS", "Canvas", "RegionPainter", "STRIP_PIXELS", "TURN_SECONDS", "TURN_PIXELS"]

#: A box narrower than this on screen, at the zoom it was drawn, is a click in box mode.
MIN_BOX_SCREEN_PIXELS = 5

#: Pixels of a Labels layer recoloured and copied to its texture in one piece.
STRIP_PIXELS = 1_000_000
#: Seconds of strips drawn in one event-loop turn before the loop runs again.
TURN_SECONDS = 0.03
#: Pixels sent to the screen in one event-loop turn at most: the next frame uploads them to
#: the texture (on a software OpenGL about 1 ms per megapixel when idle, on top of the frame itself,
#: 60-100 ms there at 10000 x 10000 on two idle cores; so a 4000 x 4000 object goes in one frame, not four).
TURN_PIXELS = 16_000_000


class RegionPainter:
    """Redraws changed regions of Labels layers in order, a few strips of rows per event-loop turn.

    :meth:`paint` takes the region's display values when they were computed already
    (off the GUI thread: :meth:`Canvas.colours`; copying them is about a millisecond per
    megapixel), else computes each strip's from the layer's data just before sending it
    (some 20 ms per megapixel). A turn stops after ``turn_seconds`` or ``turn_pixels``;
    the canvas repaints between turns, uploading what the turn sent. A region whose layer got
    other data meanwhile (another image shown) is dropped: setting the data redrew the
    whole layer.
    """

    def __init__(
        self, strip_pixels: int = STRIP_PIXELS, turn_seconds: float = TURN_SECONDS, turn_pixels: int = TURN_PIXELS
    ):
        self.strip_pixels = int(strip_pixels)
        self.turn_seconds = float(turn_seconds)
        self.turn_pixels = int(turn_pixels)
        self._todo: deque = deque()  # [layer, data, box, values, colormap, next row]
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._turn)

    @property
    def busy(self) -> bool:
        """True while some region waits to be drawn."""
        return bool(self._todo)

    def paint(self, layer, box, colours=None) -> None:
        """Redraw ``box`` (x0, y0, x1, y1) of ``layer`` after its data changed there in place;
        ``colours`` is ``(colormap, values)`` of the box when known (values may be one
        value for the whole box)."""
        x0, y0, x1, y1 = (int(v) for v in box)
        if x1 <= x0 or y1 <= y0:
            return
        cmap, values = colours if colours is not None else (None, None)
        self._todo.append([layer, layer.data, (x0, y0, x1, y1), values, cmap, 0])
        if len(self._todo) == 1:
            self._turn()  # a small region is drawn at once; a large one starts now, goes on later

    def forget(self, layer) -> None:
        """Drop what waits for ``layer`` (it is going away)."""
        self._todo = deque(item for item in self._todo if item[0] is not layer)

    def _turn(self) -> None:
        start, sent = time.perf_counter(), 0
        while self._todo:
            sent += self._strip()
            if time.perf_counter() - start >= self.turn_seconds or sent >= self.turn_pixels:
                break
        if self._todo and not self._timer.isActive():
            self._timer.start()

    def _strip(self) -> None:
        item = self._todo[0]
        layer, data, (x0, y0, x1, y1), values, cmap, row = item
        if layer.data is not data:
            self._todo.popleft()  # other data was shown since: all of it was drawn then
            return 0
        rows = max(1, min(self.strip_pixels * (1 if values is None else 16), self.turn_pixels) // (x1 - x0))
        end = min(row + rows, y1 - y0)
        strip = None if values is None else values if np.ndim(values) == 0 else values[row:end]
        self._draw(layer, (x0, y0 + row, x1, y0 + end), cmap, strip)
        item[5] = end
        if end >= y1 - y0:
            self._todo.popleft()
        return (end - row) * (x1 - x0)

    @staticmethod
    def _draw(layer, box, cmap, values) -> None:
        """Send ``box`` of ``layer`` to the screen: its ``values`` copied into the layer's
        texture where they fit it, else recoloured by napari (:func:`.layers.refresh_region`)."""
        rows, cols = L.box_slices(box)
        sliced = getattr(getattr(layer, "_slice", None), "image", None)
        plain = (
            values is not None
            and cmap is layer.colormap
            and layer.ndim == 2
            and layer.contour == 0
            and sliced is not None
            and sliced.raw.shape == layer.data.shape
            and sliced.view.dtype == np.asarray(values).dtype
            and np.may_share_memory(sliced.raw, layer.data)
        )
        if not plain:
            L.refresh_region(layer, box)
            return
        # What napari's partial refresh does, with the colours sent as one contiguous block:
        # it sends a strided view of its texture array, which PyOpenGL copies before the
        # upload (some 40 ms for 16 megapixels, on the GUI thread); a strip of the worker's
        # colours is contiguous already, one colour for the box is filled once.
        shape = (rows.stop - rows.start, cols.stop - cols.start)
        if np.ndim(values) == 0:  # one colour: filled, not copied element by element from a broadcast
            sliced.view[rows, cols] = values
            values = np.full(shape, values, dtype=sliced.view.dtype)
        else:
            values = np.ascontiguousarray(values)
            sliced.view[rows, cols] = values
        if layer.loaded:
            layer.events.labels_update(data=values, offset=(rows.start, cols.start))


#: The modes of napari's Shapes layer the boxes layer keeps: drawing a rectangle, selecting
#: one to move or resize it, and panning.
BOX_MODES = ("add_rectangle", "select", "pan_zoom")


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
        self._stale_boxes: list = []  # preview boxes cleared in the data, not yet on the (skipped) layer's texture
        self._no_strokes = True  # the scribbles layer is known to be empty (no scan of it on clearing)
        self._paint_pending = False  # a paint event waits for the event loop's next turn
        self._nodes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # layer -> its vispy node
        viewer.layers.selection.events.active.connect(self._show_strokes)
        self.painter = RegionPainter()
        self.colour_by = "class"  # or "object": see layers.COLOUR_BY
        self._object_colours: dict = {}  # id -> hex, as the objects layer draws them now
        self.steps = PromptSteps(self)  # the object's prompt steps, for Ctrl+Z / Ctrl+Shift+Z

    def layer(self, name: str):
        return self.viewer.layers[name] if name in self.viewer.layers else None

    # -- making the layers ---------------------------------------------------------------
    def ensure(self, shape, brush_size: int, objects=None) -> None:
        """Have all six layers, the Labels ones at ``shape``, the objects layer showing
        ``objects`` (an :class:`~interactive_seg.model.objects.ObjectSet` of that shape);
        select ``boxes``. napari converts a Labels layer's pixels for display each time its
        data is set (some 50 ms at 24 MP): the objects layer's is set once."""
        self.updating = True
        try:
            labels = None if objects is None else objects.labels
            shown, how = self._labels(
                L.OBJECTS, shape, np.int32, data=labels, opacity=0.55, colormap=L.objects_colormap()
            )
            shown.editable = False
            if objects is not None:
                if how == "kept" and shown.data is not labels:
                    shown.data = labels
                shown.features = L.class_features(objects.classes)
            # the Propose panel's layer, made here with the others so that proposals arriving
            # later only fill a region of it: napari making a layer, and the first frame that
            # draws it, hold the window for hundreds of ms on a software OpenGL. uint16: napari
            # draws its values as they are (no colour copy of the layer), two bytes a pixel
            proposals, _ = self._labels(L.PROPOSALS, shape, np.uint16, opacity=0.45)
            proposals.editable = False
            preview, how = self._labels(L.PREVIEW, shape, np.uint8, opacity=1.0, colormap=L.preview_colormap())
            preview.editable = False
            if how != "kept":
                self._preview_box, self._stale_boxes = None, []
            scribbles, how = self._labels(L.SCRIBBLES, shape, np.uint8, opacity=0.8, colormap=L.scribble_colormap())
            if how != "kept":
                self._no_strokes = True
            scribbles.brush_size = brush_size  # (each image's, until the annotator chooses one)
            if how == "made":
                scribbles.selected_label = FOREGROUND
                scribbles.events.paint.connect(self._strokes_painted)
                scribbles.events.data.connect(self._strokes_changed)
                scribbles.events.data.connect(self._on_prompts)
            if self.layer(L.POINTS) is None:
                points = self.viewer.add_points(
                    np.zeros((0, 2)),
                    name=L.POINTS,
                    size=L.point_size(shape),
                    features={"label": np.zeros(0, int)},
                    face_color=L.FG_COLOUR,
                    border_color="white",
                    border_width=0.15,
                    canvas_size_limits=L.POINT_SCREEN_SIZES,
                )
                points.feature_defaults = {"label": 1}
                points.events.data.connect(self._points_changed)
                self._on_new_points(points)
            if self.layer(L.BOXES) is None:
                boxes = self.viewer.add_shapes(
                    name=L.BOXES, edge_color="yellow", face_color="transparent", edge_width=max(2, max(shape) // 300)
                )
                boxes.events.data.connect(self._boxes_changed)
                boxes.events.mode.connect(self._boxes_mode)
            self.select(L.BOXES)
        finally:
            self.updating = False
        self.steps.reset()
        self.draw_layer(preview, self._preview_box is not None)
        self._show_strokes()

    def _labels(self, name: str, shape, dtype, data=None, **options):
        """The Labels layer ``name`` at ``shape``, and how: "kept" (it fits), "reshaped" (it
        had another size: it takes empty data of this one) or "made" (there was none; its
        events are connected once). A layer is reshaped, not made again: napari making a
        Labels layer and compiling its first frame hold the window for hundreds of ms on a
        software OpenGL."""
        layer = self.layer(name)
        if layer is not None and layer.data.shape == tuple(shape):
            return layer, "kept"
        data = np.zeros(shape, dtype) if data is None else data
        if layer is not None:
            self.painter.forget(layer)
            layer.data = data
            return layer, "reshaped"
        return self.viewer.add_labels(data, name=name, **options), "made"

    def select(self, name: str) -> None:
        """Make a prompt layer the active one, in its drawing mode."""
        layer = self.layer(name)
        if layer is None:
            return
        self.viewer.layers.selection.active = layer
        layer.mode = {L.SCRIBBLES: "paint", L.POINTS: "add", L.BOXES: "add_rectangle"}.get(name, layer.mode)

    # -- prompts -------------------------------------------------------------------------
    def prompts(self, prior=None):
        found = L.prompts_from_layers(self.layer(L.BOXES), self.layer(L.POINTS), self.layer(L.SCRIBBLES), prior=prior)
        self._no_strokes = found.scribbles is None
        self._show_strokes()
        return found

    def _boxes_changed(self, event=None) -> None:
        """A box drawn, moved or deleted. Only the newest box counts, so it is the only one
        left drawn: a new box replaces the older one (one undoable step), and a box of no
        size (a click in box mode: under :data:`MIN_BOX_SCREEN_PIXELS` across on screen) is
        dropped, leaving the older box as it was."""
        if self.updating or not _final(event):
            return
        boxes = self.layer(L.BOXES)
        if _action(event) == "added" and boxes is not None and len(boxes.data):
            newest = np.asarray(boxes.data[-1], float)[:, -2:]
            extent = (newest.max(axis=0) - newest.min(axis=0)).min()
            # napari's click in rectangle mode leaves a box some 2 screen pixels wide, however
            # far the view is zoomed out (20 image pixels on a 24 MP photo): no box is drawn so thin
            clicked = extent < 1 or extent * self.viewer.camera.zoom < MIN_BOX_SCREEN_PIXELS
            drop = {len(boxes.data) - 1} if clicked else set(range(len(boxes.data) - 1))
            if drop:
                self.updating = True
                try:
                    boxes.selected_data = drop
                    boxes.remove_selected()
                finally:
                    self.updating = False
        if self.steps.record(L.BOXES):
            self._on_prompts(event)

    def _boxes_mode(self, event=None) -> None:
        """napari's keys and buttons of a Shapes layer (P polygon, E ellipse, L line, the
        vertex tools...) drew shapes no box is, and a polygon left half drawn broke every
        Accept and Clear after it: the boxes layer draws rectangles, moves them or pans."""
        boxes = self.layer(L.BOXES)
        if boxes is None or str(boxes.mode) in BOX_MODES:
            return
        QTimer.singleShot(0, self._rectangles_again)  # (after napari finishes its own mode change)

    def _rectangles_again(self) -> None:
        boxes = self.layer(L.BOXES)
        if boxes is not None and str(boxes.mode) not in BOX_MODES:
            boxes.mode = "add_rectangle"
            from napari.utils.notifications import show_info

            show_info("The boxes layer draws rectangles only: a box round the object, or select to move one.")

    def _points_changed(self, event=None) -> None:
        if self.updating or not _final(event):
            return
        if self.steps.record(L.POINTS):
            self._on_prompts(event)

    def set_prompt_layer(self, name: str, state) -> None:
        """Put back the boxes (a list of corner arrays) or the points (``(positions,
        labels)``) of a prompt step; no prompt event (the caller reads the prompts)."""
        layer = self.layer(name)
        if layer is None:
            return
        self.updating = True
        try:
            layer.selected_data = set()
            if name == L.BOXES:
                layer.data = []
                if state:
                    layer.add(state, shape_type="rectangle")
            else:
                data, labels = state
                layer.data = data
                if len(data):
                    import pandas as pd

                    layer.features = pd.DataFrame({"label": labels})
                    layer.face_color = [L.FG_COLOUR if label else L.BG_COLOUR for label in labels]
        finally:
            self.updating = False

    def strokes_replaced(self) -> None:
        """The scribbles changed by the canvas's own undo or redo of a stroke."""
        self._strokes_changed()

    def _strokes_painted(self, event=None) -> None:
        """A stroke, fill or polygon on the scribbles layer: read the prompts on the event
        loop's next turn. napari emits ``paint`` as it records the change in its history;
        after a brush drag that is once the pixels are written, but for the fill bucket,
        the polygon tool and a script's ``paint()`` it is before (napari 0.9), and the
        preview would have been made from the strokes as they were."""
        if not self._paint_pending:
            self._paint_pending = True
            QTimer.singleShot(0, self._after_paint)

    def _after_paint(self) -> None:
        self._paint_pending = False
        if self.layer(L.SCRIBBLES) is not None:
            self._strokes_changed()
            self.steps.record(L.SCRIBBLES)
            self._on_prompts(None)

    def _strokes_changed(self, event=None) -> None:
        if not self.updating:
            self._no_strokes = False
            self._show_strokes()

    def _show_strokes(self, event=None) -> None:
        """Draw the scribbles layer while it holds strokes or is the active layer (the one
        painted on); skip it in each frame when neither."""
        scribbles = self.layer(L.SCRIBBLES)
        if scribbles is not None:
            self.draw_layer(scribbles, not self._no_strokes or self.viewer.layers.selection.active is scribbles)

    def draw_layer(self, layer, shown: bool) -> bool:
        """Have the canvas draw ``layer`` in each frame, or skip it while it shows nothing;
        True when it is skipped now.

        An empty Labels layer the size of a 10000 x 10000 image still costs every frame some
        5-10 ms on a software OpenGL (its texture is sampled at every pixel it covers), and
        the canvas repaints on every change. napari's own ``visible = False`` would do, but
        napari re-slices and re-uploads the whole layer when it comes back (hundreds of ms),
        so only the drawing node is skipped: the layer, its eye in the layer list and its
        texture stay as they are. Without napari's Qt window (a headless viewer) nothing is
        drawn anyway, and this does nothing; nor where a later napari no longer has the
        path to the node (its Qt viewer is private there)."""
        node = self._nodes.get(layer)
        if node is None:
            try:
                with warnings.catch_warnings():  # napari warns of the private path; it is checked here
                    warnings.simplefilter("ignore", FutureWarning)
                    node = self.viewer.window._qt_viewer.canvas.layer_to_visual[layer].node
            except (AttributeError, KeyError, TypeError):
                return False
            self._nodes[layer] = node
        visible = bool(shown and layer.visible)
        if node.visible != visible:
            node.visible = visible
        return not visible

    def clear_prompts(self) -> None:
        self.updating = True
        try:
            boxes, points, scribbles = self.layer(L.BOXES), self.layer(L.POINTS), self.layer(L.SCRIBBLES)
            if boxes is not None and len(boxes.data):
                boxes.data = []
            if points is not None and len(points.data):
                points.selected_data = set()
                points.data = np.zeros((0, 2))
            # (napari's stroke undo/redo changes the data without an event, but the widget
            # reads the prompts again after it, which sets _no_strokes)
            if scribbles is not None:
                if not self._no_strokes and scribbles.data.any():
                    scribbles.data = np.zeros(scribbles.data.shape, np.uint8)
                # napari keeps a layer's stroke undo/redo across a new `data`: without this,
                # Ctrl+Shift+Z after Accept and Ctrl+Z brought back a stroke of the object
                # just kept instead of the object (guarded: the reset is napari's own, private)
                reset = getattr(scribbles, "_reset_history", None)
                if callable(reset):
                    reset()
            self._no_strokes = True
        finally:
            self.updating = False
        self.steps.reset()
        self._show_strokes()

    def set_point_label(self, background: bool) -> None:
        """The label and colour of the next click (the points already there keep theirs)."""
        points = self.layer(L.POINTS)
        if points is not None:
            # napari applies 'current' values to the selected points too, and keeps a
            # selection of points that are gone (IndexError): the toggle is about the next click
            points.selected_data = set()
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
            region[preview.mask] = 1  # a light fill
            region[preview.edge] = 2  # under a clear contour
        self._preview_box = new
        skipped = self.draw_layer(layer, new is not None)
        if new is None:
            if old is not None and skipped:  # not drawn now: sent with the next preview
                self._stale_boxes.append(old)
            elif old is not None:  # cleared: one colour, known without reading the pixels
                cmap = layer.colormap
                self.painter.paint(layer, old, (cmap, cmap._data_to_texture(np.zeros((1, 1), data.dtype))[0, 0]))
            return
        stale, self._stale_boxes = self._stale_boxes, []
        for box in _merged(old, new) + stale:  # from the data as it is now (overlaps included)
            self.painter.paint(layer, box)

    def show_objects(self, objects) -> None:
        """Show an image's :class:`~interactive_seg.model.objects.ObjectSet` (the layer shares its labels)."""
        layer = self.layer(L.OBJECTS)
        if layer is None:
            return
        layer.data = objects.labels  # (napari converts the pixels for display: no refresh() after)
        layer.features = L.class_features(objects.classes)

    def update_objects(self, objects, change, colours=None) -> None:
        """Redraw what a :class:`~interactive_seg.model.objects.Change` changed (``colours``: the box's
        display values from :meth:`colours`, when computed beforehand)."""
        layer = self.layer(L.OBJECTS)
        if layer is None:
            return
        if layer.data is not objects.labels:
            self.show_objects(objects)
            return
        if change.bbox is not None:
            self.painter.paint(layer, change.bbox, colours)
        layer.features = L.class_features(objects.classes)

    def colour_objects(self, objects, class_names) -> None:
        """Colour the objects layer's objects by :attr:`colour_by` (``class_names``: the class
        list, whose order gives each class its colour). Only the layer's colour table
        changes, however large the image."""
        self._object_colours = L.object_colours(objects.classes, class_names, self.colour_by)
        layer = self.layer(L.OBJECTS)
        if layer is None:
            return
        ids = objects.ids
        slots = L.object_slots(max(ids) if len(ids) else 0)
        L.set_colour_table(
            layer, L.colour_table(self._object_colours, slots, base=getattr(layer.colormap, "colors", None))
        )

    def object_colour(self, object_id: int) -> str:
        """The hex colour object ``object_id`` is drawn in (as of the last :meth:`colour_objects`)."""
        return self._object_colours.get(int(object_id), L.OTHER_COLOUR)

    def colours(self, objects, box):
        """``(colormap, values)``: how the objects layer shows ``box`` of ``objects``'s labels,
        computed where it is called (a worker: the pixels' share of a redraw, off the GUI
        thread); None without a box or an objects layer."""
        layer = self.layer(L.OBJECTS)
        if layer is None or box is None:
            return None
        cmap = layer.colormap
        rows, cols = L.box_slices(box)
        return cmap, cmap._data_to_texture(objects.labels[rows, cols])

    @property
    def drawing(self) -> bool:
        """True while a changed region is still being sent to the screen."""
        return self.painter.busy


def _action(event) -> Optional[str]:
    action = getattr(event, "action", None)
    return None if action is None else str(getattr(action, "value", action))


def _final(event) -> bool:
    """A layer's data event that reports a finished edit (napari also reports 'adding',
    'changing', 'removing' before the edit is done)."""
    action = _action(event)
    return action is None or action in ("added", "changed", "removed")


def _merged(old: Optional[tuple], new: Optional[tuple]) -> list:
    """The boxes to redraw for a region moving from ``old`` to ``new``: one box around both
    when they overlap, else each (two far-apart small previews are not one huge box)."""
    boxes = [b for b in (old, new) if b is not None]
    if len(boxes) == 2:
        (a0, b0, a1, b1), (c0, d0, c1, d1) = boxes
        if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
            return [(min(a0, c0), min(b0, d0), max(a1, c1), max(b1, d1))]
    return boxes
