"""Screenshots of the real widget for the user guide. Run under a display, e.g.:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_screenshots.py

Writes docs/images/{box,scribbles,objects}.png: a box on the coffee sample, scribbles
refining it, and committed objects with their classes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def wait(widget, app, timeout=30.0):
    end = time.time() + timeout
    while widget.busy and time.time() < end:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def main() -> int:
    import napari
    from qtpy.QtWidgets import QApplication

    from interactive_seg import read_image
    from interactive_seg.plugin import layers as L
    from interactive_seg.plugin.sample_data import sample_path
    from interactive_seg.plugin.widget import SegmentationWidget

    out = HERE / "images"
    out.mkdir(exist_ok=True)
    viewer = napari.Viewer(title="interactive-seg", show=True)
    viewer.window._qt_window.resize(1500, 950)
    viewer.add_image(read_image(sample_path("coffee")), name="coffee", rgb=True)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Interactive segmentation", area="right")
    app = QApplication.instance()
    for _ in range(30):
        app.processEvents()

    # 1. a box around the cup and saucer
    viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((70, 10, 490, 395)))
    wait(widget, app)
    viewer.screenshot(str(out / "box.png"), canvas_only=False)

    # 2. accept it as "cup", then cut the spoon with a box and a background scribble
    widget.class_list.item(0).setText("cup")
    widget.accept()
    widget.add_class("spoon")
    viewer.layers[L.BOXES].add_rectangles(L.box_to_shape((315, 60, 410, 330)))
    wait(widget, app)
    scribbles = viewer.layers[L.SCRIBBLES]
    data = scribbles.data.copy()
    data[200:206, 330:352] = 2  # the cup's side, right of the handle: background
    data[280:290, 345:380] = 1  # the spoon's bowl: foreground
    scribbles.data = data
    wait(widget, app)
    widget._select_layer(L.SCRIBBLES)
    viewer.screenshot(str(out / "scribbles.png"), canvas_only=False)

    # 3. committed objects with their classes
    widget.accept()
    for _ in range(10):
        app.processEvents()
    viewer.layers.selection.active = viewer.layers[L.OBJECTS]
    viewer.screenshot(str(out / "objects.png"), canvas_only=False)
    print("wrote", *(str(out / n) for n in ("box.png", "scribbles.png", "objects.png")))
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
