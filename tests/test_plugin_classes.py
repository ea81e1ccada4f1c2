"""GUI: the class list and the class colours are the folder's, kept in its COCO file's
categories, and come back exactly on reopening (issue #33 point 3).

Driven with real mouse and key events on the class list and the buttons.
Run under a display: xvfb-run -a python -m pytest tests/test_plugin_classes.py
"""

import json

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import click_row, press, rename

from conftest import box, disc_scene, wait

pytestmark = pytest.mark.gui


def open_folder(make_napari_viewer, qtbot, root):
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    window = viewer.window._qt_window
    window.show()
    window.resize(1400, 900)
    window.activateWindow()
    window.raise_()
    widget.open_session(Session.open(root))
    qtbot.wait(50)
    return viewer, widget


def shown_classes(widget):
    """(name, swatch colour) of each row of the class list, as the annotator sees it."""
    out = []
    for row in range(widget.class_list.count()):
        item = widget.class_list.item(row)
        colour = item.icon().pixmap(12, 12).toImage().pixelColor(6, 6).name()
        out.append((item.text(), colour))
    return out


def accept(qtbot, viewer, widget, rect):
    from qtpy.QtCore import Qt

    box(viewer, *rect)
    wait(qtbot, widget)
    qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)


def test_classes_and_colours_come_back_exactly_after_reopening(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import Qt

    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    for i in range(2):
        write_image(root / f"p{i}.png", disc_scene(seed=i)[0])
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    assert [name for name, _ in shown_classes(widget)] == ["object"]
    rename(qtbot, widget, 0, "animal")  # the default class, renamed before any object
    qtbot.mouseClick(widget.add_class_button, Qt.MouseButton.LeftButton)
    rename(qtbot, widget, 1, "ground")
    qtbot.mouseClick(widget.add_class_button, Qt.MouseButton.LeftButton)
    rename(qtbot, widget, 2, "vehicle")
    click_row(qtbot, widget.class_list, 2)  # vehicle
    accept(qtbot, viewer, widget, (45, 25, 115, 95))
    click_row(qtbot, widget.class_list, 1)  # ground, on the next image
    widget.step_image(1)
    accept(qtbot, viewer, widget, (45, 25, 115, 95))
    before = shown_classes(widget)
    assert [name for name, _ in before] == ["animal", "ground", "vehicle"]
    assert len({colour for _, colour in before}) == 3
    drawn = dict(before)
    widget.session.close()
    viewer.close()

    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    assert shown_classes(widget) == before  # no extra "object", no colours swapped
    categories = json.loads((root / "annotations.coco.json").read_text())["categories"]
    assert [(c["name"], c["color"]) for c in categories] == before
    # the objects are drawn in their class's colour, as before
    objects = widget.model.objects(widget._key)
    assert {widget.canvas.object_colour(i) for i in objects.ids} == {drawn[objects.classes[i]] for i in objects.ids}


def test_escape_while_naming_a_new_class_takes_it_back(make_napari_viewer, qtbot, tmp_path):
    """Add class opens the new class's name for typing: Escape there means "no new class"
    (it stayed as "class 3", in the list and in the file)."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication, QLineEdit

    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", disc_scene()[0])
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    before = list(widget.model.classes)
    qtbot.mouseClick(widget.classes.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: widget.model.classes == before, timeout=3000)
    assert widget.class_list.count() == len(before)
    assert [c["name"] for c in widget.session.document.categories if c["name"].startswith("class ")] == []
    qtbot.mouseClick(widget.classes.add_button, Qt.MouseButton.LeftButton)  # Enter keeps it
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "wheel")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "wheel" in widget.model.classes, timeout=3000)


def test_a_removed_class_is_said_and_a_warning_from_a_refused_try_goes(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import Qt

    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", disc_scene()[0])
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    accept(qtbot, viewer, widget, (45, 25, 115, 95))  # of the first class
    widget.classes.add("unused")
    widget.classes.select(widget.model.classes[0])
    qtbot.mouseClick(widget.classes.remove_button, Qt.MouseButton.LeftButton)  # in use: refused
    assert not widget.notice.isHidden() and "still have the class" in widget.notice.text()
    first = widget.model.classes[0]
    assert widget.status.text() == f"The class '{first}' was not removed."  # not the line of the step before
    widget.class_list.item(0).setText(f"{first}  ")  # a rename to the same name, with spaces
    assert widget.status.text() == f"Class '{first}' kept its name." and widget.model.classes[0] == first
    widget.classes.select("unused")
    before, ids = shown_classes(widget), dict(widget.session.categories)
    qtbot.mouseClick(widget.classes.remove_button, Qt.MouseButton.LeftButton)
    assert "unused" not in widget.model.classes
    assert widget.notice.isHidden() and widget.status.text() == "Removed the class 'unused'."
    # Ctrl+Z (focus on the button just clicked) puts it back: its colour, its category id
    # (it undid the step before instead, and the class came back with a new id and colour)
    press(qtbot, "Z", "Control")
    assert shown_classes(widget) == before and widget.session.categories == ids
    assert widget.status.text() == "Undone: class 'unused' removed."


def test_the_name_typed_for_a_new_class_is_its_name_and_undo_never_brings_a_placeholder_back(
    make_napari_viewer, qtbot, tmp_path
):
    """Add class, a name, Enter, then Ctrl+Z left "class 2" (the naming was a rename step);
    a blank or taken name left "class N" in the list and in the file (an annotator's pass)."""
    from gui_actions import press
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication, QLineEdit

    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", disc_scene()[0])
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    accept(qtbot, viewer, widget, (45, 25, 115, 95))  # something to undo before the class

    def add_named(text):
        qtbot.mouseClick(widget.classes.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
        editor = QApplication.focusWidget()
        editor.selectAll()
        if text:
            qtbot.keyClicks(editor, text)
        else:
            qtbot.keyClick(editor, Qt.Key.Key_Delete)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.wait(50)

    first = widget.model.classes[0]
    add_named("dog")
    assert widget.model.classes == [first, "dog"] and widget.current_class() == "dog"
    assert widget.status.text() == "Added the class 'dog'."
    widget.classes.list.setFocus()
    press(qtbot, "Z", "Control")  # undoes the accept before it, not the class's name
    qtbot.waitUntil(lambda: widget.model.count(widget._key) == 0, timeout=3000)
    assert widget.model.classes == [first, "dog"]
    add_named("")  # a blank name: no new class, as Escape
    add_named("dog")  # a taken name: that class is chosen, no "class N"
    assert widget.model.classes == [first, "dog"] and widget.current_class() == "dog"
    assert "already a class 'dog'" in widget.status.text()
    names = [c["name"] for c in widget.session.document.categories]
    assert not [n for n in names if n.startswith("class ")]


def test_ctrl_z_of_a_delete_shows_the_class_removed_since_in_the_list(make_napari_viewer, qtbot, tmp_path):
    """Delete an object, remove its class on the next image, come back and Ctrl+Z: the object
    came back with a class the list no longer showed (and, on a rename, its old name)."""
    from qtpy.QtCore import Qt

    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    for name in ("a.png", "b.png"):
        write_image(root / name, disc_scene()[0])
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    widget.classes.add("car")
    accept(qtbot, viewer, widget, (45, 25, 115, 95))
    (object_id,) = widget.model.objects(widget._key).ids
    widget.delete(object_id)
    widget.step_image(1)
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=10000)
    widget.classes.select("car")
    qtbot.mouseClick(widget.classes.remove_button, Qt.MouseButton.LeftButton)
    assert "car" not in [name for name, _ in shown_classes(widget)]
    widget.step_image(-1)
    qtbot.waitUntil(lambda: widget._key == "a.png", timeout=10000)
    widget.viewer.window._qt_viewer.canvas.native.setFocus()
    press(qtbot, "Z", "Control")
    qtbot.waitUntil(lambda: widget.model.count("a.png") == 1, timeout=5000)
    assert widget.model.objects("a.png").classes == {object_id: "car"}
    assert "car" in [name for name, _ in shown_classes(widget)]
