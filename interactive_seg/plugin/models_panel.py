"""The Models panel: download a model that is not in the cache, from the widget.

The engine menu lists every model and greys out the ones that need a download (see
:mod:`.engine_panel`). This panel lists those, and **Download** fetches the chosen one with
the catalogue's own code (:func:`~interactive_seg.engines.sam.models.download`: huggingface_hub
for Hub models, pooch for single files) in a worker thread, with its progress in bytes and a
**Cancel download** button; when it is in the cache the engine menu offers it and selects it.
A gated model without a Hugging Face login says, in one sentence that stays until it no longer
applies, how to log in. Nothing here names a model family: the panel lists the choices of the
chosen engine's ``model_type`` option that the catalogue knows.
"""

from __future__ import annotations

import threading
import time

from qtpy.QtCore import QObject, Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..engines import engine_class
from ..engines.sam import models
from ..errors import InputError
from .footer import MessageLabel

__all__ = ["ModelsPanel"]

#: how often the panel asks again whether a login message still applies (a login in a terminal)
RECHECK_MS = 2000
#: the fewest seconds between two progress reports carried to the GUI thread
REPORT_EVERY = 0.1


class _Relay(QObject):
    """Carries the download thread's byte counts to the GUI thread (a queued signal)."""

    progress = Signal(object, object)


def _mb(size: float) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 10e6 else f"{size / 1e6:.1f} MB"


class ModelsPanel(QGroupBox):
    """Download models that are not in the cache, for the engine chosen in ``engines``.

    ``engines`` is the :class:`~.engine_panel.EnginePanel`; ``cache`` the cache folder
    (default: the catalogue's).
    """

    def __init__(self, engines, cache=None, parent=None):
        super().__init__("Models", parent)
        self.engines, self.cache = engines, cache
        self._worker = None
        self._cancel: threading.Event | None = None
        self._downloading = ""  # the model being fetched
        # the panel closed (napari quit, the dock widget removed): a download running stops, and
        # what its worker reports after is dropped
        self._alive = {"yes": True}
        self.destroyed.connect(lambda *_, alive=self._alive: alive.update(yes=False))
        self._relay = _Relay()
        self._relay.progress.connect(self._show_progress)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.choice = QComboBox()
        self.choice.setToolTip("The models of this engine that are not in the cache yet.")
        row.addWidget(self.choice, 1)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download)
        row.addWidget(self.download_button)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.cancel_button)
        # what the panel has to say (a login to make, a failed download), whole, until it no longer applies
        self.message = MessageLabel()  # (a path or a model's long name wraps: the dock keeps its width)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self._recheck = QTimer(self)
        self._recheck.setInterval(RECHECK_MS)
        self._recheck.timeout.connect(self._login_still_needed)
        self.choice.currentIndexChanged.connect(lambda _: self._chosen())
        engines.combo.currentTextChanged.connect(lambda _: self.refresh())
        self.refresh()

    # -- what is listed ------------------------------------------------------------------
    def _model_field(self) -> QComboBox | None:
        """The chosen engine's model menu, when its models are the catalogue's."""
        name = self.engines.name()
        try:
            options = {option.name: option for option in engine_class(name).options}
        except InputError:
            return None
        option = options.get("model_type")
        if option is None or not option.choices or not set(option.choices) & set(models.catalogue()):
            return None
        try:
            field = self.engines.field(name, "model_type")
        except KeyError:  # the engine's options could not be listed (said by the engine panel)
            return None
        return field if isinstance(field, QComboBox) else None

    def missing(self) -> list:
        """The chosen engine's models that need a download, in the menu's order."""
        field = self._model_field()
        if field is None:
            return []
        known = models.catalogue()
        names = [field.itemText(i) for i in range(field.count())]
        return [name for name in names if name in known and not models.is_cached(name, self.cache)]

    def refresh(self) -> None:
        """List again the models that need a download (the engine or the cache changed)."""
        if self._model_field() is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        if self._downloading:
            return
        missing = self.missing()
        current = self.choice.currentData()
        field = self._model_field()
        wanted = field.currentText() if field is not None else None
        self.choice.blockSignals(True)
        self.choice.clear()
        known = models.catalogue()
        for name in missing:
            info = known[name]
            self.choice.addItem(f"{name}  ({_mb(info.size)})", name)
            self.choice.setItemData(
                self.choice.count() - 1, f"{info.note}; from {info.source}", Qt.ItemDataRole.ToolTipRole
            )
        # the one chosen here before, while it still needs a download; else the engine's model
        for pick in (current, wanted):
            if pick in missing:
                self.choice.setCurrentIndex(missing.index(pick))
                break
        self.choice.blockSignals(False)
        self.choice.setVisible(bool(missing))
        self.download_button.setVisible(bool(missing))
        self.download_button.setEnabled(bool(missing))
        self._chosen()

    def _chosen(self) -> None:
        """Say what stands in the way of the chosen model (a login), or nothing."""
        if self._downloading:
            return
        name = self.choice.currentData()
        if not name:
            self._say("Every model of this engine is in the cache." if self._model_field() is not None else "")
            return
        login = models.login_needed(name, self.cache)
        self._say(login or "", login=bool(login))

    def _say(self, text: str, login: bool = False) -> None:
        """Show ``text`` whole until it no longer applies; a login sentence is asked again every
        few seconds, so it goes once the login is made (in a terminal, say)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if login:
            self._recheck.start()
        else:
            self._recheck.stop()

    def _login_still_needed(self) -> None:
        name = self.choice.currentData()
        if self._downloading or not name or models.login_needed(name, self.cache) is None:
            self._recheck.stop()
            if not self._downloading:
                self.refresh()

    # -- downloading ---------------------------------------------------------------------
    @property
    def downloading(self) -> str:
        """The model being downloaded ("" when none)."""
        return self._downloading

    def download(self) -> None:
        """Fetch the chosen model in a worker thread (progress shown; Cancel stops it)."""
        name = self.choice.currentData()
        if not name or self._downloading:
            return
        login = models.login_needed(name, self.cache)
        if login:
            self._say(login, login=True)
            return
        from napari.qt.threading import create_worker

        info = models.model_info(name)
        self._downloading, self._cancel = name, threading.Event()
        cancel, relay, last = self._cancel, self._relay, [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= REPORT_EVERY or done >= total:
                last[0] = now
                relay.progress.emit(done, total)

        def work():
            return models.download(name, cache=self.cache, progress=False, report=report, cancel=cancel)

        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat(f"{name}: starting ({_mb(info.size)})")
        self.progress.setVisible(True)
        self.cancel_button.setText("Cancel download")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setVisible(True)
        self.download_button.setEnabled(False)
        self.choice.setEnabled(False)
        self._say(f"Downloading {name} ({_mb(info.size)}) from {info.source}.")
        alive = self._alive
        self.destroyed.connect(lambda *_: cancel.set())
        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda path: alive["yes"] and self._finished(name, None))
        worker.errored.connect(lambda exc: alive["yes"] and self._finished(name, exc))
        self._worker = worker
        worker.start()

    def cancel(self) -> None:
        """Stop the download at its next chunk (a Hub download resumes there next time)."""
        if self._cancel is not None and self._downloading:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling...")

    def _show_progress(self, done, total) -> None:
        if not self._alive["yes"] or not self._downloading:
            return
        total = max(int(total), 1)
        self.progress.setValue(int(1000 * min(int(done), total) / total))
        self.progress.setFormat(f"{self._downloading}: {_mb(done)} of {_mb(total)}")

    def _finished(self, name: str, error: BaseException | None) -> None:
        self._downloading, self._worker = "", None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.choice.setEnabled(True)
        if error is None:
            self.engines.recheck()
            self._select(name)
            self.refresh()
            self._say(f"{name} is downloaded and chosen as the model.")
            return
        self.refresh()
        if isinstance(error, models.Cancelled):
            how = "Download again resumes it" if models.model_info(name).repo else "Download again starts it over"
            self._say(f"The download of {name} was cancelled; {how}.")
        elif isinstance(error, InputError):
            self._say(str(error))
        else:
            self._say(f"Downloading {name} failed ({type(error).__name__}: {error}); try again.")

    def _select(self, name: str) -> None:
        field = self._model_field()
        if field is not None and field.findText(name) >= 0:
            field.setCurrentText(name)
