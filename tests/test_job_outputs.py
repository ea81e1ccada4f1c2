"""A job that ends by writing a whole file (batch masks, replay, batch export, propose)
never writes over what another program wrote meanwhile, nor over a photograph; .gif and
.avif images are listed as every door reads them."""

import json

import numpy as np
import pytest

pytest.importorskip("distributed")

import interactive_seg as iseg  # noqa: E402
from conftest import disc_scene  # noqa: E402
from interactive_seg import InputError  # noqa: E402
from interactive_seg.batch import masks as batch_masks  # noqa: E402
from interactive_seg.cli import main  # noqa: E402
from interactive_seg.model.writers import add_to_coco, check_not_held, edit_document, save_document  # noqa: E402


def cli(*args):
    return main([str(a) for a in args])


@pytest.fixture
def boxes(tmp_path):
    """folder/a.png, folder/b.png and folder/annotations.coco.json: one box each, no masks yet."""
    folder = tmp_path / "folder"
    folder.mkdir()
    images = []
    for i, name in enumerate(("a.png", "b.png")):
        iseg.write_image(folder / name, disc_scene(seed=i)[0])
        images.append({"id": i + 1, "file_name": name, "width": 160, "height": 120})
    anns = [{"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [40, 20, 80, 80]} for i in range(2)]
    coco = folder / "annotations.coco.json"
    coco.write_text(json.dumps({"images": images, "annotations": anns, "categories": [{"id": 1, "name": "disc"}]}))
    return coco


def square_object():
    mask = np.zeros((120, 160), bool)
    mask[5:15, 5:25] = True
    return iseg.CocoObject(mask, "square")


def test_a_whole_file_write_is_refused_when_another_program_wrote_the_file_meanwhile(boxes):
    seen = check_not_held(boxes)
    doc = iseg.CocoDocument.open(boxes)
    add_to_coco(boxes, "a.png", 160, 120, [square_object()])
    written = boxes.read_bytes()
    with pytest.raises(InputError, match="was written by another program while this ran"):
        save_document(doc, boxes, unchanged_since=seen)
    assert boxes.read_bytes() == written


def test_a_whole_file_write_is_refused_when_another_program_writes_while_it_is_written(boxes, monkeypatch):
    seen = check_not_held(boxes)
    doc = iseg.CocoDocument.open(boxes)
    write = doc.write

    def slow_write(handle):  # an editor saves the file while the document is written
        write(handle)
        theirs = json.loads(boxes.read_text())
        theirs["categories"].append({"id": 7, "name": "square"})
        boxes.write_text(json.dumps(theirs))

    monkeypatch.setattr(doc, "write", slow_write)
    with pytest.raises(InputError, match="was written by another program while this ran"):
        save_document(doc, boxes, unchanged_since=seen)
    assert "square" in boxes.read_text()
    assert not [p for p in boxes.parent.iterdir() if p.name.endswith(".tmp")]


def test_batch_masks_in_place_keeps_an_object_added_while_it_ran(boxes, monkeypatch, capsys):
    """The in-place batch read the file, a segment --coco (or a session) added an object while
    it ran, and the batch's older copy went over it: the object was lost, exit 0."""
    run_tasks = batch_masks.run_tasks

    def meanwhile(*args, **kwargs):
        with edit_document(boxes) as doc:  # as segment --coco adds one
            doc.add_annotation(2, square_object().mask, "square")
        return run_tasks(*args, **kwargs)

    monkeypatch.setattr(batch_masks, "run_tasks", meanwhile)
    args = ("batch", "masks", "--coco", boxes, "--images", boxes.parent, "--out", boxes, "--workers", 0, "-q")
    assert cli(*args) == 2
    assert "was written by another program while this ran" in capsys.readouterr().err
    assert "square" in [c["name"] for c in json.loads(boxes.read_text())["categories"]]  # still there
    monkeypatch.setattr(batch_masks, "run_tasks", run_tasks)
    assert cli(*args) == 0  # again: on the file as it is now, the work done kept
    doc = iseg.CocoDocument.open(boxes)
    assert sorted(doc.category_name(a["category_id"]) for a in doc.annotations()) == ["disc", "disc", "square"]
    assert all(doc.has_mask(a["id"]) for a in doc.annotations())


@pytest.mark.parametrize("command", ["masks", "replay", "export", "propose", "review"])
def test_no_job_writes_over_one_of_its_photographs(boxes, tmp_path, command, capsys):
    folder = boxes.parent
    assert cli("batch", "masks", "--coco", boxes, "--images", folder, "--out", boxes, "--workers", 0, "-q") == 0
    photo = folder / "a.png"
    before = photo.read_bytes()
    args = {
        "masks": ("batch", "masks", "--coco", boxes, "--images", folder, "--out", photo, "--workers", 0),
        "replay": ("replay", boxes, "--images", folder, "--engine", "grabcut", "--out", photo, "--workers", 0),
        "export": ("batch", "export", folder, "--out", tmp_path / "cut", "--coco", photo, "--workers", 0),
        "propose": ("propose", folder, "--text", "disc", "--out", photo, "--workers", 0),
        "review": ("review", boxes, "--images", folder, "--out", photo),
    }[command]
    if command == "review":
        pytest.importorskip("matplotlib")
    assert cli(*args, "-q") == 2
    assert "a.png" in capsys.readouterr().err
    assert photo.read_bytes() == before


def test_gif_and_avif_images_are_listed_as_every_door_reads_them(tmp_path):
    from PIL import Image, features

    image = disc_scene()[0]
    names = ["a.png", "b.gif"] + (["c.avif"] if features.check("avif") else [])
    for name in names:
        Image.fromarray(image).save(tmp_path / name)
    from interactive_seg.files import list_images

    listed = list_images(tmp_path)
    assert listed.images == names and not listed.unreadable
    assert iseg.read_image(tmp_path / "b.gif").shape == image.shape
    (tmp_path / "d.gif").write_bytes(b"not a picture")
    assert list_images(tmp_path).unreadable == ["d.gif"]


def test_propose_never_writes_over_a_file_a_session_holds(boxes, capsys):
    session = iseg.Session.open(boxes.parent)
    try:
        before = boxes.read_bytes()
        assert cli("propose", boxes.parent, "--text", "disc", "--out", boxes, "--workers", 0, "-q") == 2
        assert "is open for writing in another window or program" in capsys.readouterr().err
        assert boxes.read_bytes() == before
    finally:
        session.close()


def test_propose_makes_its_output_folder_before_the_work(boxes, tmp_path):
    """It computed every image, then refused to write into a folder that did not exist."""
    from interactive_seg.batch.propose import propose_images

    out = tmp_path / "new" / "proposals.json"
    with pytest.raises(InputError):  # (no SAM 3 model here: refused at the model, after the folder is made)
        propose_images(boxes.parent, out, source="concept", options={"model": str(tmp_path / "none")}, text="disc")
    assert out.parent.is_dir()


def test_an_image_name_that_is_not_utf8_on_disk_goes_through_every_job(tmp_path):
    """Latin-1 'café.png' (old cameras, ZIP files): replay, batch masks, batch export and
    review stopped with a traceback (UnicodeEncodeError)."""
    import os

    folder = tmp_path / "photos"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.png")
    try:
        iseg.write_image(folder / name, disc_scene()[0])
    except (OSError, UnicodeError):
        pytest.skip("this file system takes no such name")
    coco = folder / "annotations.coco.json"
    assert cli("segment", folder / name, "--box", "40,20,120,100", "--coco", coco, "--category", "disc", "-q") == 0
    assert cli("replay", coco, "--engine", "grabcut", "--out", tmp_path / "r.json", "--workers", 0, "-q") == 0
    args = ("--images", folder, "--out", tmp_path / "m.json", "--redo", "--workers", 0, "-q")
    assert cli("batch", "masks", "--coco", coco, *args) == 0
    assert cli("batch", "export", folder, "--out", tmp_path / "cut", "--workers", 0, "-q") == 0
    assert len(list((tmp_path / "cut").glob("*.png"))) == 1
    pytest.importorskip("matplotlib")
    assert cli("review", coco, "--out", tmp_path / "sheet.png", "-q") == 0


def test_a_refused_propose_says_nothing_is_kept(tmp_path):
    """It said "the work done is kept", and the rerun computed every image again."""
    from interactive_seg.model.writers import save_bytes

    out = tmp_path / "proposals.json"
    seen = check_not_held(out)
    out.write_text("[]")  # another program, meanwhile
    with pytest.raises(InputError, match="nothing of this run is kept"):
        save_bytes(b"[1]", out, unchanged_since=seen)
    assert out.read_text() == "[]"


def test_a_file_replaced_by_a_copy_of_the_same_size_and_time_is_seen(tmp_path):
    """rsync -a / cp -p keep the time: size and time alone did not see the other file."""
    import os

    out = tmp_path / "out.json"
    out.write_text('{"a": 1}')
    seen = check_not_held(out)
    info = os.stat(out)
    other = tmp_path / "other.json"
    other.write_text('{"b": 2}')  # same size
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(other, out)
    with pytest.raises(InputError, match="was written by another program"):
        save_document(iseg.CocoDocument(), out, unchanged_since=seen)
