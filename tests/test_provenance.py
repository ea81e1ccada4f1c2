"""Provenance: every object says how it was made (engine, options, model, prompts, image, review).

The record is built and read through interactive_seg.provenance and written by
`interactive-seg segment --coco`; the files it writes must load in pycocotools and pass
`check --strict`, and adding an object must leave the ones already there byte for byte.
"""

import json

import numpy as np
import pytest

import interactive_seg as iseg
from conftest import disc_scene
from interactive_seg import Prompts, get_engine
from interactive_seg import provenance as pv
from interactive_seg.cli import main
from interactive_seg.coco import CocoDocument
from interactive_seg.errors import InputError


def _prompts(shape):
    h, w = shape
    strokes = np.zeros((h, w), np.uint8)
    strokes[40:43, 60:90] = 1
    strokes[5:8, 5:150] = 2
    prior = np.zeros((h, w), bool)
    prior[40:80, 55:105] = True
    return Prompts(
        box=(45, 25, 115, 95), points=[(80, 60), (10, 110)], point_labels=[1, 0], scribbles=strokes, prior=prior
    )


def test_record_round_trips_through_json_to_equal_prompts():
    image, _ = disc_scene()
    given = _prompts(image.shape[:2])
    record = pv.make_record(get_engine("grabcut", iterations=3), given, image, review="accepted", by="ann")
    back = pv.read_prompts(json.loads(json.dumps(record)), shape=image.shape[:2])
    assert back.box == given.box
    np.testing.assert_array_equal(back.points, given.points)
    np.testing.assert_array_equal(back.point_labels, given.point_labels)
    np.testing.assert_array_equal(back.scribbles, given.scribbles)
    np.testing.assert_array_equal(back.prior, given.prior)
    name, options = pv.engine_spec(record)
    assert name == "grabcut" and options["iterations"] == 3 and options["margin"] == 0.1
    assert "model" not in record["engine"]  # GrabCut has no weights
    assert record["image"] == {"fingerprint": pv.image_fingerprint(image), "width": 160, "height": 120}
    assert record["package_version"] == iseg.__version__
    assert record["created"].endswith("Z")
    assert record["review"]["state"] == "accepted" and record["review"]["by"] == "ann" and record["review"]["at"]
    # the strokes are COCO RLE of the two planes: any COCO reader decodes them
    from pycocotools import mask as mask_utils

    fg = record["prompts"]["strokes"]["foreground"]
    assert mask_utils.decode({"size": fg["size"], "counts": fg["counts"].encode()}).sum() == 90


def test_prompts_of_one_kind_store_only_that_kind():
    image, _ = disc_scene()
    record = pv.make_record(get_engine("plain_grabcut"), Prompts(box=(45, 25, 115, 95)), image)
    assert record["prompts"] == {"box": [45.0, 25.0, 115.0, 95.0]}
    assert record["engine"] == {"name": "plain_grabcut", "options": {"iterations": 5, "click_radius": 5}}


def test_image_fingerprint_is_the_embedding_cache_key_of_the_pixels():
    from interactive_seg.engines.embeddings import image_key

    image, _ = disc_scene()
    assert pv.image_fingerprint(image) == image_key(image)
    grey = image[..., 0]
    assert pv.image_fingerprint(grey) == image_key(np.repeat(grey[..., None], 3, axis=2))
    other = image.copy()
    other[0, 0, 0] ^= 1
    assert pv.image_fingerprint(other) != pv.image_fingerprint(image)


def test_engines_say_their_model_fingerprint():
    class Weighted(iseg.Engine):
        name = "weighted"
        model_type = "tiny"
        model_key = "tiny-0123456789abcdef"

        def set_image(self, image):
            pass

        def segment(self, prompts):
            raise NotImplementedError

    assert get_engine("grabcut").model_fingerprint is None
    assert pv.engine_record(Weighted())["model"] == {"name": "tiny", "fingerprint": "tiny-0123456789abcdef"}


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda r: r["prompts"].update(box=[1, 2, 3]), "four numbers"),
        (lambda r: r["prompts"].update(point_labels=[1]), "one point label"),
        (lambda r: r["prompts"]["strokes"]["foreground"].update(size=[10, 10]), "10 x 10"),
        (lambda r: r["prompts"]["strokes"]["foreground"].update(counts="@@@"), "cannot be decoded"),
        (lambda r: r["prompts"].update(lasso=[]), "does not know (lasso)"),
        (lambda r: r.update(review={"state": "maybe"}), "a review is a JSON object whose 'state'"),
        (lambda r: r.update(engine={"options": {}}), "names no engine"),
        (lambda r: r.update(schema=9), "update interactive-seg"),
        (lambda r: r.update(prompts={}), "stores no prompts"),
    ],
)
def test_damaged_records_are_named_in_one_sentence(change, words):
    image, _ = disc_scene()
    record = pv.make_record(get_engine("grabcut"), _prompts(image.shape[:2]), image)
    change(record)
    with pytest.raises(InputError, match="annotation 7") as caught:
        pv.read_prompts(record, annotation_id=7, shape=image.shape[:2])
    assert words in str(caught.value)


def test_review_state_is_set_and_read_without_touching_other_keys():
    image, _ = disc_scene()
    ann = {
        "id": 1,
        "attributes": {"occluded": True},
        pv.KEY: pv.make_record(get_engine("grabcut"), Prompts(box=(45, 25, 115, 95)), image),
    }
    assert pv.review_state(ann) == "unreviewed"
    pv.set_review(ann, "rejected", by="bo", at="2026-12-06T04:00:00Z")
    assert pv.review_state(ann) == "rejected"
    assert ann[pv.KEY]["review"] == {"state": "rejected", "by": "bo", "at": "2026-12-06T04:00:00Z"}
    assert ann["attributes"] == {"occluded": True} and pv.has_prompts(ann)
    foreign = {"id": 2}
    assert pv.review_state(foreign) == "unreviewed"
    pv.set_review(foreign, "accepted")
    assert pv.review_state(foreign) == "accepted" and not pv.has_prompts(foreign)
    with pytest.raises(InputError, match="not one of unreviewed, accepted, rejected"):
        pv.set_review(foreign, "fine")


def test_replayed_record_keeps_the_previous_engine_as_history():
    image, _ = disc_scene()
    first = pv.make_record(get_engine("grabcut"), Prompts(box=(45, 25, 115, 95)), image, review="accepted", by="ann")
    kept = pv.replayed(first, get_engine("plain_grabcut"), changed=False)
    assert kept["review"]["state"] == "accepted" and kept["prompts"] == first["prompts"]
    changed = pv.replayed(kept, get_engine("grabcut"), changed=True)
    assert changed["review"] == {"state": "unreviewed"}
    assert [h["engine"]["name"] for h in changed["history"]] == ["plain_grabcut", "grabcut"]
    assert changed["history"][1]["review"]["by"] == "ann"


# -- segment --coco ---------------------------------------------------------------------------
def _first_record_bytes(data: bytes) -> bytes:
    """The bytes of the file's first annotation, as they lie in the file."""
    first = json.loads(data)["annotations"][0]
    text = json.dumps(first, ensure_ascii=False, separators=(",", ":")).encode()
    assert data.count(text) == 1
    return text


def test_segment_coco_twice_adds_a_second_object_and_leaves_the_first_byte_identical(tmp_path, capsys):
    image, truth = disc_scene()
    iseg.write_image(tmp_path / "disc.png", image)
    coco = tmp_path / "labels.json"
    assert (
        main(
            [
                "segment",
                str(tmp_path / "disc.png"),
                "--box",
                "45,25,115,95",
                "--coco",
                str(coco),
                "--category",
                "disc",
                "-q",
            ]
        )
        == 0
    )
    first = coco.read_bytes()
    assert not list(tmp_path.glob("*_mask.png"))  # no --out: nothing but the COCO file
    assert (
        main(
            [
                "segment",
                str(tmp_path / "disc.png"),
                "--point",
                "80,60",
                "--point",
                "10,10,0",
                "--engine",
                "plain_grabcut",
                "--coco",
                str(coco),
                "--category",
                "blob",
                "-q",
            ]
        )
        == 0
    )
    second = coco.read_bytes()
    assert _first_record_bytes(first) in second

    data = json.loads(second)
    assert [a["id"] for a in data["annotations"]] == [1, 2]
    assert [c["name"] for c in data["categories"]] == ["disc", "blob"]
    assert len(data["images"]) == 1 and data["images"][0]["file_name"] == "disc.png"
    one, two = (a[pv.KEY] for a in data["annotations"])
    assert one["engine"]["name"] == "grabcut" and one["prompts"] == {"box": [45.0, 25.0, 115.0, 95.0]}
    assert two["engine"]["name"] == "plain_grabcut" and two["prompts"]["point_labels"] == [1, 0]
    assert one["image"]["fingerprint"] == two["image"]["fingerprint"] == pv.image_fingerprint(image)

    from pycocotools.coco import COCO

    loaded = COCO(str(coco))
    mask = loaded.annToMask(loaded.anns[1]).astype(bool)
    assert (mask & truth).sum() / (mask | truth).sum() > 0.9
    assert main(["check", str(coco), "--strict", "-q"]) == 0
    assert "problem" not in capsys.readouterr().out


def test_segment_coco_keeps_a_foreign_file_as_it_was(tmp_path):
    image, _ = disc_scene()
    iseg.write_image(tmp_path / "disc.png", image)
    coco = tmp_path / "theirs.json"
    theirs = {
        "info": {"description": "theirs"},
        "images": [{"id": 5, "file_name": "disc.png", "width": 160, "height": 120, "flickr": "x"}],
        "annotations": [
            {
                "id": 9,
                "image_id": 5,
                "category_id": 2,
                "bbox": [1, 1, 4, 4],
                "area": 16,
                "segmentation": [],
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 2, "name": "disc"}],
    }
    coco.write_text(json.dumps(theirs))
    assert (
        main(
            [
                "segment",
                str(tmp_path / "disc.png"),
                "--box",
                "45,25,115,95",
                "--coco",
                str(coco),
                "--category",
                "disc",
                "-q",
            ]
        )
        == 0
    )
    data = json.loads(coco.read_text())
    assert (
        data["info"] == theirs["info"]
        and data["images"] == theirs["images"]
        and data["categories"] == theirs["categories"]
    )
    assert data["annotations"][0] == theirs["annotations"][0]
    added = data["annotations"][1]
    assert added["image_id"] == 5 and added["category_id"] == 2 and added["id"] == 10 and pv.KEY in added


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--coco", "{tmp}/x.json"], "--coco FILE and --category NAME go together"),
        (["--category", "cup"], "Say where the object goes"),
        (["--coco", "{tmp}", "--category", "cup"], "is a folder"),
        (["--coco", "{tmp}/bad.json", "--category", "cup"], "bad.json"),
    ],
)
def test_segment_coco_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, words):
    image, _ = disc_scene()
    iseg.write_image(tmp_path / "disc.png", image)
    (tmp_path / "bad.json").write_text("[1, 2]")
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["segment", str(tmp_path / "disc.png"), "--box", "45,25,115,95"] + [e.format(tmp=tmp_path) for e in extra]
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "bad.json").read_text() == "[1, 2]"


def test_segment_coco_refuses_an_image_of_another_size(tmp_path, capsys):
    image, _ = disc_scene()
    iseg.write_image(tmp_path / "disc.png", image)
    coco = tmp_path / "l.json"
    doc = CocoDocument()
    doc.add_image("disc.png", width=100, height=100)
    doc.save(coco)
    before = coco.read_bytes()
    assert (
        main(["segment", str(tmp_path / "disc.png"), "--box", "45,25,115,95", "--coco", str(coco), "--category", "d"])
        == 2
    )
    assert "same image" in capsys.readouterr().err
    assert coco.read_bytes() == before


def test_a_record_made_from_the_parts_a_worker_sends_equals_the_one_made_from_the_objects():
    image, _ = disc_scene()
    engine, prompts = get_engine("grabcut"), _prompts(image.shape[:2])
    whole = pv.make_record(engine, prompts, image, created="2026-12-06T04:00:00Z")
    parts = json.loads(json.dumps([pv.engine_record(engine), pv.prompts_record(prompts), pv.image_record(image)]))
    assert pv.make_record(*parts, created="2026-12-06T04:00:00Z") == whole


def test_an_edited_object_keeps_the_record_it_replaces_as_history():
    image, _ = disc_scene()
    first = pv.make_record(get_engine("grabcut"), Prompts(box=(45, 25, 115, 95)), image, review="accepted", by="ann")
    first = pv.replayed(first, get_engine("plain_grabcut"), changed=True)  # one entry of history already
    prior = np.zeros((120, 160), bool)
    prior[40:80, 55:105] = True
    edited = pv.make_record(get_engine("grabcut"), Prompts(points=[(80, 60)], prior=prior), image, previous=first)
    assert [h["engine"]["name"] for h in edited["history"]] == ["plain_grabcut", "grabcut"]
    assert edited["review"] == {"state": "unreviewed"} and "box" not in edited["prompts"]
    np.testing.assert_array_equal(pv.read_prompts(edited).prior, prior)


def test_a_mask_made_again_from_other_prompts_keeps_the_old_ones_and_other_tools_keys():
    """batch masks --redo made the mask again from the box alone: the clicks and strokes were
    nowhere in the output, and a key another tool put on the record was dropped."""
    image = np.zeros((40, 60, 3), np.uint8)
    image[10:30, 20:40] = 200
    engine = iseg.get_engine("grabcut")
    made = pv.make_record(engine, iseg.Prompts(box=(15, 5, 45, 35), points=[(30, 20)], point_labels=[1]), image)
    made["their_tool"] = {"job": 7}
    again = pv.make_record(engine, iseg.Prompts(box=(15, 5, 45, 35)), image, previous=made)
    assert again["prompts"] == {"box": [15.0, 5.0, 45.0, 35.0]}
    assert again["history"][0]["prompts"] == made["prompts"] and again["their_tool"] == {"job": 7}
    same = pv.make_record(engine, iseg.Prompts(box=(15, 5, 45, 35)), image, previous=again)
    assert "prompts" not in same["history"][0]  # the same prompts: nothing to keep


def test_a_verdict_keeps_what_another_tool_wrote_in_the_review():
    ann = {"id": 1, pv.KEY: {"schema": 1, "review": {"state": "unreviewed", "comment": "check the tail"}}}
    pv.set_review(ann, "accepted", by="ana")
    assert ann[pv.KEY]["review"]["comment"] == "check the tail" and ann[pv.KEY]["review"]["state"] == "accepted"
    assert ann[pv.KEY]["review"]["by"] == "ana"
