"""napari reader and writer: COCO JSON <-> Labels layers of objects with their classes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..export.coco import CocoImage, is_coco, read_coco, write_coco
from ..objects import ObjectSet
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
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not is_coco(data):
        return None
    return read_coco_layers


def read_coco_layers(path):
    """One ``objects`` Labels layer per image of the COCO file, classes in its features."""
    if isinstance(path, list):
        path = path[0]
    dataset = read_coco(path)
    layers = []
    for image in dataset.images:
        labels = np.zeros((image.height, image.width), np.int32)
        classes = {}
        for obj in image.objects:
            labels[obj.mask] = obj.id
            classes[obj.id] = obj.category
        name = L.OBJECTS if len(dataset.images) == 1 else f"{L.OBJECTS} [{image.file_name}]"
        meta = {
            "name": name,
            "features": L.class_features(classes),
            "metadata": {"coco_file_name": image.file_name, "coco_image_id": image.id, "coco_categories": dataset.categories},
        }
        layers.append((labels, meta, "labels"))
    return layers


def write_labels(path: str, data, meta: dict):
    """Write a Labels layer as a COCO file: one image, one annotation per label, its class from features."""
    labels = np.asarray(data)
    if labels.ndim != 2:
        raise InputError(f"Only 2-D label layers can be saved as COCO; this one has shape {labels.shape}.")
    classes = L.classes_from_features(meta.get("features"))
    objects = ObjectSet(labels.shape, labels, classes)
    metadata = meta.get("metadata") or {}
    file_name = metadata.get("coco_file_name") or f"{meta.get('name', 'image')}.png"
    from ..export.coco import CocoObject

    items = [CocoObject(objects.mask(i), objects.classes[i], i) for i in objects.ids]
    image = CocoImage(file_name, labels.shape[1], labels.shape[0], items, metadata.get("coco_image_id"))
    categories = metadata.get("coco_categories") or sorted(set(objects.classes.values()))
    write_coco(path, [image], categories)
    return [path]
