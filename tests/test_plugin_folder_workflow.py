"""GUI: working through a folder of photographs: the folder let go when the window closes,
Export for the folder, class names in messages, keys after the filter box, quick presses
while a large image opens, box edges and class colours that stay visible, the class and
object lists on screen, Shift+Enter before the preview comes.

Driven with real key and mouse events on the widgets a user touches.
Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_folder_workflow.py
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import press  # noqa: E402

from conftest import box, disc_scene, wait  # noqa: E402

pytestmark = pytest.mark.gui


# -- helpers: what a user does ------------------------------------------------------------
def make_folder(root, names=("a.png", "b.png", "c.png"), sizes=None):
    from interactive_seg import write_image

    root.mkdir()
    for i, name in enumerate(names):
        height, width = (sizes or {}).get(name, (120, 160))
        write_image(root / name, disc_scene(height=height, width=width, centre=(width // 2, height // 2), seed=i)[0])
    return root


def opened(make_napari_viewer, qtbot, root, size=(1600, 1000)):
    """The folder in a docked widget, the window on screen and active."""
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    window = viewer.window._qt_window
    window.show()
    window.resize(*size)
    window.activateWindow()
    window.raise_()
    widget.open_session(Session.open(root))
    qtbot.wait(50)
    return viewer, widget


def click(qtbot, widget, pos=None):
    from qtpy.QtCore import Qt

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos if pos is not None else widget.rect().center())


def click_row(qtbot, listing, row, double=False):
    from qtpy.QtCore import Qt

    centre = listing.visualItemRect(listing.item(row)).center()
    (qtbot.mouseDClick if double else qtbot.mouseClick)(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def canvas_at(viewer, x, y):
    """Image pixel (x, y) as a position on napari's canvas widget."""
    from qtpy.QtCore import QPointF

    camera, native = viewer.scene.camera, viewer.window._qt_viewer.canvas.native
    cy, cx = camera.center[-2:]
    return QPointF((x - cx) * camera.zoom + native.width() / 2, (y - cy) * camera.zoom + native.height() / 2)


def mouse(qtbot, viewer, kind, x, y, button, buttons):
    from qtpy.QtCore import QEvent, QPointF, Qt
    from qtpy.QtGui import QMouseEvent
    from qtpy.QtWidgets import QApplication

    native = viewer.window._qt_viewer.canvas.native
    pos = canvas_at(viewer, x, y)
    event = QMouseEvent(
        getattr(QEvent.Type, kind),
        pos,
        QPointF(native.mapToGlobal(pos.toPoint())),
        getattr(Qt.MouseButton, button),
        getattr(Qt.MouseButton, buttons),
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(native, event)
    qtbot.wait(20)


def click_canvas(qtbot, viewer, x, y):
    """A left click on the canvas at image pixel (x, y), as the mouse sends it."""
    mouse(qtbot, viewer, "MouseMove", x, y, "NoButton", "NoButton")
    mouse(qtbot, viewer, "MouseButtonPress", x, y, "LeftButton", "LeftButton")
    mouse(qtbot, viewer, "MouseButtonRelease", x, y, "LeftButton", "NoButton")


def shown_image(widget):
    layer = widget.image_combo.current
    return None if layer is None else layer.name


def deleted(qtbot):
    """Qt's deferred deletions done (a closed window's widgets go then)."""
    from qtpy.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(10)


def reopened(root):
    """The folder opened again in this process: no "another window" warning."""
    from interactive_seg import Session

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return Session.open(root)


# -- 1. closing the window lets the folder go ---------------------------------------------
def test_closing_the_window_lets_the_folder_go_with_its_objects(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=viewer.window._qt_viewer.canvas.native)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    assert widget.object_list.count() == 1
    viewer.close()
    deleted(qtbot)
    again = reopened(root)
    try:
        assert not again.read_only and again.count("a.png") == 1
    finally:
        again.close()


def test_removing_the_dock_widget_lets_the_folder_go(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=viewer.window._qt_viewer.canvas.native)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    viewer.window.remove_dock_widget(widget)
    deleted(qtbot)
    again = reopened(root)
    try:
        assert not again.read_only and again.count("a.png") == 1
    finally:
        again.close()


# -- 2. Export... for the folder on an image without objects -------------------------------
def test_export_is_enabled_on_an_empty_image_of_a_folder_that_has_objects(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    assert not widget.export_button.isEnabled()  # nothing in the folder yet
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    press(qtbot, "Right", "Shift", widget=canvas)
    assert shown_image(widget) == "b.png" and widget.object_list.count() == 0
    assert widget.export_button.isEnabled()  # the export covers the folder
    press(qtbot, "Left", "Shift", widget=canvas)
    click_row(qtbot, widget.object_list, 0)
    click(qtbot, widget.delete_button)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    press(qtbot, "Right", "Shift", widget=canvas)
    assert not widget.export_button.isEnabled()  # nothing left to export


def test_export_is_enabled_on_an_empty_image_of_a_folder_reopened_with_objects(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session

    root = make_folder(tmp_path / "photos")
    with Session.open(root) as session:
        session.add("c.png", disc_scene(centre=(80, 60))[1], "object")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    assert shown_image(widget) == "a.png" and widget.object_list.count() == 0
    assert widget.export_button.isEnabled()


# -- 3. an edited object's class in the messages ------------------------------------------
def test_an_edited_object_is_named_by_its_class_in_the_status_and_undo(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    click_row(qtbot, widget.object_list, 0)
    click(qtbot, widget.edit_button)
    press(qtbot, "2", "Alt", widget=canvas)  # points
    click_canvas(qtbot, viewer, 30, 30)  # a foreground click outside the disc: the mask grows
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    assert "replaced" in widget.status.text() and "None" not in widget.status.text()
    assert "'object'" in widget.status.text()
    assert "'object'" in widget.undo_button.toolTip() and "None" not in widget.undo_button.toolTip()
    click(qtbot, widget.undo_button)
    assert "'object'" in widget.redo_button.toolTip() and "None" not in widget.redo_button.toolTip()


# -- 4. the filter box gives the keys back after Enter or Escape ---------------------------
@pytest.mark.parametrize("end", ["Return", "Escape"])
def test_shift_right_moves_on_after_enter_or_escape_in_the_filter_box(make_napari_viewer, qtbot, tmp_path, end):
    from qtpy.QtWidgets import QApplication

    root = make_folder(tmp_path / "photos", names=("a.png", "b.png", "c.png", "d.png"))
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    field = widget.images.filter
    click(qtbot, field)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field, timeout=3000)
    qtbot.keyClicks(field, "png")
    press(qtbot, "Right", "Shift")  # typing: the field keeps it (selects text)
    assert shown_image(widget) == "a.png"
    press(qtbot, end)
    press(qtbot, "Right", "Shift")
    assert shown_image(widget) == "b.png"
    press(qtbot, "Right", "Shift")
    press(qtbot, "Left", "Shift")
    assert shown_image(widget) == "b.png" and field.text() == "png"
    press(qtbot, "Left")  # typing again: the field's own keys
    press(qtbot, "Right", "Shift")
    assert shown_image(widget) == "b.png" and field.selectedText() == "g"


def test_shift_enter_in_the_filter_box_accepts_and_opens_no_match(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter there became the filter's Enter, which opened the first match and dropped
    the object being made, with a warning to press Shift+Enter."""
    from qtpy.QtWidgets import QApplication

    root = make_folder(tmp_path / "photos", names=("a.png", "b.png", "c.png"))
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    field = widget.images.filter
    click(qtbot, field)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field, timeout=3000)
    qtbot.keyClicks(field, "c.p")
    press(qtbot, "Return", "Shift")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert shown_image(widget) == "a.png" and widget.model.count("a.png") == 1 and field.text() == "c.p"
    press(qtbot, "Return")  # its own Enter still opens the match
    qtbot.waitUntil(lambda: shown_image(widget) == "c.png", timeout=5000)


# -- 5. quick presses while a large image opens --------------------------------------------
def test_quick_presses_while_a_large_image_opens_go_on_from_it_and_read_it_once(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    import time

    from interactive_seg.plugin import folder as folder_module

    root = make_folder(
        tmp_path / "photos", names=("a.png", "b.png", "c.png", "d.png", "e.png"), sizes={"b.png": (300, 900)}
    )
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    monkeypatch.setattr(folder_module, "READ_IN_WORKER_PIXELS", 200_000)  # b.png (270000 pixels) counts as large
    read, reads = widget.session.read, []

    def slow_read(name):  # as a 6000 x 4000 photograph decodes
        reads.append(name)
        if name == "b.png":
            time.sleep(1.0)
        return read(name)

    widget.session.read = slow_read
    canvas = viewer.window._qt_viewer.canvas.native
    for _ in range(3):
        press(qtbot, "Right", "Shift", widget=canvas)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: not widget.folder.read_worker.is_running, timeout=10000)
    qtbot.wait(100)
    assert shown_image(widget) == "d.png" and widget.images.current() == "d.png"
    assert reads.count("b.png") == 1
    press(qtbot, "Left", "Shift", widget=canvas)
    assert shown_image(widget) == "c.png"


def test_back_before_a_large_image_came_stays_on_the_image_shown(make_napari_viewer, qtbot, tmp_path, monkeypatch):
    """Shift+Right towards a large image, then Shift+Left before it came: the window stays
    on the image shown, with its prompts (it went on to the large image once read)."""
    import time

    from interactive_seg.plugin import folder as folder_module

    root = make_folder(tmp_path / "photos", sizes={"b.png": (300, 900)})
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    monkeypatch.setattr(folder_module, "READ_IN_WORKER_PIXELS", 200_000)  # b.png counts as large
    read = widget.session.read
    widget.session.read = lambda name: (time.sleep(1.0) if name == "b.png" else None) or read(name)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    canvas = viewer.window._qt_viewer.canvas.native
    press(qtbot, "Right", "Shift", widget=canvas)
    qtbot.wait(100)
    press(qtbot, "Left", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: not widget.folder.read_worker.is_running, timeout=10000)
    qtbot.wait(200)
    assert shown_image(widget) == "a.png" and widget.images.current() == "a.png"
    assert len(viewer.layers["boxes"].data) == 1 and "stayed" in widget.status.text()


def test_closing_the_viewer_while_a_large_image_is_read_shows_nothing_on_the_gone_widget(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    """The read finished on a widget already gone: 'wrapped C/C++ object ... deleted', and
    the process aborted."""
    import time

    from interactive_seg.plugin import folder as folder_module

    root = make_folder(tmp_path / "photos", sizes={"b.png": (300, 900)})
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    monkeypatch.setattr(folder_module, "READ_IN_WORKER_PIXELS", 200_000)
    read = widget.session.read
    widget.session.read = lambda name: (time.sleep(0.5) if name == "b.png" else None) or read(name)
    worker_done, shown = [], []
    monkeypatch.setattr(widget.folder, "_show", lambda name, image: shown.append(name))
    monkeypatch.setattr(widget.folder, "_read_failed", lambda name, error: shown.append(name))
    press(qtbot, "Right", "Shift", widget=viewer.window._qt_viewer.canvas.native)
    widget.folder.read_worker.finished.connect(lambda: worker_done.append(True))
    token, image = widget.folder.opening, np.zeros((300, 900, 3), np.uint8)
    viewer.close()
    deleted(qtbot)
    qtbot.waitUntil(lambda: bool(worker_done), timeout=5000)
    qtbot.wait(100)  # its result delivered, to no one
    widget.folder._image_read(token, "b.png", image, None)  # (as it came in the race the annotator hit)
    assert shown == []


# -- 6. a box's edge stays visible at any zoom --------------------------------------------
def wheel_on_canvas(qtbot, viewer, notches):
    """Mouse wheel notches over the canvas centre (positive: zoom in)."""
    from qtpy.QtCore import QPoint, QPointF, Qt
    from qtpy.QtGui import QWheelEvent
    from qtpy.QtWidgets import QApplication

    native = viewer.window._qt_viewer.canvas.native
    centre = QPointF(native.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(native.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(native, event)
    qtbot.wait(50)


def screen_widths(viewer):
    boxes = viewer.layers["boxes"]
    return [float(w) * viewer.scene.camera.zoom for w in boxes.edge_width]


def test_a_box_edge_is_a_few_screen_pixels_wide_at_any_zoom_on_a_large_photo(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos", names=("a.png", "big.png"), sizes={"big.png": (2000, 3000)})
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    press(qtbot, "Right", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: shown_image(widget) == "big.png", timeout=20000)
    qtbot.wait(100)
    assert viewer.scene.camera.zoom < 0.5  # fitted: 3000 pixels across a canvas narrower than that
    box(viewer, 900, 500, 2100, 1500)
    wait(qtbot, widget)
    press(qtbot, "2", "Alt", widget=canvas)  # another layer active: napari's selection outline goes
    assert viewer.layers.selection.active.name == "points"
    assert all(2 <= w <= 5 for w in screen_widths(viewer))
    zoom = viewer.scene.camera.zoom
    wheel_on_canvas(qtbot, viewer, 10)
    assert viewer.scene.camera.zoom > 2 * zoom and all(2 <= w <= 5 for w in screen_widths(viewer))
    press(qtbot, "1", "Alt", widget=canvas)
    box(viewer, 1000, 600, 1200, 800)  # the next box too
    assert all(2 <= w <= 5 for w in screen_widths(viewer))


# -- 7. the class and object lists on screen; Add class opens the name --------------------
def test_the_class_and_object_lists_show_without_scrolling_at_1600_by_1000(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    qtbot.wait(100)
    viewport = widget.scroll.viewport()
    assert widget.scroll.verticalScrollBar().value() == 0
    for panel in (widget.classes, widget.objects_panel):
        top = panel.mapTo(viewport, panel.rect().topLeft())
        bottom = panel.mapTo(viewport, panel.rect().bottomRight())
        assert 0 <= top.y() and bottom.y() <= viewport.height(), (panel.title(), top.y(), bottom.y(), viewport.height())


def test_add_class_opens_the_new_name_for_typing(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtWidgets import QApplication, QLineEdit

    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    click(qtbot, widget.add_class_button)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    assert widget.class_list.isAncestorOf(editor)
    editor.selectAll()
    qtbot.keyClicks(editor, "vehicle")
    press(qtbot, "Return", widget=editor)
    qtbot.waitUntil(lambda: "vehicle" in widget.model.classes, timeout=3000)
    assert widget.model.classes == ["object", "vehicle"] and widget.classes.current() == "vehicle"
    press(qtbot, "Right", "Shift")  # the keys are back at once
    assert shown_image(widget) == "b.png"


def test_an_empty_class_name_is_refused_aloud(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtWidgets import QApplication, QLineEdit

    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    click_row(qtbot, widget.class_list, 0)
    click_row(qtbot, widget.class_list, 0, double=True)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    press(qtbot, "Delete", widget=editor)
    press(qtbot, "Return", widget=editor)
    qtbot.wait(50)
    assert widget.model.classes == ["object"] and widget.class_list.item(0).text() == "object"
    assert "empty" in widget.notice.text() or "empty" in widget.status.text()


# -- 8. class colours that stay visible; stored colours come back exactly ------------------
def brown_contrast(hex_colour):
    """CIEDE2000 distance of a colour from the brown of photographed earth and wood."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    def lab(value):
        return rgb2lab(np.array([[[int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]]]))[0, 0]

    return min(deltaE_ciede2000(lab(hex_colour), lab(b)) for b in ("#8c564b", "#6b4423"))


def add_classes(qtbot, widget, names):
    """Add class, the name typed into the editor it opens, Enter; for each name."""
    from qtpy.QtWidgets import QApplication, QLineEdit

    for name in names:
        click(qtbot, widget.add_class_button)
        qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
        editor = QApplication.focusWidget()
        editor.selectAll()
        qtbot.keyClicks(editor, name)
        press(qtbot, "Return", widget=editor)
        qtbot.waitUntil(lambda name=name: name in widget.model.classes, timeout=3000)


def test_a_sixth_class_is_not_brown_and_keeps_its_colour(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    add_classes(qtbot, widget, ["b", "c", "d", "e", "f"])
    assert widget.model.classes == ["object", "b", "c", "d", "e", "f"]
    colours = [widget.model.colour(n) for n in widget.model.classes]
    assert len(set(colours)) == 6 and all(brown_contrast(c) > 15 for c in colours), colours  # none brown
    viewer.close()
    deleted(qtbot)
    again = reopened(root)
    try:
        assert [again.class_colours[n] for n in ["b", "c", "d", "e", "f"]] == colours[1:]
    finally:
        again.close()


def test_a_class_stored_brown_comes_back_brown(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session

    root = make_folder(tmp_path / "photos")
    with Session.open(root) as session:  # a folder annotated before: its classes keep their colours
        for name, colour in [("a", "#1f77b4"), ("b", "#ff7f0e"), ("earth", "#8c564b")]:
            session.add_class(name, colour)
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    assert widget.model.colour("earth") == "#8c564b"
    add_classes(qtbot, widget, ["new"])
    assert widget.model.colour("new") not in ("#1f77b4", "#ff7f0e", "#8c564b")


# -- smaller: Shift+Right on the last image says so ---------------------------------------
def test_shift_right_on_the_last_image_says_so(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos", names=("a.png", "b.png"))
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    press(qtbot, "Right", "Shift", widget=canvas)
    assert shown_image(widget) == "b.png"
    press(qtbot, "Right", "Shift", widget=canvas)
    assert shown_image(widget) == "b.png" and "b.png is the last image" in widget.status.text()
    click(qtbot, widget.previous_button)
    click(qtbot, widget.previous_button)
    assert shown_image(widget) == "a.png" and "a.png is the first image" in widget.status.text()


# -- smaller: Shift+Enter while the preview is computed ------------------------------------
def slowed(widget, seconds=0.6):
    """The engine takes ``seconds`` per preview, as SAM on a large image does."""
    import time

    engine = widget.engine()
    segment = engine.segment

    def slow_segment(*args, **kwargs):
        time.sleep(seconds)
        return segment(*args, **kwargs)

    engine.segment = slow_segment


def accepted_while_computed(make_napari_viewer, qtbot, root, seconds=0.6):
    """The folder opened, a box drawn on an engine slowed to ``seconds`` a preview,
    Shift+Enter before its preview came: ``(viewer, widget, canvas)``."""
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    slowed(widget, seconds)
    box(viewer, 45, 25, 115, 95)
    qtbot.waitUntil(lambda: widget.busy, timeout=3000)
    press(qtbot, "Return", "Shift", widget=canvas)
    return viewer, widget, canvas


def test_shift_enter_while_the_preview_is_computed_accepts_it_when_it_comes(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    assert widget.object_list.count() == 0 and "kept as soon as it is ready" in widget.status.text()
    wait(qtbot, widget)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    assert widget.object_list.count() == 1 and "kept" in widget.status.text()
    assert len(viewer.layers["boxes"].data) == 0  # the prompts cleared, as after any Accept


def test_an_export_right_after_shift_enter_counts_the_object_being_kept(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    """Shift+Enter, then Export... before the preview came: the export left the object out
    (and the pixels it took from others), and said nothing (#33, an annotator's pass)."""
    from interactive_seg.plugin.widget import ExportDialog

    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    box(viewer, 5, 5, 40, 40)  # an object kept before
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: widget.object_list.count() == 1 and not widget.working, timeout=10000)
    slowed(widget, 1.0)
    box(viewer, 45, 25, 115, 95)
    qtbot.waitUntil(lambda: widget.busy, timeout=3000)
    press(qtbot, "Return", "Shift", widget=canvas)
    out = tmp_path / "out"

    def ok(dialog):
        dialog.folder.setText(str(out))
        return True

    monkeypatch.setattr(ExportDialog, "exec", ok)
    click(qtbot, widget.export_button)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported") or widget.notice.isVisible(), timeout=30000)
    assert widget.object_list.count() == 2 and len(list(out.glob("*.png"))) == 2, widget.status.text()


def test_closing_the_window_while_a_preview_is_computed_ends_its_worker_first(make_napari_viewer, qtbot, tmp_path):
    """A script that closed the window while a preview was computed, then ended, aborted at
    exit: Qt found the worker's thread still running (an annotator's pass)."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    slowed(widget, 1.0)
    box(viewer, 45, 25, 115, 95)
    qtbot.waitUntil(lambda: widget.busy, timeout=3000)
    runner = widget.runner
    viewer.close()
    assert runner.worker is None and runner.pending is None and not runner.busy


def test_a_waiting_accept_keeps_the_class_chosen_at_shift_enter(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter, then the next object's class picked before the preview came: the object
    was kept under the class picked later, without a word (#33, an annotator's pass)."""
    from gui_actions import click_row

    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    assert "as 'object'" in widget.status.text()
    widget.classes.add("leaf")
    click_row(qtbot, widget.class_list, widget.model.classes.index("leaf"))
    assert widget.current_class() == "leaf"
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=10000)
    assert [o.category for o in widget.session.objects("a.png")] == ["object"]


def test_a_new_prompt_or_clear_after_shift_enter_cancels_the_waiting_accept(make_napari_viewer, qtbot, tmp_path):
    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    press(qtbot, "Escape", "Shift", widget=canvas)  # Clear
    wait(qtbot, widget)
    qtbot.wait(700)
    assert widget.object_list.count() == 0


def test_the_next_box_drawn_at_once_after_shift_enter_says_the_object_was_not_kept(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter, then the next object's box at once (a fast annotator on a large image):
    the first object was not kept and the status still said it would be (#33, an annotator's pass)."""
    from interactive_seg.plugin.prompt_steps import CALLED_OFF

    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    box(viewer, 10, 10, 40, 40)
    assert not widget.notice.isHidden() and widget.notice.text() == CALLED_OFF
    assert "kept as soon as" not in widget.status.text()
    wait(qtbot, widget)
    assert widget.object_list.count() == 0
    assert widget.notice.text() == CALLED_OFF  # through the new box's preview (it went with it)
    press(qtbot, "Z", "Control", widget=canvas)  # as the message says: the new box back, then Shift+Enter
    wait(qtbot, widget)
    (first,) = viewer.layers["boxes"].data  # the first box back: (row, col) corners
    assert abs(first[:, 1].min() - 45) <= 1 and abs(first[:, 0].min() - 25) <= 1
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=10000)
    assert widget.notice.isHidden()  # kept: the warning no longer applies


def test_shift_enter_then_shift_right_keeps_the_object_on_its_image(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter before the preview came, then Next at once: the object is kept on the
    image it was drawn on (it was dropped without a word)."""
    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    press(qtbot, "Right", "Shift", widget=canvas)
    wait(qtbot, widget)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    assert shown_image(widget) == "b.png" and widget.object_list.count() == 0
    press(qtbot, "Left", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: shown_image(widget) == "a.png", timeout=5000)
    assert widget.object_list.count() == 1
    assert widget.session.count("a.png") == 1 and widget.session.count("b.png") == 0  # saved there


def test_shift_enter_then_closing_the_window_keeps_the_object(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter before the preview came, then the viewer closed at once (it removes its
    layers first): the object is saved in the folder (it was dropped without a word)."""
    from interactive_seg import Session

    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root)
    viewer.close()
    with Session.open(root, mode="read") as again:
        assert again.count("a.png") == 1


def test_shift_enter_while_only_a_stale_preview_runs_says_there_is_nothing_to_accept(
    make_napari_viewer, qtbot, tmp_path
):
    """Next while a preview is computed, then Shift+Enter on the new image: the old
    preview's answer will be dropped, so there is nothing to wait for (the status said
    "Computing the preview" for good)."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    slowed(widget, 1.0)
    box(viewer, 45, 25, 115, 95)
    qtbot.waitUntil(lambda: widget.busy, timeout=3000)
    press(qtbot, "Right", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: shown_image(widget) == "b.png", timeout=5000)
    assert widget.busy  # the old call still runs
    press(qtbot, "Return", "Shift", widget=canvas)
    assert "nothing to accept" in widget.notice.text()
    assert "Computing the preview" not in widget.status.text()
    wait(qtbot, widget)
    qtbot.wait(100)
    assert widget.object_list.count() == 0 and "Computing the preview" not in widget.status.text()


def test_shift_enter_twice_after_the_preview_keeps_one_object_and_warns_of_nothing(make_napari_viewer, qtbot, tmp_path):
    """The second press put up "There is nothing to accept", which read as if the Accept had failed."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    (kept,) = widget.model.objects("a.png").ids
    press(qtbot, "Return", "Shift", widget=canvas)
    assert widget.notice.isHidden() and widget.status.text() == f"Object {kept} is kept; draw the next object."
    press(qtbot, "Z", "Control", widget=canvas)  # the object undone: Shift+Enter has nothing to accept again
    qtbot.waitUntil(lambda: widget.object_list.count() == 0, timeout=5000)
    press(qtbot, "Return", "Shift", widget=canvas)
    assert "nothing to accept" in widget.notice.text()


def test_a_refused_rename_keeps_the_class_that_was_chosen(make_napari_viewer, qtbot, tmp_path):
    """Renaming a class to another class's name is refused, and the class being renamed
    stays the current one (the other class was chosen, and the next object went to it)."""
    from qtpy.QtWidgets import QApplication, QLineEdit

    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    add_classes(qtbot, widget, ["cup"])
    click_row(qtbot, widget.class_list, 0)
    click_row(qtbot, widget.class_list, 0, double=True)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "cup")
    press(qtbot, "Return", widget=editor)
    qtbot.wait(50)
    assert widget.model.classes == ["object", "cup"]
    assert "already a class" in widget.notice.text()
    assert widget.current_class() == "object"
    assert "renamed" not in widget.status.text()  # not the last change's line under the warning
    click_row(qtbot, widget.class_list, 0, double=True)  # a name that is free: renamed, the warning gone
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "animal")
    press(qtbot, "Return", widget=editor)
    qtbot.waitUntil(lambda: widget.model.classes == ["animal", "cup"], timeout=3000)
    assert widget.notice.isHidden() and widget.current_class() == "animal"


def test_a_warning_about_the_prompts_goes_with_them_and_is_said_once(make_napari_viewer, qtbot, tmp_path):
    """Shift+Enter with nothing to accept warns once (not again on the status line); Clear
    or a new prompt takes the warning back at once, not at the next preview."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    canvas = viewer.window._qt_viewer.canvas.native
    for takes_back in ("clear", "prompt"):
        press(qtbot, "Return", "Shift", widget=canvas)
        assert "nothing to accept" in widget.notice.text() and not widget.notice.isHidden()
        assert widget.status.text() != widget.notice.text()
        if takes_back == "clear":
            press(qtbot, "Escape", "Shift", widget=canvas)
        else:
            slowed(widget)
            box(viewer, 45, 25, 115, 95)
            qtbot.wait(1)
        assert widget.notice.isHidden()
        wait(qtbot, widget)


def test_an_accept_whose_preview_never_comes_is_said_lost_on_the_next_image(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    """Shift+Enter, then Next, and the preview does not come in time (an embedding still
    running): the next image is shown and a warning says the object was not kept."""
    from interactive_seg.plugin import widget as widget_module

    monkeypatch.setattr(widget_module, "KEEP_WAITING_SECONDS", 0.3)
    root = make_folder(tmp_path / "photos")
    viewer, widget, canvas = accepted_while_computed(make_napari_viewer, qtbot, root, seconds=2.0)
    press(qtbot, "Right", "Shift", widget=canvas)
    qtbot.waitUntil(lambda: shown_image(widget) == "b.png", timeout=5000)
    assert "Not kept" in widget.notice.text() and "a.png" in widget.notice.text()
    wait(qtbot, widget)
    assert widget.session.count("a.png") == 0 and widget.session.count("b.png") == 0


@pytest.mark.parametrize("zoom", [0.4, 3.0])
def test_a_click_in_box_mode_draws_no_box_at_any_zoom(make_napari_viewer, qtbot, tmp_path, zoom):
    """napari's click in rectangle mode leaves a box some 2 screen pixels wide: zoomed out,
    that was several image pixels, a box that Accept kept as a tiny object."""
    root = make_folder(tmp_path / "photos", sizes={"a.png": (300, 400)})
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    viewer.camera.zoom = zoom
    viewer.camera.center = (150, 200)
    click_canvas(qtbot, viewer, 200, 150)
    wait(qtbot, widget)
    assert len(viewer.layers["boxes"].data) == 0 and not widget.busy
    press(qtbot, "Return", "Shift", widget=viewer.window._qt_viewer.canvas.native)
    assert widget.object_list.count() == 0
    box(viewer, 150, 100, 250, 200)
    wait(qtbot, widget)
    drawn = np.array(viewer.layers["boxes"].data[0])
    click_canvas(qtbot, viewer, 100, 60)  # beside the box: it stays as it was
    wait(qtbot, widget)
    assert len(viewer.layers["boxes"].data) == 1 and np.array_equal(viewer.layers["boxes"].data[0], drawn)


def test_ctrl_z_on_an_image_whose_steps_went_says_why_there_is_nothing(make_napari_viewer, qtbot, tmp_path):
    """An accept, ten images on and back, Ctrl+Z: "Nothing to undo." right after an accept,
    without a word of the steps gone when later images were opened (an annotator's pass)."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    widget.model.keep_images = 2
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Return", "Shift")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    for step, name in (("Right", "b.png"), ("Right", "c.png"), ("Left", "b.png"), ("Left", "a.png")):
        press(qtbot, step, "Shift")
        qtbot.waitUntil(lambda name=name: widget._key == name, timeout=5000)
    press(qtbot, "Z", "Control")
    assert "its earlier steps went when other images were opened" in widget.status.text()
    assert widget.object_list.count() == 1
    assert not widget.undo_button.isEnabled() and "its earlier steps went" in widget.undo_button.toolTip()


def test_leaving_an_image_with_an_object_half_made_says_so(make_napari_viewer, qtbot, tmp_path):
    """A box and clicks, then Shift+Right (beside Shift+Enter): the prompts were dropped
    with no word, and Ctrl+Z back on the image undid the object accepted before."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    press(qtbot, "Right", "Shift")
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=5000)
    assert widget.notice.isVisible() and "The object being made on a.png was not kept" in widget.notice.text()
    box(viewer, 45, 25, 115, 95)  # a new prompt on this image: the warning stays (it is about a.png)
    wait(qtbot, widget)
    assert "was not kept" in widget.notice.text()
    press(qtbot, "Return", "Shift")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert not widget.notice.isVisible()  # an Accept: what it said no longer applies
    press(qtbot, "Right", "Shift")  # nothing being made: nothing said
    qtbot.waitUntil(lambda: widget._key == "c.png", timeout=5000)
    assert not widget.notice.isVisible()
    press(qtbot, "Left", "Shift")  # an edit left half made: said as an edit, its object unchanged
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=5000)
    (kept,) = widget.model.objects("b.png").ids
    widget.edit(kept)
    box(viewer, 40, 20, 120, 100)
    wait(qtbot, widget)
    press(qtbot, "Right", "Shift")
    qtbot.waitUntil(lambda: widget._key == "c.png", timeout=5000)
    assert f"The edit of object {kept} on b.png was left (the object unchanged)" in widget.notice.text()
    press(qtbot, "Left", "Shift")  # an edit left with nothing drawn: nothing lost, but the edit is over: said
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=5000)
    widget.edit(kept)
    press(qtbot, "Right", "Shift")
    qtbot.waitUntil(lambda: widget._key == "c.png", timeout=5000)
    assert widget._editing is None
    assert f"The edit of object {kept} on b.png was left, nothing drawn." in widget.status.text()


def test_open_folder_on_the_folder_this_window_has_opens_no_second_window(make_napari_viewer, qtbot, tmp_path):
    """It opened a second, read-only window whose message said the folder was open for
    writing in another window: the annotator's own."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    assert widget.folder.open_path(root) is widget and not widget.folder.session.read_only
    assert "open in this window already" in widget.status.text()


def test_opening_a_folder_whose_photos_are_gone_says_their_objects_stay(make_napari_viewer, qtbot, tmp_path):
    """Photos deleted while their objects stayed in the file: their rows were gone on reopening
    and nothing said so."""
    from interactive_seg import Session

    root = make_folder(tmp_path / "photos")
    with Session.open(root) as session:
        session.add("b.png", np.pad(np.ones((6, 6), bool), ((10, 100), (10, 150))), "cat")
    (root / "b.png").unlink()
    viewer, widget = opened(make_napari_viewer, qtbot, root)
    said = "1 image of the COCO file is not in the folder (b.png): the 1 object on it is kept in the file as read"
    assert said in widget.notice.text()


def test_the_dock_leaves_the_canvas_its_room_on_a_laptop_screen(make_napari_viewer, qtbot, tmp_path):
    """The keys' help line asked for ~550 px, so the dock took 500 and a 1280-pixel window kept
    434 px of canvas (0 px at 800, where a click raised ZeroDivisionError in vispy)."""
    root = make_folder(tmp_path / "photos")
    viewer, widget = opened(make_napari_viewer, qtbot, root, size=(1280, 720))
    canvas = viewer.window._qt_viewer.canvas.native
    qtbot.wait(200)
    assert widget.sizeHint().width() <= 400 and widget.width() <= 400 and canvas.width() >= 550
