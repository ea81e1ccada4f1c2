"""GUI: a photograph taken upright on a phone (EXIF orientation) is shown upright in napari,
opened by napari's own reader (the widget turns it) and by the widget's folder session, and its objects are saved
with the upright size.

Run under a display: xvfb-run -a python -m pytest tests/test_plugin_exif.py
"""

import json

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from test_exif import UPRIGHT, photo, red  # noqa: E402

from conftest import box, iou, wait  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_phone_photo_opened_with_napari_s_reader_is_turned_upright_by_the_widget(
    make_napari_viewer, tmp_path, orientation
):
    """napari's own reader shows the pixels as stored; the docked widget turns the layer upright
    (the plugin registers no second JPEG reader: napari would ask which at every File > Open)."""
    from interactive_seg.plugin.widget import SegmentationWidget

    path = tmp_path / "IMG_0001.JPG"
    _, truth = photo(path, orientation)
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    (layer,) = viewer.open(str(path))  # no plugin named: napari's reader, no question asked
    assert layer.data.shape == (*UPRIGHT, 3) and iou(red(np.asarray(layer.data)), truth) > 0.9
    assert widget.image_combo.current is layer


def test_the_widget_shows_a_folders_photo_upright_and_saves_its_object_upright(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import Qt

    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    folder = tmp_path / "photos"
    folder.mkdir()
    _, truth = photo(folder / "a.jpg", 6)
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(folder))
    assert widget.image_combo.current.data.shape == (*UPRIGHT, 3)
    box(viewer, 6, 18, 50, 62)  # round the disc, in the upright picture
    wait(qtbot, widget)
    qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
    widget.session.close()  # folds the journal into the COCO file and lets the folder go
    saved = json.loads((folder / "annotations.coco.json").read_text())
    assert [(i["height"], i["width"]) for i in saved["images"]] == [UPRIGHT]
    (obj,) = Session.open(folder).objects("a.jpg")
    assert iou(obj.mask, truth) > 0.9
