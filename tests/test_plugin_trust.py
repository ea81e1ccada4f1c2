"""GUI tests of issue #13: the widget driven as an annotator drives it (real layer events,
napari's own keys on the canvas, the Image box, Next/Previous of a folder, clicks).

Run under a display: xvfb-run -a python -m pytest tests/test_plugin_trust.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from conftest import box, disc_scene, docked_widget, iou, wait  # noqa: E402

pytestmark = pytest.mark.gui


# -- helpers: what a user does ------------------------------------------------------------
@pytest.fixture
def setup(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    return viewer, docked_widget(viewer, image), truth


@pytest.fixture(params=["direct", "plugin"])
def docked(request, make_napari_viewer, qtbot):
    """The widget docked directly (as ``interactive-seg gui`` does) or by napari's plugin
    route (Plugins menu, ``napari -w``), which hands it a proxy of the viewer."""
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    if request.param == "direct":
        return viewer, docked_widget(viewer, image), truth
    viewer.add_image(image, name="disc", rgb=True)
    _, widget = viewer.window.add_plugin_dock_widget("interactive-seg", "Interactive segmentation")
    return viewer, widget, truth


def folder_session(make_napari_viewer, folder, names, sizes=None, broken=()):
    """A folder of disc images (``broken`` ones cut after 3000 bytes) opened in the widget."""
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    folder.mkdir()
    for i, name in enumerate(names):
        height, width = (sizes or {}).get(name, (120, 160))
        image, _ = disc_scene(height=height, width=width, centre=(width // 2, height // 2), seed=i)
        write_image(folder / name, image)
        if name in broken:
            (folder / name).write_bytes((folder / name).read_bytes()[:3000])
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
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


# -- 1. a truncated image in a folder ------------------------------------------------------
def test_a_truncated_image_in_a_folder_never_parts_the_list_from_the_canvas(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    from interactive_seg import Session
    from interactive_seg.plugin import widget as widget_module

    said = []
    monkeypatch.setattr(widget_module, "show_warning", lambda text: said.append(text))
    folder = tmp_path / "photos"
    viewer, widget = folder_session(make_napari_viewer, folder, ["a.png", "b.png", "c.png"], broken=["b.png"])
    assert shown_image(widget) == "a.png" and widget.images.current() == "a.png"
    click(qtbot, widget.next_button)  # b.png cannot be read
    assert said and "b.png" in said[-1]
    assert "b.png" not in widget.images.names
    assert widget.images.current() == shown_image(widget)
    assert widget.images.title() == "Folder: photos (2 images)"  # the count follows the list
    on_screen = shown_image(widget)
    accept_box(qtbot, viewer, widget)
    assert Session.open(folder).count(on_screen) == 1  # saved under the image it was drawn on
    if on_screen == "a.png":
        click(qtbot, widget.next_button)  # Next still moves
        assert shown_image(widget) == "c.png" and widget.images.current() == "c.png"
        accept_box(qtbot, viewer, widget, (30, 20, 130, 100))
    assert shown_image(widget) == "c.png" and widget.images.current() == "c.png"
    click(qtbot, widget.previous_button)
    assert shown_image(widget) == "a.png" and widget.images.current() == "a.png"
    assert [layer.name for layer in widget.image_combo.layers()] == ["a.png"]  # no 'a.png [1]'
    saved = Session.open(folder)
    assert saved.count("c.png") == 1 and saved.count("a.png") == (1 if on_screen == "a.png" else 0)
    assert widget.object_list.count() == saved.count("a.png")


def test_a_folder_whose_first_image_is_truncated_opens_on_the_next(make_napari_viewer, qtbot, tmp_path, monkeypatch):
    from interactive_seg.plugin import widget as widget_module

    monkeypatch.setattr(widget_module, "show_warning", lambda text: None)
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"], broken=["a.png"])
    assert shown_image(widget) == "b.png" and widget.images.current() == "b.png"
    assert widget.images.title() == "Folder: photos (1 image)"


# -- 2. T after Clear or Accept ------------------------------------------------------------
def test_t_flips_the_next_click_after_accept_and_clear(setup, qtbot):
    viewer, widget, truth = setup
    accept_box(qtbot, viewer, widget)
    key(qtbot, viewer, "2", "Alt")  # points
    assert viewer.layers.selection.active.name == "points"
    key(qtbot, viewer, "T")  # used to raise IndexError in current_face_color
    assert widget.point_toggle.isChecked()
    viewer.layers["points"].add([[5, 5]])
    assert viewer.layers["points"].features["label"].tolist() == [0]
    click(qtbot, widget.clear_button)
    key(qtbot, viewer, "T")
    assert widget.point_toggle.isChecked()
    viewer.layers["points"].add([[60, 80]])
    assert viewer.layers["points"].features["label"].tolist() == [0]
    np.testing.assert_allclose(viewer.layers["points"].face_color[-1][:3], [1, 0, 0])
    wait(qtbot, widget)


def test_t_works_after_accept_and_moving_to_the_next_image(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"])
    accept_box(qtbot, viewer, widget)
    click(qtbot, widget.next_button)
    key(qtbot, viewer, "2", "Alt")
    key(qtbot, viewer, "T")
    assert widget.point_toggle.isChecked()


# -- 3. napari's own Ctrl+Z on the scribbles layer ------------------------------------------
def test_undoing_a_stroke_with_napari_ctrl_z_runs_the_preview_again(docked, qtbot):
    viewer, widget, truth = docked
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    box_only = viewer.layers["preview"].data.astype(bool)
    assert iou(box_only, truth) > 0.9
    key(qtbot, viewer, "3", "Alt")  # scribbles
    scribbles = viewer.layers["scribbles"]
    assert viewer.layers.selection.active is scribbles
    widget.brush_combo.setCurrentIndex(1)  # background
    scribbles.brush_size = 40
    before = widget.runner.generation
    # a background stroke over the disc's centre, painted outside a drag (as the fill bucket,
    # the polygon tool and scripts paint: napari reports it before it writes the pixels)
    scribbles.paint((60, 80), 2)
    qtbot.waitUntil(lambda: widget.runner.generation > before, timeout=5000)  # sent to the engine
    wait(qtbot, widget)
    assert viewer.layers["preview"].data[60, 80] == 0  # the preview was made with the stroke
    before = widget.runner.generation
    key(qtbot, viewer, "Z", "Control")  # napari's stroke undo: the stroke goes
    assert not scribbles.data.any()
    assert widget.runner.generation > before and widget.status.text() in ("Segmenting...", "Undone: the last stroke.")
    wait(qtbot, widget)
    assert widget.last_result is not None and np.array_equal(viewer.layers["preview"].data.astype(bool), box_only)
    click(qtbot, widget.accept_button)
    assert viewer.layers["objects"].data[60, 80] == 1  # no mask from the stroke that is gone


# -- 4. object-level Ctrl+Z whatever layer is active -----------------------------------------
@pytest.mark.parametrize("active", ["scribbles", "boxes", "points", "preview", "objects", "disc"])
def test_ctrl_z_after_accept_undoes_the_object_whatever_layer_is_active(docked, qtbot, active):
    viewer, widget, truth = docked
    accept_box(qtbot, viewer, widget)
    viewer.layers.selection.active = viewer.layers[active]
    key(qtbot, viewer, "Z", "Control")
    assert not viewer.layers["objects"].data.any() and widget.object_list.count() == 0
    assert widget.status.text() == "Undone: object 1 kept as 'object'."
    key(qtbot, viewer, "Z", "Control", "Shift")
    assert widget.object_list.count() == 1 and widget.status.text().startswith("Redone")


def paint_stroke(qtbot, viewer, widget, background=True):
    key(qtbot, viewer, "3", "Alt")  # scribbles
    widget.brush_combo.setCurrentIndex(1 if background else 0)
    viewer.layers["scribbles"].brush_size = 40
    before = widget.runner.generation
    with viewer.layers["scribbles"].block_history():  # as napari's brush drag paints
        viewer.layers["scribbles"].paint((60, 80) if background else (60, 60), 2 if background else 1)
    qtbot.waitUntil(lambda: widget.runner.generation > before, timeout=5000)
    wait(qtbot, widget)


@pytest.mark.parametrize("stroke_undone_first", [True, False])
def test_ctrl_shift_z_after_undoing_an_object_redoes_the_object_not_an_old_stroke(docked, qtbot, stroke_undone_first):
    """With scribbles active: a stroke (undone with Ctrl+Z, or kept), Accept, Ctrl+Z undoes
    the object, Ctrl+Shift+Z brings the object back; the strokes of an accepted object are
    never redone or undone into the next one."""
    viewer, widget, truth = docked
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    paint_stroke(qtbot, viewer, widget, background=False)
    scribbles = viewer.layers["scribbles"]
    if stroke_undone_first:
        key(qtbot, viewer, "Z", "Control")
        assert not scribbles.data.any() and widget.status.text() in ("Segmenting...", "Undone: the last stroke.")
        wait(qtbot, widget)
    warned = []
    widget._warn = warned.append
    key(qtbot, viewer, "Enter", "Shift")  # Accept
    assert widget.object_list.count() == 1 and viewer.layers.selection.active is scribbles
    key(qtbot, viewer, "Z", "Control")
    assert widget.object_list.count() == 0 and widget.status.text() == "Undone: object 1 kept as 'object'."
    key(qtbot, viewer, "Z", "Control", "Shift")
    wait(qtbot, widget)
    assert widget.object_list.count() == 1 and widget.status.text().startswith("Redone")
    assert not scribbles.data.any() and not warned
    scribbles.undo()  # napari's own undo (its menu, a script): nothing of the accepted object comes back
    scribbles.redo()
    wait(qtbot, widget)
    assert not scribbles.data.any() and widget.object_list.count() == 1 and not warned


def test_ctrl_shift_z_redoes_what_each_ctrl_z_undid_latest_first(docked, qtbot):
    """On scribbles: accept an object, draw a box and paint a stroke for the next; Ctrl+Z
    undoes the stroke, the box, then the object (#33: the object's prompts first);
    Ctrl+Shift+Z brings back the object, the box, then the stroke."""
    viewer, widget, truth = docked
    accept_box(qtbot, viewer, widget)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    paint_stroke(qtbot, viewer, widget, background=True)
    scribbles = viewer.layers["scribbles"]
    key(qtbot, viewer, "Z", "Control")
    assert not scribbles.data.any() and widget.object_list.count() == 1
    wait(qtbot, widget)
    key(qtbot, viewer, "Z", "Control")
    assert len(viewer.layers["boxes"].data) == 0 and widget.status.text() == "Undone: the box."
    key(qtbot, viewer, "Z", "Control")
    assert widget.object_list.count() == 0 and widget.status.text() == "Undone: object 1 kept as 'object'."
    key(qtbot, viewer, "Z", "Control", "Shift")
    assert (
        widget.object_list.count() == 1
        and not scribbles.data.any()
        and widget.status.text().startswith("Redone: object 1")
    )
    key(qtbot, viewer, "Z", "Control", "Shift")
    assert len(viewer.layers["boxes"].data) == 1 and widget.status.text() == "Redone: the box."
    key(qtbot, viewer, "Z", "Control", "Shift")
    assert scribbles.data[60, 80] == 2 and widget.status.text() == "Redone: the last stroke."
    wait(qtbot, widget)
    assert viewer.layers["preview"].data[60, 80] == 0  # the preview has the stroke again


def test_a_stroke_painted_after_undoing_one_drops_the_redo_and_redoes_no_object(docked, qtbot):
    """An object undone (its redo still there), then on the next object a stroke undone with
    Ctrl+Z and another painted: the new stroke drops the redo, and Ctrl+Shift+Z brings back
    neither that stroke nor, while this object is being made, the undone object; once it is
    cleared, Ctrl+Shift+Z redoes the object."""
    viewer, widget, truth = docked
    accept_box(qtbot, viewer, widget)
    click(qtbot, widget.undo_button)
    assert widget.object_list.count() == 0 and widget.redo_button.isEnabled()
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    assert not widget.redo_button.isEnabled()  # an object is being made: its own steps only
    paint_stroke(qtbot, viewer, widget, background=True)
    scribbles = viewer.layers["scribbles"]
    key(qtbot, viewer, "Z", "Control")
    assert not scribbles.data.any() and widget.status.text() in ("Segmenting...", "Undone: the last stroke.")
    wait(qtbot, widget)
    paint_stroke(qtbot, viewer, widget, background=False)
    painted = scribbles.data.copy()
    for _ in range(2):
        key(qtbot, viewer, "Z", "Control", "Shift")
        assert widget.status.text().startswith("Nothing to redo for this object")
        assert widget.object_list.count() == 0 and np.array_equal(scribbles.data, painted)
    click(qtbot, widget.clear_button)
    key(qtbot, viewer, "Z", "Control", "Shift")  # the objects' own redo, as the Redo button
    assert widget.object_list.count() == 1 and widget.status.text().startswith("Redone: object 1")


# -- 5. grey images export with the default transparent background ------------------------
@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535)])
def test_a_grey_image_exports_with_the_dialogs_defaults(make_napari_viewer, qtbot, tmp_path, monkeypatch, dtype, top):
    """Export... clicked, the dialog's defaults (transparent, cropped, PNG) kept: the file is
    written with the mask as its alpha (the core's side: tests/test_cutouts.py)."""
    from interactive_seg import read_image
    from interactive_seg.plugin.widget import ExportDialog, SegmentationWidget

    image, truth = disc_scene(height=120, width=160)
    grey = (image[..., 0].astype(np.float64) * top / 255).astype(dtype)
    viewer = make_napari_viewer()
    viewer.add_image(grey, name="grey")
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    accept_box(qtbot, viewer, widget)
    assert widget.object_list.count() == 1
    kept = viewer.layers["objects"].data > 0

    def run_dialog(dialog):
        assert (
            dialog.style.currentText() == "transparent"
            and dialog.crop.isChecked()
            and dialog.format.currentText() == ".png"
        )
        dialog.folder.setText(str(tmp_path / "out"))
        return True

    monkeypatch.setattr(ExportDialog, "exec", run_dialog)
    warned = []
    monkeypatch.setattr(widget, "_warn", warned.append)
    click(qtbot, widget.export_button)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported") or bool(warned), timeout=20000)
    assert not warned and widget.status.text().startswith("Exported 1 files")
    (path,) = (tmp_path / "out").iterdir()
    out = read_image(path)
    ys, xs = np.nonzero(kept)
    crop = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    assert out.dtype == dtype and out.shape == (*kept[crop].shape, 4)
    assert (out[..., 3] == np.where(kept[crop], top, 0)).all()
    assert (out[..., 0] == np.where(kept[crop], grey[crop], 0)).all()


# -- 6. the Image box brings the chosen image to the front ----------------------------------
def test_choosing_an_image_in_the_image_box_brings_it_to_the_front(make_napari_viewer, qtbot):
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    viewer.add_image(disc_scene(seed=1)[0], name="cat", rgb=True)
    viewer.add_image(disc_scene(height=90, width=100, centre=(50, 45), seed=2)[0], name="cup", rgb=True)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    for name in ("cup", "cat", "cup"):
        widget.image_combo.setCurrentIndex(widget.image_combo.findText(name))
        assert shown_image(widget) == name
        names = [layer.name for layer in viewer.layers]
        others = [n for n in ("cat", "cup") if n != name]
        chosen = names.index(name)
        assert all(names.index(o) < chosen or not viewer.layers[o].visible for o in others)
        assert viewer.layers[name].visible
        assert (
            chosen
            < names.index("objects")
            < names.index("preview")
            < min(names.index(n) for n in ("boxes", "points", "scribbles"))
        )


# -- 8. docked before an image is opened ---------------------------------------------------
def test_docked_before_an_image_the_first_drag_draws_a_box(make_napari_viewer, qtbot):
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    viewer.open_sample("interactive-seg", "coffee")  # File > Open Sample
    qtbot.wait(50)
    assert viewer.layers.selection.active.name == "boxes" and viewer.layers["boxes"].mode == "add_rectangle"
    viewer.add_image(disc_scene()[0], name="disc", rgb=True)
    widget.image_combo.setCurrentIndex(widget.image_combo.findText("disc"))
    qtbot.wait(50)
    assert viewer.layers.selection.active.name == "boxes" and viewer.layers["boxes"].mode == "add_rectangle"


# -- 9. prompt layers stay on top after a session image switch -------------------------------
def test_prompt_layers_stay_on_top_after_moving_to_an_image_of_another_size(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = folder_session(
        make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"], sizes={"b.png": (90, 130)}
    )
    click(qtbot, widget.next_button)
    names = [layer.name for layer in viewer.layers]
    assert viewer.layers["preview"].data.shape == (90, 130)
    assert (
        names.index("b.png")
        < names.index("objects")
        < names.index("preview")
        < min(names.index(n) for n in ("boxes", "points", "scribbles"))
    )
    assert viewer.layers.selection.active.name == "boxes"


# -- a panel that reads at a glance ------------------------------------------------------------
def test_the_preview_is_a_light_fill_under_a_clear_contour(setup, qtbot):
    from interactive_seg.plugin import layers as L

    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    preview = viewer.layers["preview"]
    values = preview.data
    assert set(np.unique(values)) == {0, 1, 2}
    assert iou(values > 0, truth) > 0.9
    assert values[60, 80] == 1 and (values == 2).sum() < (values == 1).sum()  # the contour is thin
    rows = np.flatnonzero((values > 0).any(axis=1))
    assert values[rows[0]].max() == 2 and values[rows[-1]].max() == 2  # top and bottom rows: contour
    fill, edge = preview.colormap.map(np.array([1, 2]))
    assert fill[3] * preview.opacity <= 0.4 and edge[3] * preview.opacity == 1.0
    box_edge = viewer.layers["boxes"].edge_color[0]
    assert np.abs(edge[:3] - box_edge[:3]).max() > 0.5  # the box's yellow edge stays visible on it
    click(qtbot, widget.accept_button)
    assert not preview.data.any() and viewer.layers["objects"].data[60, 80] == 1
    widget.object_list.setCurrentRow(0)
    click(qtbot, widget.edit_button)  # an edited object is shown the same way
    assert set(np.unique(preview.data)) == {0, 1, 2}
    assert L.PREVIEW_FILL[3] < 0.5


def test_point_markers_are_readable_and_scale_with_the_zoom(make_napari_viewer, qtbot):
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    viewer.add_image(disc_scene(height=600, width=900, centre=(450, 300), radius=150)[0], name="photo", rgb=True)
    SegmentationWidget(viewer)
    points = viewer.layers["points"]
    points.add([[300, 450]])
    assert points.size[0] >= 900 / 50  # in image pixels: zooming in makes it larger
    low, high = points.canvas_size_limits
    assert low >= 10 and high <= 48  # never a dot, never a disc over the object


def test_swatches_beside_classes_and_objects_match_the_canvas(setup, qtbot):
    from qtpy.QtGui import QColor

    from interactive_seg import palette

    viewer, widget, truth = setup
    widget.add_class("corner")
    accept_box(qtbot, viewer, widget)
    widget.class_list.setCurrentRow(0)

    def icon_colour(item):
        image = item.icon().pixmap(12, 12).toImage()
        return QColor(image.pixel(6, 6)).name()

    assert [icon_colour(widget.class_list.item(i)) for i in range(2)] == [palette.colour(0), palette.colour(1)]
    object_id = widget.selected_object() or int(widget.object_list.item(0).text().split(":")[0])
    canvas = viewer.layers["objects"].colormap.map(np.array([object_id]))[0][:3]
    assert icon_colour(widget.object_list.item(0)) == QColor.fromRgbF(*canvas).name()


def canvas_colour(viewer, object_id):
    from qtpy.QtGui import QColor

    return QColor.fromRgbF(*viewer.layers["objects"].colormap.map(np.array([object_id]))[0][:3]).name()


def swatch_colour(item):
    from qtpy.QtGui import QColor

    return QColor(item.icon().pixmap(12, 12).toImage().pixel(6, 6)).name()


def screen_colour(viewer, row, col):
    """The colour napari's canvas shows at image pixel (row, col), read from a screenshot."""
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=True, flash=False)
    layer = viewer.layers["objects"]
    # the canvas shows the whole image centred: map the pixel by the fitted scale
    height, width = layer.data.shape
    scale = min(shot.shape[0] / height, shot.shape[1] / width)
    y = int(shot.shape[0] / 2 + (row + 0.5 - height / 2) * scale)
    x = int(shot.shape[1] / 2 + (col + 0.5 - width / 2) * scale)
    return shot[y, x, :3].astype(int)


def test_objects_are_drawn_in_their_class_colour_without_recolouring_the_image(make_napari_viewer, qtbot):
    from interactive_seg import palette

    viewer = make_napari_viewer(show=True)  # shown: the screenshot below is what a user sees
    image, truth = disc_scene(height=120, width=160)
    widget = docked_widget(viewer, image)
    widget.image_combo.current.visible = False  # a black background: the object's colour reads as is
    widget.add_class("dog")  # row 1
    layer = viewer.layers["objects"]
    # a full redraw of the layer (napari recolours every pixel) while the objects are coloured
    full, colour, redraws = layer.refresh, widget.canvas.colour_objects, []
    layer.refresh = lambda *a, **k: (redraws.append("refresh"), full(*a, **k))
    layer.events.set_data.connect(lambda event: redraws.append("set_data"))

    def colour_objects(*args):
        before = len(redraws)
        colour(*args)
        assert redraws[before:] == []

    widget.canvas.colour_objects = colour_objects
    accept_box(qtbot, viewer, widget)
    object_id = widget.object_list.item(0).data(256)
    assert widget.model.objects(widget._key).classes[object_id] == "dog"
    # the canvas, the object's swatch and the class's swatch agree
    assert canvas_colour(viewer, object_id) == palette.colour(1) == swatch_colour(widget.object_list.item(0))
    assert swatch_colour(widget.class_list.item(1)) == palette.colour(1)
    viewer.cursor.position = (60, 80)
    assert f"color:{palette.colour(1)}" in widget.hover.text()
    # and the screen shows it (the canvas rebuilt its lookup table from the table)
    shown = screen_colour(viewer, 60, 80)
    expected = np.array(palette.rgb(1)) * 255 * layer.opacity
    assert np.abs(shown - expected).max() < 25, (shown, expected)


def test_colour_by_object_tells_touching_objects_of_one_class_apart(make_napari_viewer, qtbot):
    from interactive_seg import palette

    left, left_truth = disc_scene(centre=(50, 60), radius=28)
    right, right_truth = disc_scene(centre=(108, 60), radius=28)
    viewer = make_napari_viewer()
    widget = docked_widget(viewer, np.where(right_truth[..., None], right, left))
    accept_box(qtbot, viewer, widget, rect=(18, 28, 80, 92))
    accept_box(qtbot, viewer, widget, rect=(78, 28, 140, 92))
    first, second = (widget.object_list.item(i).data(256) for i in range(2))
    assert canvas_colour(viewer, first) == canvas_colour(viewer, second) == palette.colour(0)
    widget.colour_combo.setCurrentText("object")
    assert canvas_colour(viewer, first) != canvas_colour(viewer, second)
    for row, object_id in enumerate((first, second)):
        assert swatch_colour(widget.object_list.item(row)) == canvas_colour(viewer, object_id)
    widget.colour_combo.setCurrentText("class")
    assert canvas_colour(viewer, first) == canvas_colour(viewer, second) == palette.colour(0)


def test_removing_a_class_leaves_the_other_classes_colours_as_they_were(setup, qtbot):
    """A class keeps its colour (#33: colours are the class's, kept in the session; the
    list, the swatches and the canvas agree)."""
    from interactive_seg import palette

    viewer, widget, truth = setup
    widget.add_class("unused")
    widget.add_class("cat")  # row 2
    accept_box(qtbot, viewer, widget)
    object_id = widget.object_list.item(0).data(256)
    assert canvas_colour(viewer, object_id) == palette.colour(2)
    widget.class_list.setCurrentRow(1)
    widget.remove_class()
    assert widget.model.classes == ["object", "cat"]
    assert canvas_colour(viewer, object_id) == palette.colour(2) == swatch_colour(widget.class_list.item(1))
    assert swatch_colour(widget.object_list.item(0)) == palette.colour(2)


def test_a_folders_classes_keep_the_colours_its_review_sheets_give_them(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session, palette, write_image
    from interactive_seg.model.annotations import Annotations
    from interactive_seg.plugin.widget import SegmentationWidget

    folder = tmp_path / "photos"
    folder.mkdir()
    image, truth = disc_scene()
    write_image(folder / "a.png", image)
    earlier = Annotations(session=Session.open(folder))  # an earlier day's work: dog, then cat
    earlier.open("a.png", truth.shape)
    earlier.accept("a.png", truth, "dog")
    corner = np.zeros_like(truth)
    corner[:10, :10] = True
    earlier.accept("a.png", corner, "cat")
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(folder))
    # review sheets colour a class by its place in the file's categories: dog 0, cat 1
    assert widget.model.classes[:2] == ["dog", "cat"] and widget.current_class() == "dog"
    assert [swatch_colour(widget.class_list.item(i)) for i in range(2)] == [palette.colour(0), palette.colour(1)]
    assert canvas_colour(viewer, 1) == palette.colour(0) and canvas_colour(viewer, 2) == palette.colour(1)


def test_ids_past_255_get_their_own_colour_slots(make_napari_viewer):
    from interactive_seg.model.objects import ObjectSet
    from interactive_seg.plugin import layers as L
    from interactive_seg.plugin.canvas import Canvas

    viewer = make_napari_viewer()
    canvas = Canvas(viewer, lambda *a: None, lambda *a: None)
    canvas.ensure((40, 40), 5)
    objects = ObjectSet((40, 40))
    for i in range(300):  # one pixel each
        mask = np.zeros((40, 40), bool)
        mask.flat[i] = True
        objects.add(mask, "a" if i == 0 else "b")
    canvas.show_objects(objects)
    canvas.colour_objects(objects, ["a", "b"])
    layer = viewer.layers["objects"]
    assert len(layer.colormap.colors) == L.LARGE_SLOTS + 1
    # id 1 ("a") and id 255 ("b") would share a slot with 254 slots
    assert canvas_colour(viewer, 1) == L.palette.colour(0) and canvas_colour(viewer, 255) == L.palette.colour(1)
    assert layer.colormap._data_to_texture(np.array([300], np.int32)).dtype == np.uint16
    # with ids up to 254 napari's texture holds a byte per pixel, as before colours by class
    small = ObjectSet((40, 40))
    small.add(np.ones((40, 40), bool), "a")
    canvas.show_objects(small)
    canvas.colour_objects(small, ["a"])
    assert len(layer.colormap.colors) == L.SMALL_SLOTS + 1
    assert layer.colormap._data_to_texture(np.array([254], np.int32)).dtype == np.uint8
    assert canvas_colour(viewer, 1) == L.palette.colour(0)


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


def test_the_click_toggle_starts_again_at_foreground_after_accept_and_clear(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    widget.point_toggle.setChecked(True)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    assert not widget.point_toggle.isChecked() and widget.point_toggle.text().startswith("foreground")
    widget.point_toggle.setChecked(True)
    click(qtbot, widget.clear_button)
    assert not widget.point_toggle.isChecked()
    viewer.layers["points"].add([[60, 80]])
    assert viewer.layers["points"].features["label"].tolist() == [1]
    wait(qtbot, widget)


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


def test_t_flips_the_next_click_from_any_prompt_layer(docked, qtbot):
    viewer, widget, truth = docked
    for name, mode in (("boxes", "add_rectangle"), ("scribbles", "paint"), ("points", "add")):
        widget._select_layer(name)
        checked = widget.point_toggle.isChecked()
        key(qtbot, viewer, "T")
        assert widget.point_toggle.isChecked() != checked
        assert viewer.layers[name].mode == mode  # on boxes napari's T was path mode


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


def test_an_image_opened_during_a_folder_session_is_the_one_segmented_and_unhighlights_the_list(
    make_napari_viewer, qtbot, tmp_path
):
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"])
    viewer.add_image(disc_scene(seed=5)[0], name="other", rgb=True)  # File > Open
    qtbot.wait(50)
    assert shown_image(widget) == "other" and widget.images.current() is None
    assert viewer.layers.selection.active.name == "boxes"
    click(qtbot, widget.next_button)
    assert shown_image(widget) == "a.png" and widget.images.current() == "a.png"
    click(qtbot, widget.next_button)
    assert shown_image(widget) == "b.png" and [layer.name for layer in widget.image_combo.layers()] == [
        "other",
        "b.png",
    ]


def test_an_empty_preview_says_nothing_was_found_and_offers_no_accept(setup, qtbot):
    from interactive_seg.plugin.preview import Preview

    viewer, widget, truth = setup
    widget._on_result(Preview.of(np.zeros(truth.shape, bool)))  # what the engine returns for an empty box
    assert widget._preview is None and not widget.accept_button.isEnabled()
    assert widget.status.text().startswith("Nothing found") and "Accept" not in widget.status.text()
    widget._on_result(Preview.of(truth))
    assert widget.accept_button.isEnabled() and "Accept to keep it" in widget.status.text()
