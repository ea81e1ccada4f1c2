"""The "Interactive segmentation" dock widget: layout and wiring, nothing more.

The work happens elsewhere: objects, classes, undo, saving and export in the Qt-free
:class:`~interactive_seg.model.annotations.Annotations` model; engine calls in
:mod:`.preview` (worker threads, stale results dropped); the layers in :mod:`.canvas`;
the engine menu in :mod:`.engine_panel`, the classes in :mod:`.class_list`, a folder's
images in :mod:`.image_list`, the export choices in :mod:`.export_dialog`. Every message
to the user leaves through this module (napari notifications and the status line).
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Optional

import numpy as np
from napari.layers import Image
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import InputError
from ..model.annotations import Annotations, SaveError
from ..provenance import image_record, make_record
from . import layers as L
from .canvas import Canvas
from .class_list import ClassList, swatch
from .engine_panel import EnginePanel
from .export_dialog import ExportDialog
from .image_choice import ImageChoice, image_of
from .image_list import ImageList
from .io import upright_layer
from .jobs import Jobs
from .keys import KeyRouter, guard_wheel
from .models_panel import ModelsPanel
from .preview import Preview, PreviewRunner
from .prompt_steps import STEP_NAMES

__all__ = ["SegmentationWidget", "ExportDialog", "KEYS"]

#: Keys of the widget, wherever focus is in the window (except while text is typed into a
#: text field: see :mod:`.keys`). napari's own layer shortcuts take A (select all
#: points/shapes) and Escape (finish a shape), so Accept and Clear use Shift+Enter and
#: Shift+Escape; they take F and B (fill, move to front/back; preserve labels), so the
#: foreground and background marks are Shift+F and Shift+B.
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
    "foreground": "Shift-F",
    "background": "Shift-B",
    # a reviewer's verdict on the object under the cursor (napari binds no Alt+letter; the
    # window's menus use Alt+F/V/L/P/W/H)
    "review_accepted": "Alt-A",
    "review_rejected": "Alt-R",
}

#: How the object list shows each review state.
REVIEW_MARKS = {"unreviewed": "", "accepted": "  \u2713 accepted", "rejected": "  \u2717 rejected"}
REVIEW_FILTERS = ("all", "unreviewed", "accepted", "rejected")


DRAW = "Draw a box, click points or brush scribbles."

#: A folder's image of more pixels than this is read in a worker: decoding a 24-megapixel
#: photograph takes about a second, and the window stays usable meanwhile. Smaller ones are
#: read at once, so Next shows them before it returns.
READ_IN_WORKER_PIXELS = 12_000_000


def _pixels(path) -> int:
    """Width x height from an image file's header (0 when it cannot be read: the read that
    follows says why)."""
    try:
        from PIL import Image as PILImage

        with PILImage.open(path) as image:
            width, height = image.size
        return int(width) * int(height)
    except Exception:  # noqa: BLE001 (any unreadable header: the full read reports it)
        return 0


def _describe(prompts) -> str:
    """The prompts in a few words: "A box and 2 clicks"."""
    parts = []
    if prompts.box is not None:
        parts.append("a box")
    count = 0 if prompts.points is None else len(prompts.points)
    if count:
        parts.append(f"{count} click{'' if count == 1 else 's'}")
    if prompts.scribbles is not None:
        parts.append("strokes")
    text = " and ".join(parts) if parts else "The prompts"
    return text[0].upper() + text[1:]


def _button_row(layout, *buttons) -> list:
    """Buttons side by side, each ``(text, slot)``, added to ``layout``; returns them."""
    row = QHBoxLayout()
    made = []
    for text, slot in buttons:
        button = QPushButton(text)
        button.clicked.connect(lambda checked=False, slot=slot: slot())  # not slot(checked)
        row.addWidget(button)
        made.append(button)
    layout.addLayout(row)
    return made


class SegmentationWidget(QWidget):
    """Dock widget: draw a box, click points or brush scribbles; accept objects with a class."""

    def __init__(self, napari_viewer):
        super().__init__()
        # napari hands a plugin's widget (Plugins menu, `napari -w`) a PublicOnlyProxy of the
        # viewer, which makes a new proxy at every access: `layers["scribbles"] is
        # layers["scribbles"]` is False there, so the widget could not tell its own layers
        # from the real ones napari passes to key bindings and events (Ctrl+Z on a stroke
        # undid an object), and weak references to them died at once. The widget works on
        # the viewer itself; its few uses of napari's private API are guarded where they are.
        self.viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        self.model = Annotations()
        self._image: Optional[np.ndarray] = None
        self._key = None  # the model's key of the current image
        self._editing: Optional[int] = None
        self._prior: Optional[np.ndarray] = None  # the edited object's mask, one array per edit
        self._preview: Optional[Preview] = None  # what Accept keeps
        self._image_records: dict = {}  # image key -> provenance.image_record of its pixels
        self._last_export: dict = {}  # the export dialog's last choices (without a folder session)
        self._switching = False  # a session is swapping its image layer
        self._undo_watched = weakref.WeakSet()  # scribbles layers whose undo/redo re-run the preview
        self._undone: list = []  # "prompt" or "object" per Ctrl+Z since the last new step (see undo)
        self._refusal: Optional[str] = None  # why the engine gave no preview for the prompts now
        self._brush_watched = weakref.WeakSet()  # scribbles layers whose label choice the Brush box follows
        self._fitted = False  # the first image was fitted to the canvas once it had its size
        self._opening = None  # the folder image being opened (a worker's result for another is dropped)
        self._read_worker = None
        self.canvas = Canvas(self.viewer, self._prompts_changed, self._points_made)
        self.runner = PreviewRunner(self._on_result, self._on_refused, self._on_failed, self._say, self._on_embedding)
        self.jobs = Jobs(lambda busy: self._update_buttons())  # object changes and exports, in a worker on large images
        self._export_progress = None
        self._build()
        self.viewer.layers.events.inserted.connect(self._layers_changed)
        self.viewer.layers.events.removed.connect(self._layers_changed)
        self._bind_keys()
        self.router = KeyRouter(self, KEYS, self._actions())
        guard_wheel(self)
        self.viewer.cursor.events.position.connect(self._hover)
        self._layers_changed()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        # The lists and settings scroll; the buttons of every minute (accept, clear, undo,
        # redo, export), the object under the cursor and the status line stay pinned below them, so a 720-pixel screen
        # shows them whatever the folder, the engine or the number of objects.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)
        self.scroll = scroll

        self.images = ImageList(self._session_image_chosen, self.model.count)
        layout.addWidget(self.images)
        self.image_list, self.previous_button, self.next_button = (
            self.images.list,
            self.images.previous_button,
            self.images.next_button,
        )

        form = QFormLayout()
        self.image_combo = ImageChoice(self.viewer, self.choose_image)
        form.addRow("Image", self.image_combo)
        layout.addLayout(form)
        self.engines = EnginePanel(self._engine_changed, self._warn)
        self.engine_combo, self.cancel_button = self.engines.combo, self.engines.cancel_button
        self.cancel_button.clicked.connect(self.cancel_embedding)
        layout.addWidget(self.engines)
        self.models_panel = ModelsPanel(self.engines)  # models not in the cache: Download (issue 31)
        layout.addWidget(self.models_panel)

        prompts = QGroupBox("Prompts")
        pform = QFormLayout(prompts)
        self.point_toggle = QPushButton()
        self.point_toggle.setCheckable(True)
        self.point_toggle.toggled.connect(self._point_label_changed)
        pform.addRow(f"Next click ({KEYS['toggle_point']})", self.point_toggle)
        self.brush_combo = QComboBox()
        self.brush_combo.addItems(["foreground (green)", "background (red)"])
        self.brush_combo.currentIndexChanged.connect(lambda index: self.canvas.set_brush(background=index == 1))
        pform.addRow("Brush (Shift+F / Shift+B)", self.brush_combo)
        self.fresh_marks = QCheckBox("Start each object with foreground marks")
        self.fresh_marks.setChecked(True)
        self.fresh_marks.setToolTip(
            "On: after Accept or Clear the brush and the next click are foreground again. "
            "Off: they stay what you chose last."
        )
        pform.addRow(self.fresh_marks)
        self.brush_spin = QSpinBox(minimum=1, maximum=200, value=10)
        self.brush_spin.valueChanged.connect(lambda size: self.canvas.set_brush(size=size))
        pform.addRow("Brush size", self.brush_spin)
        layout.addWidget(prompts)

        from .proposals import ProposePanel  # objects proposed by a model, accepted or rejected (issue 32)

        self.proposals = ProposePanel(self)
        layout.addWidget(self.proposals)
        self.classes = ClassList(self._rename_class, self._warn, changed=self._show_object_list)
        self.classes.set_model(self.model)
        self.class_list, self.add_class_button, self.remove_class_button = (
            self.classes.list,
            self.classes.add_button,
            self.classes.remove_button,
        )
        layout.addWidget(self.classes)

        objects = QGroupBox("Objects")
        ol = QVBoxLayout(objects)
        self.object_list = QListWidget()
        self.object_list.setMinimumHeight(70)
        self.object_list.setMaximumHeight(140)
        self.object_list.itemDoubleClicked.connect(lambda _: self.edit_selected())
        ol.addWidget(self.object_list)
        colour_row = QFormLayout()
        self.review_filter = QComboBox()
        self.review_filter.addItems(list(REVIEW_FILTERS))
        self.review_filter.setToolTip(
            "List only the objects of one review state (Alt+A / Alt+R mark the object under the cursor)."
        )
        self.review_filter.currentTextChanged.connect(lambda _: self._show_object_list())
        colour_row.addRow("Show", self.review_filter)
        self.colour_combo = QComboBox()
        self.colour_combo.addItems(list(L.COLOUR_BY))
        self.colour_combo.setToolTip(
            "class: each object in its class's colour (the swatches beside the classes, as in review sheets); "
            "object: a colour per object, to tell touching objects of one class apart"
        )
        self.colour_combo.currentTextChanged.connect(self._colour_by_changed)
        colour_row.addRow("Colour by", self.colour_combo)
        ol.addLayout(colour_row)
        self.edit_button, self.delete_button = _button_row(
            ol, ("Edit", self.edit_selected), ("Delete", self.delete_selected)
        )
        layout.addWidget(objects)
        keys = QLabel(
            "Keys: Alt+1 boxes, Alt+2 points, Alt+3 scribbles; T flips the next click; "
            "Shift+F / Shift+B foreground / background marks (brush and next click); "
            "Shift+Enter accept; Shift+Esc clear; Ctrl+Z / Ctrl+Shift+Z undo / redo (the object's "
            "prompts first, then objects); Shift+Right / Shift+Left next / previous image of a folder; "
            "Alt+A / Alt+R mark the object under the cursor accepted / rejected."
        )
        keys.setWordWrap(True)
        layout.addWidget(keys)
        layout.addStretch(1)

        # The footer grows upwards from the window's bottom edge: the messages sit above the
        # buttons, so a longer message never moves the buttons under the pointer.
        footer = QWidget()
        fl = QVBoxLayout(footer)
        fl.setContentsMargins(9, 3, 9, 9)
        # the object under the cursor, whatever layer is active: pinned too (the objects'
        # group may be scrolled away), one line high
        self.hover = QLabel()
        self.hover.setTextFormat(Qt.TextFormat.RichText)
        self.hover.setFixedHeight(self.hover.fontMetrics().height() + 2)
        fl.addWidget(self.hover)
        # a warning that still applies (a skipped file, a refused setting), whole, until it no
        # longer does; napari's toasts cut long lines and go after a few seconds
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #ffb000;")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(False)
        fl.addWidget(self.notice)
        self.status = QLabel("Open an image to start.")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 2)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        fl.addWidget(self.status)
        self.accept_button, self.clear_button = _button_row(
            fl, ("Accept (Shift+Enter)", self.accept), ("Clear (Shift+Esc)", self.clear)
        )
        self.undo_button, self.redo_button, self.export_button = _button_row(
            fl, ("Undo (Ctrl+Z)", self.undo), ("Redo (Ctrl+Shift+Z)", self.redo), ("Export...", self.open_export_dialog)
        )
        outer.addWidget(footer)
        self._point_label_changed(False)
        self._update_buttons()

    def _actions(self) -> dict:
        """What each of :data:`KEYS` does: one action per key, whatever route the key took."""
        return {
            "accept": self.accept,
            "clear": self.clear,
            "undo": self.undo,
            "redo": self.redo,
            "toggle_point": self.point_toggle.toggle,
            L.BOXES: lambda: self.canvas.select(L.BOXES),
            L.POINTS: lambda: self.canvas.select(L.POINTS),
            L.SCRIBBLES: lambda: self.canvas.select(L.SCRIBBLES),
            "next_image": lambda: self.step_image(1),
            "previous_image": lambda: self.step_image(-1),
            "foreground": lambda: self.set_marks(background=False),
            "background": lambda: self.set_marks(background=True),
            "review_accepted": lambda: self.mark("accepted"),
            "review_rejected": lambda: self.mark("rejected"),
        }

    def _bind_keys(self) -> None:
        """The keys on napari's canvas (elsewhere in the window :class:`.keys.KeyRouter` runs
        them). T is bound on the prompt layers only, where napari's own T would win."""
        for name, action in self._actions().items():
            if name != "toggle_point":
                self.viewer.bind_key(KEYS[name], lambda v, action=action: action(), overwrite=True)

    def set_marks(self, background: bool) -> None:
        """Foreground or background marks from now on: the brush and the next click."""
        self.brush_combo.setCurrentIndex(1 if background else 0)
        self.point_toggle.setChecked(background)
        self._say(f"Marks: {'background (red)' if background else 'foreground (green)'} brush and clicks.")

    def _points_made(self, points) -> None:
        self.canvas.set_point_label(self.point_toggle.isChecked())

    def _bind_layer_keys(self) -> None:
        """Keys on the widget's layers, where napari's own layer keys would win over the
        viewer's: T flips the next click from any prompt layer (on ``boxes`` napari's T is
        path mode), and Ctrl+Z / Ctrl+Shift+Z on the Labels layers (napari's stroke undo)
        undo the last stroke on ``scribbles`` while there is one, else the last object."""
        for name in (L.BOXES, L.POINTS, L.SCRIBBLES):
            layer = self.canvas.layer(name)
            if layer is not None:
                layer.bind_key(KEYS["toggle_point"], lambda layer: self.point_toggle.toggle(), overwrite=True)
        for name in (L.SCRIBBLES, L.PREVIEW, L.OBJECTS):  # napari's Labels hold Ctrl+Z for their strokes
            layer = self.canvas.layer(name)
            if layer is not None:
                layer.bind_key(KEYS["undo"], lambda layer: self.undo(), overwrite=True)
                layer.bind_key(KEYS["redo"], lambda layer: self.redo(), overwrite=True)
        scribbles = self.canvas.layer(L.SCRIBBLES)
        if scribbles is not None and scribbles not in self._brush_watched:
            # the Brush box shows the brush's kind whatever changed it (napari's own label box too)
            scribbles.events.selected_label.connect(self._brush_label_changed)
            self._brush_watched.add(scribbles)
        if scribbles is not None and scribbles not in self._undo_watched:
            # napari's stroke undo/redo (by any route: keys, menus, scripts) changes the data
            # without an event: run the preview again after it
            for method in ("undo", "redo"):
                original = getattr(scribbles, method)

                def replay(original=original):
                    original()
                    self._prompts_changed(new_step=False)

                setattr(scribbles, method, replay)
            self._undo_watched.add(scribbles)  # kept here: napari deprecates private attributes set on its layers

    def _brush_label_changed(self, event=None) -> None:
        scribbles = self.canvas.layer(L.SCRIBBLES)
        if scribbles is None or int(scribbles.selected_label) not in (1, 2):
            return
        index = int(scribbles.selected_label) - 1
        if self.brush_combo.currentIndex() != index:
            self.brush_combo.blockSignals(True)
            self.brush_combo.setCurrentIndex(index)
            self.brush_combo.blockSignals(False)

    # -- messages ------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _warn(self, text: str) -> None:
        """A warning: a napari notification, and whole in the panel until it no longer applies
        (:meth:`_settled`)."""
        show_warning(text)
        self.notice.setText(text)
        self.notice.setVisible(True)

    def _settled(self) -> None:
        """The warning shown no longer applies (another image, a preview, a kept object)."""
        if self.notice.isVisible():
            self.notice.clear()
            self.notice.setVisible(False)

    # -- folder sessions -----------------------------------------------------------------
    @property
    def session(self):
        return self.model.session

    def open_session(self, session) -> None:
        """Work through the images of a :class:`~interactive_seg.Session`, saving every change."""
        self.jobs.finish()
        self.model.use_session(session)
        self.classes.refresh(select=self.model.classes[0] if session.categories else None)  # the file's first class
        unreadable = list(session.unreadable)
        self.images.show_folder(self._folder_title(), session.images)
        self.images.choose_first()
        if unreadable:  # (after the first image: showing it settles older warnings)
            self._warn(f"Skipped {len(unreadable)} file(s) that are not readable images: {', '.join(unreadable[:5])}")
        if session.read_only:  # said last, so that it stays on the status line
            self._warn(session.read_only_reason)
            self._say(f"Read-only: {session.read_only_reason}")

    def _folder_title(self) -> str:
        count = len(self.session.images)
        title = f"Folder: {self.session.folder.name} ({count} image{'' if count == 1 else 's'})"
        return title + (" - READ-ONLY" if self.session.read_only else "")

    def _cannot_save(self) -> bool:
        """True (and says why) when the image shown belongs to a read-only folder session:
        a change there could not be saved, so none is made and the prompts stay."""
        if self.session is None or not self.session.read_only or self._key not in self.session.images:
            return False
        self._warn(f"Not saved: {self.session.read_only_reason}")
        self._say(f"Read-only: {self.session.read_only_reason}")
        return True

    def step_image(self, step: int) -> None:
        """Go to the next (+1) or previous (-1) image of the folder."""
        if self.session is not None:
            self.images.step(step)

    def _session_image_chosen(self, name: str) -> None:
        """Show image ``name`` of the folder; an unreadable one leaves the list, and the
        image on the canvas (and its objects) stays. A large image is read in a worker
        (:data:`READ_IN_WORKER_PIXELS`) while the window stays usable; "Opening ..." and a
        busy cursor say so until it is shown."""
        self._opening = token = object()  # a later choice makes this one stale
        if _pixels(self.session.image_path(name)) < READ_IN_WORKER_PIXELS:
            with self._loading(name):
                try:
                    image = self.session.read(name)
                except InputError as exc:
                    image, error = None, exc
                if image is not None:
                    self._show_session_image(name, image)
            if image is None:
                self._read_failed(name, error)
            return
        from napari.qt.threading import create_worker

        self._say(f"Opening {name}...")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        worker = create_worker(self.session.read, name, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda image: self._image_read(token, name, image, None))
        worker.errored.connect(lambda exc: self._image_read(token, name, None, exc))
        worker.finished.connect(QApplication.restoreOverrideCursor)
        self._read_worker = worker  # (held until the next one)
        worker.start()

    def _image_read(self, token, name: str, image, error) -> None:
        if token is not self._opening:
            return  # another image was chosen meanwhile
        if error is not None and not isinstance(error, InputError):
            show_error(f"Could not open {name}: {error}")
            return
        if error is not None:
            self._read_failed(name, error)
            return
        with self._loading(name):
            self._show_session_image(name, image)

    def _show_session_image(self, name: str, image) -> None:
        self._switching = True
        try:
            layer = self.image_combo.add_session_image(image, name)
        finally:
            self._switching = False
        self.image_combo.refresh()
        self.choose_image(layer)  # (highlights its row)
        self._fit()

    def _read_failed(self, name: str, error) -> None:
        self.images.refresh(self.session.images)
        self.images.setTitle(self._folder_title())
        self._warn(f"Skipped {name}: {error}")

    @contextmanager
    def _loading(self, name: str):
        """While an image is opened: a busy cursor, and the status line says which image
        (drawn at once; a 6000 x 4000 photograph takes seconds to decode and show)."""
        self._say(f"Opening {name}...")
        self.status.repaint()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            yield
        finally:
            QApplication.restoreOverrideCursor()

    def _fit(self) -> None:
        """Show the whole image: now, and again once the canvas has its final size (the
        dock takes its width after the first image is added; napari's Home fits then)."""
        self.viewer.reset_view()
        QTimer.singleShot(0, self.viewer.reset_view)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._fitted and self._image is not None:
            self._fitted = True
            QTimer.singleShot(0, self.viewer.reset_view)  # docked: the canvas got narrower

    # -- images --------------------------------------------------------------------------
    @property
    def _image_layer(self) -> Optional[Image]:
        return self.image_combo.current

    def _layers_changed(self, event=None) -> None:
        if self._switching:
            return
        if getattr(event, "type", "") == "removed" and isinstance(event.value, Image):
            self.jobs.finish()
            layer = event.value
            if not self.image_combo.is_session_layer(layer):
                self.model.close(self.image_combo.key_of(layer))  # only the layer held its objects
            if layer is self._image_layer:
                self._image = self._key = None
            self.image_combo.forget(layer)
        self.image_combo.refresh()
        if self._image_layer is None and self.image_combo.layers():
            self.choose_image(self.image_combo.layers()[0])
        if getattr(event, "type", "") == "inserted" and isinstance(event.value, Image):
            # napari makes a new layer the active one after this event: look again after it
            QTimer.singleShot(0, lambda layer=event.value: self._image_opened(layer))

    def _image_opened(self, layer: Image) -> None:
        """An image the user just opened is the one to segment, with ``boxes`` active."""
        if layer not in self.viewer.layers or self._switching:
            return
        upright_layer(layer)  # a phone photo napari's reader opened lying on its side
        if layer is not self._image_layer:
            self.choose_image(layer)
        elif isinstance(self.viewer.layers.selection.active, Image):
            self.canvas.select(L.BOXES)

    def choose_image(self, layer: Image) -> None:
        """Segment in ``layer`` from now on: its objects are shown, the prompts start afresh."""
        self.jobs.finish()
        try:
            image = image_of(layer)
            key = self.image_combo.key_of(layer)
            objects = self.model.open(key, image.shape[:2], file_name=self.image_combo.file_name(layer))
        except InputError as exc:
            self._warn(str(exc))
            return
        shape = image.shape[:2]
        self.image_combo.current, self._image, self._key = layer, image, key
        if self.session is not None:  # the list highlights the image on the canvas, or none
            self.images.set_shown(key if self.image_combo.is_session_layer(layer) else None)
        self.canvas.ensure(shape, self.brush_spin.value())
        self._bind_layer_keys()
        L.restack(self.viewer, layer)  # this image above the others, the prompts on top
        self.canvas.select(L.BOXES)
        self.clear(say=False)
        self.canvas.show_objects(objects)
        self._show_object_list()
        self.image_combo.refresh()
        self._settled()
        self._hover()
        self._say(f"{layer.name}: {shape[1]} x {shape[0]}. {DRAW}")
        self._embed()

    # -- engine --------------------------------------------------------------------------
    def engine(self):
        """The engine for the current settings, built once and reused while they stay."""
        if not self.engines.name():
            raise InputError("No segmentation engine is installed; run: pip install --force-reinstall interactive-seg")
        return self.runner.engine(self.engines.name(), self.engines.options())

    def _engine_or_say_why(self):
        try:
            return self.engine()
        except InputError as exc:
            self._warn(str(exc))
            return None

    def _engine_changed(self) -> None:
        guard_wheel(self.engines)  # the engine's options box, built on its first choice
        self._embed()
        self._prompts_changed(new_step=False)

    def _embed(self) -> None:
        if self._image is None:
            return
        engine = self._engine_or_say_why()
        if engine is not None and engine.embeds:
            self.runner.embed(engine, self._image, f"Embedding {self._image_layer.name}")

    def cancel_embedding(self) -> None:
        self.runner.cancel_embedding()

    def _on_embedding(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)

    @property
    def embedding(self) -> bool:
        """True while an image encoder runs (or waits to run) in the background."""
        return self.runner.embedding

    @property
    def busy(self) -> bool:
        """True while an engine call runs or waits to run."""
        return self.runner.busy

    @property
    def last_result(self):
        return self.runner.last_result

    # -- prompts and preview -------------------------------------------------------------
    def _prompts_changed(self, event=None, new_step: bool = True) -> None:
        """Read the prompts and ask for a preview. ``new_step``: the user added a step (a
        box, a click, a stroke), which drops the redo of what Ctrl+Z undid."""
        if self.canvas.updating or self._image is None:
            return
        action = getattr(event, "action", None)
        if action is not None and str(getattr(action, "value", action)) not in ("added", "changed", "removed"):
            return  # napari also reports 'adding' / 'changing' before the edit is done
        if new_step:  # a new step of the user's: a redo of what was undone is gone
            self._undone.clear()
        self._refusal = None
        self._update_buttons()
        try:
            prompts = self.canvas.prompts(prior=self._prior)
        except InputError as exc:
            self._warn(str(exc))
            return
        if prompts.is_empty:
            self.runner.invalidate()
            self._set_preview(None)
            self._say(f"No prompts. {DRAW}")
            return
        engine = self._engine_or_say_why()
        if engine is not None:
            self.runner.request(engine, self._image, prompts)
            if self.runner.embedding:
                self._say(f"{_describe(prompts)} waiting for the image embedding; the preview follows when it is done.")

    def _on_result(self, preview: Preview) -> None:
        self._set_preview(preview)
        self._settled()
        seconds = preview.result.info.get("seconds") if preview.result is not None else None
        timing = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
        if self._preview is None:  # an empty mask: Accept is off, so do not offer it
            self._say(f"Nothing found{timing}: add prompts (a click on the object, a stroke) or draw another box.")
            return
        self._say(f"Preview: {preview.pixels} pixels{timing}. Accept to keep it as '{self.current_class()}'.")

    def _on_refused(self, exc: InputError) -> None:
        """The engine cannot answer these prompts yet (marks of one kind, a box off the
        image): a hint on the status line, no notification, since it is often a normal
        step (the first stroke of a pair); Accept says it aloud."""
        self._set_preview(None)  # the old preview answered other prompts: Accept must not keep it
        self._refusal = str(exc)
        self._say(str(exc))

    def _on_failed(self, exc: Exception) -> None:
        self._set_preview(None)
        show_error(f"Segmentation failed: {exc}")

    def _set_preview(self, preview: Optional[Preview]) -> None:
        self._preview = preview if preview is not None and preview.mask is not None else None
        self.canvas.show_preview(self._preview)
        self._update_buttons()

    # -- objects -------------------------------------------------------------------------
    def current_class(self) -> str:
        return self.classes.current() or self.model.classes[0]

    def add_class(self, name: Optional[str] = None) -> Optional[str]:
        return self.classes.add(name)

    def remove_class(self) -> None:
        self.classes.remove_current()

    def _rename_class(self, old: str, new: str) -> None:
        self.jobs.finish()
        try:
            change = self.model.rename_class(old, new, image=self._key)
        except InputError as exc:
            self._warn(str(exc))
            return
        self._changed(change)

    def accept(self) -> Optional[int]:
        """Keep the preview as an object of the current class (or replace the one being edited).

        Returns the object's id; None when nothing was kept, or when the change runs in the
        background (a large image: :attr:`working` is True until it is drawn)."""
        if self._image is None:
            return None
        if self.busy:
            show_info("Still segmenting; accept again when the preview is up to date.")
            return None
        preview = self._preview
        if preview is None:
            self._warn(
                self._refusal or "There is nothing to accept: draw a box, click points or brush scribbles first."
            )
            return None
        if self._cannot_save():
            return None
        category = self.current_class()
        record = self._record(preview)
        if self._editing is not None:
            change = self._apply(
                self.model.replace,
                self._key,
                self._editing,
                preview.mask,
                category,
                offset=preview.offset,
                provenance=record,
            )
        else:
            change = self._apply(
                self.model.accept, self._key, preview.mask, category, offset=preview.offset, provenance=record
            )
        if change is None or (change is not Ellipsis and change.how == "not saved"):
            return None  # the prompts stay, to accept again once it can be saved
        if self._preview is preview:
            self.clear(say=False)
        self._settled()
        return change.object_id if change is not Ellipsis else None

    def _record(self, preview: Preview) -> Optional[dict]:
        """The provenance record of the object ``preview`` makes (None for a preview no
        engine made here: an object loaded for editing and accepted as it was)."""
        if preview.made_by is None or self._image is None:
            return None
        engine, prompts = preview.made_by
        image = self._image_records.get(self._key)
        if image is None:  # once per image: a hash of its pixels
            image = self._image_records[self._key] = image_record(self._image)
        previous = self.model.provenance(self._key, self._editing) if self._editing is not None else None
        return make_record(engine, prompts, image, previous=previous)

    def clear(self, say: bool = True) -> None:
        """Drop the prompts and the preview (and stop editing an object); the next click is
        foreground again. ``say``: put that on the status line (Accept keeps its own line)."""
        self.runner.invalidate()
        self.runner.reset_engine()  # done in the worker, before the engine's next call
        self.canvas.clear_prompts()  # (and the prompt steps, and the strokes' own undo history)
        self._undone.clear()
        self._refusal = None
        self._editing = self._prior = None
        self._set_preview(None)
        if self.fresh_marks.isChecked():
            self.point_toggle.setChecked(False)
            self.brush_combo.setCurrentIndex(0)
        if say:
            self._say(f"Cleared. {DRAW}")

    def selected_object(self) -> Optional[int]:
        item = self.object_list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def edit(self, object_id: int) -> None:
        """Load an object for editing: its mask is the prior, new prompts refine it, Accept replaces it."""
        self.jobs.finish()
        objects = self.model.objects(self._key)
        crop, offset = objects.crop(object_id)
        self.clear()
        self._editing = object_id
        self._prior = objects.mask(object_id)
        name = objects.classes[object_id]
        self.classes.select(name)
        self._set_preview(Preview(crop, offset, objects.shape))
        self._say(f"Editing object {object_id} ({name}): add prompts to refine it, Accept to replace it.")

    def edit_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.edit(object_id)

    def delete(self, object_id: int) -> None:
        if self._cannot_save():
            return
        self._apply(self.model.delete, self._key, object_id)  # an edited object that goes: _changed clears

    def delete_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.delete(object_id)

    def undo(self) -> None:
        """Ctrl+Z: the last prompt step of the object being made (a box, a click, a
        stroke); with none left, the last change to the objects (accept, delete, rename)."""
        if self._image is None:
            return
        undone = self.canvas.steps.undo()
        if undone is not None:
            self._undone.append("prompt")
            self._prompts_changed(new_step=False)
            self._say(f"Undone: {undone}.")
            self._update_buttons()
            return
        change = self._apply(self.model.undo, self._key, nothing="Nothing to undo.")
        if change is not None:
            self._undone.append("object")

    def redo(self) -> None:
        """Ctrl+Shift+Z: what the Ctrl+Z presses since the last new step undid, latest
        first. While an object is being made, only its prompt steps are redone (a new step
        drops their redo); objects are redone once no prompt is on the canvas."""
        if self._image is None:
            return
        last = self._undone[-1] if self._undone else None
        if last == "prompt" or (last is None and self.canvas.steps.can_redo):
            redone = self.canvas.steps.redo()
            if redone is not None:
                if self._undone:
                    self._undone.pop()
                self._prompts_changed(new_step=False)
                self._say(f"Redone: {redone}.")
                self._update_buttons()
                return
        if self._making():
            self._say("Nothing to redo for this object; Accept or Clear it to redo changes to objects.")
            return
        change = self._apply(self.model.redo, self._key, nothing="Nothing to redo.")
        if change is not None and last == "object":
            self._undone.pop()

    def _making(self) -> bool:
        """True while an object is being made: prompts on the canvas."""
        return self.canvas.steps.can_undo

    @property
    def working(self) -> bool:
        """True while an object change or an export runs in the background, or its region
        is still being drawn."""
        return self.jobs.busy or self.canvas.drawing

    def _apply(self, operation, *args, nothing: str = "", **kwargs):
        """Run a model operation; show what changed, or say why nothing did (``nothing``
        when the operation had nothing to do).

        On a large image it runs in a worker, after the ones asked for before it, and the
        changed region is coloured there too; ``...`` (Ellipsis) is returned then. Else it
        runs now and its Change is returned (None when nothing changed).
        """
        key = self._key
        try:
            objects = self.model.objects(key)
        except InputError as exc:
            self._warn(str(exc))
            return None
        outcome: list = []

        def work(report):
            try:
                change, error = operation(*args, **kwargs), None
            except SaveError as exc:
                change, error = exc.change, exc
            in_worker = threading.current_thread() is not threading.main_thread()
            colours = self.canvas.colours(objects, change.bbox) if in_worker and change is not None else None
            return change, error, colours

        def done(result):
            change, error, colours = result
            if error is not None:  # not saved: said whole, and it stays until it no longer applies
                self._warn(f"Not saved: {error}")
            outcome.append(change)
            if change is None:
                if nothing:
                    self._say(nothing)
            elif key == self._key:
                self._changed(change, colours)

        def failed(exc):
            outcome.append(None)
            if not isinstance(exc, InputError):
                raise exc
            self._warn(str(exc))

        ran = self.jobs.run(work, done, failed, pixels=objects.labels.size, name="change")
        if not ran:
            self._say("Working...")
            return ...
        return outcome[0]

    def _changed(self, change, colours=None) -> None:
        """Show a model change: the objects layer's changed region (``colours``: its display
        values, when computed in a worker), the lists, the status."""
        if self._key is None:
            return
        objects = self.model.objects(self._key)
        if self._editing is not None and self._editing not in objects:
            self.clear()
        self.canvas.update_objects(objects, change, colours)
        if change.classes_changed:
            self.classes.refresh()
        self._show_object_list()
        self._hover()
        if self.session is not None and isinstance(self._key, str):
            self.images.update_count(self._key)
        self._say(change.text)

    def _colour_by_changed(self, colour_by: str) -> None:
        self.canvas.colour_by = colour_by
        self._show_object_list()

    def _show_object_list(self) -> None:
        """List the image's objects, each with its colour on the canvas (coloured again here)."""
        if self._key is None or self._key not in self.model:
            return
        objects = self.model.objects(self._key)
        classes = self.model.classes
        missing = sorted(set(objects.classes.values()) - set(classes))
        for name in missing:
            self.model.add_class(name)
        if missing:
            self.classes.refresh()
        self.canvas.colour_objects(objects, self.model.class_colours)
        self.object_list.clear()
        shown = self.review_filter.currentText()
        for object_id in objects.ids:
            state = self.model.review_state(self._key, object_id)
            if shown != "all" and state != shown:
                continue
            text = f"{object_id}: {objects.classes[object_id]}{REVIEW_MARKS[state]}"
            item = QListWidgetItem(swatch(self.canvas.object_colour(object_id)), text)
            item.setData(Qt.ItemDataRole.UserRole, object_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, state)
            self.object_list.addItem(item)
        self._update_buttons()

    def _update_buttons(self) -> None:
        # (not `history and ...`: an empty undo stack makes a History falsy, redo or not)
        history = self.model.history(self._key) if self._key is not None else None
        steps = self.canvas.steps
        undo_text = redo_text = ""
        if steps.can_undo:
            undo_text = f"Undo {STEP_NAMES[steps.done[-1][0]]}"
        elif history is not None and history.can_undo:
            undo_text = f"Undo {history.undo_text}"
        last = self._undone[-1] if self._undone else None
        if steps.can_redo and (last == "prompt" or last is None):
            redo_text = f"Redo {STEP_NAMES[steps.undone[-1][0]]}"
        elif not self._making() and history is not None and history.can_redo:
            redo_text = f"Redo {history.redo_text}"
        self.undo_button.setEnabled(bool(undo_text))
        self.redo_button.setEnabled(bool(redo_text))
        self.undo_button.setToolTip(undo_text)
        self.redo_button.setToolTip(redo_text)
        exporting = self.jobs.running == "export" or self._export_progress is not None
        self.export_button.setEnabled(
            not exporting and self._key is not None and len(self.model.objects(self._key)) > 0
        )
        self.accept_button.setEnabled(self._preview is not None)

    # -- export --------------------------------------------------------------------------
    def export(self, folder, *, coco=None, polygons: bool = False, scope: str = "image", **options) -> list:
        """Write every object of the current image as a cutout (and into a COCO file); with
        ``scope="folder"`` (a folder session), every object of the folder and the session's
        COCO file, as :meth:`start_export` does but here and now (returns the paths written)."""
        if scope == "folder" and self.session is not None:
            from ..batch.export import export_folder

            self.jobs.finish()
            self.session.save()
            suffix = options.pop("suffix", ".png")
            cutout_options = {
                k: options[k]
                for k in ("background", "color", "blur_sigma", "crop", "padding", "feather")
                if k in options
            }
            report = export_folder(
                self.session.folder,
                folder,
                annotations=self.session.path,
                coco=coco,
                cutout_options=cutout_options,
                cutout_format=suffix.lstrip("."),
                workers=0,
                progress=False,
            )
            if report.failures:
                raise InputError(f"{report.failures[0].item}: {report.failures[0].reason}")
            return list(report.written)
        if self._key is None:
            raise InputError("Open an image first.")
        return self.model.export(
            self._key,
            self._image,
            folder,
            file_name=self.image_combo.file_name(self._image_layer),
            coco=coco,
            polygons=polygons,
            **options,
        )

    def _export_settings(self) -> dict:
        """The export choices made last: the folder session's (kept beside its COCO file, see
        :meth:`Session.settings <interactive_seg.Session.settings>`), else this window's."""
        if self.session is not None:
            return self.session.settings("export") or {}
        return dict(self._last_export)

    def _keep_export_settings(self, values: dict) -> None:
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
        self._last_export = values
        if self.session is not None:
            try:
                self.session.save_settings("export", values)
            except InputError as exc:  # the export itself can still run
                self._warn(str(exc))

    def open_export_dialog(self) -> None:
        """The export dialog, with the choices made last for this folder; OK starts the export."""
        dialog = self._export_dialog = ExportDialog(
            self, self._export_settings(), folder_scope=self.session is not None
        )
        if dialog.exec():
            try:
                values = dialog.values()
            except InputError as exc:
                self._warn(str(exc))
                return
            self._keep_export_settings(values)
            self.start_export(**values)

    def start_export(self, folder, *, coco=None, polygons: bool = False, scope: str = "image", **options) -> None:
        """:meth:`export` in the background (a worker, after the object changes asked for
        before it); the status line counts the files written, the window stays usable.

        ``scope="folder"`` (a folder session): every annotated image of the folder
        (:func:`~interactive_seg.batch.export_folder`, in this process), and the session's
        COCO file as it is, with its category and annotation ids, to ``coco`` (default
        ``annotations.coco.json`` in ``folder``).

        (No napari progress bar: its activity indicator animates, and on a software
        OpenGL every frame of it repaints the whole window.)"""
        if scope == "folder" and self.session is not None:
            self._export_folder(folder, coco=coco, **options)
            return
        if self._key is None:
            self._warn("Open an image first.")
            return
        key, image, file_name = self._key, self._image, self.image_combo.file_name(self._image_layer)
        total = len(self.model.objects(key)) + (1 if coco else 0)
        token = self._export_progress = object()
        self._update_buttons()
        self._say(f"Exporting {total} files...")

        def work(report):
            return self.model.export(
                key, image, folder, file_name=file_name, coco=coco, polygons=polygons, progress=report, **options
            )

        def step(done_count):
            if self._export_progress is token:  # (not a report that came after the end)
                self._say(f"Exporting: {done_count} of {total} files written.")

        def finished():
            self._export_progress = None
            self._update_buttons()

        def done(written):
            finished()
            self._say(f"Exported {len(written)} files to {folder}.")
            show_info(f"Wrote {len(written)} files to {folder}.")

        def failed(exc):
            finished()
            if not isinstance(exc, InputError):
                raise exc
            self._warn(str(exc))

        self.jobs.run(work, done, failed, pixels=image.shape[0] * image.shape[1], progress=step, name="export")

    def _export_folder(self, folder, *, coco=None, suffix: str = ".png", **options) -> None:
        from ..batch.export import export_folder

        self.jobs.finish()  # the changes asked for before: in the file first
        session = self.session
        try:
            session.save()  # the journal folded into the COCO file the export reads
        except InputError as exc:
            self._warn(str(exc))
            return
        token = self._export_progress = object()
        self._update_buttons()
        self._say("Exporting the folder...")
        cutout_options = {
            k: options[k] for k in ("background", "color", "blur_sigma", "crop", "padding", "feather") if k in options
        }

        def work(report):
            return export_folder(
                session.folder,
                folder,
                annotations=session.path,
                coco=coco,
                cutout_options=cutout_options,
                cutout_format=suffix.lstrip("."),
                workers=0,
                progress=False,
                on_progress=lambda done, total: report((done, total)),
            )

        def step(done_total):
            if self._export_progress is token:
                self._say(f"Exporting: {done_total[0]} of {done_total[1]} images done.")

        def finished():
            self._export_progress = None
            self._update_buttons()

        def done(result):
            finished()
            made = result.counts.get("cutouts", 0)
            if result.failures:
                self._warn(
                    f"Exported {made} cutouts to {folder}; {len(result.failures)} image(s) failed: {result.failures[0].item}: {result.failures[0].reason}"
                )
            else:
                self._say(f"Exported {made} cutouts of the folder to {folder}, and its COCO file.")
                show_info(f"Wrote {made} cutouts and {result.written[-1]}.")

        def failed(exc):
            finished()
            if not isinstance(exc, InputError):
                raise exc
            self._warn(str(exc))

        self.jobs.run(work, done, failed, pixels=2**62, progress=step, name="export")  # always in the worker

    # -- prompts panel -------------------------------------------------------------------
    def _point_label_changed(self, background: bool) -> None:
        self.point_toggle.setText("background (red)" if background else "foreground (green)")
        self.canvas.set_point_label(background)

    def _select_layer(self, name: str) -> None:
        self.canvas.select(name)

    def object_under_cursor(self) -> Optional[int]:
        """The id of the object under the mouse pointer on the canvas, or None."""
        layer = self.canvas.layer(L.OBJECTS)
        if layer is None or self._key is None or self._key not in self.model:
            return None
        row, col = (int(round(v)) for v in layer.world_to_data(self.viewer.cursor.position)[-2:])
        labels = layer.data
        if 0 <= row < labels.shape[0] and 0 <= col < labels.shape[1] and labels[row, col]:
            return int(labels[row, col])
        return None

    def mark(self, state: str, object_id: Optional[int] = None) -> None:
        """A reviewer's verdict (``accepted``, ``rejected``, ``unreviewed``) on the object under
        the cursor (or ``object_id``), saved at once in its provenance record."""
        if self._key is None:
            return
        self.jobs.finish()  # an accept still running in the background: its object first
        if object_id is None:
            object_id = self.object_under_cursor()
        if object_id is None or object_id not in self.model.objects(self._key):
            self._warn(f"Point at an object on the canvas to mark it {state}.")
            return
        if self._cannot_save():
            return
        try:
            change = self.model.set_review(self._key, object_id, state)
        except InputError as exc:
            self._warn(str(exc))
            return
        self._show_object_list()
        self._settled()
        self._say(change.text)

    def _hover(self, event=None) -> None:
        """Name the object under the cursor (its colour, id and class), whatever layer is active."""
        text = ""
        layer = self.canvas.layer(L.OBJECTS)
        if layer is not None and self._key is not None and self._key in self.model:
            row, col = (int(round(v)) for v in layer.world_to_data(self.viewer.cursor.position)[-2:])
            labels = layer.data
            if 0 <= row < labels.shape[0] and 0 <= col < labels.shape[1] and labels[row, col]:
                object_id = int(labels[row, col])
                name = self.model.objects(self._key).classes.get(object_id, "?")
                state = self.model.review_state(self._key, object_id)
                if state != "unreviewed":
                    name = f"{name}, {state}"
                text = f'Under the cursor: <span style="color:{self.canvas.object_colour(object_id)}">&#9632;</span> object {object_id} ({name})'
        if text != self.hover.text():
            self.hover.setText(text)
