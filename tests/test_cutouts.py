import numpy as np
import pytest

from interactive_seg import InputError, read_image
from interactive_seg.export import cutout, cutout_name, save_cutout


@pytest.fixture
def small():
    image = np.zeros((6, 8, 3), np.uint8)
    image[..., 0] = 100
    image[..., 1] = np.arange(8, dtype=np.uint8)[None, :] * 10
    image[..., 2] = 50
    mask = np.zeros((6, 8), bool)
    mask[2:4, 3:6] = True
    return image, mask


def test_black_is_bitwise_and(small):
    image, mask = small
    out = cutout(image, mask, background="black")
    import cv2

    expected = cv2.bitwise_and(image, image, mask=mask.astype(np.uint8))
    assert out.dtype == np.uint8 and (out == expected).all()


def test_transparent_alpha_is_the_mask_and_hidden_pixels_are_zero(small):
    image, mask = small
    out = cutout(image, mask, background="transparent")
    assert out.shape == (6, 8, 4)
    assert (out[..., 3] == mask * 255).all()
    assert (out[mask][:, :3] == image[mask]).all() and (out[~mask] == 0).all()


def test_colour_and_blur(small):
    image, mask = small
    out = cutout(image, mask, background="color", color=(0, 255, 0))
    assert (out[~mask] == (0, 255, 0)).all() and (out[mask] == image[mask]).all()
    flat = np.full((20, 20, 3), 90, np.uint8)
    flat[:, 10:] = 200
    m = np.zeros((20, 20), bool)
    m[8:12, 2:4] = True
    blurred = cutout(flat, m, background="blur", blur_sigma=3)
    assert (blurred[m] == 90).all()
    assert 90 < blurred[10, 9, 0] < 200  # the background is the image, blurred across the edge


def test_crop_with_padding_is_clipped_to_the_image(small):
    image, mask = small
    assert cutout(image, mask, crop=True).shape == (2, 3, 3)
    out = cutout(image, mask, crop=True, padding=1)
    assert out.shape == (4, 5, 3) and (out[1:3, 1:4] == image[2:4, 3:6]).all()
    assert cutout(image, mask, crop=True, padding=100).shape == (6, 8, 3)


def test_feather_softens_only_the_edge():
    image = np.full((40, 40, 3), 200, np.uint8)
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    out = cutout(image, mask, background="transparent", feather=3)
    alpha = out[..., 3]
    assert alpha[20, 20] == 255 and alpha[0, 0] == 0
    assert 0 < alpha[20, 10] < 255 and 0 < alpha[20, 9] < 255
    assert cutout(image, mask, crop=True, feather=3).shape[0] > 20  # crop keeps the soft edge


def test_grey_16bit_and_rgba_keep_their_look():
    grey16 = np.full((4, 4), 40000, np.uint16)
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    out = cutout(grey16, mask, background="transparent")
    assert out.dtype == np.uint16 and out.shape == (4, 4, 2)
    assert out[1, 1, 0] == 40000 and out[1, 1, 1] == 65535 and out[0, 0, 1] == 0
    assert cutout(grey16, mask).shape == (4, 4) and cutout(grey16, mask)[1, 1] == 40000
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 80
    rgba[..., 3] = 128
    t = cutout(rgba, mask, background="transparent")
    assert t[1, 1, 3] == 128 and t[0, 0, 3] == 0
    b = cutout(rgba, mask, background="black")
    assert b.shape == (4, 4, 4) and b[1, 1, 3] == 128 and b[0, 0, 3] == 255
    assert cutout(np.full((4, 4), 0.5), mask).dtype == np.uint8
    assert cutout(np.full((4, 4), 7, np.uint8), mask, background="color", color=(9, 9, 9)).ndim == 2
    assert cutout(np.full((4, 4), 7, np.uint8), mask, background="color", color=(9, 0, 0)).shape == (4, 4, 3)


@pytest.mark.parametrize("suffix", [".jpg", ".webp", ".bmp", ".png", ".tif"])
def test_a_16bit_cutout_keeps_its_look_in_every_format(tmp_path, suffix):
    """OpenCV 5 writes a 16-bit image to an 8-bit format clipped at 255: a white picture."""
    import cv2

    image = np.zeros((20, 20, 3), np.uint16)
    image[..., 0], image[..., 1], image[..., 2] = 30000, 65535, 257 * 40
    mask = np.ones((20, 20), bool)
    path = save_cutout(tmp_path / f"x{suffix}", image, mask, background="black")
    back = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2RGB)
    if back.dtype == np.uint16:
        assert np.array_equal(back, image)
    else:
        assert np.abs(back.astype(int) - [117, 255, 40]).max() <= 2  # 30000 / 257 = 116.7


def test_save_cutout_refuses_transparency_without_alpha(small, tmp_path):
    image, mask = small
    with pytest.raises(InputError, match="no transparency"):
        save_cutout(tmp_path / "x.jpg", image, mask, background="transparent")
    assert not list(tmp_path.iterdir())
    path = save_cutout(tmp_path / "x.png", image, mask, background="transparent", crop=True)
    assert read_image(path).shape == (2, 3, 4)
    save_cutout(tmp_path / "x.jpg", image, mask, background="black")


def test_names_follow_the_recipe():
    assert cutout_name("photo", "cat", 1) == "photo_cat-1.png"
    assert cutout_name("photo", "traffic light/red", 2) == "photo_traffic_light_red-2.png"
    assert cutout_name("p", "é", 3) == "p_é-3.png"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"background": "pink"}, "Unknown background"),
        ({"color": (300, 0, 0), "background": "color"}, "three values"),
        ({"padding": -1}, "negative"),
    ],
)
def test_errors(small, kwargs, words):
    image, mask = small
    with pytest.raises(InputError, match=words):
        cutout(image, mask, **kwargs)


def test_mask_errors(small):
    image, mask = small
    with pytest.raises(InputError, match="shape"):
        cutout(image, mask[:3])
    with pytest.raises(InputError, match="empty"):
        cutout(image, np.zeros_like(mask), crop=True)


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535)])
def test_grey_images_export_with_a_transparent_background(tmp_path, dtype, top):
    """Issue #13 (5): a grey 8- or 16-bit image could not be exported transparent (OpenCV
    has no two-channel PNG), with a message that told the user to use the format they used."""
    from interactive_seg.model.annotations import Annotations

    grey = (np.arange(30 * 40).reshape(30, 40) % 97 * (top // 97)).astype(dtype)
    mask = np.zeros((30, 40), bool)
    mask[5:20, 8:30] = True
    path = save_cutout(tmp_path / "grey.png", grey, mask, background="transparent")
    out = read_image(path)
    assert out.dtype == dtype and out.shape == (30, 40, 4)
    assert (out[..., 3] == np.where(mask, top, 0)).all()  # alpha is the mask
    assert all((out[..., c] == np.where(mask, grey, 0)).all() for c in range(3))  # the grey kept
    model = Annotations()
    model.open("g", grey.shape)
    model.accept("g", mask)
    (written,) = model.export("g", grey, tmp_path / "out", file_name="grey.png", background="transparent")
    assert (read_image(written)[..., 3] == np.where(mask, top, 0)).all()


def test_a_format_that_cannot_hold_the_image_says_which_to_use(tmp_path):
    from interactive_seg import write_image

    with pytest.raises(InputError) as info:
        write_image(tmp_path / "x.png", np.zeros((4, 4, 5), np.uint8))
    assert "(4, 4, 5)" in str(info.value)
    assert not list(tmp_path.iterdir())


def test_a_colour_background_is_the_same_colour_on_a_16bit_image():
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    out8 = cutout(np.full((4, 4, 3), 10, np.uint8), mask, background="color", color=(255, 128, 0))
    out16 = cutout(np.full((4, 4, 3), 10, np.uint16), mask, background="color", color=(255, 128, 0))
    assert out8[0, 0].tolist() == [255, 128, 0] and out16[0, 0].tolist() == [65535, 128 * 257, 0]
    with pytest.raises(InputError, match="from 0 to 255"):
        cutout(np.full((4, 4, 3), 10, np.uint16), mask, background="color", color=(30000, 0, 0))
