"""The GrabCut engine's working region never shows as a straight edge of the mask."""

from pathlib import Path

import numpy as np
import pytest

from conftest import iou
from interactive_seg import InputError, Prompts, get_engine
from interactive_seg.engines.grabcut.region import edge_run

# the longest run of mask along an inner edge of the working region that a test allows
MOST = 16


def tall_scene(height=400, width=320, seed=0):
    """A red object filling the image's left part from top to bottom, on blue."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((height, width), bool)
    truth[:, :200] = True
    image = np.where(truth[..., None], [200, 50, 40], [40, 80, 200]).astype(float)
    image += rng.normal(0, 8, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), truth


def strokes(shape):
    """A short foreground stroke in the object and a background stroke far right of it that
    is taller than the foreground one: the strokes' region ends above and below it, while
    the object runs on to the image's top and bottom."""
    marks = np.zeros(shape, np.uint8)
    marks[198:202, 80:180] = 1
    marks[150:250, 288:292] = 2
    return marks


def straight_run(result, shape):
    x0, y0, x1, y1 = result.info["region"]
    runs = edge_run(result.mask[y0:y1, x0:x1], (x0, y0, x1, y1), shape)
    return max(runs.values(), default=0)


@pytest.mark.parametrize("grow_region", [1, 3])
def test_strokes_alone_follow_the_object_beyond_their_region(grow_region):
    image, truth = tall_scene()
    engine = get_engine("grabcut", grow_region=grow_region)
    engine.set_image(image)
    out = engine.segment(Prompts(scribbles=strokes(truth.shape)))
    assert straight_run(out, truth.shape) <= MOST
    assert iou(out.mask, truth) > 0.95


def test_without_growing_the_region_edge_cuts_the_object():
    # what the engine did before: the mask stops on the strokes' region
    image, truth = tall_scene()
    engine = get_engine("grabcut", grow_region=0)
    engine.set_image(image)
    out = engine.segment(Prompts(scribbles=strokes(truth.shape)))
    assert straight_run(out, truth.shape) > 100
    assert iou(out.mask, truth) < 0.8


def test_an_edit_with_strokes_follows_the_object_beyond_the_prior():
    image, truth = tall_scene()
    prior = np.zeros(truth.shape, bool)
    prior[150:250, 60:190] = True  # a first mask: part of the object
    engine = get_engine("grabcut")
    engine.set_image(image)
    out = engine.segment(Prompts(scribbles=strokes(truth.shape), prior=prior))
    assert straight_run(out, truth.shape) <= MOST
    assert iou(out.mask, truth) > 0.95


def test_a_click_after_grown_strokes_continues_on_the_grown_region():
    image, truth = tall_scene()
    engine = get_engine("grabcut")
    engine.set_image(image)
    marks = strokes(truth.shape)
    first = engine.segment(Prompts(scribbles=marks))
    then = engine.segment(Prompts(scribbles=marks, points=[(300, 30)], point_labels=[0]))
    assert then.info["mode"] == "continue"
    assert then.info["region"] == first.info["region"]
    assert straight_run(then, truth.shape) <= MOST
    assert iou(then.mask, truth) > 0.95


def test_an_object_inside_its_region_is_cut_once(scene):
    image, truth = scene
    marks = np.zeros(truth.shape, np.uint8)
    marks[60, 70:90] = 1
    marks[5, 5:155] = 2
    marks[115, 5:155] = 2
    grown = get_engine("grabcut")
    grown.set_image(image)
    plain = get_engine("grabcut", grow_region=0)
    plain.set_image(image)
    a, b = grown.segment(Prompts(scribbles=marks)), plain.segment(Prompts(scribbles=marks))
    assert a.info["region"] == b.info["region"]
    assert np.array_equal(a.mask, b.mask)


@pytest.mark.parametrize("value", [-1, 1.5, "many", True])
def test_grow_region_is_a_count(value):
    with pytest.raises(InputError, match="grow_region"):
        get_engine("grabcut", grow_region=value)


def test_a_box_at_the_border_gives_the_same_mask_every_time(scene):
    # the whole-image comparison cut runs on a second thread beside the fast cut: the
    # result must not depend on which finishes first
    image, truth = scene
    box = (0, 20, 120, 120)  # reaches the left and bottom borders
    masks = []
    for _ in range(3):
        engine = get_engine("grabcut")
        engine.set_image(image)
        out = engine.segment(Prompts(box=box))
        assert out.info["fallback"] in ("compared: fast", "compared: whole image")
        masks.append(out.mask)
        then = engine.segment(Prompts(box=box, points=[(80, 60)], point_labels=[1]))
        assert then.info["mode"] == "continue"
        masks.append(then.mask)
    assert all(np.array_equal(masks[i], masks[i % 2]) for i in range(len(masks)))
    assert iou(masks[0], truth) > 0.9


def test_a_box_at_the_border_gives_the_mask_of_the_same_box_inside(scene):
    # the disc lies well inside the image: moving the box's sides onto the image's border
    # must not change what is cut
    image, truth = scene
    masks = {}
    for name, box in (("border", (0, 20, 130, 120)), ("inside", (5, 20, 130, 115))):
        engine = get_engine("grabcut")
        engine.set_image(image)
        out = engine.segment(Prompts(box=box))
        assert (out.info["fallback"] is None) == (name == "inside")  # only the border box compares
        masks[name] = out.mask
    assert iou(masks["border"], masks["inside"]) > 0.97
    assert min(iou(m, truth) for m in masks.values()) > 0.95


def longest_straight_boundary(mask):
    """The longest run of axis-aligned mask boundary (between two rows or two columns), in
    pixels, away from the image's edge."""
    best = 0
    for steps in (mask[1:] != mask[:-1], (mask[:, 1:] != mask[:, :-1]).T):
        for line in steps:
            change = np.flatnonzero(np.diff(np.concatenate(([0], line.astype(np.int8), [0]))))
            if change.size:
                best = max(best, int((change[1::2] - change[::2]).max()))
    return best


def test_strokes_alone_on_chelsea_cut_no_straight_edge_longer_than_40_px():
    # issue 33: one foreground stroke across the cat's face and one background stroke at
    # the right used to cut the head with a 243 px straight line at the top
    import cv2

    path = Path(__file__).resolve().parents[1] / "sample_images" / "chelsea.png"
    image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    strokes = np.zeros(image.shape[:2], np.uint8)
    cv2.line(strokes, (110, 160), (330, 150), 1, 5)
    cv2.line(strokes, (425, 90), (425, 260), 2, 5)
    engine = get_engine("grabcut")
    engine.set_image(image)
    out = engine.segment(Prompts(scribbles=strokes))
    assert out.mask[150, 200] and not out.mask[150, 440]
    assert straight_run(out, image.shape) <= 40
    assert longest_straight_boundary(out.mask) <= 40
