"""Review contact sheets: one tile per object, pages, PDF, notes on tiles, sorting, the CLI.

Structure, not pixels: the tiles each page holds (ids, titles, notes), page sizes and
counts, the PDF's pages, exit codes.
"""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import interactive_seg as iseg
from interactive_seg import cli, read_image, write_image
from interactive_seg.coco import CocoDocument
from interactive_seg.review import MAX_PER_PAGE, contact_sheet

H, W = 60, 80


def _image(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (H, W, 3), dtype=np.uint8)


def _disc(cx, cy, r):
    yy, xx = np.mgrid[:H, :W]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


@pytest.fixture
def dataset(tmp_path):
    """Two images; five objects of two classes with known areas; the COCO file beside the images."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_image(folder / "a.png", _image(0))
    write_image(folder / "b.png", _image(1))
    doc = CocoDocument()
    a = doc.add_image("a.png", width=W, height=H)
    b = doc.add_image("b.png", width=W, height=H)
    masks = {
        1: (a, _disc(20, 20, 10), "cat"),
        2: (a, _disc(60, 30, 4), "dog"),
        3: (b, _disc(40, 30, 20), "cat"),
        4: (b, _disc(10, 50, 6), "dog"),
        5: (a, _disc(50, 45, 8), "cat"),
    }
    for ann_id, (image, mask, category) in masks.items():
        doc.add_annotation(image["id"], mask, category, id=ann_id)
    path = doc.save(folder / "labels.json")
    areas = {ann_id: int(mask.sum()) for ann_id, (_, mask, _) in masks.items()}
    return path, areas


def _pdf_pages(path):
    """Page count by a plain parse of the PDF, with its cross-reference table checked."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\s+(\d+)", data).group(1))
    assert data[start : start + 4] == b"xref"
    count = int(re.match(rb"xref\s+0 (\d+)", data[start:]).group(1))
    offsets = re.findall(rb"(\d{10}) 00000 n", data[start:])
    assert len(offsets) == count - 1
    for number, offset in enumerate(offsets, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)
    pages = len(re.findall(rb"/Type /Page\b(?!s)", data))
    assert int(re.search(rb"/Type /Pages /Kids \[[^\]]*\] /Count (\d+)", data).group(1)) == pages
    try:
        import pypdf
    except ImportError:
        return pages
    assert len(pypdf.PdfReader(str(path), strict=True).pages) == pages
    return pages


def test_one_tile_per_object_with_class_id_and_area(dataset, tmp_path):
    coco, areas = dataset
    sheet = contact_sheet(coco, tmp_path / "sheet.png", sort="id")
    assert sheet.files == (tmp_path / "sheet.png",) and (tmp_path / "sheet.png").is_file()
    (page,) = sheet.pages
    assert [t.annotation_id for t in page.tiles] == [1, 2, 3, 4, 5]
    assert [t.title for t in page.tiles] == ["cat · 1", "dog · 2", "cat · 3", "dog · 4", "cat · 5"]
    assert {t.annotation_id: t.area for t in page.tiles} == areas
    assert all(t.note == "" for t in page.tiles)
    assert [t.file_name for t in page.tiles] == ["a.png", "a.png", "b.png", "b.png", "a.png"]
    assert (page.columns, page.rows) == (5, 1)  # five tiles fit one row of a 48-tile grid
    assert read_image(sheet.files[0]).shape[2] in (3, 4)


def test_a_class_is_drawn_in_its_stored_colour_as_in_the_widget(dataset, tmp_path):
    """A category's "color" (written by the widget's session) colours its frames and legend;
    a category without one takes the palette's colour of its place."""
    from interactive_seg import palette

    coco, _ = dataset
    data = json.loads(coco.read_text())
    for category in data["categories"]:
        if category["name"] == "dog":
            category["color"] = "#12AB34"
    coco.write_text(json.dumps(data))
    sheet = contact_sheet(coco, tmp_path / "sheet.png", sort="id")
    page = read_image(sheet.files[0])[..., :3].reshape(-1, 3)

    def pixels(hex_colour):
        return int(np.count_nonzero((page == np.rint(np.array(palette.hex_to_rgb(hex_colour)) * 255)).all(1)))

    dog_place = palette.colour([c["name"] for c in data["categories"]].index("dog"))
    assert pixels("#12ab34") > 200 and pixels(palette.colour(0)) > 200  # cat: first, no stored colour
    assert pixels(dog_place) < 20


def test_page_layout_grid_and_same_size_pages(dataset, tmp_path):
    coco, _ = dataset
    two_rows = contact_sheet(coco, tmp_path / "six.png", per_page=6)
    one_row = contact_sheet(coco, tmp_path / "cats.png", per_page=6, category="cat")
    assert (two_rows.pages[0].columns, two_rows.pages[0].rows) == (3, 2)
    assert (one_row.pages[0].columns, one_row.pages[0].rows) == (3, 1)
    tall, short = read_image(two_rows.files[0]).shape, read_image(one_row.files[0]).shape
    assert tall[1] == short[1] and tall[0] > short[0]  # same columns, one more row of tiles

    paged = contact_sheet(coco, tmp_path / "two.png", per_page=2)
    assert [len(p.tiles) for p in paged.pages] == [2, 2, 1]
    assert all((p.columns, p.rows) == (2, 1) for p in paged.pages)
    assert [p.name for p in paged.files] == ["two-1.png", "two-2.png", "two-3.png"]
    shapes = {read_image(f).shape for f in paged.files}
    assert len(shapes) == 1  # the last page keeps the grid of the others


def test_pdf_has_one_page_per_chunk(dataset, tmp_path):
    coco, _ = dataset
    sheet = contact_sheet(coco, tmp_path / "sheet.pdf", per_page=2, sort="id")
    assert sheet.files == (tmp_path / "sheet.pdf",)
    assert [[t.annotation_id for t in p.tiles] for p in sheet.pages] == [[1, 2], [3, 4], [5]]
    assert _pdf_pages(tmp_path / "sheet.pdf") == 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_png_pages_numbered_to_the_same_width(dataset, tmp_path):
    coco, _ = dataset
    doc = CocoDocument.open(coco)
    for i in range(5):  # ten objects
        doc.add_annotation(doc.images[0]["id"], _disc(10 + 10 * i, 10, 3), "bird")
    doc.save()
    sheet = contact_sheet(coco, tmp_path / "out" / "s.png", per_page=1)
    assert [p.name for p in sheet.files] == [f"s-{n:02d}.png" for n in range(1, 11)]
    assert all(f.is_file() for f in sheet.files)


def test_empty_file_gives_a_sheet_that_says_so(tmp_path):
    doc = CocoDocument()
    doc.add_image("a.png", width=W, height=H)
    coco = doc.save(tmp_path / "empty.json")
    sheet = contact_sheet(coco, tmp_path / "empty.pdf")
    assert sheet.tiles == [] and "Nothing to show" in sheet.message
    assert _pdf_pages(tmp_path / "empty.pdf") == 1
    png = contact_sheet(coco, tmp_path / "empty.png")
    assert png.files == (tmp_path / "empty.png",) and read_image(png.files[0]).ndim == 3


def test_missing_image_is_said_on_its_tiles_the_rest_drawn(dataset, tmp_path):
    coco, areas = dataset
    (coco.parent / "b.png").unlink()
    sheet = contact_sheet(coco, tmp_path / "s.png", sort="id")
    notes = {t.annotation_id: t.note for t in sheet.tiles}
    assert notes == {1: "", 2: "", 3: "image not found", 4: "image not found", 5: ""}
    assert {t.annotation_id: t.area for t in sheet.tiles} == areas  # masks are still drawn
    assert sheet.notes() == {"image not found": 2}


def test_notes_add_up_on_one_tile(dataset, tmp_path):
    coco, _ = dataset
    data = json.loads(coco.read_text())
    data["annotations"].append({"id": 9, "image_id": 2, "category_id": 1, "bbox": [5, 5, 20, 10], "iscrowd": 0})
    coco.write_text(json.dumps(data))
    (coco.parent / "b.png").unlink()
    sheet = contact_sheet(coco, tmp_path / "s.png", sort="id")
    assert sheet.tiles[-1].note == "box only; image not found"
    assert sheet.notes() == {"image not found": 3, "box only": 1}


def test_images_found_by_base_name_and_other_folder(dataset, tmp_path):
    coco, _ = dataset
    data = json.loads(coco.read_text())
    for image in data["images"]:
        image["file_name"] = "photos/" + image["file_name"]
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "labels.json").write_text(json.dumps(data))
    sheet = contact_sheet(moved / "labels.json", tmp_path / "s.png", images=coco.parent)
    assert all(t.note == "" for t in sheet.tiles)
    nowhere = contact_sheet(moved / "labels.json", tmp_path / "t.png")
    assert {t.note for t in nowhere.tiles} == {"image not found"}


def test_box_only_undecodable_wrong_size_tiny_and_full_masks(tmp_path):
    write_image(tmp_path / "a.png", _image(0))
    write_image(tmp_path / "small.png", _image(1)[:30])
    doc = CocoDocument()
    a = doc.add_image("a.png", width=W, height=H)
    s = doc.add_image("small.png", width=W, height=H)  # the file on disk is 80 x 30
    speck = np.zeros((H, W), bool)
    speck[5, 7] = True
    doc.add_annotation(a["id"], speck, "speck", id=1)
    doc.add_annotation(a["id"], np.ones((H, W), bool), "all", id=2)
    doc.add_annotation(s["id"], _disc(20, 20, 5), "all", id=3)
    data = doc.to_data()
    data["annotations"].append({"id": 4, "image_id": a["id"], "category_id": 1, "bbox": [10, 10, 30, 20], "iscrowd": 0})
    data["annotations"].append(
        {
            "id": 5,
            "image_id": a["id"],
            "category_id": 1,
            "bbox": [1, 1, 5, 5],
            "iscrowd": 0,
            "segmentation": {"size": [H, W], "counts": "abc"},
        }
    )
    (tmp_path / "c.json").write_text(json.dumps(data))
    sheet = contact_sheet(tmp_path / "c.json", tmp_path / "s.png", sort="id")
    tiles = {t.annotation_id: t for t in sheet.tiles}
    assert len(tiles) == 5
    assert (tiles[1].area, tiles[1].note) == (1, "")
    assert (tiles[2].area, tiles[2].note) == (H * W, "")
    assert tiles[3].note == f"image is {W} x 30, the file says {W} x {H}"
    assert (tiles[4].area, tiles[4].note) == (None, "box only")
    assert tiles[5].area is None and tiles[5].note.startswith("cannot decode: its ")  # the reason, not the file's name
    assert "c.json" not in tiles[5].note and tiles[5].notes == (tiles[5].note,)


def test_sort_by_area_class_image_and_category_filter(dataset, tmp_path):
    coco, areas = dataset
    by_area = contact_sheet(coco, tmp_path / "a.png", sort="area")
    assert [t.annotation_id for t in by_area.tiles] == sorted(areas, key=areas.get)
    by_class = contact_sheet(coco, tmp_path / "c.png", sort="class")
    assert [t.annotation_id for t in by_class.tiles] == [1, 5, 3, 2, 4]  # cat (a, a, b), then dog
    by_image = contact_sheet(coco, tmp_path / "i.png", sort="image")
    assert [t.annotation_id for t in by_image.tiles] == [1, 2, 5, 3, 4]
    dogs = contact_sheet(coco, tmp_path / "d.png", category="dog")
    assert [t.category for t in dogs.tiles] == ["dog", "dog"]
    both = contact_sheet(coco, tmp_path / "b.png", category=["dog", "cat"])
    assert len(both.tiles) == 5


def test_area_sort_puts_objects_without_a_mask_first(tmp_path):
    doc = CocoDocument()
    image = doc.add_image("a.png", width=W, height=H)
    doc.add_annotation(image["id"], _disc(40, 30, 10), "x", id=1, polygons=True)
    doc.add_annotation(image["id"], _disc(40, 30, 3), "x", id=2)
    data = doc.to_data()
    data["annotations"].append(
        {"id": 3, "image_id": image["id"], "category_id": 1, "bbox": [0, 0, 50, 50], "iscrowd": 0}
    )
    (tmp_path / "c.json").write_text(json.dumps(data))
    sheet = contact_sheet(tmp_path / "c.json", tmp_path / "s.png", sort="area")
    assert [t.annotation_id for t in sheet.tiles] == [3, 2, 1]


def test_folder_session(dataset, tmp_path):
    coco, _ = dataset
    coco.rename(coco.parent / "annotations.coco.json")
    sheet = contact_sheet(coco.parent, tmp_path / "s.png")
    assert len(sheet.tiles) == 5 and all(t.note == "" for t in sheet.tiles)
    assert iseg.review.contact_sheet is contact_sheet
    with pytest.raises(iseg.InputError, match="annotations.coco.json"):
        contact_sheet(tmp_path, tmp_path / "t.png")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"category": "horse"}, "no class 'horse'.*'cat', 'dog'"),
        ({"sort": "size"}, "Sort by one of"),
        ({"per_page": 0}, "from 1 to"),
        ({"per_page": MAX_PER_PAGE + 1}, "from 1 to"),
        ({"images": "/no/such/folder"}, "images folder"),
    ],
)
def test_bad_options_write_nothing(dataset, tmp_path, options, match):
    coco, _ = dataset
    out = tmp_path / "out" / "s.pdf"
    with pytest.raises(iseg.InputError, match=match):
        contact_sheet(coco, out, **options)
    assert not (tmp_path / "out").exists()


def test_bad_suffix_and_bad_file(dataset, tmp_path):
    coco, _ = dataset
    with pytest.raises(iseg.InputError, match=r"\.png or a \.pdf"):
        contact_sheet(coco, tmp_path / "s.jpg")
    (tmp_path / "broken.json").write_text('{"images": [')
    with pytest.raises(iseg.InputError, match="not valid JSON"):
        contact_sheet(tmp_path / "broken.json", tmp_path / "s.png")
    assert not (tmp_path / "s.png").exists()


def test_cli_review_writes_and_reports(dataset, tmp_path, capsys):
    coco, _ = dataset
    out = tmp_path / "sheets" / "review.pdf"
    assert cli.main(["review", str(coco), "--out", str(out), "--per-page", "2", "--sort", "area"]) == 0
    said = capsys.readouterr().out
    assert "5 objects on 3 pages, sorted by area" in said
    assert _pdf_pages(out) == 3
    assert cli.main(["review", str(coco), "--out", str(tmp_path / "d.png"), "--category", "dog", "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "d.png").is_file()


@pytest.mark.parametrize(
    "extra, out_name",
    [
        (["--category", "horse"], "s.pdf"),
        (["--per-page", "0"], "s.pdf"),
        (["--images", "nowhere"], "s.pdf"),
        ([], "s.svg"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(dataset, tmp_path, capsys, extra, out_name):
    coco, _ = dataset
    assert cli.main(["review", str(coco), "--out", str(tmp_path / "out" / out_name)] + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_cli_missing_coco_file(tmp_path, capsys):
    assert cli.main(["review", str(tmp_path / "none.json"), "--out", str(tmp_path / "s.png")]) == 2
    assert "There is no COCO file" in capsys.readouterr().err
    assert not (tmp_path / "s.png").exists()


def test_core_and_cli_do_not_import_matplotlib():
    code = (
        "import sys, interactive_seg, interactive_seg.review, interactive_seg.cli as c; c.build_parser(); "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_sheet_killed_while_writing_leaves_no_temporary_for_good(dataset, tmp_path):
    """SIGKILL during the write left .sheet.pdf.xxxx.tmp (the partial PDF) beside it for good."""
    import os
    import time

    coco, _ = dataset
    out = tmp_path / "sheet.pdf"
    old, live = tmp_path / ".sheet.pdf.ab12.tmp", tmp_path / ".sheet.pdf.cd34.tmp"
    old.write_bytes(b"%PDF partial")
    live.write_bytes(b"%PDF another run, writing now")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    contact_sheet(coco, out)
    assert out.is_file() and not old.exists() and live.exists()  # (another run's, written now, stays)


def test_compare_pairs_an_object_only_on_the_same_photograph(tmp_path):
    """Another tool numbered the images anew: the old file's image 1 is b.png, of another
    size. Pairing by ids alone stopped the sheet with a broadcast traceback (or, at one
    size, drew the old mask of another photograph with IoU 0)."""
    write_image(tmp_path / "a.png", np.full((40, 60, 3), 90, np.uint8))
    write_image(tmp_path / "b.png", np.full((50, 70, 3), 150, np.uint8))
    square = [[2, 2, 12, 2, 12, 12, 2, 12]]
    new = {
        "images": [{"id": 1, "file_name": "a.png", "width": 60, "height": 40}],
        "categories": [{"id": 1, "name": "o"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": square, "iscrowd": 0,
                         "bbox": [2, 2, 10, 10], "area": 100}],
    }  # fmt: skip
    old = json.loads(json.dumps(new))
    old["images"] = [{"id": 1, "file_name": "b.png", "width": 70, "height": 50}]
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "old.json").write_text(json.dumps(old))
    for sort in ("class", "change"):
        sheet = contact_sheet(tmp_path / "new.json", tmp_path / f"{sort}.png", compare=tmp_path / "old.json", sort=sort)
        assert [(t.role, t.iou) for t in sheet.tiles] == [("", None)]  # drawn alone: nothing to compare it with
