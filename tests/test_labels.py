"""Label images <-> objects: the one pair of conversions, and label images into a COCO document."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interactive_seg import CocoDocument, InputError, labels_to_objects, objects_to_labels
from interactive_seg.labels import LabelObject, labels_into_document


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(1, 30),
    w=st.integers(1, 30),
    n=st.integers(0, 6),
    dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.int64]),
)
def test_split_then_paint_gives_the_label_image_back(seed, h, w, n, dtype):
    rng = np.random.default_rng(seed)
    values = rng.choice(np.arange(1, 200), size=n, replace=False) if n else []
    labels = np.zeros((h, w), dtype)
    for v in values:
        y, x = rng.integers(0, h), rng.integers(0, w)
        labels[y : y + rng.integers(1, 8), x : x + rng.integers(1, 8)] = v
    objects = labels_to_objects(labels, {int(v): f"c{v}" for v in values})
    assert [o.label for o in objects] == sorted(int(v) for v in np.unique(labels) if v > 0)
    for o in objects:
        assert o.crop.shape == (o.box[3] - o.box[1], o.box[2] - o.box[0]) and o.crop.any()
        assert np.array_equal(o.mask, labels == o.label) and o.area == int((labels == o.label).sum())
        assert o.crop[0].any() and o.crop[-1].any() and o.crop[:, 0].any() and o.crop[:, -1].any()  # tight
    back, classes = objects_to_labels((h, w), objects)
    assert np.array_equal(back, labels) and classes == {o.label: f"c{o.label}" for o in objects}


def test_classes_only_and_grey_rgb():
    labels = np.array([[0, 1, 1], [2, 0, 3]], np.uint16)
    assert [o.category for o in labels_to_objects(labels, ["a", "b"])] == ["a", "b", "object"]
    assert [o.category for o in labels_to_objects(labels, {3: "c"})] == ["object", "object", "c"]
    assert [o.label for o in labels_to_objects(labels, only=[3, 7])] == [3]
    rgb = np.repeat(labels[..., None], 3, axis=2).astype(np.uint8)
    assert [o.label for o in labels_to_objects(rgb)] == [1, 2, 3]
    assert labels_to_objects(np.zeros((4, 4), np.uint8)) == []


def test_paint_takes_full_masks_and_checks_them():
    class Full:
        def __init__(self, id, mask, category):
            self.id, self.mask, self.category = id, mask, category

    mask = np.zeros((3, 4), bool)
    mask[1, 1:3] = True
    labels, classes = objects_to_labels((3, 4), [Full(5, mask, "x")])
    assert labels.tolist() == [[0, 0, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0]] and classes == {5: "x"}
    with pytest.raises(InputError, match="image's size"):
        objects_to_labels((3, 5), [Full(5, mask, "x")])
    with pytest.raises(InputError, match="from 1 to"):
        objects_to_labels((3, 4), [Full(0, mask, "x")])
    with pytest.raises(InputError, match="outside"):
        objects_to_labels((3, 4), [LabelObject(1, "x", np.ones((2, 2), bool), (3, 0), (3, 4))])


def test_bad_label_images_and_classes():
    with pytest.raises(InputError, match="one channel of integers"):
        labels_to_objects(np.zeros((3, 3), float))
    with pytest.raises(InputError, match="one channel of integers"):
        labels_to_objects(np.zeros((3, 3, 3), np.uint8) + np.arange(3, dtype=np.uint8))
    with pytest.raises(InputError, match="keyed by label numbers"):
        labels_to_objects(np.ones((2, 2), np.uint8), {"cat": 1})
    with pytest.raises(InputError, match="list of names"):
        labels_to_objects(np.ones((2, 2), np.uint8), "cat")


def test_labels_into_a_document_changes_only_what_differs():
    doc = CocoDocument()
    image = doc.add_image("a.png", 6, 5)["id"]
    labels = np.zeros((5, 6), np.int32)
    labels[0:2, 0:2] = 3
    labels[3:5, 2:6] = 8
    added, removed = labels_into_document(doc, image, labels, {3: "cat", 8: "dog"}, {})
    assert removed == [] and sorted(added) == [3, 8]
    before = doc.dumps()
    assert labels_into_document(doc, image, labels, {3: "cat", 8: "dog"}, added) == ({}, [])
    assert doc.dumps() == before  # nothing differs: nothing changes
    labels_into_document(doc, image, labels, {3: "bird", 8: "dog"}, added, changed=[3])
    assert doc.category_name(doc.annotation(added[3])["category_id"]) == "bird"
    labels[labels == 8] = 0
    _, removed = labels_into_document(doc, image, labels, {3: "bird"}, added)
    assert removed == [added[8]] and doc.count(image) == 1
    with pytest.raises(InputError, match="labels of the image's size"):
        labels_into_document(doc, image, np.zeros((4, 4), np.int32), {}, {})


def test_full_size_masks_paint_as_boolean_indexing_would_in_either_memory_order():
    """Masks of the image's size (decoded annotations come in Fortran order) are painted
    within their box; later objects over earlier ones, empty masks paint nothing."""
    from types import SimpleNamespace

    rng = np.random.default_rng(1)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        objects = []
        for k in range(int(rng.integers(0, 5))):
            mask = rng.random((h, w)) < rng.random()
            if rng.random() < 0.5:
                mask = np.asfortranarray(mask)
            objects.append(SimpleNamespace(id=k + 1, category="c", mask=mask))
        expected = np.zeros((h, w), np.int32)
        for obj in objects:
            expected[obj.mask] = obj.id
        labels, _ = objects_to_labels((h, w), objects)
        assert np.array_equal(labels, expected)
