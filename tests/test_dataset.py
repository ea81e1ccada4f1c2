"""A dataset opens as it is laid out: images in subfolders listed by relative path, one rule
to find an image from a COCO file_name, and one naming rule so that no export overwrites
one cutout with another."""

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import interactive_seg as iseg
from interactive_seg import InputError, Session
from interactive_seg.cli import main
from interactive_seg.coco import CocoDocument
from interactive_seg.coco.locate import ImageLocator, locate_image, relative_name
from interactive_seg.export import image_stem, image_stems
from interactive_seg.files import list_images
from interactive_seg.model.annotations import Annotations


def picture(path: Path, value: int = 90, shape=(30, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full(shape + (3,), value, np.uint8)
    image[5:15, 5:20] = (255 - value, 40, 200)
    cv2.imwrite(str(path), image)
    return path


def square(shape=(30, 40)):
    m = np.zeros(shape, bool)
    m[5:15, 5:20] = True
    return m


@pytest.fixture
def root(tmp_path):
    """train/ and val/ with images of the same names, a top-level image, and what is not an image."""
    root = tmp_path / "dataset"
    for name, value in (
        ("train/a.png", 10),
        ("train/cat/b.jpg", 20),
        ("val/a.png", 30),
        ("top.png", 40),
        ("Val/c.png", 50),
    ):
        picture(root / name, value)
    picture(root / ".cache" / "hidden.png")  # hidden folder
    picture(root / "train" / ".thumb.png")  # hidden file
    (root / "val" / "broken.jpg").write_bytes(b"not an image")
    (root / "val" / "notes.txt").write_text("not listed")
    return root


# -- listing -----------------------------------------------------------------------------------
def test_a_root_with_subfolders_opens_with_every_image_by_relative_path(root):
    session = Session.open(root)
    # each folder's images together, subfolders before files, any case
    assert session.images == ["train/cat/b.jpg", "train/a.png", "val/a.png", "Val/c.png", "top.png"]
    assert session.unreadable == ["val/broken.jpg"]
    assert session.read("val/a.png")[0, 0, 0] == 30
    session.add("val/a.png", square(), "cup")
    session.close()  # folds the journal into the COCO file and lets the folder go
    saved = json.loads(session.path.read_text())
    assert [im["file_name"] for im in saved["images"]] == ["val/a.png"]  # the COCO file names it by its relative path
    again = Session.open(root)
    assert again.count("val/a.png") == 1 and again.count("train/a.png") == 0


def test_flat_include_and_exclude_choose_images(root):
    assert Session.open(root, recursive=False).images == ["top.png"]
    assert list_images(root, include="train/**").images == ["train/cat/b.jpg", "train/a.png"]
    assert list_images(root, include="*.jpg").images == ["train/cat/b.jpg"]
    assert list_images(root, include=["cat", "top.png"]).images == [
        "train/cat/b.jpg",
        "top.png",
    ]  # a folder's name takes what is in it
    assert list_images(root, exclude="val").images == [
        "train/cat/b.jpg",
        "train/a.png",
        "top.png",
    ]  # any case: Val/ too
    assert list_images(root, exclude=["train/*.png", "**/c.png"]).images == ["train/cat/b.jpg", "val/a.png", "top.png"]
    assert Session.open(root, include="val/*", exclude="*.jpg").unreadable == []
    assert list_images(root, include="cat/").images == [] and list_images(root, include="/top.png").images == [
        "top.png"
    ]
    with pytest.raises(InputError, match="empty"):
        list_images(root, include=[""])


def test_images_a_coco_file_names_in_a_hidden_folder_stay_listed_unless_flat(root):
    (root / "annotations.coco.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": ".cache\\hidden.png", "width": 40, "height": 30}],
                "annotations": [],
                "categories": [],
            }
        )
    )
    assert ".cache/hidden.png" in Session.open(root).images
    assert ".cache/hidden.png" not in Session.open(root, recursive=False).images


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symlinks")
def test_symlinked_folders_are_followed_once_and_never_in_a_loop(root, tmp_path):
    picture(tmp_path / "elsewhere" / "far.png")
    os.symlink(tmp_path / "elsewhere", root / "far")  # a folder outside the root: followed
    os.symlink(root / "train", root / "again")  # a second way into train/: listed once, where it really is
    os.symlink(root, root / "train" / "up")  # a loop back to the root
    os.symlink(tmp_path, root / "val" / "parent")  # a link above the root: would list the root again
    listed = list_images(root).images
    assert listed == ["far/far.png", "train/cat/b.jpg", "train/a.png", "val/a.png", "Val/c.png", "top.png"]


def test_listing_decodes_nothing_and_old_prefixed_files_still_find_their_objects(tmp_path):
    folder = tmp_path / "photos"
    picture(folder / "abc.jpg")
    picture(folder / "d e.png")
    doc = CocoDocument()
    doc.add_image("images/abc.jpg", 40, 30)  # another tool's prefix
    doc.add_image("..\\data\\d e.png", 40, 30)  # Windows separators, a path that climbs out
    doc.add_annotation(1, square(), "cup")
    doc.add_annotation(2, square(), "dog")
    doc.save(folder / "annotations.coco.json")
    session = Session.open(folder)
    assert session.images == ["abc.jpg", "d e.png"]
    assert [o.category for o in session.objects("abc.jpg")] == ["cup"] and [
        o.category for o in session.objects("d e.png")
    ] == ["dog"]


# -- locating ----------------------------------------------------------------------------------
def test_one_rule_finds_an_image_from_a_coco_file_name(root, tmp_path):
    locate = ImageLocator(root)
    assert locate("train/a.png") == root / "train" / "a.png"
    assert locate("train\\a.png") == root / "train" / "a.png"  # Windows separators
    assert locate("./val/a.png") == root / "val" / "a.png"
    assert locate("images/train/a.png") == root / "train" / "a.png"  # another tool's prefix: the tail below the folder
    assert locate("C:\\data\\val\\a.png") == root / "val" / "a.png"
    assert locate("/data/upload/3/top.png") == root / "top.png"
    assert locate("b.jpg") == root / "train" / "cat" / "b.jpg"  # one b.jpg below the folder: that one
    assert locate("a.png") is None  # train/a.png and val/a.png: which one is not for a guess
    assert locate.name("images/train/a.png") == "train/a.png" and locate.name("a.png") is None
    picture(tmp_path / "data" / "far.png")
    assert locate("../data/far.png") == root / ".." / "data" / "far.png"  # the path as written, last
    assert locate.name("../data/far.png") is None  # not in the folder
    picture(root / "far.png")
    assert locate_image(root, "../data/far.png") == root / "far.png"  # the folder given wins over the path as written
    assert (
        relative_name("sub\\a.png") == "sub/a.png"
        and relative_name("../a.png") is None
        and relative_name("/a.png") is None
    )


def test_a_name_in_another_unicode_form_or_written_as_a_url_finds_its_image(tmp_path):
    import unicodedata

    from interactive_seg.coco.locate import same_image

    folder = tmp_path / "photos"
    picture(folder / unicodedata.normalize("NFD", "café.png"))  # as macOS writes it
    picture(folder / "my photo.png")
    locate = ImageLocator(folder)
    composed = unicodedata.normalize("NFC", "café.png")  # as most tools write it
    assert locate(composed) == folder / unicodedata.normalize("NFD", "café.png")
    assert locate("/data/upload/1/my%20photo.png") == folder / "my photo.png"  # Label Studio's upload path
    assert same_image(composed, unicodedata.normalize("NFD", "sub/café.png"))
    assert locate("IMG_001.JPG") is None  # a case-only difference is another file on most disks
    # URLs of cloud storage and of Label Studio's local files: their path, not their query
    picture(folder / "cam1" / "0001.png")
    signed = "https://bucket.s3.amazonaws.com/set/cam1/0001.png?X-Amz-Signature=ab%2Fc&X-Amz-Expires=3600"
    assert locate.name(signed) == "cam1/0001.png" and relative_name(signed) is None
    assert locate.name("http://localhost:8080/data/local-files/?d=photos/cam1/0001.png") == "cam1/0001.png"
    assert locate.name("/data/local-files/?d=my%20photo.png") == "my photo.png"
    assert locate.name("gs://bucket/my%20photo.png#frag") == "my photo.png"
    assert same_image(signed, "cam1/0001.png") and not same_image(signed, "cam2/0001.png")
    assert locate.name("https://cdn.host/cam1/0001.png?w=800&d=2") == "cam1/0001.png"  # d= of local files only


def test_export_review_and_sessions_find_images_by_the_same_rule(root, tmp_path):
    """A file whose file_names carry a prefix (images/...) and a bare base name: export and review find them all."""
    doc = CocoDocument()
    for name in ("images/train/a.png", "images\\val\\a.png", "b.jpg"):
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], square(), "cup")
    doc.save(tmp_path / "other-tool.json")
    written = iseg.export_dataset(tmp_path / "other-tool.json", root, tmp_path / "out")
    assert sorted(p.name for p in written) == ["train_a_cup-1.png", "train_cat_b_cup-1.png", "val_a_cup-1.png"]
    pytest.importorskip("matplotlib")
    from interactive_seg.review import contact_sheet

    sheet = contact_sheet(tmp_path / "other-tool.json", tmp_path / "sheet.png", images=root)
    assert all(not tile.notes for tile in sheet.pages[0].tiles) and len(sheet.pages[0].tiles) == 3


# -- naming ------------------------------------------------------------------------------------
def test_output_stems_come_from_the_relative_path_and_never_clash():
    assert image_stem("a.png") == "a" and image_stem("sub1/a.png") == "sub1_a" and image_stem("sub1\\a.png") == "sub1_a"
    stems = image_stems(["a.png", "b.png", "sub1/a.png", "sub2/a.png"])
    assert stems == {"a.png": "a", "b.png": "b", "sub1/a.png": "sub1_a", "sub2/a.png": "sub2_a"}  # flat names unchanged
    clashing = image_stems(["a.png", "a.jpg", "A.png", "sub/x.png", "sub_x.png"])
    assert len({s.lower() for s in clashing.values()}) == 5
    assert clashing["a.jpg"] == "a_jpg"


def test_classes_with_one_safe_name_never_share_a_cutout_file(tmp_path):
    from interactive_seg.export import export_objects, object_names

    classes = ["cat/dog", "cat_dog", "cat dog", "Car", "car", "cat_dog"]
    assert object_names("a", classes) == [
        "a_cat_dog-1.png",
        "a_cat_dog-2.png",
        "a_cat_dog-3.png",
        "a_Car-1.png",
        "a_car-2.png",  # not a_car-1.png: the same file where case is ignored
        "a_cat_dog-4.png",
    ]
    image = np.full((30, 40, 3), 90, np.uint8)
    objects = [iseg.CocoObject(square(), name) for name in classes]
    (tmp_path / "out").mkdir()
    written = export_objects(image, objects, tmp_path / "out", "a")
    assert len({p.name.lower() for p in written}) == 6 and len(list((tmp_path / "out").iterdir())) == 6


def test_a_stem_and_a_class_never_give_another_images_cutout_name(tmp_path):
    """x.png's class a_b and x_a.png's class b would both write x_a_b-1.png."""
    assert image_stems(["x.png", "x_a.png"], {"x.png": ["a_b"], "x_a.png": ["b"]}) == {
        "x.png": "x_png",
        "x_a.png": "x_a_png",
    }
    assert image_stems(["x.png", "x_a.png"], {"x.png": ["A B"], "x_a.png": ["b"]})["x.png"] == "x_png"  # any case
    assert image_stems(["x.png", "x_a.png"], {"x.png": ["a"], "x_a.png": ["b"]}) == {"x.png": "x", "x_a.png": "x_a"}
    root = tmp_path / "root"
    doc = CocoDocument()
    for name, value, category in (("x.png", 10, "a_b"), ("x_a.png", 200, "b")):
        picture(root / name, value)
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], square(), category)
    doc.save(root / "annotations.coco.json")
    expected = ["x_a_png_b-1.png", "x_png_a_b-1.png"]
    iseg.export_dataset(root / "annotations.coco.json", root, tmp_path / "api")
    assert pngs(tmp_path / "api") == expected
    pytest.importorskip("distributed")
    assert main(["batch", "export", str(root), "--out", str(tmp_path / "batch"), "--workers", "0", "-q"]) == 0
    assert pngs(tmp_path / "batch") == expected
    boxes = json.loads((root / "annotations.coco.json").read_text())
    for ann in boxes["annotations"]:
        del ann["segmentation"]
    (tmp_path / "boxes.json").write_text(json.dumps(boxes))
    cut = tmp_path / "cut"
    args = ["--images", str(root), "--out", str(tmp_path / "m.json"), "--cutouts", str(cut), "--workers", "0", "-q"]
    assert main(["batch", "masks", "--coco", str(tmp_path / "boxes.json"), *args]) == 0
    assert pngs(cut) == expected


# -- every export door: N files for N cutouts on same-stem images ------------------------------
@pytest.fixture
def annotated(tmp_path):
    """sub1/a.png and sub2/a.png (different pictures, one cup each) and b.png (two cups), saved as a folder session."""
    root = tmp_path / "root"
    for name, value in (("sub1/a.png", 10), ("sub2/a.png", 200), ("b.png", 90)):
        picture(root / name, value)
    doc = CocoDocument()
    for name in ("sub1/a.png", "sub2/a.png", "b.png"):
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], square(), "cup")
    small = np.zeros((30, 40), bool)
    small[20:25, 25:35] = True
    doc.add_annotation(3, small, "cup")
    doc.save(root / "annotations.coco.json")
    return root


EXPECTED = ["b_cup-1.png", "b_cup-2.png", "sub1_a_cup-1.png", "sub2_a_cup-1.png"]


def pngs(folder: Path) -> list:
    return sorted(p.name for p in folder.glob("*.png"))


def test_export_dataset_and_the_export_command_write_one_file_per_cutout(annotated, tmp_path):
    coco = annotated / "annotations.coco.json"
    written = iseg.export_dataset(coco, annotated, tmp_path / "api", background="black")
    assert len(written) == 4 and pngs(tmp_path / "api") == EXPECTED
    assert main(["export", "--coco", str(coco), "--images", str(annotated), "--out", str(tmp_path / "cli"), "-q"]) == 0
    assert pngs(tmp_path / "cli") == EXPECTED
    one, two = (iseg.read_image(tmp_path / "cli" / n) for n in ("sub1_a_cup-1.png", "sub2_a_cup-1.png"))
    assert one[10, 10, 2] != two[10, 10, 2]  # each the cutout of its own picture


def test_batch_export_writes_one_file_per_cutout_and_takes_the_listing_options(annotated, tmp_path):
    pytest.importorskip("distributed")
    assert main(["batch", "export", str(annotated), "--out", str(tmp_path / "all"), "--workers", "0", "-q"]) == 0
    assert pngs(tmp_path / "all") == EXPECTED
    assert (
        main(
            [
                "batch",
                "export",
                str(annotated),
                "--out",
                str(tmp_path / "some"),
                "--workers",
                "0",
                "--exclude",
                "sub2",
                "-q",
            ]
        )
        == 0
    )
    assert pngs(tmp_path / "some") == ["b_cup-1.png", "b_cup-2.png", "sub1_a_cup-1.png"]
    assert (
        main(["batch", "export", str(annotated), "--out", str(tmp_path / "flat"), "--workers", "0", "--flat", "-q"])
        == 0
    )
    assert pngs(tmp_path / "flat") == ["b_cup-1.png", "b_cup-2.png"]


def test_batch_masks_cutouts_one_file_per_cutout(annotated, tmp_path):
    pytest.importorskip("distributed")
    names = [im["file_name"] for im in json.loads((annotated / "annotations.coco.json").read_text())["images"]]
    data = {
        "images": [{"id": i + 1, "file_name": name, "width": 40, "height": 30} for i, name in enumerate(names)],
        "annotations": [
            {"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [3, 3, 20, 14]} for i in range(len(names))
        ],
        "categories": [{"id": 1, "name": "cup"}],
    }
    (tmp_path / "boxes.json").write_text(json.dumps(data))
    code = main(
        [
            "batch",
            "masks",
            "--coco",
            str(tmp_path / "boxes.json"),
            "--images",
            str(annotated),
            "--out",
            str(tmp_path / "m.json"),
            "--cutouts",
            str(tmp_path / "cut"),
            "--workers",
            "0",
            "-q",
        ]
    )
    assert code == 0
    assert pngs(tmp_path / "cut") == ["b_cup-1.png", "sub1_a_cup-1.png", "sub2_a_cup-1.png"]


def test_widget_export_writes_one_file_per_cutout(annotated, tmp_path):
    model = Annotations(session=Session.open(annotated))
    written = []
    for name in ("sub1/a.png", "sub2/a.png", "b.png"):
        image = iseg.read_image(annotated / name)
        model.open(name, image.shape[:2], file_name=name)
        written += model.export(name, image, tmp_path / "out", coco=tmp_path / "out.json", background="black")
    assert pngs(tmp_path / "out") == EXPECTED and len(written) == 4 + 3
    saved = json.loads((tmp_path / "out.json").read_text())
    assert sorted(im["file_name"] for im in saved["images"]) == ["b.png", "sub1/a.png", "sub2/a.png"]
    assert len(saved["annotations"]) == 4


def test_batch_embed_lists_the_folder_as_a_session_does(root):
    pytest.importorskip("distributed")
    from interactive_seg.batch.embed import folder_images

    names = [p.relative_to(root).as_posix() for p in folder_images(root)]
    assert names == ["train/cat/b.jpg", "train/a.png", "val/a.png", "val/broken.jpg", "Val/c.png", "top.png"]
    assert [p.name for p in folder_images(root, recursive=False)] == ["top.png"]
    assert [p.name for p in folder_images(root, include="train/**", exclude="cat")] == ["a.png"]


def test_gui_says_when_the_options_leave_no_image(root, capsys):
    pytest.importorskip("napari")
    shutil.rmtree(root / "train")
    (root / "top.png").unlink()
    assert main(["gui", str(root), "--include", "train/**", "--no-run"]) == 2
    assert "no readable images that --include / --exclude keep" in capsys.readouterr().err


def test_review_of_a_folder_takes_the_listing_options(annotated, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["review", str(annotated), "--out", str(tmp_path / "all.png"), "-q"]) == 0
    assert main(["review", str(annotated), "--out", str(tmp_path / "sub1.png"), "--include", "sub1"]) == 0
    assert "Wrote" in capsys.readouterr().out
    from interactive_seg.review import contact_sheet

    sheet = contact_sheet(annotated, tmp_path / "flat.png", recursive=False)
    assert sorted(t.file_name for t in sheet.tiles) == ["b.png", "b.png"]
    sheet = contact_sheet(annotated, tmp_path / "none.png", exclude=["sub*", "b.png"])
    assert not sheet.tiles and "--include" in sheet.message
    sheet = contact_sheet(annotated, tmp_path / "one.png", include="sub1/*")
    assert [t.file_name for t in sheet.tiles] == ["sub1/a.png"] and not sheet.tiles[0].notes


# -- one image never taken for another of its base name (an attack pass) -----------------------
def test_the_command_lines_writers_never_take_an_image_for_another_of_its_base_name(tmp_path):
    """cam2/0001.png went onto cam1/0001.png's record (segment --coco) and replaced its
    objects (export --image --coco): both looked the image up by its base name."""
    root = tmp_path / "frames"
    picture(root / "cam1" / "0001.png", 10)
    picture(root / "cam2" / "0001.png", 200)
    coco = root / "annotations.coco.json"
    doc = CocoDocument()
    doc.add_annotation(doc.add_image("cam1/0001.png", 40, 30)["id"], square(), "person")
    doc.save(coco)
    labels = tmp_path / "labels.png"
    cv2.imwrite(str(labels), square().astype(np.uint8))
    image = str(root / "cam2" / "0001.png")
    assert main(["segment", image, "--box", "4,4,22,16", "--coco", str(coco), "--category", "car", "-q"]) == 0
    assert (
        main(
            ["export", "--image", image, "--labels", str(labels), "--classes", "car"]
            + ["--out", str(tmp_path / "out"), "--coco", str(coco), "-q"]
        )
        == 0
    )
    data = json.loads(coco.read_text())
    names = {im["id"]: im["file_name"] for im in data["images"]}
    by_image = {}
    for ann in data["annotations"]:
        by_image.setdefault(names[ann["image_id"]], []).append(ann["id"])
    assert by_image == {"cam1/0001.png": [1], "cam2/0001.png": [3]}  # export --image replaced segment's object


def test_a_record_without_a_size_takes_its_images_in_every_writer(tmp_path):
    """Label Studio writes "width": null for an image it could not open: segment --coco,
    export --coco and add_to_coco crashed on it (int(None))."""
    root = tmp_path / "photos"
    picture(root / "a.png")
    coco = root / "result.json"
    coco.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.png", "width": None, "height": None}],
                "annotations": [],
                "categories": [{"id": 1, "name": "cup"}],
            }
        )
    )
    assert (
        main(["segment", str(root / "a.png"), "--box", "4,4,22,16", "--coco", str(coco), "--category", "cup", "-q"])
        == 0
    )
    iseg.add_to_coco(coco, "a.png", 40, 30, [iseg.CocoObject(square(), "cup")])
    data = json.loads(coco.read_text())
    assert [im["width"] for im in data["images"]] == [None] and len(data["annotations"]) == 1


def test_batch_export_names_the_coco_file_when_no_image_is_found(tmp_path, capsys):
    root = tmp_path / "photos"
    picture(root / "a.png")
    doc = CocoDocument()
    doc.add_annotation(doc.add_image("elsewhere/zz.png", 40, 30)["id"], square(), "cup")
    doc.save(root / "annotations.coco.json")
    assert main(["batch", "export", str(root), "--out", str(tmp_path / "out"), "--workers", "0", "-q"]) == 2
    assert f"annotated images of {str(root / 'annotations.coco.json')!r}" in capsys.readouterr().err


# -- an export into a folder an earlier export wrote: N files for N objects ---------------------
def test_an_export_again_removes_the_cutouts_of_objects_deleted_since(annotated, tmp_path):
    """A deleted object's cutout stayed beside the renumbered others (b_cup-2.png): N+1
    files for N objects; every door."""
    pytest.importorskip("distributed")
    coco = annotated / "annotations.coco.json"
    out = tmp_path / "api"
    iseg.export_dataset(coco, annotated, out, background="black")
    assert main(["batch", "export", str(annotated), "--out", str(tmp_path / "batch"), "--workers", "0", "-q"]) == 0
    assert pngs(out) == EXPECTED == pngs(tmp_path / "batch")
    (out / "notes.png").write_bytes(b"the user's own file")  # never touched
    doc = CocoDocument.open(coco)
    doc.remove_annotation(doc.annotations(3)[0]["id"])  # b.png keeps one cup
    doc.remove_annotation(doc.annotations(1)[0]["id"])  # sub1/a.png keeps none
    doc.save()
    iseg.export_dataset(coco, annotated, out, background="black")
    assert main(["batch", "export", str(annotated), "--out", str(tmp_path / "batch"), "--workers", "0", "-q"]) == 0
    assert pngs(out) == ["b_cup-1.png", "notes.png", "sub2_a_cup-1.png"]
    assert pngs(tmp_path / "batch") == ["b_cup-1.png", "sub2_a_cup-1.png"]


def test_an_export_again_removes_the_temporary_files_a_killed_export_left(annotated, tmp_path):
    """A SIGKILLed export left `.b_cup-1.png.k2j4x9ab.tmp` files in the output folder that no
    rerun removed; one just written (another export, live) stays, as do the user's own."""
    import os
    import time

    from interactive_seg.files import STALE_SECONDS

    coco = annotated / "annotations.coco.json"
    out = tmp_path / "out"
    iseg.export_dataset(coco, annotated, out)
    stale, live, theirs = (
        out / ".b_cup-1.png.k2j4x9ab.tmp",
        out / ".b_cup-2.png.q8r7s6t5.tmp",
        out / ".notes.txt.abcd1234.tmp",
    )
    for path in (stale, live, theirs):
        path.write_bytes(b"half a PNG")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(theirs, (old, old))
    iseg.export_dataset(coco, annotated, out)
    assert not stale.exists() and live.exists() and theirs.exists()


def test_no_export_writes_over_a_file_it_did_not_write(annotated, tmp_path):
    """A photograph not (yet) annotated, named like a cutout, in the output folder was
    written over by every door (#33, a command line user's pass); a re-export writes over
    the cutouts it wrote before."""
    pytest.importorskip("distributed")
    coco = annotated / "annotations.coco.json"
    for door in ("api", "batch", "widget"):
        out = tmp_path / door
        out.mkdir()
        (out / "b_cup-2.png").write_bytes(b"the user's photograph")
        with pytest.raises(InputError, match="this tool did not write it"):
            if door == "api":
                iseg.export_dataset(coco, annotated, out)
            elif door == "batch":
                from interactive_seg.batch import export_folder

                export_folder(annotated, out, workers=0, progress=False)
            else:
                model = Annotations(session=Session.open(annotated, mode="read"))
                image = iseg.read_image(annotated / "b.png")
                model.open("b.png", image.shape[:2], file_name="b.png")
                model.export("b.png", image, out)
        assert (out / "b_cup-2.png").read_bytes() == b"the user's photograph" and pngs(out) == ["b_cup-2.png"]
    again = tmp_path / "again"
    iseg.export_dataset(coco, annotated, again)
    iseg.export_dataset(coco, annotated, again)  # its own files: written over
    assert pngs(again) == EXPECTED


def test_a_cutout_changed_since_its_export_is_never_removed(annotated, tmp_path):
    coco = annotated / "annotations.coco.json"
    out = tmp_path / "out"
    iseg.export_dataset(coco, annotated, out)
    (out / "b_cup-2.png").write_bytes(b"edited by hand")
    doc = CocoDocument.open(coco)
    doc.remove_annotation(doc.annotations(3)[1]["id"])
    doc.save()
    iseg.export_dataset(coco, annotated, out)
    assert (out / "b_cup-2.png").read_bytes() == b"edited by hand"


def test_the_widget_export_of_one_image_again_removes_its_stale_cutouts(annotated, tmp_path):
    model = Annotations(session=Session.open(annotated))
    image = iseg.read_image(annotated / "b.png")
    model.open("b.png", image.shape[:2], file_name="b.png")
    model.export("b.png", image, tmp_path / "out")
    assert pngs(tmp_path / "out") == ["b_cup-1.png", "b_cup-2.png"]
    model.delete("b.png", model.objects("b.png").ids[0])
    model.export("b.png", image, tmp_path / "out")
    assert pngs(tmp_path / "out") == ["b_cup-1.png"]


def test_an_export_folder_inside_the_folder_is_not_listed_as_images(annotated):
    iseg.export_dataset(annotated / "annotations.coco.json", annotated, annotated / "cutouts")
    assert list_images(annotated).images == ["sub1/a.png", "sub2/a.png", "b.png"]
    assert sorted(Session.open(annotated, mode="read").images) == ["b.png", "sub1/a.png", "sub2/a.png"]


def test_two_folders_exported_into_one_keep_each_others_cutouts(tmp_path):
    """The record named an image by its relative path: b/a.png's export (no objects) removed
    a/a.png's cutout."""
    pytest.importorskip("distributed")
    for name, objects in (("one", 1), ("two", 0)):
        folder = tmp_path / name
        picture(folder / "a.png")
        doc = CocoDocument()
        image = doc.add_image("a.png", 40, 30)
        for _ in range(objects):
            doc.add_annotation(image["id"], square(), "cup")
        doc.save(folder / "annotations.coco.json")
    out = tmp_path / "cutouts"
    assert main(["batch", "export", str(tmp_path / "one"), "--out", str(out), "--workers", "0", "-q"]) == 0
    assert main(["batch", "export", str(tmp_path / "two"), "--out", str(out), "--workers", "0", "-q"]) == 0
    iseg.export_dataset(tmp_path / "two" / "annotations.coco.json", tmp_path / "two", out)
    assert pngs(out) == ["a_cup-1.png"]


def test_an_export_killed_while_writing_leaves_no_cutout_the_next_cannot_remove(tmp_path):
    from interactive_seg.export.manifest import Cutouts

    image = picture(tmp_path / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    first = Cutouts(out)
    first.planned(image, [out / "a_cup-1.png", out / "a_cup-2.png"])
    first.save()
    (out / "a_cup-1.png").write_bytes(b"1")
    (out / "a_cup-2.png").write_bytes(b"2")  # killed here: never covered
    again = Cutouts(out)
    assert again.covered(image, [out / "a_cup-1.png"]) == [out / "a_cup-2.png"]
    assert pngs(out) == ["a_cup-1.png"]


def test_no_cutout_is_written_over_a_photograph_of_the_export(tmp_path):
    folder = tmp_path / "photos"
    picture(folder / "a.png")
    picture(folder / "a_cup-1.png", 200)  # a photograph named like a cutout
    doc = CocoDocument()
    doc.add_annotation(doc.add_image("a.png", 40, 30)["id"], square(), "cup")
    doc.add_image("a_cup-1.png", 40, 30)
    doc.save(folder / "annotations.coco.json")
    before = (folder / "a_cup-1.png").read_bytes()
    with pytest.raises(InputError, match="would be written over that image"):
        iseg.export_dataset(folder / "annotations.coco.json", folder, folder)
    assert (folder / "a_cup-1.png").read_bytes() == before


def test_photographs_in_a_folder_an_export_wrote_into_stay_listed(annotated):
    """The whole folder was left out: its own photographs vanished from the session."""
    iseg.export_dataset(annotated / "annotations.coco.json", annotated, annotated / "sub1")
    assert list_images(annotated).images == ["sub1/a.png", "sub2/a.png", "b.png"]


def x_png_and_x_jpg(folder: Path) -> Path:
    """``folder`` with x.png and x.jpg, a cup each (one stem, two images), saved as a folder session."""
    doc = CocoDocument()
    for name in ("x.png", "x.jpg"):
        picture(folder / name)
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], square(), "cup")
    doc.save(folder / "annotations.coco.json")
    return folder


def test_the_widget_names_a_session_image_as_the_folder_export_does(tmp_path):
    root = x_png_and_x_jpg(tmp_path / "root")
    model = Annotations(session=Session.open(root))
    for name in ("x.png", "x.jpg"):
        image = iseg.read_image(root / name)
        model.open(name, image.shape[:2], file_name=name)
        model.export(name, image, tmp_path / "out")
    assert pngs(tmp_path / "out") == ["x_jpg_cup-1.png", "x_png_cup-1.png"]


def test_an_avif_whose_major_brand_is_mif1_is_an_image(tmp_path):
    from interactive_seg.files import looks_like_image

    (tmp_path / "a.avif").write_bytes(b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf" + bytes(16))
    (tmp_path / "b.avif").write_bytes(b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heicmiaf" + bytes(16))
    assert looks_like_image(tmp_path / "a.avif") and not looks_like_image(tmp_path / "b.avif")


def test_an_export_folder_opened_itself_lists_its_cutouts(annotated, tmp_path):
    """It showed 0 images, with no word why."""
    iseg.export_dataset(annotated / "annotations.coco.json", annotated, tmp_path / "out")
    assert list_images(tmp_path / "out").images == EXPECTED


def test_a_second_record_of_an_image_without_objects_never_removes_its_cutouts(tmp_path):
    """batch export removed the cutout it had just written: the file listed a.png twice, once
    without objects, and that record was 'covered' with no files after the cutouts were made."""
    pytest.importorskip("distributed")
    folder = tmp_path / "photos"
    picture(folder / "a.png")
    doc = CocoDocument()
    first = doc.add_image("a.png", 40, 30)
    doc.add_annotation(first["id"], square(), "cup")
    doc.save(folder / "annotations.coco.json")
    saved = json.loads((folder / "annotations.coco.json").read_text())
    saved["images"].append({"id": 99, "file_name": "a.png", "width": 40, "height": 30})
    (folder / "annotations.coco.json").write_text(json.dumps(saved))
    for _ in range(2):
        assert main(["batch", "export", str(folder), "--out", str(tmp_path / "out"), "--workers", "0", "-q"]) == 0
        assert pngs(tmp_path / "out") == ["a_cup-1.png"]


def test_the_record_of_two_exports_saved_in_turn_keeps_both_and_a_moved_folder_its_names(tmp_path):
    from interactive_seg.export.manifest import Cutouts

    data = tmp_path / "data"
    a, b = picture(data / "a.png"), picture(data / "b.png")
    out = data / "cutouts"
    out.mkdir()
    one, two = Cutouts(out), Cutouts(out)  # two exports, each with the record as it was at its start
    one.planned(a, [out / "a_cup-1.png"])
    one.save()
    two.planned(b, [out / "b_dog-1.png", out / "b_dog-2.png"])
    two.save()
    (out / "a_cup-1.png").write_bytes(b"a")
    (out / "b_dog-1.png").write_bytes(b"b1")
    (out / "b_dog-2.png").write_bytes(b"b2")
    two.covered(b, [out / "b_dog-1.png", out / "b_dog-2.png"])
    two.save()
    one.covered(a, [out / "a_cup-1.png"])
    one.save()  # after the other: the other's entries stay
    moved = tmp_path / "moved"
    data.rename(moved)  # the dataset and its export folder, moved together
    out = moved / "cutouts"
    again = Cutouts(out)
    assert again.covered(moved / "b.png", [out / "b_dog-1.png"]) == [out / "b_dog-2.png"]


def test_two_exports_with_include_name_the_images_as_the_whole_folder_does(tmp_path):
    """x.png and x.jpg exported by two runs with --include each wrote x_cup-1.png."""
    pytest.importorskip("distributed")
    folder = x_png_and_x_jpg(tmp_path / "photos")
    out = tmp_path / "out"
    for pattern in ("*.jpg", "*.png"):
        args = ["batch", "export", str(folder), "--out", str(out), "--include", pattern, "--workers", "0", "-q"]
        assert main(args) == 0
    assert pngs(out) == ["x_jpg_cup-1.png", "x_png_cup-1.png"]


def test_symlinked_twins_are_two_images_of_the_record(tmp_path):
    """val/img.png a link to train/img.png, each annotated: the export of one removed the other's cutout."""
    folder = tmp_path / "photos"
    picture(folder / "train" / "img.png")
    try:
        (folder / "val").mkdir()
        os.symlink(folder / "train" / "img.png", folder / "val" / "img.png")
    except (OSError, NotImplementedError):
        pytest.skip("no symbolic links here")
    doc = CocoDocument()
    for name, category in (("train/img.png", "cup"), ("val/img.png", "dog")):
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], square(), category)
    doc.save(folder / "annotations.coco.json")
    out = tmp_path / "out"
    iseg.export_dataset(folder / "annotations.coco.json", folder, out)
    model = Annotations(session=Session.open(folder))
    image = iseg.read_image(folder / "train" / "img.png")
    model.open("train/img.png", image.shape[:2])
    model.export("train/img.png", image, out)
    assert pngs(out) == ["train_img_cup-1.png", "val_img_dog-1.png"]


def test_the_mask_and_cutout_segment_writes_into_the_folder_are_not_images_to_annotate(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    iseg.write_image(folder / "a.png", np.full((60, 80, 3), 90, np.uint8))
    for out in (folder / "out", folder):
        assert main(["segment", str(folder / "a.png"), "--box", "10,10,50,40", "--out", str(out), "-q"]) == 0
        assert (out / "a_mask.png").is_file() and (out / "a_cutout.png").is_file()
    assert list_images(folder).images == ["a.png"]


def _two_records(tmp_path, names) -> Path:
    """A COCO file whose two image records name ``names``, one square object each."""
    doc = CocoDocument()
    for k, name in enumerate(names):
        mask = np.zeros((30, 40), bool)
        mask[2:12, 2 + 20 * k : 12 + 20 * k] = True
        doc.add_annotation(doc.add_image(name, 40, 30)["id"], mask, "o")
    doc.save(tmp_path / "two.json")
    return tmp_path / "two.json"


def test_two_records_of_one_photograph_export_two_files(tmp_path):
    """A file_name written twice: export wrote 'Wrote 2 cutouts' and one file (the second
    object's over the first's). One photograph, its objects numbered on, every door."""
    picture(tmp_path / "imgs" / "a.png")
    coco = _two_records(tmp_path, ["a.png", "a.png"])
    written = iseg.export_dataset(coco, tmp_path / "imgs", tmp_path / "api", background="black")
    assert pngs(tmp_path / "api") == ["a_o-1.png", "a_o-2.png"] and len(written) == 2
    first, second = (iseg.read_image(tmp_path / "api" / n) for n in ("a_o-1.png", "a_o-2.png"))
    assert first[5, 5].any() and not first[5, 25].any() and second[5, 25].any() and not second[5, 5].any()
    pytest.importorskip("distributed")
    folder = tmp_path / "imgs"
    shutil.copy(coco, folder / "annotations.coco.json")
    assert main(["batch", "export", str(folder), "--out", str(tmp_path / "batch"), "--workers", "0", "-q"]) == 0
    assert pngs(tmp_path / "batch") == ["a_o-1.png", "a_o-2.png"]


def test_records_of_two_folders_are_not_both_one_photograph_of_a_flat_folder(tmp_path, capsys):
    """train/a.png and val/a.png with --images at a flat folder of one a.png: val's object
    was cut from that photograph too (and written over train's). Neither is found, said."""
    picture(tmp_path / "imgs" / "a.png")
    coco = _two_records(tmp_path, ["train/a.png", "val/a.png"])
    out = tmp_path / "out"
    assert main(["export", "--coco", str(coco), "--images", str(tmp_path / "imgs"), "--out", str(out)]) == 2
    assert (
        "other paths of the file, or several images of the folder, have that name too" in capsys.readouterr().err
        and not out.exists()
    )
    locate = ImageLocator(tmp_path / "imgs", records=CocoDocument.open(coco).images)
    assert locate("train/a.png") is None and locate.shared("val/a.png")
    assert ImageLocator(tmp_path / "imgs")("val/a.png") == tmp_path / "imgs" / "a.png"  # (without the records)
