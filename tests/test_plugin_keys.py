"""GUI: keys wherever focus is, the wheel, brush keys, one undo history for prompts and
objects, messages that stay and never jump, the first image fitted (issue #33).

Driven with real key, mouse and wheel events on the widgets a user touches.
Run under a display: xvfb-run -a python -m pytest tests/test_plugin_keys.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import key, mods, press  # noqa: E402

from conftest import box, disc_scene, docked_widget, wait  # noqa: E402

pytestmark = pytest.mark.gui


# -- helpers: what a user does ------------------------------------------------------------
def shown(viewer, widget):
    """The window on screen and active, so focus moves as it does for a user."""
    window = viewer.window._qt_window
    window.show()
    window.resize(1400, 900)
    window.activateWindow()
    window.raise_()
    return window


def folder(make_napari_viewer, qtbot, tmp_path, names=("a.png", "b.png", "c.png"), sizes=None):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    root = tmp_path / "photos"
    root.mkdir()
    for i, name in enumerate(names):
        height, width = (sizes or {}).get(name, (120, 160))
        write_image(root / name, disc_scene(height=height, width=width, centre=(width // 2, height // 2), seed=i)[0])
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    shown(viewer, widget)
    widget.open_session(Session.open(root))
    qtbot.wait(50)
    return viewer, widget


@pytest.fixture
def setup(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    widget = docked_widget(viewer, image)
    shown(viewer, widget)
    qtbot.wait(50)
    return viewer, widget, truth


def canvas_key(qtbot, viewer, name, *modifiers):
    from qtpy.QtCore import Qt

    qtbot.keyClick(viewer.window._qt_viewer.canvas.native, getattr(Qt.Key, f"Key_{name}"), mods(*modifiers))


def click(qtbot, widget, pos=None):
    from qtpy.QtCore import Qt

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos if pos is not None else widget.rect().center())


def click_row(qtbot, listing, row, double=False):
    from qtpy.QtCore import Qt

    centre = listing.visualItemRect(listing.item(row)).center()
    (qtbot.mouseDClick if double else qtbot.mouseClick)(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def focus_on(qtbot, widget):
    from qtpy.QtWidgets import QApplication

    widget.setFocus()
    qtbot.waitUntil(
        lambda: QApplication.focusWidget() is widget or widget.isAncestorOf(QApplication.focusWidget()), timeout=3000
    )


def wheel(widget, down=True):
    """One notch of the mouse wheel over ``widget``'s centre."""
    from qtpy.QtCore import QPoint, QPointF, Qt
    from qtpy.QtGui import QWheelEvent
    from qtpy.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120 if down else 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event


def shown_image(widget):
    layer = widget.image_combo.current
    return None if layer is None else layer.name


# -- 1. keys wherever focus is --------------------------------------------------------------
def test_shift_right_moves_on_after_a_click_in_the_class_list_and_a_rename(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtWidgets import QApplication, QLineEdit

    viewer, widget = folder(make_napari_viewer, qtbot, tmp_path)
    assert shown_image(widget) == "a.png"
    click_row(qtbot, widget.class_list, 0)  # choose the class of the next object
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget.class_list, timeout=3000)
    press(qtbot, "Right", "Shift")
    assert shown_image(widget) == "b.png" and widget.images.current() == "b.png"
    press(qtbot, "Left", "Shift")
    assert shown_image(widget) == "a.png"
    click_row(qtbot, widget.class_list, 0, double=True)  # rename the class
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "animal")
    press(qtbot, "Left", "Shift", widget=editor)  # typing: the text field keeps its keys
    assert shown_image(widget) == "a.png"
    press(qtbot, "Return", widget=editor)
    qtbot.waitUntil(lambda: widget.model.classes[0] == "animal", timeout=3000)
    qtbot.waitUntil(lambda: not isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    press(qtbot, "Right", "Shift")  # focus back in the class list
    assert shown_image(widget) == "b.png"


def test_alt_3_in_the_brush_size_box_chooses_scribbles_and_types_nothing(setup, qtbot):
    viewer, widget, truth = setup
    click(qtbot, widget.brush_spin)
    focus_on(qtbot, widget.brush_spin)
    assert viewer.layers.selection.active.name == "boxes"
    press(qtbot, "3", "Alt")
    assert widget.brush_spin.value() == 10 and viewer.layers.selection.active.name == "scribbles"
    assert viewer.layers["scribbles"].mode == "paint"
    press(qtbot, "1", "Alt")
    assert viewer.layers.selection.active.name == "boxes" and widget.brush_spin.value() == 10
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift")  # Accept from the spin box
    assert widget.object_list.count() == 1
    widget.brush_spin.lineEdit().selectAll()
    press(qtbot, "2", widget=widget.brush_spin.lineEdit())  # a plain digit is the spin box's
    assert widget.brush_spin.value() == 2


def test_keys_work_from_the_engine_box_and_napari_layer_list(setup, qtbot):
    viewer, widget, truth = setup
    for where in (widget.engine_combo, widget.colour_combo, viewer.window._qt_viewer.layers):
        focus_on(qtbot, where)
        press(qtbot, "2", "Alt")
        assert viewer.layers.selection.active.name == "points"
        press(qtbot, "1", "Alt")
        assert viewer.layers.selection.active.name == "boxes"


def test_the_wheel_over_an_unfocused_box_is_left_to_the_panel(setup, qtbot):
    """A wheel notch over a combo or spin box the user has not clicked changes nothing and
    is left unaccepted, so Qt hands it on to the scrolling panel (a wheel from the mouse;
    Qt never hands on a synthesized one, so the panel's scroll is not asserted here)."""
    viewer, widget, truth = setup
    focus_on(qtbot, widget.class_list)
    parts = (widget.brush_combo, widget.brush_spin, widget.colour_combo, widget.engine_combo, widget.image_combo)
    for part in parts:
        before = [p.currentIndex() if hasattr(p, "currentIndex") else p.value() for p in parts]
        event = wheel(part)
        after = [p.currentIndex() if hasattr(p, "currentIndex") else p.value() for p in parts]
        assert after == before and not event.isAccepted(), part
    click(qtbot, widget.brush_spin)  # clicked: now it takes the wheel
    focus_on(qtbot, widget.brush_spin)
    wheel(widget.brush_spin, down=False)
    assert widget.brush_spin.value() == 11


# -- 2. foreground / background keys, the brush after Accept ----------------------------------
def test_shift_f_and_shift_b_choose_the_marks_and_the_panel_shows_them(setup, qtbot):
    viewer, widget, truth = setup
    scribbles = viewer.layers["scribbles"]
    canvas_key(qtbot, viewer, "3", "Alt")
    canvas_key(qtbot, viewer, "B", "Shift")
    assert scribbles.selected_label == 2 and widget.brush_combo.currentText().startswith("background")
    assert widget.point_toggle.isChecked() and viewer.layers["points"].feature_defaults["label"][0] == 0
    focus_on(qtbot, widget.class_list)
    press(qtbot, "F", "Shift")  # from the panel too
    assert scribbles.selected_label == 1 and widget.brush_combo.currentText().startswith("foreground")
    assert not widget.point_toggle.isChecked()
    scribbles.selected_label = 2  # napari's own label box: the panel follows
    assert widget.brush_combo.currentText().startswith("background")
    scribbles.selected_label = 3  # past the two kinds: the brush stays a background brush, said
    assert scribbles.selected_label == 2 and widget.brush_combo.currentText().startswith("background")
    assert "foreground (1) or background (2)" in widget.footer.notice.text()
    # after Accept the marks start again at foreground, as the panel says...
    assert widget.fresh_marks.isChecked()
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift")
    assert widget.object_list.count() == 1
    assert scribbles.selected_label == 1 and widget.brush_combo.currentText().startswith("foreground")
    # ...or stay what the annotator chose
    click(qtbot, widget.fresh_marks)
    assert not widget.fresh_marks.isChecked()
    press(qtbot, "B", "Shift", widget=widget.class_list)
    box(viewer, 10, 10, 40, 40)
    wait(qtbot, widget)
    click(qtbot, widget.clear_button)
    assert scribbles.selected_label == 2 and widget.brush_combo.currentText().startswith("background")
    assert widget.point_toggle.isChecked()


# -- 3. one undo history: the object's prompts, then objects -----------------------------------
def paint(qtbot, viewer, widget, centre, label):
    scribbles = viewer.layers["scribbles"]
    before = widget.runner.generation
    with scribbles.block_history():  # as napari's brush drag paints: one stroke
        scribbles.brush_size = 10
        scribbles.paint(centre, label)
    qtbot.waitUntil(lambda: widget.runner.generation > before, timeout=5000)
    wait(qtbot, widget)


def test_ctrl_z_takes_back_the_box_the_click_and_the_stroke_then_objects(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    assert widget.object_list.count() == 1
    box(viewer, 10, 10, 60, 60)
    viewer.layers["points"].add([[30, 30]])
    canvas_key(qtbot, viewer, "3", "Alt")
    paint(qtbot, viewer, widget, (20, 20), 2)
    boxes, points, scribbles = (viewer.layers[n] for n in ("boxes", "points", "scribbles"))
    focus_on(qtbot, widget.class_list)
    press(qtbot, "Z", "Control")
    assert not scribbles.data.any() and len(points.data) == 1 and widget.status.text() == "Undone: the last stroke."
    canvas_key(qtbot, viewer, "Z", "Control")  # on the canvas, scribbles active
    assert len(points.data) == 0 and len(boxes.data) == 1 and widget.status.text() == "Undone: the last click."
    click(qtbot, widget.undo_button)
    assert len(boxes.data) == 0 and widget.object_list.count() == 1 and widget.status.text() == "Undone: the box."
    wait(qtbot, widget)
    assert not viewer.layers["preview"].data.any()
    press(qtbot, "Z", "Control", widget=widget.class_list)  # no prompt left: the object
    assert widget.object_list.count() == 0
    # and back, latest first
    press(qtbot, "Z", "Control", "Shift", widget=widget.class_list)
    assert widget.object_list.count() == 1 and len(boxes.data) == 0
    canvas_key(qtbot, viewer, "Z", "Control", "Shift")
    assert len(boxes.data) == 1 and widget.status.text() == "Redone: the box."
    click(qtbot, widget.redo_button)
    assert len(points.data) == 1 and viewer.layers["points"].features["label"].tolist() == [1]
    press(qtbot, "Z", "Control", "Shift", widget=widget.class_list)
    assert scribbles.data[20, 20] == 2 and widget.status.text() == "Redone: the last stroke."
    wait(qtbot, widget)
    assert widget.object_list.count() == 1


def test_ctrl_z_while_a_box_preview_is_pending_never_brings_back_a_deleted_object(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    widget.object_list.setCurrentRow(0)
    click(qtbot, widget.delete_button)
    assert widget.object_list.count() == 0
    box(viewer, 40, 20, 120, 100)
    assert widget.busy  # the preview is on its way
    canvas_key(qtbot, viewer, "Z", "Control")  # boxes active
    assert widget.object_list.count() == 0 and not viewer.layers["objects"].data.any()
    assert len(viewer.layers["boxes"].data) == 0
    wait(qtbot, widget)
    assert not viewer.layers["preview"].data.any() and not widget.accept_button.isEnabled()
    canvas_key(qtbot, viewer, "Z", "Control", "Shift")  # the box again, not an object
    assert len(viewer.layers["boxes"].data) == 1 and widget.object_list.count() == 0
    wait(qtbot, widget)


def test_only_the_newest_box_is_drawn_and_a_click_in_box_mode_keeps_it(setup, qtbot):
    from interactive_seg.plugin import layers as L

    viewer, widget, truth = setup
    boxes = viewer.layers["boxes"]
    box(viewer, 10, 10, 60, 60)
    box(viewer, 45, 25, 115, 95)
    assert len(boxes.data) == 1 and L.box_from_shapes(boxes.data) == (45, 25, 115, 95)
    boxes.add_rectangles(np.array([[5.0, 5.0], [5.0, 5.0], [5.0, 5.0], [5.0, 5.0]]))  # a click, no drag
    assert len(boxes.data) == 1 and L.box_from_shapes(boxes.data) == (45, 25, 115, 95)
    wait(qtbot, widget)
    canvas_key(qtbot, viewer, "Z", "Control")  # the older box counts again
    assert len(boxes.data) == 1 and L.box_from_shapes(boxes.data) == (10, 10, 60, 60)
    wait(qtbot, widget)


# -- 4. messages ---------------------------------------------------------------------------
def test_a_first_stroke_is_a_quiet_hint_and_accept_says_why(setup, qtbot, monkeypatch):
    from interactive_seg.plugin import widget as widget_module

    viewer, widget, truth = setup
    toasts = []
    monkeypatch.setattr(widget_module, "show_warning", toasts.append)
    canvas_key(qtbot, viewer, "3", "Alt")
    paint(qtbot, viewer, widget, (60, 80), 1)  # the first stroke of a pair
    assert toasts == [] and not widget.notice.isVisible()
    assert "background" in widget.status.text()  # the hint, quietly
    canvas_key(qtbot, viewer, "Enter", "Shift")  # asks for what cannot be had: said aloud, whole
    assert toasts and "Only foreground" in toasts[-1]
    assert widget.notice.isVisible() and widget.notice.text() == toasts[-1] and widget.notice.wordWrap()
    paint(qtbot, viewer, widget, (5, 5), 2)  # the pair is complete: the warning no longer applies
    assert widget._preview is not None and not widget.notice.isVisible()


def test_the_buttons_stay_put_whatever_the_message(setup, qtbot):
    viewer, widget, truth = setup
    window = viewer.window._qt_window
    window.resize(1280, 720)
    qtbot.wait(100)
    where = [widget.accept_button.mapTo(window, widget.accept_button.rect().topLeft()).y()]
    canvas_key(qtbot, viewer, "3", "Alt")
    paint(qtbot, viewer, widget, (60, 80), 1)  # a long hint (two lines or more)
    qtbot.wait(100)
    where.append(widget.accept_button.mapTo(window, widget.accept_button.rect().topLeft()).y())
    widget._warn("A warning that runs over several lines of the panel, " * 3)
    qtbot.wait(100)
    where.append(widget.accept_button.mapTo(window, widget.accept_button.rect().topLeft()).y())
    click(qtbot, widget.clear_button)  # one line again
    qtbot.wait(100)
    where.append(widget.accept_button.mapTo(window, widget.accept_button.rect().topLeft()).y())
    assert max(where) - min(where) <= 1, where


def test_the_object_under_the_cursor_is_not_named_on_an_image_without_objects(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = folder(make_napari_viewer, qtbot, tmp_path, names=("a.png", "b.png"))
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    viewer.cursor.position = (60, 80)
    assert "object 1" in widget.hover.text()
    click(qtbot, widget.next_button)
    assert shown_image(widget) == "b.png" and widget.hover.text() == ""
    click(qtbot, widget.previous_button)
    assert "object 1" in widget.hover.text()  # the cursor has not moved: it is over the object again
    click(qtbot, widget.undo_button)
    assert widget.hover.text() == ""


def test_while_the_image_is_encoded_the_status_says_what_waits(setup, qtbot):
    import time

    viewer, widget, truth = setup
    engine = widget.engine()
    steps = []

    def slow_steps(image):
        for i in range(100):
            time.sleep(0.02)
            steps.append(i)
            yield i / 100

    engine.embeds = True
    engine.embed_steps = slow_steps
    widget._embed()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=5000)
    box(viewer, 45, 25, 115, 95)
    assert widget.status.text().startswith("A box waiting for the image embedding")
    viewer.layers["points"].add([[60, 80]])
    assert widget.status.text().startswith("A box and 1 click waiting")
    widget.cancel_embedding()
    qtbot.waitUntil(lambda: not widget.embedding, timeout=10000)


# -- 5. the first image fits; a slow image says it is opening ----------------------------------
def fitted(viewer, shape):
    """The whole image is on the canvas (napari's Home)."""
    canvas = viewer.window._qt_viewer.canvas.native
    zoom = viewer.scene.camera.zoom
    height, width = shape
    fits = zoom * width <= canvas.width() + 1 and zoom * height <= canvas.height() + 1
    fills = zoom * width >= 0.8 * canvas.width() or zoom * height >= 0.8 * canvas.height()
    return fits and fills


def test_the_first_image_opens_fitted_to_the_canvas(make_napari_viewer, qtbot):
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    window = viewer.window._qt_window
    window.show()
    window.resize(1280, 720)
    qtbot.wait(50)
    image, _ = disc_scene(height=400, width=1000, centre=(500, 200), radius=100)
    viewer.add_image(image, name="wide", rgb=True)  # napari fits it to the canvas as it is now
    qtbot.wait(50)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)  # the dock takes its width from the canvas
    qtbot.waitUntil(lambda: widget.isVisible(), timeout=3000)
    qtbot.wait(100)
    assert fitted(viewer, image.shape[:2]), (viewer.scene.camera.zoom, viewer.window._qt_viewer.canvas.native.width())


def test_an_image_being_opened_shows_a_busy_cursor_and_says_so(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication

    viewer, widget = folder(make_napari_viewer, qtbot, tmp_path, names=("a.png", "b.png"), sizes={"b.png": (300, 900)})
    seen = []
    read = widget.session.read

    def slow_read(name):  # as a 6000 x 4000 photograph decodes
        cursor = QApplication.overrideCursor()
        seen.append((widget.status.text(), None if cursor is None else cursor.shape()))
        return read(name)

    widget.session.read = slow_read
    press(qtbot, "Right", "Shift", widget=widget.class_list)
    assert seen == [("Opening b.png...", Qt.CursorShape.WaitCursor)]
    assert QApplication.overrideCursor() is None and shown_image(widget) == "b.png"
    qtbot.wait(50)
    assert fitted(viewer, (300, 900))


def test_a_large_image_is_read_in_a_worker_while_the_window_stays_usable(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    import time

    from qtpy.QtCore import Qt, QTimer
    from qtpy.QtWidgets import QApplication

    from interactive_seg.plugin import folder as folder_module

    viewer, widget = folder(make_napari_viewer, qtbot, tmp_path, names=("a.png", "b.png"), sizes={"b.png": (300, 900)})
    monkeypatch.setattr(folder_module, "READ_IN_WORKER_PIXELS", 200_000)  # b.png (270000 pixels) counts as large
    read = widget.session.read

    def slow_read(name):  # as a 6000 x 4000 photograph decodes
        time.sleep(1.0)
        return read(name)

    widget.session.read = slow_read
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    start = time.perf_counter()
    press(qtbot, "Right", "Shift", widget=widget.class_list)
    assert time.perf_counter() - start < 0.5  # the key returned at once
    assert (
        widget.status.text() == "Opening b.png..."
        and QApplication.overrideCursor().shape() == Qt.CursorShape.WaitCursor
    )
    assert shown_image(widget) == "a.png"  # still the image to work on meanwhile
    qtbot.waitUntil(lambda: shown_image(widget) == "b.png", timeout=10000)
    timer.stop()
    assert len([t for t in ticks if t > start]) >= 10  # the event loop ran while it was read
    qtbot.waitUntil(lambda: QApplication.overrideCursor() is None, timeout=3000)
    assert widget.images.current() == "b.png" and widget.status.text().startswith("b.png: 900 x 300")
    qtbot.wait(50)
    assert fitted(viewer, (300, 900))
    press(qtbot, "Left", "Shift", widget=widget.class_list)  # small: at once
    assert shown_image(widget) == "a.png"


def test_shift_down_and_shift_up_choose_the_class_from_the_canvas_and_the_panel(setup, qtbot):
    """No key chose a class: a keyboard-only annotator tabbed 24 times to the class list
    (#33, an annotator's pass)."""
    viewer, widget, truth = setup
    widget.add_class("leaf")
    widget.add_class("stem")
    widget.classes.select(widget.model.classes[0])
    key(qtbot, viewer, "Down", "Shift")  # on the canvas: napari's binding
    assert widget.current_class() == "leaf" and "Class: 'leaf'" in widget.status.text()
    key(qtbot, viewer, "Down", "Shift")
    key(qtbot, viewer, "Down", "Shift")  # (the last class stays chosen)
    assert widget.current_class() == "stem"
    click(qtbot, widget.brush_spin)  # focus in the panel: the router's
    focus_on(qtbot, widget.brush_spin)
    press(qtbot, "Up", "Shift")
    assert widget.current_class() == "leaf" and widget.brush_spin.value() == 10
