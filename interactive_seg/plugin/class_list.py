"""The class list: the model's classes; double-click renames, buttons add and remove (a
new class's name opens for typing at once).

It shows :attr:`Annotations.classes <interactive_seg.model.annotations.Annotations.classes>` and
asks the model for every change; it keeps no list of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemDelegate,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from ..errors import InputError

__all__ = ["ClassList", "swatch"]


def swatch(colour: str):
    """A small square of ``colour`` (hex) to put beside a name."""
    from qtpy.QtGui import QColor, QIcon, QPixmap

    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ClassList(QGroupBox):
    """Classes of an :class:`~interactive_seg.model.annotations.Annotations` model.

    ``rename(old, new)`` and ``warn(text)`` are the widget's: a rename is one undoable step
    of the current image, so the widget makes it. ``changed()`` runs after a class is added
    or removed. Each class shows the colour it keeps (in a session, in its COCO category).
    """

    def __init__(
        self,
        rename: Callable[[str, str], None],
        warn: Callable[[str], None],
        parent=None,
        changed: Optional[Callable[[], None]] = None,
        settle: Optional[Callable[[], None]] = None,
        say: Optional[Callable[[str], None]] = None,
    ):
        super().__init__("Classes (double-click to rename)", parent)
        self._rename, self._warn, self._changed = rename, warn, changed
        self._settle = settle or (lambda: None)  # a warning that no longer applies goes
        self._say = say or (lambda text: None)  # the status line
        self.model = None
        self.image: Callable[[], object] = lambda: None  # the key of the image shown (its history takes a removal)
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setMinimumHeight(50)
        self.list.setMaximumHeight(90)  # a few rows; the panel must fit a small screen
        self.list.setToolTip(
            "Each class's colour: its objects' colour on the canvas (Colour by: class) and in review sheets"
        )
        self.list.itemChanged.connect(self._item_changed)
        self._naming: Optional[str] = None  # the class Add class just made, its name being typed
        self.list.itemDelegate().closeEditor.connect(self._editor_closed)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add class")
        self.add_button.clicked.connect(self._add_and_name)
        self.remove_button = QPushButton("Remove class")
        self.remove_button.clicked.connect(self.remove_current)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout.addLayout(row)

    def set_model(self, model) -> None:
        self.model = model
        self.refresh()

    def refresh(self, select: Optional[str] = None) -> None:
        """Show the model's classes again, keeping (or moving to) the selected one."""
        current = select or self.current()
        names = self.model.classes
        self.list.blockSignals(True)
        if self.list.count() == len(names):  # in place: this may run inside an item's own signal
            for row, name in enumerate(names):
                self.list.item(row).setText(name)
                self.list.item(row).setIcon(swatch(self.model.colour(name)))
        else:
            self.list.clear()
            for name in names:
                item = QListWidgetItem(swatch(self.model.colour(name)), name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.list.addItem(item)
        self.list.setCurrentRow(names.index(current) if current in names else 0)
        self.list.blockSignals(False)

    def names(self) -> list:
        """The classes the list shows, top to bottom."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    def current(self) -> Optional[str]:
        item = self.list.currentItem()
        return item.text() if item is not None else None

    def select(self, name: str) -> None:
        if self.model is not None and name in self.model.classes:
            self.list.setCurrentRow(self.model.classes.index(name))

    def step(self, by: int) -> None:
        """Choose the class ``by`` rows down the list (up when negative), from the keyboard
        anywhere (Shift+Down / Shift+Up): the class of the next Accept."""
        if self.model is None or not self.model.classes:
            return
        names = self.model.classes
        row = names.index(self.current()) if self.current() in names else 0
        self.list.setCurrentRow(max(0, min(len(names) - 1, row + by)))
        self._say(f"Class: '{self.current()}' (Shift+Down / Shift+Up choose another).")

    def add(self, name: Optional[str] = None) -> Optional[str]:
        """Add a class (``"class N"`` without a name) and select it; None when refused (a
        read-only folder session, which could not save it, as it cannot save a rename)."""
        session = getattr(self.model, "session", None)
        if session is not None and session.read_only:
            self._warn(f"Not added: {session.read_only_reason}")
            self._say("Read-only: no class was added; classes can be added in the window that saves this folder.")
            return None
        try:
            name = self.model.add_class(name)
        except InputError as exc:
            self._warn(str(exc))
            return None
        self.refresh(select=name)
        if self._changed is not None:
            self._changed()
        return name

    def _add_and_name(self) -> None:
        """Add class: a new class, its name open for typing at once (Enter keeps it, Escape
        takes the new class back)."""
        name = self.add()
        if name is not None:
            self.list.setFocus()
            self._naming = name
            self.list.editItem(self.list.item(self.model.classes.index(name)))

    def _editor_closed(self, editor, hint) -> None:
        name, self._naming = self._naming, None
        if name is None or hint != QAbstractItemDelegate.EndEditHint.RevertModelCache:
            return
        if name in self.model.classes and not self.model.class_in_use(name):  # Escape: never added
            try:
                self.model.remove_class(name)
            except InputError as exc:
                self._warn(str(exc))
                return
            self.refresh()
            if self._changed is not None:
                self._changed()

    def _name_new(self, placeholder: str, name: str) -> None:
        """The name typed for a class Add class just made: it becomes the class's name (no
        rename to undo); a blank one takes the new class back, as Escape does, and a class's
        name that is taken chooses that class instead."""
        taken = name in self.model.classes and name != placeholder
        if not name or taken:
            try:
                if not self.model.class_in_use(placeholder):
                    self.model.remove_class(placeholder)
            except InputError as exc:
                self._warn(str(exc))
            self.refresh(select=name if taken else None)
            if taken:
                self._settle()
                self._say(f"There is already a class '{name}': it is chosen.")
        else:
            try:
                name = self.model.name_new_class(placeholder, name)
            except InputError as exc:
                self._warn(str(exc))
                name = placeholder
            else:
                self._settle()
                self._say(f"Added the class '{name}'.")
            self.refresh(select=name)
        if self._changed is not None:
            self._changed()

    def remove_current(self) -> None:
        name = self.current()
        if name is None:
            return
        try:  # a step of the image's history: Ctrl+Z puts it back, colour and category id too
            change = self.model.remove_class(name, step=True, image=self.image())
        except InputError as exc:
            self._warn(str(exc))
            self._say(f"The class '{name}' was not removed.")  # (not the line of the step before)
            return
        self._settle()  # (such as "Objects still have the class" from a try before)
        self._say(change.text)
        self.refresh()
        if self._changed is not None:
            self._changed()

    def _item_changed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        old, new = self.model.classes[row], item.text().strip()
        if self._naming is not None and old == self._naming:
            self._naming = None  # (the editor's close that follows is no Escape)
            self._name_new(old, new)
            return
        if new != old:
            self._rename(old, new)
        elif item.text() != old:  # spaces typed round the name: the same name (said, not the step before)
            self._say(f"Class '{old}' kept its name.")
        # the class on this row stays chosen: renamed, or (a refused name, such as another
        # class's) as it was, never the other class of that name
        names = self.model.classes
        self.refresh(select=names[row] if row < len(names) else None)
