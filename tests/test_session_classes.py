"""The class list and the class colours are the session's, kept in its COCO categories (#33)."""

import json

import numpy as np
import pytest

from interactive_seg import Session, palette, write_image
from interactive_seg.errors import InputError
from interactive_seg.model.annotations import Annotations


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", np.full((40, 60, 3), 90, np.uint8))
    return root


def test_another_tools_categories_keep_their_keys_and_ours_keep_their_colour(folder):
    theirs = [
        {"id": 7, "name": "cup", "supercategory": "kitchen", "keypoints": ["rim"]},
        {"id": 3, "name": "plate", "color": [255, 0, 0]},  # a colour of another tool's own form
    ]
    (folder / "annotations.coco.json").write_text(json.dumps({"images": [], "annotations": [], "categories": theirs}))
    model = Annotations(session=Session.open(folder))
    assert model.classes == ["cup", "plate"]
    assert model.class_colours == {"cup": palette.colour(0), "plate": palette.colour(1)}  # their places in the file
    model.add_class("spoon")
    model.open("a.png", (40, 60))
    mask = np.zeros((40, 60), bool)
    mask[5:10, 5:10] = True
    model.accept("a.png", mask, "cup")
    model.session.close()
    categories = json.loads((folder / "annotations.coco.json").read_text())["categories"]
    assert categories[:2] == theirs  # untouched
    assert categories[2]["name"] == "spoon" and categories[2]["color"] == model.class_colours["spoon"]
    assert model.class_colours["spoon"] not in (palette.colour(0), palette.colour(1))  # a colour no class has
    again = Annotations(session=Session.open(folder))
    assert again.class_colours == model.class_colours


def test_removing_a_class_removes_its_category_and_a_bad_colour_is_refused(folder):
    model = Annotations(session=Session.open(folder))
    model.add_class("cup")
    model.add_class("spoon")
    model.remove_class("cup")
    with pytest.raises(InputError):
        model.session.add_class("fork", "red")
    model.session.close()
    assert Annotations(session=Session.open(folder)).classes == ["spoon"]


def test_a_class_typed_in_another_unicode_form_is_the_class_the_file_has(folder, tmp_path):
    """A macOS tool stores "café" decomposed (NFD); typed composed (NFC) in the widget, the
    CLI or the API it is that class, not a second one that looks the same."""
    import unicodedata

    from interactive_seg.model.store import read_document

    nfd, nfc = unicodedata.normalize("NFD", "café"), unicodedata.normalize("NFC", "café")
    assert nfd != nfc
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 4, "name": nfd}]}))
    original = path.read_bytes()
    model = Annotations(session=Session.open(folder))
    with pytest.raises(InputError, match="already a class"):
        model.add_class(nfc)
    model.open("a.png", (40, 60))
    mask = np.zeros((40, 60), bool)
    mask[5:10, 5:10] = True
    model.accept("a.png", mask, nfc)
    assert model.classes == [nfd]
    model.session.close()
    data = json.loads(path.read_text())
    assert data["categories"] == [{"id": 4, "name": nfd}]  # kept as the file spelled it
    assert [a["category_id"] for a in data["annotations"]] == [4]
    assert original[original.index(b'"categories"') :] in path.read_bytes()  # byte for byte
    doc = read_document(path)
    assert doc.category_id(nfc) == 4
    with pytest.raises(InputError, match="already a class"):
        doc.add_category(nfc)


def test_the_default_class_used_after_a_later_class_was_added_keeps_its_place(folder):
    """Add class "cat", then an object of the default "object": the file had cat first, so
    the folder reopened with the list turned round (and cat chosen, the next Accept's class)."""
    model = Annotations(session=Session.open(folder))
    model.add_class("cat")
    model.open("a.png", (40, 60))
    mask = np.zeros((40, 60), bool)
    mask[5:10, 5:10] = True
    model.accept("a.png", mask, "object")
    assert model.classes == ["object", "cat"]
    colours = model.class_colours
    model.session.close()
    categories = json.loads((folder / "annotations.coco.json").read_text())["categories"]
    assert [c["name"] for c in categories] == ["object", "cat"]
    again = Annotations(session=Session.open(folder))
    assert again.classes == ["object", "cat"] and again.class_colours == colours
    again.session.close()
