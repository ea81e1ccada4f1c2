"""Plain GrabCut as an engine: cv2.grabCut on the whole image, for comparison with `grabcut`."""

import cv2
import numpy as np
import pytest

import interactive_seg as iseg
from conftest import iou
from interactive_seg import InputError, Prompts
from interactive_seg.cli import main


@pytest.fixture
def engine(scene):
    image, _ = scene
    engine = iseg.get_engine("plain_grabcut")
    engine.set_image(image)
    return engine


def test_it_is_a_registered_engine_with_its_options():
    assert "plain_grabcut" in iseg.available_engines()
    cls = iseg.engines.engine_class("plain_grabcut")
    assert [o.name for o in cls.options] == ["iterations", "click_radius"]


def test_a_box_is_opencvs_rect_initialisation_on_the_whole_image(scene, engine):
    image, truth = scene
    box = (40, 20, 121, 101)
    mask = engine.segment(Prompts(box=box)).mask
    labels = np.zeros(truth.shape, np.uint8)
    cv2.setRNGSeed(0)
    cv2.grabCut(
        np.ascontiguousarray(image),
        labels,
        (40, 20, 81, 81),
        np.zeros((1, 65)),
        np.zeros((1, 65)),
        5,
        cv2.GC_INIT_WITH_RECT,
    )
    assert np.array_equal(mask, (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD))  # the recipe itself
    assert iou(mask, truth) > 0.9
    assert np.array_equal(engine.segment(Prompts(box=box)).mask, mask)  # seeded: it repeats


def test_clicks_and_strokes_are_marks_and_strokes_alone_work(scene, engine):
    image, truth = scene
    box = (40, 20, 121, 101)
    clicked = engine.segment(Prompts(box=box, points=[(80, 60), (45, 25)], point_labels=[1, 0])).mask
    assert clicked[60, 80] and not clicked[25, 45] and iou(clicked, truth) > 0.9
    strokes = np.zeros(truth.shape, np.uint8)
    strokes[55:65, 70:90] = 1
    strokes[5:10, 5:150] = 2
    alone = engine.segment(Prompts(scribbles=strokes)).mask
    assert alone[60, 80] and not alone[7, 50]


def test_bad_input_says_what_to_do(scene, engine):
    with pytest.raises(InputError, match="No prompts"):
        engine.segment(Prompts())
    with pytest.raises(InputError, match="set_image"):
        iseg.get_engine("plain_grabcut").segment(Prompts(box=(1, 1, 5, 5)))
    with pytest.raises(InputError, match="iterations"):
        iseg.get_engine("plain_grabcut", iterations=0)
    with pytest.raises(InputError):
        engine.segment(Prompts(box=(0, 0, 1, 1)))  # nothing inside OpenCV's one-pixel frame


def test_the_cli_and_segment_take_it_by_name(scene, tmp_path):
    image, truth = scene
    mask = iseg.segment(image, box=(40, 20, 121, 101), engine="plain_grabcut")
    assert iou(mask, truth) > 0.9
    iseg.write_image(tmp_path / "scene.png", image)
    assert (
        main(
            [
                "segment",
                str(tmp_path / "scene.png"),
                "--box",
                "40,20,121,101",
                "--engine",
                "plain_grabcut",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert (tmp_path / "out" / "scene_mask.png").exists()


@pytest.mark.gui
def test_the_widget_offers_it_beside_grabcut(make_napari_viewer, qtbot, scene):
    pytest.importorskip("napari")
    from conftest import box, docked_widget, wait

    image, truth = scene
    viewer = make_napari_viewer()
    widget = docked_widget(viewer, image)
    widget.engine_combo.setCurrentText("plain_grabcut")
    box(viewer, 40, 20, 121, 101)
    wait(qtbot, widget)
    qtbot.waitUntil(lambda: viewer.layers["preview"].data.any(), timeout=20000)
    assert iou(viewer.layers["preview"].data.astype(bool), truth) > 0.9
    assert widget.accept() == 1 and iou(viewer.layers["objects"].data == 1, truth) > 0.9
