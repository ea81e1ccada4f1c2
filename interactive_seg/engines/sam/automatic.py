"""Automatic masks over a point grid with a model of the ``sam`` engine, each family through
its own generator; :mod:`interactive_seg.proposals.everything` makes proposals of them.

- SAM 1 / MobileSAM: ``segment_anything``'s ``SamAutomaticMaskGenerator`` on the engine's
  model (its filters: predicted IoU, stability, box NMS).
- SAM 2.1 and SAM 3's tracker: the engine's own prompt path on the image's cached
  embedding, one foreground point per grid cell, three masks each; the filters are
  transformers' mask-generation ones (``filter_masks`` and
  ``post_process_for_mask_generation`` of the family's image processor: predicted IoU,
  stability, NMS with torchvision's ``batched_nms``), as its ``mask-generation`` pipeline
  applies them.

``filters`` is anything with the attributes ``pred_iou``, ``stability``, ``offset`` and
``nms`` (:class:`interactive_seg.proposals.everything.Filters`). Masks come back as
``(mask, score)`` pairs, a full-size bool array and the predicted IoU.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["grid_masks", "image_processor", "sam1_masks", "suppress", "threshold"]


def image_processor(given=None):
    """``given``, or transformers' ``Sam2ImageProcessor`` (whose mask-generation filters every family shares)."""
    if given is not None:
        return given
    from transformers import Sam2ImageProcessor

    return Sam2ImageProcessor()


def threshold(processor, logits, scores, filters) -> tuple:
    """transformers' per-batch filters: predicted IoU, stability; the masks as RLE with their boxes."""
    logits = torch.as_tensor(np.asarray(logits, np.float32))
    scores = torch.as_tensor(np.asarray(scores, np.float32))
    height, width = logits.shape[-2:]
    return processor.filter_masks(
        logits.reshape(-1, 1, height, width),
        scores.reshape(-1, 1),
        (height, width),
        [0, 0, width, height],
        pred_iou_thresh=filters.pred_iou,
        stability_score_thresh=filters.stability,
        mask_threshold=0.0,
        stability_score_offset=filters.offset,
    )


def suppress(processor, rles: list, scores: list, boxes: list, nms: float) -> list:
    """transformers' NMS over every batch's survivors (:func:`threshold`'s outputs): ``(mask, score)`` pairs."""
    if not rles:
        return []
    masks, scores, _, _ = processor.post_process_for_mask_generation(rles, torch.cat(scores), torch.cat(boxes), nms)
    return [(np.asarray(m, bool), float(s)) for m, s in zip(masks, scores.tolist())]


def sam1_masks(model, rgb: np.ndarray, points_per_side: int, points_per_batch: int, filters) -> list:
    """``SamAutomaticMaskGenerator``'s masks of ``rgb``: its records (``segmentation``,
    ``predicted_iou``, ``stability_score``, ...)."""
    from segment_anything import SamAutomaticMaskGenerator

    generator = SamAutomaticMaskGenerator(
        model,
        points_per_side=points_per_side,
        points_per_batch=points_per_batch,
        pred_iou_thresh=filters.pred_iou,
        stability_score_thresh=filters.stability,
        stability_score_offset=filters.offset,
        box_nms_thresh=filters.nms,
    )
    return generator.generate(rgb)


def grid_masks(backend, rgb: np.ndarray, points: np.ndarray, points_per_batch: int, filters):
    """The masks of a transformers family's ``backend`` (its image embedded already) prompted
    with each of ``points`` (``(n, 2)`` as ``(x, y)`` pixels): yields the fraction of the
    points decoded after each batch, then the ``(mask, score)`` pairs that pass ``filters``."""
    processor = backend.processor.image_processor
    height, width = rgb.shape[:2]
    rles, scores, boxes = [], [], []
    for first in range(0, len(points), points_per_batch):
        batch = points[first : first + points_per_batch]
        inputs = backend.processor(
            input_points=[[[[float(x), float(y)]] for x, y in batch]],
            input_labels=[[[1] for _ in batch]],
            original_sizes=[[height, width]],
            return_tensors="pt",
        )
        inputs = {k: v.to(backend.device) for k, v in inputs.items() if k != "original_sizes"}
        with torch.inference_mode():
            out = backend.model(image_embeddings=backend.levels, multimask_output=True, **inputs)
            logits = processor.post_process_masks(out.pred_masks.float().cpu(), [[height, width]], binarize=False)[0]
        got = threshold(processor, logits, out.iou_scores[0].float().cpu(), filters)
        rles += got[0]
        scores.append(got[1])
        boxes.append(got[2])
        yield min(1.0, (first + len(batch)) / len(points))
    yield suppress(processor, rles, scores, boxes, filters.nms)
