"""The SAM families published through Hugging Face ``transformers`` (SAM 2.1, SAM 3's tracker):
one backend, given the family's model and processor classes.

Per image the vision encoder runs once (``get_image_embeddings``: three feature levels, the
first two already projected for the decoder), in bfloat16 autocast on CUDA; the levels are
the cache entry. Per prompt the processor normalises the prompts exactly as it does for
its own pipeline, the model runs on the cached levels (prompt encoder and mask decoder
only), and only the best mask (by the model's IoU head) is upscaled to the image, as
``post_process_masks`` upscales it (bilinear, then > 0), computed only over the rows and
columns a positive logit can reach (SAM 1's upscaler with its first stage the identity).

torch and transformers are imported here; this module is imported only when a model of
one of these families is loaded.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import cv2
import numpy as np
import torch

from ...errors import InputError
from .runtime import encoder_autocast, steps_of
from .sam1 import _Upscaler, file_fingerprint

__all__ = ["HFBackend", "load_folder"]


@contextlib.contextmanager
def _quiet():
    """transformers' loading bars and warnings off while a model loads (errors are ours to say)."""
    from transformers.utils import logging as hf_logging

    bar, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bar:
            hf_logging.enable_progress_bar()


def load_folder(model_cls, processor_cls, folder, device, title: str, config_types: tuple):
    """Load a model folder (``save_pretrained`` layout) with its processor, checked.

    Raises
    ------
    InputError
        A missing folder, a folder of another model, missing or unreadable weights.
    """
    from .models import family_of_folder

    folder = Path(folder).expanduser()
    module = family_of_folder(folder)  # the folder exists, has a config, and some family loads it
    import json

    kind = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    if kind not in config_types:
        raise InputError(
            f"{str(folder)!r} holds a {kind!r} model, not a {title} model; pass model_type={str(folder)!r} to load it as what it is."
        )
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        raise InputError(
            f"{str(folder)!r} has no weights (*.safetensors); download the model again with `interactive-seg models download NAME`."
        )
    try:
        with _quiet():
            processor = processor_cls.from_pretrained(str(folder))
            model, info = model_cls.from_pretrained(str(folder), output_loading_info=True)
    except Exception as exc:
        raise InputError(
            f"{str(folder)!r} could not be loaded as a {title} model ({type(exc).__name__}: {exc}); download it again."
        ) from exc
    missing = list(info.get("missing_keys") or ())
    if missing:
        raise InputError(
            f"{str(folder)!r} is not a whole {title} model: {len(missing)} weights are missing (such as {missing[0]}); download it again."
        )
    del module
    fingerprint = "".join(file_fingerprint(path) for path in weights)
    return model.to(device).eval(), processor, fingerprint[:32]


def _blocks(encoder) -> list:
    """The encoder's longest run of blocks (for progress), found without naming the architecture."""
    lists = [m for m in encoder.modules() if isinstance(m, torch.nn.ModuleList)]
    return list(max(lists, key=len)) if lists else []


class HFBackend:
    """One transformers SAM model (``Sam2Model``, ``Sam3TrackerModel``) with its processor.

    Same interface as :class:`~.sam1.Sam1Backend`.
    """

    def __init__(self, model, processor, device, model_key: str, precision=None, fast_decoder: bool = True):
        from .hf_decoder import HFDecoder, supports

        self.model, self.processor, self.device, self.model_key, self.precision = (
            model,
            processor,
            device,
            model_key,
            precision,
        )
        self.low = int(model.prompt_encoder.mask_input_size[0])
        self.levels = None
        self.original = None
        self._blocks = _blocks(model.vision_encoder)
        self._upscale = None
        # the image-wide positional encoding is a constant of the model: computed once here,
        # not on every prompt (the model's forward asks for it each call)
        with torch.inference_mode():
            pe = model.get_image_wide_positional_embeddings()
            model.get_image_wide_positional_embeddings = lambda: pe
            # the rearranged decoder (same masks): per-image work done once per image
            self._fast = HFDecoder(model) if fast_decoder and supports(model) else None

    @property
    def features(self):
        return self.levels

    # -- image ---------------------------------------------------------------------------
    def _pixels(self, rgbs: list) -> torch.Tensor:
        return self.processor.image_processor(images=list(rgbs), return_tensors="pt")["pixel_values"].to(self.device)

    def _embed(self, pixels: torch.Tensor) -> list:
        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            return [level.float() for level in self.model.get_image_embeddings(pixels)]

    @staticmethod
    def _entry(levels: list, index: int, rgb: np.ndarray) -> dict:
        entry = {
            f"level{i}": np.ascontiguousarray(level[index : index + 1].cpu().numpy()) for i, level in enumerate(levels)
        }
        entry["original_size"] = np.array(rgb.shape[:2])
        return entry

    def encode_steps(self, rgb: np.ndarray):
        """The vision encoder on one image: yields fractions (one per encoder block), then the entry."""
        pixels = self._pixels([rgb])
        levels = None
        for item in steps_of(lambda: self._embed(pixels), self._blocks):
            if isinstance(item, float):
                yield item
            else:
                levels = item
        yield self._entry(levels, 0, rgb)

    def encode_batch(self, rgbs: list) -> list:
        """The cache entries of several images, one encoder call."""
        levels = self._embed(self._pixels(rgbs))
        return [self._entry(levels, i, rgb) for i, rgb in enumerate(rgbs)]

    def attach(self, entry: dict) -> None:
        """Make ``entry`` (from the cache) the image prompts are answered on."""
        names = sorted((k for k in entry if k.startswith("level")), key=lambda k: int(k[5:]))
        self.levels = [torch.from_numpy(np.ascontiguousarray(entry[k])).to(self.device) for k in names]
        self.original = tuple(int(v) for v in entry["original_size"])
        if self._fast is not None:
            with torch.inference_mode():
                self._fast.attach(self.levels)
        # one bilinear stage, low -> image size (post_process_masks'), computed where a positive logit reaches
        self._upscale = _Upscaler(self.low, self.low, (self.low, self.low), self.original)

    # -- prompts -------------------------------------------------------------------------
    def prior_logits(self, prior: np.ndarray) -> np.ndarray:
        """A prior mask as the model's mask input: resized like the image (to the square input), as logits."""
        soft = cv2.resize(prior.astype(np.float32), (self.low, self.low), interpolation=cv2.INTER_AREA)
        soft = np.clip(soft, 1e-3, 1 - 1e-3)
        return (np.log(soft / (1 - soft)) * 2.0).astype(np.float32)

    def model_inputs(self, point_coords, point_labels, box, mask_input) -> dict:
        """The prompts as the model takes them, normalised by the family's own processor."""
        kwargs = {"original_sizes": [list(self.original)], "return_tensors": "pt"}
        if point_coords is not None:
            kwargs["input_points"] = [[[[float(x), float(y)] for x, y in point_coords]]]
            kwargs["input_labels"] = [[[int(v) for v in point_labels]]]
        if box is not None:
            kwargs["input_boxes"] = [[[float(v) for v in box]]]
        inputs = dict(self.processor(**kwargs))
        inputs.pop("original_sizes", None)
        if mask_input is not None:
            inputs["input_masks"] = torch.as_tensor(np.asarray(mask_input, np.float32)).reshape(
                1, 1, self.low, self.low
            )
        return {k: v.to(self.device) for k, v in inputs.items()}

    def decode(self, point_coords, point_labels, box, mask_input, multimask: bool):
        """(low-resolution logits of the best mask, its score, the mask at image size)."""
        inputs = self.model_inputs(point_coords, point_labels, box, mask_input)
        if self._fast is not None:
            return self._decode_fast(inputs, multimask)
        with torch.inference_mode():
            out = self.model(image_embeddings=self.levels, multimask_output=multimask, **inputs)
            scores = out.iou_scores[0, 0].float()
            best = int(torch.argmax(scores))
            low = out.pred_masks[0, 0, best].float().cpu().numpy()
        return low, float(scores[best]), self._upscale(low)

    def _decode_fast(self, inputs: dict, multimask: bool):
        """:meth:`decode` through :class:`~.hf_decoder.HFDecoder`: the model's prompt encoder on
        the processor's prompts, then the rearranged mask decoder."""
        with torch.inference_mode():
            points, labels = inputs.get("input_points"), inputs.get("input_labels")
            boxes, masks = inputs.get("input_boxes"), inputs.get("input_masks")
            if points is None and boxes is None:
                # as the model's forward: a prompt of a mask alone gets one "not a point" point
                points = torch.zeros(1, 1, 1, 2, device=self.device)
                labels = -torch.ones(1, 1, 1, dtype=torch.int32, device=self.device)
            sparse, dense = self.model.prompt_encoder(
                input_points=points, input_labels=labels, input_boxes=boxes, input_masks=masks
            )
            logits, score, _ = self._fast(sparse, multimask, None if masks is None else dense, self.levels[-1])
            low = logits.float().cpu().numpy()
        return low, float(score), self._upscale(low)
