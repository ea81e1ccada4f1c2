"""Object changes in the widget: a model operation (accept, replace, delete, undo, redo)
run as a :class:`~.jobs.Jobs` job (in a worker on a large image, with the changed region
coloured there too) and then shown: the objects layer's changed region, the lists, the
status line, and a warning whole when the change could not be saved."""

from __future__ import annotations

import threading

from ..errors import InputError
from ..model.annotations import SaveError

__all__ = ["Changes"]


class Changes:
    """``widget`` is the dock widget (its model, canvas, jobs, lists and messages)."""

    def __init__(self, widget):
        self.widget = widget

    def apply(self, operation, *args, nothing: str = "", **kwargs):
        """Run a model operation; show what changed, or say why nothing did (``nothing``
        when the operation had nothing to do).

        On a large image it runs in a worker, after the ones asked for before it, and the
        changed region is coloured there too; ``...`` (Ellipsis) is returned then. Else it
        runs now and its Change is returned (None when nothing changed).
        """
        widget = self.widget
        key = widget._key
        widget._settled()  # a warning about what the annotator did before no longer applies
        try:
            objects = widget.model.objects(key)
        except InputError as exc:
            widget._warn(str(exc))
            return None
        outcome: list = []

        def work(report):
            try:
                change, error = operation(*args, **kwargs), None
            except SaveError as exc:
                change, error = exc.change, exc
            in_worker = threading.current_thread() is not threading.main_thread()
            colours = widget.canvas.colours(objects, change.bbox) if in_worker and change is not None else None
            return change, error, colours

        def done(result):
            change, error, colours = result
            if error is not None:  # not saved: said whole, and it stays until it no longer applies
                widget._warn(f"Not saved: {error}")
            outcome.append(change)
            if change is None:
                if nothing:
                    widget._say(nothing)
            elif key == widget._key:
                self.show(change, colours)

        def failed(exc):
            outcome.append(None)
            if not isinstance(exc, InputError):
                raise exc
            widget._warn(str(exc))

        ran = widget.jobs.run(work, done, failed, pixels=objects.labels.size, name="change")
        if not ran:
            widget._say("Working...")
            return ...
        return outcome[0]

    def show(self, change, colours=None) -> None:
        """Show a model change: the objects layer's changed region (``colours``: its display
        values, when computed in a worker), the lists, the status."""
        widget = self.widget
        if widget._key is None:
            return
        objects = widget.model.objects(widget._key)
        if widget._editing is not None and widget._editing not in objects:
            widget.clear()
        widget.canvas.update_objects(objects, change, colours)
        if change.classes_changed:
            widget.classes.refresh()
        widget._show_object_list()
        widget.proposals.object_changed(change)  # Ctrl+Z of an accepted proposal opens it again
        widget._hover()
        if widget.session is not None and isinstance(widget._key, str):
            widget.images.update_count(widget._key)
        widget._say(change.text)
