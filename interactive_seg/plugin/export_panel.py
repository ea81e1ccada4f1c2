"""Export from the widget: the current image's objects, or a folder session's every object,
in a worker with the status line counting, and the export dialog's choices remembered.

The widget's Export... button opens :class:`~.export_dialog.ExportDialog` with the choices
made last (a folder session keeps them beside its COCO file, see
:meth:`Session.settings <interactive_seg.Session.settings>`; else this window keeps them).
"""

from __future__ import annotations

from napari.utils.notifications import show_info

from ..errors import InputError
from ..wording import counted
from .export_dialog import ExportDialog

__all__ = ["Exporter"]

#: the export keywords that shape each cutout (the rest say where and in which format)
CUTOUT_KEYS = ("background", "color", "blur_sigma", "crop", "padding", "feather")


def _folder_job(session, folder, coco, suffix: str, options: dict, on_progress=None):
    """Export every annotated image of ``session`` (and its COCO file as it is) to ``folder``."""
    from ..batch.export import export_folder

    return export_folder(
        session.folder,
        folder,
        annotations=session.path,
        coco=coco,
        cutout_options={k: options[k] for k in CUTOUT_KEYS if k in options},
        cutout_format=suffix.lstrip("."),
        workers=0,
        progress=False,
        on_progress=on_progress,
    )


class Exporter:
    """The widget's exports; ``widget`` is the dock widget (its model, session, jobs, messages)."""

    def __init__(self, widget):
        self.widget = widget
        self.last: dict = {}  # the dialog's last choices (without a folder session)
        self.progress = None  # a token while an export runs
        self.dialog = None
        # (session, its image names, those that had objects when last seen): counted once per
        # session, not at each prompt (a folder of 100 000 images)
        self._annotated: tuple = (None, frozenset(), set())

    def available(self) -> bool:
        """True when Export... has something to write: the current image's objects, or in a
        folder session (whose export covers the whole folder by default) any object of the
        folder, on whatever image the canvas shows."""
        widget = self.widget
        model, session = widget.model, widget.session
        if widget._key is not None and len(model.objects(widget._key)) > 0:
            return True
        if session is None:
            return False
        if self._annotated[0] is not session:
            self._annotated = (session, frozenset(session.images), {n for n in session.images if session.count(n)})
        _, names, seen = self._annotated
        seen.update(key for key in model.images if isinstance(key, str) and key in names)
        return any(model.count(name) > 0 for name in seen)

    @property
    def running(self) -> bool:
        return self.widget.jobs.running == "export" or self.progress is not None

    def export(self, folder, *, coco=None, polygons: bool = False, scope: str = "image", **options) -> list:
        """Write every object of the current image as a cutout (and into a COCO file); with
        ``scope="folder"`` (a folder session), every object of the folder and the session's
        COCO file, as :meth:`start` does but here and now (returns the paths written)."""
        widget = self.widget
        widget.keep_waiting_accept(before="the export")  # Shift+Enter before its preview came: it counts
        if scope == "folder" and widget.session is not None:
            widget.jobs.finish()
            widget.session.save()
            report = _folder_job(widget.session, folder, coco, options.pop("suffix", ".png"), options)
            if report.failures:
                raise InputError(f"{report.failures[0].item}: {report.failures[0].reason}")
            return list(report.written)
        if widget._key is None:
            raise InputError("Open an image first.")
        return widget.model.export(
            widget._key,
            widget._image,
            folder,
            file_name=widget.image_combo.file_name(widget._image_layer),
            coco=coco,
            polygons=polygons,
            **options,
        )

    def settings(self) -> dict:
        """The export choices made last: the folder session's, else this window's."""
        if self.widget.session is not None:
            return self.widget.session.settings("export") or {}
        return dict(self.last)

    def keep_settings(self, values: dict) -> None:
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
        self.last = values
        if self.widget.session is not None:
            try:
                self.widget.session.save_settings("export", values)
            except InputError as exc:  # the export itself can still run
                self.widget._warn(str(exc))

    def open_dialog(self) -> None:
        """The export dialog, with the choices made last for this folder; OK starts the export."""
        widget = self.widget
        session = widget.session
        own = session.path if session is not None else None
        widget.keep_waiting_accept(before="the export")  # Shift+Enter before its preview came: it counts
        widget.jobs.finish()  # (an Accept still running: its object counts)
        image = (widget._image_layer.name, len(widget.model.objects(widget._key))) if widget._key is not None else None
        folder = session.folder if session is not None else None
        dialog = self.dialog = ExportDialog(
            widget, self.settings(), folder_scope=session is not None, own_coco=own, image=image, session_folder=folder
        )
        if dialog.exec():
            self.keep_settings(dialog.kept())
            self.start(**dialog.values())

    def start(self, folder, *, coco=None, polygons: bool = False, scope: str = "image", **options) -> None:
        """:meth:`export` in the background (a worker, after the object changes asked for
        before it); the status line counts the files written, the window stays usable.

        ``scope="folder"`` (a folder session): every annotated image of the folder
        (:func:`~interactive_seg.batch.export_folder`, in this process), and the session's
        COCO file as it is, with its category and annotation ids, to ``coco`` (default
        ``annotations.coco.json`` in ``folder``).

        (No napari progress bar: its activity indicator animates, and on a software
        OpenGL every frame of it repaints the whole window.)"""
        widget = self.widget
        if scope == "folder" and widget.session is not None:
            self._start_folder(folder, coco=coco, **options)
            return
        if widget._key is None:
            widget._warn("Open an image first.")
            return
        key, image, file_name = widget._key, widget._image, widget.image_combo.file_name(widget._image_layer)
        total = len(widget.model.objects(key)) + (1 if coco else 0)
        token = self._begin()
        widget._say(f"Exporting {counted(total, 'file')}...")

        def work(report):
            return widget.model.export(
                key, image, folder, file_name=file_name, coco=coco, polygons=polygons, progress=report, **options
            )

        def step(done_count):
            if self.progress is token:  # (not a report that came after the end)
                widget._say(f"Exporting: {done_count} of {total} files written.")

        def done(written):
            self._end()
            widget._say(f"Exported {counted(len(written), 'file')} to {folder}.")
            show_info(f"Wrote {counted(len(written), 'file')} to {folder}.")

        widget.jobs.run(work, done, self._failed, pixels=image.shape[0] * image.shape[1], progress=step, name="export")

    def _start_folder(self, folder, *, coco=None, suffix: str = ".png", **options) -> None:
        widget = self.widget
        widget.jobs.finish()  # the changes asked for before: in the file first
        session = widget.session
        try:
            session.save()  # the journal folded into the COCO file the export reads
        except InputError as exc:
            widget._warn(str(exc))
            return
        token = self._begin()
        widget._say("Exporting the folder...")

        def work(report):
            return _folder_job(session, folder, coco, suffix, options, lambda done, total: report((done, total)))

        def step(done_total):
            if self.progress is token:
                widget._say(f"Exporting: {done_total[0]} of {done_total[1]} images done.")

        def done(result):
            self._end()
            made = result.counts.get("cutouts", 0)
            if result.failures:
                first = result.failures[0]
                widget._warn(
                    f"Exported {counted(made, 'cutout')} to {folder}; {counted(len(result.failures), 'image')} failed: "
                    f"{first.item}: {first.reason}"
                )
            else:
                widget._say(f"Exported {counted(made, 'cutout')} of the folder to {folder}, and its COCO file.")
                show_info(f"Wrote {counted(made, 'cutout')} and {result.written[-1]}.")

        widget.jobs.run(work, done, self._failed, pixels=2**62, progress=step, name="export")  # always in the worker

    def _begin(self):
        self.widget._settled()  # (a warning about an export tried before)
        token = self.progress = object()
        self.widget._update_buttons()
        return token

    def _end(self) -> None:
        self.progress = None
        self.widget._update_buttons()

    def _failed(self, exc) -> None:
        self._end()
        if not isinstance(exc, InputError):
            raise exc
        self.widget._say("The export stopped.")  # not "Exporting ..." for good
        self.widget._warn(str(exc))
