import numpy as np
import pytest

from interactive_seg import InputError, masks


def ring():
    m = np.zeros((9, 9), bool)
    m[1:8, 1:8] = True
    m[3:6, 3:6] = False  # a 9-pixel hole
    m[4, 4] = False
    return m


def test_fill_holes_fills_enclosed_background_only():
    m = ring()
    m[0, 0] = False
    filled = masks.fill_holes(m)
    assert filled[4, 4] and filled[3:6, 3:6].all()
    assert not filled[0, 0] and not filled[8, 8]


def test_fill_holes_respects_max_area():
    assert not masks.fill_holes(ring(), max_area=8)[4, 4]
    assert masks.fill_holes(ring(), max_area=9)[4, 4]


def test_fill_holes_on_empty_and_full():
    assert not masks.fill_holes(np.zeros((4, 4), bool)).any()
    assert masks.fill_holes(np.ones((4, 4), bool)).all()


def test_remove_small_keeps_big_parts():
    m = np.zeros((10, 10), bool)
    m[0, 0] = True
    m[0:2, 8:10] = True
    m[4:9, 4:9] = True
    out = masks.remove_small(m, 5)
    assert out[4:9, 4:9].all() and not out[0, 0] and not out[0, 9]
    assert masks.remove_small(m, 0).sum() == m.sum()


def test_keep_connected_keeps_parts_touching_seeds_and_never_empties():
    m = np.zeros((10, 10), bool)
    m[0:3, 0:3] = True
    m[6:9, 6:9] = True
    seeds = np.zeros_like(m)
    seeds[7, 7] = True
    out = masks.keep_connected(m, seeds)
    assert out[7, 7] and not out[1, 1]
    off = np.zeros_like(m)
    off[4, 4] = True
    assert (masks.keep_connected(m, off) == m).all()
    with pytest.raises(InputError):
        masks.keep_connected(m, seeds[:5])


def test_bbox_is_exclusive_and_none_when_empty():
    m = np.zeros((6, 8), bool)
    m[2, 3] = True
    assert masks.bbox(m) == (3, 2, 4, 3)
    assert masks.bbox(np.zeros((3, 3), bool)) is None


def test_feather_keeps_the_edge_at_half():
    m = np.zeros((1, 41), bool)
    m[:, :20] = True
    m = np.repeat(m, 41, axis=0)
    alpha = masks.feather(m, 4)
    assert alpha.dtype == np.float32 and 0 <= alpha.min() and alpha.max() <= 1
    assert alpha[20, 0] > 0.99 and alpha[20, 40] < 0.01
    assert abs(alpha[20, 19] + alpha[20, 20] - 1.0) < 0.05
    assert (masks.feather(m, 0) == m).all()


def test_masks_must_be_2d():
    with pytest.raises(InputError, match="2-D"):
        masks.bbox(np.zeros((2, 2, 2), bool))
