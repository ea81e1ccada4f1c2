"""The napari reader and writer (no viewer needed): COCO files <-> Labels layer data, nothing lost."""

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")  # the plugin's layers need the gui extra

from coco_files import STYLES, covered, write_dataset  # noqa: E402

from interactive_seg import CocoDocument, InputError  # noqa: E402
from interactive_seg.plugin.io import get_reader, read_coco_layers, write_labels  # noqa: E402


def features(classes: dict) -> pd.DataFrame:
    return pd.DataFrame({"index": list(classes), "class": list(classes.values())})


def test_a_new_file_keeps_label_values_as_ids(tmp_path):
    labels = np.zeros((30, 40), np.int32)
    labels[2:10, 3:12] = 4
    labels[15:25, 20:35] = 9
    path = tmp_path / "objs.json"
    write_labels(str(path), labels, {"name": "objects", "features": features({4: "cat", 9: "dog"}), "metadata": {}})
    reader = get_reader(str(path))
    ((data, meta, kind),) = reader(str(path))
    assert kind == "labels" and np.array_equal(data, labels)
    assert dict(zip(meta["features"]["index"], meta["features"]["class"])) == {4: "cat", 9: "dog"}
    assert [a["id"] for a in json.loads(path.read_text())["annotations"]] == [4, 9]
    (tmp_path / "other.json").write_text('{"a": 1}')
    assert get_reader(str(tmp_path / "other.json")) is None and get_reader(str(tmp_path / "x.png")) is None
    (tmp_path / "broken.json").write_text('{"images": [')
    assert get_reader(str(tmp_path / "broken.json")) is None


@pytest.mark.parametrize("style", sorted(STYLES))
def test_read_edit_and_save_back_changes_only_the_edit(tmp_path, style):
    data, sizes = STYLES[style]()
    path = write_dataset(tmp_path / "d", data, sizes)
    original = json.loads(path.read_text())
    layers = read_coco_layers(str(path))
    assert len(layers) == len(original["images"])
    labels, meta, _ = layers[0]
    assert meta["metadata"]["coco_file_name"] == original["images"][0]["file_name"]
    classes = dict(zip(meta["features"]["index"], meta["features"]["class"]))
    # save back as read: the file does not change at all
    write_labels(str(path), labels, {"name": meta["name"], "features": meta["features"], "metadata": meta["metadata"]})
    assert json.loads(path.read_text()) == original
    # paint a new object and rename one class: those two change, nothing else
    edited = labels.copy()
    new_label = int(labels.max()) + 1
    edited[:3, :3] = new_label
    first = sorted(classes)[0]
    classes = {**classes, first: "renamed", new_label: "new"}
    write_labels(str(path), edited, {"name": meta["name"], "features": features(classes), "metadata": meta["metadata"]})
    saved = json.loads(path.read_text())
    ids = meta["metadata"]["coco_annotation_ids"]
    covered = {ids[v] for v in np.unique(labels[:3, :3]) if v}  # objects under the new one lose those pixels
    before = {json.dumps(a["id"]): a for a in original["annotations"]}
    after = {json.dumps(a["id"]): a for a in saved["annotations"]}
    for key, ann in before.items():
        if json.loads(key) not in covered and json.loads(key) != ids[first]:
            assert after[key] == ann
    renamed = after[json.dumps(ids[first])]
    assert CocoDocument.open(path).category_name(renamed["category_id"]) == "renamed"
    assert len(after) == len(before) + 1 and saved["images"] == original["images"]


def test_a_layer_of_another_size_is_refused(tmp_path):
    path = tmp_path / "a.json"
    write_labels(
        str(path),
        np.ones((5, 5), np.int32),
        {"name": "objects", "features": None, "metadata": {"coco_file_name": "a.png"}},
    )
    before = path.read_bytes()
    with pytest.raises(InputError, match="save it to another file"):
        write_labels(
            str(path),
            np.ones((6, 5), np.int32),
            {"name": "objects", "features": None, "metadata": {"coco_file_name": "a.png"}},
        )
    assert path.read_bytes() == before
    with pytest.raises(InputError, match="2-D"):
        write_labels(str(path), np.ones((2, 6, 5), np.int32), {"name": "x"})


def covered_file(folder):
    """A wheel listed before the car that covers it: a Labels layer cannot show the wheel."""
    data = covered()
    folder.mkdir()
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def test_an_object_the_layer_cannot_show_is_kept_when_the_layer_is_saved(tmp_path):
    path = covered_file(tmp_path / "d")
    before = path.read_bytes()
    ((data, meta, _),) = read_coco_layers(str(path))
    assert sorted(np.unique(data)) == [0, 2]
    write_labels(str(path), data, meta)  # File > Save, nothing edited
    assert path.read_bytes() == before
    data = data.copy()
    data[data == 2] = 0  # the car erased: the wheel goes with it (its pixels are erased too)
    write_labels(str(path), data, meta)
    assert json.loads(path.read_text())["annotations"] == []


def test_saving_a_layer_into_a_folder_a_session_holds_is_refused(tmp_path):
    from interactive_seg import Session

    path = covered_file(tmp_path / "d")
    ((data, meta, _),) = read_coco_layers(str(path))
    before = path.read_bytes()
    with Session.open(tmp_path / "d", compact_every=1000) as session:
        session.add("a.png", np.pad(np.ones((3, 3), bool), ((0, 27), (0, 37))), "car")  # in its journal
        with pytest.raises(InputError, match="open for writing in another window"):
            write_labels(str(path), data, meta)
        assert path.read_bytes() == before
    assert len(json.loads(path.read_text())["annotations"]) == 3
