"""The Propose panel: objects proposed by a model (every instance of a phrase or of example
boxes, or every object on a grid), shown as their own layer for the annotator to accept or
reject.

Proposals are computed in a worker (napari's ``create_worker``) with progress and cancel;
nothing reaches the session until a proposal is accepted, and an accepted proposal is an
ordinary object of the annotations model (undone with Ctrl+Z like any other, refined by
editing it). A proposal that covers an existing object (IoU above :data:`OVERLAP`) is shown
as such and is never accepted twice.

Example boxes are drawn on the ``examples`` layer ("Draw example boxes"); Propose sends
them with the phrase (or alone) to the concept source. Proposals belong to the image they
were made on: another image shows its own (kept for the last :data:`KEEP_IMAGES` images),
never those of the image before.

The ``proposals`` layer is made with the widget's other layers when an image is shown
(:meth:`.canvas.Canvas.ensure`), not when proposals arrive: napari making a layer, and the
first frame that draws it, hold the window for hundreds of milliseconds on a software
OpenGL. The worker paints the proposals' region and its display colours; the GUI thread
copies that region into the layer and sends it to the screen
(:class:`~.canvas.RegionPainter`). Accepting or rejecting one redraws only its box.

Keys on the canvas while proposals are open, whichever of the widget's layers is active: A
accepts the proposal under the cursor, X rejects it, Shift+A accepts every proposal scored
at least "Accept above", Shift+X rejects the rest.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
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
from ..provenance import image_record, make_record
from ..wording import counted
from . import layers as L
from .keys import enter_to_canvas
from .object_panel import narrow_form

__all__ = ["KEEP_IMAGES", "OVERLAP", "ProposePanel"]

#: IoU with an existing object above which a proposal is that object again
OVERLAP = 0.5
LAYER = L.PROPOSALS
KEYS = {"accept": "a", "reject": "x", "accept_above": "Shift-A", "reject_rest": "Shift-X"}
#: the proposals of this many images are kept (the latest), to be shown again on going back
KEEP_IMAGES = 20


def _union(boxes) -> tuple | None:
    """The box around ``boxes`` (x0, y0, x1, y1), None without any."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _paint(proposals: list, states: list, box) -> np.ndarray:
    """The proposals layer's pixels inside ``box``: proposal i as i + 1 where it is open, the best on top."""
    x0, y0, x1, y1 = box
    region = np.zeros((y1 - y0, x1 - x0), np.uint16)
    order = sorted((i for i, s in enumerate(states) if s == "open"), key=lambda i: proposals[i].score)
    for i in order:
        p = proposals[i]
        px0, py0, px1, py1 = p.bbox
        ix0, iy0, ix1, iy1 = max(px0, x0), max(py0, y0), min(px1, x1), min(py1, y1)
        if ix0 >= ix1 or iy0 >= iy1:
            continue
        crop = p.crop[iy0 - py0 : iy1 - py0, ix0 - px0 : ix1 - px0]
        region[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0][crop] = i + 1
    return region


class ProposePanel(QGroupBox):
    """Propose, then accept or reject; ``widget`` is the dock widget (its image, model, classes, canvas)."""

    def __init__(self, widget):
        super().__init__("Propose")
        self.widget, self.viewer = widget, widget.viewer
        self.proposals: list = []
        self.states: list = []  # "open", "accepted", "rejected", or "overlaps N"
        self.labels: list = []  # the class each proposal becomes ("" = the current class)
        self.made: dict = {}  # proposal index -> the id of the object it became (Ctrl+Z reopens it)
        self._waiting: list = []  # proposals accepted in a worker (a large image): their ids to come
        self._image_rec: tuple | None = None  # (image key, its provenance image record)
        self._summary: str | None = None  # Shift+A's count, said once its objects accepted in a worker are in
        self.key = None  # the image the proposals shown belong to
        self.kept: OrderedDict = OrderedDict()  # image key -> (proposals, states, labels, made)
        self.worker = None
        self._painted = None  # (layer, its data, box): where the layer has proposals' pixels
        self._keys_on = False  # A, X, Shift+A, Shift+X bound on the widget's layers
        self._bound = weakref.WeakSet()  # proposals layers with the panel's keys
        self._proposers: dict = {}
        self._alive = {"yes": True}
        self.destroyed.connect(lambda *_, alive=self._alive: alive.update(yes=False))
        layout = QVBoxLayout(self)
        form = narrow_form()
        self.text = QLineEdit()
        self.text.setPlaceholderText("a phrase: car, yellow school bus")
        form.addRow("Find", self.text)
        self.examples_button = QPushButton("Draw example boxes")
        self.examples_button.setToolTip(
            "Draw boxes round a few objects to find (on the 'examples' layer); Propose finds every object "
            "like them, with the phrase or without. Delete a box on that layer to drop it."
        )
        self.examples_button.clicked.connect(self.draw_examples)
        form.addRow("Examples", self.examples_button)
        self.concept_model = QLineEdit("sam3")
        self.concept_model.setToolTip("The SAM 3 model for phrases: sam3 (download it first) or a model folder.")
        form.addRow("Phrase model", self.concept_model)
        self.everything = QCheckBox("Everything")  # (a short label: the dock keeps its width)
        self.everything.setToolTip("Propose every object: the SAM engine's model over a grid of points, no phrase.")
        form.addRow(self.everything)
        self.show_above = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.3)
        self.show_above.setToolTip("Proposals scored below this are not shown (0.3: SAM 3's own cut).")
        form.addRow("Show above", self.show_above)
        self.min_score = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.5)
        form.addRow("Accept above", self.min_score)
        layout.addLayout(form)
        # Enter in a field gives the keys back to the canvas (A, X... judge there); in Find it also proposes
        for field in (self.text, self.concept_model, self.show_above, self.min_score):
            enter_to_canvas(field, self.viewer, self.propose if field is self.text else None)
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
        # the proposals and the buttons that judge them: shown while the image has proposals
        self.list = QListWidget()
        self.list.setMaximumHeight(120)
        self.list.setVisible(False)
        layout.addWidget(self.list)
        # a row to accept, a row to reject (one row of four was wider than the dock)
        buttons = QGridLayout()
        self.judge_buttons = []
        for place, (text, slot) in enumerate(
            (
                ("Accept (A)", self.accept_under_cursor),
                ("Accept above (Shift+A)", self.accept_above),
                ("Reject (X)", self.reject_under_cursor),
                ("Reject rest (Shift+X)", self.reject_rest),
            )
        ):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, s=slot: s())
            button.setVisible(False)
            buttons.addWidget(button, place // 2, place % 2)
            self.judge_buttons.append(button)
        layout.addLayout(buttons)

    @property
    def layer(self):
        """The ``proposals`` layer (made by the canvas with the image's other layers)."""
        return self.widget.canvas.layer(LAYER)

    # -- images ------------------------------------------------------------------------------
    def image_shown(self, key) -> None:
        """The widget shows image ``key`` now: the proposals of the image before are kept
        and taken off the layer, this image's (if any were made) come back; the example
        boxes, drawn on the image before, go."""
        layer = self.layer
        if layer is not None and layer not in self._bound:
            self._bind(layer)
            self._bound.add(layer)
        examples = self.widget.canvas.layer(L.EXAMPLES)
        if examples is not None and len(examples.data) and key != self.key:
            examples.data = []
        if key == self.key:
            return
        self._keep()
        self.proposals, self.states, self.labels, self.made = self.kept.pop(key, ([], [], [], {}))
        self._waiting = []
        self.key = key
        self._draw_all()
        self._fill_list()
        self._judging(force=True)  # (the layers may be new ones)

    def _keep(self) -> None:
        if self.key is not None and self.proposals:
            self.kept[self.key] = (self.proposals, self.states, self.labels, self.made)
            self.kept.move_to_end(self.key)
            while len(self.kept) > KEEP_IMAGES:
                self.kept.popitem(last=False)

    # -- example boxes -----------------------------------------------------------------------
    def draw_examples(self) -> None:
        """The ``examples`` layer (made on the first call), active, in its rectangle mode."""
        if self.widget._image is None:
            self.widget._warn("Open an image first.")
            return
        layer = self.widget.canvas.layer(L.EXAMPLES)
        if layer is None:
            shape = self.widget._image.shape
            layer = self.viewer.add_shapes(
                name=L.EXAMPLES, edge_color="cyan", face_color="transparent", edge_width=max(2, max(shape[:2]) // 300)
            )
            L.restack(self.viewer, self.widget._image_layer)
            self._judging(force=True)  # A, X, Shift+A, Shift+X on it too while proposals are open
        self.viewer.layers.selection.active = layer
        layer.mode = "add_rectangle"
        self.widget._say("Draw a box round each example of what to find, then Propose (with a phrase or without).")

    def example_boxes(self) -> list:
        """The example boxes drawn on the current image, ``(x0, y0, x1, y1)``."""
        layer = self.widget.canvas.layer(L.EXAMPLES)
        return [] if layer is None else L.boxes_from_shapes(layer.data)

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
        if not self.text.text().strip() and not self.example_boxes():
            raise InputError("Type what to find (a short phrase such as car), draw example boxes, or tick Everything.")
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
        image, key = widget._image, widget._key
        text = (self.text.text().strip() or None) if source == "concept" else None
        boxes = self.example_boxes() if source == "concept" else []
        floor = self.show_above.value()
        layer = self.layer
        cmap = None if layer is None else layer.colormap

        def work():
            proposer = self._proposer(source, options)
            for step in proposer.steps(image, text=text, boxes=boxes):
                if isinstance(step, float):
                    yield step
                else:
                    found = [p for p in step if p.score >= floor]
                    # the overlaps, the layer's pixels and their colours here too: the GUI
                    # thread only copies them in
                    states = [self._overlap(p, key) or "open" for p in found]
                    box = _union(p.bbox for p, s in zip(found, states) if s == "open")
                    region = None if box is None else _paint(found, states, box)
                    colours = None if region is None or cmap is None else (cmap, cmap._data_to_texture(region))
                    return found, states, (box, region, colours)
            return [], [], (None, None, None)

        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        alive = self._alive  # (the window closed while proposing: what the worker reports after is dropped)
        worker.yielded.connect(lambda fraction: alive["yes"] and self.progress.setValue(int(100 * fraction)))
        worker.returned.connect(lambda result: alive["yes"] and self._show(*result, key=key, phrase=text or ""))

        def failed(exc) -> None:
            if alive["yes"]:
                widget._warn(str(exc) if isinstance(exc, InputError) else f"Proposing failed: {exc}")
                widget._say("No proposals: see the warning above.")  # ("Proposing..." no longer applies)

        worker.errored.connect(failed)
        worker.finished.connect(lambda: alive["yes"] and self._stopped())
        self.worker = worker
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.propose_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        widget._say("Proposing...")
        QTimer.singleShot(0, worker.start)  # after the frame that shows the panel's new state

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
    def _show(self, found: list, states=None, painted=None, *, key, phrase=None) -> None:
        """Show ``found`` (proposals of image ``key``, which become objects of class
        ``phrase``, "" for the current class, None for each one's own label); ``states`` and
        ``painted`` (the layer's region, its pixels and colours) are computed here when not
        given (they are, from the worker). Proposals of an image no longer shown are kept
        for it."""
        found = list(found)
        states = list(states) if states is not None else [self._overlap(p, key) or "open" for p in found]
        labels = [p.label if phrase is None else phrase for p in found]
        if key != self.widget._key:
            self.kept[key] = (found, states, labels, {})
            self.widget._say(f"{len(found)} proposals for another image: shown when you go back to it.")
            return
        self.proposals, self.states, self.labels, self.key = found, states, labels, key
        self.made, self._waiting = {}, []
        self._draw_all(painted)
        self._fill_list()
        self._judging()
        open_count = self.states.count("open")
        self.widget._say(
            f"{len(self.proposals)} proposals ({open_count} new): A / X accept / reject the one under the cursor, "
            "Shift+A accepts all above the score, Shift+X rejects the rest."
        )

    def _judging(self, force: bool = False) -> None:
        """While proposals of the image shown are open, A, X, Shift+A and Shift+X judge them
        whichever of the widget's layers is active (napari runs the active layer's keys
        first): no switch of layers, which takes napari 70-130 ms on a software OpenGL, and
        the annotator keeps the tool in hand. With none open, napari's own keys come back
        (A selects all boxes or points)."""
        on = "open" in self.states and self.key == self.widget._key
        if on == self._keys_on and not force:
            return
        self._keys_on = on
        for name in L.STACK:
            layer = self.widget.canvas.layer(name)
            if layer is None:
                continue
            for key, slot in self._slots():
                layer.bind_key(KEYS[key], (lambda _layer, s=slot: s()) if on else None, overwrite=True)

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

    def _draw_all(self, painted=None) -> None:
        """The layer shows the open proposals (the best on top) and nothing else: the
        region painted before is cleared, the new one copied in (``painted``: its box,
        pixels and colours, from the worker; else painted here)."""
        layer = self.layer
        if layer is None:
            return
        old = self._painted[2] if self._on_layer() else None  # (not on data of another size)
        if painted is None:
            box = _union(p.bbox for p, s in zip(self.proposals, self.states) if s == "open")
            painted = (box, None if box is None else _paint(self.proposals, self.states, box), None)
        box, region, colours = painted
        painter = self.widget.canvas.painter
        if old is not None:  # cleared: one colour, known without reading the pixels
            layer.data[L.box_slices(old)] = 0
            cmap = layer.colormap
            painter.paint(layer, old, (cmap, cmap._data_to_texture(np.zeros((1, 1), layer.data.dtype))[0, 0]))
        self._painted = None
        if box is None:
            return
        layer.data[L.box_slices(box)] = region
        if colours is not None and colours[0] is not layer.colormap:
            colours = None  # the layer's colours changed meanwhile: napari colours the region
        painter.paint(layer, box, colours)
        self._painted = (layer, layer.data, box)

    def _on_layer(self) -> bool:
        """True when the layer shows the proposals painted last (its data is the same array)."""
        layer = self.layer
        painted = self._painted
        return layer is not None and painted is not None and painted[0] is layer and painted[1] is layer.data

    def _redraw(self, indices) -> None:
        """Proposals ``indices`` changed state: their boxes on the layer, their rows in the list."""
        layer = self.layer
        for i in indices:
            if self._on_layer():
                box = self.proposals[i].bbox
                layer.data[L.box_slices(box)] = _paint(self.proposals, self.states, box)
                self.widget.canvas.painter.paint(layer, box)
            item = self.list.item(i)
            if item is not None:
                item.setText(self._row(i))
        self._judging()

    def _row(self, i: int) -> str:
        label = self.labels[i] if i < len(self.labels) else self.proposals[i].label
        return f"{i + 1}: {self.proposals[i].score:.2f} {label or '(current class)'} - {self.states[i]}"

    def _fill_list(self) -> None:
        shown = bool(self.proposals)
        for part in [self.list, *self.judge_buttons]:
            if part.isVisibleTo(self) != shown:
                part.setVisible(shown)
        self.list.clear()
        for i in range(len(self.proposals)):
            item = QListWidgetItem(self._row(i))
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.list.addItem(item)

    def _slots(self) -> tuple:
        return (
            ("accept", self.accept_under_cursor),
            ("reject", self.reject_under_cursor),
            ("accept_above", self.accept_above),
            ("reject_rest", self.reject_rest),
        )

    def _bind(self, layer) -> None:
        # a Labels layer undoes its own painting on Ctrl+Z; on this layer it is the widget's undo (the objects)
        layer.bind_key("Control-Z", lambda _layer: self.widget.undo(), overwrite=True)
        layer.bind_key("Control-Shift-Z", lambda _layer: self.widget.redo(), overwrite=True)

    # -- judging -----------------------------------------------------------------------------
    def under_cursor(self) -> int | None:
        """The index of the open proposal under the cursor, or None."""
        layer = self.layer
        if layer is None or not self.proposals or self.key != self.widget._key:
            return None
        row, col = (int(np.floor(v + 0.5)) for v in layer.world_to_data(self.viewer.cursor.position)[-2:])
        data = layer.data
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
                self._redraw([index])
            return False
        p = self.proposals[index]
        category = self.labels[index] if index < len(self.labels) else p.label
        change = self.widget._apply(
            self.widget.model.accept,
            self.widget._key,
            p.crop,
            category or self.widget.current_class(),
            offset=p.offset,
            provenance=self._record(p),
        )
        if change is None or (change is not Ellipsis and change.how == "not saved"):
            return False
        if change is Ellipsis:
            self._waiting.append(index)  # its object's id comes with the change (object_changed)
        else:
            self.made[index] = change.object_id
        self.states[index] = "accepted"
        if redraw:
            self._redraw([index])
        return True

    def _record(self, proposal) -> dict:
        """How an accepted proposal was made, as ``propose --as-dataset`` records it: the
        proposer (``propose-<source>``), its model, the phrase and the score; no prompts to
        replay (provenance.md). The image's fingerprint is hashed once per image."""
        if self._image_rec is None or self._image_rec[0] != self.key:
            self._image_rec = (self.key, image_record(self.widget._image))
        options = {"text": proposal.label, "score": round(float(proposal.score), 6)}
        engine = {"name": f"propose-{proposal.source or 'proposal'}", "options": options}
        if proposal.info.get("model"):
            engine["model"] = proposal.info["model"]
        return make_record(engine, {}, self._image_rec[1])

    def reject(self, index: int) -> None:
        if self.states[index] == "open":
            self.states[index] = "rejected"
            self._redraw([index])
            self.widget._say(f"Rejected proposal {index + 1}.")

    def object_changed(self, change) -> None:
        """An object change on the image shown: Ctrl+Z of an accepted proposal opens it again
        (drawn, A accepts it again); Ctrl+Shift+Z accepts it again."""
        if change.action != "accept" or change.image != self.key or not self.proposals:
            return
        if change.how == "done":  # accepted in a worker: which proposal it was, by its box
            for index in self._waiting:
                if self.proposals[index].bbox == change.bbox:
                    self._waiting.remove(index)
                    self.made[index] = change.object_id
                    if not self._waiting and self._summary:  # Shift+A's count, after the last object's line
                        QTimer.singleShot(0, lambda said=self._summary: self.widget._say(said))
                        self._summary = None
                    return
            return
        index = next((i for i, made in self.made.items() if made == change.object_id), None)
        if index is None:
            return
        if change.how == "undone" and self.states[index] == "accepted":
            self.states[index] = "open"
        elif change.how == "redone" and self.states[index] == "open":
            self.states[index] = "accepted"
        else:
            return
        self._redraw([index])

    def accept_under_cursor(self) -> bool:
        index = self.under_cursor()
        if index is None:
            show_info("Point at a proposal first.")
            return False
        if self.widget._cannot_save(f"proposal {index + 1} cannot be accepted in this window, so it stays open"):
            return False  # (before the accept: nothing of it, its class neither, is made)
        return self.accept(index)

    def reject_under_cursor(self) -> None:
        index = self.under_cursor()
        if index is None:
            show_info("Point at a proposal first.")
            return
        self.reject(index)

    def accept_above(self) -> int:
        """Accept every open proposal scored at least "Accept above", best first; how many were accepted."""
        if self._stale() or self.widget._cannot_save("no proposal can be accepted in this window"):
            return 0
        threshold = self.min_score.value()
        before = list(self.states)
        accepted = 0
        for i in sorted(range(len(self.proposals)), key=lambda i: -self.proposals[i].score):
            if self.states[i] == "open" and self.proposals[i].score >= threshold and self.accept(i, redraw=False):
                accepted += 1
        self._redraw_changed(before)
        said = f"Accepted {counted(accepted, 'proposal')} scored {threshold:.2f} or more."
        self._summary = said if self._waiting else None  # (accepted in a worker: said when the last is done)
        self.widget._say(said)
        return accepted

    def reject_rest(self) -> None:
        if self._stale():
            return
        before = list(self.states)
        self.states = ["rejected" if s == "open" else s for s in self.states]
        self._redraw_changed(before)
        count = sum(a != b for a, b in zip(before, self.states))
        if count:
            self.widget._say(
                f"Rejected the {count} proposals left open." if count > 1 else "Rejected the last open proposal."
            )
        else:
            self.widget._say("No proposal was left open, so none was rejected.")

    def _redraw_changed(self, before: list) -> None:
        """Redraw after many proposals changed: the region of all that did at once."""
        changed = [i for i, (a, b) in enumerate(zip(before, self.states)) if a != b]
        if not changed:
            return
        layer, box = self.layer, _union(self.proposals[i].bbox for i in changed)
        if self._on_layer():
            layer.data[L.box_slices(box)] = _paint(self.proposals, self.states, box)
            self.widget.canvas.painter.paint(layer, box)
        for i in changed:
            self.list.item(i).setText(self._row(i))
        self._judging()
