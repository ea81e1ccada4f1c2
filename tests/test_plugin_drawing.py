"""GUI: how the canvas and the panel draw what is made: the preview a light fill under a
clear contour, readable point markers, objects in their class colours (or one colour per
object), swatches that match the canvas, colours that stay put and match the review sheets.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_drawing.py
"""

import json

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, click  # noqa: E402

from conftest import box, disc_scene, docked_widget, iou, wait  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def setup(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    return viewer, docked_widget(viewer, image), truth


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
    earlier.session.close()  # folded into the file, which review sheets read
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(folder))
    # review sheets colour a class by its stored colour (else its place in the file's categories)
    stored = palette.category_colours(json.loads((folder / "annotations.coco.json").read_text())["categories"])
    assert widget.model.classes[:2] == ["dog", "cat"] and widget.current_class() == "dog"
    assert [swatch_colour(widget.class_list.item(i)) for i in range(2)] == stored[:2]
    assert canvas_colour(viewer, 1) == stored[0] and canvas_colour(viewer, 2) == stored[1]
    assert len(set(stored[:2])) == 2


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
