"""The engine menu and each engine's options, built from the engine's own listing.

Nothing here names an engine, a model or an option: the menu lists
:func:`~interactive_seg.engines.available_engines`, and an engine's group of options is
made from ``engine_class(name).options`` the first time that engine is chosen (so SAM's
torch is imported only when SAM is picked). An engine that says why a choice cannot be
used now (``choice_note(option, value)``: a model not downloaded, a family not installed)
gets that choice greyed out, with the sentence as its tooltip.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engines import Option, available_engines, engine_class
from ..errors import InputError
from .object_panel import narrow_form

__all__ = ["EnginePanel"]


class EnginePanel(QWidget):
    """The Engine menu, the chosen engine's options, and a Cancel button for embeddings.

    ``on_change()`` is called when the engine or one of its options changes; ``on_error(text)``
    when an engine's options cannot be listed (a broken install).
    """

    def __init__(self, on_change: Callable[[], None], on_error: Callable[[str], None], parent=None):
        super().__init__(parent)
        self._on_change, self._on_error = on_change, on_error
        self._boxes: dict = {}  # engine name -> QGroupBox
        self._fields: dict = {}  # engine name -> {option name: (Option, widget)}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = narrow_form()
        self.combo = QComboBox()
        self.combo.addItems(available_engines())
        form.addRow("Engine", self.combo)
        layout.addLayout(form)
        self._layout = layout
        self.cancel_button = QPushButton("Cancel embedding")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setVisible(False)
        layout.addWidget(self.cancel_button)
        self.combo.currentTextChanged.connect(self._chosen)
        self._chosen(self.combo.currentText(), notify=False)

    # -- reading -------------------------------------------------------------------------
    def name(self) -> str:
        return self.combo.currentText()

    def options(self) -> dict:
        """The chosen engine's options as constructor keywords (empty text fields: the default)."""
        fields = self._fields.get(self.name(), {})
        return {name: _value(option, widget) for name, (option, widget) in fields.items()}

    def box(self, name: str) -> QGroupBox | None:
        """The group of options of engine ``name`` (None before it was first chosen)."""
        return self._boxes.get(name)

    def field(self, engine: str, option: str) -> QWidget:
        """The widget that edits one option of an engine."""
        return self._fields[engine][option][1]

    def recheck(self) -> None:
        """Ask each engine again which choices can be used now (after a download, say)."""
        for name, fields in self._fields.items():
            note = getattr(engine_class(name), "choice_note", None)
            for option, widget in fields.values():
                if isinstance(widget, QComboBox) and option.choices:
                    _grey_out(widget, option, note)

    # -- building ------------------------------------------------------------------------
    def _chosen(self, name: str, notify: bool = True) -> None:
        if name and name not in self._boxes:
            try:
                self._boxes[name] = self._build(name)
            except InputError as exc:
                self._on_error(str(exc))
                self._boxes[name] = QGroupBox(f"{name} options")
                self._fields[name] = {}
            self._layout.insertWidget(self._layout.count() - 1, self._boxes[name])
        for key, box in self._boxes.items():
            box.setVisible(key == name)
        embeds = False
        if name:
            try:
                embeds = engine_class(name).embeds
            except InputError:
                pass
        self.cancel_button.setVisible(embeds)
        if notify:
            self._on_change()

    def _build(self, name: str) -> QGroupBox:
        cls = engine_class(name)
        box = QGroupBox(f"{cls.name or name} options")
        form = narrow_form(box)
        fields = {}
        for option in cls.options:
            widget = _editor(option)
            widget.setToolTip(option.help)
            if isinstance(widget, QComboBox) and option.choices:
                _grey_out(widget, option, getattr(cls, "choice_note", None))
            _connect(widget, self._on_change)
            form.addRow(option.title, widget)
            fields[option.name] = (option, widget)
        self._fields[name] = fields
        return box


def _editor(option: Option) -> QWidget:
    if option.choices:
        widget = QComboBox()
        widget.addItems([str(c) for c in option.choices])
        if option.default is not None:
            widget.setCurrentText(str(option.default))
        return widget
    if option.type is bool:
        widget = QCheckBox()
        widget.setChecked(bool(option.default))
        return widget
    if option.type in (int, float):
        widget = QSpinBox() if option.type is int else QDoubleSpinBox()
        if option.type is float:
            widget.setDecimals(3)
        widget.setMinimum(option.minimum if option.minimum is not None else -(10**9))
        widget.setMaximum(option.maximum if option.maximum is not None else 10**9)
        if option.step is not None:
            widget.setSingleStep(option.step)
        widget.setValue(option.default)
        return widget
    widget = QLineEdit("" if option.default is None else str(option.default))
    widget.setPlaceholderText(option.help.rstrip("."))
    return widget


def _grey_out(widget: QComboBox, option: Option, note) -> None:
    """Grey out the choices the engine says cannot be used now (the reason as the tooltip)."""
    if note is None:
        return
    model = widget.model()
    for index, value in enumerate(option.choices):
        try:
            reason = note(option.name, value)
        except Exception as exc:  # noqa: BLE001 - a menu must open whatever one entry says
            reason = f"{value} cannot be checked ({type(exc).__name__})."
        item = model.item(index) if hasattr(model, "item") else None
        if item is not None:
            item.setEnabled(not reason)
        widget.setItemData(index, reason or None, Qt.ItemDataRole.ToolTipRole)


def _connect(widget: QWidget, slot: Callable[[], None]) -> None:
    if isinstance(widget, QComboBox):
        widget.currentTextChanged.connect(lambda _: slot())
    elif isinstance(widget, QCheckBox):
        widget.toggled.connect(lambda _: slot())
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.valueChanged.connect(lambda _: slot())
    else:
        widget.editingFinished.connect(slot)


def _value(option: Option, widget: QWidget):
    if isinstance(widget, QComboBox):
        return option.type(widget.currentText())
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return option.type(widget.value())
    text = widget.text().strip()
    return option.type(text) if text else option.default
