"""The command line beside a folder's session: it writes as the one writer, reads what the
session has not folded in yet, and takes the sizes another tool left out from the images."""

import json
import os

import cv2
import numpy as np
import pytest

from interactive_seg import Session, cli
from interactive_seg.coco import CocoDocument


def _scene(path, shape=(60, 80)):
    image = np.full(shape + (3,), 200, np.uint8)
    cv2.circle(image, (40, 30), 15, (30, 60, 160), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    return path


def _square(shape=(60, 80), x=25):
    m = np.zeros(shape, bool)
    m[15:45, x : x + 30] = True
    return m


def test_segment_into_a_coco_file_a_session_has_open_is_refused_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "photos"
    _scene(folder / "a.png")
    _scene(folder / "b.png")
    coco = folder / "annotations.coco.json"
    with Session.open(folder) as session:
        session.add("a.png", _square(), "cup")
        session.save()
        before = coco.read_bytes()
        session.add("a.png", _square(x=5), "cup")  # kept in the journal
        args = ["segment", str(folder / "b.png"), "--box", "20,10,60,50", "--coco", str(coco), "--category", "dog"]
        assert cli.main(args) == 2
        assert "open for writing in another window" in capsys.readouterr().err
        assert coco.read_bytes() == before
    assert len(CocoDocument.open(coco).annotations()) == 2  # the session's two objects, nothing lost
    assert cli.main(args + ["-q"]) == 0  # once the session is closed the command writes
    assert [c["name"] for c in CocoDocument.open(coco).categories] == ["cup", "dog"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a killed writer is made with fork")
def test_export_into_a_coco_file_folds_in_a_journal_left_behind(tmp_path):
    folder = tmp_path / "photos"
    _scene(folder / "a.png")
    coco = folder / "annotations.coco.json"
    pid = os.fork()
    if pid == 0:  # a window killed after its change was acknowledged: the change is only in the journal
        try:
            session = Session.open(folder, compact_every=10**6, compact_seconds=1e9)
            session.add("a.png", _square(), "cup")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert (folder / ".annotations.coco.json.journal").exists()
    labels = tmp_path / "labels.png"
    cv2.imwrite(str(labels), _square(x=5).astype(np.uint8))
    args = ["export", "--image", str(folder / "a.png"), "--labels", str(labels), "--coco", str(coco)]
    assert cli.main(args + ["--out", str(tmp_path / "out"), "-q"]) == 0
    doc = CocoDocument.open(coco)
    assert sorted(c["name"] for c in doc.categories) == ["cup", "object"]  # the session's class survived
    assert not (folder / ".annotations.coco.json.journal").exists()


def test_folder_exports_and_review_see_the_objects_a_session_has_not_folded_in(tmp_path):
    folder = tmp_path / "photos"
    _scene(folder / "a.png")
    with Session.open(folder, compact_every=10**6, compact_seconds=1e9) as session:
        session.add("a.png", _square(), "cup")
        session.save()
        session.add("a.png", _square(x=5), "dog")  # only in the journal
        assert cli.main(["batch", "export", str(folder), "--out", str(tmp_path / "b"), "--workers", "0", "-q"]) == 0
        assert sorted(p.name for p in (tmp_path / "b").glob("*.png")) == ["a_cup-1.png", "a_dog-1.png"]
        out = tmp_path / "d"
        assert (
            cli.main(
                ["export", "--coco", str(folder / "annotations.coco.json"), "--images", str(folder)]
                + ["--out", str(out), "-q"]
            )
            == 0
        )
        assert sorted(p.name for p in out.glob("*.png")) == ["a_cup-1.png", "a_dog-1.png"]


def test_a_dataset_export_with_one_unreadable_image_exports_the_rest_and_exits_1(tmp_path, capsys):
    folder = tmp_path / "photos"
    for name in ("a.png", "b.png", "c.jpg"):
        _scene(folder / name)
    with Session.open(folder) as session:
        for name in ("a.png", "b.png", "c.jpg"):
            session.add(name, _square(), "cup")
    data = (folder / "c.jpg").read_bytes()
    (folder / "c.jpg").write_bytes(data[: len(data) // 2])  # truncated after it was annotated
    out = tmp_path / "out"
    args = ["export", "--coco", str(folder / "annotations.coco.json"), "--images", str(folder), "--out", str(out)]
    assert cli.main(args + ["-q"]) == 1
    err = capsys.readouterr().err
    assert "1 of 3 images could not be exported" in err and "'c.jpg'" in err
    assert sorted(p.name for p in out.glob("*.png")) == ["a_cup-1.png", "b_cup-1.png"]


@pytest.mark.parametrize(
    "command", [["export", "--coco", "{coco}", "--images", "{folder}"], ["batch", "export", "{folder}"]]
)
def test_a_cropped_export_with_an_empty_mask_exports_the_other_images_and_names_the_object(tmp_path, capsys, command):
    """A polygon that covers no pixel (a speck some tools write) stopped `export --crop` with
    exit 2 after the first image's cutouts were written; the images after it were not exported."""
    folder = tmp_path / "photos"
    square = [[25.0, 15.0, 55.0, 15.0, 55.0, 45.0, 25.0, 45.0]]
    speck = [[10.0, 10.0, 11.0, 10.0, 11.0, 11.0]]
    images, anns = [], []
    for i, name in enumerate(("a.png", "b.png", "c.png"), start=1):
        _scene(folder / name)
        images.append({"id": i, "file_name": name, "width": 80, "height": 60})
        anns.append({"id": i, "image_id": i, "category_id": 1, "segmentation": speck if i == 2 else square})
    coco = folder / "annotations.coco.json"
    coco.write_text(json.dumps({"images": images, "annotations": anns, "categories": [{"id": 1, "name": "cup"}]}))
    out = tmp_path / "out"
    args = [a.format(coco=coco, folder=folder) for a in command] + ["--out", str(out), "--crop", "-q"]
    assert cli.main(args + (["--workers", "0"] if "batch" in args else [])) == 1
    err = capsys.readouterr().err
    assert "b.png" in err and "'b_cup-1.png' has an empty mask" in err and "check --strict" in err
    assert sorted(p.name for p in out.glob("*.png")) == ["a_cup-1.png", "c_cup-1.png"]


def test_image_records_without_a_size_take_it_from_their_file_everywhere(tmp_path):
    folder = tmp_path / "photos"
    _scene(folder / "abc-img.jpg")
    coco = folder / "annotations.coco.json"
    coco.write_text(
        json.dumps(
            {  # as Label Studio writes an image it could not open
                "images": [{"id": 0, "width": None, "height": None, "file_name": "/data/upload/1/abc-img.jpg"}],
                "annotations": [
                    {
                        "id": 0,
                        "image_id": 0,
                        "category_id": 0,
                        "segmentation": [[10, 10, 30, 10, 30, 30, 10, 30]],
                        "area": 400,
                        "bbox": [10, 10, 20, 20],
                        "iscrowd": 0,
                    }
                ],
                "categories": [{"id": 0, "name": "cat"}],
            }
        )
    )
    with Session.open(folder) as session:
        (first,) = session.objects("abc-img.jpg")
        assert first.mask.shape == (60, 80) and first.mask.sum() > 300
        session.add("abc-img.jpg", _square(), "cat")
    assert cli.main(["check", "--strict", str(coco), "-q"]) == 0
    assert cli.main(["export", "--coco", str(coco), "--images", str(folder), "--out", str(tmp_path / "o"), "-q"]) == 0
    assert len(list((tmp_path / "o").glob("*.png"))) == 2
    assert cli.main(["review", str(folder), "--out", str(tmp_path / "sheet.png"), "-q"]) == 0
    assert (tmp_path / "sheet.png").is_file()
    assert json.loads(coco.read_text())["images"][0]["width"] is None  # the user's record kept as it was
    # batch masks and replay too (they refused: "gives no width and height ... cannot be read")
    pytest.importorskip("distributed")
    masks = tmp_path / "masks.json"
    args = ["batch", "masks", "--coco", str(coco), "--images", str(folder), "--out", str(masks), "--workers", "0", "-q"]
    assert cli.main(args) == 0
    assert json.loads(masks.read_text())["images"][0]["width"] is None  # (its records as the file's)
    segment = ["segment", str(folder / "abc-img.jpg"), "--box", "20,10,60,50", "--coco", str(coco)]
    assert cli.main(segment + ["--category", "cat", "-q"]) == 0  # an object that keeps its prompts
    args = ["replay", str(coco), "--engine", "plain_grabcut", "--images", str(folder), "--workers", "0", "-q"]
    assert cli.main(args + ["--out", str(tmp_path / "replayed.json")]) == 0


def test_a_folder_export_into_the_folder_itself_never_replaces_its_coco_file(tmp_path):
    from interactive_seg import InputError
    from interactive_seg.batch import export_folder

    folder = tmp_path / "photos"
    folder.mkdir()
    _scene(folder / "a.png")
    with Session.open(folder, compact_every=1000) as session:
        session.add("a.png", _square(), "cat")
        session.save()
        session.add("a.png", _square(x=0), "cat")  # in the journal only
        before = session.path.read_bytes()
        with pytest.raises(InputError, match="folder's own"):
            export_folder(folder, folder, workers=0, progress=False)  # default COCO: <out>/annotations.coco.json
        assert session.path.read_bytes() == before


def test_a_folder_export_whose_coco_path_cannot_be_written_writes_no_cutout(tmp_path):
    from interactive_seg import InputError
    from interactive_seg.batch import export_folder

    folder = tmp_path / "photos"
    folder.mkdir()
    _scene(folder / "a.png")
    with Session.open(folder) as session:
        session.add("a.png", _square(), "cat")
    (tmp_path / "adir").mkdir()
    for coco in (tmp_path / "adir", tmp_path / "missing" / "x.json"):
        with pytest.raises(InputError, match="COCO file"):
            export_folder(folder, tmp_path / "out", coco=coco, workers=0, progress=False)
        assert not (tmp_path / "out").exists()


def test_a_session_opened_while_a_command_line_writes_waits_for_it_and_writes(tmp_path):
    """A window opened at the moment segment --coco held the lock was read-only for good."""
    import threading

    from interactive_seg.model.lock import FolderLock

    folder = tmp_path / "photos"
    folder.mkdir()
    coco = folder / "annotations.coco.json"
    coco.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    writer = FolderLock(coco)
    assert writer.acquire()  # the command line's moment of writing
    threading.Timer(0.3, writer.release).start()
    session = Session.open(folder, wait=2.0)
    try:
        assert not session.read_only
    finally:
        session.close()


def test_a_results_list_given_as_a_coco_file_gets_one_plain_sentence(tmp_path, capsys):
    """A detector's results (a JSON list) given where a COCO file goes: the refusal was
    wrapped in a second one ("holds a value JSON readers refuse (The COCO file ... )")."""
    results = tmp_path / "dets.json"
    results.write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]))
    assert cli.main(["review", str(results), "--out", str(tmp_path / "sheet.png"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "not a COCO dataset" in err and "readers refuse" not in err and err.count("; give") == 1
