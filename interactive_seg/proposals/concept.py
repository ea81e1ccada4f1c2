"""Concept proposals: SAM 3's concept model (``Sam3Model`` / ``Sam3Processor`` of
transformers) finds every instance of a short noun phrase ("car", "yellow school bus"), of
one or more example boxes, or of both, each with a score.

The model is the one the ``sam`` engine's catalogue names ``sam3`` (``facebook/sam3``,
gated: `interactive-seg models download sam3` asks for the login), or a model folder saved
with ``save_pretrained``. torch and transformers are imported when a proposer is built.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..image import as_rgb8
from .base import Proposal, check_boxes

__all__ = ["ConceptProposer"]

TITLE = "SAM 3 concept"
#: config.json ``model_type`` of a folder holding the whole SAM 3 model (the concept part included)
CONFIG_TYPES = ("sam3",)


def model_folder(model: str, checkpoint=None, cache_dir=None) -> Path:
    """The folder of the concept model: ``checkpoint``, a folder named by ``model``, or the cached ``model``."""
    from ..engines.sam import models

    if checkpoint is not None:
        return Path(checkpoint).expanduser()
    if model not in models.catalogue() and (Path(str(model)).expanduser().is_dir() or "/" in str(model)):
        return Path(str(model)).expanduser()
    info = models.model_info(model)
    if info.family != "interactive_seg.engines.sam.sam3":
        raise InputError(
            f"Concept proposals need a SAM 3 model (sam3 or a SAM 3 model folder); {model!r} is a {info.family.rsplit('.', 1)[-1]} model."
        )
    return models.find_checkpoint(model, cache_dir)


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
        from transformers import Sam3Model, Sam3Processor

        from ..engines.sam.hf import load_folder
        from ..engines.sam.runtime import resolve_device, use_threads

        self.device = resolve_device(device)
        use_threads(self.device, threads)
        folder = model_folder(model, checkpoint, cache_dir)
        self.model, self.processor, fingerprint = load_folder(
            Sam3Model, Sam3Processor, folder, self.device, TITLE, CONFIG_TYPES
        )
        self.model_type = Path(str(model)).name
        self.model_key = f"{self.model_type}-{fingerprint}"
        self.threshold, self.mask_threshold = float(threshold), float(mask_threshold)

    def steps(self, image, text: str | None = None, boxes=()):
        """:meth:`propose` as steps (one call of the model: 0.0, then the proposals)."""
        yield 0.0
        yield self.propose(image, text, boxes)

    def propose(self, image, text: str | None = None, boxes=(), negative_boxes=()) -> list:
        """Every instance of ``text`` and/or ``boxes`` (``(x0, y0, x1, y1)`` image pixels) in ``image``, best first.

        ``negative_boxes`` are examples of what is not wanted.
        """
        import torch

        rgb = as_rgb8(image)
        phrase = (text or "").strip()
        positive, negative = check_boxes(boxes, rgb.shape), check_boxes(negative_boxes, rgb.shape)
        if not phrase and not positive:
            raise InputError("Concept proposals need a phrase (--text car) or at least one example box; give one.")
        kwargs = {"images": rgb, "return_tensors": "pt"}
        if phrase:
            kwargs["text"] = phrase  # boxes alone: the processor asks for its own "visual" prompt
        examples = positive + negative
        if examples:
            kwargs["input_boxes"] = [examples]
            kwargs["input_boxes_labels"] = [[1] * len(positive) + [0] * len(negative)]
        inputs = self.processor(**kwargs)
        sizes = inputs["original_sizes"].tolist()
        with torch.inference_mode():
            out = self.model(**{k: v.to(self.device) for k, v in inputs.items() if k != "original_sizes"})
            result = self.processor.post_process_instance_segmentation(
                out, threshold=self.threshold, mask_threshold=self.mask_threshold, target_sizes=sizes
            )[0]
        masks = result["masks"].cpu().numpy().astype(bool)
        scores = result["scores"].float().cpu().numpy()
        label = phrase or "example"
        found = [Proposal.from_mask(m, float(s), label, self.name, model=self.model_key) for m, s in zip(masks, scores)]
        return sorted((p for p in found if p is not None), key=lambda p: -p.score)
