"""Strokes without a box: the geodesic stroke prior (engines/grabcut/seeds.py) and how the GrabCut
engine uses it."""

import numpy as np
import pytest

from conftest import iou
from interactive_seg import InputError, Prompts, get_engine
from interactive_seg.engines.grabcut import GrabCutEngine, seeds


def _two_halves():
    """Dark left half, bright right half; a foreground stroke far right, a background
    stroke just left of the edge."""
    image = np.full((40, 200, 3), 30, np.uint8)
    image[:, 100:] = 220
    fg = np.zeros((40, 200), bool)
    fg[15:25, 190] = True
    bg = np.zeros((40, 200), bool)
    bg[15:25, 90] = True
    return image, fg, bg


def _flower(height=160, width=200, seed=0):
    """A red flower with a yellow centre on a chequer of blue and green leaves; the
    strokes a hurried user draws: a dab on the centre, background lines near the border."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    r2 = (xx - 100) ** 2 + (yy - 80) ** 2
    truth = r2 < 55**2
    image = np.zeros((height, width, 3)) + [40, 70, 150]
    image[(xx // 10 + yy // 10) % 2 == 1] = [60, 100, 60]
    image[truth] = [200, 40, 40]
    image[r2 < 18**2] = [230, 210, 40]
    image = np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    strokes = np.zeros((height, width), np.uint8)
    strokes[75:85, 95:105] = 1
    strokes[5:10, 5:60] = 2
    strokes[150:155, 140:195] = 2
    strokes[20:140, 5:9] = 2
    return image, truth, strokes


def test_the_prior_follows_image_edges_not_straight_lines():
    image, fg, bg = _two_halves()
    prior = seeds.stroke_prior(image, fg, bg, contrast=10)
    assert prior.shape == fg.shape and prior.dtype == np.float64
    assert prior[fg].min() == 1.0 and prior[bg].max() == 0.0
    # just right of the edge: nearer the background stroke as the crow flies, but the
    # path to it crosses the edge, so the pixel belongs with the foreground stroke
    assert prior[20, 105] > 0.5 and prior[20, 150] > 0.5
    assert prior[20, 60] < 0.5 and prior[20, 95] < 0.5
    # without the edge cost the same pixel goes with the nearer, background stroke
    assert seeds.stroke_prior(image, fg, bg, contrast=0)[20, 105] < 0.5


def test_geodesic_distance_is_zero_on_the_seeds_and_grows_away_from_them():
    cost = np.ones((5, 9))
    seed = np.zeros((5, 9), bool)
    seed[2, 0] = True
    d = seeds.geodesic_distance(cost, seed)
    assert d[2, 0] == 0 and np.allclose(d[2, :], np.arange(9))
    assert np.isinf(seeds.geodesic_distance(cost, np.zeros((5, 9), bool))).all()


@pytest.mark.parametrize("edges", ["both", "image", "likelihood"])
def test_strokes_alone_find_an_object_whose_colours_the_foreground_stroke_misses(edges):
    image, truth, strokes = _flower()
    engine = get_engine("grabcut", prior_edges=edges)
    engine.set_image(image)
    mask = engine.segment(Prompts(scribbles=strokes)).mask
    assert iou(mask, truth) > 0.95
    # plain GrabCut's start (every unmarked pixel probable background) keeps only the
    # stroked centre: its colour model never sees the red petals
    plain = get_engine("grabcut", scribble_prior="none")
    plain.set_image(image)
    assert iou(plain.segment(Prompts(scribbles=strokes)).mask, truth) < 0.3


def test_strokes_alone_are_deterministic():
    image, truth, strokes = _flower(seed=3)
    masks = []
    for _ in range(2):
        engine = get_engine("grabcut")
        engine.set_image(image)
        masks.append(engine.segment(Prompts(scribbles=strokes)).mask)
    assert np.array_equal(masks[0], masks[1])


def test_parts_no_foreground_stroke_touches_are_dropped():
    image, truth, strokes = _flower()
    # a second red flower, far from the strokes' object, that no stroke marks
    image = image.copy()
    image[130:150, 20:40] = [200, 40, 40]
    engine = get_engine("grabcut", stroke_margin=None)
    engine.set_image(image)
    mask = engine.segment(Prompts(scribbles=strokes)).mask
    assert not mask[130:150, 20:40].any()
    assert iou(mask, truth) > 0.95


def test_the_region_is_the_strokes_extent_grown_by_stroke_margin():
    image, truth, strokes = _flower(height=300, width=400)
    strokes = np.zeros(truth.shape, np.uint8)
    strokes[80, 100] = 1
    strokes[40:42, 40:160] = 2
    engine = get_engine("grabcut", stroke_margin=0.25)
    engine.set_image(image)
    info = engine.segment(Prompts(scribbles=strokes)).info
    # the strokes' window is x 40..160, y 40..81 (exclusive ends): grown by a quarter of
    # 120 px; no background stroke lies below the foreground one, so the region runs to the
    # bottom of the image
    assert info["region"] == (10, 10, 190, 300)
    whole = get_engine("grabcut", stroke_margin=None)
    whole.set_image(image)
    assert whole.segment(Prompts(scribbles=strokes)).info["region"] == (0, 0, 400, 300)


def test_the_prior_is_computed_at_working_size_on_a_large_photo(monkeypatch):
    image, truth, strokes = _flower()
    big = np.repeat(np.repeat(image, 20, 0), 20, 1)  # 3200 x 4000, 12.8 MP
    big_strokes = np.repeat(np.repeat(strokes, 20, 0), 20, 1)
    seen = []
    real = seeds.stroke_prior

    def spy(pixels, fg, bg, **kw):
        seen.append(pixels.shape)
        return real(pixels, fg, bg, **kw)

    monkeypatch.setattr(seeds, "stroke_prior", spy)
    engine = get_engine("grabcut")
    engine.set_image(big)
    mask = engine.segment(Prompts(scribbles=big_strokes)).mask
    assert mask.shape == big.shape[:2]
    assert len(seen) == 1 and max(seen[0][:2]) <= engine.max_side
    big_truth = np.repeat(np.repeat(truth, 20, 0), 20, 1)
    assert iou(mask, big_truth) > 0.95


def test_the_option_is_listed_for_the_widget_and_the_cli():
    option = next(o for o in GrabCutEngine.options if o.name == "scribble_prior")
    assert option.type is str and option.default == "geodesic"
    assert set(option.choices) == {"geodesic", "none"}


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: get_engine("grabcut", scribble_prior="random"), "scribble_prior must be one of"),
        (lambda: get_engine("grabcut", prior_contrast=-1), "prior_contrast"),
        (lambda: get_engine("grabcut", stroke_margin=-0.5), "stroke_margin"),
        (lambda: get_engine("grabcut", prior_edges="sobel"), "prior_edges must be one of"),
        (
            lambda: seeds.stroke_prior(
                np.zeros((4, 4, 3), np.uint8), np.eye(4, dtype=bool), ~np.eye(4, dtype=bool), edges="x"
            ),
            "edges must be one of",
        ),
        (
            lambda: seeds.stroke_prior(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), bool), np.ones((4, 4), bool)),
            "both a foreground",
        ),
        (
            lambda: seeds.stroke_prior(np.zeros((4, 4, 3), np.uint8), np.ones((4, 5), bool), np.ones((4, 4), bool)),
            "must match",
        ),
        (
            lambda: seeds.stroke_prior(np.zeros((4, 4), np.uint8), np.ones((4, 4), bool), np.ones((4, 4), bool)),
            "uint8 RGB",
        ),
        (lambda: seeds.edge_cost(np.zeros((4, 4, 3), np.uint8), contrast=-2), "contrast"),
    ],
)
def test_bad_input_says_what_to_do(call, words):
    with pytest.raises(InputError, match=words):
        call()


def test_the_command_line_takes_scribble_prior(tmp_path):
    from interactive_seg import cli
    from interactive_seg.files import read_image, write_image

    image, truth, strokes = _flower()
    write_image(tmp_path / "flower.png", image)
    write_image(tmp_path / "strokes.png", strokes)
    scores = {}
    for prior in ("geodesic", "none"):
        out = tmp_path / prior
        args = [
            "segment",
            str(tmp_path / "flower.png"),
            "--scribbles",
            str(tmp_path / "strokes.png"),
            "--scribble-prior",
            prior,
            "--out",
            str(out),
            "-q",
        ]
        assert cli.main(args) == 0
        scores[prior] = iou(read_image(out / "flower_mask.png") == 255, truth)
    assert scores["geodesic"] > 0.95 and scores["none"] < 0.3


def test_strokes_that_meet_at_working_size_still_give_a_mask():
    # on a wide photo two neighbouring strokes fall into the same working pixels, where the
    # foreground wins: the background stroke vanishes there, but the call must not fail
    image, truth = _flower()[:2]
    big = np.ascontiguousarray(np.repeat(np.repeat(image, 20, 0), 20, 1))
    strokes = np.zeros(big.shape[:2], np.uint8)
    strokes[100:3100, 2000] = 1
    strokes[100:3100, 2001] = 2
    strokes[100:105, 100:105] = 1  # sets the region's edge, so columns 2000 and 2001 share working pixels
    engine = get_engine("grabcut")
    engine.set_image(big)
    mask = engine.segment(Prompts(scribbles=strokes)).mask
    assert mask[100:3100, 2000].all() and not mask[100:3100, 2001].any()


def test_the_region_is_open_where_no_background_stroke_bounds_the_object():
    # a wide object stroked near its left end, a background stroke only to its left: nothing
    # says where the object ends on the right, so the region must not cut it there
    rng = np.random.default_rng(1)
    image = np.zeros((200, 600, 3)) + [40, 90, 160]
    truth = np.zeros((200, 600), bool)
    truth[60:140, 100:560] = True
    image[truth] = [200, 60, 40]
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    strokes = np.zeros(truth.shape, np.uint8)
    strokes[100, 120:160] = 1
    strokes[40:160, 40] = 2
    engine = get_engine("grabcut")
    engine.set_image(image)
    result = engine.segment(Prompts(scribbles=strokes))
    assert result.info["region"][2] == 600
    assert iou(result.mask, truth) > 0.95
