"""SAM 3's concept model (``Sam3Model`` / ``Sam3Processor`` of transformers): the masks and
scores of every instance of a short noun phrase ("car", "yellow school bus"), of one or more
example boxes, or of both.

The model is the one the catalogue names ``sam3`` (``facebook/sam3``, gated:
`interactive-seg models download sam3` asks for the login), or a model folder saved with
``save_pretrained``. :mod:`interactive_seg.proposals.concept` makes proposals of what it finds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import InputError
from . import models
from .hf import load_folder
from .runtime import resolve_device, use_threads

__all__ = ["ConceptModel", "model_folder"]

TITLE = "SAM 3 concept"
#: config.json ``model_type`` of a folder holding the whole SAM 3 model (the concept part included)
CONFIG_TYPES = ("sam3",)


def model_folder(model: str, checkpoint=None, cache_dir=None) -> Path:
    """The folder of the concept model: ``checkpoint``, a folder named by ``model``, or the cached ``model``."""
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


class ConceptModel:
    """SAM 3's concept model, loaded once on ``device``.

    Parameters
    ----------
    model : str
        ``"sam3"`` (the cached download) or a SAM 3 model folder.
    checkpoint : path, optional
        The model folder (instead of the cached one).
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    cache_dir : path, optional
        The model cache (default: the engine's).
    threads : int, optional
        torch threads on a CPU.
    """

    def __init__(self, *, model: str = "sam3", checkpoint=None, device: str = "auto", cache_dir=None, threads=None):
        from transformers import Sam3Model, Sam3Processor

        self.device = resolve_device(device)
        use_threads(self.device, threads)
        folder = model_folder(model, checkpoint, cache_dir)
        self.model, self.processor, fingerprint = load_folder(
            Sam3Model, Sam3Processor, folder, self.device, TITLE, CONFIG_TYPES
        )
        self.model_type = Path(str(model)).name
        self.model_key = f"{self.model_type}-{fingerprint}"

    def instances(
        self, rgb: np.ndarray, phrase: str, positive: list, negative: list, threshold: float, mask_threshold: float
    ) -> tuple:
        """The instances of ``phrase`` and/or the example boxes in ``rgb`` (uint8 RGB).

        ``positive`` and ``negative`` are example boxes ``(x0, y0, x1, y1)`` of what is
        wanted and what is not; ``threshold`` is the model's own score cut and
        ``mask_threshold`` the probability above which a pixel belongs to a mask.
        Returns ``(masks, scores)``: ``(n, height, width)`` bool and ``(n,)`` float.
        """
        kwargs = {"images": rgb, "return_tensors": "pt"}
        if phrase:
            kwargs["text"] = phrase  # boxes alone: the processor asks for its own "visual" prompt
        examples = list(positive) + list(negative)
        if examples:
            kwargs["input_boxes"] = [examples]
            kwargs["input_boxes_labels"] = [[1] * len(positive) + [0] * len(negative)]
        inputs = self.processor(**kwargs)
        sizes = inputs["original_sizes"].tolist()
        with torch.inference_mode():
            out = self.model(**{k: v.to(self.device) for k, v in inputs.items() if k != "original_sizes"})
            result = self.processor.post_process_instance_segmentation(
                out, threshold=threshold, mask_threshold=mask_threshold, target_sizes=sizes
            )[0]
        return result["masks"].cpu().numpy().astype(bool), result["scores"].float().cpu().numpy()
