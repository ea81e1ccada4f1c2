"""Screenshots of the real widget for the user guide. Run under a display, e.g.:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_screenshots.py

Writes docs/images/{box,scribbles,objects,folder}.png: a box on the coffee sample (the
preview as a light fill under its contour), scribbles refining it, committed objects
with their colour swatches and the object under the cursor named, and a folder session
on a 1280 x 720 window.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def wait(widget, app, timeout=30.0):
    end = time.time() + timeout
    while (widget.busy or getattr(widget, "working", False)) and time.time() < end:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def coffee(out: Path, app) -> None:
    import napari

    from interactive_seg import read_image
    from interactive_seg.plugin import layers as L
    from interactive_seg.plugin.sample_data import sample_path
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = napari.Viewer(title="interactive-seg", show=True)
    viewer.window._qt_window.resize(1500, 950)
    viewer.add_image(read_image(sample_path("coffee")), name="coffee", rgb=True)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Interactive segmentation", area="right")
    for _ in range(30):
        app.processEvents()

    # 1. a box around the cup and saucer
    viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((70, 10, 490, 395)))
    wait(widget, app)
    viewer.screenshot(str(out / "box.png"), canvas_only=False)

    # 2. accept it as "cup", then cut the spoon with a box and strokes
    widget.class_list.item(0).setText("cup")
    widget.accept()
    wait(widget, app)
    widget.add_class("spoon")
    viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((315, 60, 410, 330)))
    wait(widget, app)
    scribbles = viewer.layers[L.SCRIBBLES]
    data = scribbles.data.copy()
    data[200:206, 330:352] = 2  # the cup's side, right of the handle: background
    data[280:290, 345:380] = 1  # the spoon's bowl: foreground
    scribbles.data = data
    wait(widget, app)
    widget.canvas.select(L.SCRIBBLES)
    viewer.screenshot(str(out / "scribbles.png"), canvas_only=False)

    # 3. committed objects with their swatches; the mouse over the spoon names it
    widget.accept()
    wait(widget, app)
    widget.canvas.select(L.BOXES)
    viewer.cursor.position = (290, 360)
    widget.scroll.ensureWidgetVisible(widget.objects_panel)  # the classes and objects, with their swatches
    wait(widget, app)
    viewer.screenshot(str(out / "objects.png"), canvas_only=False)
    viewer.close()


def folder(out: Path, app) -> None:
    import napari

    from interactive_seg import Session
    from interactive_seg.plugin import layers as L
    from interactive_seg.plugin.sample_data import sample_path
    from interactive_seg.plugin.widget import SegmentationWidget

    tmp = Path(tempfile.mkdtemp(prefix="iseg-shots-"))
    photos = tmp / "photos"
    photos.mkdir()
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        source = sample_path(name)
        shutil.copy(source, photos / source.name)
    try:
        viewer = napari.Viewer(title="interactive-seg: photos", show=True)
        viewer.window._qt_window.resize(1280, 720)
        widget = SegmentationWidget(viewer)
        viewer.window.add_dock_widget(widget, name="Interactive segmentation", area="right")
        widget.open_session(Session.open(photos))
        wait(widget, app)
        widget.class_list.item(0).setText("person")  # astronaut.png first
        viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((130, 20, 470, 512)))
        wait(widget, app)
        widget.accept()
        wait(widget, app)
        widget.step_image(1)  # chelsea.png
        wait(widget, app)
        widget.step_image(1)  # coffee.png
        wait(widget, app)
        widget.add_class("cup")
        viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((70, 10, 490, 395)))
        wait(widget, app)
        viewer.screenshot(str(out / "folder.png"), canvas_only=False)
        viewer.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    import napari  # noqa: F401  (makes the QApplication)
    from qtpy.QtWidgets import QApplication

    out = HERE / "images"
    out.mkdir(exist_ok=True)
    from napari._qt.qt_event_loop import get_qapp

    app = QApplication.instance() or get_qapp()
    coffee(out, app)
    folder(out, app)
    print("wrote", *(str(out / n) for n in ("box.png", "scribbles.png", "objects.png", "folder.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
