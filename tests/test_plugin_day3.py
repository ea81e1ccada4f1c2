"""GUI: an annotator's third pass: a long file name never widens the dock, a skipped
file's warning stays after Next, Export... refuses the current image without objects, undo
and redo say what they did, and a rename renamed again on another image says where to undo.

Driven with real key and mouse events on a folder session in a shown window.
Run under a display: xvfb-run -a python -m pytest tests/test_plugin_day3.py
"""

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, click, folder_session, key, rename, shown_image  # noqa: E402

from conftest import box, wait  # noqa: E402

pytestmark = pytest.mark.gui

LONG = "b_" + "camera_roll_export_" * 6 + "IMG_20240101.png"  # 130 characters, no space


def open_folder(make_napari_viewer, qtbot, root, names, broken=()):
    """A folder of disc images (``broken`` ones cut short) open in the widget of a shown window."""
    viewer, widget = folder_session(make_napari_viewer, root, names, broken=broken, shown=True)
    qtbot.wait(100)
    return viewer, widget


def canvas_width(viewer) -> int:
    return viewer.window._qt_viewer.canvas.native.width()


# -- 1: no message, however long, widens the dock -----------------------------------------
def test_a_long_file_name_on_the_status_line_leaves_the_dock_and_the_canvas_their_width(
    make_napari_viewer, qtbot, tmp_path
):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", LONG])
    qtbot.wait(200)
    dock, canvas = widget.width(), canvas_width(viewer)
    key(qtbot, viewer, "Right", "Shift")
    qtbot.wait(300)
    assert shown_image(widget) == LONG
    status = widget.status
    assert status.text().startswith(f"{LONG}: 160 x 120.")  # the message as said...
    assert status.height() >= status.heightForWidth(status.width())  # ...shown whole, wrapped
    assert widget.width() <= dock + 2 and canvas_width(viewer) >= canvas - 2, (widget.width(), dock)
    assert widget.footer.minimumSizeHint().width() < 400
    key(qtbot, viewer, "Left", "Shift")
    qtbot.wait(300)
    assert widget.width() <= dock + 2 and canvas_width(viewer) >= canvas - 2


def test_a_long_first_image_and_folder_name_widen_neither_the_image_box_nor_the_list(
    make_napari_viewer, qtbot, tmp_path
):
    """The Image box sized itself to the longest layer name and the image list to the
    folder's name in its title: the panels' content grew wider than the dock, and Next,
    Open folder... and Delete went past its right edge."""
    root = tmp_path / ("a_very_long_folder_name_" * 4)
    viewer, widget = open_folder(make_napari_viewer, qtbot, root, [LONG, "c.png"])
    qtbot.wait(300)
    assert shown_image(widget) == LONG
    assert widget.image_combo.minimumSizeHint().width() < 250
    assert widget.images.minimumSizeHint().width() < 400
    assert widget.images.title() == "Folder: a_very_...r_name_ (2 images)"
    assert widget.scroll.widget().minimumSizeHint().width() <= 329  # a 344 px dock's room (the panels took 489)
    assert widget.width() < 600 and canvas_width(viewer) > 600


def test_a_long_name_in_a_warning_wraps_inside_the_panel(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", LONG, "c.png"], [LONG])
    qtbot.wait(200)
    dock = widget.width()
    click(qtbot, widget.next_button)  # the long one cannot be read
    qtbot.wait(300)
    notice = widget.notice
    assert notice.isVisible() and notice.text().startswith(f"Skipped {LONG}:")
    assert notice.height() >= notice.heightForWidth(notice.width())
    assert widget.width() <= dock + 2


def test_a_copy_of_a_wrapped_warning_is_the_text_as_said(make_napari_viewer, qtbot, tmp_path):
    """The break places that let a long name wrap were copied with it (zero-width spaces)."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", LONG, "c.png"], [LONG])
    qtbot.wait(200)
    click(qtbot, widget.next_button)
    qtbot.wait(300)
    notice = widget.notice
    notice.setFocus()
    notice.setSelection(0, len(notice.text()))
    qtbot.keyClick(notice, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(100)
    copied = QApplication.clipboard().text()
    assert copied.startswith(f"Skipped {LONG}:") and "\u200b" not in copied
    status = widget.status  # (the read-only reason, with its path, is said there)
    status.setFocus()
    status.setSelection(0, len(status.text()))
    qtbot.keyClick(status, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(100)
    assert QApplication.clipboard().text() == status.text()


# -- 2: a skipped file's warning stays while it applies -----------------------------------
def test_the_warning_for_a_file_next_skipped_stays_until_the_annotator_goes_on(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = open_folder(
        make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", "b.png", "c.png"], broken=["b.png"]
    )
    key(qtbot, viewer, "Right", "Shift")  # b.png cannot be read: c.png is shown
    assert shown_image(widget) == "c.png"
    qtbot.wait(500)
    assert widget.notice.isVisible() and widget.notice.text().startswith("Skipped b.png:")
    assert widget.status.text().startswith("c.png: 160 x 120.")
    box(viewer, 45, 25, 115, 95)  # the annotator goes on: the warning no longer applies
    wait(qtbot, widget)
    assert not widget.notice.isVisible()


def test_two_files_skipped_on_the_way_are_both_said(make_napari_viewer, qtbot, tmp_path):
    names = ["a.png", "b.png", "c.png", "d.png"]
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", names, broken=["b.png", "c.png"])
    key(qtbot, viewer, "Right", "Shift")
    assert shown_image(widget) == "d.png"
    lines = widget.notice.text().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Skipped b.png", "Skipped c.png"]
    key(qtbot, viewer, "Left", "Shift")  # another image: said no more
    assert shown_image(widget) == "a.png" and not widget.notice.isVisible()


# -- 3: Export... keeps its dialog open for an image without objects ----------------------
def test_export_of_the_current_image_without_objects_keeps_the_dialog_open(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QDialogButtonBox

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", "b.png"])
    accept_box(qtbot, viewer, widget)
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=10000)
    key(qtbot, viewer, "Right", "Shift")
    assert shown_image(widget) == "b.png" and widget.export_button.isEnabled()  # the folder has an object
    seen = {}

    def in_dialog():
        dialog = widget.exporter.dialog
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(50, in_dialog)
            return
        dialog.scope.setCurrentText("the current image")
        dialog.folder.setText(str(tmp_path / "out"))
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), _left())
        qtbot.wait(100)
        seen["open"], seen["problem"] = dialog.isVisible(), dialog.problem.text()
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel), _left())

    QTimer.singleShot(50, in_dialog)
    click(qtbot, widget.export_button)
    assert seen["open"], "the dialog closed"
    assert seen["problem"] == "b.png has no objects to export: accept one first, or export the whole folder."
    assert not (tmp_path / "out").exists() and widget.status.text() != "The export stopped."


def _left():
    from qtpy.QtCore import Qt

    return Qt.MouseButton.LeftButton


# -- 4: undo and redo say what they did ---------------------------------------------------
def test_redo_of_a_box_removal_says_the_box_removed(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png"])
    boxes = viewer.layers["boxes"]
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    boxes.mode = "select"
    boxes.selected_data = {0}
    key(qtbot, viewer, "Delete")  # napari's key: the selected box goes
    wait(qtbot, widget)
    assert len(boxes.data) == 0 and widget.undo_button.toolTip() == "Undo the box removed"
    key(qtbot, viewer, "Z", "Control")
    assert len(boxes.data) == 1 and widget.status.text() == "Undone: the box removed."
    assert widget.redo_button.toolTip() == "Redo the box removed"
    key(qtbot, viewer, "Z", "Control", "Shift")
    assert len(boxes.data) == 0 and widget.status.text() == "Redone: the box removed."
    key(qtbot, viewer, "Z", "Control")
    key(qtbot, viewer, "Z", "Control")  # the box drawn: said as before
    assert len(boxes.data) == 0 and widget.status.text() == "Undone: the box."


def test_a_preview_of_one_pixel_says_one_pixel(make_napari_viewer, qtbot, tmp_path):
    import numpy as np

    from interactive_seg.plugin.preview import Preview

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png"])
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    widget._on_result(Preview(np.ones((1, 1), bool), (60, 50), (120, 160)))  # as the engine's worker hands it
    assert widget.status.text().startswith("Preview: 1 pixel. Accept")


# -- 5: a rename renamed again on another image ------------------------------------------
def test_undo_of_a_rename_renamed_again_on_another_image_says_where_to_undo(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos", ["a.png", "b.png"])
    accept_box(qtbot, viewer, widget)
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=10000)
    rename(qtbot, widget, 0, "person")  # on a.png
    key(qtbot, viewer, "Right", "Shift")
    rename(qtbot, widget, 0, "human")  # on b.png
    key(qtbot, viewer, "Left", "Shift")
    assert shown_image(widget) == "a.png"
    key(qtbot, viewer, "Z", "Control")
    assert widget.model.classes == ["human"] and widget.notice.isVisible()
    assert widget.notice.text() == (
        "Class 'person' was renamed 'human' on b.png since: undo that rename first (Ctrl+Z on b.png); "
        "then Ctrl+Z here renames 'person' back to 'object'."
    )
    # as it says: on b.png, then here
    key(qtbot, viewer, "Right", "Shift")
    key(qtbot, viewer, "Z", "Control")
    assert widget.model.classes == ["person"]
    key(qtbot, viewer, "Left", "Shift")
    key(qtbot, viewer, "Z", "Control")
    assert widget.model.classes == ["object"]
    key(qtbot, viewer, "Z", "Control")
    assert widget.object_list.count() == 0
