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
