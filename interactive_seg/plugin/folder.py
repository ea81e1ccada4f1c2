"""A folder session in the widget: opening it, walking its images (a large one read in a
worker while the window stays usable), and refusing changes a read-only folder could not
save. The list of images is :class:`~.image_list.ImageList`; saving is the model's."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from napari.utils.notifications import show_error
from qtpy.QtCore import QEvent, QObject, Qt, QTimer
from qtpy.QtWidgets import QApplication, QFileDialog, QHBoxLayout, QMessageBox, QPushButton

from ..errors import InputError
from ..model.session import Session
from ..model.store import JournalOfAnotherVersion, kept_beside
from ..wording import counted

__all__ = ["Folder", "READ_IN_WORKER_PIXELS"]

#: A folder's image of more pixels than this is read in a worker: decoding a 24-megapixel
#: photograph takes about a second, and the window stays usable meanwhile. Smaller ones are
#: read at once, so Next shows them before it returns.
READ_IN_WORKER_PIXELS = 12_000_000

#: How often (ms) an idle window checks whether its folder's COCO file is due to be brought
#: up to date with the journal (Session.save(if_due=True)).
FOLD_CHECK_MS = 5000

#: The most characters of a folder's name the image list's title shows.
TITLE_NAME_CHARACTERS = 14


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


def _let_go(model, *_) -> None:
    """Close ``model``'s folder session (its journal folded into the COCO file, its lock
    released), so the folder opens for writing again, also from this process."""
    if model.session is not None:
        try:
            model.session.close()
        except InputError as exc:  # the journal keeps the work; say why it was not folded in
            warnings.warn(str(exc), stacklevel=2)


class _Undocked(QObject):
    """Runs ``gone()`` when the widget, docked once, leaves its dock (napari's
    remove_dock_widget and the dock's close button take it out)."""

    def __init__(self, widget, gone):
        super().__init__(widget)
        self.docked, self.gone = False, gone
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ParentChange:
            if obj.parent() is not None:
                self.docked = True
            elif self.docked:
                self.gone()
        return False


class _Closing(QObject):
    """Runs ``closing()`` once, when the viewer's window (its close button, Ctrl+W, Ctrl+Q)
    or the viewer (``viewer.close()``) starts to close, before napari tears the canvas
    down: what waits to be saved is saved while the widget still works."""

    def __init__(self, widget, closing):
        super().__init__(widget)
        self.closing = closing
        window = getattr(widget.viewer, "window", None)
        for part in ("_qt_window", "_qt_viewer"):  # (private: absent in a headless viewer, or a later napari)
            target = getattr(window, part, None)
            if isinstance(target, QObject):
                target.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Close and self.closing is not None:
            closing, self.closing = self.closing, None
            closing()
        return False


class Folder:
    """The widget's folder session; ``widget`` is the dock widget (its model, image list,
    image choice and messages). The session is closed when the widget goes: its window
    closed (the widget destroyed) or its dock removed."""

    def __init__(self, widget):
        self.widget = widget
        self.opening = None  # the image being opened (a worker's result for another is dropped)
        self.skipped: dict = {}  # an unreadable image's name -> why it was skipped
        self.read_worker = None
        self._undocked = _Undocked(widget, self.close)
        self._closing = _Closing(widget, self._window_closing)
        widget.destroyed.connect(lambda *_, model=widget.model: _let_go(model))
        # the COCO file current within a minute of a change when no change follows it (the
        # journal keeps every change at once; the file is what other programs read)
        self._fold_said = None  # what the last refused fold said
        self._fold_timer = QTimer(widget)
        self._fold_timer.setInterval(FOLD_CHECK_MS)
        self._fold_timer.timeout.connect(self._fold_when_idle)
        self._fold_timer.start()

    def _fold_when_idle(self) -> None:
        session, widget = self.session, self.widget
        if session is None or session.read_only or widget.working:
            return
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            session.save(if_due=True)
        text = str(said[-1].message) if said else None
        if text is not None and text != self._fold_said:  # (a fold refused: another program's change, a
            widget._warn(text)  # full disk; the journal keeps the work): said once, not every few seconds
        self._fold_said = text

    def _window_closing(self) -> None:
        """An Accept asked for just before the window closes (Shift+Enter, then the close
        button before the preview came) is kept, as on a change of image; said if it cannot be."""
        # an image still being read is not shown: the window goes (and where the close is
        # cancelled, the list stays on the image shown)
        self.opening = None
        widget = self.widget
        if widget.images.pending is not None:
            widget.images.set_shown(widget.images.shown)
        widget.keep_waiting_accept(before="the window closes")
        widget.jobs.finish()
        widget.runner.stop()  # a preview still computed: its worker ends before the window
        if widget._not_kept:
            warnings.warn(widget._not_kept, stacklevel=2)
            widget._not_kept = None

    def close(self) -> None:
        """Let the folder session go (changes folded into its COCO file, its lock released);
        an image still being read is not shown."""
        self.opening = None
        self.widget.jobs.finish()
        _let_go(self.widget.model)

    @property
    def session(self):
        return self.widget.model.session

    def open(self, session, note: Optional[str] = None) -> None:
        """Work through the images of a :class:`~interactive_seg.Session`, saving every change;
        ``note``: what opening it said, shown in the panel once the first image is."""
        widget = self.widget
        widget.jobs.finish()
        widget.model.use_session(session)
        widget.classes.refresh(select=widget.model.classes[0] if session.categories else None)  # the file's first class
        unreadable = list(session.unreadable)
        widget.images.show_folder(self.title(), session.images)
        widget.images.choose_first()
        notes = [note] if note else []
        notes += [  # a window's version kept when another program changed the file: not forgotten
            f"{kept.name!r} beside the COCO file holds a session's version kept when another program changed the "
            "file: compare the two, copy what you need, then delete it."
            for kept in kept_beside(session.path)
        ]
        missing = {name: count for name, count in session.missing().items() if count}
        if missing:  # (their objects are not shown, so never a word: they stay in the file)
            names = ", ".join(list(missing)[:5]) + (", ..." if len(missing) > 5 else "")
            one, objects = len(missing) == 1, sum(missing.values())
            notes.append(
                f"{counted(len(missing), 'image')} of the COCO file {'is' if one else 'are'} not in the folder "
                f"({names}): the {counted(objects, 'object')} on {'it' if one else 'them'} "
                f"{'is' if objects == 1 else 'are'} kept in the file as read (put the photos back to see them)."
            )
        if unreadable:  # (after the first image: showing it settles older warnings)
            said = f"Skipped {counted(len(unreadable), 'file')} that {'is not a readable image' if len(unreadable) == 1 else 'are not readable images'}: {', '.join(unreadable[:5])}"
            widget._warn("\n".join([said, *self._passed(), *notes]), toast=said)
        elif notes:
            widget._warn("\n".join(notes), toast=notes[0])
        if session.read_only:  # said once, last, so that it stays on the status line (the title says READ-ONLY)
            widget._say(f"Read-only: {session.read_only_reason}")

    def image_row(self, image_combo):
        """The Image row: the image choice, and "Open folder..." beside it."""
        self.open_button = QPushButton("Open folder...")
        self.open_button.setToolTip(
            "Annotate a folder of images, saved as you go in its annotations.coco.json "
            "(in a new window when this one holds a folder or objects already)"
        )
        self.open_button.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(image_combo, 1)
        row.addWidget(self.open_button)
        return row

    def choose(self) -> None:
        """Open a folder the annotator picks in a dialog (the "Open folder..." button)."""
        path = QFileDialog.getExistingDirectory(self.widget, "Open a folder of images")
        if path:
            self.open_path(path)

    def open_path(self, path):
        """Open the folder ``path`` as a session: in this window when it holds no folder and
        no objects, else in a new window (one folder per window, each its own session).
        Returns the widget that shows it, or None (the reason is said in the panel)."""
        widget = self.widget
        if self.session is not None and Path(path).resolve() == Path(self.session.folder).resolve():
            widget._say(f"{self.session.folder.name!r} is open in this window already.")
            return widget  # (a second session of it would be read-only, and said to be open elsewhere)
        note = None  # what opening said that the panel shows once the folder is open
        try:
            try:
                session = Session.open(path)
            except JournalOfAnotherVersion as exc:  # the annotator's choice: never made for them
                answer = QMessageBox.question(
                    widget,
                    "Unsaved changes of another version",
                    "The folder holds changes not yet saved into its COCO file, made to another version of it "
                    "(the file was replaced since, after a crash). Put that version back to recover them, or:\n\n"
                    f"Set them aside in {exc.aside.name} (and write them, applied to the file as it is now, beside "
                    "it) and open the folder as it is now?",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    widget._warn(str(exc))
                    return None
                with warnings.catch_warnings(record=True) as said:
                    warnings.simplefilter("always")
                    session = Session.open(path, discard_journal=True)
                note = "\n".join(str(w.message) for w in said) or None
        except InputError as exc:
            widget._warn(str(exc))
            return None
        if not session.images:
            session.close()
            widget._warn(
                f"{str(path)!r} holds no images (PNG, JPEG, TIFF, BMP, WebP) to annotate; choose another folder."
            )
            return None
        here = self.session is None and not any(widget.model.count(key) for key in widget.model.images)
        if here:
            self.open(session, note)
            return widget
        import napari

        viewer = napari.Viewer(title=f"interactive-seg: {Path(path).name}")
        other = type(widget)(viewer)  # another dock widget of this kind, in its own window
        viewer.window.add_dock_widget(other, name="Interactive segmentation", area="right")
        other.open_session(session, note)
        return other

    def title(self) -> str:
        """The image list's title: a group's title cannot wrap, so a long folder name is
        shortened in its middle (else the dock grows as wide as the name)."""
        count = len(self.session.images)
        name = self.session.folder.name
        if len(name) > TITLE_NAME_CHARACTERS:
            half = TITLE_NAME_CHARACTERS // 2
            name = f"{name[:half]}...{name[-half:]}"
        kind = "READ-ONLY" if self.session.read_only else "Folder"
        return f"{kind}: {name} ({counted(count, 'image')})"

    def cannot_save(self, what: str = "nothing was changed; the prompts stay") -> bool:
        """True (and says why) when the image shown belongs to a read-only folder session:
        a change there could not be saved, so none is made; ``what``: what that means here."""
        session, widget = self.session, self.widget
        if session is None or not session.read_only or widget._key not in session.images:
            return False
        widget._warn(f"Not saved: {session.read_only_reason}")  # whole, above the status line
        widget._say(f"Read-only: {what}.")
        return True

    def chosen(self, name: str) -> None:
        """Show image ``name`` of the folder; an unreadable one leaves the list, and the
        image on the canvas (and its objects) stays. A large image is read in a worker
        (:data:`READ_IN_WORKER_PIXELS`) while the window stays usable; "Opening ..." and a
        busy cursor say so until it is shown."""
        self.opening = token = object()  # a later choice makes this one stale
        images = self.widget.images
        if name == images.shown and images.pending:  # back before the other image came: it never does
            other, images.pending = images.pending, None
            self.widget._say(f"{name}: stayed; {other} is not opened.")
            return
        images.pending = None
        if _pixels(self.session.image_path(name)) < READ_IN_WORKER_PIXELS:
            with self.loading(name):
                try:
                    image = self.session.read(name)
                except InputError as exc:
                    image, error = None, exc
                if image is not None:
                    self._show(name, image)
            if image is None:
                self._read_failed(name, error)
            return
        from napari.qt.threading import create_worker

        self.widget._say(f"Opening {name}...")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        worker = create_worker(self.session.read, name, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda image: self._image_read(token, name, image, None))
        worker.errored.connect(lambda exc: self._image_read(token, name, None, exc))
        worker.finished.connect(QApplication.restoreOverrideCursor)
        self.read_worker = worker  # (held until the next one)
        self.widget.images.pending = name  # Next / Previous meanwhile go on from it; choosing it again waits
        worker.start()

    def _image_read(self, token, name: str, image, error) -> None:
        if token is not self.opening:
            return  # another image was chosen meanwhile
        self.widget.images.pending = None
        if error is not None and not isinstance(error, InputError):
            self.widget.images.set_shown(self.widget.images.shown)  # the highlight back on the image shown
            show_error(f"Could not open {name}: {error}")
            return
        if error is not None:
            self._read_failed(name, error)
            return
        with self.loading(name):
            self._show(name, image)

    def _show(self, name: str, image) -> None:
        widget = self.widget
        widget.keep_waiting_accept()  # on the image it was asked for, before that one goes
        widget._switching = True
        try:
            layer = widget.image_combo.add_session_image(image, name)
        finally:
            widget._switching = False
        widget.image_combo.refresh()
        widget.choose_image(layer)  # (highlights its row)
        widget._fit()
        passed = self._passed()
        if passed:  # the images Next passed over: said again, as showing this one settled the warning
            widget._warn("\n".join(passed), toast="")

    def _passed(self) -> list:
        """Why each unreadable image the last choice passed over was skipped."""
        return [self.skipped[name] for name in self.widget.images.passed if name in self.skipped]

    def _read_failed(self, name: str, error) -> None:
        widget = self.widget
        widget.images.refresh(self.session.images)
        widget.images.setTitle(self.title())
        said = self.skipped[name] = f"Skipped {name}: {error}"
        widget._warn("\n".join([*self._passed(), said]), toast=said)  # with the others skipped on the way
        shown = widget.images.shown
        widget._say(f"{shown} stays on the canvas." if shown else "")  # not "Opening ..." for good

    @contextmanager
    def loading(self, name: str):
        """While an image is opened: a busy cursor, and the status line says which image
        (drawn at once; a 6000 x 4000 photograph takes seconds to decode and show)."""
        self.widget._say(f"Opening {name}...")
        self.widget.status.repaint()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            yield
        finally:
            QApplication.restoreOverrideCursor()
