import contextlib
import io
import json
import os

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from interactive_seg import InputError
from interactive_seg.export.coco import (
    CocoImage,
    CocoObject,
    check_coco,
    mask_to_segmentation,
    read_coco,
    to_coco,
    write_coco,
)


def random_mask(rng, h, w, holes=True):
    m = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(2, max(3, w // 3))), int(rng.integers(2, max(3, h // 3))))
        cv2.ellipse(m, centre, axes, float(rng.integers(0, 180)), 0, 360, 1, -1)
    if holes and rng.random() < 0.5:
        ys, xs = np.nonzero(m)
        if len(ys):
            i = rng.integers(len(ys))
            cv2.circle(m, (int(xs[i]), int(ys[i])), int(rng.integers(1, 4)), 0, -1)
    if not m.any():
        m[h // 2, w // 2] = 1
    return m.astype(bool)


def dataset(seed=0, n_images=3, polygons=False):
    rng = np.random.default_rng(seed)
    images = []
    for i in range(n_images):
        h, w = int(rng.integers(20, 70)), int(rng.integers(20, 90))
        objects = [CocoObject(random_mask(rng, h, w), ["cat", "dog", "bird"][rng.integers(3)]) for _ in range(rng.integers(1, 5))]
        images.append(CocoImage(f"image {i} ü.png", w, h, objects))
    return images


def test_rle_round_trip_is_pixel_exact(tmp_path):
    images = dataset()
    path = write_coco(tmp_path / "données.json", images, ["cat", "dog", "bird"])
    back = read_coco(path)
    assert back.categories == {"cat": 1, "dog": 2, "bird": 3}
    for a, b in zip(images, back.images):
        assert (a.file_name, a.width, a.height, a.id) == (b.file_name, b.width, b.height, b.id)
        for oa, ob in zip(a.objects, b.objects):
            assert oa.category == ob.category and oa.id == ob.id
            assert (oa.mask == ob.mask).all()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(isinstance(a["segmentation"]["counts"], str) for a in data["annotations"])
    assert all(a["iscrowd"] == 0 for a in data["annotations"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), h=st.integers(1, 40), w=st.integers(1, 40))
def test_rle_round_trip_property(seed, h, w):
    rng = np.random.default_rng(seed)
    mask = rng.random((h, w)) < rng.random()
    images = [CocoImage("x.png", w, h, [CocoObject(mask, "a")])]
    back = read_coco(to_coco(images))
    assert (back.images[0].objects[0].mask == mask).all()


def test_ids_are_stable_when_saved_again(tmp_path):
    images = dataset()
    first = to_coco(images)
    back = read_coco(first)
    back.images[0].objects.append(CocoObject(np.ones((back.images[0].height, back.images[0].width), bool), "zebra"))
    again = to_coco(back.images, back.categories)
    old = {(a["id"], a["image_id"], a["category_id"]) for a in first["annotations"]}
    new = {(a["id"], a["image_id"], a["category_id"]) for a in again["annotations"]}
    assert old < new and len(new - old) == 1
    assert {c["name"]: c["id"] for c in again["categories"]}["zebra"] == max(c["id"] for c in first["categories"]) + 1
    assert [i["id"] for i in again["images"]] == [i["id"] for i in first["images"]]


def test_area_and_bbox_agree_with_pycocotools():
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:9] = True
    fields = mask_to_segmentation(mask)
    assert fields["area"] == 18.0 and fields["bbox"] == [3.0, 2.0, 6.0, 3.0]


def test_polygons_one_per_part_and_holes_fall_back_to_rle():
    two = np.zeros((30, 40), bool)
    two[2:10, 2:10] = True
    two[15:25, 20:35] = True
    seg = mask_to_segmentation(two, polygons=True)["segmentation"]
    assert isinstance(seg, list) and len(seg) == 2 and all(len(p) >= 6 for p in seg)
    holed = np.zeros((30, 40), bool)
    holed[5:25, 5:35] = True
    holed[10:15, 10:15] = False
    assert isinstance(mask_to_segmentation(holed, polygons=True)["segmentation"], dict)
    dot = np.zeros((5, 5), bool)
    dot[2, 2] = True
    seg = mask_to_segmentation(dot, polygons=True)["segmentation"]
    if isinstance(seg, list):  # a one-pixel part is still drawn faithfully, or written as RLE
        assert all(len(p) >= 6 for p in seg)
    back = read_coco(to_coco([CocoImage("d.png", 5, 5, [CocoObject(dot, "a")])], polygons=True)).images[0].objects[0].mask
    assert (back == dot).all()


def test_polygons_lose_at_most_boundary_pixels():
    rng = np.random.default_rng(3)
    ious = []
    for _ in range(100):
        mask = random_mask(rng, 50, 60)
        fields = mask_to_segmentation(mask, polygons=True)
        back = read_coco(to_coco([CocoImage("a.png", 60, 50, [CocoObject(mask, "a")])], polygons=True)).images[0].objects[0].mask
        inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        outer = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        assert not (inner & ~back).any() and not (back & ~outer).any()
        ious.append((back & mask).sum() / (back | mask).sum())
        if isinstance(fields["segmentation"], list):
            assert all(len(p) >= 6 for p in fields["segmentation"])
    assert np.mean(ious) > 0.99


@pytest.mark.parametrize("polygons", [False, True])
def test_cocoeval_of_the_file_against_itself_gives_ap_1(tmp_path, polygons):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    path = write_coco(tmp_path / "gt.json", dataset(seed=5, n_images=4), polygons=polygons)
    data = json.loads(path.read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(path))
        results = [dict(a, score=1.0) for a in data["annotations"]]
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)


def test_check_says_what_is_wrong():
    data = to_coco(dataset(n_images=2))
    data["annotations"][0]["image_id"] = 999
    data["annotations"][1]["category_id"] = 77
    data["annotations"][2]["bbox"] = [0, 0, 1, 1]
    data["annotations"].append(dict(data["annotations"][3]))
    data["images"].append(dict(data["images"][0]))
    problems = check_coco(data)
    text = " ".join(problems)
    assert "image 999" in text and "category 77" in text and "bbox" in text
    assert "used twice" in text
    with pytest.raises(InputError, match="problems"):
        read_coco(data)
    assert check_coco({"images": []}) == ["'annotations' is missing or not a list.", "'categories' is missing or not a list."]


def test_check_flags_area_and_undecodable_segmentations():
    data = to_coco(dataset(n_images=2))
    data["annotations"][0]["area"] = 1e9
    data["annotations"][1]["segmentation"] = [[1, 2]]
    data["annotations"][2]["segmentation"] = {"size": [1, 1], "counts": "0"}
    text = " ".join(check_coco(data))
    assert "area 1000000000.0" in text
    assert f"annotation {data['annotations'][1]['id']} cannot be decoded: a polygon needs at least 3" in text
    assert "is not the image's" in text


def test_corrupt_and_foreign_files(tmp_path):
    path = tmp_path / "broken.json"
    good = json.dumps(to_coco(dataset()))
    path.write_text(good[: len(good) // 2])
    with pytest.raises(InputError, match="not valid JSON"):
        read_coco(path)
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a COCO dataset"):
        read_coco(other)
    with pytest.raises(InputError, match="no COCO file"):
        read_coco(tmp_path / "missing.json")


def test_unwritable_target_touches_nothing(tmp_path, monkeypatch):
    target = tmp_path / "ro"
    target.mkdir()
    existing = target / "keep.json"
    existing.write_text("old")
    os.chmod(target, 0o500)
    if os.access(target, os.W_OK):  # root writes anywhere: make the folder refuse as a read-only one would
        import tempfile

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        with pytest.raises(InputError, match="writable folder"):
            write_coco(target / "keep.json", dataset())
        assert existing.read_text() == "old"
        assert [p.name for p in target.iterdir()] == ["keep.json"]
    finally:
        os.chmod(target, 0o700)


def test_missing_folder_and_mask_of_wrong_size(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_coco(tmp_path / "no" / "x.json", dataset())
    with pytest.raises(InputError, match="image's size"):
        to_coco([CocoImage("a.png", 10, 10, [CocoObject(np.ones((5, 5), bool), "a")])])


def test_write_failure_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    write_coco(path, dataset(seed=1))
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InputError, match="No space left"):
        write_coco(path, dataset(seed=2))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
