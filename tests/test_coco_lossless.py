"""The COCO document keeps a user's file as it was read, at any size (issue 30).

What the user did not change is written back byte for byte; a changed record never gets
a NaN/Infinity token; every valid file pycocotools reads opens (no 'annotations', null
width/height, ids written 1.0); saves write through a symbolic link; leftovers of a
killed save are removed; the small index API the session's journal replays through.
"""

import contextlib
import io
import json

import numpy as np
import pytest
from coco_files import STYLES, write_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO

from interactive_seg import CocoDocument, InputError, check_coco
from interactive_seg.coco.segmentation import (
    _rle_problem,
    decode_segmentation,
    mask_to_segmentation,
)
from interactive_seg.files import open_atomic, write_bytes_atomic


def no_constants(text):
    """json.loads that fails on NaN / Infinity tokens (not JSON)."""

    def refuse(token):
        raise AssertionError(f"{token} written")

    return json.loads(text, parse_constant=refuse)


def rle(shape, y0, y1, x0, x1):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask_to_segmentation(mask)["segmentation"]


ODD = (
    '\ufeff{ "info" : {"description": "caf\\u00e9 \u00e9t\u00e9 \U0001f600", "ratio": 1.50, "far": 1e400},\n'
    '  "images": [\n'
    '    {"file_name": "a.png", "id": 1, "width": 8, "height": 6, "extra": [1.0, 2.50e1]},\n'
    '    {"id": 2,"file_name":"sub/b \u00fc.png","height":6,"width":8}\n'
    "  ],\n"
    '  "annotations": [ {"segmentation": ' + json.dumps(rle((6, 8), 1, 4, 2, 6)) + ', "id": 1, "image_id": 1,'
    ' "category_id": 1, "area": 12.00, "bbox": [2, 1, 4, 3], "score": 1e400, "note": "\\ud800 lone"} ,\n'
    '    {"id": 2, "image_id": 2, "category_id": 2, "segmentation": [[1.50, 1, 5, 1, 5, 4]], "area": 6, "bbox": [1.5,1,3.5,3]},\n'
    '    {"id":3,"image_id":2,"category_id":1,"bbox":[0,0,2,2]}\n'
    "  ],\n"
    '  "categories": [{"name": "cat", "id": 1}, {"supercategory": "", "id": 2, "name": "d\u00f6g"}], "tail": null }\n'
)


@pytest.fixture
def odd_file(tmp_path):
    path = tmp_path / "odd.json"
    path.write_bytes(ODD.encode("utf-8"))
    return path


def test_an_untouched_file_is_written_back_byte_for_byte(odd_file):
    before = odd_file.read_bytes()
    doc = CocoDocument.open(odd_file)
    doc.annotations()  # reading records is not changing them
    doc.image(1)
    doc.save()
    assert odd_file.read_bytes() == before


def test_a_change_leaves_every_other_record_byte_for_byte(odd_file):
    doc = CocoDocument.open(odd_file)
    doc.update_annotation(2, category="cat")
    doc.add_annotation(1, np.ones((6, 8), bool), "bird")
    doc.remove_annotation(3)
    doc.save()
    after = odd_file.read_text(encoding="utf-8-sig")
    assert ODD[: ODD.index('"annotations"')].lstrip("\ufeff") in after  # info, images: as read
    first = ODD[ODD.index('{"segmentation"') : ODD.index("} ,\n") + 1]
    assert first in after  # the untouched annotation: its spaces, 1e400, escape and key order
    assert ODD[ODD.index('"categories"') : ODD.index('}], "tail"') + 1] in after  # then the new class
    data = no_constants(after)
    assert [a["id"] for a in data["annotations"]] == [1, 2, 4]
    assert data["annotations"][1]["category_id"] == 1 and data["annotations"][1]["segmentation"] == [
        [1.5, 1, 5, 1, 5, 4]
    ]
    assert odd_file.read_bytes().startswith(b"\xef\xbb\xbf")  # the byte-order mark as read
    plain = odd_file.with_name("plain.json")
    plain.write_text(after, encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()):
        assert len(COCO(str(plain)).anns) == 3


def test_1e400_in_a_changed_annotation_keeps_its_text_never_infinity(odd_file):
    doc = CocoDocument.open(odd_file)
    doc.update_annotation(1, category="dög")
    doc.set("info", dict(doc.get("info"), more=1))  # a changed top-level value with 1e400 too
    doc.save()
    text = odd_file.read_text(encoding="utf-8-sig")
    data = no_constants(text)  # no NaN / Infinity token anywhere
    assert data["annotations"][0]["category_id"] == 2
    # a class change changes category_id alone: every other value keeps its text as read
    assert '"category_id": 2, "area": 12.00, "bbox": [2, 1, 4, 3], "score": 1e400,' in text
    assert '"far": 1e400, "more": 1}' in text  # info: a key added after its text
    assert data["annotations"][0]["note"] == "\ud800 lone"
    # a non-finite number the program made is refused, and nothing changes
    with pytest.raises(InputError, match="JSON"):
        doc.update_annotation(2, score=float("nan"))
    assert "score" not in doc.annotation(2)


def test_a_file_without_annotations_opens_and_stays_without_them(tmp_path):
    path = tmp_path / "detectron2.json"
    text = '{"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6}], "categories": [{"id": 1, "name": "cat"}]}'
    path.write_text(text)
    assert check_coco(path) == []
    doc = CocoDocument.open(path)
    assert doc.count() == 0 and doc.annotations() == [] and doc.annotation_ids(1) == []
    doc.save()
    assert path.read_text() == text
    doc.add_annotation(1, np.ones((6, 8), bool), "cat")
    doc.save()
    data = no_constants(path.read_text())
    assert [a["id"] for a in data["annotations"]] == [1] and data["images"] == json.loads(text)["images"]
    assert CocoDocument.open(path).count() == 1


def test_null_width_and_height_come_from_image_size_when_a_mask_needs_them(tmp_path):
    path = tmp_path / "label studio.json"
    records = [{"id": 0, "file_name": "images/a.png", "width": None, "height": None}, {"id": 1, "file_name": "b.png"}]
    anns = [
        {"id": 0, "image_id": 0, "category_id": 0, "segmentation": [[1, 1, 6, 1, 6, 4]], "bbox": [1, 1, 5, 3]},
        {"id": 1, "image_id": 1, "category_id": 0, "segmentation": rle((6, 8), 0, 2, 0, 2)},
    ]
    text = json.dumps({"images": records, "categories": [{"id": 0, "name": "cat"}], "annotations": anns})
    path.write_text(text)

    plain = CocoDocument.open(path)  # opens: only a mask needs the size
    assert plain.count() == 2 and plain.has_mask(0)
    with pytest.raises(InputError, match="no width and height"):
        plain.mask(0)
    with pytest.raises(InputError, match="no width and height"):
        plain.add_annotation(1, np.ones((6, 8), bool), "cat")
    assert plain.count() == 2
    assert any("no width and height" in p for p in plain.check())

    asked = []

    def size(record):
        asked.append(record["file_name"])
        return (6, 8)

    doc = CocoDocument.open(path, image_size=size)
    assert doc.check() == []
    assert np.array_equal(doc.mask(0), decode_segmentation(anns[0]["segmentation"], 6, 8)) and doc.image_size(1) == (
        6,
        8,
    )
    doc.add_annotation(0, np.ones((6, 8), bool), "cat")
    doc.save()
    saved = no_constants(path.read_text())
    assert saved["images"] == records  # written back untouched: still null
    assert set(asked) == {"images/a.png", "b.png"}


def test_float_ids_are_the_int_ids(tmp_path):
    path = tmp_path / "floats.json"
    text = (
        '{"images": [{"id": 1.0, "file_name": "a.png", "width": 8, "height": 6}],'
        ' "categories": [{"id": 2.0, "name": "cat"}],'
        ' "annotations": [{"id": 7.0, "image_id": 1, "category_id": 2.0, "segmentation": [[1, 1, 6, 1, 6, 4]]}]}'
    )
    path.write_text(text)
    doc = CocoDocument.open(path)
    assert doc.annotation_ids(1) == [7] and doc.meta(7) == (1, 2, True) and doc.category_name(2) == "cat"
    assert np.array_equal(doc.mask(7), decode_segmentation([[1, 1, 6, 1, 6, 4]], 6, 8))
    ann = doc.add_annotation(1, np.ones((6, 8), bool), "cat")
    assert ann["id"] == 8 and ann["category_id"] == 2.0
    doc.save()
    saved = path.read_text()
    assert saved.startswith(text[:-2]) and '"id": 7.0' in saved  # written back as read
    with pytest.raises(InputError):
        CocoDocument.from_data({"images": [{"id": 1.5, "file_name": "a", "width": 4, "height": 4}], "annotations": []})


def test_the_index_api_without_parsing_and_put_replays(odd_file, monkeypatch):
    doc = CocoDocument.open(odd_file)
    parsed = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda *a, **k: parsed.append(1) or real(*a, **k))
    assert doc.annotation_ids() == [1, 2, 3] and doc.annotation_ids(2) == [2, 3]
    assert doc.meta(1) == (1, 1, True) and doc.meta(3) == (2, 1, False) and not doc.has_mask(3)
    assert parsed == []
    monkeypatch.undo()
    with pytest.raises(InputError, match="no annotation"):
        doc.meta(99)
    # replace: the record moves to its new image, keeps its place in the file
    moved = dict(doc.annotation(2), image_id=1, category_id=1)
    doc.put_annotation(moved)
    assert doc.annotation_ids(1) == [1, 2] and doc.annotation_ids(2) == [3] and doc.meta(2) == (1, 1, True)
    doc.put_annotation({"id": 10, "image_id": 2, "category_id": 2, "bbox": [0, 0, 1, 1]})
    doc.put_image({"id": 3, "file_name": "c.png", "width": 4, "height": 4})
    doc.put_category({"id": 1, "name": "lion"})
    assert doc.category_id("lion") == 1 and doc.category_id("cat") is None and doc.find_image("c.png")["id"] == 3
    for bad in (
        {"id": 11, "image_id": 99, "category_id": 1},
        {"id": 11, "image_id": 1, "category_id": 42},
        {"id": 11, "image_id": 1, "category_id": 1, "segmentation": {"size": [1, 1], "counts": "0"}},
    ):
        with pytest.raises(InputError):
            doc.put_annotation(bad)
    assert 11 not in doc.annotation_ids()
    doc.remove_annotation(10)
    assert doc.new_annotation_id() == 11  # never reused, found without a scan
    doc.save()
    data = no_constants(odd_file.read_text(encoding="utf-8-sig"))
    assert [a["id"] for a in data["annotations"]] == [1, 2, 3]
    assert data["annotations"][1]["image_id"] == 1 and data["images"][-1]["file_name"] == "c.png"


def test_records_across_window_edges_are_read_exactly(monkeypatch, tmp_path):
    """The file is decoded a window at a time: tiny windows cut numbers, strings and characters."""
    from interactive_seg.coco import rawjson

    monkeypatch.setattr(rawjson, "_WINDOW", 7)
    path = tmp_path / "odd.json"
    path.write_bytes(ODD.encode("utf-8"))
    doc = CocoDocument.open(path)
    expected = json.loads(ODD.lstrip("\ufeff"))
    assert doc.annotations() == expected["annotations"] and doc.images == expected["images"]
    assert doc.get("info")["ratio"] == 1.5 and doc.get("tail") is None
    doc.update_annotation(3, category="cat")
    assert no_constants(doc.dumps().decode("utf-8-sig"))["categories"] == expected["categories"]
    truncated = tmp_path / "cut.json"
    truncated.write_bytes(ODD.encode("utf-8")[:-40])
    with pytest.raises(InputError, match="not valid JSON"):
        CocoDocument.open(truncated)


def test_a_value_longer_than_the_window_in_three_byte_characters_is_read(monkeypatch, tmp_path):
    """A window that one value fills grows twice as long in bytes: counted in characters
    it did not grow for 2-byte text and shrank for 3-byte text, and the file never opened
    (a list of Chinese captions, 7.5 MB: found by an attack pass)."""
    from interactive_seg.coco import rawjson

    monkeypatch.setattr(rawjson, "_WINDOW", 64)
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 3}],
        "annotations": [],
        "categories": [{"id": 1, "name": "猫"}],
        "captions": [{"id": i, "caption": "一只猫坐在红色的沙发上" * 3} for i in range(40)],
    }
    path = tmp_path / "cjk.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    doc = CocoDocument.open(path)
    assert doc.get("captions") == data["captions"] and doc.category_name(1) == "猫"
    doc.save()
    assert path.read_bytes() == before


@pytest.mark.parametrize("style", sorted(STYLES))
def test_other_tools_files_load_and_save_back_byte_for_byte(style, tmp_path):
    data, sizes = STYLES[style]()
    path = write_dataset(tmp_path / "set", data, sizes)
    before = path.read_bytes()
    doc = CocoDocument.open(path)
    assert doc.count() == len(data["annotations"]) and doc.check() == check_coco(data)
    doc.save()
    assert path.read_bytes() == before


def test_saves_write_through_a_symbolic_link(tmp_path):
    real = tmp_path / "store" / "annotations.coco.json"
    real.parent.mkdir()
    link = tmp_path / "annotations.coco.json"
    link.symlink_to(real)
    write_bytes_atomic(link, b"first")
    assert link.is_symlink() and real.read_bytes() == b"first"
    doc = CocoDocument()
    doc.add_image("a.png", 4, 4)
    doc.save(link)
    assert link.is_symlink() and json.loads(real.read_text())["images"][0]["file_name"] == "a.png"
    with open_atomic(link) as handle:
        handle.write(b"{}")
    assert link.is_symlink() and real.read_bytes() == b"{}"
    assert sorted(p.name for p in real.parent.iterdir()) == ["annotations.coco.json"]


def test_stale_temporaries_of_a_killed_save_are_removed(tmp_path):
    from interactive_seg.files import remove_stale_temporaries

    real = tmp_path / "store" / "a.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "a.json"
    link.symlink_to(real)
    stale = [tmp_path / ".a.json.k2j3.tmp", real.parent / ".a.json.x9.tmp"]
    keep = [
        tmp_path / ".b.json.x.tmp",
        tmp_path / "a.json.x.tmp",
        tmp_path / ".a.json.notes",
        real.parent / ".a.json..tmp",
    ]
    for p in stale + keep:
        p.write_text("half a file")
    assert sorted(remove_stale_temporaries(link)) == sorted(stale)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in keep) and real.read_text() == "{}"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=[chr(c) for c in range(44, 116)], max_size=12), st.integers(1, 9), st.integers(1, 9)
        ),
        max_size=20,
    )
)
def test_rle_runs_checked_in_a_batch_say_what_one_by_one_says(items):
    from interactive_seg.coco.segmentation import rle_problems

    assert rle_problems(items, chunk=16) == [_rle_problem(c, h, w) for c, h, w in items]


def test_a_new_mask_keeps_uncompressed_rle_uncompressed(tmp_path):
    """CVAT writes crowd regions as uncompressed RLE (counts a list): an edit keeps that."""
    from pycocotools import mask as mask_utils

    from interactive_seg import CocoDocument

    runs = [310, 10] + [20, 10] * 19 + [310]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "crowd"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 1,
                         "segmentation": {"size": [30, 40], "counts": runs}, "area": 200, "bbox": [10, 10, 20, 10]}],
    }  # fmt: skip
    path = tmp_path / "cvat.json"
    path.write_text(json.dumps(data))
    doc = CocoDocument.open(path)
    mask = np.zeros((30, 40), bool)
    mask[2:8, 3:9] = True
    doc.update_annotation(1, mask=mask)
    doc.save(path)
    segmentation = json.loads(path.read_text())["annotations"][0]["segmentation"]
    assert isinstance(segmentation["counts"], list)
    decoded = mask_utils.decode(mask_utils.frPyObjects(segmentation, 30, 40)).astype(bool)
    assert np.array_equal(decoded, mask)


def test_a_null_list_is_filled_in_place_and_a_list_given_twice_is_refused(tmp_path):
    """'categories': null got a second 'categories' key after the first new class (the tool
    then refused its own file); 'annotations' twice showed objects JSON readers never see."""
    path = tmp_path / "null.json"
    path.write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 3}], "categories": null, "annotations": []}'
    )
    doc = CocoDocument.open(path)
    mask = np.zeros((3, 4), bool)
    mask[1, 1:3] = True
    doc.add_annotation(1, mask, "cat")
    doc.save()
    text = path.read_text()
    assert text.count('"categories"') == 1 and json.loads(text)["categories"][0]["name"] == "cat"
    assert CocoDocument.open(path).count() == 1
    twice = tmp_path / "twice.json"
    twice.write_text('{"images": [], "categories": [], "annotations": [], "annotations": []}')
    with pytest.raises(InputError, match="'annotations' is given twice"):
        CocoDocument.open(twice)
