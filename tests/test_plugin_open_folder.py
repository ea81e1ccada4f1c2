"""GUI: "Open folder..." opens a folder session from the widget, for annotators who start
napari from its Plugins menu (``napari -w interactive-seg``) rather than ``interactive-seg gui
FOLDER``: in this window when it holds no folder and no objects, else in a new window.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_open_folder.py
"""

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from conftest import disc_scene  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def photos(tmp_path):
    from interactive_seg import write_image

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        write_image(folder / name, disc_scene(height=90, width=120, seed=i)[0])
    return folder


def _click_open(widget, qtbot, monkeypatch, folder):
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a) or str(folder))
    qtbot.mouseClick(widget.open_folder_button, Qt.MouseButton.LeftButton)
    assert asked, "the button did not ask for a folder"


def test_open_folder_opens_a_session_in_a_fresh_widget(make_napari_viewer, qtbot, monkeypatch, photos):
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    _click_open(widget, qtbot, monkeypatch, photos)
    assert widget.session is not None and widget.session.folder == photos and not widget.session.read_only
    assert not widget.images.isHidden() and widget.images.names == ["a.png", "b.png"]
    assert widget.images.shown == "a.png"


def test_open_folder_beside_a_folder_opens_a_new_window(make_napari_viewer, qtbot, monkeypatch, photos, tmp_path):
    import napari

    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    first = tmp_path / "first"
    first.mkdir()
    write_image(first / "c.png", disc_scene(height=90, width=120, seed=5)[0])
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(first))
    made = []
    real_viewer = napari.Viewer

    def new_viewer(*args, **kwargs):
        made.append(real_viewer(*args, show=False, **{k: v for k, v in kwargs.items() if k != "show"}))
        return made[-1]

    monkeypatch.setattr(napari, "Viewer", new_viewer)
    _click_open(widget, qtbot, monkeypatch, photos)
    try:
        assert widget.session.folder == first  # this window keeps its folder
        assert len(made) == 1
        other = next(w for w in made[0].window.dock_widgets.values() if isinstance(w, SegmentationWidget))
        assert other.session.folder == photos and other.images.names == ["a.png", "b.png"]
    finally:
        for v in made:
            v.close()


def test_a_folder_without_images_is_said_in_the_panel_and_nothing_opens(
    make_napari_viewer, qtbot, monkeypatch, tmp_path
):
    from interactive_seg.plugin.widget import SegmentationWidget

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no photos here")
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    _click_open(widget, qtbot, monkeypatch, empty)
    assert widget.session is None
    assert not widget.notice.isHidden() and "holds no images" in widget.notice.text()
    assert not (empty / "annotations.coco.json").exists()
