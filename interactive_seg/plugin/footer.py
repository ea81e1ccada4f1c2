"""The widget's footer, pinned below its scrolling panels: the object under the cursor, a
warning that still applies, the status line, and the buttons of every minute (Accept,
Clear, Undo, Redo, Export...).

It grows upwards from the window's bottom edge: the messages sit above the buttons, so a
longer message never moves the buttons under the pointer. No message widens the dock: a
long file name with no space in it wraps anywhere (:class:`MessageLabel`).
"""

from __future__ import annotations

import re

from qtpy.QtCore import Qt
from qtpy.QtGui import QClipboard
from qtpy.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .object_panel import button_row

__all__ = ["Footer", "MessageLabel", "breakable"]

#: A run of this many characters with no space in it (a long file name, a path) may be
#: broken anywhere when a message wraps.
LONG_RUN = 24
_LONG = re.compile(rf"\S{{{LONG_RUN},}}")
_BREAK = "\u200b"  # a zero-width space: a place to wrap, drawn as nothing


def breakable(text: str) -> str:
    """``text`` with a zero-width space between the characters of each long run with no
    space: a word-wrapped label wraps only at spaces, and would be as wide as its longest
    word (a 170-character file name took the canvas's room, for good).

    >>> breakable("a " + "x" * 30) == "a " + _BREAK.join("x" * 30)
    True
    """
    return _LONG.sub(lambda run: _BREAK.join(run.group()), text)


class MessageLabel(QLabel):
    """A word-wrapped message that may hold file names and paths: shown whole, on as many
    lines as it needs, and never wider than the panel gives it (its minimum width is not
    the longest word's). :meth:`text` gives the text as set, without the break places, and
    so does a copy of the text the annotator selected in it (Ctrl+C, the context menu or
    X11's selection)."""

    def __init__(self, text: str = ""):
        super().__init__()
        self._text = ""
        clipboard = QApplication.clipboard()
        clipboard.dataChanged.connect(self._unbreak_copy)  # (bound: gone with the label)
        clipboard.selectionChanged.connect(self._unbreak_selection)
        self.setTextFormat(Qt.TextFormat.PlainText)  # (a file name is no markup)
        self.setWordWrap(True)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # the panel's width, whatever the text
        self.setSizePolicy(policy)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._text = text
        super().setText(breakable(text))

    def text(self) -> str:
        return self._text

    def _unbreak_copy(self) -> None:
        self._unbreak(QClipboard.Mode.Clipboard)

    def _unbreak_selection(self) -> None:
        self._unbreak(QClipboard.Mode.Selection)

    def _unbreak(self, mode) -> None:
        """A copy taken from this label's selection, without the break places."""
        try:
            if not self.hasSelectedText() or _BREAK in self._text:
                return
        except RuntimeError:  # the label is gone
            return
        clipboard = QApplication.clipboard()
        copied = clipboard.text(mode)
        if _BREAK in copied:
            clipboard.setText(copied.replace(_BREAK, ""), mode)

    def clear(self) -> None:
        self._text = ""
        super().clear()


class Footer(QWidget):
    """``widget`` is the dock widget, whose actions the buttons run."""

    def __init__(self, widget):
        super().__init__()
        self._lasting = False  # the notice shown stays through a new preview (Footer.warn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 3, 9, 9)
        # the object under the cursor, whatever layer is active: pinned too (the objects'
        # group may be scrolled away), one line high
        self.hover = QLabel()
        self.hover.setTextFormat(Qt.TextFormat.RichText)
        self.hover.setFixedHeight(self.hover.fontMetrics().height() + 2)
        policy = self.hover.sizePolicy()  # a long class name is cut, not the dock widened
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.hover.setSizePolicy(policy)
        layout.addWidget(self.hover)
        # a warning that still applies (a skipped file, a refused setting), whole, until it no
        # longer does; napari's toasts cut long lines and go after a few seconds
        self.notice = MessageLabel()
        self.notice.setStyleSheet("color: #ffb000;")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        self.status = MessageLabel("Open an image to start.")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # (a path to copy)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 2)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        layout.addWidget(self.status)
        self.accept_button, self.clear_button = button_row(
            layout, ("Accept (Shift+Enter)", widget.accept), ("Clear (Shift+Esc)", widget.clear)
        )
        self.undo_button, self.redo_button, self.export_button = button_row(
            layout,
            ("Undo (Ctrl+Z)", widget.undo),
            ("Redo (Ctrl+Shift+Z)", widget.redo),
            ("Export...", widget.open_export_dialog),
        )

    def warn(self, text: str, lasting: bool = False) -> None:
        """Show ``text`` whole until :meth:`settle`; ``lasting``: until ``settle(lasting=True)``
        (the next Accept, Clear or image), not the next preview."""
        self.notice.setText(text)
        self.notice.setVisible(True)
        self._lasting = lasting

    def settle(self, lasting: bool = False) -> None:
        if self.notice.isVisible() and (lasting or not self._lasting):
            self.notice.clear()
            self.notice.setVisible(False)
            self._lasting = False
