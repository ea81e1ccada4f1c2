"""The widget's footer, pinned below its scrolling panels: the object under the cursor, a
warning that still applies, the status line, and the buttons of every minute (Accept,
Clear, Undo, Redo, Export...).

It grows upwards from the window's bottom edge: the messages sit above the buttons, so a
longer message never moves the buttons under the pointer.
"""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QLabel, QVBoxLayout, QWidget

from .object_panel import button_row

__all__ = ["Footer"]


class Footer(QWidget):
    """``widget`` is the dock widget, whose actions the buttons run."""

    def __init__(self, widget):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 3, 9, 9)
        # the object under the cursor, whatever layer is active: pinned too (the objects'
        # group may be scrolled away), one line high
        self.hover = QLabel()
        self.hover.setTextFormat(Qt.TextFormat.RichText)
        self.hover.setFixedHeight(self.hover.fontMetrics().height() + 2)
        layout.addWidget(self.hover)
        # a warning that still applies (a skipped file, a refused setting), whole, until it no
        # longer does; napari's toasts cut long lines and go after a few seconds
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #ffb000;")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        self.status = QLabel("Open an image to start.")
        self.status.setWordWrap(True)
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

    def warn(self, text: str) -> None:
        """Show ``text`` whole until :meth:`settle`."""
        self.notice.setText(text)
        self.notice.setVisible(True)

    def settle(self) -> None:
        if self.notice.isVisible():
            self.notice.clear()
            self.notice.setVisible(False)
