"""Provenance and review kept by a folder session and the annotation model (#35)."""

import json
import re

import numpy as np
import pytest

from interactive_seg import Session, write_image
from interactive_seg import provenance as pv
from interactive_seg.errors import InputError
from interactive_seg.model.annotations import Annotations


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", np.full((40, 60, 3), 90, np.uint8))
    return root


def _mask(x0, y0, x1, y1, shape=(40, 60)):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def _record(box):
    return pv.make_record(
        {"name": "grabcut", "options": {"iterations": 5}},
        {"box": list(box)},
        {"fingerprint": "f", "width": 60, "height": 40},
    )


def _saved(folder):
    data = json.loads((folder / "annotations.coco.json").read_text())
    return {a["id"]: a for a in data["annotations"]}


def test_add_and_replace_write_the_record_under_its_key_and_it_survives_reopening(folder):
    with Session.open(folder) as session:
        first = session.add("a.png", _mask(2, 2, 10, 10), "cup", provenance=_record((2, 2, 10, 10)))
        second = session.add("a.png", _mask(20, 2, 30, 10), "cup")
        session.replace(second, _mask(20, 2, 32, 12), provenance=_record((20, 2, 32, 12)))
        session.replace(first, category="mug")  # no record given: the one there stays
    saved = _saved(folder)
    assert saved[first][pv.KEY]["prompts"] == {"box": [2, 2, 10, 10]}
    assert saved[second][pv.KEY]["prompts"] == {"box": [20, 2, 32, 12]}
    reopened = Session.open(folder, mode="read")
    assert reopened.provenance(first)["engine"]["name"] == "grabcut"


def test_set_review_marks_an_object_saved_at_once_and_leaves_other_keys(folder):
    with Session.open(folder) as session:
        made = session.add("a.png", _mask(2, 2, 10, 10), "cup", provenance=_record((2, 2, 10, 10)))
        bare = session.add("a.png", _mask(20, 2, 30, 10), "cup")
        session.set_review(made, "accepted", by="ana")
        session.set_review(bare, "rejected")
        assert session.review_state(made) == "accepted" and session.review_state(bare) == "rejected"
        with pytest.raises(InputError):
            session.set_review(made, "maybe")
    saved = _saved(folder)
    assert saved[made][pv.KEY]["review"]["state"] == "accepted" and saved[made][pv.KEY]["review"]["by"] == "ana"
    assert saved[made][pv.KEY]["prompts"] == {"box": [2, 2, 10, 10]}
    review = saved[bare][pv.KEY]["review"]  # a verdict says when it was given, even by nobody named
    assert saved[bare][pv.KEY] == {"schema": pv.SCHEMA, "review": {"state": "rejected", "at": review["at"]}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", review["at"])


def test_a_failed_review_changes_nothing(folder):
    session = Session.open(folder)
    made = session.add("a.png", _mask(2, 2, 10, 10), "cup", provenance=_record((2, 2, 10, 10)))
    with pytest.raises(InputError):
        session.set_review(made, "nonsense")
    assert session.review_state(made) == "unreviewed"
    session.close()


def test_the_model_carries_records_through_accept_edit_undo_redo_and_delete(folder):
    model = Annotations(session=Session.open(folder))
    model.open("a.png", (40, 60))
    first = _record((2, 2, 10, 10))
    object_id = model.accept("a.png", _mask(2, 2, 10, 10), "cup", provenance=first).object_id
    edited = pv.make_record(first["engine"], {"box": [2, 2, 14, 14]}, first["image"], previous=first)
    model.replace("a.png", object_id, _mask(2, 2, 14, 14), provenance=edited)
    assert model.session.provenance(object_id)["prompts"] == {"box": [2, 2, 14, 14]}
    assert model.session.provenance(object_id)["history"][0]["engine"]["name"] == "grabcut"
    model.undo("a.png")  # the edit: the first record comes back with the first mask
    assert model.session.provenance(object_id)["prompts"] == {"box": [2, 2, 10, 10]}
    model.redo("a.png")
    assert model.session.provenance(object_id)["prompts"] == {"box": [2, 2, 14, 14]}
    model.set_review("a.png", object_id, "accepted", by="ana")
    assert model.review_state("a.png", object_id) == "accepted"
    model.delete("a.png", object_id)
    model.undo("a.png")  # back with its record and its review
    assert model.session.provenance(object_id)["prompts"] == {"box": [2, 2, 14, 14]}
    assert model.session.review_state(object_id) == "accepted"
    model.session.close()


def test_an_object_deleted_after_reopening_comes_back_with_its_record(folder):
    with Session.open(folder) as session:
        object_id = session.add("a.png", _mask(2, 2, 10, 10), "cup", provenance=_record((2, 2, 10, 10)))
    model = Annotations(session=Session.open(folder))
    model.open("a.png", (40, 60))
    model.delete("a.png", object_id)
    assert object_id not in _saved(folder) or model.session.objects("a.png") == []
    model.undo("a.png")
    assert model.session.provenance(object_id)["prompts"] == {"box": [2, 2, 10, 10]}
    model.session.close()


def test_a_model_without_a_session_keeps_reviews_too():
    model = Annotations()
    model.open("x", (40, 60))
    object_id = model.accept("x", _mask(2, 2, 10, 10), provenance=_record((2, 2, 10, 10))).object_id
    model.set_review("x", object_id, "rejected")
    assert model.review_state("x", object_id) == "rejected"
    assert model.provenance("x", object_id)["prompts"] == {"box": [2, 2, 10, 10]}


def test_a_review_of_an_object_read_from_the_file_survives_folding_and_reopening(folder):
    """A review set on an annotation the session read from the file (not one it made) is
    written when the journal is folded: the record is not written back as the bytes it was
    read as (the review was once lost this way when the session was closed)."""
    with Session.open(folder) as session:
        object_id = session.add("a.png", _mask(5, 5, 20, 20), "cat", provenance=_record([5, 5, 20, 20]))
    with Session.open(folder) as session:
        session.set_review(object_id, "rejected", by="bo")
    with Session.open(folder) as session:
        assert session.review_state(object_id) == "rejected"
        session.replace(object_id, provenance=_record([4, 4, 21, 21]))  # the record alone, no new mask
    saved = json.loads((folder / "annotations.coco.json").read_text())
    (ann,) = saved["annotations"]
    assert ann[pv.KEY]["prompts"]["box"] == [4.0, 4.0, 21.0, 21.0]
    with Session.open(folder) as session:
        assert session.provenance(object_id)["prompts"]["box"] == [4.0, 4.0, 21.0, 21.0]
