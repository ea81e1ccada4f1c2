"""Shared fixtures: small synthetic images whose right answer is known."""

import numpy as np
import pytest


def disc_scene(height=120, width=160, centre=(80, 60), radius=30, seed=0):
    """A red disc on a textured blue background, with noise; returns (image, truth)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    truth = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 < radius**2
    stripes = ((xx // 6 + yy // 9) % 2)[..., None] * np.array([0, 30, 40])
    background = np.array([30, 80, 170]) + stripes
    image = np.where(truth[..., None], np.array([210, 50, 40]), background)
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    return image, truth


def iou(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


@pytest.fixture(autouse=True)
def _short_writer_wait(monkeypatch):
    """A one-off writer waits 5 s for a folder's lock (parallel command lines take turns);
    tests that meet a session holding it need not wait that long to be refused."""
    from interactive_seg.model import writers

    monkeypatch.setattr(writers, "WRITER_WAIT", 0.3)
    monkeypatch.setattr(writers, "SESSION_WAIT", 0.1)


@pytest.fixture
def scene():
    return disc_scene()


# -- the napari widget, as the GUI tests drive it (napari imported only when called) --------
def docked_widget(viewer, image=None, name="disc"):
    """The segmentation widget docked in ``viewer``, after adding ``image`` (RGB) as a layer."""
    from interactive_seg.plugin.widget import SegmentationWidget

    if image is not None:
        viewer.add_image(image, name=name, rgb=True)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    return widget


def wait(qtbot, widget, timeout=20000):
    """Until the widget's preview worker is idle (after one turn of the event loop, where
    the widget reads a stroke napari reported before it wrote it)."""
    qtbot.wait(1)
    qtbot.waitUntil(lambda: not widget.busy, timeout=timeout)


def box(viewer, x0, y0, x1, y1):
    """Draw a box on the ``boxes`` layer, image pixels (x0, y0, x1, y1)."""
    from interactive_seg.plugin import layers as L

    viewer.layers["boxes"].add_rectangles(L.box_to_shape((x0, y0, x1, y1)))
