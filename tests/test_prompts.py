import numpy as np
import pytest

from interactive_seg import InputError, Prompts


def test_box_partly_outside_is_clipped():
    p = Prompts(box=(-10, 5, 50, 500)).validated((100, 40))
    assert p.box == (0.0, 5.0, 40.0, 100.0)


def test_box_corners_in_any_order():
    assert Prompts(box=(30, 40, 10, 20)).box == (10.0, 20.0, 30.0, 40.0)


@pytest.mark.parametrize(
    "box, words",
    [((10, 10, 10, 50), "zero area"), ((200, 200, 300, 300), "outside the image"), ((-50, -50, -1, -1), "outside")],
)
def test_unusable_boxes(box, words):
    with pytest.raises(InputError, match=words):
        Prompts(box=box).validated((100, 100))


@pytest.mark.parametrize("box", [(1, 2, 3), ("a", 1, 2, 3), (0, 0, np.inf, 5)])
def test_malformed_boxes(box):
    with pytest.raises(InputError):
        Prompts(box=box)


def test_point_off_the_image():
    with pytest.raises(InputError, match=r"\(100, 5\) is off the image"):
        Prompts(points=[(100, 5)]).validated((50, 100))


def test_point_labels_default_to_foreground_and_must_match():
    assert Prompts(points=[(1, 2), (3, 4)]).point_labels.tolist() == [1, 1]
    with pytest.raises(InputError, match="2 points but 1 point labels"):
        Prompts(points=[(1, 2), (3, 4)], point_labels=[1])
    with pytest.raises(InputError, match="1 .foreground. or 0"):
        Prompts(points=[(1, 2)], point_labels=[5])
    with pytest.raises(InputError, match="without points"):
        Prompts(point_labels=[1])


def test_scribbles_of_another_shape_or_values():
    with pytest.raises(InputError, match="shape"):
        Prompts(scribbles=np.ones((5, 5), np.uint8)).validated((6, 5))
    with pytest.raises(InputError, match="0 .none."):
        Prompts(scribbles=np.full((5, 5), 3, np.uint8))
    with pytest.raises(InputError, match="2-D"):
        Prompts(scribbles=np.zeros((5, 5, 3), np.uint8))


def test_empty_scribbles_or_prior_of_another_shape_are_still_a_wrong_shape():
    # all zero, they hold no marks, but they were drawn for another image all the same
    with pytest.raises(InputError, match=r"scribbles have shape \(5, 5\) but the image is 6 x 5"):
        Prompts(box=(0, 0, 4, 4), scribbles=np.zeros((5, 5), np.uint8)).validated((6, 5))
    with pytest.raises(InputError, match="prior mask have shape"):
        Prompts(box=(0, 0, 4, 4), prior=np.zeros((5, 5), bool)).validated((6, 5))
    with pytest.raises(InputError, match="shape"):
        Prompts(scribbles=np.zeros((5, 5), np.uint8)).validated((6, 5))
    ok = Prompts(box=(0, 0, 4, 4), scribbles=np.zeros((6, 5), np.uint8)).validated((6, 5))
    assert ok.scribbles is None and ok.box == (0, 0, 4, 4)


def test_empty_prompts_are_an_error():
    with pytest.raises(InputError, match="No prompts"):
        Prompts().validated((5, 5))
    with pytest.raises(InputError, match="No prompts"):
        Prompts(scribbles=np.zeros((5, 5), np.uint8), points=[]).validated((5, 5))


def test_marks_paint_points_as_disks_over_scribbles():
    scribbles = np.zeros((20, 20), np.uint8)
    scribbles[10, :] = 2
    marks = Prompts(points=[(10, 10)], point_labels=[1], scribbles=scribbles).marks((20, 20), radius=3)
    assert marks[10, 10] == 1 and marks[10, 7] == 1 and marks[10, 0] == 2
    assert marks[10, 14] == 2 and marks[6, 10] == 0
    assert np.count_nonzero(Prompts(points=[(10, 10)]).marks((20, 20), radius=3)) == 29


@pytest.mark.parametrize("seed", range(20))
def test_marks_window_is_the_full_marks_cropped_and_nothing_outside(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(5, 60, 2)
    scribbles = None
    if rng.random() < 0.7:
        scribbles = np.zeros((h, w), np.uint8)
        for _ in range(rng.integers(0, 3)):
            y, x = rng.integers(0, h), rng.integers(0, w)
            scribbles[y : y + rng.integers(1, 5), x : x + rng.integers(1, 9)] = rng.integers(1, 3)
    points = labels = None
    if scribbles is None or not scribbles.any() or rng.random() < 0.5:
        n = int(rng.integers(1, 4))
        points = np.column_stack([rng.uniform(0, w - 1, n), rng.uniform(0, h - 1, n)])
        labels = rng.integers(0, 2, n)
    p = Prompts(points=points, point_labels=labels, scribbles=scribbles).validated((h, w))
    radius = float(rng.integers(0, 6))
    full = p.marks((h, w), radius)
    (x0, y0, x1, y1), window = p.marks_window((h, w), radius)
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    np.testing.assert_array_equal(window, full[y0:y1, x0:x1])
    outside = full.copy()
    outside[y0:y1, x0:x1] = 0
    assert not outside.any()


def test_marks_window_is_none_without_marks():
    assert Prompts(box=(0, 0, 5, 5)).validated((10, 10)).marks_window((10, 10)) is None
