"""The GrabCut engine: the stages of this package behind the Engine protocol.

One call (:meth:`GrabCutEngine.segment`) chooses the working region and its scaled copy
(:mod:`.region`), shrinks the marks onto it (:mod:`.marks`), finds where the cut starts
(:mod:`.start`: fresh, or continuing the same object), runs GrabCut's iterations with
colour models learnt here (:mod:`.fit`, with the tightness prior of :mod:`.tightness` and
the click prior of :mod:`.click_prior`), and brings the mask back to full resolution.
After a fresh box a second, whole-image cut may be made and one of the two kept
(:mod:`.compare`).
"""

from __future__ import annotations

import copy
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from typing import Optional

import cv2
import numpy as np

from ... import masks as mask_tools
from ...errors import IncompletePrompts, InputError
from ...image import as_rgb8
from ...prompts import Prompts
from ..base import Engine, Interrupted, Option, Result
from . import click_prior, compare, upscale
from .fit import fit_both, iterate
from .marks import GC_FGD, GC_PR_FGD, Marks, grow_clicks, same_array
from .memo import Memo, prompts_key
from .region import (
    Work,
    box_in_work,
    box_share,
    choose_region,
    frame,
    grown,
    int_box,
    reached,
    unframe,
    working,
)
from .settings import SCRIBBLE_PRIORS, GrabCutSettings
from .start import State, start

__all__ = ["GrabCutEngine"]

_SETTINGS = frozenset(f.name for f in fields(GrabCutSettings))


class GrabCutEngine(Engine):
    """Interactive GrabCut on the region of interest.

    Takes the keywords of :class:`GrabCutSettings` (``iterations``, ``margin``,
    ``max_side``, ``tightness``, ...), or one ``settings`` object; they are readable as
    attributes (``engine.max_side``). How it works and the measurements behind each
    default: ``docs/engines/grabcut.md``.

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
    # fmt: off
    options = (
        Option("margin", float, 0.1, "Context around the box or marks, as a fraction of the region's longest side.", minimum=0.0, maximum=1.0, step=0.05),
        Option("iterations", int, 5, "Most GrabCut iterations for a new object; it stops early once the mask settles.", minimum=1, maximum=20),
        Option("max_side", int, 256, "The region is scaled so its longest side is at most this many pixels.", label="Working size (px)", minimum=64, maximum=4096, step=32),
        Option("tightness", float, 0.05, "A box is drawn round the object: every row and column crossing it, but this fraction of each side, holds some of it (0: off).", label="Box tightness", minimum=0.0, maximum=0.45, step=0.05),
        Option("scribble_prior", str, "geodesic", "Strokes without a box: start from the pixels geodesically nearer the foreground strokes (geodesic) or, close to plain GrabCut, from the strokes' box (none).", label="Strokes alone", choices=SCRIBBLE_PRIORS),
    )
    # fmt: on
    # get_engine checks options against the constructor's signature: the settings' fields
    __signature__ = GrabCutSettings.signature()

    def __init__(self, settings: Optional[GrabCutSettings] = None, **options):
        if settings is not None and not isinstance(settings, GrabCutSettings):
            raise InputError(f"settings must be a GrabCutSettings; got {type(settings).__name__}.")
        if settings is not None and options:
            raise InputError("Give either a GrabCutSettings or keyword options, not both.")
        self.settings = settings if settings is not None else GrabCutSettings(**options)
        self._source = None
        self._rgb: Optional[np.ndarray] = None
        self._key: Optional[str] = None
        self._work: Optional[Work] = None
        self._state: Optional[State] = None
        self._memo = Memo()  # the same prompts, the same mask (undo and redo step along the masks shown)

    def __getattr__(self, name):
        # the settings read as the engine's attributes (engine.max_side), as callers did
        if name in _SETTINGS and "settings" in self.__dict__:
            return getattr(self.settings, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

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
        self._memo.clear()

    def reset(self) -> None:
        """Forget the current object, so the next call starts fresh."""
        self._state = None
        self._memo.clear()

    # -- segmentation --------------------------------------------------------------------
    def segment(self, prompts: Prompts) -> Result:
        """Segment one object from its prompts; see :class:`~interactive_seg.Prompts`.

        Raises
        ------
        InputError
            No image set, invalid prompts, or marks of one kind only with no box.
        """
        s = self.settings
        begun = time.perf_counter()
        if self._rgb is None:
            raise InputError("No image to segment: call set_image(image) first.")
        if not isinstance(prompts, Prompts):
            raise InputError(f"segment() takes a Prompts object; got {type(prompts).__name__}.")
        height, width = self._rgb.shape[:2]
        p = prompts.validated(self._rgb.shape)
        marks = Marks.of(p, (height, width), s.point_radius)
        if p.box is None and p.prior is None:
            if not (marks is not None and marks.fg.any() and marks.bg.any()):
                kind = "foreground" if marks is not None and marks.fg.any() else "background"
                other = "background" if kind == "foreground" else "foreground"
                raise IncompletePrompts(
                    f"Only {kind} marks were given; add a {other} scribble or click, or draw a box "
                    "around the object, so GrabCut can tell object from background."
                )

        key = (self._key, prompts_key(p))  # (the image too: a copy of the engine shares the memo)
        known = self._memo.get(key, s)
        if known is not None:  # prompts met before (an undo, a redo): that answer, and go on from there
            result, self._state = known
            result.info["seconds"] = time.perf_counter() - begun
            return result

        state = self._state
        wide = s.reuse and state is not None and state.wide and p.box is not None and state.box == p.box
        pool = ahead = None
        if not wide and p.box is not None and self._compares(p.box) and not _continues(state, p):
            # A new box that will be compared with the whole-image cut: that cut starts
            # now, on a second thread beside the fast one (OpenCV's cut releases the GIL,
            # and each thread seeds its own k-means generator, so the masks are the same
            # as one after the other).
            twin = copy.copy(self)
            twin._state, twin._work = None, None
            pool = ThreadPoolExecutor(max_workers=1)
            ahead = (twin, pool.submit(twin._solve, p, marks, True))
        before = (self._state, self._work)
        try:
            result = self._solve(p, marks, wide)
            fresh = not wide and p.box is not None and result.info["mode"] in ("rect", "mask")
            if fresh and (s.compare != "off" or s.guard_area > 0):
                result = self._second_opinion(p, marks, result, ahead)
        except Interrupted:
            self._state, self._work = before  # as before the call: the next one continues from there
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=False)
        self._memo.put(key, s, result, self._state)
        result.info["seconds"] = time.perf_counter() - begun
        return result

    def _compares(self, box) -> bool:
        """True when a fresh box is compared with the whole-image cut (``compare``)."""
        s = self.settings
        height, width = self._rgb.shape[:2]
        x0, y0, x1, y1 = box
        at_edge = min(x0, y0, width - x1, height - y1) < 1
        return s.compare == "always" or (s.compare == "edge" and at_edge)

    def _second_opinion(self, p: Prompts, marks, first: Result, ahead=None) -> Result:
        """After a fresh box: the collapse guard, and (``compare``) the choice between the
        fast cut and plain GrabCut's whole-image cut (see :mod:`.compare`); ``ahead``:
        (engine, future) of that cut when it was started beside the fast one."""
        s = self.settings
        first_state, first_work = self._state, self._work
        share = box_share(first.mask, p.box)
        collapsed = s.guard_area > 0 and share < s.guard_area
        if not (collapsed or self._compares(p.box)):
            first.info["fallback"] = None
            return first
        if self.interrupt is not None and self.interrupt():
            raise Interrupted("the answer is no longer wanted")
        if ahead is not None:
            twin, future = ahead
            second = future.result()
            self._state, self._work = twin._state, twin._work
        else:
            self._state = None  # the second cut starts fresh too
            second = self._solve(p, marks, True)
        if collapsed:
            use = box_share(second.mask, p.box) > share
            why = "used" if use else "kept the fast mask"
        else:
            gap = compare.shared_energy_gap(first_work, first.mask, second.mask, p.box, s.seed)
            use = gap is not None and gap > 0
            why = "compared: whole image" if use else "compared: fast"
        if use:
            second.info["fallback"] = why
            if not collapsed:
                # Clicks continue on the fast region (fast at any image size), from the
                # whole-image cut's labelling: only the start differs.
                self._state = compare.restarted(first_state, first_work, second.mask, p.box, s.seed)
                self._work = first_work
            return second
        self._state, self._work = first_state, first_work
        first.info["fallback"] = why
        return first

    def _solve(self, p: Prompts, marks, wide: bool, region=None, rounds=None) -> Result:
        """One cut: on the region of interest at ``max_side`` with the weighted fit, or
        (``wide``) on the whole image at ``fallback_side`` with OpenCV's classic fit.

        Where the mask runs along an edge of the region that is not the image's edge, the
        object goes on beyond it: the region grows there and the cut is made again (up to
        ``grow_region`` times), so no mask edge is the region's edge."""
        s = self.settings
        height, width = self._rgb.shape[:2]
        before = self._state
        rounds = s.grow_region if rounds is None else rounds
        if wide:
            region = (0, 0, width, height)
        elif region is None:
            region = choose_region(p, marks, height, width, s)
            if (
                before is not None
                and before.grown
                and not before.wide
                and before.box == p.box
                and same_array(before.prior, p.prior)
                and _within(region, before.region)
            ):
                # the same object on the region an earlier call grew to: continue there
                region = before.region
        side = s.max_side
        if wide:
            side = None if s.max_side is None or s.fallback_side is None else max(s.max_side, s.fallback_side)
        weighting = 0.0 if wide else s.fg_weighting
        work = self._work = working(self._rgb, region, side, self._work)
        rx0, ry0, rx1, ry1 = region
        wh, ww = work.pixels.shape[:2]
        fg, bg = (None, None) if marks is None else marks.shrunk(region, (ww, wh))
        # each click's disk, kept from the call that first saw it (sized on that call's
        # labelling where it continued the same object on this grid)
        same_object = before is not None and _continues(before, p)
        clicks = dict(before.clicks or {}) if same_object else {}
        last = before.labels if same_object and before.region == region and before.wide == wide else None
        if s.min_click_radius > 0 and p.points is not None:
            fg, bg = grow_clicks(p, work, fg, bg, s.min_click_radius, s.point_radius, last, s.click_fit, clicks)
        box_w = box_in_work(p.box, work) if p.box is not None else None
        framed = (False,) * 4
        if box_w is not None and min(ww, wh) >= 3:
            box_w, framed = frame(box_w, (ww, wh))

        labels, mode, iterations, models = start(p, work, box_w, fg, bg, self._state, s)
        fit = None
        # the tightness prior holds on the fast region, for the box and every click after
        # it; the whole-image cut stays plain GrabCut's own answer
        tight = box_in_work(p.box, work) if s.tightness > 0 and p.box is not None and not wide else None
        bgd_model, fgd_model = models
        # GrabCut's k-means draws from OpenCV's global random generator: seed it so that
        # the same prompts on the same image always give the same mask.
        cv2.setRNGSeed(s.seed)
        near = None
        if mode is None:
            pass  # too few pixels for GrabCut's colour models: the prompts' labelling is the answer
        elif mode == cv2.GC_EVAL and s.click_prior > 0:
            # clicks on a continued object (the fast region or the whole-image fallback):
            # the cut also pays for labelling a pixel against the marks geodesically near it
            clicked = (None, None)
            if s.click_reach != 1.0 and p.points is not None:
                empty = np.zeros((wh, ww), bool)
                clicked = grow_clicks(p, work, empty, empty, s.min_click_radius, s.point_radius, known=clicks)
            near = click_prior.near_marks(
                work, fg, bg, self._state, s.click_contrast, s.click_spread, clicked, s.click_reach
            )
            extra = tuple(
                click_prior.click_cost(d, (wh, ww), s.click_prior, s.click_spread) for d in (near[1], near[0])
            )
            bgd_model, fgd_model, iterations = iterate(
                work.pixels, labels, mode, iterations, bgd_model, fgd_model, s, work, extra, tight, stop=self.interrupt
            )
        elif weighting > 0 or tight is not None:
            if s.choose_fit and weighting > 0 and p.box is not None and p.prior is None:
                bgd_model, fgd_model, iterations, fit = fit_both(
                    work, labels, mode, iterations, models, tight, weighting, s, stop=self.interrupt
                )
            else:
                bgd_model, fgd_model, iterations = iterate(
                    work.pixels,
                    labels,
                    mode,
                    iterations,
                    bgd_model.copy(),
                    fgd_model.copy(),
                    s,
                    tight=tight,
                    weighting=weighting,
                    stop=self.interrupt,
                )
        elif mode == cv2.GC_INIT_WITH_RECT:
            bx0, by0, bx1, by1 = box_w
            cv2.grabCut(work.pixels, labels, (bx0, by0, bx1 - bx0, by1 - by0), bgd_model, fgd_model, iterations, mode)
        else:
            cv2.grabCut(work.pixels, labels, None, bgd_model, fgd_model, iterations, mode)
        self._state = State(
            region, work.scale, p.box, p.prior, fg, bg, labels.copy(), bgd_model.copy(), fgd_model.copy(), wide, near
        )
        self._state.clicks = clicks
        self._state.grown = rounds < s.grow_region or (before is not None and before.grown and region == before.region)

        small = (labels == GC_FGD) | (labels == GC_PR_FGD)
        if mode is not None:
            unframe(small, framed)
        # With strokes alone the object is what the foreground strokes touch: parts that
        # touch none are background that the colour models could not tell apart.
        strokes_only = p.box is None and p.prior is None and s.scribble_prior != "none"
        if (s.keep_connected or strokes_only) and fg is not None and fg.any():
            small = mask_tools.keep_connected(small, fg)
        if s.min_area > 0:
            small = mask_tools.remove_small(small, int(s.min_area * wh * ww))
        if s.fill_holes:
            small = mask_tools.fill_holes(small)
        if not wide and rounds > 0:
            sides = reached(small, region, work.scale, self._rgb.shape)
            if sides:
                # the cut is made again from where this call began, with its clicks' disks
                self._state = before if before is None else replace(before, clicks=clicks)
                return self._solve(p, marks, wide, grown(region, sides, self._rgb.shape, s.min_margin), rounds - 1)

        full_w, full_h = rx1 - rx0, ry1 - ry0
        if (ww, wh) != (full_w, full_h):
            if self.interrupt is not None and self.interrupt():  # (the edges at full size take a while)
                raise Interrupted("the answer is no longer wanted")
            if s.band > 0 and not wide and mode == cv2.GC_EVAL and max(full_w, full_h) <= s.band_side:
                # clicks on a scaled region: the boundary is cut again at full resolution
                region_mask = click_prior.band(self._rgb, small, region, marks, s.band, bgd_model, fgd_model)
            elif s.fine_edges and mode is not None and max(full_w, full_h) > s.band_side:
                # a large region: the boundary cut again level by level up to full resolution
                previous = None
                if mode == cv2.GC_EVAL and before is not None and before.region == region:
                    previous = before.levels
                region_mask, self._state.levels = upscale.levels(
                    self._rgb, small, region, marks, max(1, s.band), bgd_model, fgd_model, previous
                )
            else:
                soft = cv2.resize(small.astype(np.uint8) * 255, (full_w, full_h), interpolation=cv2.INTER_LINEAR)
                region_mask = soft >= 128
        else:
            region_mask = small
        if p.box is not None:
            # nothing outside the box, but what the user marked as object
            x0, y0, x1, y1 = int_box(p.box)
            inside = np.zeros_like(region_mask)
            inside[max(0, y0 - ry0) : y1 - ry0, max(0, x0 - rx0) : x1 - rx0] = True
            region_mask &= inside
        if marks is not None:
            marks.enforce(region_mask, region)
        mask = np.zeros((height, width), bool)
        mask[ry0:ry1, rx0:rx1] = region_mask
        mode_name = {
            None: "prompts only",
            cv2.GC_INIT_WITH_RECT: "rect",
            cv2.GC_INIT_WITH_MASK: "mask",
            cv2.GC_EVAL: "continue",
        }[mode]
        info = {"region": region, "scale": work.scale, "mode": mode_name, "iterations": iterations}
        if fit is not None:
            info["fit"] = fit
        return Result(mask=mask, info=info)


def _within(inner: tuple, outer: tuple) -> bool:
    """True when the region ``inner`` lies inside ``outer``."""
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _continues(state, p: Prompts) -> bool:
    """True when a call may continue the last one's object (same box and prior)."""
    return state is not None and state.box == p.box and same_array(state.prior, p.prior)
