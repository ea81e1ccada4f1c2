"""Proposals as COCO: detection results (the list ``pycocotools.coco.COCO.loadRes`` reads,
one ``score`` per annotation) or a whole dataset (images, categories, annotations, each
with a provenance record). Plain numpy and pycocotools; no torch."""

from __future__ import annotations

from ..coco.segmentation import mask_to_segmentation

__all__ = ["dataset", "detection"]


def detection(proposal, image_id, category_id) -> dict:
    """One proposal as a COCO detection result: RLE segmentation, bbox, area, score."""
    fields = mask_to_segmentation(proposal.crop, offset=proposal.offset, shape=proposal.shape)
    return {
        "image_id": image_id,
        "category_id": category_id,
        "segmentation": fields["segmentation"],
        "bbox": fields["bbox"],
        "area": fields["area"],
        "score": round(float(proposal.score), 6),
    }


def dataset(images: list, categories: list, detections: list, records: list) -> dict:
    """A COCO dataset of ``images`` (dicts with id, file_name, width, height), ``categories``
    (dicts with id, name) and ``detections`` (from :func:`detection`), the i-th with the
    provenance record ``records[i]`` under :data:`interactive_seg.provenance.KEY`."""
    from ..provenance import KEY

    annotations = []
    for number, (det, record) in enumerate(zip(detections, records), start=1):
        annotations.append({"id": number, **det, "iscrowd": 0, KEY: record})
    return {"images": list(images), "categories": list(categories), "annotations": annotations}
