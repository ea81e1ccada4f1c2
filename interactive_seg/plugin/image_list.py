"""The image list of a folder session: each image with its number of objects, previous and next.

Rows carry the image's file name, so a row never stands for another image when the list
changes (an unreadable image leaves it). The highlighted row is always the image on the
canvas (:attr:`ImageList.shown`, set by the widget once an image is shown): a row the
user picks that cannot be shown gives the highlight back, so the list and the canvas
never disagree.
"""

from __future__ import annotations

from typing import Callable, Optional

from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

__all__ = ["ImageList"]


class ImageList(QGroupBox):
    """A folder's images; ``on_chosen(name)`` runs when the user picks another one.

    ``on_chosen`` shows the image and calls :meth:`set_shown`, or leaves it (the image
    could not be read; the widget then drops it with :meth:`refresh`). ``count(name)``
    gives the number shown beside each name.
    """

    def __init__(self, on_chosen: Callable[[str], None], count: Callable[[str], int], parent=None):
        super().__init__("Folder", parent)
        self._on_chosen, self._count = on_chosen, count
        self.names: list = []
        self.shown: Optional[str] = None  # the image on the canvas
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setMinimumHeight(70)
        self.list.setMaximumHeight(120)
        self.list.currentItemChanged.connect(self._changed)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.previous_button = QPushButton("Previous (Shift+Left)")
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton("Next (Shift+Right)")
        self.next_button.clicked.connect(lambda: self.step(1))
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        self.setVisible(False)

    def show_folder(self, title: str, names: list) -> None:
        self.setTitle(title)
        self.setVisible(True)
        self.shown = None
        self.refresh(names)

    def refresh(self, names: Optional[list] = None) -> None:
        """List ``names`` (default: the same ones) with their counts; the shown image highlighted."""
        if names is not None:
            self.names = list(names)
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.names:
            item = QListWidgetItem(f"{name}  ({self._count(name)})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self._highlight()
        self.list.blockSignals(False)

    def set_shown(self, name: Optional[str]) -> None:
        """``name`` is on the canvas now: highlight its row."""
        self.shown = name
        self.list.blockSignals(True)
        self._highlight()
        self.list.blockSignals(False)

    def _highlight(self) -> None:
        self.list.setCurrentRow(self.names.index(self.shown) if self.shown in self.names else -1)

    def update_count(self, name: str) -> None:
        if name in self.names:
            self.list.item(self.names.index(name)).setText(f"{name}  ({self._count(name)})")

    def current(self) -> Optional[str]:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def choose(self, name: str) -> bool:
        """Show ``name``; True when it is shown now."""
        if name == self.shown:
            return True
        if name in self.names:
            self._on_chosen(name)
        self.set_shown(self.shown)  # the highlight follows what is shown, whatever happened
        return self.shown == name

    def choose_first(self, start: int = 0, step: int = 1) -> None:
        """Show the first image that can be read from row ``start`` on, going by ``step``;
        unreadable ones leave the list on the way."""
        row = start
        while 0 <= row < len(self.names):
            name = self.names[row]
            if self.choose(name):
                return
            if name in self.names:  # not shown, but still listed: stop here
                return
            row = row if step > 0 else row - 1  # it left the list: the next one took its row

    def step(self, step: int) -> None:
        """Go to the next (+1) or previous (-1) image that can be read."""
        if not self.names:
            return
        here = self.names.index(self.shown) if self.shown in self.names else (-1 if step > 0 else len(self.names))
        self.choose_first(here + step, step)

    def _changed(self, item, _previous=None) -> None:
        # after this signal returns: choosing may rebuild the list (an unreadable image leaves it)
        if item is not None:
            name = item.data(Qt.ItemDataRole.UserRole)
            QTimer.singleShot(0, lambda: self.choose(name))
