"""Open napari with the widget: what `interactive-seg gui` does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import napari

from ..errors import InputError
from ..files import read_image
from ..model.session import Session
from .sample_data import sample_path
from .widget import SegmentationWidget


def launch(
    paths: Sequence[Path] = (),
    *,
    annotations: Optional[Path] = None,
    run: bool = True,
    recursive: bool = True,
    include=None,
    exclude=None,
    discard_journal: bool = False,
):
    """Open napari with the Interactive segmentation widget docked.

    ``paths``: image files, or one folder (a :class:`~interactive_seg.Session` saved in
    ``annotations``, default ``<folder>/annotations.coco.json``, its images listed with
    ``recursive``, ``include`` and ``exclude`` as :meth:`Session.open` lists them); none
    opens the coffee sample. Every image is read before a window opens, so a bad path opens nothing.
    ``discard_journal``: as :meth:`Session.open` (unsaved changes made to another version of
    the file are set aside).
    Returns the viewer (after the event loop ends when ``run``).
    """
    paths = [Path(p) for p in paths] or [sample_path("coffee")]
    if len(paths) == 1 and paths[0].is_dir():
        session = Session.open(
            paths[0],
            annotations,
            recursive=recursive,
            include=include,
            exclude=exclude,
            discard_journal=discard_journal,
        )
        if not session.images:
            where = "" if recursive else " (only its top level: --flat)"
            chosen = " that --include / --exclude keep" if include or exclude else ""
            raise InputError(f"There are no readable images{chosen} in {str(paths[0])!r}{where}.")
        try:
            viewer = napari.Viewer(title=f"interactive-seg: {paths[0].name}")
        except BaseException:
            session.close()  # (the folder is let go: no window holds it)
            raise
        widget = SegmentationWidget(viewer)
        viewer.window.add_dock_widget(widget, name="Interactive segmentation", area="right")
        widget.open_session(session)
    else:
        images = [(path, read_image(path)) for path in paths]
        viewer = napari.Viewer(title="interactive-seg")
        for path, image in images:
            viewer.add_image(image, name=path.stem, rgb=image.ndim == 3 and image.shape[2] in (3, 4))
        widget = SegmentationWidget(viewer)
        viewer.window.add_dock_widget(widget, name="Interactive segmentation", area="right")
    if run:
        napari.run()
    return viewer
