"""GrabCut's colour models learnt in numpy (interactive_seg.engines.grabcut.colour_models)."""

import cv2
import numpy as np
import pytest

from interactive_seg.engines.grabcut import colour_models as cm


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    red = rng.normal([200, 30, 30], 6, (600, 3))
    blue = rng.normal([30, 40, 200], 6, (400, 3))
    return red, blue


def test_learn_fits_each_component_to_its_pixels():
    red, blue = _blobs()
    pixels = np.vstack([red, blue])
    parts = np.r_[np.zeros(600, int), np.ones(400, int)]
    model = cm.learn(pixels, parts)
    coefs, means, covs = cm._parts(model)
    np.testing.assert_allclose(coefs, [0.6, 0.4, 0, 0, 0])
    np.testing.assert_allclose(means[0], red.mean(0))
    np.testing.assert_allclose(means[1], blue.mean(0))
    np.testing.assert_allclose(covs[0], np.cov(red.T, bias=True), rtol=1e-6, atol=1e-6)
    # weights of one are no weights at all
    np.testing.assert_allclose(cm.learn(pixels, parts, np.ones(1000)), model)
    # weight moves the mixture: blue counted a quarter as much
    weighted = cm.learn(pixels, parts, np.r_[np.ones(600), np.full(400, 0.25)])
    np.testing.assert_allclose(cm._parts(weighted)[0][:2], [600 / 700, 100 / 700])
    assert cm.learn(pixels[:0], parts[:0]) is None
    assert cm.learn(pixels, parts, np.zeros(1000)) is None


def test_log_likelihoods_are_each_gaussians_density():
    # the quadratic-feature product against log(w) + log N(x; m, C), written out
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (2000, 3)).astype(np.float64)
    model = cm.learn(pixels, rng.integers(0, 4, 2000), rng.random(2000))  # component 4 empty
    coefs, means, covs = cm._parts(model)
    got = cm.component_log_likelihoods(model, pixels)
    assert got.shape == (2000, 5) and np.isneginf(got[:, 4]).all()
    for c in range(4):
        d = pixels - means[c]
        quad = np.einsum("ni,ij,nj->n", d, np.linalg.inv(covs[c]), d)
        want = np.log(coefs[c]) - 0.5 * np.log(np.linalg.det(covs[c])) - 0.5 * quad
        np.testing.assert_allclose(got[:, c], want, rtol=1e-9, atol=1e-9)
    top = got[:, :4].max(1)
    np.testing.assert_allclose(cm.log_likelihood(model, pixels), top + np.log(np.exp(got[:, :4] - top[:, None]).sum(1)))


def test_flat_colours_give_models_that_opencv_accepts():
    # one colour everywhere: singular covariances get the diagonal OpenCV would add
    flat = np.full((50, 3), 128.0)
    model = cm.learn(flat, np.arange(50) % 5)
    assert np.all(np.linalg.eigvalsh(cm._parts(model)[2]) > 0)
    image = np.full((20, 20, 3), 128, np.uint8)
    image[5:15, 5:15] = 30
    labels = np.full((20, 20), cv2.GC_BGD, np.uint8)
    labels[3:17, 3:17] = cv2.GC_PR_FGD
    x = image.reshape(-1, 3).astype(float)
    inside = (labels == cv2.GC_PR_FGD).ravel()
    bg = cm.learn(x[~inside], np.zeros((~inside).sum(), int))
    fg = cm.learn(x[inside], np.arange(inside.sum()) % 5)
    cv2.grabCut(image, labels, None, bg[None].copy(), fg[None].copy(), 1, cv2.GC_EVAL_FREEZE_MODEL)
    assert (labels[5:15, 5:15] % 2 == 1).all()  # the dark square is foreground


def test_fit_initial_is_repeatable_and_separates_clusters():
    red, blue = _blobs()
    pixels = np.vstack([red, blue])
    a, b = cm.fit_initial(pixels, seed=3), cm.fit_initial(pixels, seed=3)
    np.testing.assert_array_equal(a, b)
    ll = cm.log_likelihood(a, np.array([[200.0, 30, 30], [30, 40, 200], [30, 200, 30]]))
    assert ll[0] > ll[2] and ll[1] > ll[2]


def test_foreground_weights_are_low_for_what_the_background_explains():
    red, blue = _blobs()
    # the box let background (blue) into the foreground: the foreground model was fitted
    # to both, the background model to blue only
    fg_model = cm.fit_initial(np.vstack([red, blue]), seed=0)
    bg_model = cm.fit_initial(blue, seed=0)
    xf = np.vstack([red, blue])
    weights = cm.foreground_weights(cm.component_log_likelihoods(fg_model, xf), bg_model, xf, 1.0)
    assert weights[:600].min() > 0.99  # the object: nothing like the background
    assert weights[600:].mean() < 0.5  # background inside the box: explained as well by both
    assert ((0 <= weights) & (weights <= 1)).all()
    # a higher temperature flattens the weights towards one half
    warm = cm.foreground_weights(cm.component_log_likelihoods(fg_model, xf), bg_model, xf, 100.0)
    assert abs(warm[600:].mean() - 0.5) < abs(weights[600:].mean() - 0.5)


@pytest.mark.parametrize("n", [1, 4])
def test_learn_with_fewer_pixels_than_components(n):
    pixels = np.arange(3 * n, dtype=float).reshape(n, 3) * 10
    model = cm.learn(pixels, np.arange(n))
    assert model.shape == (cm.MODEL_SIZE,)
    assert np.isclose(model[: cm.COMPONENTS].sum(), 1.0)


def test_colours_along_a_line_give_a_proper_model():
    # found by hypothesis: nearly collinear colours gave a covariance whose determinant
    # rounding made negative, and a NaN log-likelihood
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 80, 200)
    pixels = np.column_stack([t, 2 * t, 3 * t]) + rng.normal(0, 1e-7, (200, 3))
    model = cm.learn(pixels, np.zeros(200, int))
    assert np.linalg.eigvalsh(cm._parts(model)[2][0])[0] > 0
    assert np.isfinite(cm.log_likelihood(model, pixels)).all()
