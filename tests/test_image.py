import numpy as np
import pytest

from interactive_seg import InputError, as_rgb8


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((5, 7), np.uint8),
        np.zeros((5, 7, 1), np.uint8),
        np.zeros((5, 7, 2), np.uint16),
        np.zeros((5, 7, 3), np.float32),
        np.zeros((5, 7, 4), np.uint8),
        np.zeros((5, 7), bool),
        np.zeros((5, 7), np.int32),
        np.zeros((5, 7), np.float64),
    ],
)
def test_every_2d_layout_becomes_uint8_rgb(array):
    out = as_rgb8(array)
    assert out.shape == (5, 7, 3)
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous


def test_grey_is_repeated_and_uint8_is_kept_as_is():
    grey = np.arange(35, dtype=np.uint8).reshape(5, 7)
    out = as_rgb8(grey)
    assert (out[..., 0] == grey).all() and (out[..., 1] == grey).all() and (out[..., 2] == grey).all()


def test_alpha_is_dropped():
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0] = 10
    rgba[..., 3] = 99
    assert (as_rgb8(rgba) == [10, 0, 0]).all()


def test_uint16_is_stretched_from_min_to_max():
    img = np.array([[1000, 3000]], np.uint16)
    assert as_rgb8(img)[0, :, 0].tolist() == [0, 255]


def test_float_in_unit_range_is_scaled_by_255_not_stretched():
    img = np.array([[0.0, 0.5]], np.float32)
    assert as_rgb8(img)[0, :, 0].tolist() == [0, 128]


def test_float_any_range_and_nan_pixels():
    img = np.array([[-5.0, np.nan, 5.0]])
    assert as_rgb8(img)[0, :, 0].tolist() == [0, 0, 255]


def test_bool_is_black_and_white():
    assert as_rgb8(np.array([[True, False]]))[0, :, 0].tolist() == [255, 0]


def test_small_ints_keep_their_values():
    assert as_rgb8(np.array([[3, 200]], np.int64))[0, :, 0].tolist() == [3, 200]


@pytest.mark.parametrize(
    "array, words",
    [
        (np.zeros((3, 4, 5, 3), np.uint8), "single 2-D image"),
        (np.zeros((10, 5, 7), np.uint8), "channels"),
        (np.zeros((0, 5), np.uint8), "empty"),
        (np.full((4, 4), np.nan), "NaN"),
        (np.zeros(5, np.uint8), "2-D"),
        (np.array([["a"]]), "dtype"),
        (np.zeros((2, 2), complex), "complex"),
    ],
)
def test_unusable_images_raise_input_error_that_says_what_to_do(array, words):
    with pytest.raises(InputError, match=words):
        as_rgb8(array)


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
