"""OpenCV GrabCut behind the Engine protocol, made fast by working on the region of interest.

``cv2.grabCut`` builds a graph over every pixel it is given, so on a 12-megapixel photo it
takes many seconds. This engine crops the region the prompts talk about (the box, or the
marks, plus a margin), scales that region down to a working size, runs GrabCut there and
brings the mask back to full resolution by interpolating it, so edges stay smooth. Marks
the user made are enforced again at full resolution. When the user adds clicks or strokes
to the same object, the next call continues from the last labelling and colour models
instead of starting over.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Optional

import cv2
import numpy as np

from .. import masks as mask_tools
from ..errors import InputError
from ..image import as_rgb8
from ..prompts import BACKGROUND, FOREGROUND, Prompts
from . import Engine, Option, Result
from . import colour_models, graphcut, seeds

__all__ = ["GrabCutEngine"]

GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD
SCRIBBLE_PRIORS = ("geodesic", "none")
COMPARE = ("edge", "always", "off")
_GMM_COMPONENTS = colour_models.COMPONENTS  # Gaussians per side: GrabCut needs that many pixels of each


@dataclass
class _Work:
    """The working copy of one region: its box in the image, the scale and the pixels."""

    region: tuple  # (x0, y0, x1, y1) ints, in image pixels
    scale: float
    pixels: np.ndarray  # uint8 RGB at working size
    side: Optional[int] = None  # the longest side it was scaled to fit
    edges: Optional[tuple] = None  # (contrast, seeds.edge_cost of the pixels), for the click prior
    smooth: Optional[list] = None  # graphcut.smoothness of the pixels


@dataclass
class _State:
    """What the last call left behind, for continuing the same object."""

    region: tuple
    scale: float
    box: Optional[tuple]
    prior: Optional[np.ndarray]
    fg: np.ndarray  # working-size hard marks
    bg: np.ndarray
    labels: np.ndarray  # GrabCut labels after the last run
    bgd_model: np.ndarray
    fgd_model: np.ndarray
    wide: bool = False  # the whole-image fallback made it (see GrabCutEngine.guard_area)
    near: Optional[tuple] = None  # geodesic distances to the (fg, bg) marks (click prior)


class GrabCutEngine(Engine):
    """Interactive GrabCut on the region of interest.

    Parameters
    ----------
    iterations : int
        GrabCut iterations for a fresh start (default 5, as in OpenCV's sample).
    refine_iterations : int, optional
        Iterations when a call continues from the last result of the same object (clicks
        or strokes added, nothing else changed). Default 3 (grabcut30 NoC@85 / NoC@90:
        1.63 / 2.13, against 1.63 / 2.13 with 5, at two fifths of the cost on a large
        photo); ``None`` uses ``iterations``.
    margin : float
        Context around the box or marks, as a fraction of the region's longest side
        (at least ``min_margin`` pixels). GrabCut learns the background from it.
    min_margin : int
        Smallest margin in image pixels.
    max_side : int or None
        The region is scaled down so that its longest side is at most this many pixels;
        ``None`` works at full resolution (slow on large photos).
    point_radius : float
        Each clicked point becomes a filled disk of this radius, in image pixels.
    min_click_radius : float
        ...and, at working size, a disk of at least this many working pixels (clicks
        that shrink to a pixel or two teach GrabCut's colour models nothing).
    roi : bool
        ``False`` runs GrabCut on the whole image; with ``max_side=None``,
        ``fg_weighting=0`` and ``tightness=0`` that is plain ``cv2.grabCut`` (the
        ``plain_grabcut`` engine is that, seeded as the benchmark's reference).
    keep_connected : bool
        Keep only the parts of the mask connected to a foreground mark (when there is one).
    min_area : float
        Drop parts smaller than this fraction of the region's area (specks).
    fill_holes : bool
        Fill holes enclosed by the object.
    reuse : bool
        Continue from the last result when only marks were added to the same object:
        every earlier mark is still marked, though a newer mark of the other kind may
        have taken over some of its pixels (a click's disk landing on an earlier click of
        the other kind; starting over there cost berkeley 0.09 NoC@90, see the README).
    seed : int
        Seed for the k-means inside GrabCut, so equal calls give equal masks.
    scribble_prior : {"geodesic", "none"}
        Strokes (or clicks) of both kinds without a box or prior mask: ``"geodesic"``
        (default) works on the strokes' extent grown by ``stroke_margin``, starts every
        unmarked pixel geodesically nearer the foreground strokes than the background ones
        as probable object (:func:`~interactive_seg.engines.seeds.stroke_prior`, on the
        working copy) and keeps only the parts a foreground stroke touches; ``"none"``
        is the start from before, close to plain GrabCut's: on the whole image, the
        foreground strokes' box (plus 10 %) probable object and every other unmarked
        pixel probable background. Human scribbles on grabcut30, mean IoU of set 1 /
        set 2: 0.86 / 0.95 against 0.66 / 0.90 with ``"none"`` (plain ``cv2.grabCut``:
        0.69 / 0.90).
    prior_contrast : float
        How much an edge lengthens a geodesic path (default 3; 0: straight-line distances).
    prior_edges : {"both", "image", "likelihood"}
        Which edges count: the image's colour edges, those of the strokes' colour
        likelihoods, or both (default).
    stroke_margin : float or None
        With strokes alone, the region is their extent grown by this fraction of its
        longest side (default 0.25), and runs to the image's edge on each side where no
        background stroke lies beyond the foreground strokes; ``None`` takes the whole
        image.
    fg_weighting : float
        Temperature of the foreground model's weighting (default 1.0): each pixel labelled
        foreground teaches the foreground colour model with weight
        ``sigmoid((log p_fg - log p_bg) / fg_weighting)``, so background that the box let
        in, and that the background model explains as well, stops holding the foreground
        model in place (grabcut30 mIoU after the box 0.873 -> 0.898, mean over three
        k-means seeds; refinements stay unweighted). ``0`` runs
        OpenCV's own GrabCut iterations, every foreground pixel weighing the same (the
        classic algorithm).
    converged : float
        With ``fg_weighting``: stop iterating early once a cut moves at most this fraction
        of the working pixels (default 0.005; 0 stops only when nothing moved). On
        grabcut30 this took the median box-to-mask time from ~300 ms to ~190 ms at equal
        quality.
    guard_area : float
        The collapse guard (default 0.15; 0 turns it off). A box is drawn round an
        object, so when the mask after a fresh box keeps less than this fraction of the
        box, the fast path's premise has failed: the margin round the box is full of the
        object's own colours (a row of statues, a bird on brown stones), or the object is
        so thin at working size that the smoothness term wipes it out. The engine then
        cuts again as plain GrabCut does (the whole image, OpenCV's classic iterations)
        at ``fallback_side`` and keeps the larger mask; clicks on that object continue
        there. Chosen by 2-fold cross-validation on grabcut30 + berkeley (see the README):
        berkeley's collapses (> 0.3 IoU below plain GrabCut) went from 9 to 1.
    fallback_side : int or None
        Longest side of the whole image for the second cut (the guard's and
        ``compare``'s; default 512, at least ``max_side``); ``None`` cuts at full
        resolution. The second cut keeps the image's one-pixel frame background, also on
        the sides the box reaches, as plain ``cv2.grabCut``'s rectangle does.
    compare : {"edge", "always", "off"}
        When a fresh box also gets the second cut, besides the guard: ``"edge"`` (default)
        when the box reaches the image's edge (there the fast region has no margin, so its
        background model saw nothing of that side), ``"always"`` on every box, ``"off"``
        never. Of the two cuts the engine keeps the one that the pixels they dispute side
        with: one pair of colour models is learnt from what the two masks agree on (object
        in both, background in both, on the fast cut's working grid), each mask's GrabCut
        data term is evaluated under that one pair, and the lower wins
        (``info["fallback"]``: ``"compared: fast"`` or ``"compared: whole image"``).
        Clicks continue on the fast region either way, from the kept cut's labelling.
        Each comparison costs the whole-image cut (about 0.5-2 s on a 0.3 MP photo on
        this 2-core machine). See the README's benchmark for the figures.
    click_prior : float
        Clicks and strokes on a continued object also speak for the pixels geodesically
        near them: labelling a pixel against the marks costs ``click_prior *
        exp(-d / click_spread)`` in the cut (``d`` the geodesic distance in working
        pixels to the nearest mark of the other side's kind, longer across colour edges,
        :func:`~interactive_seg.engines.seeds.edge_cost` with ``click_contrast``), so a
        click claims the flat-coloured part around it up to an edge even where the colour
        models disagree, and the next refit learns from it. Default 16 (chosen by 2-fold
        cross-validation, see the README); ``0`` cuts with OpenCV's own energy as before.
        The cut is then made here (:mod:`~interactive_seg.engines.graphcut`, PyMaxflow).
    click_spread : float
        How far the click prior reaches, in working pixels (default 20).
    click_contrast : float
        How much an edge lengthens the click prior's geodesic paths (default 5).
    band : int
        After a click on a region scaled down to its working size, the pixels within
        ``band`` pixels of the scaled-up mask's boundary are cut again on the region's own
        pixels with the refined colour models (:func:`~interactive_seg.engines.graphcut.band_cut`;
        default 3, chosen by 2-fold cross-validation, see the README); ``0``: off.
    band_side : int
        The band is cut only on regions up to this many pixels on their longer side
        (default 640); colour models fitted on a working copy averaged over many pixels
        do not fit a 12 MP photo's own pixels.
    choose_fit : bool
        On a fresh box (no prior mask), run two fits from the same start, the weighted
        one and the classic one (unweighted, as ``fg_weighting=0``; on a second thread),
        and keep one labelling by GrabCut's own energy: each side's colour mixture
        refitted to its own pixels, plus the smoothness along the boundary
        (``info["fit"]``: ``"weighted"`` or ``"classic"``). The weighting wins where the
        box lets in background that the background model explains as well; it loses
        where the object's own colours fill the margin (a leopard's pale belly against
        the sky, a crocodile's grey back on grey earth) and shrinks to the rest. Default
        on: berkeley boxes more than 0.05 below plain GrabCut 7 -> 0, grabcut30's none;
        on two cores a box takes 1.0-1.3x the time of one fit, on one core about 2x
        (see the README).
    fit_margin : float
        How clearly the weighted fit must win: the classic labelling is kept unless the
        weighted one's energy is lower by ``fit_margin`` nats per working pixel the two
        disagree on (default 0.65). The weighted fit learns its object model from the
        pixels that fit it best, so its labelling scores a lower energy by construction;
        the margin asks for more than that. Chosen by 2-fold cross-validation on
        grabcut30 + berkeley (every value from 0.6 to 0.7 gave no image of either half
        more than 0.05 below plain GrabCut; see the README).
    tightness : float
        The tightness prior of a box (Lempitsky, Kohli, Rother and Sharp, ICCV 2009): a
        box is drawn round an object, so every row and every column that crosses the box,
        but the outer ``tightness`` of its height or width on each side, crosses some of
        the object. After each graph cut on the fast region (a fresh box's iterations and
        every click or stroke after it), a line left empty gets its most object-like
        pixel (colour models' log-likelihood ratio, never a background mark) pinned as
        object and the graph is cut again, up to 8 rounds ("pinpointing"); pins are
        probable object for the next iteration, and pins the cut grew nothing round go
        back to probable background (a looser box has lines that truly cross no object:
        no specks). So a mask can no longer vanish inside its box, and a click can no
        longer wipe the object out. Default 0.05 (chosen by 2-fold cross-validation
        among 0, 0.02, 0.05, 0.1 and 0.2 on grabcut30 + berkeley, whose boxes are 5 %
        larger than the object on each side; boxes 15 % larger, see the README);
        ``0`` turns it off. The whole-image cuts of the guard and ``compare`` stay
        plain GrabCut's.

    Examples
    --------
    >>> import numpy as np
    >>> from interactive_seg import Prompts
    >>> yy, xx = np.mgrid[:120, :160]
    >>> image = np.where(((xx - 80) ** 2 + (yy - 60) ** 2 < 30 ** 2)[..., None], [220, 40, 40], [30, 90, 200])
    >>> engine = GrabCutEngine()
    >>> engine.set_image(image.astype(np.uint8))
    >>> mask = engine.segment(Prompts(box=(40, 20, 120, 100))).mask
    >>> bool(mask[60, 80]), bool(mask[5, 5])
    (True, False)
    """

    name = "grabcut"
    options = (
        Option("margin", float, 0.1, "Context around the box or marks, as a fraction of the region's longest side.", minimum=0.0, maximum=1.0, step=0.05),
        Option("iterations", int, 5, "Most GrabCut iterations for a new object; it stops early once the mask settles.", minimum=1, maximum=20),
        Option("max_side", int, 256, "The region is scaled so its longest side is at most this many pixels.", label="Working size (px)", minimum=64, maximum=4096, step=32),
        Option("tightness", float, 0.05, "A box is drawn round the object: every row and column crossing it, but this fraction of each side, holds some of it (0: off).", label="Box tightness", minimum=0.0, maximum=0.45, step=0.05),
        Option("scribble_prior", str, "geodesic", "Strokes without a box: start from the pixels geodesically nearer the foreground strokes (geodesic) or, close to plain GrabCut, from the strokes' box (none).", label="Strokes alone", choices=SCRIBBLE_PRIORS),
    )

    def __init__(
        self,
        *,
        iterations: int = 5,
        refine_iterations: Optional[int] = 3,
        margin: float = 0.1,
        min_margin: int = 8,
        max_side: Optional[int] = 256,
        point_radius: float = 5,
        roi: bool = True,
        keep_connected: bool = False,
        min_area: float = 0.0,
        fill_holes: bool = False,
        reuse: bool = True,
        seed: int = 0,
        scribble_prior: str = "geodesic",
        prior_contrast: float = 3.0,
        prior_edges: str = "both",
        stroke_margin: Optional[float] = 0.25,
        min_click_radius: float = 6.0,
        fg_weighting: float = 1.0,
        converged: float = 0.005,
        guard_area: float = 0.15,
        fallback_side: Optional[int] = 512,
        compare: str = "edge",
        click_prior: float = 16.0,
        click_spread: float = 20.0,
        click_contrast: float = 5.0,
        band: int = 3,
        band_side: int = 640,
        tightness: float = 0.05,
        choose_fit: bool = True,
        fit_margin: float = 0.65,
    ):
        if int(iterations) < 1:
            raise InputError(f"iterations must be at least 1; got {iterations}.")
        if refine_iterations is not None and int(refine_iterations) < 1:
            raise InputError(f"refine_iterations must be at least 1; got {refine_iterations}.")
        if margin < 0 or min_margin < 0:
            raise InputError("margin and min_margin must not be negative.")
        if max_side is not None and int(max_side) < 16:
            raise InputError(f"max_side must be at least 16 pixels (or None for full resolution); got {max_side}.")
        if point_radius < 0:
            raise InputError(f"point_radius must not be negative; got {point_radius}.")
        if not 0 <= min_area < 1:
            raise InputError(f"min_area is a fraction of the region's area, from 0 to 1; got {min_area}.")
        self.iterations = int(iterations)
        self.refine_iterations = int(refine_iterations) if refine_iterations is not None else self.iterations
        self.margin = float(margin)
        self.min_margin = int(min_margin)
        self.max_side = None if max_side is None else int(max_side)
        self.point_radius = float(point_radius)
        self.roi = bool(roi)
        self.keep_connected = bool(keep_connected)
        self.min_area = float(min_area)
        self.fill_holes = bool(fill_holes)
        self.reuse = bool(reuse)
        self.seed = int(seed)
        if scribble_prior not in SCRIBBLE_PRIORS:
            raise InputError(f"scribble_prior must be one of {', '.join(SCRIBBLE_PRIORS)}; got {scribble_prior!r}.")
        self.scribble_prior = scribble_prior
        if not prior_contrast >= 0:
            raise InputError(f"prior_contrast must not be negative (0 measures straight-line distances); got {prior_contrast}.")
        self.prior_contrast = float(prior_contrast)
        if prior_edges not in seeds.EDGES:
            raise InputError(f"prior_edges must be one of {', '.join(seeds.EDGES)}; got {prior_edges!r}.")
        self.prior_edges = prior_edges
        if stroke_margin is not None and not stroke_margin >= 0:
            raise InputError(f"stroke_margin must not be negative (None takes the whole image); got {stroke_margin}.")
        self.stroke_margin = None if stroke_margin is None else float(stroke_margin)
        if min_click_radius < 0:
            raise InputError(f"min_click_radius must not be negative; got {min_click_radius}.")
        self.min_click_radius = float(min_click_radius)
        if not fg_weighting >= 0:
            raise InputError(f"fg_weighting must be 0 (off) or a positive temperature; got {fg_weighting}.")
        self.fg_weighting = float(fg_weighting)
        if not 0 <= converged < 1:
            raise InputError(f"converged is a fraction of the working pixels, from 0 to 1; got {converged}.")
        self.converged = float(converged)
        if not 0 <= guard_area < 1:
            raise InputError(f"guard_area is a fraction of the box's area, from 0 (off) to 1; got {guard_area}.")
        self.guard_area = float(guard_area)
        if fallback_side is not None and int(fallback_side) < 16:
            raise InputError(f"fallback_side must be at least 16 pixels (or None for full resolution); got {fallback_side}.")
        self.fallback_side = None if fallback_side is None else int(fallback_side)
        if compare not in COMPARE:
            raise InputError(f"compare must be one of {', '.join(COMPARE)}; got {compare!r}.")
        self.compare = compare
        if not click_prior >= 0:
            raise InputError(f"click_prior must be 0 (off) or a positive cost; got {click_prior}.")
        if not click_spread > 0:
            raise InputError(f"click_spread must be a positive number of working pixels; got {click_spread}.")
        if not click_contrast >= 0:
            raise InputError(f"click_contrast must not be negative (0 measures straight-line distances); got {click_contrast}.")
        self.click_prior = float(click_prior)
        self.click_spread = float(click_spread)
        self.click_contrast = float(click_contrast)
        if int(band) < 0:
            raise InputError(f"band must be 0 (off) or a number of pixels; got {band}.")
        self.band = int(band)
        if int(band_side) < 16:
            raise InputError(f"band_side must be at least 16 pixels; got {band_side}.")
        self.band_side = int(band_side)
        tightness = _number(tightness, "tightness must be a number from 0 (off) to below 0.5")
        if not 0 <= tightness < 0.5:
            raise InputError(f"tightness is the fraction of the box's sides the object may leave empty, from 0 (off) to below 0.5; got {tightness}.")
        self.tightness = float(tightness)
        if not isinstance(choose_fit, (bool, np.bool_)):
            raise InputError(f"choose_fit is True or False; got {choose_fit!r}.")
        self.choose_fit = bool(choose_fit)
        fit_margin = _number(fit_margin, "fit_margin must be a number of nats per disputed pixel")
        if not np.isfinite(fit_margin):
            raise InputError(f"fit_margin must be a finite number; got {fit_margin}.")
        self.fit_margin = fit_margin
        self._source = None
        self._rgb: Optional[np.ndarray] = None
        self._key: Optional[str] = None
        self._work: Optional[_Work] = None
        self._state: Optional[_State] = None

    # -- image ---------------------------------------------------------------------------
    def set_image(self, image) -> None:
        """Take the image to segment; free when it is the same image as last time."""
        if image is self._source and self._rgb is not None:
            return
        rgb = as_rgb8(image)
        key = hashlib.blake2b(rgb.data, digest_size=16).hexdigest() + str(rgb.shape)
        self._source = image
        if key == self._key:
            return
        self._rgb, self._key = rgb, key
        self._work, self._state = None, None

    def reset(self) -> None:
        """Forget the current object, so the next call starts fresh."""
        self._state = None

    # -- segmentation --------------------------------------------------------------------
    def segment(self, prompts: Prompts) -> Result:
        """Segment one object from its prompts; see :class:`~interactive_seg.Prompts`.

        Raises
        ------
        InputError
            No image set, invalid prompts, or marks of one kind only with no box.
        """
        start = time.perf_counter()
        if self._rgb is None:
            raise InputError("No image to segment: call set_image(image) first.")
        if not isinstance(prompts, Prompts):
            raise InputError(f"segment() takes a Prompts object; got {type(prompts).__name__}.")
        height, width = self._rgb.shape[:2]
        p = prompts.validated(self._rgb.shape)
        marks = _Marks.of(p, (height, width), self.point_radius)
        if p.box is None and p.prior is None:
            if not (marks is not None and marks.fg.any() and marks.bg.any()):
                kind = "foreground" if marks is not None and marks.fg.any() else "background"
                other = "background" if kind == "foreground" else "foreground"
                raise InputError(
                    f"Only {kind} marks were given; add a {other} scribble or click, or draw a box "
                    "around the object, so GrabCut can tell object from background."
                )

        state = self._state
        wide = self.reuse and state is not None and state.wide and p.box is not None and state.box == p.box
        result = self._solve(p, marks, wide)
        fresh = not wide and p.box is not None and result.info["mode"] in ("rect", "mask")
        if fresh and (self.compare != "off" or self.guard_area > 0):
            result = self._second_opinion(p, marks, result)
        result.info["seconds"] = time.perf_counter() - start
        return result

    def _second_opinion(self, p: Prompts, marks, first: Result) -> Result:
        """After a fresh box: the collapse guard, and (``compare``) the choice between the
        fast cut and plain GrabCut's whole-image cut by their disputed pixels.

        A box is drawn round an object, so a fast mask that keeps less than ``guard_area``
        of the box means the fast path's premise failed (the margin's colours are the
        object's, or the object is thin at working size): the larger of the two masks is
        kept. Otherwise, with ``compare``, both masks are brought to the fast cut's working
        grid, one pair of colour models is learnt from what they agree on (object in
        both, background in both) and each mask's GrabCut data term is evaluated under
        that one pair: the cut whose disputed pixels those models give to its own side
        (the lower energy) is kept."""
        first_state, first_work = self._state, self._work
        share = _box_share(first.mask, p.box)
        collapsed = self.guard_area > 0 and share < self.guard_area
        height, width = self._rgb.shape[:2]
        x0, y0, x1, y1 = p.box
        at_edge = min(x0, y0, width - x1, height - y1) < 1
        if not (collapsed or self.compare == "always" or (self.compare == "edge" and at_edge)):
            first.info["fallback"] = None
            return first
        self._state = None  # the second cut starts fresh too
        second = self._solve(p, marks, True)
        if collapsed:
            use = _box_share(second.mask, p.box) > share
            why = "used" if use else "kept the fast mask"
        else:
            gap = _shared_energy_gap(first_work, first.mask, second.mask, p.box, self.seed)
            use = gap is not None and gap > 0
            why = "compared: whole image" if use else "compared: fast"
        if use:
            second.info["fallback"] = why
            if not collapsed:
                # Clicks continue on the fast region (fast at any image size), from the
                # whole-image cut's labelling: only the start differs.
                self._state, self._work = _restarted(first_state, first_work, second.mask, p.box, self.seed), first_work
            return second
        self._state, self._work = first_state, first_work
        first.info["fallback"] = why
        return first

    def _solve(self, p: Prompts, marks, wide: bool) -> Result:
        """One cut: on the region of interest at ``max_side`` with the weighted fit, or
        (``wide``) on the whole image at ``fallback_side`` with OpenCV's classic fit."""
        height, width = self._rgb.shape[:2]
        region = (0, 0, width, height) if wide else self._region(p, marks, height, width)
        side = self.max_side
        if wide:
            side = None if self.max_side is None or self.fallback_side is None else max(self.max_side, self.fallback_side)
        weighting = 0.0 if wide else self.fg_weighting
        work = self._working(region, side)
        rx0, ry0, rx1, ry1 = region
        wh, ww = work.pixels.shape[:2]
        fg, bg = (None, None) if marks is None else marks.shrunk(region, (ww, wh))
        if self.min_click_radius > 0 and p.points is not None:
            fg, bg = self._grow_clicks(p, work, fg, bg)
        box_w = _box_in_work(p.box, work) if p.box is not None else None
        framed = (False,) * 4
        if box_w is not None and min(ww, wh) >= 3:
            # Where the box reaches the image's edge, the region has no margin on that side,
            # so nothing would teach the background model what lies along that edge: as in
            # plain cv2.grabCut's rectangle, the outermost line of working pixels there is
            # background (for the colour models and the cut; the mask's edge line follows
            # the line inside it, below).
            bx0, by0, bx1, by1 = box_w
            framed = (bx0 < 1, by0 < 1, bx1 > ww - 1, by1 > wh - 1)
            box_w = (max(bx0, 1), max(by0, 1), min(bx1, ww - 1), min(by1, wh - 1))

        labels, mode, iterations, models = self._start(p, work, box_w, fg, bg)
        fit = None
        # the tightness prior holds on the fast region, for the box and every click after
        # it; the whole-image cut stays plain GrabCut's own answer
        tight = _box_in_work(p.box, work) if self.tightness > 0 and p.box is not None and not wide else None
        bgd_model, fgd_model = models
        # GrabCut's k-means draws from OpenCV's global random generator: seed it so that
        # the same prompts on the same image always give the same mask.
        cv2.setRNGSeed(self.seed)
        near = None
        if mode is None:
            pass  # too few pixels for GrabCut's colour models: the prompts' labelling is the answer
        elif mode == cv2.GC_EVAL and self.click_prior > 0:
            # clicks on a continued object (the fast region or the whole-image fallback):
            # the cut also pays for labelling a pixel against the marks geodesically near it
            near = self._near_marks(work, fg, bg)
            extra = tuple(self._click_cost(d, work) for d in (near[1], near[0]))
            bgd_model, fgd_model, iterations = self._iterate(work.pixels, labels, mode, iterations, bgd_model, fgd_model, work, extra, tight)
        elif weighting > 0 or tight is not None:
            start = labels.copy() if self.choose_fit and weighting > 0 and p.box is not None and p.prior is None else None
            if start is None:
                bgd_w, fgd_w, done = self._iterate(work.pixels, labels, mode, iterations, bgd_model.copy(), fgd_model.copy(), tight=tight, weighting=weighting)
            else:
                # Both fits from the same start, the classic one on a second thread (OpenCV's
                # cut and numpy's arithmetic release the GIL; k-means seeds its own thread's
                # generator, so the masks stay deterministic). GrabCut's own energy (colour
                # models refitted to each labelling, plus the smoothness) decides, the
                # classic fit kept unless the weighted one is lower by ``fit_margin`` per
                # pixel they dispute.
                fit = "weighted"
                if work.smooth is None:
                    work.smooth = graphcut.smoothness(work.pixels)

                def fitted(lab, w):
                    b, f, n = self._iterate(work.pixels, lab, mode, iterations, bgd_model.copy(), fgd_model.copy(), tight=tight, weighting=w)
                    return b, f, n, _joint_energy(work, lab, (b, f))

                with ThreadPoolExecutor(max_workers=1) as pool:
                    classic = pool.submit(fitted, start, 0.0)
                    bgd_w, fgd_w, done, energy_w = fitted(labels, weighting)
                    bgd_c, fgd_c, done_c, energy_c = classic.result()
                disputed = np.count_nonzero(np.isin(start, (GC_FGD, GC_PR_FGD)) != np.isin(labels, (GC_FGD, GC_PR_FGD)))
                if energy_c < energy_w + self.fit_margin * disputed:
                    labels[...] = start
                    bgd_w, fgd_w, done = bgd_c, fgd_c, done_c
                    fit = "classic"
            bgd_model, fgd_model, iterations = bgd_w, fgd_w, done
        elif mode == cv2.GC_INIT_WITH_RECT:
            bx0, by0, bx1, by1 = box_w
            cv2.grabCut(work.pixels, labels, (bx0, by0, bx1 - bx0, by1 - by0), bgd_model, fgd_model, iterations, mode)
        else:
            cv2.grabCut(work.pixels, labels, None, bgd_model, fgd_model, iterations, mode)
        self._state = _State(region, work.scale, p.box, p.prior, fg, bg, labels.copy(), bgd_model.copy(), fgd_model.copy(), wide, near)

        small = (labels == GC_FGD) | (labels == GC_PR_FGD)
        if mode is not None:
            _unframe(small, framed)
        # With strokes alone the object is what the foreground strokes touch: parts that
        # touch none are background that the colour models could not tell apart.
        strokes_only = p.box is None and p.prior is None and self.scribble_prior != "none"
        if (self.keep_connected or strokes_only) and fg is not None and fg.any():
            small = mask_tools.keep_connected(small, fg)
        if self.min_area > 0:
            small = mask_tools.remove_small(small, int(self.min_area * wh * ww))
        if self.fill_holes:
            small = mask_tools.fill_holes(small)

        full_w, full_h = rx1 - rx0, ry1 - ry0
        if (ww, wh) != (full_w, full_h):
            if self.band > 0 and not wide and mode == cv2.GC_EVAL and max(full_w, full_h) <= self.band_side:
                # clicks on a scaled region: the boundary is cut again at full resolution
                region_mask = self._band_cut(small, region, marks, bgd_model, fgd_model)
            else:
                soft = cv2.resize(small.astype(np.uint8) * 255, (full_w, full_h), interpolation=cv2.INTER_LINEAR)
                region_mask = soft >= 128
        else:
            region_mask = small
        if p.box is not None:
            # nothing outside the box, but what the user marked as object
            x0, y0, x1, y1 = _int_box(p.box)
            inside = np.zeros_like(region_mask)
            inside[max(0, y0 - ry0) : y1 - ry0, max(0, x0 - rx0) : x1 - rx0] = True
            region_mask &= inside
        if marks is not None:
            marks.enforce(region_mask, region)
        mask = np.zeros((height, width), bool)
        mask[ry0:ry1, rx0:rx1] = region_mask
        mode_name = {None: "prompts only", cv2.GC_INIT_WITH_RECT: "rect", cv2.GC_INIT_WITH_MASK: "mask", cv2.GC_EVAL: "continue"}[mode]
        info = {
            "region": region,
            "scale": work.scale,
            "mode": mode_name,
            "iterations": iterations,
        }
        if fit is not None:
            info["fit"] = fit
        return Result(mask=mask, info=info)

    # -- pieces --------------------------------------------------------------------------
    def _iterate(self, pixels, labels, mode, iterations, bgd_model, fgd_model, work=None, extra=None, tight=None, weighting=None):
        """GrabCut's iterations with the colour models learnt here (see colour_models):
        each round assigns pixels to mixture components, refits both models (the
        foreground one weighted) and lets OpenCV cut the graph with the models frozen
        (with ``extra`` costs, see ``graphcut.cut``, the graph is cut here instead).
        ``labels`` is updated in place; returns the models, in OpenCV's (1, 65) shape, and
        the number of iterations run (fewer than asked once a cut moves at most
        ``converged`` of the pixels)."""
        x = pixels.reshape(-1, 3).astype(np.float64)
        flat = labels.reshape(-1)
        # Refinements continue unweighted: after the first cut the clicks are the evidence,
        # and weighting there cost NoC@90 (grabcut30: 2.33 weighted, 2.13 not).
        weighting = self.fg_weighting if weighting is None else weighting
        weighted = mode != cv2.GC_EVAL and weighting > 0
        if mode == cv2.GC_EVAL:
            bg_model, fg_model = bgd_model.ravel(), fgd_model.ravel()
        else:
            maybe_fg = (flat == GC_FGD) | (flat == GC_PR_FGD)
            bg_model = colour_models.fit_initial(x[~maybe_fg], self.seed)
            fg_model = colour_models.fit_initial(x[maybe_fg], self.seed)
        done = 0
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
            if extra is not None:
                if work.smooth is None:
                    work.smooth = graphcut.smoothness(work.pixels)
                recut = lambda: graphcut.cut(pixels, labels, bg_model, fg_model, weights=work.smooth, extra=extra)
            else:
                recut = lambda: cv2.grabCut(pixels, labels, None, bg_model[None].copy(), fg_model[None].copy(), 1, cv2.GC_EVAL_FREEZE_MODEL)
            recut()
            if tight is not None:
                _pinpoint(pixels, labels, bg_model, fg_model, tight, self.tightness, recut)
            changed = np.count_nonzero(before != ((flat == GC_FGD) | (flat == GC_PR_FGD)))
            if changed <= self.converged * flat.size:
                break
        return bg_model[None].copy(), fg_model[None].copy(), done

    def _band_cut(self, small, region, marks, bgd_model, fgd_model) -> np.ndarray:
        """The region's mask: ``small`` scaled up, its boundary band (``band`` pixels each
        side) cut again on the region's full-resolution pixels with the refined colour
        models, the marks hard. Only the band's footprint is touched."""
        rx0, ry0, rx1, ry1 = region
        fixed = ()
        overlap = None if marks is None else marks._overlap(region)
        if overlap is not None:
            in_window, (sy, sx), _ = overlap
            fixed = ((marks.fg[in_window], sy, sx, True), (marks.bg[in_window], sy, sx, False))
        size = (rx1 - rx0, ry1 - ry0)
        mask = cv2.resize(small.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) >= 128
        return graphcut.band_cut(self._rgb[ry0:ry1, rx0:rx1], mask, small, self.band, bgd_model, fgd_model, marks=fixed)

    def _near_marks(self, work: _Work, fg, bg) -> tuple:
        """Geodesic distances (working pixels, longer across colour edges) from each
        working pixel to the nearest foreground and background mark. Continuing an
        object, only the new marks' distances are measured, near them, and merged with the
        last call's (the minimum over marks is the distance to their union)."""
        if work.edges is None or work.edges[0] != self.click_contrast:
            work.edges = (self.click_contrast, seeds.edge_cost(work.pixels, self.click_contrast))
        cost = work.edges[1]
        state = self._state
        reach = int(np.ceil(6 * self.click_spread))  # farther, the prior is below e^-6 of its cost
        out = []
        for k, marks in enumerate((fg, bg)):
            if marks is None or not marks.any():
                out.append(None)
                continue
            old = None if state is None or state.near is None else state.near[k]
            old_marks = None if state is None else (state.fg, state.bg)[k]
            if old is not None and old.shape == marks.shape and old_marks is not None and _contains(marks, old_marks):
                new = marks & ~old_marks
                out.append(old if not new.any() else np.minimum(old, _geodesic_near(cost, new, reach)))
            else:
                out.append(_geodesic_near(cost, marks, reach))
        return tuple(out)

    def _click_cost(self, distance, work: _Work):
        """``click_prior * exp(-distance / click_spread)``: the cost of labelling a pixel
        against the marks at that geodesic distance (0 without marks)."""
        if distance is None:
            return np.zeros(work.pixels.shape[:2])
        return self.click_prior * np.exp(-distance / self.click_spread)

    def _region(self, p: Prompts, marks, height: int, width: int) -> tuple:
        """The part of the image to work on: the box or prior, with foreground marks, plus a margin."""
        strokes_only = p.box is None and p.prior is None
        if strokes_only and self.roi and self.scribble_prior != "none" and self.stroke_margin is not None and marks is not None:
            # Strokes alone: the object lies about where they were drawn.
            x0, y0, x1, y1 = marks.window
            grow = max(self.min_margin, self.stroke_margin * max(x1 - x0, y1 - y0))
            region = [
                max(0, int(np.floor(x0 - grow))),
                max(0, int(np.floor(y0 - grow))),
                min(width, int(np.ceil(x1 + grow))),
                min(height, int(np.ceil(y1 + grow))),
            ]
            # Only background strokes beyond the foreground ones bound the object: on a side
            # where a foreground stroke reaches the strokes' extent nothing says where the
            # object ends, so the region runs to the image's edge there.
            fg_box, bg_box = mask_tools.bbox(marks.fg), mask_tools.bbox(marks.bg)
            if fg_box is not None and bg_box is not None:
                for side, (f, b, edge) in enumerate(zip(fg_box, bg_box, (0, 0, width, height))):
                    if (b >= f) if side < 2 else (b <= f):
                        region[side] = edge
            return tuple(region)
        if not self.roi or strokes_only:
            # Without a box or a prior nothing bounds the object: take the whole image.
            return (0, 0, width, height)
        boxes = []
        if p.box is not None:
            boxes.append(p.box)
            if marks is not None:
                boxes.append(marks.fg_bbox())
        if p.prior is not None:
            boxes.append(mask_tools.bbox(p.prior))
        boxes = [b for b in boxes if b is not None]
        x0 = min(b[0] for b in boxes)
        y0 = min(b[1] for b in boxes)
        x1 = max(b[2] for b in boxes)
        y1 = max(b[3] for b in boxes)
        grow = max(self.min_margin, self.margin * max(x1 - x0, y1 - y0))
        return (
            max(0, int(np.floor(x0 - grow))),
            max(0, int(np.floor(y0 - grow))),
            min(width, int(np.ceil(x1 + grow))),
            min(height, int(np.ceil(y1 + grow))),
        )

    def _grow_clicks(self, p: Prompts, work: _Work, fg, bg):
        """Each click as a disk of at least ``min_click_radius`` working pixels.

        A 5-pixel click disk on a large photo shrinks to a pixel or two at working size,
        too little for GrabCut's colour models to learn from; on the benchmark a disk of
        6 working pixels took NoC@90 from 2.70 to 2.03.
        """
        wh, ww = work.pixels.shape[:2]
        fg = np.zeros((wh, ww), bool) if fg is None else fg.copy()
        bg = np.zeros((wh, ww), bool) if bg is None else bg.copy()
        rx0, ry0 = work.region[:2]
        radius = max(1, int(round(max(self.min_click_radius, self.point_radius * work.scale))))
        for (x, y), label in zip(p.points, p.point_labels):
            cx, cy = int((x - rx0) * work.scale), int((y - ry0) * work.scale)
            disk = np.zeros((wh, ww), np.uint8)
            cv2.circle(disk, (cx, cy), radius, 1, -1)
            target, other = (fg, bg) if label == 1 else (bg, fg)
            target |= disk.astype(bool)
            other &= ~disk.astype(bool)
        return fg, bg

    def _working(self, region: tuple, side: Optional[int]) -> _Work:
        """The region's pixels at working size (longest side at most ``side``), cached
        while the region and size stay the same."""
        if self._work is not None and self._work.region == region and self._work.side == side:
            return self._work
        x0, y0, x1, y1 = region
        crop = self._rgb[y0:y1, x0:x1]
        longest = max(x1 - x0, y1 - y0)
        scale = 1.0
        if side is not None and longest > side:
            scale = side / longest
            size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        self._work = _Work(region, scale, np.ascontiguousarray(crop), side)
        return self._work

    def _start(self, p: Prompts, work: _Work, box_w, fg, bg):
        """Initial labels, GrabCut mode, iteration count and colour models for this call."""
        wh, ww = work.pixels.shape[:2]
        models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
        state = self._state
        if (
            self.reuse
            and state is not None
            and state.region == work.region
            and state.box == p.box
            and _same_array(state.prior, p.prior)
            and state.labels.shape == (wh, ww)
            # Marks were only added: every old mark is still marked. A newer mark of the
            # other kind may take over an older one's pixels (a click's disk that lands
            # on an earlier click of the other kind), and that is still a correction to
            # continue from, not a new object to start over on.
            and _contains(_either(fg, bg), _either(state.fg, state.bg))
            and (fg is not None or bg is not None)
        ):
            labels = state.labels.copy()
            _paint(labels, fg, bg)
            return labels, cv2.GC_EVAL, self.refine_iterations, (state.bgd_model.copy(), state.fgd_model.copy())

        if box_w is not None:
            bx0, by0, bx1, by1 = box_w
            labels = np.full((wh, ww), GC_BGD, np.uint8)
            labels[by0:by1, bx0:bx1] = GC_PR_FGD
            has_outside = bx0 > 0 or by0 > 0 or bx1 < ww or by1 < wh
            big_enough = min((bx1 - bx0) * (by1 - by0), ww * wh - (bx1 - bx0) * (by1 - by0)) >= _GMM_COMPONENTS
            if fg is None and bg is None and p.prior is None and has_outside and big_enough:
                return labels, cv2.GC_INIT_WITH_RECT, self.iterations, models
        else:
            labels = np.full((wh, ww), GC_PR_BGD, np.uint8)
            if p.prior is None and self.scribble_prior == "geodesic" and fg is not None and fg.any() and bg is not None and (bg & ~fg).any():
                # Strokes alone: unmarked pixels geodesically nearer the foreground strokes
                # start as probable object, the others as probable background.
                near = seeds.stroke_prior(work.pixels, fg, bg, contrast=self.prior_contrast, edges=self.prior_edges)
                labels[near > 0.5] = GC_PR_FGD
            elif p.prior is None and fg is not None:
                near = mask_tools.bbox(fg)
                pad = max(2, int(0.1 * max(near[2] - near[0], near[3] - near[1])))
                labels[max(0, near[1] - pad) : near[3] + pad, max(0, near[0] - pad) : near[2] + pad] = GC_PR_FGD
        if p.prior is not None:
            x0, y0, x1, y1 = work.region
            prior = cv2.resize(p.prior[y0:y1, x0:x1].astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) >= 0.5
            free = labels != GC_BGD
            labels[free & prior] = GC_PR_FGD
            labels[free & ~prior] = GC_PR_BGD
        _paint(labels, fg, bg)
        if not np.isin(labels, (GC_FGD, GC_PR_FGD)).any():
            raise InputError("Nothing is left that could be the object: every pixel is marked background.")
        if not np.isin(labels, (GC_BGD, GC_PR_BGD)).any() and min(wh, ww) >= 3:
            # The box covers the whole region (for example the whole image): let the
            # one-pixel frame be background, as plain cv2.grabCut's rectangle does, so
            # GrabCut has a colour model for it. (As probable background the frame
            # turned object on grabcut30's "cross": IoU 0.37 against 0.66.)
            frame = np.ones((wh, ww), bool)
            frame[1:-1, 1:-1] = False
            labels[frame & (labels == GC_PR_FGD)] = GC_BGD
        maybe_fg = np.isin(labels, (GC_FGD, GC_PR_FGD))
        if min(np.count_nonzero(maybe_fg), np.count_nonzero(~maybe_fg)) < _GMM_COMPONENTS:
            return labels, None, 0, models
        return labels, cv2.GC_INIT_WITH_MASK, self.iterations, models


def _unframe(small: np.ndarray, framed: tuple) -> None:
    """On the sides in ``framed`` (left, top, right, bottom), the mask's outermost line takes
    the labels of the line inside it: the frame was background only to show the colour
    models the image's edge, and an object that touches the edge goes on to it."""
    left, top, right, bottom = framed
    if left:
        small[:, 0] = small[:, 1]
    if right:
        small[:, -1] = small[:, -2]
    if top:
        small[0] = small[1]
    if bottom:
        small[-1] = small[-2]


def _pinpoint(pixels, labels, bg_model, fg_model, box, slack, recut, rounds: int = 8) -> None:
    """Lempitsky et al.'s tightness prior by pinpointing: every row and column crossing the
    box (but the outer ``slack`` of each side) holds some object; a line with none gets its
    most object-like pixel fixed as object and the graph is cut again, until none is left.
    Pins are then released to probable object, and a part of the mask that is only pins
    and their eight neighbours goes back to probable background: a box drawn looser than
    ``slack`` has lines that truly cross no object, and a pin the cut grew nothing round is
    no evidence (it would be a speck in the mask)."""
    bx0, by0, bx1, by1 = box
    bh, bw = by1 - by0, bx1 - bx0
    sy, sx = int(np.ceil(slack * bh)), int(np.ceil(slack * bw))
    if bh - 2 * sy < 1 or bw - 2 * sx < 1:
        return
    view = labels[by0:by1, bx0:bx1]
    llr = None
    pinned = np.zeros((bh, bw), bool)
    for _ in range(rounds):
        obj = (view == GC_FGD) | (view == GC_PR_FGD)
        empty_rows, empty_cols = ~obj.any(1), ~obj.any(0)
        if not (empty_rows[sy : bh - sy].any() or empty_cols[sx : bw - sx].any()):
            break
        if llr is None:
            inner = pixels[by0:by1, bx0:bx1].reshape(-1, 3).astype(np.float64)
            llr = colour_models.log_likelihood(fg_model, inner) - colour_models.log_likelihood(bg_model, inner)
            llr = llr.reshape(bh, bw)
            llr[view == GC_BGD] = -np.inf  # the user's background marks are never pinned
            empty_rows_ok, empty_cols_ok = np.isfinite(llr).any(1), np.isfinite(llr).any(0)
        bad_rows = sy + np.flatnonzero((empty_rows & empty_rows_ok)[sy : bh - sy])
        bad_cols = sx + np.flatnonzero((empty_cols & empty_cols_ok)[sx : bw - sx])
        if not bad_rows.size and not bad_cols.size:
            break
        pins = np.zeros((bh, bw), bool)
        pins[bad_rows, llr[bad_rows].argmax(1)] = True
        pins[llr[:, bad_cols].argmax(0), bad_cols] = True
        pinned |= pins
        view[pins] = GC_FGD
        recut()
    view[pinned & (view == GC_FGD)] = GC_PR_FGD
    if not pinned.any():
        return
    obj = (view == GC_FGD) | (view == GC_PR_FGD)
    n, comp = cv2.connectedComponents(obj.astype(np.uint8), connectivity=8)
    near = cv2.dilate(pinned.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    real = np.zeros(n, bool)
    real[comp[obj & ~near]] = True
    real[comp[view == GC_FGD]] = True
    view[obj & ~real[comp]] = GC_PR_BGD


def _on_grid(work: _Work, mask: np.ndarray, box) -> np.ndarray:
    """A full-resolution mask on ``work``'s grid, inside the box."""
    x0, y0, x1, y1 = work.region
    wh, ww = work.pixels.shape[:2]
    crop = mask[y0:y1, x0:x1]
    if crop.shape != (wh, ww):
        crop = cv2.resize(crop.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) >= 0.5
    bx0, by0, bx1, by1 = _box_in_work(box, work)
    inside = np.zeros((wh, ww), bool)
    inside[by0:by1, bx0:bx1] = True
    return crop & inside


def _restarted(state: _State, work: _Work, mask: np.ndarray, box, seed: int) -> _State:
    """``state`` (a fast cut's) with its free pixels relabelled from ``mask`` and colour
    models learnt from that labelling."""
    labels = state.labels.copy()
    free = (labels == GC_PR_FGD) | (labels == GC_PR_BGD)
    small = _on_grid(work, mask, box)
    labels[free & small] = GC_PR_FGD
    labels[free & ~small] = GC_PR_BGD
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    obj = np.isin(labels, (GC_FGD, GC_PR_FGD)).ravel()
    if min(np.count_nonzero(obj), np.count_nonzero(~obj)) < _GMM_COMPONENTS:
        return state
    return replace(state, labels=labels, bgd_model=_fit(x[~obj], seed)[None].copy(), fgd_model=_fit(x[obj], seed)[None].copy())


def _number(value, message: str) -> float:
    """``value`` as a float, or an InputError that says ``message`` and what was given."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{message}; got {value!r}.") from None


def _fit(pixels: np.ndarray, seed: int, rounds: int = 3) -> np.ndarray:
    """A colour model of these pixels: k-means, then GrabCut's hard-assignment rounds."""
    return _refine(colour_models.fit_initial(pixels, seed), pixels, rounds)


def _refine(model: np.ndarray, pixels: np.ndarray, rounds: int) -> np.ndarray:
    """``rounds`` of GrabCut's hard assignment: each pixel to its likeliest component, then
    each component refitted to its pixels."""
    for _ in range(rounds):
        refit = colour_models.learn(pixels, colour_models.component_log_likelihoods(model, pixels).argmax(1))
        model = model if refit is None else refit
    return model


def _joint_energy(work: _Work, labels: np.ndarray, models, rounds: int = 2) -> float:
    """GrabCut's energy of a labelling of the working region with colour models fitted to
    it (each side's mixture refitted to its own pixels, unweighted, from ``models``: the
    (background, foreground) pair of the fit that made it), plus the smoothness paid along
    its boundary. ``inf`` when a side is too small to fit."""
    obj = ((labels == GC_FGD) | (labels == GC_PR_FGD)).ravel()
    if min(np.count_nonzero(obj), np.count_nonzero(~obj)) < 4 * _GMM_COMPONENTS:
        return float("inf")
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    data = 0.0
    for side, model in ((~obj, models[0]), (obj, models[1])):
        xs = x[side]
        data -= float(colour_models.log_likelihood(_refine(model.ravel(), xs, rounds), xs).sum())
    return data + graphcut.boundary_cost(obj.reshape(labels.shape), work.smooth)


def _shared_energy_gap(work: _Work, first: np.ndarray, second: np.ndarray, box, seed: int) -> Optional[float]:
    """GrabCut's data term of ``first`` minus that of ``second`` (full-resolution masks),
    both on ``work``'s grid under one pair of colour models learnt from what the two masks
    agree on; ``None`` when they agree on too few pixels of either side to learn from.
    Only the disputed pixels count: positive means the shared models give them to
    ``second``'s side."""
    a, b = _on_grid(work, first, box), _on_grid(work, second, box)
    agree_fg, agree_bg = a & b, ~a & ~b
    if min(np.count_nonzero(agree_fg), np.count_nonzero(agree_bg)) < 4 * _GMM_COMPONENTS:
        return None
    x = work.pixels.reshape(-1, 3).astype(np.float64)
    fg_model = _fit(x[agree_fg.ravel()], seed)
    bg_model = _fit(x[agree_bg.ravel()], seed)
    disputed = (a ^ b).ravel()
    if not disputed.any():
        return 0.0
    xd = x[disputed]
    object_minus_background = colour_models.log_likelihood(fg_model, xd) - colour_models.log_likelihood(bg_model, xd)
    # first labels a\b object (cost -log p_fg) where second labels it background, and the
    # other way round on b\a
    sign = np.where(a.ravel()[disputed], -1.0, 1.0)
    return float(np.sum(sign * object_minus_background))


def _geodesic_near(cost: np.ndarray, seeds_mask: np.ndarray, reach: int) -> np.ndarray:
    """Geodesic distances from the seeds, measured within ``reach`` pixels of their box
    (a path leaving it is at least that long, since every step costs at least its
    length); ``inf`` beyond."""
    h, w = cost.shape
    x0, y0, x1, y1 = mask_tools.bbox(seeds_mask)
    y0, x0, y1, x1 = max(0, y0 - reach), max(0, x0 - reach), min(h, y1 + reach), min(w, x1 + reach)
    out = np.full((h, w), np.inf)
    out[y0:y1, x0:x1] = seeds.geodesic_distance(cost[y0:y1, x0:x1], seeds_mask[y0:y1, x0:x1])
    return out


def _box_share(mask: np.ndarray, box) -> float:
    """The fraction of the box's pixels that the mask holds."""
    x0, y0, x1, y1 = _int_box(box)
    inside = mask[max(0, y0) : y1, max(0, x0) : x1]
    return float(inside.mean()) if inside.size else 1.0


def _int_box(box) -> tuple:
    x0, y0, x1, y1 = box
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))


def _box_in_work(box, work: _Work) -> tuple:
    """The box in working pixels, at least one pixel wide and high."""
    x0, y0, x1, y1 = box
    rx0, ry0 = work.region[:2]
    wh, ww = work.pixels.shape[:2]
    s = work.scale
    bx0 = min(ww - 1, max(0, int(np.floor((x0 - rx0) * s))))
    by0 = min(wh - 1, max(0, int(np.floor((y0 - ry0) * s))))
    bx1 = min(ww, max(bx0 + 1, int(np.ceil((x1 - rx0) * s))))
    by1 = min(wh, max(by0 + 1, int(np.ceil((y1 - ry0) * s))))
    return bx0, by0, bx1, by1


@dataclass
class _Marks:
    """The user's marks at full resolution, kept only over the window that holds them."""

    window: tuple  # (x0, y0, x1, y1) in image pixels
    fg: np.ndarray  # bool, window-sized
    bg: np.ndarray

    @classmethod
    def of(cls, p: Prompts, shape, radius: float) -> Optional["_Marks"]:
        found = p.marks_window(shape, radius)
        if found is None:
            return None
        window, labels = found
        return cls(window, labels == FOREGROUND, labels == BACKGROUND)

    def fg_bbox(self) -> Optional[tuple]:
        box = mask_tools.bbox(self.fg)
        if box is None:
            return None
        x0, y0 = self.window[:2]
        return (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)

    def _overlap(self, region: tuple):
        """The part of the window inside the region: slices into the window and the region."""
        wx0, wy0, wx1, wy1 = self.window
        rx0, ry0, rx1, ry1 = region
        x0, y0, x1, y1 = max(wx0, rx0), max(wy0, ry0), min(wx1, rx1), min(wy1, ry1)
        if x1 <= x0 or y1 <= y0:
            return None
        in_window = (slice(y0 - wy0, y1 - wy0), slice(x0 - wx0, x1 - wx0))
        in_region = (slice(y0 - ry0, y1 - ry0), slice(x0 - rx0, x1 - rx0))
        return in_window, in_region, (x0 - rx0, y0 - ry0)

    def shrunk(self, region: tuple, size: tuple) -> tuple:
        """(fg, bg) inside the region at working size: a working pixel is marked when any
        of its full-resolution pixels is, so a thin stroke never vanishes."""
        width, height = size
        fg = np.zeros((height, width), bool)
        bg = np.zeros((height, width), bool)
        overlap = self._overlap(region)
        if overlap is not None:
            in_window, _, (ox, oy) = overlap
            rw, rh = region[2] - region[0], region[3] - region[1]
            for full, small in ((self.fg, fg), (self.bg, bg)):
                ys, xs = np.nonzero(full[in_window])
                if ys.size:
                    small[((ys + oy) * height) // rh, ((xs + ox) * width) // rw] = True
        return fg, bg

    def enforce(self, region_mask: np.ndarray, region: tuple) -> None:
        """Marked pixels keep their side in the full-resolution mask of the region."""
        overlap = self._overlap(region)
        if overlap is not None:
            in_window, in_region, _ = overlap
            part = region_mask[in_region]
            part[self.fg[in_window]] = True
            part[self.bg[in_window]] = False


def _paint(labels: np.ndarray, fg, bg) -> None:
    if bg is not None:
        labels[bg] = GC_BGD
    if fg is not None:
        labels[fg] = GC_FGD


def _either(a, b):
    """The union of two optional masks (None when both are None)."""
    if a is None or b is None:
        return b if a is None else a
    return a | b


def _contains(new, old) -> bool:
    """True when every mark in ``old`` is still in ``new`` (marks were only added)."""
    if old is None:
        return True
    if new is None:
        return not old.any()
    return bool(new[old].all())


def _same_array(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and np.array_equal(a, b))
