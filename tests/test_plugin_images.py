"""GUI: the image shown is the image segmented and saved: a truncated image of a folder is
skipped without parting the list from the canvas, the Image box brings its choice to the
front, the prompt layers stay on top of an image of another size, an image opened during a
folder session is the one segmented, and a widget docked before any image draws boxes.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_images.py
"""

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, click, folder_session, shown_image  # noqa: E402

from conftest import disc_scene  # noqa: E402

pytestmark = pytest.mark.gui


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


def test_clicking_a_truncated_image_leaves_no_opening_on_the_status_line(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import Qt

    viewer, widget = folder_session(make_napari_viewer, tmp_path / "photos", ["a.png", "b.png"], broken=["b.png"])
    listing = widget.images.list
    centre = listing.visualItemRect(listing.item(1)).center()
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.wait(100)
    assert "b.png" not in widget.images.names and shown_image(widget) == "a.png"
    assert "Opening" not in widget.status.text() and "a.png" in widget.status.text()
