"""napari readers and writer: COCO JSON <-> Labels layers of objects with their classes,
and JPEG photographs shown upright (napari's own reader ignores their EXIF orientation).

The COCO reader and writer go through :class:`~interactive_seg.coco.CocoDocument` and the label-image
conversions of :mod:`interactive_seg.labels`. Saving a layer to a COCO file that exists
changes only that image's objects: everything else in the file stays as it was. The writer
is the file's one writer while it saves (:func:`~interactive_seg.model.writers.edit_document`:
a folder that a session holds open is refused in a sentence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..coco.document import CocoDocument, is_coco, load_json
from ..coco.locate import size_finder
from ..errors import InputError
from ..files import image_orientation, orient
from ..labels import DEFAULT_CLASS, labels_into_document, objects_to_labels
from ..model.store import read_document
from ..model.writers import edit_document
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


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".tif", ".tiff", ".png", ".webp")


def upright_layer(layer) -> bool:
    """Turn a photograph that napari's own reader opened as stored (a phone photo lying on its
    side) upright, as its EXIF orientation says and every photo viewer shows it; True when turned.

    The plugin registers no JPEG reader of its own: two readers for one file type make napari
    ask which to use at every File > Open, and make ``viewer.open(path)`` in a script raise.
    The widget calls this on each image the user opens instead.
    """
    source = getattr(layer, "source", None)
    path = getattr(source, "path", None)
    if not path or layer.multiscale or Path(path).suffix.lower() not in PHOTO_SUFFIXES or not Path(path).is_file():
        return False
    if getattr(source, "reader_plugin", None) not in ("napari", "builtins") or layer.metadata.get(
        "interactive_seg_upright"
    ):
        return False  # opened by another plugin, or turned already
    orientation = image_orientation(path)
    if orientation in (None, 1):
        return False
    layer.data = orient(np.asarray(layer.data), orientation)
    layer.metadata["interactive_seg_upright"] = True
    return True


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
    # as its sessions see it (a journal not folded in yet); a null size from the image beside it
    doc = read_document(Path(path), image_size=size_finder(Path(path).parent))
    categories = {}
    for category in doc.categories:
        categories.setdefault(str(category["name"]), category["id"])
    layers = []
    for image in doc.images:
        anns = [a for a in doc.annotations(image["id"]) if doc.has_mask(a["id"])]
        plain = all(isinstance(a["id"], int) and not isinstance(a["id"], bool) and 1 <= a["id"] < 2**31 for a in anns)
        objects = [_Annotation(doc, a, a["id"] if plain else n) for n, a in enumerate(anns, start=1)]
        labels, classes = objects_to_labels(doc.image_size(image["id"]), objects)
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

    A new file holds this one image, with the label values as annotation ids. An existing
    COCO file keeps everything else it holds; this image's objects become the layer's:
    objects the reader gave the layer (``metadata["coco_annotation_ids"]``) keep their
    annotations, changed only where the layer differs, and new labels become new
    annotations (the label value as id where it is free).
    """
    labels = np.asarray(data)
    if labels.ndim != 2:
        raise InputError(f"Only 2-D label layers can be saved as COCO; this one has shape {labels.shape}.")
    classes = L.classes_from_features(meta.get("features"))
    metadata = meta.get("metadata") or {}
    file_name = str(metadata.get("coco_file_name") or f"{meta.get('name', 'image')}.png")
    path = Path(path)
    with edit_document(path, where=repr(str(path))) as doc:  # the folder's lock; atomic; a session's journal first
        _labels_into(doc, path, labels, classes, metadata, file_name)
    return [str(path)]


def _labels_into(doc, path: Path, labels, classes: dict, metadata: dict, file_name: str) -> None:
    present = [int(v) for v in np.unique(labels) if v > 0]
    named = classes
    classes = {v: named.get(v, DEFAULT_CLASS) for v in present}
    for name in metadata.get("coco_categories") or sorted(set(classes.values())):
        doc.category_id(str(name), create=True)
    records = doc.find_images(file_name)
    if records and doc.image_size(records[0]["id"]) != labels.shape:
        raise InputError(
            f"{str(path)!r} says {records[0]['file_name']!r} is {records[0]['width']} x {records[0]['height']}, "
            f"but the layer is {labels.shape[1]} x {labels.shape[0]}; save it to another file."
        )
    image_id = records[0]["id"] if records else doc.add_image(file_name, labels.shape[1], labels.shape[0])["id"]
    mine = {a["id"] for a in doc.annotations(image_id) if doc.has_mask(a["id"])}
    known = {int(k): v for k, v in (metadata.get("coco_annotation_ids") or {}).items() if v in mine}
    if not metadata.get("coco_annotation_ids"):  # a layer not read from this file: it replaces the image's objects
        for ann_id in mine:
            doc.remove_annotation(ann_id)
    for label, ann_id in known.items():  # also those the layer cannot show: wholly under other objects
        if label not in classes:
            classes[label] = named.get(label) or doc.category_name(doc.annotation(ann_id)["category_id"])

    taken = {a["id"] for a in doc.annotations()}
    numbers = not any(isinstance(i, str) for i in taken)

    def new_id(label):
        return label if numbers and label not in taken else None

    labels_into_document(doc, image_id, labels, classes, known, new_id=new_id)
