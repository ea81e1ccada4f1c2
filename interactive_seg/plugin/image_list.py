"""The image list of a folder session: each image with its number of objects, previous and next.

Rows carry the image's file name, so a row never stands for another image when the list
changes (an unreadable image leaves it).
"""

from __future__ import annotations

from typing import Callable, Optional

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

__all__ = ["ImageList"]


class ImageList(QGroupBox):
    """A folder's images; ``on_chosen(name)`` runs when the user picks another one.

    ``count(name)`` gives the number shown beside each name.
    """

    def __init__(self, on_chosen: Callable[[str], None], count: Callable[[str], int], parent=None):
        super().__init__("Folder", parent)
        self._on_chosen, self._count = on_chosen, count
        self.names: list = []
        layout = QVBoxLayout(self)
        self.list = QListWidget()
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
        self.refresh(names)

    def refresh(self, names: Optional[list] = None) -> None:
        """List ``names`` (default: the same ones) with their counts; the chosen image stays chosen."""
        current = self.current()
        if names is not None:
            self.names = list(names)
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.names:
            item = QListWidgetItem(f"{name}  ({self._count(name)})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        if current in self.names:
            self.list.setCurrentRow(self.names.index(current))
        self.list.blockSignals(False)

    def update_count(self, name: str) -> None:
        if name in self.names:
            self.list.item(self.names.index(name)).setText(f"{name}  ({self._count(name)})")

    def current(self) -> Optional[str]:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def choose(self, name: str) -> None:
        """Make ``name`` the chosen row (runs ``on_chosen`` when it changes)."""
        if name in self.names:
            self.list.setCurrentRow(self.names.index(name))

    def step(self, step: int) -> None:
        """Go to the next (+1) or previous (-1) image."""
        if not self.names:
            return
        row = min(max(self.list.currentRow() + step, 0), len(self.names) - 1)
        self.list.setCurrentRow(row)

    def _changed(self, item, _previous=None) -> None:
        if item is not None:
            self._on_chosen(item.data(Qt.ItemDataRole.UserRole))
