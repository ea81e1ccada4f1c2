"""GUI tests: the real widget in napari under Xvfb (run: xvfb-run -a python -m pytest)."""

import gc
import threading
import time

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from conftest import box, disc_scene, docked_widget, iou, wait  # noqa: E402
from interactive_seg.engines import Engine, Result  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def setup(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = disc_scene(height=120, width=160)
    image[8:28, 8:28] = (40, 200, 40)  # a second object: a green square in the corner
    return viewer, docked_widget(viewer, image), truth


def test_prompt_layers_are_created_with_their_names(setup):
    viewer, widget, _ = setup
    names = [layer.name for layer in viewer.layers]
    for name in ("boxes", "points", "scribbles", "preview", "objects"):
        assert name in names
    assert viewer.layers["scribbles"].data.shape == (120, 160)
    assert viewer.layers["boxes"].mode == "add_rectangle"


def test_box_gives_a_preview_and_accept_keeps_it_with_its_class(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    preview = viewer.layers["preview"].data.astype(bool)
    assert iou(preview, truth) > 0.95
    widget.class_list.item(0).setText("disc")
    object_id = widget.accept()
    objects = viewer.layers["objects"]
    assert object_id == 1 and iou(objects.data == 1, truth) > 0.95
    assert list(objects.features["class"]) == ["disc"] and list(objects.features["index"]) == [1]
    assert len(viewer.layers["boxes"].data) == 0 and not viewer.layers["preview"].data.any()
    status = objects.get_status((60, 80))
    assert "class: disc" in str(status)


def test_scribbles_and_points_refine(setup, qtbot):
    viewer, widget, truth = setup
    scribbles = viewer.layers["scribbles"]
    data = scribbles.data.copy()
    data[60, 70:90] = 1
    data[5, 5:155] = 2
    scribbles.data = data
    wait(qtbot, widget)
    assert iou(viewer.layers["preview"].data.astype(bool), truth) > 0.9
    widget.point_toggle.setChecked(True)  # next click: background
    viewer.layers["points"].add([[110, 150]])
    wait(qtbot, widget)
    assert viewer.layers["points"].features["label"].tolist() == [0]
    assert iou(viewer.layers["preview"].data.astype(bool), truth) > 0.9


def test_edit_delete_undo_redo(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    first = widget.accept()
    box(viewer, 3, 3, 33, 33)
    wait(qtbot, widget)
    widget.add_class("corner")
    second = widget.accept()
    objects = viewer.layers["objects"]
    assert set(np.unique(objects.data)) == {0, first, second}
    assert widget.object_list.count() == 2

    # edit the first: its mask is the prior, a background click removes part of it
    widget.edit(first)
    assert viewer.layers["preview"].data.astype(bool).sum() == (objects.data == first).sum()
    widget.point_toggle.setChecked(True)
    viewer.layers["points"].add([[60, 80]])  # (row, col): the disc's centre marked background
    wait(qtbot, widget)
    widget.accept()
    assert objects.data[60, 80] != first and (objects.data == first).any()
    assert widget.object_list.count() == 2

    widget.delete(second)
    assert not (objects.data == second).any() and widget.object_list.count() == 1
    widget.undo()
    assert (objects.data == second).any()
    widget.undo()  # the edit
    assert objects.data[60, 80] == first
    widget.redo()
    assert objects.data[60, 80] != first
    assert list(objects.features["class"]) == ["object", "corner"]


def test_stale_results_are_dropped(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 0, 0, 30, 30)
    viewer.layers["boxes"].data = []
    box(viewer, 45, 25, 115, 95)  # the only one that counts
    wait(qtbot, widget)
    assert iou(viewer.layers["preview"].data.astype(bool), truth) > 0.95


def test_a_newer_prompt_gives_the_running_call_up(setup, qtbot, monkeypatch):
    """A box redrawn while the first one's preview ran waited for the whole first answer
    (seconds on a poor box) before the newest began: the first call is now given up at its
    next graph cut, and the preview is the newest box's."""
    from interactive_seg.engines import Interrupted
    from interactive_seg.engines.grabcut import engine as engine_module
    from interactive_seg.engines.grabcut import fit

    viewer, widget, truth = setup
    cut, outcomes = fit._cut, []

    def slow_cut(*args, **kwargs):
        time.sleep(0.05)  # (every cut a while: the first box is still running when the second comes)
        return cut(*args, **kwargs)

    segment = engine_module.GrabCutEngine.segment

    def recorded(self, prompts):
        try:
            result = segment(self, prompts)
        except Interrupted:
            outcomes.append("given up")
            raise
        outcomes.append(prompts.box)
        return result

    monkeypatch.setattr(fit, "_cut", slow_cut)
    monkeypatch.setattr(engine_module.GrabCutEngine, "segment", recorded)
    box(viewer, 0, 0, 40, 40)
    qtbot.waitUntil(lambda: widget.runner.worker is not None, timeout=3000)
    viewer.layers["boxes"].data = []
    box(viewer, 45, 25, 115, 95)  # the only one that counts
    wait(qtbot, widget)
    assert outcomes == ["given up", (45, 25, 115, 95)]
    assert iou(viewer.layers["preview"].data.astype(bool), truth) > 0.95
    assert "rror" not in widget.status.text()
    # the window closing gives a running call up too (it waited for the whole answer)
    viewer.layers["boxes"].data = []
    box(viewer, 0, 0, 40, 40)
    qtbot.waitUntil(lambda: widget.runner.worker is not None, timeout=3000)
    widget.runner.stop()
    assert widget.runner.worker is None and outcomes[-1] == "given up"
    viewer.layers["boxes"].data = []
    box(viewer, 45, 25, 115, 95)  # (a close that was cancelled: prompts are answered as before)
    wait(qtbot, widget)
    assert outcomes[-1] == (45, 25, 115, 95)


def test_errors_become_notifications_and_change_nothing(setup, qtbot, monkeypatch):
    from interactive_seg.plugin import widget as widget_module

    viewer, widget, truth = setup
    said = []
    monkeypatch.setattr(widget_module, "show_warning", lambda text: said.append(text))
    scribbles = viewer.layers["scribbles"]
    data = scribbles.data.copy()
    data[60, 70:90] = 1  # foreground only, no box
    scribbles.data = data
    wait(qtbot, widget)
    # half a pair of strokes is a normal step: a quiet hint on the status line (#33)...
    assert not said and "Only foreground marks" in widget.status.text()
    assert not viewer.layers["preview"].data.any()
    # ...said aloud when Accept asks for what cannot be had
    assert widget.accept() is None and "Only foreground marks" in said[-1]
    assert not viewer.layers["objects"].data.any()


def test_event_loop_never_stalls_while_the_engine_works(make_napari_viewer, qtbot):
    """No gap of more than 100 ms between timer ticks while GrabCut runs on a 12-megapixel photo."""
    from qtpy.QtCore import QTimer

    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    image, _ = disc_scene(height=3000, width=4000, centre=(2000, 1500), radius=700)
    viewer.add_image(image, name="big", rgb=True)
    widget = SegmentationWidget(viewer)
    # A full garbage collection of the whole suite's leftovers (napari viewers, Qt objects)
    # pauses the main thread for ~200 ms on its own: have it before the measured window.
    # (Once in a full CI run a 142 ms gap appeared; otherwise the largest are 20-45 ms.)
    gc.collect()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(5)
    qtbot.wait(200)
    from interactive_seg import Prompts

    start = len(ticks)
    widget.runner.request(widget.engine(), widget._image, Prompts(box=(1200, 700, 2800, 2300)))
    qtbot.waitUntil(lambda: widget.last_result is not None, timeout=60000)
    timer.stop()
    gaps = np.diff(ticks[max(0, start - 1) :])
    assert len(gaps) > 5
    assert gaps.max() < 0.1, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"


def test_export_writes_cutouts_and_coco(setup, qtbot, tmp_path):
    from interactive_seg import read_coco
    from interactive_seg.plugin.widget import ExportDialog

    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    widget.accept()
    dialog = ExportDialog(widget)
    # the colour and the blur sigma only where they count (editable to no effect before)
    assert dialog.style.currentText() == "transparent" and not dialog.color.isEnabled() and not dialog.blur.isEnabled()
    dialog.style.setCurrentText("color")
    assert dialog.color.isEnabled() and not dialog.blur.isEnabled()
    dialog.style.setCurrentText("blur")
    assert dialog.blur.isEnabled() and not dialog.color.isEnabled()
    dialog.style.setCurrentText("transparent")
    dialog.crop.setChecked(False)
    assert not dialog.padding.isEnabled()  # padding is round a crop
    dialog.crop.setChecked(True)
    assert dialog.padding.isEnabled()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.coco.setText(str(tmp_path / "labels.json"))
    dialog.padding.setValue(3)
    written = widget.export(**dialog.values())
    assert (tmp_path / "out" / "disc_object-1.png").exists() and len(written) == 2
    assert read_coco(tmp_path / "labels.json").images[0].objects[0].category == "object"


def test_reader_and_writer_round_trip(make_napari_viewer, tmp_path):
    from interactive_seg.plugin.io import get_reader, write_labels

    viewer = make_napari_viewer()
    labels = np.zeros((30, 40), np.int32)
    labels[2:10, 3:12] = 4
    labels[15:25, 20:35] = 9
    import pandas as pd

    layer = viewer.add_labels(labels, name="objects", features=pd.DataFrame({"index": [4, 9], "class": ["cat", "dog"]}))
    path = str(tmp_path / "objs.json")
    write_labels(path, layer.data, {"name": "objects", "features": layer.features, "metadata": {}})
    reader = get_reader(path)
    assert reader is not None
    ((data, meta, kind),) = reader(path)
    assert kind == "labels" and (data == labels).all()
    assert dict(zip(meta["features"]["index"], meta["features"]["class"])) == {4: "cat", 9: "dog"}
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    assert get_reader(str(other)) is None
    assert get_reader(str(tmp_path / "x.png")) is None


def test_manifest_is_valid():
    from npe2 import PluginManifest

    manifest = PluginManifest.from_distribution("interactive-seg")
    assert manifest.name == "interactive-seg"
    assert {s.key for s in manifest.contributions.sample_data} == {"coffee", "chelsea", "astronaut", "rocket"}


def test_sample_data():
    from interactive_seg.plugin.sample_data import coffee

    ((data, meta),) = coffee()
    assert data.shape == (400, 600, 3) and meta["name"] == "coffee"


@pytest.mark.sam
def test_sam_in_the_widget_embeds_in_a_worker_and_applies_prompts_given_meanwhile(setup, qtbot, monkeypatch, tmp_path):
    pytest.importorskip("segment_anything")
    from sam_models import tiny_sam

    import interactive_seg
    from interactive_seg.plugin import preview as preview_module

    viewer, widget, truth = setup
    sam = interactive_seg.get_engine("sam", model=tiny_sam(), device="cpu", cache_dir=tmp_path)
    real_get_engine = preview_module.get_engine
    monkeypatch.setattr(
        preview_module, "get_engine", lambda name, **o: sam if name == "sam" else real_get_engine(name, **o)
    )
    assert widget.engine_combo.findText("sam") >= 0
    widget.engine_combo.setCurrentText("sam")
    assert widget.engines.box("sam").isVisibleTo(widget) and not widget.engines.box("grabcut").isVisibleTo(widget)
    assert widget.cancel_button.isVisibleTo(widget) and widget.embedding
    assert widget.engines.field("sam", "model_type").currentText() == "vit_b"  # from SamEngine.options
    box(viewer, 45, 25, 115, 95)  # given while the encoder runs: applied when it is done
    assert widget.runner.worker is None
    qtbot.waitUntil(lambda: not widget.busy, timeout=60000)
    assert widget.last_result is not None and widget.last_result.mask.shape == truth.shape
    assert sam._features is not None


@pytest.mark.sam
def test_sam_embedding_can_be_cancelled(setup, qtbot, monkeypatch, tmp_path):
    pytest.importorskip("segment_anything")
    from sam_models import tiny_sam

    import interactive_seg
    from interactive_seg.plugin import preview as preview_module

    viewer, widget, truth = setup
    sam = interactive_seg.get_engine("sam", model=tiny_sam(), device="cpu", cache_dir=tmp_path)
    steps = []

    def slow_steps(image):  # an encoder of many slow blocks
        for i in range(200):
            time.sleep(0.02)
            steps.append(i)
            yield i / 200

    monkeypatch.setattr(sam, "embed_steps", slow_steps)
    monkeypatch.setattr(preview_module, "get_engine", lambda name, **o: sam)
    widget.engine_combo.setCurrentText("sam")
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=10000)
    box(viewer, 45, 25, 115, 95)  # waits for the embedding
    widget.cancel_embedding()
    qtbot.waitUntil(lambda: not widget.embedding, timeout=10000)
    assert len(steps) < 200 and "cancelled" in widget.status.text()
    assert widget.runner.pending is None and widget.last_result is None


def test_the_buttons_work_when_clicked(setup, qtbot):
    from qtpy.QtCore import Qt

    viewer, widget, truth = setup
    qtbot.mouseClick(widget.add_class_button, Qt.MouseButton.LeftButton)
    assert widget.class_list.count() == 2
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
    assert widget.object_list.count() == 1
    qtbot.mouseClick(widget.undo_button, Qt.MouseButton.LeftButton)
    assert widget.object_list.count() == 0 and widget.redo_button.isEnabled()
    qtbot.mouseClick(widget.redo_button, Qt.MouseButton.LeftButton)
    assert widget.object_list.count() == 1 and widget.export_button.isEnabled()
    widget.object_list.setCurrentRow(0)
    qtbot.mouseClick(widget.delete_button, Qt.MouseButton.LeftButton)
    assert widget.object_list.count() == 0
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    qtbot.mouseClick(widget.clear_button, Qt.MouseButton.LeftButton)
    assert not viewer.layers["preview"].data.any() and len(viewer.layers["boxes"].data) == 0


def test_gui_command_opens_napari_with_the_widget_and_images(tmp_path, qtbot):
    import napari

    from interactive_seg import cli, write_image

    path = tmp_path / "mon image.png"
    write_image(path, disc_scene()[0])
    assert cli.main(["gui", "--no-run", str(path)]) == 0
    viewer = napari.current_viewer()
    try:
        assert "mon image" in viewer.layers and "boxes" in viewer.layers
        assert "Interactive segmentation" in viewer.window.dock_widgets
    finally:
        viewer.close()
    assert cli.main(["gui", "--no-run", str(tmp_path / "missing.png")]) == 2


def test_folder_session_saves_every_change_and_restores_it(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    folder = tmp_path / "dossier"
    folder.mkdir()
    truths = {}
    for i, centre in enumerate([(80, 60), (60, 50), (100, 70)]):
        image, truth = disc_scene(centre=centre, seed=i)
        write_image(folder / f"img{i}.png", image)
        truths[f"img{i}.png"] = truth
    (folder / "bad.png").write_bytes(b"garbage")
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    widget.open_session(Session.open(folder))
    assert widget.image_list.count() == 3 and "img0.png" in viewer.layers
    cx, cy = 80, 60
    box(viewer, cx - 35, cy - 35, cx + 35, cy + 35)
    wait(qtbot, widget)
    first = widget.accept()
    assert Session.open(folder).count("img0.png") == 1
    widget.step_image(1)
    assert "img1.png" in viewer.layers and "img0.png" not in viewer.layers
    box(viewer, 25, 15, 95, 85)
    wait(qtbot, widget)
    second = widget.accept()
    assert second != first
    widget.undo()
    assert Session.open(folder).count("img1.png") == 0
    widget.redo()
    widget.class_list.item(0).setText("disc")
    widget.step_image(-1)  # switching image never drops a committed object
    assert (viewer.layers["objects"].data == first).sum() > 0
    reopened = Session.open(folder)
    assert [o.category for o in reopened.objects("img0.png")] == ["disc"]
    assert [o.category for o in reopened.objects("img1.png")] == ["disc"]
    assert iou(reopened.objects("img0.png")[0].mask, truths["img0.png"]) > 0.9
    assert widget.image_list.item(1).text() == "img1.png  (1)"
    written = widget.export(tmp_path / "cut", crop=True)
    assert [p.name for p in written] == ["img0_disc-1.png"]


def test_napari_opens_the_widget_by_plugin_name(make_napari_viewer):
    """What `napari -w interactive-seg` does."""
    viewer = make_napari_viewer()
    viewer.add_image(disc_scene()[0], name="disc", rgb=True)
    dock, widget = viewer.window.add_plugin_dock_widget("interactive-seg", "Interactive segmentation")
    assert type(widget).__name__ == "SegmentationWidget"
    assert "boxes" in viewer.layers


def test_npe2_validate():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "npe2", "validate", "interactive-seg"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "valid" in result.stdout


# -- bugs of issue #12, each as a user meets it ---------------------------------------------
def click(qtbot, button):
    from qtpy.QtCore import Qt

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_class_rename_is_one_undo_step(setup, qtbot):
    viewer, widget, truth = setup
    for rect in ((45, 25, 115, 95), (3, 3, 33, 33)):
        box(viewer, *rect)
        wait(qtbot, widget)
        click(qtbot, widget.accept_button)
    objects = viewer.layers["objects"]
    widget.class_list.item(0).setText("thing")  # what a double-click and typing do
    assert list(objects.features["class"]) == ["thing", "thing"] and widget.object_list.item(0).text().endswith("thing")
    assert widget.undo_button.toolTip() == "Undo class 'object' renamed 'thing'"
    click(qtbot, widget.undo_button)  # one undo: the rename, on every object at once
    assert list(objects.features["class"]) == ["object", "object"] and widget.class_list.item(0).text() == "object"
    assert widget.object_list.count() == 2 and widget.status.text() == "Undone: class 'object' renamed 'thing'."
    click(qtbot, widget.redo_button)
    assert widget.class_list.item(0).text() == "thing"


def test_renaming_the_image_layer_keeps_its_objects(setup, qtbot):
    viewer, widget, truth = setup
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    first = widget.accept()
    viewer.layers["disc"].name = "my photo"
    assert widget.image_combo.currentText() == "my photo"
    box(viewer, 3, 3, 33, 33)
    wait(qtbot, widget)
    second = widget.accept()  # used to fail: objects were looked up by the layer's old name
    assert second is not None and widget.object_list.count() == 2
    assert set(np.unique(viewer.layers["objects"].data)) == {0, first, second}


def test_a_refused_prompt_clears_the_preview_so_accept_keeps_nothing(setup, qtbot, monkeypatch):
    from interactive_seg.plugin import widget as widget_module

    viewer, widget, truth = setup
    said = []
    monkeypatch.setattr(widget_module, "show_warning", lambda text: said.append(text))
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    assert viewer.layers["preview"].data.any()
    viewer.layers["points"].add([[500, 500]])  # off the image: the engine refuses the prompts
    wait(qtbot, widget)
    # a mistake, not a step on the way: a warning (it was only a quiet status line, #33 an annotator's pass)
    assert "off the image" in said[-1] and "off the image" in widget.notice.text() and not widget.notice.isHidden()
    assert not viewer.layers["preview"].data.any() and not widget.accept_button.isEnabled()
    assert widget.accept() is None and "off the image" in said[-1]
    assert not viewer.layers["objects"].data.any()


def test_the_engine_is_reset_in_the_worker_never_while_it_segments(make_napari_viewer, qtbot):
    from interactive_seg import engines
    from interactive_seg.plugin.widget import SegmentationWidget

    calls = []
    engines.register_engine("slowtest", __name__, "SlowEngine")
    try:
        viewer = make_napari_viewer()
        viewer.add_image(disc_scene()[0], name="disc", rgb=True)
        widget = SegmentationWidget(viewer)
        widget.engine_combo.setCurrentText("slowtest")
        SlowEngine.calls = calls
        box(viewer, 45, 25, 115, 95)
        qtbot.waitUntil(lambda: ("segment", True) in [(c[0], c[2]) for c in calls], timeout=5000)
        before = len([c for c in calls if c[0] == "reset"])
        widget.clear()  # Shift+Esc while the worker is inside segment()
        assert len([c for c in calls if c[0] == "reset"]) == before  # not now: on the next call
        box(viewer, 45, 25, 115, 95)
        wait(qtbot, widget)
        resets = [c for c in calls if c[0] == "reset"]
        assert len(resets) == before + 1 and all(not on_main and not inside for _, on_main, inside in resets)
        assert threading.current_thread() is threading.main_thread()
    finally:
        engines._REGISTRY.pop("slowtest")


class SlowEngine(Engine):
    """Takes a while in segment(); records when reset() and segment() run, and on which thread."""

    name = "slowtest"
    calls: list = []

    def __init__(self):
        self.inside = False
        self.shape = None

    def set_image(self, image):
        self.shape = np.asarray(image).shape[:2]

    def segment(self, prompts):
        self.inside = True
        self.calls.append(("segment", threading.current_thread() is threading.main_thread(), True))
        time.sleep(0.4)
        self.inside = False
        mask = np.zeros(self.shape, bool)
        mask[30:60, 40:80] = True
        return Result(mask)

    def reset(self):
        self.calls.append(("reset", threading.current_thread() is threading.main_thread(), self.inside))


def test_undo_history_survives_moving_to_another_image_and_back(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"img{i}.png", disc_scene(seed=i)[0])
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    widget.open_session(Session.open(folder))
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    click(qtbot, widget.next_button)
    assert "img1.png" in viewer.layers and not widget.undo_button.isEnabled()
    click(qtbot, widget.previous_button)
    assert widget.undo_button.isEnabled()
    click(qtbot, widget.undo_button)
    assert widget.object_list.count() == 0 and Session.open(folder).count("img0.png") == 0
    assert widget.status.text() == "Undone: object 1 kept as 'object'."


def test_option_panels_are_built_from_the_engines_listing(setup):
    from interactive_seg.engines import engine_class

    viewer, widget, truth = setup
    for option in engine_class("grabcut").options:
        field = widget.engines.field("grabcut", option.name)
        value = field.currentText() if option.choices else field.value()  # a menu or a number box
        assert value == option.default and field.toolTip() == option.help
    widget.engines.field("grabcut", "margin").setValue(0.3)
    assert widget.engine().margin == 0.3
    widget.engines.field("grabcut", "scribble_prior").setCurrentText("none")
    assert widget.engine().scribble_prior == "none"


def test_a_region_refresh_draws_what_a_full_refresh_draws(make_napari_viewer):
    from interactive_seg.plugin import layers as L

    viewer = make_napari_viewer()
    labels = np.zeros((60, 80), np.int32)
    layer = viewer.add_labels(labels, colormap=L.objects_colormap())
    labels[10:30, 20:50] = 7
    labels[12:14, 22:24] = 12
    L.refresh_region(layer, (20, 10, 50, 30))
    partial = np.array(layer._slice.image.view, copy=True)
    layer.refresh()
    assert np.array_equal(partial, layer._slice.image.view) and partial[20, 30] != 0
