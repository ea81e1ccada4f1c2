"""GUI: napari's own keys on the canvas drive the widget whatever layer is active: T flips
the next click (after Accept, Clear, a move to the next image, from any prompt layer),
Ctrl+Z and Ctrl+Shift+Z undo and redo strokes and objects in the order they were made.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_canvas_keys.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, click, folder_session, key  # noqa: E402

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


def test_t_flips_the_next_click_from_any_prompt_layer(docked, qtbot):
    viewer, widget, truth = docked
    for name, mode in (("boxes", "add_rectangle"), ("scribbles", "paint"), ("points", "add")):
        widget.canvas.select(name)
        checked = widget.point_toggle.isChecked()
        key(qtbot, viewer, "T")
        assert widget.point_toggle.isChecked() != checked
        assert viewer.layers[name].mode == mode  # on boxes napari's T was path mode


def test_the_brush_starts_at_about_one_percent_of_each_image_until_the_annotator_chooses_one(
    make_napari_viewer, qtbot, tmp_path
):
    """On a 6000 x 4000 photograph the 10-pixel brush was one screen pixel at the fitted
    zoom: strokes hair-thin (#33, an annotator's pass)."""
    from gui_actions import press

    names, sizes = ["a.png", "b.png", "c.png"], {"b.png": (2000, 3000)}
    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", names, sizes=sizes)
    scribbles = viewer.layers["scribbles"]
    assert widget.brush_spin.value() == 10 == scribbles.brush_size  # 160 x 120: the smallest default
    click(qtbot, widget.next_button)
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=10000)
    assert widget.brush_spin.value() == 30 == viewer.layers["scribbles"].brush_size
    widget.brush_spin.setFocus()
    widget.brush_spin.lineEdit().selectAll()
    press(qtbot, "4", widget=widget.brush_spin.lineEdit())  # the annotator's size
    assert viewer.layers["scribbles"].brush_size == 4
    click(qtbot, widget.next_button)
    qtbot.waitUntil(lambda: widget._key == "c.png", timeout=10000)
    assert widget.brush_spin.value() == 4 == viewer.layers["scribbles"].brush_size  # kept from now on
    viewer.layers["scribbles"].brush_size = 60  # napari's own slider: the annotator's choice too
    assert widget.brush_spin.value() == 60
    click(qtbot, widget.previous_button)
    qtbot.waitUntil(lambda: widget._key == "b.png", timeout=10000)
    assert widget.brush_spin.value() == 60 == viewer.layers["scribbles"].brush_size


def test_napari_shape_keys_on_the_boxes_layer_leave_it_drawing_rectangles(setup, qtbot):
    """P (napari's polygon tool) on the boxes layer, then clicks: the polygon half drawn broke
    every Accept and Clear after it (TypeError in napari's _finish_drawing), and a second
    Accept took all the pixels of the first object. E (ellipse) and the vertex tools drew
    shapes read as their bounding boxes."""
    viewer, widget, truth = setup
    boxes = viewer.layers["boxes"]
    key(qtbot, viewer, "1", "Alt")
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    for name in ("P", "E", "L", "D"):  # polygon, ellipse, line, direct (vertex) select
        key(qtbot, viewer, name)
        qtbot.waitUntil(lambda: boxes.mode == "add_rectangle", timeout=2000)
    first = widget.accept()
    assert first is not None and not viewer.layers["preview"].data.any() and len(boxes.data) == 0
    box(viewer, 5, 5, 40, 40)
    wait(qtbot, widget)
    click(qtbot, widget.clear_button)
    assert len(boxes.data) == 0 and widget.object_list.count() == 1
    assert np.count_nonzero(viewer.layers["objects"].data == first) > 0.9 * truth.sum()
