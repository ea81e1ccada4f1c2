"""GUI: the panel says what is true now and fits a small screen: the object under the
cursor is named whatever layer is active, the status line is never stale, an empty preview
says nothing was found, and the buttons that matter are on a 1280 x 720 screen.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_panel.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, click, folder_session  # noqa: E402

from conftest import box, disc_scene, docked_widget, wait  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def setup(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    return viewer, docked_widget(viewer, image), truth


def test_the_object_under_the_cursor_is_named_whatever_layer_is_active(setup, qtbot):
    viewer, widget, truth = setup
    accept_box(qtbot, viewer, widget)
    assert viewer.layers.selection.active.name == "boxes"
    viewer.cursor.position = (60, 80)  # the mouse over the disc
    assert "object 1 (object)" in widget.hover.text()
    widget.class_list.item(0).setText("disc")
    viewer.cursor.position = (61, 80)
    assert "object 1 (disc)" in widget.hover.text()
    viewer.cursor.position = (5, 150)  # background
    assert widget.hover.text() == ""


def test_the_status_line_is_never_stale(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    assert widget.status.text().startswith("Preview")
    click(qtbot, widget.clear_button)
    assert not widget.status.text().startswith(("Preview", "Segmenting"))
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    viewer.layers["boxes"].data = []  # the user deletes the box: no prompts
    assert not widget.status.text().startswith(("Preview", "Segmenting"))
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    assert widget.status.text() == "Object 1 kept as 'object'."
    click(qtbot, widget.undo_button)
    assert "kept" not in widget.status.text() or widget.status.text().startswith("Undone")
    box(viewer, 45, 25, 115, 95)
    click(qtbot, widget.clear_button)  # while the engine still works
    wait(qtbot, widget)
    assert widget.status.text().startswith("Cleared")


def test_the_panel_fits_a_1280_by_720_screen(make_napari_viewer, qtbot, tmp_path):
    """Accept, Clear, Undo, Redo, Export, the object under the cursor and the status line
    are on screen without scrolling, in a folder session (the tallest panel); the rest scrolls."""
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"])
    window = viewer.window._qt_window
    window.show()
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.height() <= 720 and widget.isVisible(), timeout=5000)
    accept_box(qtbot, viewer, widget)
    viewer.cursor.position = (60, 80)  # over the object just kept
    assert "object 1" in widget.hover.text()
    qtbot.wait(100)
    for part in (
        widget.accept_button,
        widget.clear_button,
        widget.undo_button,
        widget.redo_button,
        widget.export_button,
        widget.hover,
        widget.status,
    ):
        region = part.visibleRegion()
        assert not region.isEmpty() and region.boundingRect().height() >= part.height() - 1, part
    for part in (widget.next_button, widget.add_class_button, widget.edit_button, widget.delete_button):
        widget.scroll.ensureWidgetVisible(part)  # the rest is a scroll away
        qtbot.wait(20)
        assert not part.visibleRegion().isEmpty(), part


def test_an_empty_preview_says_nothing_was_found_and_offers_no_accept(setup, qtbot):
    from interactive_seg.plugin.preview import Preview

    viewer, widget, truth = setup
    widget._on_result(Preview.of(np.zeros(truth.shape, bool)))  # what the engine returns for an empty box
    assert widget._preview is None and not widget.accept_button.isEnabled()
    assert widget.status.text().startswith("Nothing found") and "Accept" not in widget.status.text()
    widget._on_result(Preview.of(truth))
    assert widget.accept_button.isEnabled() and "Accept to keep it" in widget.status.text()


def test_the_image_list_is_as_tall_as_its_rows_up_to_its_limit(make_napari_viewer, qtbot, tmp_path):
    """Two images kept the list 160 px tall, pushing the objects below the fold on a
    1280 x 720 screen (#33, an annotator's pass); many images scroll in 160 px."""
    from interactive_seg.plugin.image_list import LIST_HEIGHT

    viewer, widget = folder_session(make_napari_viewer, tmp_path / "few", ["a.png", "b.png"])
    listing = widget.images.list
    assert listing.maximumHeight() < LIST_HEIGHT / 2
    assert listing.maximumHeight() >= 2 * listing.sizeHintForRow(0)  # both rows whole
    names = [f"p{i:02d}.png" for i in range(30)]
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "many", names)
    assert widget.images.list.maximumHeight() == LIST_HEIGHT
