"""GrabCut's iterations with colour models learnt here, and the choice between two fits.

Each iteration assigns pixels to mixture components, refits both colour models (the
foreground one weighted, see :mod:`.colour_models`) and cuts the graph with the models
frozen: OpenCV's cut, or this package's own (:mod:`.graphcut`) when the click prior adds
costs. Learning the models here lets the engine choose which pixels teach the foreground
model; it also lets it stop once a cut moves almost nothing.

On a fresh box the weighted fit wins where the box lets in background the background
model explains as well, and loses where the object's own colours fill the margin (a
leopard's pale belly against the sky): :func:`fit_both` runs both from the same start and
keeps one by GrabCut's own energy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import cv2
import numpy as np

from ..base import Interrupted
from . import colour_models, graphcut
from .marks import GC_FGD, GC_PR_FGD
from .settings import GrabCutSettings
from .tightness import pinpoint

__all__ = ["iterate", "fit_both", "fit_model", "refine", "joint_energy"]

GMM_COMPONENTS = colour_models.COMPONENTS  # Gaussians per side: GrabCut needs that many pixels of each


def iterate(
    pixels,
    labels,
    mode,
    iterations,
    bgd_model,
    fgd_model,
    settings: GrabCutSettings,
    work=None,
    extra=None,
    tight=None,
    weighting=None,
    stop=None,
):
    """Run GrabCut's iterations on ``labels`` (changed in place).

    ``extra`` (a pair of per-pixel costs, see :func:`.graphcut.cut`) makes the cut this
    package's own; ``tight`` (a working box) applies the tightness prior after each cut;
    ``weighting`` overrides ``settings.fg_weighting`` (0: OpenCV's classic fit). Returns
    the models, in OpenCV's (1, 65) shape, and the number of iterations run (fewer than
    asked once a cut moves at most ``settings.converged`` of the pixels). ``stop()``, when
    given, is asked before every cut: True raises :class:`~interactive_seg.engines.Interrupted`."""
    x = pixels.reshape(-1, 3).astype(np.float64)
    flat = labels.reshape(-1)
    # Refinements continue unweighted: after the first cut the clicks are the evidence,
    # and weighting there made more clicks necessary.
    weighting = settings.fg_weighting if weighting is None else weighting
    weighted = mode != cv2.GC_EVAL and weighting > 0
    if mode == cv2.GC_EVAL:
        bg_model, fg_model = bgd_model.ravel(), fgd_model.ravel()
    else:
        maybe_fg = (flat == GC_FGD) | (flat == GC_PR_FGD)
        bg_model = colour_models.fit_initial(x[~maybe_fg], settings.seed)
        fg_model = colour_models.fit_initial(x[maybe_fg], settings.seed)
    done = 0
    graph = None
    for _ in range(iterations):
        done += 1
        maybe_fg = (flat == GC_FGD) | (flat == GC_PR_FGD)
        xb, xf = x[~maybe_fg], x[maybe_fg]
        new_fg = None
        if len(xf):
            fg_ll = colour_models.component_log_likelihoods(fg_model, xf)
            weights = None
            if weighted:
                weights = colour_models.foreground_weights(fg_ll, bg_model, xf, weighting)
                weights[flat[maybe_fg] == GC_FGD] = 1.0  # what the user marked is the object
            new_fg = colour_models.learn(xf, fg_ll.argmax(1), weights)
            if new_fg is None:  # every pixel weighs (almost) nothing: learn them all alike
                new_fg = colour_models.learn(xf, fg_ll.argmax(1))
        if len(xb):
            bg_model = colour_models.learn(xb, colour_models.component_log_likelihoods(bg_model, xb).argmax(1))
        fg_model = fg_model if new_fg is None else new_fg
        before = maybe_fg
        if extra is not None and work.smooth is None:
            work.smooth = graphcut.smoothness(work.pixels)
        if extra is not None and graph is None:
            graph = graphcut.GridCut(work.smooth)  # each cut of this call continues its flow
        recut = partial(_cut, pixels, labels, bg_model, fg_model, work, extra, graph, stop)
        recut()
        if tight is not None:
            pinpoint(pixels, labels, bg_model, fg_model, tight, settings.tightness, recut)
        changed = np.count_nonzero(before != ((flat == GC_FGD) | (flat == GC_PR_FGD)))
        if changed <= settings.converged * flat.size:
            break
    return bg_model[None].copy(), fg_model[None].copy(), done


def _cut(pixels, labels, bg_model, fg_model, work, extra, graph=None, stop=None) -> None:
    """One graph cut of ``labels`` with the colour models frozen: OpenCV's, or (with
    ``extra`` costs) this package's own on ``work``'s smoothness weights (continuing
    ``graph``, the call's last cut); first, ``stop()`` may interrupt the call."""
    if stop is not None and stop():
        raise Interrupted("the answer is no longer wanted")
    if extra is not None:
        graphcut.cut(pixels, labels, bg_model, fg_model, weights=work.smooth, extra=extra, graph=graph)
    else:
        cv2.grabCut(pixels, labels, None, bg_model[None].copy(), fg_model[None].copy(), 1, cv2.GC_EVAL_FREEZE_MODEL)


def fit_both(work, labels, mode, iterations, models, tight, weighting: float, settings: GrabCutSettings, stop=None):
    """The weighted and the classic fit from the same start ``labels``; the classic one is
    kept unless the weighted one's energy is lower by ``settings.fit_margin`` per pixel
    they dispute. ``labels`` ends as the kept fit's; returns its models, iterations run and
    ``"weighted"`` or ``"classic"``.

    The classic fit runs on a second thread (OpenCV's cut and numpy's arithmetic release
    the GIL; k-means seeds its own thread's generator, so the masks stay deterministic).
    The weighted fit learns its object model from the pixels that fit it best, so its
    labelling scores a lower energy by construction: the margin asks for more than that."""
    bgd_model, fgd_model = models
    start = labels.copy()
    if work.smooth is None:
        work.smooth = graphcut.smoothness(work.pixels)

    def fitted(lab, w):
        b, f, n = iterate(
            work.pixels,
            lab,
            mode,
            iterations,
            bgd_model.copy(),
            fgd_model.copy(),
            settings,
            tight=tight,
            weighting=w,
            stop=stop,
        )
        return b, f, n, joint_energy(work, lab, (b, f))

    with ThreadPoolExecutor(max_workers=1) as pool:
        classic = pool.submit(fitted, start, 0.0)
        bgd_w, fgd_w, done, energy_w = fitted(labels, weighting)
        bgd_c, fgd_c, done_c, energy_c = classic.result()
    disputed = np.count_nonzero(np.isin(start, (GC_FGD, GC_PR_FGD)) != np.isin(labels, (GC_FGD, GC_PR_FGD)))
    if energy_c < energy_w + settings.fit_margin * disputed:
        labels[...] = start
        return bgd_c, fgd_c, done_c, "classic"
    return bgd_w, fgd_w, done, "weighted"


def fit_model(pixels: np.ndarray, seed: int, rounds: int = 3) -> np.ndarray:
    """A colour model of these pixels: k-means, then GrabCut's hard-assignment rounds."""
    return refine(colour_models.fit_initial(pixels, seed), pixels, rounds)


def refine(model: np.ndarray, pixels: np.ndarray, rounds: int) -> np.ndarray:
    """``rounds`` of GrabCut's hard assignment: each pixel to its likeliest component, then
    each component refitted to its pixels."""
    for _ in range(rounds):
        refit = colour_models.learn(pixels, colour_models.component_log_likelihoods(model, pixels).argmax(1))
        model = model if refit is None else refit
    return model


def joint_energy(work, labels: np.ndarray, models, rounds: int = 2) -> float:
    """GrabCut's energy of a labelling of the working region with colour models fitted to
    it (each side's mixture refitted to its own pixels, unweighted, from ``models``: the
    (background, foreground) pair of the fit that made it), plus the smoothness paid along
    its boundary. ``inf`` when a side is too small to fit."""
    obj = ((labels == GC_FGD) | (labels == GC_PR_FGD)).ravel()
    if min(np.count_nonzero(obj), np.count_nonzero(~obj)) < 4 * GMM_COMPONENTS:
        return float("inf")
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    data = 0.0
    for side, model in ((~obj, models[0]), (obj, models[1])):
        xs = x[side]
        data -= float(colour_models.log_likelihood(refine(model.ravel(), xs, rounds), xs).sum())
    return data + graphcut.boundary_cost(obj.reshape(labels.shape), work.smooth)
