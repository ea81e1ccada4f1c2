"""Recolouring the objects of a large image: the widget's colour-table change beside napari's colormap setter, in one run.

Usage (needs a display; on a server under Xvfb)::

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/colour_table_bench.py [--size 10000] [--repeats 5]

The widget draws objects in their class's colour (or one colour per object). When a
colour changes (an object accepted in another class, a class removed, "Colour by"
switched) it changes only the objects layer's colour table
(:func:`interactive_seg.plugin.layers.set_colour_table`): the layer's texture holds colour
slots, not colours. The baseline is what napari offers for the same change, assigning a
new colormap to the layer (``layer.colormap = ...``), which recolours every pixel. Both
run on the same shown viewer with a ``--size`` square int32 label image holding two
objects; each time is from the call until the canvas has repainted (the Qt events
processed), median of ``--repeats``; the last column is the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="side of the square image in pixels")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import napari
    from qtpy.QtWidgets import QApplication

    from interactive_seg import palette
    from interactive_seg.plugin import layers as L

    n = args.size
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1500, 950)
    viewer.add_image(np.zeros((n, n, 3), np.uint8), name="image")
    labels = np.zeros((n, n), np.int32)
    labels[n // 10 : n * 4 // 10, n // 10 : n * 4 // 10] = 1
    labels[n // 2 : n * 9 // 10, n // 2 : n * 9 // 10] = 2
    layer = viewer.add_labels(labels, name="objects", colormap=L.objects_colormap(), opacity=0.55)
    app = QApplication.instance()

    def settle():
        for _ in range(5):
            app.processEvents()
            time.sleep(0.02)

    settle()

    def timed(change) -> float:
        start = time.perf_counter()
        change()
        app.processEvents()  # the canvas repaints with the new colours
        return time.perf_counter() - start

    ours, napari_setter = [], []
    for i in range(args.repeats):
        table = L.colour_table({1: palette.colour(i + 1), 2: palette.colour(i + 2)}, L.SMALL_SLOTS)
        ours.append(timed(lambda: L.set_colour_table(layer, table)))
        settle()
        other = L.colour_table({1: palette.colour(i + 3), 2: palette.colour(i + 4)}, L.SMALL_SLOTS)
        napari_setter.append(timed(lambda: setattr(layer, "colormap", L.objects_colormap(other))))
        settle()
    repaint = []
    for _ in range(args.repeats):
        repaint.append(timed(lambda: layer.events.opacity()))  # a control: one repaint, nothing recoloured
        settle()
    o, b, r = (1000 * statistics.median(v) for v in (ours, napari_setter, repaint))
    print(f"colour_table_bench: {n} x {n} int32 objects layer, medians of {args.repeats}, until the canvas repainted")
    print(f"{'change':<44} {'ms':>9}")
    print(f"{'repaint with nothing changed (control)':<44} {r:9.1f}")
    print(f"{'napari: layer.colormap = new colormap':<44} {b:9.1f}")
    print(f"{'interactive_seg: set_colour_table':<44} {o:9.1f}")
    print(f"ratio napari / ours: {b / o:.1f}x")
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
