"""The Objects panel: the image's objects with their colours and review states, the review
filter and the colouring, Edit and Delete, a reviewer's verdict on the object under the
cursor (Alt+A / Alt+R), and the line that names the object under the cursor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from qtpy.QtCore import QEvent, Qt
from qtpy.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..errors import InputError
from . import layers as L
from .class_list import swatch

__all__ = ["ObjectPanel", "REVIEW_FILTERS", "REVIEW_MARKS", "button_row"]

#: How the object list shows each review state.
REVIEW_MARKS = {"unreviewed": "", "accepted": "  \u2713 accepted", "rejected": "  \u2717 rejected"}
REVIEW_FILTERS = ("all", "unreviewed", "accepted", "rejected")


def button_row(layout, *buttons: tuple[str, Callable]) -> list:
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


def scrolled(widget) -> tuple:
    """``widget``'s layout (``outer``), the layout of a panel that scrolls vertically in it
    (``layout``), and the scroll area: what goes in ``outer`` after it stays pinned below."""
    outer = QVBoxLayout(widget)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    inner = QWidget()
    layout = QVBoxLayout(inner)
    scroll.setWidget(inner)
    outer.addWidget(scroll, 1)
    return outer, layout, scroll


def narrow_form(parent=None) -> QFormLayout:
    """A form whose row too wide for the dock puts its field below its label: the panels
    fit a narrow dock (344 px) instead of being cut at its right edge."""
    form = QFormLayout() if parent is None else QFormLayout(parent)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


class ObjectPanel(QGroupBox):
    """The objects of the widget's current image; ``widget`` is the dock widget (its model,
    canvas, classes and messages)."""

    def __init__(self, widget):
        super().__init__("Objects")
        self.widget = widget
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setMinimumHeight(70)
        self.list.setMaximumHeight(140)
        self.list.itemDoubleClicked.connect(lambda _: widget.edit_selected())
        self.list.setToolTip("Enter or a double-click edits the object chosen; Delete deletes it (Ctrl+Z undoes).")
        self.list.installEventFilter(self)  # Delete and Enter, as the buttons below
        layout.addWidget(self.list)
        form = narrow_form()
        self.review_filter = QComboBox()
        self.review_filter.addItems(list(REVIEW_FILTERS))
        self.review_filter.setToolTip(
            "List only the objects of one review state (Alt+A / Alt+R mark the object under the cursor)."
        )
        self.review_filter.currentTextChanged.connect(lambda _: self.refresh())
        form.addRow("Show", self.review_filter)
        self.colour_combo = QComboBox()
        self.colour_combo.addItems(list(L.COLOUR_BY))
        self.colour_combo.setToolTip(
            "class: each object in its class's colour (the swatches beside the classes, as in review sheets); "
            "object: a colour per object, to tell touching objects of one class apart"
        )
        self.colour_combo.currentTextChanged.connect(self._colour_by_changed)
        form.addRow("Colour by", self.colour_combo)
        layout.addLayout(form)
        self.edit_button, self.delete_button = button_row(
            layout, ("Edit", widget.edit_selected), ("Delete", widget.delete_selected)
        )

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """In the list: Delete (or Backspace) deletes the object chosen, Enter edits it."""
        if obj is self.list and event.type() == QEvent.Type.KeyPress and self.list.currentItem() is not None:
            key, plain = event.key(), not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if plain and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.widget.delete_selected()
                return True
            if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.widget.edit_selected()
                return True
        return super().eventFilter(obj, event)

    def _colour_by_changed(self, colour_by: str) -> None:
        self.widget.canvas.colour_by = colour_by
        self.refresh()

    def refresh(self) -> None:
        """List the image's objects, each with its colour on the canvas (coloured again here)."""
        widget = self.widget
        key, model = widget._key, widget.model
        if key is None or key not in model:
            return
        objects = model.objects(key)
        missing = sorted(set(objects.classes.values()) - set(model.classes))
        for name in missing:
            model.add_class(name)
        if missing or widget.classes.names() != list(model.classes):  # (an accepted proposal's new phrase)
            widget.classes.refresh()
        widget.canvas.colour_objects(objects, model.class_colours)
        self.list.clear()
        shown = self.review_filter.currentText()
        for object_id in objects.ids:
            state = model.review_state(key, object_id)
            if shown != "all" and state != shown:
                continue
            text = f"{object_id}: {objects.classes[object_id]}{REVIEW_MARKS[state]}"
            item = QListWidgetItem(swatch(widget.canvas.object_colour(object_id)), text)
            item.setData(Qt.ItemDataRole.UserRole, object_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, state)
            self.list.addItem(item)
        widget._update_buttons()

    def selected(self) -> Optional[int]:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def under_cursor(self) -> Optional[int]:
        """The id of the object under the mouse pointer on the canvas, or None."""
        widget = self.widget
        layer = widget.canvas.layer(L.OBJECTS)
        if layer is None or widget._key is None or widget._key not in widget.model:
            return None
        row, col = (int(round(v)) for v in layer.world_to_data(widget.viewer.cursor.position)[-2:])
        labels = layer.data
        if 0 <= row < labels.shape[0] and 0 <= col < labels.shape[1] and labels[row, col]:
            return int(labels[row, col])
        return None

    def hover_text(self) -> str:
        """The object under the cursor (its colour, id and class), whatever layer is active."""
        object_id = self.under_cursor()
        if object_id is None:
            return ""
        widget = self.widget
        name = widget.model.objects(widget._key).classes.get(object_id, "?")
        state = widget.model.review_state(widget._key, object_id)
        if state != "unreviewed":
            name = f"{name}, {state}"
        colour = widget.canvas.object_colour(object_id)
        return f'Under the cursor: <span style="color:{colour}">&#9632;</span> object {object_id} ({name})'

    def mark(self, state: str, object_id: Optional[int] = None) -> None:
        """A reviewer's verdict (``accepted``, ``rejected``, ``unreviewed``) on the object under
        the cursor (or ``object_id``), saved at once in its provenance record."""
        widget = self.widget
        if widget._key is None:
            return
        widget.jobs.finish()  # an accept still running in the background: its object first
        if object_id is None:
            object_id = self.under_cursor()
        if object_id is None or object_id not in widget.model.objects(widget._key):
            widget._warn(f"Point at an object on the canvas to mark it {state}.")
            return
        if widget._cannot_save(
            f"the verdict cannot be saved in this window, so object {object_id} keeps the one it had"
        ):
            return
        try:
            change = widget.model.set_review(widget._key, object_id, state)
        except InputError as exc:
            widget._warn(str(exc))
            return
        self.refresh()
        widget._settled()
        widget._say(change.text)
