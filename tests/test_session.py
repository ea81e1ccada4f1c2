import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, Session
from interactive_seg.export.coco import check_coco


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
    assert check_coco(session.path) == []
    again = Session.open(folder)
    assert [(o.id, o.category) for o in again.objects("b.png")] == [(a, "cat"), (b, "dog")]
    assert (again.objects("b.png")[0].mask == blob).all()
    session.replace(b, mask=square((30, 40), 10, 10, 4), category="bird")
    session.remove(c)
    session.rename_class("cat", "lion")
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
    saved = json.loads(path.read_text())
    assert saved["info"]["note"] == "kept" and saved["images"][0]["file_name"] == "elsewhere.png"
    assert saved["annotations"][0]["category_id"] == 3 and saved["images"][1]["id"] == 8


def test_a_broken_coco_file_is_an_error_and_stays_as_it_was(folder):
    path = folder / "annotations.coco.json"
    path.write_text('{"images": [], "annotations": [{"id": 1}], "categories": []}')
    with pytest.raises(InputError, match="problems"):
        Session.open(folder)
    path.write_text('{"images": [')
    with pytest.raises(InputError, match="cannot be read"):
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
    with pytest.raises(InputError, match="is 20 x 25"):
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
            session = Session.open(folder)
            assert all(o.mask.shape == (30, 40) for o in session.objects("b.png"))
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        for name in leftovers:  # a temporary file of the killed write may stay; the COCO file is whole
            (folder / name).unlink()
    assert Session.open(folder).count("b.png") >= 1
