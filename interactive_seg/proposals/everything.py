"""Everything proposals: automatic mask generation over a point grid with a model of the
``sam`` engine, each family through its own generator (:mod:`interactive_seg.engines.sam.automatic`:
``segment_anything``'s generator for SAM 1 / MobileSAM; for SAM 2.1 and SAM 3's tracker the
engine's own prompt path on the image's cached embedding, so no second encoder run after
interactive work on the same image, with transformers' mask-generation filters).

A minimum area and the score cut are applied last, the same for every family
(:func:`~.base.keep`). torch is imported (by the engine's module) when a proposer is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import as_rgb8
from .base import Proposal, keep

__all__ = ["EverythingProposer", "Filters", "filter_logits", "grid_points"]


@dataclass(frozen=True)
class Filters:
    """What an automatic mask must pass (the defaults are SAM's own).

    Attributes
    ----------
    pred_iou : float
        Minimum predicted IoU (the model's own quality score).
    stability : float
        Minimum stability: IoU of the mask cut at ``+offset`` and at ``-offset`` logits.
    nms : float
        Box IoU above which the lower-scored of two masks is dropped.
    min_area : int
        Fewest pixels a mask may have.
    offset : float
        The logit offset of the stability score.
    """

    pred_iou: float = 0.88
    stability: float = 0.95
    nms: float = 0.7
    min_area: int = 0
    offset: float = 1.0

    def checked(self) -> Filters:
        for name in ("pred_iou", "stability", "nms"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise InputError(f"The {name.replace('_', ' ')} filter must lie between 0 and 1; got {value}.")
        if int(self.min_area) < 0:
            raise InputError(f"The minimum area must be 0 or more pixels; got {self.min_area}.")
        return self


def grid_points(points_per_side: int, width: int, height: int) -> np.ndarray:
    """``points_per_side`` squared points at the centres of an even grid over the image, ``(n, 2)`` as ``(x, y)`` pixels."""
    n = int(points_per_side)
    if n < 1:
        raise InputError(f"The point grid needs at least 1 point per side; got {points_per_side}.")
    offsets = (np.arange(n) + 0.5) / n
    xs, ys = np.meshgrid(offsets * width, offsets * height)
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def _proposals(pairs: list, filters: Filters, source: str, model: str) -> list:
    """Proposals of ``(mask, score)`` pairs over the minimum area, best first."""
    found = [Proposal.from_mask(mask, score, "", source, model=model) for mask, score in pairs]
    return keep([p for p in found if p is not None], 0.0, filters.min_area)


def filter_logits(logits, scores, filters: Filters = Filters(), image_processor=None) -> list:
    """The proposals that pass ``filters``, from mask logits at image size.

    Parameters
    ----------
    logits : array, ``(n, height, width)`` (or ``(points, masks, height, width)``)
        Mask logits (positive inside).
    scores : array, ``(n,)`` (or ``(points, masks)``)
        The model's predicted IoU of each mask.

    Returns
    -------
    list of Proposal, best first (``score`` = predicted IoU).
    """
    from ..engines.sam import automatic

    processor = automatic.image_processor(image_processor)
    filters = filters.checked()
    rles, kept, boxes = automatic.threshold(processor, logits, scores, filters)
    return _proposals(automatic.suppress(processor, rles, [kept], [boxes], filters.nms), filters, "everything", "")


class EverythingProposer:
    """Every object in an image: a SAM engine model prompted with a grid of points.

    Parameters
    ----------
    model_type : str
        A model of the ``sam`` engine (``vit_t``, ``vit_b``, ``sam2.1_hiera_tiny``, ...) or a model folder.
    checkpoint, device, cache_dir, threads :
        As for :class:`~interactive_seg.engines.sam.SamEngine`.
    points_per_side : int
        The grid: this many points across and down (32 is SAM's default; 8 to 16 on a CPU).
    points_per_batch : int
        Points decoded together (memory against speed).
    filters : Filters
        Predicted IoU, stability, NMS and minimum area.
    engine : SamEngine, optional
        An engine already built (the widget's): its model and embedding cache are used.
    """

    name = "everything"

    def __init__(
        self,
        *,
        model_type: str = "vit_b",
        checkpoint=None,
        device: str = "auto",
        cache_dir=None,
        threads: int | None = None,
        points_per_side: int = 32,
        points_per_batch: int = 64,
        filters: Filters = Filters(),
        engine=None,
    ):
        from ..engines.sam import SamEngine

        self.filters = filters.checked()
        self.points_per_side = int(points_per_side)
        grid_points(self.points_per_side, 1, 1)  # checked now, not on the first image
        self.points_per_batch = max(1, int(points_per_batch))
        if engine is None:
            engine = SamEngine(
                model_type=model_type, checkpoint=checkpoint, device=device, cache_dir=cache_dir, threads=threads
            )
        self.engine = engine
        self.model_type = engine.model_type
        self.model_key = engine.model_key

    def propose(self, image, text: str | None = None, boxes=(), progress=None) -> list:
        """Every object the grid finds in ``image``, best first (``text`` and ``boxes`` are not used).

        ``progress(fraction)``, when given, is called as the grid is decoded.
        """
        for step in self.steps(image):
            if isinstance(step, float):
                if progress is not None:
                    progress(step)
            else:
                return step
        return []

    def steps(self, image, text: str | None = None, boxes=()):
        """:meth:`propose` step by step: yields fractions done (the image encoder, then the
        grid), then the list of proposals. Closing the generator early stops the work."""
        rgb = as_rgb8(image)
        if self.engine.family.endswith(".sam1"):
            yield 0.0
            yield self._sam1(rgb)
            return
        for step in self.engine.embed_steps(rgb):
            yield 0.5 * step
        yield from self._grid(rgb)

    def _sam1(self, rgb) -> list:
        from ..engines.sam.automatic import sam1_masks

        records = sam1_masks(self.engine.backend.model, rgb, self.points_per_side, self.points_per_batch, self.filters)
        found = [
            Proposal.from_mask(
                r["segmentation"],
                float(r["predicted_iou"]),
                "",
                self.name,
                stability=float(r["stability_score"]),
                model=self.model_key,
            )
            for r in records
        ]
        return keep([p for p in found if p is not None], 0.0, self.filters.min_area)

    def _grid(self, rgb):
        from ..engines.sam.automatic import grid_masks

        height, width = rgb.shape[:2]
        points = grid_points(self.points_per_side, width, height)
        for step in grid_masks(self.engine.backend, rgb, points, self.points_per_batch, self.filters):
            if isinstance(step, float):
                yield 0.5 + 0.5 * step
            else:
                yield _proposals(step, self.filters, self.name, self.model_key)
