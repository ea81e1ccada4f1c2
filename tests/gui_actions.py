"""What an annotator does, as the GUI tests do it: a folder session opened in the widget,
clicks on its buttons, keys on napari's canvas, a box drawn and accepted.

Imported by the GUI tests (napari and Qt are imported only when a helper is called).
"""

from conftest import box, disc_scene, wait


def folder_session(make_napari_viewer, folder, names, sizes=None, broken=(), shown=False):
    """A folder of disc images (``broken`` ones cut after 3000 bytes) opened in the widget;
    ``shown``: in a window on screen (1600 x 1000) before the widget is docked, as
    ``napari -w`` and the Plugins menu do (the dock's width is then the layout's)."""
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    folder.mkdir()
    for i, name in enumerate(names):
        height, width = (sizes or {}).get(name, (120, 160))
        image, _ = disc_scene(height=height, width=width, centre=(width // 2, height // 2), seed=i)
        write_image(folder / name, image)
        if name in broken:
            (folder / name).write_bytes((folder / name).read_bytes()[:3000])
    viewer = make_napari_viewer(show=True) if shown else make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    if shown:
        window = viewer.window._qt_window
        window.resize(1600, 1000)
        window.activateWindow()
        window.raise_()
    widget.open_session(Session.open(folder))
    return viewer, widget


def click(qtbot, button):
    from qtpy.QtCore import Qt

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def key(qtbot, viewer, name, *modifiers):
    """Press a key on napari's canvas: the active layer's bindings first, then the viewer's."""
    from qtpy.QtCore import Qt

    mods = Qt.KeyboardModifier.NoModifier
    for modifier in modifiers:
        mods |= getattr(Qt.KeyboardModifier, f"{modifier}Modifier")
    qtbot.keyClick(viewer.window._qt_viewer.canvas.native, getattr(Qt.Key, f"Key_{name}"), mods)


def shown_image(widget):
    layer = widget.image_combo.current
    return None if layer is None else layer.name


def accept_box(qtbot, viewer, widget, rect=(45, 25, 115, 95)):
    box(viewer, *rect)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)


def mods(*names):
    """Qt keyboard modifiers by name: ``mods("Shift", "Control")``."""
    from qtpy.QtCore import Qt

    out = Qt.KeyboardModifier.NoModifier
    for name in names:
        out |= getattr(Qt.KeyboardModifier, f"{name}Modifier")
    return out


def press(qtbot, name, *modifiers, widget=None):
    """Press a key where focus is now (or on ``widget``), as the keyboard does."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication

    target = widget or QApplication.focusWidget()
    assert target is not None, "nothing has focus"
    qtbot.keyClick(target, getattr(Qt.Key, f"Key_{name}"), mods(*modifiers))


def click_row(qtbot, listing, row, double=False):
    """Click (or double-click) a row of a list widget where it is drawn."""
    from qtpy.QtCore import Qt

    centre = listing.visualItemRect(listing.item(row)).center()
    (qtbot.mouseDClick if double else qtbot.mouseClick)(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def rename(qtbot, widget, row, name):
    """Rename the class of the class list's ``row``, as an annotator does: a click, a
    double-click, the name typed, Enter."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication, QLineEdit

    click_row(qtbot, widget.class_list, row)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget.class_list, timeout=3000)
    click_row(qtbot, widget.class_list, row, double=True)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=3000)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, name)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: name in widget.model.classes, timeout=3000)


def canvas_point(viewer, row, col):
    """Where image pixel (row, col) is on napari's canvas, in the canvas widget's pixels."""
    from qtpy.QtCore import QPoint

    view = viewer.window._qt_viewer.canvas.view
    x, y = (view.transform * view.scene.transform).map([col, row])[:2]
    return QPoint(int(round(x)), int(round(y)))


def drag(qtbot, viewer, start, end, steps=8):
    """A left-button drag on the canvas from image pixel ``start`` to ``end`` ((row, col))."""
    from qtpy.QtCore import Qt

    native = viewer.window._qt_viewer.canvas.native
    p0, p1 = canvas_point(viewer, *start), canvas_point(viewer, *end)
    qtbot.mouseMove(native, p0)
    qtbot.mousePress(native, Qt.MouseButton.LeftButton, pos=p0)
    for k in range(1, steps + 1):
        qtbot.mouseMove(native, p0 + (p1 - p0) * (k / steps))
        qtbot.wait(5)
    qtbot.mouseRelease(native, Qt.MouseButton.LeftButton, pos=p1)
    qtbot.wait(20)
