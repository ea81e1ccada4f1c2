"""The image list of a folder session: each image with its number of objects, grouped by
folder, a filter box, previous and next.

Rows carry the image's relative path, so a row never stands for another image when the
list changes (an unreadable image leaves it). Images of a dataset with subfolders are
grouped under a row per folder (``train/cat/``) and shown by their file name; a flat
folder shows its file names alone, as before. Typing in the filter box narrows the rows to
the paths that hold the text (any case; words apart each must appear); Next and Previous
(Shift+Right / Shift+Left) walk the rows shown. The highlighted row is the image on the
canvas (:attr:`ImageList.shown`, set by the widget once an image is shown), or, while a
large image is read in the background, the one being opened (:attr:`ImageList.pending`;
the status line says "Opening ..." and presses go on from it): a row the user picks that
cannot be shown gives the highlight back, so the list and the canvas never disagree once
nothing is being opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from qtpy.QtCore import Qt, QTimer
from qtpy.QtGui import QFont
from qtpy.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from .keys import ENTER_IS_NOT_ITS_OWN

__all__ = ["ImageList"]

#: the group of the images at the folder's top level, where there are subfolders too
TOP_LEVEL = "(top level)"
LIST_HEIGHT = 160  # px: the most the list of images takes (then it scrolls), so the panel fits a small screen


def _folder(name: str) -> str:
    return name.rsplit("/", 1)[0] + "/" if "/" in name else ""


def _matches(name: str, words: list) -> bool:
    lowered = name.lower()
    return all(word in lowered for word in words)


class ImageList(QGroupBox):
    """A folder's images; ``on_chosen(name)`` runs when the user picks another one.

    ``on_chosen`` shows the image and calls :meth:`set_shown`, or leaves it (the image
    could not be read; the widget then drops it with :meth:`refresh`). ``count(name)``
    gives the number shown beside each name; ``say(text)`` says that Next / Previous found
    no image further on (the status line).
    """

    def __init__(
        self,
        on_chosen: Callable[[str], None],
        count: Callable[[str], int],
        parent=None,
        say: Optional[Callable[[str], None]] = None,
    ):
        super().__init__("Folder", parent)
        self._on_chosen, self._count, self._say = on_chosen, count, say
        self.names: list = []
        self.visible: list = []  # the names the filter keeps, in list order
        self.shown: Optional[str] = None  # the image on the canvas
        self.pending: Optional[str] = None  # the image being opened (read in a worker), if any
        self.passed: list = []  # the unreadable images the last choice passed over (they left the list)
        self._rows: dict = {}  # name -> its row
        layout = QVBoxLayout(self)
        find = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: type part of a name or folder")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _: self.refresh())
        self.filter.returnPressed.connect(self._choose_match)
        self.filter.setProperty(ENTER_IS_NOT_ITS_OWN, True)  # Shift+Enter there accepts, never opens a match
        self.matches = QLabel("")
        find.addWidget(self.filter)
        find.addWidget(self.matches)
        layout.addLayout(find)
        self.list = QListWidget()
        self.list.setMinimumHeight(70)
        self.list.setMaximumHeight(LIST_HEIGHT)
        # a long name is cut in its middle, so its count shows (the whole name in its tooltip)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
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

    def parts(self) -> tuple:
        """The list, the Previous and the Next buttons."""
        return self.list, self.previous_button, self.next_button

    def show_folder(self, title: str, names: list) -> None:
        self.setTitle(title)
        self.setVisible(True)
        self.shown = self.pending = None
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.refresh(names)

    def refresh(self, names: Optional[list] = None) -> None:
        """List ``names`` (default: the same ones) that the filter keeps, with their counts,
        grouped by folder; the shown image highlighted."""
        if names is not None:
            self.names = list(names)
        words = self.filter.text().lower().split()
        self.visible = [n for n in self.names if _matches(n, words)] if words else list(self.names)
        grouped = any("/" in n for n in self.names)
        self.list.blockSignals(True)
        self.list.setUpdatesEnabled(False)
        self.list.clear()
        self._rows = {}
        folder = None
        for name in self.visible:
            if grouped and _folder(name) != folder:
                folder = _folder(name)
                self.list.addItem(self._header(folder or TOP_LEVEL))
            self._rows[name] = self.list.count()
            item = QListWidgetItem(self._text(name, grouped))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.list.addItem(item)
        self.list.setUpdatesEnabled(True)
        self._highlight()
        self.list.blockSignals(False)
        self.matches.setText(f"{len(self.visible)} of {len(self.names)}" if words else "")
        if not words:  # as tall as its rows, up to 160 px (two images kept that height on a small screen)
            rows = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height()) * max(self.list.count(), 2)
            tall = min(LIST_HEIGHT, rows + 2 * self.list.frameWidth() + 2)
            self.list.setMinimumHeight(min(tall, 70))
            self.list.setMaximumHeight(tall)

    def _text(self, name: str, grouped: bool) -> str:
        label = "    " + name.rsplit("/", 1)[-1] if grouped else name
        return f"{label}  ({self._count(name)})"

    @staticmethod
    def _header(folder: str) -> QListWidgetItem:
        item = QListWidgetItem(folder)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # a folder's row: not an image to pick
        font = QFont()
        font.setBold(True)
        item.setFont(font)
        return item

    def set_shown(self, name: Optional[str]) -> None:
        """``name`` is on the canvas now: highlight its row."""
        self.shown = name
        self.pending = None
        self.list.blockSignals(True)
        self._highlight()
        self.list.blockSignals(False)

    def _highlight(self) -> None:
        row = self._rows.get(self.pending or self.shown, -1)
        self.list.setCurrentRow(row)
        if row >= 0:
            self.list.scrollToItem(self.list.item(row))

    def update_count(self, name: str) -> None:
        if name in self._rows:
            self.list.item(self._rows[name]).setText(self._text(name, any("/" in n for n in self.names)))

    def current(self) -> Optional[str]:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def choose(self, name: str) -> bool:
        """Show ``name``; True when it is shown now (False while it is being opened). The
        image shown, chosen while another opens (Shift+Right, then Shift+Left at once), stays
        and the other is not shown."""
        if name == self.shown and not self.pending:
            return True
        if name == self.pending:
            return False  # being opened already: not read again
        if name in self.names:
            self._on_chosen(name)
        self.list.blockSignals(True)
        self._highlight()  # the highlight follows what is shown (or being opened), whatever happened
        self.list.blockSignals(False)
        return self.shown == name

    def choose_first(self, start: int = 0, step: int = 1) -> None:
        """Show the first image of the rows shown that can be read, from the ``start``-th
        on, going by ``step``; unreadable ones leave the list on the way."""
        candidates = self.visible[start:] if step > 0 else self.visible[: start + 1][::-1]
        self._walk(candidates)

    def step(self, step: int) -> Optional[str]:
        """Go to the next (+1) or previous (-1) image of the rows shown that can be read;
        at the end of them, the sentence that says so (None when it moved), also to ``say``."""
        if not self.visible:
            return self._end("No image of the folder is shown: clear the filter.") if self.names else None
        here = self.pending or self.shown  # presses while an image opens go on from it
        if here in self.visible:
            here = self.visible.index(here)
            candidates = self.visible[here + 1 :] if step > 0 else self.visible[:here][::-1]
        else:  # the image on the canvas is filtered out: the next shown row after it in the folder's order
            position = {n: i for i, n in enumerate(self.names)}
            at = position.get(here, -1 if step > 0 else len(self.names))
            after = [n for n in self.visible if position[n] > at]
            candidates = after if step > 0 else [n for n in self.visible if position[n] < at][::-1]
        if self._walk(candidates):
            return None
        end = "last" if step > 0 else "first"
        shown = " the filter shows" if len(self.visible) < len(self.names) else " of the folder"
        return self._end(
            f"{self.pending or self.shown} is the {end} image{shown}; there is no {'next' if step > 0 else 'previous'} one."
        )

    def _end(self, text: str) -> str:
        if self._say is not None:
            self._say(text)
        return text

    def _walk(self, candidates: list) -> bool:
        """Show the first of ``candidates`` that can be read; False when none could. Those
        passed over on the way are :attr:`passed` (the widget says so once one is shown)."""
        self.passed = []
        for name in candidates:
            if self.choose(name):
                return True
            if name in self.names:  # not shown (being opened), but still listed: stop here
                return True
            self.passed.append(name)  # it left the list (unreadable): go on to the next one
        return False

    def _choose_match(self) -> None:
        """Enter in the filter box: show the first image it keeps (unless one is shown already)."""
        if self.visible and self.shown not in self.visible:
            self.choose_first()

    def _changed(self, item, _previous=None) -> None:
        # after this signal returns: choosing may rebuild the list (an unreadable image leaves it)
        if item is not None:
            name = item.data(Qt.ItemDataRole.UserRole)
            if name is not None:
                QTimer.singleShot(0, lambda: self._walk([name]))
