import json

import cv2
import numpy as np
import pytest

from interactive_seg import cli, read_image, write_image
from interactive_seg.export.batch import export_dataset, labels_to_objects, read_classes
from interactive_seg.export.coco import read_coco


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
    args = ["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"),
            "--classes", "cat,dog,cat", "--out", str(out), "--crop", "--coco", str(coco)]
    assert cli.main(args) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["scène_cat-1.png", "scène_cat-2.png", "scène_dog-1.png"]
    dog = read_image(out / "scène_dog-1.png")
    assert dog.shape == (15, 20, 4) and (dog[..., 3] == 255).all()
    dataset = read_coco(coco)
    assert dataset.categories == {"cat": 1, "dog": 2}
    objects = dataset.image("scène.png").objects
    assert [o.category for o in objects] == ["cat", "dog", "cat"]
    assert all((o.mask == (labels == i + 1)).all() for i, o in enumerate(objects))
    # again: the image's entry is replaced, ids of the classes stay
    assert cli.main(args + ["-q"]) == 0
    assert len(read_coco(coco).images) == 1


def test_objects_json_beside_labels(labelled, tmp_path):
    folder, _, _ = labelled
    (folder / "objects.json").write_text(json.dumps({"1": "leaf", "3": "stem"}))
    out = tmp_path / "o"
    assert cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["scène_leaf-1.png", "scène_object-1.png", "scène_stem-1.png"]


@pytest.mark.parametrize("style", ["black", "transparent", "color", "blur"])
def test_each_style_from_the_command_line(labelled, tmp_path, style):
    folder, image, labels = labelled
    out = tmp_path / style
    args = ["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"), "--out", str(out), "--style", style, "-q"]
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
    cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"), "--out", str(tmp_path / "a"), "--coco", str(coco), "-q"])
    out = tmp_path / "b"
    assert cli.main(["export", "--coco", str(coco), "--images", str(folder), "--out", str(out), "--style", "black", "--crop", "--padding", "2"]) == 0
    captured = capsys.readouterr()
    assert "1/1 scène.png" in captured.err and "Wrote 3 cutouts" in captured.out
    assert read_image(out / "scène_object-2.png").shape == (19, 24, 3)
    calls = []
    export_dataset(coco, folder, tmp_path / "c", progress=lambda *a: calls.append(a))
    assert calls == [(1, 1, "scène.png")]


def test_export_errors(labelled, tmp_path, capsys):
    folder, _, _ = labelled
    coco = tmp_path / "c.json"
    assert cli.main(["export", "--out", str(tmp_path / "x")]) == 2
    assert "Say what to export" in capsys.readouterr().err
    cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"), "--out", str(tmp_path / "a"), "--coco", str(coco), "-q"])
    assert cli.main(["export", "--coco", str(coco), "--images", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "not in" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(folder / "labels.png"), "--out", str(tmp_path / "j"), "--format", "jpg"]) == 2
    assert "no transparency" in capsys.readouterr().err and not (tmp_path / "j").exists()
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.ones((5, 5), np.uint8))
    assert cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(small), "--out", str(tmp_path / "s")]) == 2
    assert "label image made for this image" in capsys.readouterr().err
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.zeros((40, 50), np.uint8))
    assert cli.main(["export", "--image", str(folder / "scène.png"), "--labels", str(empty), "--out", str(tmp_path / "e")]) == 2
    assert "no objects" in capsys.readouterr().err


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
