"""Concept proposals: SAM 3's concept model (``Sam3Model`` / ``Sam3Processor`` of
transformers) finds every instance of a short noun phrase ("car", "yellow school bus"), of
one or more example boxes, or of both, each with a score.

The model is the one the ``sam`` engine's catalogue names ``sam3`` (``facebook/sam3``,
gated: `interactive-seg models download sam3` asks for the login), or a model folder saved
with ``save_pretrained``. The model runs in :mod:`interactive_seg.engines.sam.concept` (torch and
transformers, imported when a proposer is built); this module makes proposals of its masks.
"""

from __future__ import annotations

from ..errors import InputError
from ..image import as_rgb8
from .base import Proposal, check_boxes

__all__ = ["ConceptProposer"]


class ConceptProposer:
    """Every instance of a phrase and/or example boxes, by SAM 3's concept model.

    Parameters
    ----------
    model : str
        ``"sam3"`` (the cached download) or a SAM 3 model folder.
    checkpoint : path, optional
        The model folder (instead of the cached one).
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    threshold : float
        The model's own score threshold (lower keeps more, for ``min_score`` to cut later).
    mask_threshold : float
        Probability above which a pixel belongs to the mask.
    cache_dir : path, optional
        The model cache (default: the engine's).
    """

    name = "concept"

    def __init__(
        self,
        *,
        model: str = "sam3",
        checkpoint=None,
        device: str = "auto",
        threshold: float = 0.3,
        mask_threshold: float = 0.5,
        cache_dir=None,
        threads: int | None = None,
    ):
        from ..engines.sam.concept import ConceptModel

        self.concept = concept = ConceptModel(
            model=model, checkpoint=checkpoint, device=device, cache_dir=cache_dir, threads=threads
        )
        self.device, self.model_type, self.model_key = concept.device, concept.model_type, concept.model_key
        self.threshold, self.mask_threshold = float(threshold), float(mask_threshold)

    def steps(self, image, text: str | None = None, boxes=()):
        """:meth:`propose` as steps (one call of the model: 0.0, then the proposals)."""
        yield 0.0
        yield self.propose(image, text, boxes)

    def propose(self, image, text: str | None = None, boxes=(), negative_boxes=()) -> list:
        """Every instance of ``text`` and/or ``boxes`` (``(x0, y0, x1, y1)`` image pixels) in ``image``, best first.

        ``negative_boxes`` are examples of what is not wanted.
        """
        rgb = as_rgb8(image)
        phrase = (text or "").strip()
        positive, negative = check_boxes(boxes, rgb.shape), check_boxes(negative_boxes, rgb.shape)
        if not phrase and not positive:
            raise InputError("Concept proposals need a phrase (--text car) or at least one example box; give one.")
        masks, scores = self.concept.instances(rgb, phrase, positive, negative, self.threshold, self.mask_threshold)
        label = phrase or "example"
        found = [Proposal.from_mask(m, float(s), label, self.name, model=self.model_key) for m, s in zip(masks, scores)]
        return sorted((p for p in found if p is not None), key=lambda p: -p.score)
