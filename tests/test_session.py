import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, Session, check_coco


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "photos é"
    folder.mkdir()
    for name, shape in (("b.png", (30, 40)), ("a.jpg", (20, 25)), ("c d.tif", (10, 12))):
        cv2.imwrite(str(folder / name), np.full(shape + (3,), 90, np.uint8))
    (folder / "broken.png").write_bytes(b"not an image at all")
    (folder / "notes.txt").write_text("ignored")
    return folder


def square(shape, y, x, size):
    m = np.zeros(shape, bool)
    m[y : y + size, x : x + size] = True
    return m


def test_open_lists_sorted_images_and_skips_unreadable(folder):
    session = Session.open(folder)
    assert session.images == ["a.jpg", "b.png", "c d.tif"]
    assert session.unreadable == ["broken.png"]
    assert session.path == folder / "annotations.coco.json" and not session.path.exists()
    assert session.read("b.png").shape == (30, 40, 3)


def test_every_change_is_saved_and_reopening_restores_it_exactly(folder):
    session = Session.open(folder)
    rng = np.random.default_rng(0)
    blob = rng.random((30, 40)) < 0.3
    a = session.add("b.png", blob, "cat")
    b = session.add("b.png", square((30, 40), 2, 2, 5), "dog")
    c = session.add("a.jpg", square((20, 25), 0, 0, 3), "cat")
    session.save()  # folds the journal into the COCO file
    assert check_coco(session.path) == []
    again = Session.open(folder)
    assert [(o.id, o.category) for o in again.objects("b.png")] == [(a, "cat"), (b, "dog")]
    assert (again.objects("b.png")[0].mask == blob).all()
    session.replace(b, mask=square((30, 40), 10, 10, 4), category="bird")
    session.remove(c)
    session.rename_class("cat", "lion")
    session.close()  # lets the folder go: the next session writes it
    again = Session.open(folder)
    assert [(o.id, o.category) for o in again.objects("b.png")] == [(a, "lion"), (b, "bird")]
    assert again.objects("b.png")[1].mask.sum() == 16 and again.objects("a.jpg") == []
    assert again.count("b.png") == 2 and again.count("c d.tif") == 0
    d = again.add("a.jpg", square((20, 25), 1, 1, 2), "lion")
    assert d > max(a, b, c)  # ids are never reused
    assert again.categories["lion"] == session.categories["lion"]


def test_an_existing_coco_file_is_opened_not_overwritten(folder, tmp_path):
    data = {
        "info": {"note": "kept"},
        "images": [{"id": 7, "file_name": "elsewhere.png", "width": 5, "height": 5}],
        "annotations": [],
        "categories": [{"id": 3, "name": "tree"}],
    }
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(data))
    session = Session.open(folder)
    assert path.read_text() == json.dumps(data)
    session.add("a.jpg", square((20, 25), 0, 0, 3), "tree")
    session.save()
    saved = json.loads(path.read_text())
    assert saved["info"]["note"] == "kept" and saved["images"][0]["file_name"] == "elsewhere.png"
    assert saved["annotations"][0]["category_id"] == 3 and saved["images"][1]["id"] == 8


def test_a_broken_coco_file_is_an_error_and_stays_as_it_was(folder):
    path = folder / "annotations.coco.json"
    path.write_text('{"images": [], "annotations": [{"id": 1}], "categories": []}')
    with pytest.raises(InputError, match="has problems .*annotations.0. lacks image_id, category_id"):
        Session.open(folder)
    path.write_text('{"images": [')
    with pytest.raises(InputError, match="not valid JSON .* may be truncated"):
        Session.open(folder)
    assert path.read_text() == '{"images": ['


def test_errors(folder, tmp_path):
    session = Session.open(folder)
    with pytest.raises(InputError, match="not a folder"):
        Session.open(tmp_path / "nope")
    with pytest.raises(InputError, match="not an image of"):
        session.add("zzz.png", np.ones((3, 3), bool), "a")
    with pytest.raises(InputError, match="empty"):
        session.add("a.jpg", np.zeros((20, 25), bool), "a")
    session.add("a.jpg", np.ones((20, 25), bool), "a")
    with pytest.raises(InputError, match="is 25 x 20"):
        session.add("a.jpg", np.ones((5, 5), bool), "a")
    with pytest.raises(InputError, match="no object 99"):
        session.remove(99)
    session.add("b.png", np.ones((30, 40), bool), "b")
    with pytest.raises(InputError, match="already a class"):
        session.rename_class("a", "b")


def test_sync_from_a_label_image(folder):
    session = Session.open(folder)
    labels = np.zeros((30, 40), np.int32)
    first, second = session.new_id(), session.new_id()
    labels[0:5, 0:5] = first
    labels[10:20, 10:20] = second
    session.sync("b.png", labels, {first: "cat", second: "dog"})
    assert {o.id: o.category for o in Session.open(folder).objects("b.png")} == {first: "cat", second: "dog"}
    labels[labels == first] = 0
    session.sync("b.png", labels, {second: "dog"}, changed={first})
    assert [o.id for o in Session.open(folder).objects("b.png")] == [second]
    session.sync("b.png", np.zeros((30, 40), np.int32), {})  # everything changed: all gone
    assert Session.open(folder).objects("b.png") == []


WRITER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from interactive_seg import Session
session = Session.open({folder!r})
rng = np.random.default_rng(int(sys.argv[1]))
print("ready", flush=True)
while True:
    mask = rng.random((30, 40)) < 0.5
    session.add("b.png", mask, "cat")
    objects = session.objects("b.png")
    if len(objects) > 3:
        session.remove(objects[0].id)
"""


def test_a_killed_writer_always_leaves_a_readable_file(folder):
    root = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    script = WRITER.format(root=root, folder=str(folder))
    rng = np.random.default_rng(1)
    for attempt in range(12):
        proc = subprocess.Popen([sys.executable, "-c", script, str(attempt)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 0.4)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        path = folder / "annotations.coco.json"
        if path.exists():
            assert check_coco(path) == []
            with Session.open(folder) as session:  # closed: the next writer gets the folder
                assert all(o.mask.shape == (30, 40) for o in session.objects("b.png"))
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        for name in leftovers:  # a temporary file of the killed write may stay; the COCO file is whole
            (folder / name).unlink()
    assert Session.open(folder).count("b.png") >= 1


# -- the COCO file is the user's: only what changed changes ------------------------------------
def write_coco_file(folder, data):
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def polygon_file():
    return {
        "info": {"description": "made elsewhere"},
        "images": [
            {"id": 1, "file_name": "b.png", "width": 40, "height": 30, "license": 2},
            {"id": 2, "file_name": "a.jpg", "width": 25, "height": 20},
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": [[2.5, 2.5, 20.5, 2.5, 20.5, 12.5, 2.5, 12.5]],
                "area": 180.0,
                "bbox": [2.5, 2.5, 18, 10],
                "iscrowd": 0,
                "attributes": {"occluded": True},
            },
            {
                "id": 2,
                "image_id": 1,
                "category_id": 1,
                "segmentation": {"size": [30, 40], "counts": [300, 10, 890]},
                "area": 10,
                "bbox": [10, 0, 1, 10],
                "iscrowd": 1,
            },
            {
                "id": 3,
                "image_id": 1,
                "category_id": 1,
                "segmentation": [],
                "bbox": [1, 1, 5, 5],
                "area": 25,
                "iscrowd": 0,
            },
        ],
        "categories": [{"id": 1, "name": "cat", "supercategory": "animal"}],
    }


def test_a_class_change_keeps_the_polygon_attributes_and_crowd(folder):
    data = polygon_file()
    path = write_coco_file(folder, data)
    session = Session.open(folder)
    session.replace(1, category="lion")
    session.save()
    saved = json.loads(path.read_text())
    assert saved["annotations"][0] == dict(data["annotations"][0], category_id=2)
    assert saved["annotations"][1:] == data["annotations"][1:]
    session.replace(2, category="lion")
    session.save()
    assert json.loads(path.read_text())["annotations"][1] == dict(
        data["annotations"][1], category_id=2
    )  # still a crowd RLE


def test_a_sync_of_unchanged_objects_changes_nothing_in_the_file(folder):
    path = write_coco_file(folder, polygon_file())
    session = Session.open(folder)
    labels, classes = session.labels("b.png", (30, 40))
    session.sync("b.png", labels, classes)  # every object "changed", none really is
    session.close()
    assert json.loads(path.read_text()) == polygon_file()


def test_box_only_annotations_are_kept_and_not_objects(folder):
    path = write_coco_file(folder, polygon_file())
    session = Session.open(folder)
    assert [o.id for o in session.objects("b.png")] == [1, 2] and session.count("b.png") == 2
    new = session.add("b.png", square((30, 40), 20, 20, 5), "cat")
    assert new == 4  # after every id of the file, the box-only one's too
    session.save()
    assert json.loads(path.read_text())["annotations"][2] == polygon_file()["annotations"][2]


def test_two_records_of_one_file_name_both_stay(folder):
    data = polygon_file()
    data["images"].append({"id": 3, "file_name": "b.png", "width": 40, "height": 30})
    mask = square((30, 40), 0, 0, 4)
    from interactive_seg.coco import mask_to_segmentation

    data["annotations"].append({"id": 9, "image_id": 3, "category_id": 1, **mask_to_segmentation(mask), "iscrowd": 0})
    write_coco_file(folder, data)
    session = Session.open(folder)
    assert session.count("b.png") == 3 and [o.id for o in session.objects("b.png")] == [1, 2, 9]
    session.add("a.jpg", square((20, 25), 1, 1, 3), "cat")
    again = Session.open(folder)
    assert [im["id"] for im in again.document.images] == [1, 2, 3]
    assert [o.id for o in again.objects("b.png")] == [1, 2, 9] and again.count("a.jpg") == 1


def test_a_crop_saves_as_its_full_mask(folder):
    session = Session.open(folder)
    full = square((30, 40), 5, 7, 6)
    a = session.add("b.png", full, "cat")
    b = session.add("b.png", np.ones((6, 6), bool), "cat", offset=(7, 5))
    session.save()
    records = {a["id"]: a for a in json.loads(session.path.read_text())["annotations"]}
    assert {k: v for k, v in records[a].items() if k != "id"} == {k: v for k, v in records[b].items() if k != "id"}
    session.replace(b, mask=np.ones((2, 3), bool), offset=(37, 28))
    assert np.argwhere(Session.open(folder).objects("b.png")[1].mask).tolist() == [
        [28, 37],
        [28, 38],
        [28, 39],
        [29, 37],
        [29, 38],
        [29, 39],
    ]
    with pytest.raises(InputError, match="does not fit"):
        session.replace(b, mask=np.ones((2, 3), bool), offset=(38, 28))
    # a crop of an image without objects yet: its size comes from the file's header
    c = session.add("a.jpg", np.ones((2, 2), bool), "dog", offset=(23, 18))
    assert Session.open(folder).objects("a.jpg")[0].mask.shape == (20, 25) and c > b


def test_a_crop_on_a_huge_image_never_builds_a_full_size_array(tmp_path):
    import tracemalloc

    folder = tmp_path / "big"
    folder.mkdir()
    cv2.imwrite(str(folder / "huge.png"), np.zeros((10_000, 10_000), np.uint8))
    session = Session.open(folder)
    crop = np.ones((200, 150), bool)
    tracemalloc.start()
    object_id = session.add("huge.png", crop, "cell", offset=(5000, 6000))
    session.replace(object_id, mask=crop[:100], offset=(100, 200))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6, peak  # a full-size bool mask alone would be 100 MB
    session.save()
    record = json.loads(session.path.read_text())["annotations"][0]
    assert record["bbox"] == [100.0, 200.0, 150.0, 100.0] and record["area"] == 15000.0


def test_count_is_kept_per_image(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    names = [f"img_{i:04d}.png" for i in range(1000)]
    png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
    for name in names:
        (folder / name).write_bytes(png)
    rle = {"size": [8, 8], "counts": [10, 4, 50]}
    data = {
        "images": [{"id": i, "file_name": n, "width": 8, "height": 8} for i, n in enumerate(names, 1)],
        "annotations": [
            {"id": k, "image_id": 1 + k % 1000, "category_id": 1, "segmentation": rle, "iscrowd": 1}
            for k in range(1, 5001)
        ],
        "categories": [{"id": 1, "name": "a"}],
    }
    write_coco_file(folder, data)
    session = Session.open(folder)
    start = time.perf_counter()
    counts = [session.count(name) for name in session.images]
    seconds = time.perf_counter() - start
    assert counts == [5] * 1000
    # against what a scan of the annotations per image costs, measured now (a loaded machine slows both)
    annotations = session.document.annotations()
    start = time.perf_counter()
    for image_id in range(1, 51):
        sum(1 for a in annotations if a["image_id"] == image_id)
    scan_50 = time.perf_counter() - start
    assert seconds < scan_50, (seconds, scan_50)  # 1,000 counts cost less than 50 scans (a scan per count was 20x that)
    session.remove(1)  # on image 2, img_0001.png
    assert session.count("img_0001.png") == 4 and session.count("img_0000.png") == 5


def test_the_id_counter_is_written_only_when_ids_alone_would_not_say_it(folder):
    session = Session.open(folder)
    a = session.add("b.png", square((30, 40), 0, 0, 3), "cat")
    b = session.add("b.png", square((30, 40), 9, 9, 3), "cat")
    session.save()
    assert "info" not in json.loads(session.path.read_text())  # the user's file gets no key it does not need
    session.remove(b)
    session.close()
    assert json.loads(session.path.read_text())["info"] == {"interactive_seg_next_annotation_id": b + 1}
    from interactive_seg.coco import CocoDocument

    # every writer of the file (segment --coco, export --labels --coco, add_to_coco), not only a session, skips it
    assert CocoDocument.open(session.path).new_annotation_id() == b + 1
    again = Session.open(folder)
    assert again.add("b.png", square((30, 40), 20, 20, 3), "cat") == b + 1  # never reused
    assert a == 1


def test_other_ids_get_object_ids_of_their_own(folder):
    mask = square((30, 40), 2, 2, 4)
    from interactive_seg.coco import mask_to_segmentation

    fields = mask_to_segmentation(mask)
    data = {
        "images": [{"id": "im", "file_name": "b.png", "width": 40, "height": 30}],
        "annotations": [
            {"id": 0, "image_id": "im", "category_id": 1, **fields},
            {"id": 900100259690, "image_id": "im", "category_id": 1, **fields},
            {"id": "7", "image_id": "im", "category_id": 1, **fields},
        ],
        "categories": [{"id": 1, "name": "a"}],
    }
    path = write_coco_file(folder, data)
    session = Session.open(folder)
    objects = session.objects("b.png")
    assert [o.annotation_id for o in objects] == [0, 900100259690, "7"]
    assert objects[2].id == 7 and all(1 <= o.id < 2**31 for o in objects) and len({o.id for o in objects}) == 3
    labels, classes = session.labels("b.png", (30, 40))
    assert set(classes) == {o.id for o in objects}
    session.replace(objects[0].id, category="b")
    new = session.add("b.png", square((30, 40), 20, 20, 2), "b")
    session.save()
    saved = json.loads(path.read_text())["annotations"]
    assert saved[1:3] == data["annotations"][1:3] and saved[0]["category_id"] == 2
    assert saved[3]["id"] == new == 8


@pytest.mark.parametrize("first", [7, "7"])
def test_an_annotation_whose_number_another_took_first_gets_an_id_of_its_own(folder, first):
    from interactive_seg.coco import mask_to_segmentation

    fields = mask_to_segmentation(square((30, 40), 2, 2, 4))
    second = "7" if first == 7 else 7
    data = {
        "images": [{"id": 1, "file_name": "b.png", "width": 40, "height": 30}],
        "annotations": [
            {"id": first, "image_id": 1, "category_id": 1, **fields},
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2]},  # box-only: no object
            {"id": second, "image_id": 1, "category_id": 1, **fields},
            {"id": 5, "image_id": 1, "category_id": 1, **fields},
        ],
        "categories": [{"id": 1, "name": "a"}],
    }
    write_coco_file(folder, data)
    session = Session.open(folder)
    objects = session.objects("b.png")
    assert [(o.id, o.annotation_id) for o in objects] == [(7, first), (2**31 - 1, second), (5, 5)]
    assert session.count("b.png") == 3
    with pytest.raises(InputError, match="no object 3"):
        session.mask(3)  # the box-only annotation
    session.remove(7)  # the other one still gives 7: the next id follows it
    assert [o.id for o in session.objects("b.png")] == [2**31 - 1, 5] and session.new_id() == 8
    assert session.add("b.png", square((30, 40), 9, 9, 2), "a", object_id=3) == 3  # annotation 3 is taken
    added = session.objects("b.png")[-1]
    assert added.id == 3 and added.annotation_id not in (3, "3") and session.mask(3).sum() == 4
    session.remove(3)
    assert [o.id for o in session.objects("b.png")] == [2**31 - 1, 5]
    session.close()
    again = Session.open(folder)
    assert [(o.id, o.annotation_id) for o in again.objects("b.png")] == [(7, second), (5, 5)]


def test_a_session_holds_little_beyond_its_document(tmp_path):
    """Ordinary ids (whole numbers) are their objects' ids: no map of every annotation is kept."""
    import gc
    import tracemalloc

    from interactive_seg.coco import CocoDocument

    folder = tmp_path / "many"
    folder.mkdir()
    rle = {"size": [8, 8], "counts": "08"}
    n = 5000
    write_coco_file(
        folder,
        {
            "images": [{"id": i, "file_name": f"{i}.png", "width": 8, "height": 8} for i in range(1, n // 5 + 1)],
            "annotations": [
                {"id": k, "image_id": 1 + (k - 1) // 5, "category_id": 1, "segmentation": rle, "iscrowd": 0}
                for k in range(1, n + 1)
            ],
            "categories": [{"id": 1, "name": "a"}],
        },
    )
    gc.collect()
    gc.disable()  # no collection of earlier tests' garbage inside a measurement
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        document = CocoDocument.open(folder / "annotations.coco.json")
        alone = tracemalloc.get_traced_memory()[0] - start
        del document
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        session = Session.open(folder)
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
        gc.enable()
    assert session.count("1.png") == 5 and session.new_id() == n + 1
    assert held < 1.05 * alone, (held, alone)  # maps of every id onto itself took 20 % more


def test_images_named_by_a_path_below_the_folder(tmp_path):
    folder = tmp_path / "dataset"
    (folder / "sub dir").mkdir(parents=True)
    cv2.imwrite(str(folder / "sub dir" / "c1.png"), np.zeros((6, 7, 3), np.uint8))
    cv2.imwrite(str(folder / "top.png"), np.zeros((6, 7, 3), np.uint8))
    write_coco_file(
        folder,
        {
            "images": [{"id": 1, "file_name": "sub dir/c1.png", "width": 7, "height": 6}],
            "annotations": [],
            "categories": [],
        },
    )
    session = Session.open(folder)
    assert session.images == ["sub dir/c1.png", "top.png"] and session.read("sub dir/c1.png").shape == (6, 7, 3)
    session.add("sub dir/c1.png", np.ones((6, 7), bool), "a")
    session.save()
    assert [im["file_name"] for im in json.loads(session.path.read_text())["images"]] == ["sub dir/c1.png"]


def test_adding_to_an_image_the_coco_file_gives_another_size_names_the_file_not_the_mask(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((48, 64, 3), np.uint8))
    (folder / "annotations.coco.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.png", "width": 48, "height": 64}],
                "annotations": [],
                "categories": [],
            }
        )
    )
    mask = np.zeros((48, 64), bool)
    mask[5:10, 5:10] = True
    with Session.open(folder) as session:
        with pytest.raises(InputError, match="The COCO file says 'a.png' is 48 x 64 but the image is 64 x 48"):
            session.add("a.png", mask, "cup")


def test_an_object_wholly_under_another_stays_through_a_sync_of_unchanged_labels(folder):
    from coco_files import covered

    data = covered("b.png")  # a wheel under its car: a label image shows one object per pixel
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(data, indent=1))
    before = path.read_bytes()
    session = Session.open(folder)
    labels, classes = session.labels("b.png", (30, 40))
    assert 1 not in np.unique(labels) and classes[1] == "wheel"
    session.sync("b.png", labels, classes)
    assert [(o.id, o.category) for o in session.objects("b.png")] == [(1, "wheel"), (2, "car")]
    session.close()
    assert path.read_bytes() == before
    session = Session.open(folder)
    labels, classes = session.labels("b.png", (30, 40))
    labels[labels == 2] = 0  # the car erased: the wheel is under nothing now, and not in the labels
    session.sync("b.png", labels, {1: "wheel"})
    assert session.objects("b.png") == []  # both gone: what the label image says
    session.close()


def test_an_object_edited_in_a_label_image_keeps_its_pixels_under_another(folder):
    """A wheel annotated over its car (another tool's overlapping objects): the car edited
    far from the wheel lost the 50 pixels under it, which the label image cannot show."""
    car, wheel = square((30, 40), 5, 5, 20), square((30, 40), 15, 10, 10)
    data = {
        "images": [{"id": 1, "file_name": "b.png", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "wheel"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[5, 5, 25, 5, 25, 25, 5, 25]], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 2, "segmentation": [[10, 15, 20, 15, 20, 25, 10, 25]], "iscrowd": 0},
        ],
    }  # fmt: skip
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        labels, classes = session.labels("b.png", (30, 40))
        assert (labels[wheel] == 2).all()
        labels[2, 30:34] = 1  # the car gets four pixels, far from the wheel
        session.sync("b.png", labels, classes)
        grown = car.copy()
        grown[2, 30:34] = True
        assert np.array_equal(session.mask(1), grown) and np.array_equal(session.mask(2), wheel)


def test_a_file_name_in_another_letter_case_is_the_image_when_nothing_else_could_be_meant(tmp_path):
    """A COCO file made on Windows or macOS says Photo1.JPG for photo1.jpg: its objects show,
    an add goes to its record, and an export finds the photograph."""
    from interactive_seg.coco.locate import locate_image

    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "photo1.jpg"), np.full((30, 40, 3), 100, np.uint8))
    data = {
        "images": [{"id": 1, "file_name": "Photo1.JPG", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "c"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[5, 5, 20, 5, 20, 15, 5, 15]],
                         "iscrowd": 0}],
    }  # fmt: skip
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert [o.id for o in session.objects("photo1.jpg")] == [1]
        session.add("photo1.jpg", square((30, 40), 20, 20, 5), "c")
    saved = json.loads((folder / "annotations.coco.json").read_text())
    assert [im["file_name"] for im in saved["images"]] == ["Photo1.JPG"] and len(saved["annotations"]) == 2
    assert locate_image(folder, "Photo1.JPG") == folder / "photo1.jpg"
    cv2.imwrite(str(folder / "PHOTO1.jpg"), np.full((30, 40, 3), 100, np.uint8))  # now two could be meant
    with Session.open(folder) as session:
        assert session.objects("photo1.jpg") == [] and session.objects("PHOTO1.jpg") == []
    assert locate_image(folder, "Photo1.JPG") is None


def test_a_polygon_of_no_area_or_a_nan_bbox_beside_a_mask_opens_and_stays_as_read(tmp_path):
    """Such records (tools write them for 1-2 pixel objects, or a bbox they could not
    compute) made the whole folder unopenable, even read-only; pycocotools loads them."""
    from interactive_seg import CocoDocument

    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((30, 40, 3), 100, np.uint8))
    good = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[5, 5, 20, 5, 20, 15, 5, 15]], "iscrowd": 0}
    text = (
        '{"images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}], '
        '"categories": [{"id": 1, "name": "c"}], "annotations": ['
        + json.dumps(good)
        + ', {"id": 2, "image_id": 1, "category_id": 1, "segmentation": [[3, 3, 4, 4]], "iscrowd": 0}'
        + ', {"id": 3, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4, 4]], "iscrowd": 0, '
        '"bbox": [NaN, NaN, NaN, NaN]}]}'
    )
    path = folder / "annotations.coco.json"
    path.write_text(text)
    with Session.open(folder) as session:
        assert [o.id for o in session.objects("a.png")] == [1, 3]  # no area: kept, not an object
        session.add("a.png", square((30, 40), 20, 20, 5), "c")
    written = path.read_text()
    assert written.startswith(text[: text.rindex("]}")])  # each record as read
    problems = CocoDocument.open(path).check()
    assert any("fewer than 3 points" in p for p in problems) and any("NaN" in p or "nan" in p for p in problems)
    assert CocoDocument.open(path).check(masks_only=True) == []


def test_a_file_whose_info_nests_deep_still_takes_a_delete_of_its_newest_object(folder):
    """The id counter goes in 'info': deleting the newest object copied 'info' with
    copy.deepcopy, which gave a RecursionError for an 'info' 500 levels deep (the file opened)."""
    session = Session.open(folder)
    a = session.add("b.png", square((30, 40), 0, 0, 3), "cat")
    b = session.add("b.png", square((30, 40), 9, 9, 3), "cat")
    session.close()
    data = json.loads(session.path.read_text())
    deep = "x"
    for _ in range(500):
        deep = {"k": deep}
    data["info"] = {"deep": deep}
    session.path.write_text(json.dumps(data))
    session = Session.open(folder)
    session.remove(b)
    session.close()
    saved = json.loads(session.path.read_text())
    assert saved["info"]["deep"] == deep and saved["info"]["interactive_seg_next_annotation_id"] == b + 1
    assert [o["id"] for o in saved["annotations"]] == [a]


def test_the_records_of_photos_gone_from_the_folder_are_told(folder):
    """A photo deleted or moved while its objects stay in the file: the session listed the
    folder's other images and said nothing of it (the widget's list simply lost a row)."""
    session = Session.open(folder)
    session.add("b.png", square((30, 40), 0, 0, 3), "cat")
    session.close()
    assert Session.open(folder, mode="read").missing() == {}
    (folder / "b.png").rename(folder / "b.png.moved")
    with Session.open(folder, mode="read") as again:
        assert again.missing() == {"b.png": 1}
    (folder / "b.png.moved").rename(folder / "b.png")
    with Session.open(folder, mode="read", exclude=["b.*"]) as again:  # a photo a pattern leaves out is not missing
        assert "b.png" not in again.images and again.missing() == {}
