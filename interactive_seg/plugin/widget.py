"""The "Interactive segmentation" dock widget: layer events in, Prompts to the engine, masks out.

It holds no segmentation logic: prompts come from :mod:`.layers`, masks from an engine of
:mod:`interactive_seg.engines`, objects and their history from :class:`~interactive_seg.objects.ObjectSet`.
Engine calls run in a worker thread; a newer prompt makes an older result stale, and a
stale result is dropped, never shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .. import available_engines, get_engine
from ..errors import InputError
from ..objects import ObjectSet
from ..prompts import BACKGROUND, FOREGROUND
from . import layers as L

#: Keys of the widget. napari's own layer shortcuts take A (select all points/shapes)
#: and Escape (finish a shape), so Accept and Clear use Shift+Enter and Shift+Escape.
KEYS = {
    "accept": "Shift-Enter",
    "clear": "Shift-Escape",
    "undo": "Control-Z",
    "redo": "Control-Shift-Z",
    "toggle_point": "T",
    "boxes": "Alt-1",
    "points": "Alt-2",
    "scribbles": "Alt-3",
    "next_image": "Shift-Right",
    "previous_image": "Shift-Left",
}


def _image_of(layer: Image) -> np.ndarray:
    data = layer.data[0] if layer.multiscale else layer.data
    data = np.asarray(data)
    if data.ndim > (3 if layer.rgb else 2):
        raise InputError(
            f"The layer {layer.name!r} is a stack of shape {data.shape}; segmentation works on one 2-D "
            "image: open a single slice."
        )
    return data


def _button_row(layout, *buttons) -> list:
    """Buttons side by side, each ``(text, slot)``, added to ``layout``; returns them."""
    row = QHBoxLayout()
    made = []
    for text, slot in buttons:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        made.append(button)
    layout.addLayout(row)
    return made


class _Refused:
    """An engine's InputError carried back from the worker (superqt re-raises returned exceptions)."""

    def __init__(self, error: InputError):
        self.error = error


class SegmentationWidget(QWidget):
    """Dock widget: draw a box, click points or brush scribbles; accept objects with a class."""

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self._image_layer: Optional[Image] = None
        self._image: Optional[np.ndarray] = None
        self._object_sets: dict = {}
        self._engine = None
        self._engine_key = None
        self._editing: Optional[int] = None
        self._generation = 0
        self._pending = None
        self._worker = None
        self._embed_worker = None
        self.session = None
        self._session_layer = None
        self._switching = False  # a session is swapping its image layer
        self._updating = False
        self.last_result = None
        self._build()
        self.viewer.layers.events.inserted.connect(self._refresh_images)
        self.viewer.layers.events.removed.connect(self._refresh_images)
        self._bind_keys()
        self._refresh_images()

    # -- construction --------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)

        self.session_box = QGroupBox("Folder")
        fl = QVBoxLayout(self.session_box)
        self.image_list = QListWidget()
        self.image_list.currentRowChanged.connect(self._session_row_changed)
        fl.addWidget(self.image_list)
        self.previous_button, self.next_button = _button_row(
            fl, ("Previous (Shift+Left)", lambda: self.step_image(-1)), ("Next (Shift+Right)", lambda: self.step_image(1))
        )
        self.session_box.setVisible(False)
        layout.addWidget(self.session_box)

        self.image_combo = QComboBox()
        self.image_combo.currentTextChanged.connect(self._image_chosen)
        form = QFormLayout()
        form.addRow("Image", self.image_combo)

        self.engine_combo = QComboBox()
        self.engine_combo.addItems(available_engines())
        self.engine_combo.currentTextChanged.connect(lambda _: self._engine_changed())
        form.addRow("Engine", self.engine_combo)
        layout.addLayout(form)

        self.grabcut_box = QGroupBox("GrabCut options")
        gform = QFormLayout(self.grabcut_box)
        self.margin_spin = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.1)
        self.iterations_spin = QSpinBox(minimum=1, maximum=20, value=5)
        self.size_spin = QSpinBox(minimum=64, maximum=4096, singleStep=32, value=256)
        for widget in (self.margin_spin, self.iterations_spin, self.size_spin):
            widget.valueChanged.connect(lambda _: self._engine_changed())
        gform.addRow("Margin", self.margin_spin)
        self.iterations_spin.setToolTip("Most GrabCut iterations for a new object; it stops early once the mask settles.")
        gform.addRow("Iterations", self.iterations_spin)
        gform.addRow("Working size (px)", self.size_spin)
        layout.addWidget(self.grabcut_box)

        self.sam_box = QGroupBox("SAM options")
        sform = QFormLayout(self.sam_box)
        self.model_combo = QComboBox()
        self.model_combo.addItems(["vit_t", "vit_b", "vit_l", "vit_h"])
        self.model_combo.setCurrentText("vit_b")
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cpu", "cuda", "mps"])
        self.checkpoint_edit = QLineEdit()
        self.checkpoint_edit.setPlaceholderText("downloaded model (interactive-seg models download)")
        self.model_combo.currentTextChanged.connect(lambda _: self._engine_changed())
        self.device_combo.currentTextChanged.connect(lambda _: self._engine_changed())
        self.checkpoint_edit.editingFinished.connect(self._engine_changed)
        sform.addRow("Model", self.model_combo)
        sform.addRow("Device", self.device_combo)
        sform.addRow("Checkpoint", self.checkpoint_edit)
        self.cancel_button = QPushButton("Cancel embedding")
        self.cancel_button.clicked.connect(self.cancel_embedding)
        self.cancel_button.setEnabled(False)
        sform.addRow(self.cancel_button)
        self.sam_box.setVisible(False)
        layout.addWidget(self.sam_box)

        prompts = QGroupBox("Prompts")
        pform = QFormLayout(prompts)
        self.point_toggle = QPushButton()
        self.point_toggle.setCheckable(True)
        self.point_toggle.toggled.connect(self._point_label_changed)
        pform.addRow(f"Next click ({KEYS['toggle_point']})", self.point_toggle)
        self.brush_combo = QComboBox()
        self.brush_combo.addItems(["foreground", "background"])
        self.brush_combo.currentIndexChanged.connect(self._brush_label_changed)
        pform.addRow("Brush", self.brush_combo)
        self.brush_spin = QSpinBox(minimum=1, maximum=200, value=10)
        self.brush_spin.valueChanged.connect(self._brush_size_changed)
        pform.addRow("Brush size", self.brush_spin)
        layout.addWidget(prompts)

        classes = QGroupBox("Classes (double-click to rename)")
        cl = QVBoxLayout(classes)
        self.class_list = QListWidget()
        self.class_list.itemChanged.connect(self._class_renamed)
        cl.addWidget(self.class_list)
        self.add_class_button, self.remove_class_button = _button_row(
            cl, ("Add class", lambda: self.add_class()), ("Remove class", self.remove_class)
        )
        layout.addWidget(classes)
        self._class_names: list = []
        self.add_class("object")

        self.accept_button, self.clear_button = _button_row(
            layout, ("Accept (Shift+Enter)", self.accept), ("Clear (Shift+Esc)", self.clear)
        )

        objects = QGroupBox("Objects")
        ol = QVBoxLayout(objects)
        self.object_list = QListWidget()
        self.object_list.itemDoubleClicked.connect(lambda _: self.edit_selected())
        ol.addWidget(self.object_list)
        self.edit_button, self.delete_button = _button_row(ol, ("Edit", self.edit_selected), ("Delete", self.delete_selected))
        self.undo_button, self.redo_button = _button_row(ol, ("Undo (Ctrl+Z)", self.undo), ("Redo (Ctrl+Shift+Z)", self.redo))
        self.export_button = QPushButton("Export...")
        self.export_button.clicked.connect(self.open_export_dialog)
        ol.addWidget(self.export_button)
        layout.addWidget(objects)

        self.status = QLabel("Open an image to start.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        keys = QLabel(
            "Keys: Alt+1 boxes, Alt+2 points, Alt+3 scribbles; T flips the next click; "
            "Shift+Enter accept; Shift+Esc clear; Ctrl+Z / Ctrl+Shift+Z undo / redo; "
            "Shift+Right / Shift+Left next / previous image of a folder."
        )
        keys.setWordWrap(True)
        layout.addWidget(keys)
        layout.addStretch(1)
        self._point_label_changed(False)
        self._update_buttons()

    def _bind_keys(self) -> None:
        bind = self.viewer.bind_key
        bind(KEYS["accept"], lambda v: self.accept(), overwrite=True)
        bind(KEYS["clear"], lambda v: self.clear(), overwrite=True)
        bind(KEYS["undo"], lambda v: self.undo(), overwrite=True)
        bind(KEYS["redo"], lambda v: self.redo(), overwrite=True)
        for name in (L.BOXES, L.POINTS, L.SCRIBBLES):
            bind(KEYS[name], lambda v, n=name: self._select_layer(n), overwrite=True)
        bind(KEYS["next_image"], lambda v: self.step_image(1), overwrite=True)
        bind(KEYS["previous_image"], lambda v: self.step_image(-1), overwrite=True)

    # -- folder sessions -----------------------------------------------------------------
    def open_session(self, session) -> None:
        """Work through the images of a :class:`~interactive_seg.Session`, saving every change."""
        self.session = session
        self.session_box.setVisible(True)
        self.session_box.setTitle(f"Folder: {session.folder.name} ({len(session.images)} images)")
        if session.unreadable:
            show_warning(f"Skipped {len(session.unreadable)} file(s) that are not readable images: {', '.join(session.unreadable[:5])}")
        for name in session.categories:
            if name not in self._class_names:
                self.add_class(name)
        self._refresh_image_list()
        if session.images:
            self.image_list.setCurrentRow(0)

    def _refresh_image_list(self) -> None:
        current = self.image_list.currentRow()
        self.image_list.blockSignals(True)
        self.image_list.clear()
        for name in self.session.images:
            self.image_list.addItem(f"{name}  ({self.session.count(name)})")
        if 0 <= current < self.image_list.count():
            self.image_list.setCurrentRow(current)
        self.image_list.blockSignals(False)

    def step_image(self, step: int) -> None:
        """Go to the next (+1) or previous (-1) image of the folder."""
        if self.session is None or not self.session.images:
            return
        row = min(max(self.image_list.currentRow() + step, 0), len(self.session.images) - 1)
        self.image_list.setCurrentRow(row)

    def _session_row_changed(self, row: int) -> None:
        if self.session is None or not 0 <= row < len(self.session.images):
            return
        name = self.session.images[row]
        try:
            image = self.session.read(name)
        except InputError as exc:
            show_warning(str(exc))
            self._refresh_image_list()
            return
        labels, classes = self.session.labels(name, image.shape)
        self._object_sets[name] = ObjectSet(image.shape[:2], labels, classes, new_id=self.session.new_id)
        old = self._session_layer
        self._switching = True
        try:
            self._session_layer = self.viewer.add_image(image, name=name, rgb=image.ndim == 3 and image.shape[2] in (3, 4))
            self.viewer.layers.move(self.viewer.layers.index(self._session_layer), 0)
            if old is not None and old in self.viewer.layers:
                self.viewer.layers.remove(old)
        finally:
            self._switching = False
        self._refresh_images()  # lists the new image; _image_chosen runs once, from here
        if self._image_layer is None or self._image_layer.name != name:
            self.image_combo.setCurrentText(name)
        self.viewer.reset_view()

    # -- layers --------------------------------------------------------------------------
    def _layer(self, name):
        return self.viewer.layers[name] if name in self.viewer.layers else None

    def _refresh_images(self, event=None) -> None:
        if self._switching:
            return
        names = [layer.name for layer in self.viewer.layers if isinstance(layer, Image)]
        current = self.image_combo.currentText()
        self.image_combo.blockSignals(True)
        self.image_combo.clear()
        self.image_combo.addItems(names)
        if current in names:
            self.image_combo.setCurrentText(current)
        self.image_combo.blockSignals(False)
        if names and (self._image_layer is None or self._image_layer.name not in names):
            self._image_chosen(self.image_combo.currentText())

    def _image_chosen(self, name: str) -> None:
        if not name or name not in self.viewer.layers:
            return
        layer = self.viewer.layers[name]
        try:
            image = _image_of(layer)
        except InputError as exc:
            show_warning(str(exc))
            return
        self._image_layer, self._image = layer, image
        shape = image.shape[:2]
        if name not in self._object_sets or self._object_sets[name].labels.shape != shape:
            self._object_sets[name] = ObjectSet(shape)
        self._editing = None
        self._ensure_layers(shape)
        self.clear()
        self._sync_objects()
        self.status.setText(f"{name}: {shape[1]} x {shape[0]}. Draw a box, click points or brush scribbles.")
        self._embed()

    def _labels_layer(self, name: str, shape, dtype, **options):
        """The Labels layer ``name`` at the image's size: kept when it fits, made anew when not.

        Returns the layer and whether it was made now (so events are connected once).
        """
        layer = self._layer(name)
        if layer is not None and layer.data.shape == tuple(shape):
            return layer, False
        if layer is not None:
            self.viewer.layers.remove(layer)
        return self.viewer.add_labels(np.zeros(shape, dtype), name=name, **options), True

    def _ensure_layers(self, shape) -> None:
        self._updating = True
        try:
            objects, made = self._labels_layer(L.OBJECTS, shape, np.int32, opacity=0.55, colormap=L.objects_colormap())
            objects.editable = False
            preview, made = self._labels_layer(L.PREVIEW, shape, np.uint8, opacity=0.5, colormap=L.preview_colormap())
            preview.editable = False
            scribbles, made = self._labels_layer(L.SCRIBBLES, shape, np.uint8, opacity=0.8, colormap=L.scribble_colormap())
            if made:
                scribbles.brush_size = self.brush_spin.value()
                scribbles.selected_label = FOREGROUND
                scribbles.events.paint.connect(self._prompts_changed)
                scribbles.events.data.connect(self._prompts_changed)
            if self._layer(L.POINTS) is None:
                points = self.viewer.add_points(
                    np.zeros((0, 2)), name=L.POINTS, size=max(6, max(shape) // 100), features={"label": np.zeros(0, int)},
                    face_color=L.FG_COLOUR, border_color="white",
                )
                points.feature_defaults = {"label": 1}
                points.events.data.connect(self._prompts_changed)
                points.bind_key(KEYS["toggle_point"], lambda layer: self.point_toggle.toggle(), overwrite=True)
                self._point_label_changed(self.point_toggle.isChecked())
            if self._layer(L.BOXES) is None:
                boxes = self.viewer.add_shapes(name=L.BOXES, edge_color="yellow", face_color="transparent", edge_width=max(2, max(shape) // 300))
                boxes.events.data.connect(self._prompts_changed)
            self._layer(L.BOXES).mode = "add_rectangle"
            self._select_layer(L.BOXES)
        finally:
            self._updating = False

    def _select_layer(self, name: str) -> None:
        layer = self._layer(name)
        if layer is None:
            return
        self.viewer.layers.selection.active = layer
        if name == L.SCRIBBLES:
            layer.mode = "paint"
        elif name == L.POINTS:
            layer.mode = "add"
        elif name == L.BOXES:
            layer.mode = "add_rectangle"

    def _point_label_changed(self, background: bool) -> None:
        label = 0 if background else 1
        self.point_toggle.setText("background (red)" if background else "foreground (green)")
        points = self._layer(L.POINTS)
        if points is not None:
            points.feature_defaults = {"label": label}
            points.current_face_color = L.BG_COLOUR if background else L.FG_COLOUR

    def _brush_label_changed(self, index: int) -> None:
        scribbles = self._layer(L.SCRIBBLES)
        if scribbles is not None:
            scribbles.selected_label = BACKGROUND if index == 1 else FOREGROUND

    def _brush_size_changed(self, size: int) -> None:
        scribbles = self._layer(L.SCRIBBLES)
        if scribbles is not None:
            scribbles.brush_size = size

    # -- engine --------------------------------------------------------------------------
    def _engine_options(self) -> dict:
        name = self.engine_combo.currentText() or "grabcut"
        if name == "grabcut":
            return {"margin": self.margin_spin.value(), "iterations": self.iterations_spin.value(), "max_side": self.size_spin.value()}
        if name == "sam":
            return {
                "model_type": self.model_combo.currentText(),
                "device": self.device_combo.currentText(),
                "checkpoint": self.checkpoint_edit.text().strip() or None,
            }
        return {}

    def _engine_changed(self) -> None:
        name = self.engine_combo.currentText()
        self.grabcut_box.setVisible(name == "grabcut")
        self.sam_box.setVisible(name == "sam")
        self._embed()
        self._prompts_changed()

    # -- embeddings (SAM) ------------------------------------------------------------------
    @property
    def embedding(self) -> bool:
        """True while an image encoder runs in the background."""
        return self._embed_worker is not None

    def _embed(self) -> None:
        """Run the engine's image encoder in a worker with a progress bar, when it has one."""
        if self._image is None:
            return
        engine = self._engine_or_say_why()
        if engine is None or not hasattr(engine, "embed_steps"):
            return
        self.cancel_embedding()
        from napari.utils import progress

        image = self._image
        bar = progress(total=100, desc=f"Embedding {self._image_layer.name}")

        def job():
            yield from engine.embed_steps(image)

        worker = create_worker(job, _start_thread=False)
        worker.yielded.connect(lambda fraction: bar.update(int(fraction * 100) - bar.n))
        worker.finished.connect(lambda w=worker: self._embedded(w, bar))
        self._embed_worker = worker
        self.cancel_button.setEnabled(True)
        self.status.setText("Computing the image embedding; prompts given now are applied when it is done.")
        worker.start()

    def cancel_embedding(self) -> None:
        """Stop the image encoder at its next block; the engine keeps its previous image."""
        if self._embed_worker is not None:
            self._embed_worker.quit()

    def _embedded(self, worker, bar) -> None:
        bar.close()
        if worker is not self._embed_worker:
            return
        self._embed_worker = None
        self.cancel_button.setEnabled(False)
        if worker.abort_requested:
            self._pending = None
            self.status.setText("Embedding cancelled.")
            return
        self.status.setText("Embedding ready.")
        if self._pending is not None and self._worker is None:
            self._start_worker()

    def engine(self):
        """The engine for the current settings, built once and reused while they stay."""
        name = self.engine_combo.currentText() or "grabcut"
        options = self._engine_options()
        key = (name, tuple(sorted(options.items())))
        if key != self._engine_key:
            self._engine = get_engine(name, **options)
            self._engine_key = key
        return self._engine

    def _engine_or_say_why(self):
        """The engine, or None after a notification saying why it cannot be built."""
        try:
            return self.engine()
        except InputError as exc:
            show_warning(str(exc))
            return None

    # -- live preview --------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while an engine call runs or waits to run."""
        return self._worker is not None or self._pending is not None or self._embed_worker is not None

    def _prompts_changed(self, event=None) -> None:
        if self._updating or self._image is None:
            return
        action = getattr(event, "action", None)
        if action is not None and str(getattr(action, "value", action)) not in ("added", "changed", "removed"):
            return  # napari also reports 'adding' / 'changing' before the edit is done
        self._generation += 1
        try:
            prompts = L.prompts_from_layers(
                self._layer(L.BOXES), self._layer(L.POINTS), self._layer(L.SCRIBBLES), prior=self._prior()
            )
        except InputError as exc:
            show_warning(str(exc))
            return
        if prompts.is_empty:
            self._pending = None
            self._show_preview(None)
            return
        engine = self._engine_or_say_why()
        if engine is None:
            return
        self._pending = (self._generation, engine, self._image, prompts)
        if self._worker is None and self._embed_worker is None:
            self._start_worker()

    def _prior(self):
        if self._editing is None:
            return None
        return self._objects().mask(self._editing)

    def _start_worker(self) -> None:
        generation, engine, image, prompts = self._pending
        self._pending = None

        def job():
            try:
                engine.set_image(image)
                return engine.segment(prompts)
            except InputError as exc:  # the user's mistake, not a crash: say it, change nothing
                return _Refused(exc)

        worker = create_worker(job, _start_thread=False)
        worker.returned.connect(lambda result, g=generation: self._on_result(g, result))
        worker.errored.connect(lambda exc, g=generation: self._on_error(g, exc))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self.status.setText("Segmenting...")
        worker.start()

    def _on_result(self, generation: int, result) -> None:
        if generation != self._generation:
            return  # stale: a newer prompt is on its way
        if isinstance(result, _Refused):
            self._on_error(generation, result.error)
            return
        self.last_result = result
        self._show_preview(result.mask)
        seconds = result.info.get("seconds")
        timing = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
        self.status.setText(f"Preview: {int(result.mask.sum())} pixels{timing}. Accept to keep it as '{self.current_class()}'.")

    def _on_error(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, InputError):
            show_warning(str(exc))
            self.status.setText(str(exc))
        else:
            show_error(f"Segmentation failed: {exc}")

    def _on_finished(self) -> None:
        self._worker = None
        if self._pending is not None and self._embed_worker is None:
            self._start_worker()

    def _show_preview(self, mask) -> None:
        preview = self._layer(L.PREVIEW)
        if preview is None:
            return
        if mask is None:
            self.last_result = None
            preview.data = np.zeros(preview.data.shape, np.uint8)
        else:
            preview.data = mask.astype(np.uint8)
        self._update_buttons()

    # -- objects -------------------------------------------------------------------------
    def _objects(self) -> ObjectSet:
        return self._object_sets[self._image_layer.name]

    def current_class(self) -> str:
        item = self.class_list.currentItem()
        return item.text() if item is not None else "object"

    def add_class(self, name: Optional[str] = None) -> str:
        if name is None:
            n = len(self._class_names) + 1
            while f"class {n}" in self._class_names:
                n += 1
            name = f"class {n}"
        if name in self._class_names:
            show_warning(f"There is already a class {name!r}.")
            return name
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.class_list.blockSignals(True)
        self.class_list.addItem(item)
        self.class_list.blockSignals(False)
        self._class_names.append(name)
        self.class_list.setCurrentItem(item)
        return name

    def remove_class(self) -> None:
        row = self.class_list.currentRow()
        if row < 0:
            return
        name = self._class_names[row]
        used = [n for n, s in self._object_sets.items() if name in s.classes.values()]
        if used:
            show_warning(f"Objects still have the class {name!r}; give them another class or delete them first.")
            return
        if len(self._class_names) == 1:
            show_warning("Keep at least one class.")
            return
        self.class_list.takeItem(row)
        del self._class_names[row]

    def _class_renamed(self, item: QListWidgetItem) -> None:
        row = self.class_list.row(item)
        old, new = self._class_names[row], item.text().strip()
        if not new or new in self._class_names[:row] + self._class_names[row + 1 :]:
            show_warning(f"Class names must be unique and not empty; {new!r} is not.")
            self.class_list.blockSignals(True)
            item.setText(old)
            self.class_list.blockSignals(False)
            return
        self._class_names[row] = new
        if self.session is not None and old in self.session.categories:
            self.session.rename_class(old, new)  # every image of the folder, loaded or not
        for objects in self._object_sets.values():
            for object_id, name in list(objects.classes.items()):
                if name == old:
                    objects.replace(object_id, category=new)
        self._sync_objects()

    def accept(self) -> Optional[int]:
        """Keep the preview as an object of the current class (or replace the one being edited)."""
        if self._image is None:
            return None
        preview = self._layer(L.PREVIEW)
        mask = preview.data.astype(bool) if preview is not None else None
        if self.busy:
            show_info("Still segmenting; accept again when the preview is up to date.")
            return None
        if mask is None or not mask.any():
            show_warning("There is nothing to accept: draw a box, click points or brush scribbles first.")
            return None
        objects = self._objects()
        try:
            if self._editing is not None:
                object_id = self._editing
                objects.replace(object_id, mask=mask, category=self.current_class())
            else:
                object_id = objects.add(mask, self.current_class())
        except InputError as exc:
            show_warning(str(exc))
            return None
        self._editing = None
        self.clear()
        self._committed()
        self.status.setText(f"Object {object_id} kept as '{objects.classes.get(object_id)}'.")
        return object_id

    def clear(self) -> None:
        """Drop the prompts and the preview (and stop editing an object)."""
        self._generation += 1
        self._pending = None
        self._updating = True
        try:
            boxes, points, scribbles = self._layer(L.BOXES), self._layer(L.POINTS), self._layer(L.SCRIBBLES)
            if boxes is not None and len(boxes.data):
                boxes.data = []
            if points is not None and len(points.data):
                points.data = np.zeros((0, 2))
            if scribbles is not None and scribbles.data.any():
                scribbles.data = np.zeros(scribbles.data.shape, np.uint8)
        finally:
            self._updating = False
        if self._engine is not None and hasattr(self._engine, "reset"):
            self._engine.reset()
        self._editing = None
        self._show_preview(None)

    def selected_object(self) -> Optional[int]:
        item = self.object_list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def edit(self, object_id: int) -> None:
        """Load an object for editing: its mask is the prior, new prompts refine it, Accept replaces it."""
        objects = self._objects()
        mask = objects.mask(object_id)
        self.clear()
        self._editing = object_id
        name = objects.classes[object_id]
        if name in self._class_names:
            self.class_list.setCurrentRow(self._class_names.index(name))
        self._show_preview(mask)
        self.status.setText(f"Editing object {object_id} ({name}): add prompts to refine it, Accept to replace it.")

    def edit_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.edit(object_id)

    def delete(self, object_id: int) -> None:
        self._objects().remove(object_id)
        if self._editing == object_id:
            self.clear()
        self._committed()

    def delete_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.delete(object_id)

    def undo(self) -> None:
        if self._image_layer is not None and self._objects().undo():
            self._committed()

    def redo(self) -> None:
        if self._image_layer is not None and self._objects().redo():
            self._committed()

    def _committed(self) -> None:
        """After accept, replace, delete, undo or redo: show it, and save it in a session."""
        if self.session is not None and self._image_layer is not None and self._image_layer.name in self.session.images:
            objects = self._objects()
            try:
                self.session.sync(self._image_layer.name, objects.labels, objects.classes, changed=objects.last_changed)
            except InputError as exc:
                show_error(f"Could not save the annotations: {exc}")
            self._refresh_image_list()
        self._sync_objects()

    def _sync_objects(self) -> None:
        layer = self._layer(L.OBJECTS)
        if layer is None or self._image_layer is None:
            return
        objects = self._objects()
        layer.data = objects.labels
        layer.features = L.class_features(objects.classes)
        layer.refresh()
        for name in objects.classes.values():
            if name not in self._class_names:
                self.add_class(name)
        self.object_list.clear()
        for object_id in objects.ids:
            item = QListWidgetItem(f"{object_id}: {objects.classes[object_id]}")
            item.setData(Qt.ItemDataRole.UserRole, object_id)
            self.object_list.addItem(item)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_image = self._image_layer is not None
        objects = self._objects() if has_image else None
        self.undo_button.setEnabled(bool(objects and objects.can_undo))
        self.redo_button.setEnabled(bool(objects and objects.can_redo))
        self.export_button.setEnabled(bool(objects and len(objects)))

    # -- export --------------------------------------------------------------------------
    def export(self, folder, *, coco=None, polygons: bool = False, **options) -> list:
        """Write every object of the current image as a cutout (and into a COCO file)."""
        from ..export.batch import add_to_coco, export_objects
        from ..export.coco import CocoObject

        objects = self._objects()
        if not len(objects):
            raise InputError("There are no objects to export yet: accept one first.")
        from ..export.cutouts import check_format
        from ..files import ensure_folder

        check_format(options.get("background", "black"), options.get("suffix", ".png"))
        folder = ensure_folder(folder)
        items = [CocoObject(objects.mask(i), objects.classes[i], None) for i in objects.ids]
        name = self._image_layer.name
        source = getattr(self._image_layer, "source", None)
        if self.session is not None and name in self.session.images:
            file_name = name  # folder sessions name their layers after the files
        elif source is not None and source.path:
            file_name = Path(source.path).name
        else:
            file_name = f"{name}.png"
        written = export_objects(self._image, items, folder, Path(file_name).stem, **options)
        if coco:
            written.append(add_to_coco(coco, file_name, self._image.shape[1], self._image.shape[0], items, self._class_names, polygons=polygons))
        return written

    def open_export_dialog(self) -> None:
        dialog = ExportDialog(self)
        if dialog.exec():
            try:
                values = dialog.values()
                written = self.export(**values)
            except InputError as exc:
                show_warning(str(exc))
                return
            show_info(f"Wrote {len(written)} files to {values['folder']}.")


class ExportDialog(QDialog):
    """The export choices: style, crop and padding, feather, file type, and a COCO file."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export objects")
        form = QFormLayout(self)
        self.folder = QLineEdit(str(Path.cwd() / "cutouts"))
        browse = QPushButton("Choose...")
        browse.clicked.connect(lambda: self.folder.setText(QFileDialog.getExistingDirectory(self, "Output folder") or self.folder.text()))
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        form.addRow("Folder", row)
        self.style = QComboBox()
        self.style.addItems(["transparent", "black", "color", "blur"])
        form.addRow("Background", self.style)
        self.color = QLineEdit("0,0,0")
        form.addRow("Colour (R,G,B)", self.color)
        self.blur = QDoubleSpinBox(minimum=0.5, maximum=200.0, value=15.0)
        form.addRow("Blur sigma (px)", self.blur)
        self.crop = QCheckBox("Crop to the object")
        self.crop.setChecked(True)
        form.addRow(self.crop)
        self.padding = QSpinBox(minimum=0, maximum=10000, value=0)
        form.addRow("Padding (px)", self.padding)
        self.feather = QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.0)
        form.addRow("Feather (px)", self.feather)
        self.format = QComboBox()
        self.format.addItems([".png", ".tif", ".jpg"])
        form.addRow("File type", self.format)
        self.coco = QLineEdit("")
        self.coco.setPlaceholderText("optional: path of a COCO .json to add these objects to")
        form.addRow("COCO file", self.coco)
        self.polygons = QCheckBox("COCO polygons (RLE where polygons would lie)")
        form.addRow(self.polygons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        try:
            color = tuple(float(v) for v in self.color.text().split(","))
        except ValueError:
            raise InputError(f"The colour {self.color.text()!r} must be three numbers R,G,B, like 255,255,255.") from None
        return {
            "folder": self.folder.text(),
            "background": self.style.currentText(),
            "color": color,
            "blur_sigma": self.blur.value(),
            "crop": self.crop.isChecked(),
            "padding": self.padding.value(),
            "feather": self.feather.value(),
            "suffix": self.format.currentText(),
            "coco": self.coco.text().strip() or None,
            "polygons": self.polygons.isChecked(),
        }
