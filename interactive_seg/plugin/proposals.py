"""The Propose panel: objects proposed by a model (every instance of a phrase, or every
object on a grid), shown as their own layer for the annotator to accept or reject.

Proposals are computed in a worker (napari's ``create_worker``) with progress and cancel;
nothing reaches the session until a proposal is accepted, and an accepted proposal is an
ordinary object of the annotations model (undone with Ctrl+Z like any other, refined by
editing it). A proposal that covers an existing object (IoU above :data:`OVERLAP`) is shown
as such and is never accepted twice.

Keys on the ``proposals`` layer: A accepts the proposal under the cursor, X rejects it,
Shift+A accepts every proposal scored at least "Accept above", Shift+X rejects the rest.
"""

from __future__ import annotations

import numpy as np
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..errors import InputError
from ..proposals import get_proposer
from ..proposals.base import iou

__all__ = ["OVERLAP", "ProposePanel"]

#: IoU with an existing object above which a proposal is that object again
OVERLAP = 0.5
LAYER = "proposals"
KEYS = {"accept": "a", "reject": "x", "accept_above": "Shift-A", "reject_rest": "Shift-X"}


def _paint(proposals: list, states: list, shape) -> np.ndarray:
    """The proposals layer's pixels: proposal i as i + 1 where it is open, the best on top."""
    data = np.zeros(shape, np.int32)
    order = sorted((i for i, s in enumerate(states) if s == "open"), key=lambda i: proposals[i].score)
    for i in order:
        p = proposals[i]
        x0, y0, x1, y1 = p.bbox
        data[y0:y1, x0:x1][p.crop] = i + 1
    return data


class ProposePanel(QGroupBox):
    """Propose, then accept or reject; ``widget`` is the dock widget (its image, model, classes)."""

    def __init__(self, widget):
        super().__init__("Propose")
        self.widget, self.viewer = widget, widget.viewer
        self.proposals: list = []
        self.states: list = []  # "open", "accepted", "rejected", or "overlaps N"
        self.key = None
        self.layer = None
        self.worker = None
        self._proposers: dict = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText("a phrase: car, yellow school bus")
        form.addRow("Find", self.text)
        self.concept_model = QLineEdit("sam3")
        self.concept_model.setToolTip("The SAM 3 model for phrases: sam3 (download it first) or a model folder.")
        form.addRow("Phrase model", self.concept_model)
        self.everything = QCheckBox("Everything (the SAM engine's model over a grid of points)")
        form.addRow(self.everything)
        self.show_above = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.3)
        self.show_above.setToolTip("Proposals scored below this are not shown (0.3: SAM 3's own cut).")
        form.addRow("Show above", self.show_above)
        self.min_score = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.5)
        form.addRow("Accept above", self.min_score)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.propose_button = QPushButton("Propose")
        self.propose_button.clicked.connect(self.propose)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.propose_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.list = QListWidget()
        self.list.setMaximumHeight(120)
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Accept (A)", self.accept_under_cursor),
            ("Reject (X)", self.reject_under_cursor),
            ("Accept above (Shift+A)", self.accept_above),
            ("Reject rest (Shift+X)", self.reject_rest),
        ):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, s=slot: s())
            buttons.addWidget(button)
        layout.addLayout(buttons)

    # -- computing ---------------------------------------------------------------------------
    def _spec(self) -> tuple:
        """(source, options) of the proposer the panel's settings ask for."""
        if self.everything.isChecked():
            engines = self.widget.engines
            if engines.name() != "sam":
                raise InputError("Everything needs a SAM model: choose the sam engine and its model above first.")
            opts = engines.options()
            options = {k: opts[k] for k in ("model_type", "checkpoint", "device") if opts.get(k) is not None}
            return "everything", dict(options, points_per_side=16)
        if not self.text.text().strip():
            raise InputError("Type what to find (a short phrase such as car), or tick Everything.")
        return "concept", {"model": self.concept_model.text().strip() or "sam3", "threshold": self.show_above.value()}

    def _proposer(self, source: str, options: dict):
        key = (source, tuple(sorted(options.items())))
        if key not in self._proposers:
            self._proposers = {key: get_proposer(source, **options)}  # one model held at a time
        return self._proposers[key]

    def propose(self) -> None:
        """Compute proposals for the current image in a worker."""
        widget = self.widget
        if widget._image is None or self.worker is not None:
            return
        try:
            source, options = self._spec()
        except InputError as exc:
            widget._warn(str(exc))
            return
        image, key, text = widget._image, widget._key, self.text.text().strip() or None
        floor = self.show_above.value()

        def work():
            proposer = self._proposer(source, options)
            for step in proposer.steps(image, text=text if source == "concept" else None):
                if isinstance(step, float):
                    yield step
                else:
                    found = [p for p in step if p.score >= floor]
                    # the overlaps and the layer's pixels here too: the GUI thread only shows them
                    states = [self._overlap(p, key) or "open" for p in found]
                    return found, states, _paint(found, states, image.shape[:2])
            return [], [], None

        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(lambda fraction: self.progress.setValue(int(100 * fraction)))
        worker.returned.connect(lambda result: self._show(*result, key=key))
        worker.errored.connect(
            lambda exc: widget._warn(str(exc) if isinstance(exc, InputError) else f"Proposing failed: {exc}")
        )
        worker.finished.connect(self._stopped)
        self.worker = worker
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.propose_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        widget._say("Proposing...")
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.widget._say("Proposing cancelled.")

    def _stopped(self) -> None:
        self.worker = None
        self.progress.setVisible(False)
        self.propose_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    # -- showing -----------------------------------------------------------------------------
    def _show(self, found: list, states=None, data=None, *, key) -> None:
        """Show ``found`` (proposals of image ``key``); ``states`` and the layer's ``data`` are
        computed here when not given (they are, from the worker)."""
        self.proposals, self.key = list(found), key
        self.states = list(states) if states is not None else [self._overlap(p, key) or "open" for p in self.proposals]
        self._redraw(data)
        open_count = self.states.count("open")
        self.widget._say(
            f"{len(self.proposals)} proposals ({open_count} new): A / X accept / reject the one under the cursor, "
            "Shift+A accepts all above the score, Shift+X rejects the rest."
        )

    def _overlap(self, proposal, key) -> str | None:
        """ "overlaps object N" when ``proposal`` covers an object of image ``key`` (IoU above :data:`OVERLAP`)."""
        objects = self.widget.model.objects(key)
        for object_id in objects.ids:
            crop, offset = objects.crop(object_id)
            if iou(proposal, crop, offset) > OVERLAP:
                return f"overlaps object {object_id}"
        return None

    def _check_overlap(self, index: int) -> bool:
        """Mark proposal ``index`` as overlapping an existing object; True when it does."""
        found = self._overlap(self.proposals[index], self.key)
        if found:
            self.states[index] = found
        return bool(found)

    def _redraw(self, data=None) -> None:
        """The layer (open proposals, the best on top) and the list (every proposal with its score and state)."""
        if data is None:
            shape = self.proposals[0].shape if self.proposals else self.widget._image.shape[:2]
            data = _paint(self.proposals, self.states, shape)
        if self.layer is None or self.layer not in self.viewer.layers:
            self.layer = self.viewer.add_labels(data, name=LAYER, opacity=0.45)
            self._bind(self.layer)
        else:
            self.layer.data = data
        self.viewer.layers.selection.active = self.layer
        self.list.clear()
        for i, (p, state) in enumerate(zip(self.proposals, self.states)):
            item = QListWidgetItem(f"{i + 1}: {p.score:.2f} {p.label or '(current class)'} - {state}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.list.addItem(item)

    def _bind(self, layer) -> None:
        for name, slot in (
            ("accept", self.accept_under_cursor),
            ("reject", self.reject_under_cursor),
            ("accept_above", self.accept_above),
            ("reject_rest", self.reject_rest),
        ):
            layer.bind_key(KEYS[name], lambda _layer, s=slot: s(), overwrite=True)
        # a Labels layer undoes its own painting on Ctrl+Z; on this layer it is the widget's undo (the objects)
        layer.bind_key("Control-Z", lambda _layer: self.widget.undo(), overwrite=True)
        layer.bind_key("Control-Shift-Z", lambda _layer: self.widget.redo(), overwrite=True)

    # -- judging -----------------------------------------------------------------------------
    def under_cursor(self) -> int | None:
        """The index of the open proposal under the cursor, or None."""
        if self.layer is None or not self.proposals:
            return None
        row, col = (int(np.floor(v + 0.5)) for v in self.layer.world_to_data(self.viewer.cursor.position)[-2:])
        data = self.layer.data
        if not (0 <= row < data.shape[0] and 0 <= col < data.shape[1]) or data[row, col] == 0:
            return None
        return int(data[row, col]) - 1

    def _stale(self) -> bool:
        if self.key is not None and self.key != self.widget._key:
            self.widget._warn("These proposals belong to another image; propose again on this one.")
            return True
        return False

    def accept(self, index: int, redraw: bool = True) -> bool:
        """Make proposal ``index`` an object (class: its phrase, else the current class); True when it was."""
        if self._stale() or self.states[index] != "open":
            return False
        if self._check_overlap(index):
            self.widget._say(f"Proposal {index + 1} {self.states[index]}; not accepted again.")
            if redraw:
                self._redraw()
            return False
        p = self.proposals[index]
        change = self.widget._apply(
            self.widget.model.accept, self.widget._key, p.crop, p.label or self.widget.current_class(), offset=p.offset
        )
        if change is None or (change is not Ellipsis and change.how == "not saved"):
            return False
        self.states[index] = "accepted"
        if redraw:
            self._redraw()
        return True

    def reject(self, index: int) -> None:
        if self.states[index] == "open":
            self.states[index] = "rejected"
            self._redraw()

    def accept_under_cursor(self) -> bool:
        index = self.under_cursor()
        if index is None:
            show_info("Point at a proposal first.")
            return False
        return self.accept(index)

    def reject_under_cursor(self) -> None:
        index = self.under_cursor()
        if index is None:
            show_info("Point at a proposal first.")
            return
        self.reject(index)

    def accept_above(self) -> int:
        """Accept every open proposal scored at least "Accept above", best first; how many were accepted."""
        if self._stale():
            return 0
        threshold = self.min_score.value()
        accepted = 0
        for i in sorted(range(len(self.proposals)), key=lambda i: -self.proposals[i].score):
            if self.states[i] == "open" and self.proposals[i].score >= threshold and self.accept(i, redraw=False):
                accepted += 1
        self._redraw()
        self.widget._say(f"Accepted {accepted} proposals scored {threshold:.2f} or more.")
        return accepted

    def reject_rest(self) -> None:
        self.states = ["rejected" if s == "open" else s for s in self.states]
        self._redraw()
