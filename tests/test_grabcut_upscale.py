"""A cut on a large photograph: the mask's edge follows the image, not the working grid."""

import cv2
import numpy as np
import pytest

from conftest import iou
from interactive_seg import InputError, Prompts, get_engine
from interactive_seg.engines.grabcut.upscale import _kept_but, _sampled_sides, level_sizes


def blob(height=2700, width=4000, seed=0):
    """A smooth blob whose radius varies with the angle (every slope of boundary occurs) on
    a striped background, a 1 px soft edge and noise; returns (image, truth, box)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    cx, cy = 0.5 * width, 0.5 * height
    angle = np.arctan2(yy - cy, xx - cx)
    radius = 0.3 * height * (1 + 0.14 * np.sin(3 * angle + 0.4) + 0.06 * np.cos(5 * angle))
    signed = np.hypot(xx - cx, yy - cy) - radius
    truth = signed < 0
    alpha = np.clip(0.5 - signed, 0, 1)[..., None]
    stripes = ((xx // 60 + yy // 90) % 2)[..., None] * np.array([0, 35, 30], np.float32)
    image = alpha * np.array([200, 120, 50], np.float32) + (1 - alpha) * (np.array([40, 90, 160], np.float32) + stripes)
    image += rng.normal(0, 10, image.shape).astype(np.float32)
    ys, xs = np.nonzero(truth)
    box = (xs.min() - 60.0, ys.min() - 60.0, xs.max() + 60.0, ys.max() + 60.0)
    return np.clip(image, 0, 255).astype(np.uint8), truth, box


def largest_offset(mask, truth):
    """The largest distance (px) from a boundary pixel of ``mask`` to ``truth``'s boundary:
    a staircase of width w along a slanted edge shows as about w / 2 or more."""
    kernel = np.ones((3, 3), np.uint8)
    edge = lambda m: m.astype(np.uint8) != cv2.erode(m.astype(np.uint8), kernel)  # noqa: E731
    far = cv2.distanceTransform((~edge(truth)).astype(np.uint8), cv2.DIST_L2, 5)
    return float(far[edge(mask)].max())


@pytest.fixture(scope="module")
def large():
    return blob()


def test_a_large_photo_has_no_staircase_wider_than_2_px(large):
    image, truth, box = large
    engine = get_engine("grabcut")
    engine.set_image(image)
    fine = engine.segment(Prompts(box=box))
    assert fine.info["scale"] < 0.125  # a working pixel is more than 8 x 8 image pixels
    assert largest_offset(fine.mask, truth) <= 2
    coarse = get_engine("grabcut", fine_edges=False)
    coarse.set_image(image)
    blocky = coarse.segment(Prompts(box=box))
    assert largest_offset(blocky.mask, truth) > 4  # scaled up alone, the edge is the grid's
    assert iou(fine.mask, truth) > iou(blocky.mask, truth) > 0.98


def test_a_click_on_a_large_photo_keeps_full_resolution_edges(large):
    image, truth, box = large
    engine = get_engine("grabcut")
    engine.set_image(image)
    engine.segment(Prompts(box=box))
    height, width = truth.shape
    clicked = engine.segment(Prompts(box=box, points=[(width / 2, height / 2)], point_labels=[1]))
    assert clicked.info["mode"] == "continue"
    assert largest_offset(clicked.mask, truth) <= 2


def test_levels_double_from_the_working_size_to_full_resolution():
    assert level_sizes((6000, 4000), (256, 171)) == [(750, 500), (1500, 1000), (3000, 2000), (6000, 4000)]
    assert level_sizes((300, 200), (256, 171)) == [(300, 200)]  # one step: already close
    assert level_sizes((1001, 601), (256, 154)) == [(501, 301), (1001, 601)]


def test_fine_edges_is_checked():
    with pytest.raises(InputError, match="fine_edges"):
        get_engine("grabcut", fine_edges="yes")


def test_a_click_cuts_again_only_round_what_it_changed(large):
    # the click continues from the last call's levels where the working mask is unchanged:
    # the same mask, but for the band round the changes, as cutting every level again
    image, truth, box = large
    height, width = truth.shape
    prompts = Prompts(box=box, points=[(width / 2, height / 2)], point_labels=[1])
    masks = []
    for keep in (True, False):
        engine = get_engine("grabcut")
        engine.set_image(image)
        engine.segment(Prompts(box=box))
        assert engine._state.levels is not None
        if not keep:
            engine._state.levels = None
        masks.append(engine.segment(prompts).mask)
    assert np.count_nonzero(masks[0] != masks[1]) < 1e-4 * truth.sum()


@pytest.mark.parametrize("step", [1, 3, 7])
def test_the_refit_sides_are_the_eroded_and_dilated_mask_where_sampled(step):
    rng = np.random.default_rng(step)
    mask = cv2.resize((rng.random((12, 17)) > 0.5).astype(np.uint8), (83, 61), interpolation=cv2.INTER_NEAREST) > 0
    mask[:, :3] = True  # the object at the image's edge: outside neighbours are ignored
    kernel = np.ones((5, 5), np.uint8)
    inner, outer = _sampled_sides(mask, step, 2)
    m8 = mask.astype(np.uint8)
    assert np.array_equal(inner, cv2.erode(m8, kernel).astype(bool)[::step, ::step])
    assert np.array_equal(outer, ~cv2.dilate(m8, kernel).astype(bool)[::step, ::step])


def test_a_click_keeps_the_last_mask_but_where_it_changed():
    rng = np.random.default_rng(0)
    before, now = rng.random((40, 50)) > 0.5, rng.random((40, 50)) > 0.5
    here = np.zeros((40, 50), bool)
    here[5:9, 30:44] = here[20, 3] = True
    assert np.array_equal(_kept_but(before, now, here), np.where(here, now, before))
    assert np.array_equal(_kept_but(before, now, np.zeros_like(here)), before)
