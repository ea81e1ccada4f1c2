"""The "Interactive segmentation" dock widget: layout and wiring, nothing more.

The work happens elsewhere: objects, classes, undo, saving and export in the Qt-free
:class:`~interactive_seg.model.annotations.Annotations` model; engine calls in :mod:`.preview` (worker threads,
stale results dropped); the layers in :mod:`.canvas`; the panels in their own modules: the engine menu
(:mod:`.engine_panel`), the prompts (:mod:`.prompts_panel`), proposals (:mod:`.proposals`), the classes
(:mod:`.class_list`), the objects and their review (:mod:`.object_panel`), a folder's images (:mod:`.image_list`,
:mod:`.folder`) and export (:mod:`.export_panel`, :mod:`.export_dialog`). Every message to the user leaves through
this module (napari notifications, the notice and the status line).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from napari.layers import Image
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QLabel, QSizePolicy, QWidget

from ..errors import IncompletePrompts, InputError
from ..model.annotations import Annotations
from ..wording import counted
from . import layers as L
from .canvas import Canvas
from .changes import Changes
from .class_list import ClassList
from .engine_panel import EnginePanel
from .export_dialog import ExportDialog
from .export_panel import Exporter
from .folder import Folder
from .footer import Footer
from .image_choice import ImageChoice, image_of
from .image_list import ImageList
from .io import upright_layer
from .jobs import Jobs
from .keys import KEYS, KEYS_HELP, KeyRouter, bind_on_canvas, guard_wheel, widget_actions
from .models_panel import ModelsPanel
from .object_panel import ObjectPanel, narrow_form, scrolled
from .preview import Preview, PreviewRunner
from .prompt_steps import CALLED_OFF
from .prompt_steps import describe as _describe
from .prompts_panel import PromptsPanel
from .proposals import ProposePanel
from .undo import UndoRedo

__all__ = ["SegmentationWidget", "ExportDialog", "KEYS"]

DRAW = "Draw a box, click points or brush scribbles."

#: How long a change of image waits for the preview of an Accept asked for before it came.
KEEP_WAITING_SECONDS = 30


class SegmentationWidget(QWidget):
    """Dock widget: draw a box, click points or brush scribbles; accept objects with a class."""

    def __init__(self, napari_viewer):
        super().__init__()
        # napari hands a plugin's widget (Plugins menu, `napari -w`) a PublicOnlyProxy of the viewer, which
        # makes a new proxy at every access: `layers["scribbles"] is layers["scribbles"]` is False there, so
        # the widget could not tell its own layers from the real ones napari passes to key bindings and events
        # (Ctrl+Z on a stroke undid an object), and weak references to them died at once. The widget works on
        # the viewer itself; its few uses of napari's private API are guarded where they are.
        self.viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        self.model = Annotations()
        self._image: Optional[np.ndarray] = None
        self._key = None  # the model's key of the current image
        self._editing: Optional[int] = None
        self._kept: Optional[int] = None  # the object the last Accept kept, while nothing new is drawn
        self._prior: Optional[np.ndarray] = None  # the edited object's mask, one array per edit
        self._preview: Optional[Preview] = None  # what Accept keeps
        self._switching = False  # a session is swapping its image layer
        self._refusal: Optional[str] = None  # why the engine gave no preview for the prompts now
        self._fitted = False  # the first image was fitted to the canvas once it had its size
        self._accept_next = False  # Shift+Enter while the preview was computed: accept it when it comes
        self._accept_class = None  # ... as the class chosen at Shift+Enter
        self._not_kept: Optional[str] = None  # why such an Accept was not kept, for the next image
        self.canvas = Canvas(self.viewer, self._prompts_changed, lambda points: self.prompt_panel.points_made())
        self.runner = PreviewRunner(self._on_result, self._on_refused, self._on_failed, self._say, self._on_embedding)
        self.history = UndoRedo(self)
        self.changes = Changes(self)
        self._apply, self._changed = self.changes.apply, self.changes.show
        self.jobs = Jobs(lambda busy: self._update_buttons())  # object changes and exports, in a worker on large images
        self.exporter = Exporter(self)
        self.export, self.start_export, self.open_export_dialog = (
            self.exporter.export,
            self.exporter.start,
            self.exporter.open_dialog,
        )
        self.folder = Folder(self)
        self._build()
        self.viewer.layers.events.inserted.connect(self._layers_changed)
        self.viewer.layers.events.removed.connect(self._layers_changed)
        # an Accept waiting for its preview is kept before a layer goes (viewer.close() removes them all)
        self.viewer.layers.events.removing.connect(
            lambda *_: self._switching or self.keep_waiting_accept("its layer goes")
        )
        actions = widget_actions(self)
        bind_on_canvas(self.viewer, actions)
        self.router = KeyRouter(self, KEYS, actions)
        guard_wheel(self)
        self.viewer.cursor.events.position.connect(self._hover)
        self._box_edges = L.BoxEdges(self.viewer, self.canvas.layer)  # a box's edge: 3 screen pixels at any zoom
        self._layers_changed()
        self.close_session = self.folder.close  # also when the window closes or the dock goes

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        # The lists and settings scroll; the footer (the buttons of every minute, the object
        # under the cursor, the messages) stays pinned below them, so a 720-pixel screen shows
        # it whatever the folder, the engine or the number of objects.
        outer, layout, self.scroll = scrolled(self)

        self.images = ImageList(self.folder.chosen, self.model.count, say=self._say)
        layout.addWidget(self.images)
        self.image_list, self.previous_button, self.next_button = self.images.parts()

        form = narrow_form()
        self.image_combo = ImageChoice(self.viewer, self.choose_image)
        form.addRow("Image", self.folder.image_row(self.image_combo))  # with "Open folder..."
        self.open_folder_button = self.folder.open_button
        layout.addLayout(form)
        # the classes and objects first: on a 1600 x 1000 screen they show without scrolling
        self.classes = ClassList(
            self._rename_class, self._warn, changed=self._show_object_list, settle=self._settled, say=self._say
        )
        self.classes.set_model(self.model)
        self.classes.image = lambda: self._key
        self.class_list, self.add_class_button, self.remove_class_button = (
            self.classes.list,
            self.classes.add_button,
            self.classes.remove_button,
        )
        layout.addWidget(self.classes)

        self.objects_panel = ObjectPanel(self)
        self.object_list, self.review_filter, self.colour_combo = (
            self.objects_panel.list,
            self.objects_panel.review_filter,
            self.objects_panel.colour_combo,
        )
        self.edit_button, self.delete_button = self.objects_panel.edit_button, self.objects_panel.delete_button
        layout.addWidget(self.objects_panel)
        self.engines = EnginePanel(self._engine_changed, self._warn)
        self.engine_combo, self.cancel_button = self.engines.combo, self.engines.cancel_button
        self.cancel_button.clicked.connect(self.cancel_embedding)
        layout.addWidget(self.engines)
        self.models_panel = ModelsPanel(self.engines)  # models not in the cache: Download (issue 31)
        layout.addWidget(self.models_panel)

        self.prompt_panel = PromptsPanel(self, KEYS)
        self.point_toggle, self.brush_combo, self.fresh_marks, self.brush_spin = (
            self.prompt_panel.point_toggle,
            self.prompt_panel.brush_combo,
            self.prompt_panel.fresh_marks,
            self.prompt_panel.brush_spin,
        )
        layout.addWidget(self.prompt_panel)

        self.proposals = ProposePanel(self)  # objects proposed by a model, accepted or rejected (issue 32)
        layout.addWidget(self.proposals)
        keys = QLabel(KEYS_HELP)
        keys.setWordWrap(True)  # wrapped to the panel's width, which its own hint (~550 px) no longer sets:
        keys.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # the canvas keeps its room
        layout.addWidget(keys)
        layout.addStretch(1)

        footer = self.footer = Footer(self)  # pinned below the panels
        self.hover, self.notice, self.status = footer.hover, footer.notice, footer.status
        self.accept_button, self.clear_button = footer.accept_button, footer.clear_button
        self.undo_button, self.redo_button, self.export_button = (
            footer.undo_button,
            footer.redo_button,
            footer.export_button,
        )
        outer.addWidget(footer)
        self._update_buttons()

    def set_marks(self, background: bool) -> None:
        """Foreground or background marks from now on: the brush and the next click."""
        self.prompt_panel.set_marks(background)
        self._say(f"Marks: {'background (red)' if background else 'foreground (green)'} brush and clicks.")

    # -- messages ------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        shown = not self.notice.isHidden() and self.notice.text() == text  # whole above already: not twice
        self.status.setText("" if shown else text)

    def _warn(self, text: str, toast: Optional[str] = None, lasting: bool = False) -> None:
        """A warning: napari's notification (``toast`` if given; "": none), whole in the panel until it goes."""
        if toast != "":
            show_warning(toast or text)
        self.footer.warn(text, lasting)
        if self.status.text() == text:
            self.status.setText("")  # said once, in the warning's place

    def _settled(self) -> None:
        """The warning shown no longer applies (another image, a preview, a kept object)."""
        self.footer.settle()

    # -- folder sessions -----------------------------------------------------------------
    @property
    def session(self):
        return self.model.session

    def open_session(self, session, note: Optional[str] = None) -> None:
        """Work through the images of a :class:`~interactive_seg.Session`, saving every change."""
        self.folder.open(session, note)

    def _cannot_save(self, what: str = "nothing was changed; the prompts stay") -> bool:
        return self.folder.cannot_save(what)

    def step_image(self, step: int) -> None:
        """Go to the next (+1) or previous (-1) image of the folder."""
        if self.session is not None:
            self.images.step(step)

    def _fit(self) -> None:
        """Show the whole image: now, and again once the canvas has its final size (the dock's width)."""
        self.viewer.reset_view()
        QTimer.singleShot(0, self.viewer.reset_view)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._fitted and self._image is not None:
            self._fitted = True
            QTimer.singleShot(0, self.viewer.reset_view)  # docked: the canvas got narrower

    # -- images --------------------------------------------------------------------------
    @property
    def _image_layer(self) -> Optional[Image]:
        return self.image_combo.current

    def _layers_changed(self, event=None) -> None:
        if self._switching:
            return
        if getattr(event, "type", "") == "removed" and isinstance(event.value, Image):
            self.jobs.finish()
            layer = event.value
            if not self.image_combo.is_session_layer(layer):
                self.model.close(self.image_combo.key_of(layer))  # only the layer held its objects
            if layer is self._image_layer:
                self._image = self._key = None
            self.image_combo.forget(layer)
        self.image_combo.refresh()
        if self._image_layer is None and self.image_combo.layers():
            self.choose_image(self.image_combo.layers()[0])
        if getattr(event, "type", "") == "inserted" and isinstance(event.value, Image):
            # napari makes a new layer the active one after this event: look again after it
            QTimer.singleShot(0, lambda layer=event.value: self._image_opened(layer))

    def _image_opened(self, layer: Image) -> None:
        """An image the user just opened is the one to segment, with ``boxes`` active."""
        if layer not in self.viewer.layers or self._switching:
            return
        upright_layer(layer)  # a phone photo napari's reader opened lying on its side
        if layer is not self._image_layer:
            self.choose_image(layer)
        elif isinstance(self.viewer.layers.selection.active, Image):
            self.canvas.select(L.BOXES)

    def choose_image(self, layer: Image) -> None:
        """Segment in ``layer`` from now on: its objects are shown, the prompts start afresh."""
        self.keep_waiting_accept()
        self.jobs.finish()
        before = self.image_combo.current  # prompts not accepted are not carried over: said, not dropped unsaid
        moved = before is not None and before is not layer and before.name
        dropped = self.history.making() and moved
        edited = self._editing if moved else None
        try:
            image = image_of(layer)
            key = self.image_combo.key_of(layer)
            objects = self.model.open(key, image.shape[:2], file_name=self.image_combo.file_name(layer))
        except InputError as exc:
            self._warn(str(exc))
            return
        shape = image.shape[:2]
        self.image_combo.current, self._image, self._key = layer, image, key
        if self.session is not None:  # the list highlights the image on the canvas, or none
            self.images.set_shown(key if self.image_combo.is_session_layer(layer) else None)
        self.canvas.ensure(shape, self.prompt_panel.brush_for(shape), objects)
        self._box_edges()
        self.prompt_panel.bind_layer_keys()
        self.proposals.image_shown(key)  # this image's proposals, none of the image before
        L.restack(self.viewer, layer)  # this image above the others, the prompts on top
        self.canvas.select(L.BOXES)
        self.clear(say=False)
        self._show_object_list()
        self.image_combo.refresh()
        self._settled()
        self._hover()
        idle = f"The edit of object {edited} on {moved} was left, nothing drawn. " if edited and not dropped else ""
        self._say(f"{idle}{layer.name}: {shape[1]} x {shape[0]}. {DRAW}")
        if self._not_kept:  # an Accept on the image before that could not be kept
            self._warn(self._not_kept)
            self._not_kept = None
        elif dropped:
            left = f"The edit of object {edited} on {dropped} was left (the object unchanged)"
            what = left if edited else f"The object being made on {dropped} was not kept"
            self._warn(f"{what}: Accept (Shift+Enter) keeps one before moving on.", lasting=True)
        self._embed()

    # -- engine --------------------------------------------------------------------------
    def engine(self):
        """The engine for the current settings, built once and reused while they stay."""
        if not self.engines.name():
            raise InputError("No segmentation engine is installed; run: pip install --force-reinstall interactive-seg")
        return self.runner.engine(self.engines.name(), self.engines.options())

    def _engine_or_say_why(self):
        try:
            return self.engine()
        except InputError as exc:
            self._warn(str(exc))
            return None

    def _engine_changed(self) -> None:
        guard_wheel(self.engines)  # the engine's options box, built on its first choice
        self._embed()
        self._prompts_changed(new_step=False)

    def _embed(self) -> None:
        if self._image is None:
            return
        engine = self._engine_or_say_why()
        if engine is not None and engine.embeds:
            self.runner.embed(engine, self._image, f"Embedding {self._image_layer.name}")

    def cancel_embedding(self) -> None:
        self.runner.cancel_embedding()

    def _on_embedding(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)

    @property
    def embedding(self) -> bool:
        """True while an image encoder runs (or waits to run) in the background."""
        return self.runner.embedding

    @property
    def busy(self) -> bool:
        """True while an engine call runs or waits to run."""
        return self.runner.busy

    @property
    def last_result(self):
        return self.runner.last_result

    # -- prompts and preview -------------------------------------------------------------
    def _prompts_changed(self, event=None, new_step: bool = True) -> None:
        """Read the prompts and ask for a preview. ``new_step``: the user added a step (a
        box, a click, a stroke), which drops the redo of what Ctrl+Z undid."""
        if self.canvas.updating or self._image is None:
            return
        action = getattr(event, "action", None)
        if action is not None and str(getattr(action, "value", action)) not in ("added", "changed", "removed"):
            return  # napari also reports 'adding' / 'changing' before the edit is done
        if new_step:  # a new step of the user's: a redo of what was undone is gone (and an Accept waiting)
            self.history.new_step()
            self._settled()  # a warning about the prompts before no longer applies
            if self._accept_next:  # never dropped unsaid (the status line said it would be kept)
                self._warn(CALLED_OFF, lasting=True)  # (until the next Accept, Clear or image)
                self._say(CALLED_OFF)
            self._accept_next = False
        self._refusal = None
        self._update_buttons()
        try:
            prompts = self.canvas.prompts(prior=self._prior)
        except InputError as exc:
            self._warn(str(exc))
            return
        if prompts.is_empty:
            self.runner.invalidate()
            self._set_preview(None)
            self._settled()  # (what was said of prompts undone no longer applies)
            self._say(f"No prompts. {DRAW}")
            return
        if self._editing is not None and prompts.box is None and not prompts.has_marks:
            self.runner.invalidate()  # every prompt of the edit undone: the object as it was, no engine call
            self._accept_next = False
            self._show_edited()
            return
        engine = self._engine_or_say_why()
        if engine is None:  # no answer to these prompts: the preview of others must not stay to be kept
            self.runner.invalidate()
            self._set_preview(None)
            self._say("No preview: the engine cannot answer (see the warning above); choose another engine.")
        else:
            self.runner.request(engine, self._image, prompts)
            if self.runner.embedding:
                self._say(f"{_describe(prompts)} waiting for the image embedding; the preview follows when it is done.")

    def _on_result(self, preview: Preview) -> None:
        waiting = self._accept_next
        self._set_preview(preview)  # (an empty one drops a waiting Accept)
        self._settled()
        if waiting and self._preview is not None and self.runner.pending is None:  # Shift+Enter came first
            self._accept_next = False
            self.accept(_ready=True)
            return
        seconds = preview.result.info.get("seconds") if preview.result is not None else None
        timing = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
        if self._preview is None:  # an empty mask: Accept is off, so do not offer it
            self._say(f"Nothing found{timing}: add prompts (a click on the object, a stroke) or draw another box.")
            return
        keep = f"to put it in place of object {self._editing}" if self._editing is not None else "to keep it"
        self._say(f"Preview: {counted(preview.pixels, 'pixel')}{timing}. Accept {keep} as '{self.current_class()}'.")

    def _on_refused(self, exc: InputError) -> None:
        """The engine cannot answer these prompts: marks of one kind (:class:`IncompletePrompts`)
        a hint on the status line, since it is often a normal step (the first stroke of a
        pair); a box or click off the image a warning, until the prompts change; Accept says both aloud."""
        if self._accept_next or not isinstance(exc, IncompletePrompts):  # (an Accept waited for this answer)
            self._warn(str(exc))
        self._set_preview(None)  # the old preview answered other prompts: Accept must not keep it
        self._refusal = str(exc)
        self._say(str(exc))

    def _on_failed(self, exc: Exception) -> None:
        self._set_preview(None)
        show_error(f"Segmentation failed: {exc}")

    def _set_preview(self, preview: Optional[Preview]) -> None:
        self._preview = preview if preview is not None and preview.mask is not None else None
        self._accept_next = self._accept_next and self._preview is not None
        self.canvas.show_preview(self._preview)
        self._update_buttons()

    # -- objects -------------------------------------------------------------------------
    def current_class(self) -> str:
        return self.classes.current() or self.model.classes[0]

    def add_class(self, name: Optional[str] = None) -> Optional[str]:
        return self.classes.add(name)

    def remove_class(self) -> None:
        self.classes.remove_current()

    def _rename_class(self, old: str, new: str) -> None:
        self.jobs.finish()
        try:
            change = self.model.rename_class(old, new, image=self._key)
        except InputError as exc:
            self._say(f"Class '{old}' kept its name.")  # (not the last change's line under the warning)
            self._warn(str(exc))
            return
        self._settled()  # a warning about an earlier try no longer applies
        self._changed(change)

    def accept(self, _ready: bool = False) -> Optional[int]:
        """Keep the preview as an object of the current class (or replace the one being edited);
        while the preview is computed, keep it as soon as it comes. Returns the object's id; None
        when nothing was kept, or the change runs in the background (:attr:`working` until drawn)."""
        if self._image is None:
            return None
        if self.runner.answering and not _ready:  # (a stale call still running has no answer to wait for)
            self._accept_next, self._accept_class = True, self.current_class()  # the class chosen now, not then
            self._say(
                f"Computing the preview: it is kept as soon as it is ready, as '{self._accept_class}' "
                "(Shift+Esc or a new prompt cancels)."
            )
            return None
        preview, kept = self._preview, self._kept
        if preview is None and self._refusal is None and kept in self.model.objects(self._key).ids:
            self._say(f"Object {kept} is kept; draw the next object.")  # (Shift+Enter twice: the first one kept it)
            return None
        if preview is None:
            self._warn(
                self._refusal or "There is nothing to accept: draw a box, click points or brush scribbles first."
            )
            return None
        if self._cannot_save():
            return None
        category, self._accept_class = self._accept_class if _ready else None, None  # (the class of Shift+Enter)
        category = category if category in self.model.classes else self.current_class()  # (unless renamed since)
        editing = self._editing is not None and preview.made_by is not None
        record = preview.record(self.model.provenance(self._key, self._editing) if editing else None)
        replace = (self.model.replace, self._key, self._editing)
        how = replace if self._editing is not None else (self.model.accept, self._key)
        change = self._apply(*how, preview.mask, category, offset=preview.offset, provenance=record)
        if change is None or (change is not Ellipsis and change.how == "not saved"):
            return None  # the prompts stay, to accept again once it can be saved
        if self._preview is preview:
            self.clear(say=False)
            self._kept = change.object_id if change is not Ellipsis else None
        self._settled()
        return change.object_id if change is not Ellipsis else None

    def keep_waiting_accept(self, before: str = "the next image is shown") -> None:
        """Before the image changes: an Accept asked for while its preview was computed
        (Shift+Enter, then Next before the preview came) waits for that preview and keeps
        it on the image it was made for; it is never dropped unsaid."""
        if not self._accept_next:
            return
        name = self._image_layer.name if self._image_layer is not None else "this image"
        self._say(f"Keeping the object on {name} before {before}...")
        self.status.repaint()
        self.runner.wait(lambda: not self._accept_next, KEEP_WAITING_SECONDS)  # the user's input waits too
        if self._accept_next:  # no answer came (an image embedding still running): said once the image is shown
            self._accept_next = False
            self._not_kept = (
                f"Not kept: the preview on {name} did not come within {KEEP_WAITING_SECONDS} s; "
                f"go back to {name} and draw the object again."
            )

    def clear(self, say: bool = True) -> None:
        """Drop the prompts and the preview (and stop editing an object); the next click is
        foreground again. ``say``: put that on the status line (Accept keeps its own line)."""
        self.runner.invalidate()
        self.runner.reset_engine()  # done in the worker, before the engine's next call
        self.canvas.clear_prompts()  # (and the prompt steps, and the strokes' own undo history)
        self.history.new_step()
        self._refusal, self._accept_next = None, False
        self._editing = self._prior = self._kept = None
        self._set_preview(None)
        self.prompt_panel.fresh()
        self.footer.settle(lasting=True)  # what was said about the prompts no longer applies
        if say:
            self._say(f"Cleared. {DRAW}")

    def selected_object(self) -> Optional[int]:
        return self.objects_panel.selected()

    def edit(self, object_id: int) -> None:
        """Load an object for editing: its mask is the prior, new prompts refine it, Accept replaces it."""
        self.jobs.finish()
        objects = self.model.objects(self._key)
        self.clear()
        self._editing = object_id
        self._prior = objects.mask(object_id)
        name = objects.classes[object_id]
        self.classes.select(name)
        self._show_edited()
        self._say(f"Editing object {object_id} ({name}): add prompts to refine it, Accept to replace it.")

    def _show_edited(self) -> None:
        """The edited object as it is, as the preview: Accept keeps its mask (and the class chosen)."""
        objects = self.model.objects(self._key)
        crop, offset = objects.crop(self._editing)
        self._set_preview(Preview(crop, offset, objects.shape))

    def edit_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.edit(object_id)

    def delete(self, object_id: int) -> None:
        if self._cannot_save(f"object {object_id} cannot be deleted in this window, so it stays"):
            return
        self._apply(self.model.delete, self._key, object_id)  # an edited object that goes: _changed clears

    def delete_selected(self) -> None:
        object_id = self.selected_object()
        if object_id is None:
            show_info("Pick an object in the list first.")
            return
        self.delete(object_id)

    def undo(self) -> None:
        """Ctrl+Z: the last prompt step of the object being made (a box, a click, a
        stroke); with none left, the last change to the objects (see :mod:`.undo`)."""
        self.history.undo()

    def redo(self) -> None:
        """Ctrl+Shift+Z: what the Ctrl+Z presses since the last new step undid, latest first."""
        self.history.redo()

    @property
    def working(self) -> bool:
        """True while an object change or an export runs in the background, or its region
        is still being drawn."""
        return self.jobs.busy or self.canvas.drawing

    def _show_object_list(self) -> None:
        self.objects_panel.refresh()

    def _update_buttons(self) -> None:
        undo_text, redo_text = self.history.texts()
        self.undo_button.setEnabled(bool(undo_text))
        self.redo_button.setEnabled(bool(redo_text))
        self.undo_button.setToolTip(undo_text or self.history.nothing())
        self.redo_button.setToolTip(redo_text)
        exporting = self.exporter.running
        self.export_button.setEnabled(not exporting and self.exporter.available())
        self.accept_button.setEnabled(self._preview is not None)

    def mark(self, state: str, object_id: Optional[int] = None) -> None:
        """A reviewer's verdict on the object under the cursor (or ``object_id``): see
        :meth:`.object_panel.ObjectPanel.mark`."""
        self.objects_panel.mark(state, object_id)

    def _hover(self, event=None) -> None:
        """Name the object under the cursor (its colour, id and class), whatever layer is active."""
        text = self.objects_panel.hover_text()
        if text != self.hover.text():
            self.hover.setText(text)
