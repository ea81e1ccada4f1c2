import json

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, cli, read_coco, read_image, write_image
from interactive_seg.export import export_dataset
from interactive_seg.labels import labels_to_objects, read_classes


@pytest.fixture
def labelled(tmp_path):
    image = np.zeros((40, 50, 3), np.uint8)
    image[..., 1] = 120
    labels = np.zeros((40, 50), np.uint8)
    labels[5:15, 5:20] = 1
    labels[20:35, 25:45] = 2
    labels[30:38, 2:8] = 3
    folder = tmp_path / "in put"
    folder.mkdir()
    write_image(folder / "scène.png", image)
    cv2.imwrite(str(folder / "labels.png"), labels)
    return folder, image, labels


def test_label_image_to_cutouts_and_coco(labelled, tmp_path, capsys):
    folder, image, labels = labelled
    out = tmp_path / "out"
    coco = tmp_path / "labels.json"
    args = [
        "export",
        "--image",
        str(folder / "scène.png"),
        "--labels",
        str(folder / "labels.png"),
        "--classes",
        "cat,dog,cat",
        "--out",
        str(out),
        "--crop",
        "--coco",
        str(coco),
    ]
    assert cli.main(args) == 0
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))  # (the export record is hidden)
    assert names == ["scène_cat-1.png", "scène_cat-2.png", "scène_dog-1.png"]
    dog = read_image(out / "scène_dog-1.png")
    assert dog.shape == (15, 20, 4) and (dog[..., 3] == 255).all()
    dataset = read_coco(coco)
    assert dataset.categories == {"cat": 1, "dog": 2}
    objects = dataset.image("scène.png").objects
    assert [o.category for o in objects] == ["cat", "dog", "cat"]
    assert all((o.mask == (labels == i + 1)).all() for i, o in enumerate(objects))
    # again: the image's objects are replaced (with new ids), ids of the classes stay
    first_ids = [o.id for o in objects]
    assert cli.main(args + ["-q"]) == 0
    again = read_coco(coco)
    assert len(again.images) == 1 and again.categories == {"cat": 1, "dog": 2}
    assert [o.id for o in again.images[0].objects] == [4, 5, 6] and first_ids == [1, 2, 3]


def test_objects_json_beside_labels(labelled, tmp_path):
    folder, _, _ = labelled
    (folder / "objects.json").write_text(json.dumps({"1": "leaf", "3": "stem"}))
    out = tmp_path / "o"
    assert (
        cli.main(
            [
                "export",
                "--image",
                str(folder / "scène.png"),
                "--labels",
                str(folder / "labels.png"),
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "scène_leaf-1.png",
        "scène_object-1.png",
        "scène_stem-1.png",
    ]


@pytest.mark.parametrize("style", ["black", "transparent", "color", "blur"])
def test_each_style_from_the_command_line(labelled, tmp_path, style):
    folder, image, labels = labelled
    out = tmp_path / style
    args = [
        "export",
        "--image",
        str(folder / "scène.png"),
        "--labels",
        str(folder / "labels.png"),
        "--out",
        str(out),
        "--style",
        style,
        "-q",
    ]
    if style == "color":
        args += ["--color", "255,0,0"]
    assert cli.main(args) == 0
    first = read_image(out / "scène_object-1.png")
    assert first.shape[:2] == (40, 50)
    if style == "transparent":
        assert first.shape[2] == 4
    if style == "color":
        assert tuple(first[0, 0]) == (255, 0, 0)
    if style == "black":
        assert tuple(first[0, 0]) == (0, 0, 0)


def test_whole_dataset_with_progress(labelled, tmp_path, capsys):
    folder, image, labels = labelled
    coco = tmp_path / "c.json"
    cli.main(
        [
            "export",
            "--image",
            str(folder / "scène.png"),
            "--labels",
            str(folder / "labels.png"),
            "--out",
            str(tmp_path / "a"),
            "--coco",
            str(coco),
            "-q",
        ]
    )
    out = tmp_path / "b"
    assert (
        cli.main(
            [
                "export",
                "--coco",
                str(coco),
                "--images",
                str(folder),
                "--out",
                str(out),
                "--style",
                "black",
                "--crop",
                "--padding",
                "2",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "1/1 in put/scène.png" in captured.err and "Wrote 3 cutouts" in captured.out
    assert read_image(out / "scène_object-2.png").shape == (19, 24, 3)
    calls = []
    export_dataset(coco, folder, tmp_path / "c", progress=lambda *a: calls.append(a))
    assert calls == [(1, 1, "in put/scène.png")]


def test_export_errors(labelled, tmp_path, capsys):
    folder, _, _ = labelled
    coco = tmp_path / "c.json"
    assert cli.main(["export", "--out", str(tmp_path / "x")]) == 2
    assert "Say what to export" in capsys.readouterr().err
    cli.main(
        [
            "export",
            "--image",
            str(folder / "scène.png"),
            "--labels",
            str(folder / "labels.png"),
            "--out",
            str(tmp_path / "a"),
            "--coco",
            str(coco),
            "-q",
        ]
    )
    (tmp_path / "elsewhere").mkdir()  # (a folder that holds the image below it would find it: the locate rule)
    assert (
        cli.main(["export", "--coco", str(coco), "--images", str(tmp_path / "elsewhere"), "--out", str(tmp_path / "x")])
        == 2
    )
    assert "not in" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert (
        cli.main(
            [
                "export",
                "--image",
                str(folder / "scène.png"),
                "--labels",
                str(folder / "labels.png"),
                "--out",
                str(tmp_path / "j"),
                "--format",
                "jpg",
            ]
        )
        == 2
    )
    assert "no transparency" in capsys.readouterr().err and not (tmp_path / "j").exists()
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.ones((5, 5), np.uint8))
    assert (
        cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(small), "--out", str(tmp_path / "s")])
        == 2
    )
    assert "label image made for this image" in capsys.readouterr().err
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.zeros((40, 50), np.uint8))
    assert (
        cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(empty), "--out", str(tmp_path / "e")])
        == 2
    )
    assert "no objects" in capsys.readouterr().err


def test_a_label_image_into_an_existing_file_loses_nothing(labelled, tmp_path):
    """The file other tools wrote keeps all it holds; only this image's objects change."""
    folder, image, labels = labelled
    other_polygon = [[1.5, 1.5, 9.5, 1.5, 9.5, 6.5, 1.5, 6.5], [12, 12, 15, 12, 15, 15]]
    data = {
        "info": {"description": "theirs", "year": 2024},
        "licenses": [{"id": 3, "name": "CC0", "url": "https://x"}],
        "images": [
            {
                "id": 10,
                "file_name": "other.png",
                "width": 20,
                "height": 20,
                "license": 3,
                "coco_url": "http://o",
                "date_captured": "2024-01-01",
            },
            {
                "id": 11,
                "file_name": "sub dir/scène.png",
                "width": 50,
                "height": 40,
                "license": 3,
                "flickr_url": "http://f",
            },
        ],
        "annotations": [
            {
                "id": 100,
                "image_id": 10,
                "category_id": 7,
                "segmentation": other_polygon,
                "area": 49.5,
                "bbox": [1.5, 1.5, 13.5, 13.5],
                "iscrowd": 0,
                "attributes": {"occluded": True},
                "score": 0.75,
            },
            {
                "id": 101,
                "image_id": 10,
                "category_id": 7,
                "segmentation": {"size": [20, 20], "counts": [44, 3, 353]},
                "area": 3,
                "bbox": [2, 4, 1, 3],
                "iscrowd": 1,
            },
            {
                "id": 102,
                "image_id": 11,
                "category_id": 7,
                "segmentation": [[0, 0, 5, 0, 5, 5]],
                "area": 12.5,
                "bbox": [0, 0, 5, 5],
                "iscrowd": 0,
            },
            {
                "id": 103,
                "image_id": 11,
                "category_id": 7,
                "segmentation": [[0, 0, 9, 0, 9, 9]],
                "area": 40.5,
                "bbox": [0, 0, 9, 9],
                "iscrowd": 0,
            },
        ],
        "categories": [{"id": 7, "name": "dog", "supercategory": "animal"}],
    }
    coco = tmp_path / "theirs.json"
    coco.write_text(json.dumps(data, indent=2))
    args = [
        "export",
        "--image",
        str(folder / "scène.png"),
        "--labels",
        str(folder / "labels.png"),
        "--classes",
        "cat,dog,cat",
        "--out",
        str(tmp_path / "out"),
        "--coco",
        str(coco),
        "-q",
    ]
    assert cli.main(args) == 0
    saved = json.loads(coco.read_text())
    assert saved["info"] == data["info"] and saved["licenses"] == data["licenses"] and list(saved) == list(data)
    assert saved["images"] == data["images"]  # 'sub dir/scène.png' is this image: no second entry
    assert saved["annotations"][:2] == data["annotations"][:2]  # polygons, attributes, score and crowd as they were
    mine = saved["annotations"][2:]
    assert [a["id"] for a in mine] == [104, 105, 106]  # not the replaced 102 and 103
    assert saved["categories"] == data["categories"] + [{"id": 8, "name": "cat", "supercategory": ""}]
    assert [a["category_id"] for a in mine] == [8, 7, 8]
    dataset = read_coco(coco)
    assert all((o.mask == (labels == i + 1)).all() for i, o in enumerate(dataset.images[1].objects))
    # an image of another size under that name is not silently given these objects
    small = tmp_path / "scène.png"
    write_image(small, np.zeros((10, 10, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "l.png"), np.ones((10, 10), np.uint8))
    before = coco.read_bytes()
    assert (
        cli.main(
            [
                "export",
                "--image",
                str(small),
                "--labels",
                str(tmp_path / "l.png"),
                "--out",
                str(tmp_path / "o2"),
                "--coco",
                str(coco),
                "-q",
            ]
        )
        == 2
    )
    assert coco.read_bytes() == before


def test_a_label_image_into_a_file_keeps_the_images_boxes_and_keypoints(labelled, tmp_path):
    """A label image holds masks only: the image's detector boxes and keypoints alone were
    removed with its old objects, though no label could carry them."""
    folder, image, labels = labelled
    box = {"id": 1, "image_id": 5, "category_id": 1, "bbox": [3, 4, 10, 8], "area": 80, "iscrowd": 0, "score": 0.9}
    points = {"id": 2, "image_id": 5, "category_id": 1, "segmentation": [], "keypoints": [6, 7, 2], "num_keypoints": 1}
    mask = {"id": 3, "image_id": 5, "category_id": 1, "segmentation": [[0, 0, 9, 0, 9, 9]], "iscrowd": 0}
    data = {
        "images": [{"id": 5, "file_name": "scène.png", "width": 50, "height": 40}],
        "annotations": [box, points, mask],
        "categories": [{"id": 1, "name": "cat"}],
    }
    coco = tmp_path / "theirs.json"
    coco.write_text(json.dumps(data))
    args = ["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png")]
    assert cli.main(args + ["--out", str(tmp_path / "out"), "--coco", str(coco), "-q"]) == 0
    saved = json.loads(coco.read_text())["annotations"]
    assert saved[:2] == [box, points]  # as they were; the mask's object is replaced by the labels'
    assert [a["id"] for a in saved[2:]] == [4, 5, 6] and all(a["segmentation"] for a in saved[2:])


def test_check_command(tmp_path, capsys):
    coco = tmp_path / "c.json"
    coco.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.png", "width": "640", "height": 4}],
                "annotations": [{"id": 1, "image_id": 2, "category_id": 1}],
                "categories": [],
            }
        )
    )
    assert cli.main(["check", str(coco)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Image 1 has the width '640'; it must be a whole number of pixels.",
        "Annotation 1 refers to category 1, which is not in 'categories'.",
        "Annotation 1 refers to image 2, which is not in 'images'.",
    ]
    coco.write_text("{")
    assert cli.main(["check", str(coco)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_labels_to_objects_and_class_files(tmp_path):
    labels = np.array([[0, 1], [2, 2]], np.uint16)
    objects = labels_to_objects(labels, ["a"])
    assert [(o.category, int(o.mask.sum())) for o in objects] == [("a", 1), ("object", 2)]
    (tmp_path / "l.json").write_text('["x", "y"]')
    assert read_classes(tmp_path / "l.json") == {1: "x", 2: "y"}
    (tmp_path / "bad.json").write_text('{"cat": 1}')
    with pytest.raises(ValueError, match="label numbers"):
        read_classes(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="one channel of integers"):
        labels_to_objects(np.zeros((3, 3), float))


def test_classes_that_name_fewer_labels_than_the_image_has_are_refused(labelled, tmp_path, capsys):
    """`--classes cat` for a label image of three labels called the other two "object" without a word."""
    folder, image, labels = labelled
    args = ["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png")]
    assert cli.main(args + ["--classes", "cat", "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "--classes names 1 class(es) but the label image also has the label(s) 2, 3" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_disk_that_fills_halfway_through_an_image_says_the_cutouts_it_wrote(labelled, tmp_path, monkeypatch):
    """An image whose second cutout could not be written left its first one in the folder,
    and the message said "no cutout was written"."""
    from interactive_seg.export import dataset
    from interactive_seg.export.dataset import PartialExport

    folder, image, labels = labelled
    coco = tmp_path / "c.json"
    cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png")] + [
        "--out", str(tmp_path / "a"), "--coco", str(coco), "-q"])  # fmt: skip
    real, calls = dataset.save_cutout, []

    def fills(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise InputError(f"Could not write {str(path)!r} (No space left on device).")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(dataset, "save_cutout", fills)
    with pytest.raises(PartialExport) as caught:
        export_dataset(coco, folder, tmp_path / "b")
    assert [p.name for p in caught.value.written] == [calls[0].name] and (tmp_path / "b" / calls[0].name).exists()
    assert "1 cutout was written" in str(caught.value)
