"""The Prompts panel: the kind of the next click and of the brush (foreground or
background), the brush size, and the keys bound on the prompt layers themselves, where
napari's own layer keys would win over the viewer's."""

from __future__ import annotations

import weakref

from qtpy.QtWidgets import QCheckBox, QComboBox, QGroupBox, QPushButton, QSpinBox

from . import layers as L
from .object_panel import narrow_form

MIN_DEFAULT_BRUSH = 10  # image pixels: the brush of a small photograph until one is chosen
MAX_BRUSH = 2000

__all__ = ["PromptsPanel"]


class PromptsPanel(QGroupBox):
    """``widget`` is the dock widget (its canvas, undo, redo and preview); ``keys`` its KEYS."""

    def __init__(self, widget, keys: dict):
        super().__init__("Prompts")
        self.widget, self.keys = widget, keys
        self._undo_watched = weakref.WeakSet()  # scribbles layers whose undo/redo re-run the preview
        self._brush_watched = weakref.WeakSet()  # scribbles layers whose label choice the Brush box follows
        form = narrow_form(self)
        self.point_toggle = QPushButton()
        self.point_toggle.setCheckable(True)
        self.point_toggle.toggled.connect(self._point_label_changed)
        form.addRow(f"Next click ({keys['toggle_point']})", self.point_toggle)
        self.brush_combo = QComboBox()
        self.brush_combo.addItems(["foreground (green)", "background (red)"])
        self.brush_combo.currentIndexChanged.connect(lambda index: widget.canvas.set_brush(background=index == 1))
        form.addRow("Brush (Shift+F / Shift+B)", self.brush_combo)
        self.fresh_marks = QCheckBox("Start each object with foreground marks")
        self.fresh_marks.setChecked(True)
        self.fresh_marks.setToolTip(
            "On: after Accept or Clear the brush and the next click are foreground again. "
            "Off: they stay what you chose last."
        )
        form.addRow(self.fresh_marks)
        self.brush_spin = QSpinBox(minimum=1, maximum=MAX_BRUSH, value=MIN_DEFAULT_BRUSH)
        self.brush_spin.setToolTip(
            "In image pixels; until you choose a size, each image starts with one about 1 % of its longer side"
        )
        self._brush_chosen = False  # the annotator's size: kept from image to image
        self.brush_spin.valueChanged.connect(lambda size: widget.canvas.set_brush(size=size))
        self.brush_spin.valueChanged.connect(lambda size: setattr(self, "_brush_chosen", True))
        form.addRow("Brush size", self.brush_spin)
        self._point_label_changed(False)

    def brush_for(self, shape) -> int:
        """The brush size for an image of ``shape``: the annotator's once chosen; until then
        about 1 % of the longer side, at least :data:`MIN_DEFAULT_BRUSH` (10 image pixels on a
        6000 x 4000 photograph were one screen pixel at the fitted zoom: strokes hair-thin)."""
        if not self._brush_chosen:
            self.brush_spin.blockSignals(True)
            self.brush_spin.setValue(max(MIN_DEFAULT_BRUSH, round(max(shape[:2]) / 100)))
            self.brush_spin.blockSignals(False)
        return self.brush_spin.value()

    def _point_label_changed(self, background: bool) -> None:
        self.point_toggle.setText("background (red)" if background else "foreground (green)")
        self.widget.canvas.set_point_label(background)

    def set_marks(self, background: bool) -> None:
        """Foreground or background marks from now on: the brush and the next click."""
        self.brush_combo.setCurrentIndex(1 if background else 0)
        self.point_toggle.setChecked(background)

    def fresh(self) -> None:
        """A new object: foreground marks again, when the annotator asked for that."""
        if self.fresh_marks.isChecked():
            self.set_marks(background=False)

    def points_made(self, points=None) -> None:
        self.widget.canvas.set_point_label(self.point_toggle.isChecked())

    def bind_layer_keys(self) -> None:
        """Keys on the widget's layers, where napari's own layer keys would win over the
        viewer's: T flips the next click from any prompt layer (on ``boxes`` napari's T is
        path mode), and Ctrl+Z / Ctrl+Shift+Z on the Labels layers (napari's stroke undo)
        undo the last stroke on ``scribbles`` while there is one, else the last object."""
        widget, keys = self.widget, self.keys
        for name in (L.BOXES, L.POINTS, L.SCRIBBLES):
            layer = widget.canvas.layer(name)
            if layer is not None:
                layer.bind_key(keys["toggle_point"], lambda layer: self.point_toggle.toggle(), overwrite=True)
        for name in (L.SCRIBBLES, L.PREVIEW, L.OBJECTS):  # napari's Labels hold Ctrl+Z for their strokes
            layer = widget.canvas.layer(name)
            if layer is not None:
                layer.bind_key(keys["undo"], lambda layer: widget.undo(), overwrite=True)
                layer.bind_key(keys["redo"], lambda layer: widget.redo(), overwrite=True)
        scribbles = widget.canvas.layer(L.SCRIBBLES)
        if scribbles is not None and scribbles not in self._brush_watched:
            # the Brush box shows the brush's kind whatever changed it (napari's own label box too)
            scribbles.events.selected_label.connect(self._brush_label_changed)
            scribbles.events.brush_size.connect(self._brush_size_changed)  # (and its size: napari's slider)
            self._brush_watched.add(scribbles)
        if scribbles is not None and scribbles not in self._undo_watched:
            # napari's stroke undo/redo (by any route: keys, menus, scripts) changes the data
            # without an event: run the preview again after it
            for method in ("undo", "redo"):
                original = getattr(scribbles, method)

                def replay(original=original):
                    original()
                    widget._prompts_changed(new_step=False)

                setattr(scribbles, method, replay)
            self._undo_watched.add(scribbles)  # kept here: napari deprecates private attributes set on its layers

    def _brush_size_changed(self, event=None) -> None:
        """napari's brush size slider: the annotator's choice, shown in the Brush size box and
        kept from image to image (the widget's own setting of the layer changes nothing)."""
        scribbles = self.widget.canvas.layer(L.SCRIBBLES)
        if scribbles is None or int(round(scribbles.brush_size)) == self.brush_spin.value():
            return
        self._brush_chosen = True
        self.brush_spin.blockSignals(True)
        self.brush_spin.setValue(int(round(scribbles.brush_size)))
        self.brush_spin.blockSignals(False)

    def _brush_label_changed(self, event=None) -> None:
        scribbles = self.widget.canvas.layer(L.SCRIBBLES)
        if scribbles is None or int(scribbles.selected_label) == 0:  # napari's eraser label: strokes wiped
            return
        if int(scribbles.selected_label) not in (1, 2):
            # napari's label box (or its +/- keys) went past the two kinds of mark: a stroke
            # in label 3 would be refused, so the brush stays what the Brush box says
            scribbles.selected_label = self.brush_combo.currentIndex() + 1
            self.widget._warn("The brush paints foreground (1) or background (2); it stays on the Brush box's kind.")
            return
        index = int(scribbles.selected_label) - 1
        if self.brush_combo.currentIndex() != index:
            self.brush_combo.blockSignals(True)
            self.brush_combo.setCurrentIndex(index)
            self.brush_combo.blockSignals(False)
