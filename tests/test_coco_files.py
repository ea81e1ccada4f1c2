"""COCO files as real tools write them: every one loads, masks equal pycocotools', nothing is lost.

The files (tests/coco_files.py) follow pycocotools / the COCO dataset, CVAT, Label Studio,
supervision (a real output file too), detection exports and string ids. Each goes through
``Session`` and the CLI; every annotation the user did not change must come back equal as
JSON, and a changed one keeps every key but the ones the change replaces.
"""

import contextlib
import io
import json

import cv2
import numpy as np
import pytest
from coco_files import STYLES, write_dataset
from pycocotools.coco import COCO

import interactive_seg as iseg
from interactive_seg import CocoDocument, Session, cli


def by_id(annotations) -> dict:
    return {json.dumps(a["id"]): a for a in annotations}


@pytest.fixture(params=sorted(STYLES))
def dataset(request, tmp_path):
    data, sizes = STYLES[request.param]()
    path = write_dataset(tmp_path / "data set", data, sizes)
    return request.param, path, json.loads(path.read_text()), sizes


def test_every_mask_equals_pycocotools_ann_to_mask(dataset):
    style, path, original, _ = dataset
    doc = CocoDocument.open(path)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    masks = 0
    for ann in original["annotations"]:
        if not ann.get("segmentation"):
            assert not doc.has_mask(ann["id"])  # box-only: kept, no mask
            continue
        expected = coco.annToMask(ann).astype(bool)
        assert expected.any()
        assert np.array_equal(doc.mask(ann["id"]), expected), (style, ann["id"])
        masks += 1
    assert masks >= 4
    assert iseg.check_coco(path) == []  # area and bbox of polygon tools are fine
    assert json.loads(doc.dumps()) == original  # nothing changed: the same JSON


def test_read_coco_gives_every_object(dataset):
    _, path, original, _ = dataset
    read = iseg.read_coco(path)
    with_masks = [a for a in original["annotations"] if a.get("segmentation")]
    assert sum(len(im.objects) for im in read.images) == len(with_masks)
    names = {c["id"]: c["name"] for c in original["categories"]}
    objects = {json.dumps(o.id): o for im in read.images for o in im.objects}
    for ann in with_masks:
        assert objects[json.dumps(ann["id"])].category == names[ann["category_id"]]


def test_session_changes_only_what_the_user_changed(dataset):
    style, path, original, sizes = dataset
    folder = path.parent
    session = Session.open(folder, annotations=path)
    assert sorted(session.images) == sorted(sizes)  # images in sub folders are listed by their path
    assert sum(session.count(name) for name in session.images) == sum(
        1 for a in original["annotations"] if a.get("segmentation")
    )
    first, second = session.images[0], session.images[1]
    objects = session.objects(first)
    renamed, reshaped = objects[0], objects[-1]
    session.replace(renamed.id, category="a new class")
    session.replace(reshaped.id, mask=np.ones((3, 4), bool), offset=(1, 2))
    removed = session.objects(second)[0]
    session.remove(removed.id)
    h, w = sizes[second]
    added_mask = np.zeros((h, w), bool)
    added_mask[5:9, 6:12] = True
    added = session.add(second, added_mask, "cat")
    session.save()  # folds the session's journal into the COCO file

    saved = json.loads(path.read_text())
    before, after = by_id(original["annotations"]), by_id(saved["annotations"])
    touched = {json.dumps(o.annotation_id) for o in (renamed, reshaped, removed)}
    for key, ann in before.items():
        if key not in touched:
            assert after[key] == ann, (style, key)  # untouched: equal as JSON
    old, new = before[json.dumps(renamed.annotation_id)], after[json.dumps(renamed.annotation_id)]
    assert {k for k in old if old[k] != new[k]} == {"category_id"} and list(new) == list(old)
    old, new = before[json.dumps(reshaped.annotation_id)], after[json.dumps(reshaped.annotation_id)]
    assert {k for k in old if old[k] != new.get(k)} <= {"segmentation", "area", "bbox"} and set(new) == set(old)
    assert json.dumps(removed.annotation_id) not in after
    assert saved["images"] == original["images"]
    assert saved["categories"][: len(original["categories"])] == original["categories"]
    assert [k for k in saved if k != "info"] == [k for k in original if k != "info"]
    if "info" in original:
        assert {k: v for k, v in saved["info"].items() if k != "interactive_seg_next_annotation_id"} == original["info"]
    new_ids = [a["id"] for a in saved["annotations"] if json.dumps(a["id"]) not in before]
    assert len(new_ids) == 1
    if all(isinstance(a["id"], str) for a in original["annotations"]):
        assert isinstance(new_ids[0], str)  # ids stay of the file's kind

    again = Session.open(folder, annotations=path)
    got = {o.annotation_id: o for o in again.objects(first)}
    assert got[renamed.annotation_id].category == "a new class"
    assert int(got[reshaped.annotation_id].mask.sum()) == 12
    assert [o.mask.sum() for o in again.objects(second) if o.id == added] == [24]
    assert again.count(second) == session.count(second)
    labels, classes = again.labels(second, (h, w))
    assert set(np.unique(labels)) - {0} == set(classes) and len(classes) == again.count(second)


def test_cli_label_image_into_an_existing_file_keeps_the_rest(dataset, tmp_path):
    style, path, original, sizes = dataset
    name = sorted(sizes)[0]
    h, w = sizes[name]
    labels = np.zeros((h, w), np.uint8)
    labels[2:8, 3:10] = 1
    labels[10:15, 12:20] = 2
    label_path = tmp_path / "labels.png"
    cv2.imwrite(str(label_path), labels)
    image_path = path.parent / name
    args = [
        "export",
        "--image",
        str(image_path),
        "--labels",
        str(label_path),
        "--classes",
        "cat,bicycle",
        "--out",
        str(tmp_path / "cut"),
        "--coco",
        str(path),
        "-q",
    ]
    assert cli.main(args) == 0
    saved = json.loads(path.read_text())
    record = next(im for im in original["images"] if im["file_name"] == name)
    assert saved["images"] == original["images"]  # found by path or base name: no second entry
    others = [a for a in original["annotations"] if a["image_id"] != record["id"]]
    assert [a for a in saved["annotations"] if a["image_id"] != record["id"]] == others
    boxes = [a for a in original["annotations"] if a["image_id"] == record["id"] and not a.get("segmentation")]
    mine = [a for a in saved["annotations"] if a["image_id"] == record["id"] and a not in boxes]
    assert len(mine) == 2  # its objects with a mask replaced; its boxes alone (a detection export's) kept
    assert [a for a in saved["annotations"] if a["image_id"] == record["id"] and a in boxes] == boxes
    old_ids = [a["id"] for a in original["annotations"] if a["image_id"] == record["id"]]
    assert not {json.dumps(a["id"]) for a in mine} & {json.dumps(i) for i in old_ids}  # ids are not reused
    assert {k: v for k, v in saved.items() if k not in ("annotations", "categories")} == {
        k: v for k, v in original.items() if k not in ("annotations", "categories")
    }
    assert saved["categories"][: len(original["categories"])] == original["categories"]
    doc = CocoDocument.open(path)
    names = [doc.category_name(a["category_id"]) for a in mine]
    assert names == ["cat", "bicycle"]
    assert [int(doc.mask(a["id"]).sum()) for a in mine] == [42, 40]


def test_cli_exports_every_object_of_the_file(dataset, tmp_path, capsys):
    style, path, original, sizes = dataset
    out = tmp_path / "cutouts"
    assert cli.main(["export", "--coco", str(path), "--images", str(path.parent), "--out", str(out), "--crop"]) == 0
    written = sorted(p.name for p in out.glob("*.png"))
    assert len(written) == sum(1 for a in original["annotations"] if a.get("segmentation"))
    assert f"Wrote {len(written)} cutouts" in capsys.readouterr().out
    # the images found by base name when the file's folders are not there (as Label Studio paths)
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in sizes:
        (flat / name.split("/")[-1]).write_bytes((path.parent / name).read_bytes())
    assert cli.main(["export", "--coco", str(path), "--images", str(flat), "--out", str(tmp_path / "again"), "-q"]) == 0
    again = sorted(p.name for p in (tmp_path / "again").glob("*.png"))
    # named by their path in --images: the same names less the folders that are not there
    assert len(again) == len(written) and all(any(w.endswith(a) for w in written) for a in again)


def test_cli_check_and_check_strict_accept_the_file_as_its_tool_wrote_it(dataset, capsys):
    style, path, original, _ = dataset
    assert cli.main(["check", str(path)]) == 0
    assert "No problems." in capsys.readouterr().out
    code = cli.main(["check", str(path), "--strict", "-q"])
    out = capsys.readouterr().out
    # polygons written with their own (geometric) area and corner-point box, as COCO's own
    # files and these tools write them, are within what rasterising them moves: no problem;
    # supervision gives the area of the mask its polygon was simplified from (5 % more)
    if style == "supervision_real":
        assert code == 1 and "has the area" in out
    else:
        assert code == 0, out


def test_the_real_supervision_package_output_loads(tmp_path):
    sv = pytest.importorskip("supervision")
    rng = np.random.default_rng(7)
    paths, annotations = [], {}
    for i in range(3):
        h, w = 50 + 5 * i, 70
        path = tmp_path / f"img{i}.png"
        cv2.imwrite(str(path), (rng.random((h, w, 3)) * 255).astype(np.uint8))
        masks = np.zeros((2, h, w), bool)
        masks[0, 5:30, 5:40] = True
        masks[1, 20:45, 30:65] = True
        masks[1, 30:35, 40:45] = False  # a hole: supervision writes it as crowd RLE
        annotations[str(path)] = sv.Detections(
            xyxy=sv.mask_to_xyxy(masks).astype(float), mask=masks, class_id=np.array([0, 1])
        )
        paths.append(str(path))
    dataset = sv.DetectionDataset(classes=["a", "b"], images=paths, annotations=annotations)
    coco_path = tmp_path / "sv.json"
    dataset.as_coco(images_directory_path=str(tmp_path / "images"), annotations_path=str(coco_path))
    doc = CocoDocument.open(coco_path)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(coco_path))
    for ann in doc.annotations():
        assert np.array_equal(doc.mask(ann["id"]), coco.annToMask(ann).astype(bool))
    assert (
        cli.main(
            [
                "export",
                "--coco",
                str(coco_path),
                "--images",
                str(tmp_path / "images"),
                "--out",
                str(tmp_path / "o"),
                "-q",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "o").glob("*.png"))) == 6


def test_a_stray_one_point_polygon_beside_real_ones_refuses_nothing(tmp_path, capsys):
    """coco-annotator leaves one-point parts ([128.0, 128.0]) beside an object's polygons
    (jsbroks/coco-annotator#526): the whole file was refused (session, export, segment
    --coco) though pycocotools decodes the object."""
    cv2.imwrite(str(tmp_path / "a.png"), np.full((40, 60, 3), 90, np.uint8))
    real = [10, 5, 30, 5, 30, 20, 10, 20]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 60, "height": 40}],
        "categories": [{"id": 1, "name": "o"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [real, [30.0, 20.0]], "area": 300.0,
             "bbox": [10, 5, 20, 15], "iscrowd": 0}
        ],
    }  # fmt: skip
    coco = tmp_path / "annotations.coco.json"
    coco.write_text(json.dumps(data))
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = COCO(str(coco)).annToMask(COCO(str(coco)).anns[1]).astype(bool)
    with Session.open(tmp_path) as session:
        (obj,) = session.objects("a.png")
        assert np.array_equal(obj.mask, theirs) and theirs.sum() == 300
        session.add("a.png", np.pad(np.ones((5, 5), bool), ((30, 5), (50, 5))), "o")
    after = json.loads(coco.read_text())
    assert after["annotations"][0] == data["annotations"][0]  # the stray part kept as it was
    assert cli.main(["check", str(coco)]) == 1
    assert "1 polygon part of fewer than 3 points beside its others" in capsys.readouterr().out


def test_a_class_named_twice_takes_new_objects_where_its_annotations_are(tmp_path, capsys):
    """Roboflow's exports put a placeholder {"id": 0, "name": "car", "supercategory": "none"}
    before the class car every annotation has: new objects went to the placeholder."""
    cv2.imwrite(str(tmp_path / "a.png"), np.full((40, 60, 3), 90, np.uint8))
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 60, "height": 40}],
        "categories": [{"id": 0, "name": "car", "supercategory": "none"}, {"id": 1, "name": "car", "supercategory": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[10, 5, 30, 5, 30, 20, 10, 20]], "area": 300.0,
             "bbox": [10, 5, 20, 15], "iscrowd": 0}
        ],
    }  # fmt: skip
    coco = tmp_path / "annotations.coco.json"
    coco.write_text(json.dumps(data))
    assert CocoDocument.open(coco).category_id("car") == 1
    with Session.open(tmp_path) as session:
        added = session.add("a.png", np.pad(np.ones((5, 5), bool), ((30, 5), (50, 5))), "car")
    assert [a["category_id"] for a in json.loads(coco.read_text())["annotations"] if a["id"] == added] == [1]
    assert cli.main(["check", str(coco)]) == 1
    assert "Categories 0 and 1 are both called 'car'" in capsys.readouterr().out
