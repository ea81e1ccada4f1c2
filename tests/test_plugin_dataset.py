"""GUI: a dataset root with subfolders in the widget's image list (grouped by folder, a
filter box, object counts), Next/Previous walking the filtered rows (issue #36).

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_dataset.py
"""

import os

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box, key, shown_image  # noqa: E402

from conftest import disc_scene  # noqa: E402

pytestmark = pytest.mark.gui

NAMES = ["train/a.png", "train/b.png", "val/a.png", "val/c.png", "top.png"]


@pytest.fixture
def dataset(make_napari_viewer, tmp_path):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    root = tmp_path / "dataset"
    for i, name in enumerate(NAMES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_image(root / name, disc_scene(height=120, width=160, centre=(80, 60), seed=i)[0])
    square = disc_scene(height=120, width=160, centre=(80, 60), seed=0)[1]
    Session.open(root).add("val/a.png", square, "disc")
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(root))
    return root, viewer, widget


def rows(widget):
    return [widget.image_list.item(i).text() for i in range(widget.image_list.count())]


def test_the_list_groups_images_by_folder_with_their_counts(dataset, tmp_path):
    root, viewer, widget = dataset
    assert rows(widget) == [
        "train/",
        "    a.png  (0)",
        "    b.png  (0)",
        "val/",
        "    a.png  (1)",
        "    c.png  (0)",
        "(top level)",
        "    top.png  (0)",
    ]
    assert shown_image(widget) == "train/a.png" and widget.images.current() == "train/a.png"
    widget.images.grab().save(str(tmp_path / "list.png"))
    if os.environ.get("ISEG_SCREENSHOTS"):
        widget.images.grab().save(os.path.join(os.environ["ISEG_SCREENSHOTS"], "image-list.png"))


def test_typing_in_the_filter_narrows_the_list_and_next_previous_walk_it(dataset, qtbot, tmp_path):
    root, viewer, widget = dataset
    qtbot.keyClicks(widget.images.filter, "VAL/")
    assert rows(widget) == ["val/", "    a.png  (1)", "    c.png  (0)"]
    assert widget.images.matches.text() == "2 of 5"
    if os.environ.get("ISEG_SCREENSHOTS"):
        widget.images.grab().save(os.path.join(os.environ["ISEG_SCREENSHOTS"], "image-list-filtered.png"))
    # the image on the canvas (train/a.png) is filtered out: Next goes to the first row shown after it
    key(qtbot, viewer, "Right", "Shift")
    assert shown_image(widget) == "val/a.png" and widget.images.current() == "val/a.png"
    assert len(viewer.layers["objects"].data.nonzero()[0]) > 0  # its saved object is shown
    key(qtbot, viewer, "Right", "Shift")
    assert shown_image(widget) == "val/c.png"
    key(qtbot, viewer, "Right", "Shift")  # the last row shown: stays
    assert shown_image(widget) == "val/c.png"
    accept_box(qtbot, viewer, widget)
    assert rows(widget) == ["val/", "    a.png  (1)", "    c.png  (1)"]  # the count follows the accept
    key(qtbot, viewer, "Left", "Shift")
    assert shown_image(widget) == "val/a.png"
    # words apart each must appear; a folder or a file name
    widget.images.filter.clear()
    qtbot.keyClicks(widget.images.filter, "a.png train")
    assert rows(widget) == ["train/", "    a.png  (0)"]
    widget.images.filter.clear()
    assert len(rows(widget)) == 8 and widget.images.current() == "val/a.png"


def test_a_flat_folder_lists_file_names_without_groups(make_napari_viewer, tmp_path):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    folder = tmp_path / "flat"
    folder.mkdir()
    for i, name in enumerate(["b.png", "a.png"]):
        write_image(folder / name, disc_scene(height=60, width=80, centre=(40, 30), seed=i)[0])
    widget = SegmentationWidget(make_napari_viewer())
    widget.open_session(Session.open(folder))
    assert rows(widget) == ["a.png  (0)", "b.png  (0)"]
