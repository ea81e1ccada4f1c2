"""The GrabCut engine's settings: one dataclass, checked when it is made.

Every setting is also a keyword of ``get_engine("grabcut", ...)`` and of
:class:`~interactive_seg.engines.grabcut.GrabCutEngine`. How each stage works and the
measurements behind each default are in ``docs/engines/grabcut.md``.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ...errors import InputError
from . import seeds

__all__ = ["GrabCutSettings", "SCRIBBLE_PRIORS", "COMPARE"]

SCRIBBLE_PRIORS = ("geodesic", "none")
COMPARE = ("edge", "always", "off")


@dataclass
class GrabCutSettings:
    """How the GrabCut engine works; every value is checked (:class:`InputError`).

    Parameters
    ----------
    iterations : int
        Most GrabCut iterations for a fresh start (default 5, as in OpenCV's sample).
    refine_iterations : int, optional
        Iterations when a call continues the same object (only marks added). Default 3:
        as good as 5 at a fraction of the cost; ``None`` uses ``iterations``.
    margin : float
        Context round the box or marks, as a fraction of the region's longest side (at
        least ``min_margin`` pixels). GrabCut learns the background from it.
    min_margin : int
        Smallest margin in image pixels.
    max_side : int or None
        The region is scaled down so that its longest side is at most this many pixels;
        ``None`` works at full resolution (slow on large photos).
    point_radius : float
        Each clicked point becomes a filled disk of this radius, in image pixels.
    roi : bool
        ``False`` runs GrabCut on the whole image; with ``max_side=None``,
        ``fg_weighting=0`` and ``tightness=0`` that is plain ``cv2.grabCut``.
    keep_connected : bool
        Keep only the parts of the mask connected to a foreground mark (when there is one).
    min_area : float
        Drop parts smaller than this fraction of the region's area (specks).
    fill_holes : bool
        Fill holes enclosed by the object.
    reuse : bool
        Continue from the last labelling and colour models when only marks were added to
        the same object (a newer mark of the other kind may take over an older one's
        pixels: that is still a correction, not a new object).
    seed : int
        Seed for the k-means inside GrabCut, so equal calls give equal masks.
    scribble_prior : {"geodesic", "none"}
        Strokes (or clicks) of both kinds without a box or prior: ``"geodesic"`` works on
        the strokes' extent grown by ``stroke_margin``, starts every unmarked pixel
        geodesically nearer the foreground strokes as probable object
        (:func:`~.seeds.stroke_prior`) and keeps the parts a foreground stroke touches;
        ``"none"`` starts as plain GrabCut does, from the foreground strokes' box.
    prior_contrast : float
        How much an edge lengthens a geodesic path (0: straight-line distances).
    prior_edges : {"both", "image", "likelihood"}
        Which edges count: the image's colour edges, those of the strokes' colour
        likelihoods, or both.
    stroke_margin : float or None
        With strokes alone, the region is their extent grown by this fraction of its
        longest side, running to the image's edge where no background stroke lies beyond
        the foreground ones; ``None`` takes the whole image.
    min_click_radius : float
        A click is a disk of at least this many working pixels: a disk that shrinks to a
        pixel or two teaches the colour models nothing.
    fg_weighting : float
        Temperature of the foreground model's weighting: each pixel labelled foreground
        teaches that model with weight ``sigmoid((log p_fg - log p_bg) / fg_weighting)``,
        so background the box let in stops holding the model in place. ``0`` runs
        OpenCV's own iterations (the classic algorithm).
    converged : float
        Stop iterating once a cut moves at most this fraction of the working pixels.
    guard_area : float
        The collapse guard (0: off). When the mask after a fresh box keeps less than this
        fraction of the box, the fast path's premise failed (the margin holds the
        object's own colours, or the object is too thin at working size): the engine cuts
        the whole image as plain GrabCut does and keeps the larger mask.
    fallback_side : int or None
        Longest side of the whole image for that second cut (at least ``max_side``);
        ``None``: full resolution.
    compare : {"edge", "always", "off"}
        When a fresh box also gets the whole-image cut besides the guard: when the box
        reaches the image's edge (there the region has no margin to learn the background
        from), on every box, or never. The cut whose disputed pixels a shared pair of
        colour models gives to its own side is kept (``info["fallback"]``).
    click_prior : float
        Cost of labelling a pixel against a mark geodesically near it,
        ``click_prior * exp(-d / click_spread)``: a click claims the flat-coloured part
        round it up to an edge even where the colour models disagree. ``0``: off.
    click_spread : float
        How far the click prior reaches, in working pixels.
    click_contrast : float
        How much an edge lengthens the click prior's geodesic paths.
    click_reach : float
        How much farther a click's prior reaches than a stroke's (its geodesic distances
        count ``1 / click_reach`` times; default 1.5, chosen by 2-fold cross-validation so
        that a click counts as much as a short stroke through the same spot as it can);
        ``1``: as far.
    click_fit : float
        A new click's disk reaches at most this many times its distance from the nearest
        pixel the last cut already gives the click's side (never less than
        ``point_radius``, never more than ``min_click_radius``): a click in a thin gap
        next to the mask marks the gap, not the background beyond it. Each click keeps
        the disk it was first given. Default 1, chosen by 2-fold cross-validation (see
        docs/engines/grabcut.md); ``0``: every click's disk is ``min_click_radius``.
    band : int
        After a click on a scaled-down region, the pixels within ``band`` pixels of the
        scaled-up mask's boundary are cut again at full resolution (0: off).
    band_side : int
        The band is cut only on regions up to this many pixels on their longer side.
    fine_edges : bool
        On a region longer than ``band_side`` (a large photograph), the mask is brought to
        full resolution level by level, its boundary band cut again at each level
        (:mod:`~.upscale`), so its edge follows the photograph's instead of the working
        grid's staircase. ``False``: scaled up by interpolation alone.
    tightness : float
        The tightness prior of a box (Lempitsky et al., ICCV 2009): every row and column
        crossing the box, but the outer ``tightness`` of each side, holds some object
        (0: off). See :mod:`~.tightness`.
    choose_fit : bool
        On a fresh box, run the weighted and the classic fit from the same start and keep
        one by GrabCut's own energy (``info["fit"]``): the weighting wins where the box
        lets in background, loses where the object's colours fill the margin.
    grow_region : int
        Where the mask runs along an edge of the working region that is not the image's
        edge (for more than ``region.EDGE_RUN`` image pixels), the object goes on beyond
        it: the region grows there by half its longest side and the cut is made again, at
        most this many times (0: off), so no mask edge is the region's edge.
    fit_margin : float
        How clearly the weighted fit must win, in nats per working pixel the two fits
        dispute: its energy is lower by construction, so the margin asks for more.
    """

    iterations: int = 5
    refine_iterations: Optional[int] = 3
    margin: float = 0.1
    min_margin: int = 8
    max_side: Optional[int] = 256
    point_radius: float = 5
    roi: bool = True
    keep_connected: bool = False
    min_area: float = 0.0
    fill_holes: bool = False
    reuse: bool = True
    seed: int = 0
    scribble_prior: str = "geodesic"
    prior_contrast: float = 3.0
    prior_edges: str = "both"
    stroke_margin: Optional[float] = 0.25
    min_click_radius: float = 6.0
    fg_weighting: float = 1.0
    converged: float = 0.005
    guard_area: float = 0.15
    fallback_side: Optional[int] = 512
    compare: str = "edge"
    click_prior: float = 16.0
    click_spread: float = 20.0
    click_contrast: float = 5.0
    click_reach: float = 1.5
    click_fit: float = 1.0
    band: int = 3
    band_side: int = 640
    fine_edges: bool = True
    tightness: float = 0.05
    choose_fit: bool = True
    fit_margin: float = 0.65
    grow_region: int = 3

    def __post_init__(self):
        for spec in dataclasses.fields(self):  # (int(inf) overflows; NaN passes every comparison)
            value = getattr(self, spec.name)
            if isinstance(value, float) and not np.isfinite(value):
                raise InputError(f"{spec.name} must be a finite number; got {value}.")
        if int(self.iterations) < 1:
            raise InputError(f"iterations must be at least 1; got {self.iterations}.")
        if self.refine_iterations is not None and int(self.refine_iterations) < 1:
            raise InputError(f"refine_iterations must be at least 1; got {self.refine_iterations}.")
        if self.margin < 0 or self.min_margin < 0:
            raise InputError("margin and min_margin must not be negative.")
        if self.max_side is not None and int(self.max_side) < 16:
            raise InputError(f"max_side must be at least 16 pixels (or None for full resolution); got {self.max_side}.")
        if self.point_radius < 0:
            raise InputError(f"point_radius must not be negative; got {self.point_radius}.")
        if not 0 <= self.min_area < 1:
            raise InputError(f"min_area is a fraction of the region's area, from 0 to 1; got {self.min_area}.")
        self.iterations = int(self.iterations)
        self.refine_iterations = self.iterations if self.refine_iterations is None else int(self.refine_iterations)
        self.margin = float(self.margin)
        self.min_margin = int(self.min_margin)
        self.max_side = None if self.max_side is None else int(self.max_side)
        self.point_radius = float(self.point_radius)
        self.roi = bool(self.roi)
        self.keep_connected = bool(self.keep_connected)
        self.min_area = float(self.min_area)
        self.fill_holes = bool(self.fill_holes)
        self.reuse = bool(self.reuse)
        self.seed = int(self.seed)
        if self.scribble_prior not in SCRIBBLE_PRIORS:
            raise InputError(
                f"scribble_prior must be one of {', '.join(SCRIBBLE_PRIORS)}; got {self.scribble_prior!r}."
            )
        if not self.prior_contrast >= 0:
            raise InputError(
                f"prior_contrast must not be negative (0 measures straight-line distances); got {self.prior_contrast}."
            )
        self.prior_contrast = float(self.prior_contrast)
        if self.prior_edges not in seeds.EDGES:
            raise InputError(f"prior_edges must be one of {', '.join(seeds.EDGES)}; got {self.prior_edges!r}.")
        if self.stroke_margin is not None and not self.stroke_margin >= 0:
            raise InputError(
                f"stroke_margin must not be negative (None takes the whole image); got {self.stroke_margin}."
            )
        self.stroke_margin = None if self.stroke_margin is None else float(self.stroke_margin)
        if self.min_click_radius < 0:
            raise InputError(f"min_click_radius must not be negative; got {self.min_click_radius}.")
        self.min_click_radius = float(self.min_click_radius)
        if not self.fg_weighting >= 0:
            raise InputError(f"fg_weighting must be 0 (off) or a positive temperature; got {self.fg_weighting}.")
        self.fg_weighting = float(self.fg_weighting)
        if not 0 <= self.converged < 1:
            raise InputError(f"converged is a fraction of the working pixels, from 0 to 1; got {self.converged}.")
        self.converged = float(self.converged)
        if not 0 <= self.guard_area < 1:
            raise InputError(f"guard_area is a fraction of the box's area, from 0 (off) to 1; got {self.guard_area}.")
        self.guard_area = float(self.guard_area)
        if self.fallback_side is not None and int(self.fallback_side) < 16:
            raise InputError(
                f"fallback_side must be at least 16 pixels (or None for full resolution); got {self.fallback_side}."
            )
        self.fallback_side = None if self.fallback_side is None else int(self.fallback_side)
        if self.compare not in COMPARE:
            raise InputError(f"compare must be one of {', '.join(COMPARE)}; got {self.compare!r}.")
        if not self.click_prior >= 0:
            raise InputError(f"click_prior must be 0 (off) or a positive cost; got {self.click_prior}.")
        if not self.click_spread > 0:
            raise InputError(f"click_spread must be a positive number of working pixels; got {self.click_spread}.")
        if not self.click_contrast >= 0:
            raise InputError(
                f"click_contrast must not be negative (0 measures straight-line distances); got {self.click_contrast}."
            )
        self.click_prior = float(self.click_prior)
        self.click_spread = float(self.click_spread)
        self.click_contrast = float(self.click_contrast)
        reach = _number(self.click_reach, "click_reach must be a number, 1 or more")
        if not 1 <= reach < np.inf:
            raise InputError(f"click_reach must be a number, 1 or more (1: as far as a stroke's); got {reach}.")
        self.click_reach = reach
        fit = _number(self.click_fit, "click_fit must be a number, 0 or more")
        if not 0 <= fit < np.inf:
            raise InputError(f"click_fit must be a number, 0 (off) or more; got {fit}.")
        self.click_fit = fit
        if int(self.band) < 0:
            raise InputError(f"band must be 0 (off) or a number of pixels; got {self.band}.")
        self.band = int(self.band)
        if int(self.band_side) < 16:
            raise InputError(f"band_side must be at least 16 pixels; got {self.band_side}.")
        self.band_side = int(self.band_side)
        if not isinstance(self.fine_edges, (bool, np.bool_)):
            raise InputError(f"fine_edges is True or False; got {self.fine_edges!r}.")
        self.fine_edges = bool(self.fine_edges)
        tightness = _number(self.tightness, "tightness must be a number from 0 (off) to below 0.5")
        if not 0 <= tightness < 0.5:
            raise InputError(
                "tightness is the fraction of the box's sides the object may leave empty, from 0 (off) "
                f"to below 0.5; got {tightness}."
            )
        self.tightness = float(tightness)
        if not isinstance(self.choose_fit, (bool, np.bool_)):
            raise InputError(f"choose_fit is True or False; got {self.choose_fit!r}.")
        self.choose_fit = bool(self.choose_fit)
        fit_margin = _number(self.fit_margin, "fit_margin must be a number of nats per disputed pixel")
        if not np.isfinite(fit_margin):
            raise InputError(f"fit_margin must be a finite number; got {fit_margin}.")
        self.fit_margin = fit_margin
        grow = _number(self.grow_region, "grow_region must be a number of times, 0 (off) or more")
        if isinstance(self.grow_region, bool) or grow != int(grow) or grow < 0:
            raise InputError(f"grow_region must be a number of times, 0 (off) or more; got {self.grow_region!r}.")
        self.grow_region = int(grow)

    @classmethod
    def signature(cls) -> inspect.Signature:
        """The settings as keyword-only parameters with their defaults: the engine's
        constructor signature, which ``get_engine`` checks options against."""
        return inspect.Signature(
            [
                inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
                for f in dataclasses.fields(cls)
            ]
        )


def _number(value, message: str) -> float:
    """``value`` as a float, or an InputError that says ``message`` and what was given."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{message}; got {value!r}.") from None
