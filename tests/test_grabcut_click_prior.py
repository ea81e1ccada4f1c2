"""The GrabCut engine's own graph cut (engines/grabcut/graphcut.py) and the click prior it carries."""

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, Prompts, get_engine
from interactive_seg.engines.grabcut import colour_models, graphcut, seeds
from interactive_seg.engines.grabcut.click_prior import geodesic_near


def _noisy_scene(seed=0):
    """Grey noise with a square of the same grey outlined by a dark line: the colour
    models cannot tell the square from the background, only the outline bounds it."""
    rng = np.random.default_rng(seed)
    image = rng.normal(128, 12, (120, 160, 3))
    cv2.rectangle(image, (39, 29), (100, 90), (20, 20, 20), 2)
    inside = np.zeros((120, 160), bool)
    inside[30:90, 40:100] = True
    return np.clip(image, 0, 255).astype(np.uint8), inside


def _click(engine, box, point, positive=True):
    scribbles = np.zeros(engine._rgb.shape[:2], np.uint8)
    cv2.circle(scribbles, point, 5, 1 if positive else 2, -1)
    return engine.segment(Prompts(box=box, points=[point], point_labels=[int(positive)], scribbles=scribbles))


def test_cut_gives_opencvs_labelling_without_extra_costs(scene):
    image, truth = scene
    rng = np.random.default_rng(1)
    image = np.clip(image.astype(int) + rng.integers(-25, 26, image.shape), 0, 255).astype(np.uint8)
    labels = np.full(truth.shape, cv2.GC_BGD, np.uint8)
    labels[20:100, 35:125] = cv2.GC_PR_FGD
    labels[55:65, 75:85] = cv2.GC_FGD
    x = image.reshape(-1, 3).astype(np.float64)
    fg_model = colour_models.fit_initial(x[labels.ravel() != cv2.GC_BGD])
    bg_model = colour_models.fit_initial(x[labels.ravel() == cv2.GC_BGD])
    theirs = labels.copy()
    cv2.grabCut(image, theirs, None, bg_model[None].copy(), fg_model[None].copy(), 1, cv2.GC_EVAL_FREEZE_MODEL)
    ours = graphcut.cut(image, labels.copy(), bg_model, fg_model)
    is_fg = lambda lab: (lab == cv2.GC_FGD) | (lab == cv2.GC_PR_FGD)  # noqa: E731
    assert np.count_nonzero(is_fg(theirs) != is_fg(ours)) <= 0.001 * truth.size
    assert (ours[labels == cv2.GC_FGD] == cv2.GC_FGD).all() and (ours[labels == cv2.GC_BGD] == cv2.GC_BGD).all()


def test_a_kept_graph_cuts_as_a_fresh_one(scene):
    # the cuts of one call continue one graph (only the terminal capacities change, by
    # their difference): each cut is the one a fresh graph gives, wherever it moves
    image, truth = scene
    rng = np.random.default_rng(2)
    image = np.clip(image.astype(int) + rng.integers(-40, 41, image.shape), 0, 255).astype(np.uint8)
    x = image.reshape(-1, 3).astype(np.float64)
    fg_model = colour_models.fit_initial(x[truth.ravel()])
    bg_model = colour_models.fit_initial(x[~truth.ravel()])
    weights = graphcut.smoothness(image)
    kept = graphcut.GridCut(weights)
    labels = np.where(truth, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    none, left, right = np.zeros(truth.shape), np.zeros(truth.shape), np.zeros(truth.shape)
    left[:, :80], right[:, 80:] = 1000.0, 1000.0
    cuts = []
    for against in (none, left, right, none, left):
        fresh = graphcut.cut(image, labels.copy(), bg_model, fg_model, weights=weights, extra=(against, none))
        again = graphcut.cut(
            image, labels.copy(), bg_model, fg_model, weights=weights, extra=(against, none), graph=kept
        )
        np.testing.assert_array_equal(again, fresh)
        cuts.append(fresh == cv2.GC_PR_FGD)
    assert cuts[0][:, :80].any() and not cuts[1][:, :80].any() and not cuts[2][:, 80:].any()
    np.testing.assert_array_equal(cuts[3], cuts[0])
    # a pin and refitted models
    labels = np.where(cuts[0], cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    labels[60, 20] = cv2.GC_FGD
    fg_model = colour_models.fit_initial(x[(labels == cv2.GC_PR_FGD).ravel()], seed=1)
    fresh = graphcut.cut(image, labels.copy(), bg_model, fg_model, weights=weights)
    np.testing.assert_array_equal(graphcut.cut(image, labels.copy(), bg_model, fg_model, graph=kept), fresh)
    # a graph built for other weights is not continued
    other = graphcut.GridCut(graphcut.smoothness(image[::-1].copy()))
    np.testing.assert_array_equal(
        graphcut.cut(image, labels.copy(), bg_model, fg_model, weights=weights, graph=other), fresh
    )


def test_extra_costs_move_the_cut(scene):
    image, truth = scene
    labels = np.where(truth, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    x = image.reshape(-1, 3).astype(np.float64)
    fg_model = colour_models.fit_initial(x[truth.ravel()])
    bg_model = colour_models.fit_initial(x[~truth.ravel()])
    plain = graphcut.cut(image, labels.copy(), bg_model, fg_model)
    assert ((plain == cv2.GC_PR_FGD) == truth).mean() > 0.98
    against_object = np.zeros(truth.shape)
    against_object[:, :80] = 1000.0  # labelling the left half object costs a lot
    pushed = graphcut.cut(image, labels.copy(), bg_model, fg_model, extra=(against_object, np.zeros(truth.shape)))
    assert not (pushed[:, :80] == cv2.GC_PR_FGD).any()
    assert ((pushed[:, 80:] == cv2.GC_PR_FGD) == truth[:, 80:]).mean() > 0.98


def test_a_click_spreads_through_flat_colour_and_stops_at_an_edge():
    image, inside = _noisy_scene()
    box = (30, 20, 110, 100)
    grown = {}
    for prior in (0.0, 40.0):
        # the tightness prior off: in grey noise it pins a pixel or two of its own, and
        # this is about what the click prior adds
        engine = get_engine("grabcut", click_prior=prior, tightness=0)
        engine.set_image(image)
        after_box = engine.segment(Prompts(box=box)).mask
        out = _click(engine, box, (70, 60))
        assert out.info["mode"] == "continue"
        grown[prior] = out.mask
        # nothing beyond the outline joins the object because of the click
        assert np.count_nonzero(out.mask & ~inside) <= np.count_nonzero(after_box & ~inside)
    # without the prior the colour models keep the square background but for the click's
    # disk; with it the click's side reaches the outline
    assert np.count_nonzero(grown[0.0] & inside) < 0.2 * inside.sum()
    assert np.count_nonzero(grown[40.0] & inside) > 0.95 * inside.sum()


def test_distances_to_the_marks_are_merged_click_by_click():
    image, _ = _noisy_scene(seed=2)
    box = (30, 20, 110, 100)
    engine = get_engine("grabcut", click_reach=1)  # every mark's distances as measured
    engine.set_image(image)
    engine.segment(Prompts(box=box))
    clicks = [((60, 50), 1), ((80, 70), 1), ((105, 95), 0)]
    for n in range(1, len(clicks) + 1):
        points = [p for p, _ in clicks[:n]]
        labels = [lab for _, lab in clicks[:n]]
        scribbles = np.zeros(image.shape[:2], np.uint8)
        for (x, y), lab in clicks[:n]:
            cv2.circle(scribbles, (x, y), 5, 1 if lab else 2, -1)
        engine.segment(Prompts(box=box, points=points, point_labels=labels, scribbles=scribbles))
    state, work = engine._state, engine._work
    cost = seeds.edge_cost(work.pixels, engine.click_contrast)
    for merged, marks in zip(state.near, (state.fg, state.bg)):
        fresh = seeds.geodesic_distance(cost, marks)
        close = fresh < 4 * engine.click_spread  # where the prior is not negligible
        np.testing.assert_allclose(merged[close], fresh[close], rtol=1e-6)


def test_window_of_the_distances_is_exact_where_it_matters():
    rng = np.random.default_rng(3)
    cost = 1 + 3 * rng.random((90, 120))
    marks = np.zeros((90, 120), bool)
    marks[40:44, 50:53] = True
    full = seeds.geodesic_distance(cost, marks)
    windowed = geodesic_near(cost, marks, 30)
    near = full < 30
    np.testing.assert_allclose(windowed[near], full[near])
    assert np.isinf(windowed[0, 0])


def test_click_prior_off_keeps_opencvs_cut_and_options_are_checked(scene):
    image, truth = scene
    engine = get_engine("grabcut", click_prior=0)
    engine.set_image(image)
    box = (45, 25, 115, 95)
    engine.segment(Prompts(box=box))
    out = _click(engine, box, (80, 60))
    assert out.info["mode"] == "continue" and engine._state.near is None
    with pytest.raises(InputError, match="click_prior"):
        get_engine("grabcut", click_prior=-1)
    with pytest.raises(InputError, match="click_spread"):
        get_engine("grabcut", click_spread=0)
    with pytest.raises(InputError, match="click_contrast"):
        get_engine("grabcut", click_contrast=-0.5)


# -- the boundary band re-cut at full resolution (``band``) ---------------------------------
def _disc(size=480, radius=150, seed=4):
    """A bright noisy disc on a dark noisy ground, and its true mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    truth = (yy - size / 2 + 0.3) ** 2 + (xx - size / 2 + 0.7) ** 2 < radius**2
    image = np.where(truth[..., None], 170.0, 70.0) + rng.normal(0, 10, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8), truth


def _blocky(truth, factor):
    """The mask at 1/``factor`` size and scaled back up as the engine does."""
    h, w = truth.shape
    small = cv2.resize(truth.astype(np.uint8), (w // factor, h // factor), interpolation=cv2.INTER_AREA) > 0
    up = cv2.resize(small.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_LINEAR) >= 128
    return small, up


def _models(image, truth):
    x = image.reshape(-1, 3).astype(np.float64)
    return colour_models.fit_initial(x[~truth.ravel()]), colour_models.fit_initial(x[truth.ravel()])


def _dense_band(mask, radius):
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    m8 = mask.astype(np.uint8)
    return cv2.dilate(m8, k, borderType=cv2.BORDER_REPLICATE) != cv2.erode(m8, k, borderType=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("tile", [8, 32, 500])
def test_band_cut_moves_a_blocky_boundary_onto_the_edge_and_nothing_else(tile):
    image, truth = _disc()
    small, up = _blocky(truth, 6)
    bg_model, fg_model = _models(image, truth)
    out = graphcut.band_cut(image, up.copy(), small, 3, bg_model, fg_model, tile=tile)
    changed = out != up
    assert changed.any()
    assert not (changed & ~_dense_band(up, 3)).any()  # only the band around the boundary
    assert np.count_nonzero(out != truth) < 0.5 * np.count_nonzero(up != truth)


def test_band_cut_is_the_same_whatever_the_tiles():
    image, truth = _disc(size=300, radius=100, seed=5)
    small, up = _blocky(truth, 5)
    bg_model, fg_model = _models(image, truth)
    results = [graphcut.band_cut(image, up.copy(), small, 2, bg_model, fg_model, tile=t) for t in (4, 16, 300)]
    assert all((r == results[0]).all() for r in results[1:])


def test_band_cut_keeps_the_marks_and_reads_a_window_of_an_image():
    image, truth = _disc()
    small, up = _blocky(truth, 6)
    bg_model, fg_model = _models(image, truth)
    edge = np.argwhere(_dense_band(up, 3) & truth)[0]  # an object pixel in the band
    values = np.zeros((11, 11), bool)
    values[5, 5] = True
    ys, xs = slice(edge[0] - 5, edge[0] + 6), slice(edge[1] - 5, edge[1] + 6)
    big = np.zeros((600, 700, 3), np.uint8)
    big[50:530, 100:580] = image
    window = big[50:530, 100:580]  # the region as the engine passes it: a view
    out = graphcut.band_cut(window, up.copy(), small, 3, bg_model, fg_model, marks=((values, ys, xs, False),))
    assert not out[edge[0], edge[1]]
    free = graphcut.band_cut(image, up.copy(), small, 3, bg_model, fg_model)
    assert free[edge[0], edge[1]]
    differs = out != free
    differs[edge[0], edge[1]] = False
    assert np.count_nonzero(differs) <= 8  # at most its neighbours follow it


def _clicked(engine, image, truth, box):
    engine.set_image(image)
    engine.segment(Prompts(box=box))
    gy, gx = np.argwhere(truth)[len(np.argwhere(truth)) // 2]
    return _click(engine, box, (int(gx), int(gy)))


def test_band_on_a_scaled_region_sharpens_the_clicked_mask_and_can_be_turned_off():
    image, truth = _disc(size=640, radius=220)
    box = (90, 90, 550, 550)
    off = _clicked(get_engine("grabcut", band=0), image, truth, box)
    on = _clicked(get_engine("grabcut"), image, truth, box)
    assert off.info["mode"] == on.info["mode"] == "continue" and on.info["scale"] < 1
    # the same object; the band moves its boundary closer to the truth
    assert np.count_nonzero(on.mask != off.mask) < 0.05 * truth.sum()
    assert np.count_nonzero(on.mask != truth) < np.count_nonzero(off.mask != truth)


def test_no_band_on_regions_longer_than_band_side():
    image, truth = _disc(size=640, radius=220)
    box = (90, 90, 550, 550)
    off = _clicked(get_engine("grabcut", band=0), image, truth, box)
    short = _clicked(get_engine("grabcut", band_side=300, fine_edges=False), image, truth, box)
    assert (short.mask == off.mask).all()  # the region (506 px) is longer than 300
    with pytest.raises(InputError, match="band"):
        get_engine("grabcut", band=-1)
    with pytest.raises(InputError, match="band_side"):
        get_engine("grabcut", band_side=8)


def test_click_reach_lets_a_click_claim_farther_than_a_stroke():
    image, inside = _noisy_scene()
    box = (30, 20, 110, 100)
    claimed = {}
    for reach in (1.0, 4.0):
        # a short spread: the click's own reach decides how far it claims
        engine = get_engine("grabcut", click_prior=40, click_spread=5, tightness=0, click_reach=reach)
        engine.set_image(image)
        engine.segment(Prompts(box=box))
        out = _click(engine, box, (70, 60))
        claimed[reach] = np.count_nonzero(out.mask & inside)
        near = engine._state.near[0]
        # the click's distances count 1 / reach: they are the geodesic distances so scaled
        cost = seeds.edge_cost(engine._work.pixels, engine.click_contrast)
        fresh = seeds.geodesic_distance(cost, engine._state.fg) / reach
        close = fresh < 4 * engine.click_spread
        np.testing.assert_allclose(near[close], fresh[close], rtol=1e-6)
    # at reach 1 the click claims little more than its disk; four times as far, the square
    assert claimed[1.0] < 0.2 * inside.sum() and claimed[4.0] > 0.95 * inside.sum()
    with pytest.raises(InputError, match="click_reach"):
        get_engine("grabcut", click_reach=0.5)


def test_a_clicks_disk_reaches_no_farther_than_the_click_is_from_the_mask_and_never_changes():
    from interactive_seg.engines.grabcut.marks import GC_PR_BGD, GC_PR_FGD, grow_clicks
    from interactive_seg.engines.grabcut.region import Work

    work = Work((0, 0, 60, 40), 1.0, np.zeros((40, 60, 3), np.uint8))
    labels = np.full((40, 60), GC_PR_BGD, np.uint8)
    labels[:, :30] = GC_PR_FGD  # the last cut: object on the left
    near, far = (33, 20), (55, 20)  # 4 px and 26 px right of the mask's edge
    prompts = Prompts(points=[near, far], point_labels=[1, 1])
    known = {}
    fg, _ = grow_clicks(prompts, work, None, None, 6, 1, labels, 1.0, known)
    assert known == {(33.0, 20.0, 1): 4.0, (55.0, 20.0, 1): None}  # None: the full disk
    assert fg[20, 29:38].all() and not fg[20, 38] and not fg[20, 28]  # radius 4: it reaches the mask
    assert fg[20, 49:].all() and np.count_nonzero(fg[20, 40:]) == 11  # radius 6, to the image's edge
    assert grow_clicks(prompts, work, None, None, 6, 1, labels, 0.0)[0][20, 27:40].all()  # off: radius 6 for both
    # later calls keep each click's disk, whatever the labelling has become
    again, _ = grow_clicks(prompts, work, None, None, 6, 1, np.full((40, 60), GC_PR_FGD, np.uint8), 1.0, known)
    np.testing.assert_array_equal(again, fg)
    with pytest.raises(InputError, match="click_fit"):
        get_engine("grabcut", click_fit=-1)


def test_a_click_just_outside_the_mask_marks_the_gap_not_the_background_beyond_it():
    image = np.full((120, 160, 3), 200, np.uint8)
    image[30:90, 40:100] = 40  # a dark square on light ground
    square = np.zeros((120, 160), bool)
    square[30:90, 40:100] = True
    box = (30, 20, 110, 100)
    spill = {}
    for fit in (0.0, 1.0):
        engine = get_engine("grabcut", click_fit=fit, tightness=0)
        engine.set_image(image)
        assert engine.segment(Prompts(box=box)).mask[square].all()
        clicked = _click(engine, box, (102, 60))  # 2 px right of the square: a slip
        spill[fit] = np.count_nonzero(clicked.mask & ~square)
        assert clicked.info["mode"] == "continue"
        first_disk = engine._state.fg.copy()
        scribbles = np.zeros(square.shape, np.uint8)
        for point in ((102, 60), (70, 60)):
            cv2.circle(scribbles, point, 5, 1, -1)
        # a second click continues from the first, whose disk stays as it was
        second = engine.segment(
            Prompts(box=box, points=[(102, 60), (70, 60)], point_labels=[1, 1], scribbles=scribbles)
        )
        assert second.info["mode"] == "continue" and (engine._state.fg >= first_disk).all()
    assert spill[1.0] < spill[0.0]
