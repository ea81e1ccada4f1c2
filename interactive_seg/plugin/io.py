"""napari reader and writer: COCO JSON <-> Labels layers of objects with their classes.

Both go through :class:`~interactive_seg.coco.CocoDocument` and the label-image
conversions of :mod:`interactive_seg.labels`. Saving a layer to a COCO file that exists
changes only that image's objects: everything else in the file stays as it was.
"""

from __future__ import annotations

from pathlib import Path

from ..coco.document import CocoDocument, is_coco, load_json
from ..errors import InputError
from ..export.dataset import add_to_coco
from ..labels import labels_to_objects, objects_to_labels
from . import layers as L


def get_reader(path):
    """A reader for COCO files; None for anything else (other JSON included)."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    try:
        data = load_json(path)
    except InputError:
        return None
    if not is_coco(data):
        return None
    return read_coco_layers


class _Annotation:
    """One annotation as an object to paint: its label value (the annotation's place), class and mask."""

    def __init__(self, doc: CocoDocument, ann: dict, label: int):
        self._doc, self._id, self.label = doc, ann["id"], label
        self.category = doc.category_name(ann["category_id"])

    @property
    def mask(self):
        return self._doc.mask(self._id)


def read_coco_layers(path):
    """One ``objects`` Labels layer per image of the COCO file, classes in its features.

    Label values are the annotation ids where those are whole numbers from 1 up (what
    this package writes), else 1, 2, ... in file order; ``metadata["coco_annotation_ids"]``
    maps label values to the file's ids. Box-only annotations have no pixels and are
    left out.
    """
    if isinstance(path, list):
        path = path[0]
    doc = CocoDocument.open(path)
    categories = {}
    for category in doc.categories:
        categories.setdefault(str(category["name"]), category["id"])
    layers = []
    for image in doc.images:
        anns = [a for a in doc.annotations(image["id"]) if doc.has_mask(a["id"])]
        plain = all(isinstance(a["id"], int) and not isinstance(a["id"], bool) and 1 <= a["id"] < 2**31 for a in anns)
        objects = [_Annotation(doc, a, a["id"] if plain else n) for n, a in enumerate(anns, start=1)]
        labels, classes = objects_to_labels((int(image["height"]), int(image["width"])), objects)
        name = L.OBJECTS if len(doc.images) == 1 else f"{L.OBJECTS} [{image['file_name']}]"
        meta = {
            "name": name,
            "features": L.class_features(classes),
            "metadata": {
                "coco_file_name": image["file_name"],
                "coco_image_id": image["id"],
                "coco_categories": categories,
                "coco_annotation_ids": {o.label: o._id for o in objects},
            },
        }
        layers.append((labels, meta, "labels"))
    return layers


def write_labels(path: str, data, meta: dict):
    """Write a Labels layer into a COCO file: one annotation per label, its class from features.

    A new file holds this one image; an existing COCO file keeps everything else it holds
    and gets this image's objects in place of the ones it had.
    """
    import numpy as np

    labels = np.asarray(data)
    if labels.ndim != 2:
        raise InputError(f"Only 2-D label layers can be saved as COCO; this one has shape {labels.shape}.")
    classes = L.classes_from_features(meta.get("features"))
    objects = labels_to_objects(labels, classes)
    metadata = meta.get("metadata") or {}
    file_name = metadata.get("coco_file_name") or f"{meta.get('name', 'image')}.png"
    categories = metadata.get("coco_categories") or sorted({o.category for o in objects})
    add_to_coco(path, str(file_name), labels.shape[1], labels.shape[0], objects, list(categories))
    return [path]
