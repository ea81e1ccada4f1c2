"""GrabCut's colour models (Gaussian mixtures) in numpy, in OpenCV's layout.

OpenCV's ``cv2.grabCut`` keeps one mixture of five full-covariance Gaussians for the
background and one for the foreground, as 65 doubles each (5 weights, 5 RGB means, 5 3x3
covariances). Learning them here instead of inside OpenCV lets the GrabCut engine choose
*which* pixels teach the foreground model; OpenCV then only builds the graph and cuts it
with the models frozen (``GC_EVAL_FREEZE_MODEL``).

The choice that measurably helps (on the GrabCut benchmark set, see
``docs/engines/grabcut.md``): every pixel currently labelled foreground
teaches the foreground model with weight ``sigmoid((log p_fg(x) - log p_bg(x)) / T)``.
Background that the box let into the foreground (the orange table round a banana, the
grass at a person's feet) is explained as well by the background model, so it weighs
about half or less and stops holding the foreground model in place; the next cut gives
it back to the background.

>>> rng = np.random.default_rng(0)
>>> red = rng.normal([200, 30, 30], 5, (500, 3))
>>> model = fit_initial(red, seed=0)
>>> model.shape, round(float(model[:COMPONENTS].sum()), 6)
((65,), 1.0)
>>> bool(log_likelihood(model, np.array([[200.0, 30, 30]]))[0] > log_likelihood(model, np.array([[30.0, 30, 200]]))[0])
True
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

__all__ = [
    "COMPONENTS",
    "MODEL_SIZE",
    "fit_initial",
    "learn",
    "component_log_likelihoods",
    "log_likelihood",
    "foreground_weights",
]

COMPONENTS = 5  # fixed by OpenCV's GrabCut
MODEL_SIZE = 13 * COMPONENTS  # weights (1) + mean (3) + covariance (9) per component
_KMEANS_ITERATIONS = 10  # as OpenCV's initGMMs
_MIN_WEIGHT = 1e-3  # a component that less than a thousandth of a pixel supports is empty
_MIN_EIGENVALUE = 1e-6
_MIN_DET = 1e-9  # OpenCV refuses covariances with determinant <= DBL_EPSILON; stay well clear
# where a (3, 3) matrix's entries sit among _features' columns: [[rr rg rb] [rg gg gb] [rb gb bb]]
_QUADRATIC = np.array([[0, 1, 2], [1, 3, 4], [2, 4, 5]])
_UPPER = np.triu_indices(3)  # (rr rg rb gg gb bb): the same columns' order
_TWICE_OFF_DIAGONAL = np.array([1.0, 2.0, 2.0, 1.0, 2.0, 1.0])


def _det3(c: np.ndarray) -> float:
    """The determinant by cofactors, the formula OpenCV checks (numpy's LU can differ in
    sign on nearly singular matrices)."""
    return float(
        c[0, 0] * (c[1, 1] * c[2, 2] - c[1, 2] * c[2, 1])
        - c[0, 1] * (c[1, 0] * c[2, 2] - c[1, 2] * c[2, 0])
        + c[0, 2] * (c[1, 0] * c[2, 1] - c[1, 1] * c[2, 0])
    )


def _parts(model: np.ndarray):
    k = COMPONENTS
    return model[:k], model[k : 4 * k].reshape(k, 3), model[4 * k :].reshape(k, 3, 3)


def learn(pixels: np.ndarray, components: np.ndarray, weights: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """The mixture whose component ``c`` is fitted to the pixels assigned to ``c``.

    ``pixels`` is (n, 3) float64, ``components`` (n,) ints in ``[0, COMPONENTS)``,
    ``weights`` optional (n,) non-negative. Returns ``None`` when there is nothing to learn
    from (no pixels, or all weights zero). Singular covariances get 0.01 added to their
    diagonal, as OpenCV does (until the determinant is clear of zero), so the model is
    always usable by ``cv2.grabCut``.
    """
    k = COMPONENTS
    if len(pixels) == 0:
        return None
    f = _features(pixels)
    if weights is not None:
        f *= np.asarray(weights, np.float64)
    # per component: the sums of the weighted products, colours and weights
    stats = np.stack([np.bincount(components, weights=row, minlength=k) for row in f], 1)
    total = stats[:, 9]
    if total.sum() <= _MIN_WEIGHT:
        return None
    sums = stats[:, 6:9]
    products = stats[:, _QUADRATIC]
    model = np.zeros(MODEL_SIZE)
    coefs, means, covs = model[:k], model[k : 4 * k].reshape(k, 3), model[4 * k :].reshape(k, 3, 3)
    for c in range(k):
        if total[c] <= _MIN_WEIGHT:
            continue
        mean = sums[c] / total[c]
        cov = products[c] / total[c] - np.outer(mean, mean)
        add = 0.01
        # (also when an eigenvalue is about zero: colours along a line or a plane can give a
        # determinant whose sign rounding decides, and a log of a negative number)
        while _det3(cov) <= _MIN_DET or np.linalg.eigvalsh(cov)[0] <= _MIN_EIGENVALUE:
            cov = cov + add * np.eye(3)
            add *= 10
        coefs[c] = total[c]
        means[c] = mean
        covs[c] = cov
    coefs /= coefs.sum()
    return model


def fit_initial(pixels: np.ndarray, seed: int = 0) -> np.ndarray:
    """A first mixture from k-means clusters, as OpenCV's ``initGMMs`` (k-means++, 10 rounds).

    Needs at least ``COMPONENTS`` pixels.
    """
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, _KMEANS_ITERATIONS, 0.0)
    _, labels, _ = cv2.kmeans(pixels.astype(np.float32), COMPONENTS, None, criteria, 0, cv2.KMEANS_PP_CENTERS)
    return learn(pixels, labels.ravel())


def component_log_likelihoods(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(n, COMPONENTS): log(weight_c * N(x; mean_c, cov_c)) up to a shared constant;
    ``-inf`` for empty components.

    Each Gaussian's log density is a quadratic in the colour, so all five are one product
    of the pixels' quadratic features (:func:`_features`) with a (10, 5) coefficient table."""
    coefs, means, covs = _parts(model)
    table = np.zeros((10, COMPONENTS))
    live = coefs > 0
    for c in np.flatnonzero(live):
        inverse = np.linalg.inv(covs[c])
        inverse = 0.5 * (inverse + inverse.T)
        im = inverse @ means[c]
        # -(x - m)' A (x - m) / 2 = -x'Ax / 2 + (Am)'x - m'Am / 2
        table[0:6, c] = -0.5 * inverse[_UPPER] * _TWICE_OFF_DIAGONAL
        table[6:9, c] = im
        table[9, c] = np.log(coefs[c]) - 0.5 * np.linalg.slogdet(covs[c])[1] - 0.5 * float(means[c] @ im)
    # (COMPONENTS, n), each component's row contiguous; einsum's own loop, not BLAS, whose
    # threads fight the engine's own (two fits, the comparison) for the cores
    out = np.einsum("kc,kn->cn", table, _features(pixels))
    out[~live] = -np.inf
    return out.T


def _features(pixels: np.ndarray) -> np.ndarray:
    """(10, n) float64, one row per feature (rows are contiguous, so the per-pixel sums and
    maxima over components stay fast): the products r*r, r*g, r*b, g*g, g*b, b*b (the
    order of ``_UPPER``; ``_QUADRATIC`` indexes them as a symmetric 3 x 3 matrix), then
    r, g, b and 1."""
    xt = np.asarray(pixels, np.float64).reshape(-1, 3).T
    f = np.empty((10, xt.shape[1]))
    np.multiply(xt, xt[0], out=f[0:3])
    np.multiply(xt[1:], xt[1], out=f[3:5])
    np.multiply(xt[2], xt[2], out=f[5])
    f[6:9] = xt
    f[9] = 1.0
    return f


def _logsumexp(values: np.ndarray) -> np.ndarray:
    top = values.max(1)
    shifted = values - top[:, None]
    np.exp(shifted, out=shifted)
    total = shifted.sum(1)
    np.log(total, out=total)
    total += top
    return total


def log_likelihood(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(n,): log density of each pixel under the mixture, up to the same constant."""
    return _logsumexp(component_log_likelihoods(model, pixels))


def foreground_weights(
    fg_components: np.ndarray, bg_model: np.ndarray, pixels: np.ndarray, temperature: float
) -> np.ndarray:
    """How much each foreground pixel teaches the foreground model: the logistic of its
    foreground-minus-background log-likelihood over ``temperature``."""
    margin = _logsumexp(fg_components) - log_likelihood(bg_model, pixels)
    return 1.0 / (1.0 + np.exp(-np.clip(margin / temperature, -50.0, 50.0)))
