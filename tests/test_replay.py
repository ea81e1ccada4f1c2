"""`interactive-seg replay`: a dataset made again from its stored prompts, on the batch machinery.

Objects are annotated with `segment --coco` (boxes, clicks, strokes), then replayed with
the same engine (GrabCut repeats itself for the same prompts: IoU >= 0.99) and with
another (plain_grabcut: the compare report lists every object). Bad input exits 2 and
writes nothing.
"""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import interactive_seg as iseg  # noqa: E402
from conftest import disc_scene, iou  # noqa: E402
from interactive_seg import provenance as pv  # noqa: E402
from interactive_seg.batch.replay import replay  # noqa: E402
from interactive_seg.cli import main  # noqa: E402
from interactive_seg.coco import CocoDocument  # noqa: E402
from interactive_seg.errors import InputError  # noqa: E402

N_IMAGES = 10  # two objects each: 20


def _scene(i: int):
    image, _ = disc_scene(height=96, width=128, centre=(40 + 2 * i, 50), radius=18 + i % 4, seed=i)
    image[10:40, 85:118] = (40, 200, 60)
    return image


def annotate(folder: Path, n: int = N_IMAGES) -> Path:
    """``folder/im<i>.png`` and ``folder/labels.json``: per image a disc (box, or clicks and a stroke) and a square (box),
    made with `segment --coco`; plus one annotation of another tool (no provenance)."""
    coco = folder / "labels.json"
    for i in range(n):
        path = folder / f"im{i}.png"
        iseg.write_image(path, _scene(i))
        cx = 40 + 2 * i
        if i % 3 == 2:
            strokes = np.zeros((96, 128), np.uint8)
            strokes[48:51, cx - 8 : cx + 8] = 1
            strokes[90:93, 5:120] = 2
            iseg.write_image(folder / f"strokes{i}.png", strokes)
            disc = ["--scribbles", str(folder / f"strokes{i}.png"), "--point", f"{cx},50", "--point", "5,5,0"]
        else:
            r = 18 + i % 4 + 4
            disc = ["--box", f"{cx - r},{50 - r},{cx + r},{50 + r}"]
        assert main(["segment", str(path), *disc, "--coco", str(coco), "--category", "disc", "-q"]) == 0
        assert (
            main(["segment", str(path), "--box", "80,5,123,45", "--coco", str(coco), "--category", "square", "-q"]) == 0
        )
    doc = CocoDocument.open(coco)
    mask = np.zeros((96, 128), bool)
    mask[60:70, 100:110] = True
    doc.add_annotation(doc.images[0]["id"], mask, "square", attributes={"theirs": True})
    doc.save(coco)
    return coco


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    return folder, annotate(folder)


def test_replay_with_the_same_engine_gives_the_same_masks_on_two_workers(dataset, tmp_path, capsys):
    folder, coco = dataset
    before = coco.read_bytes()
    out, report_path = tmp_path / "again.json", tmp_path / "changes.csv"
    status = main(
        [
            "replay",
            str(coco),
            "--images",
            str(folder),
            "--engine",
            "grabcut",
            "--out",
            str(out),
            "--compare",
            str(report_path),
            "--workers",
            "2",
            "-q",
        ]
    )
    assert status == 0
    assert coco.read_bytes() == before  # the input is never touched
    old, new = CocoDocument.open(coco), CocoDocument.open(out)
    replayed = [a for a in new.annotations() if pv.has_prompts(a)]
    assert len(replayed) == 2 * N_IMAGES
    for ann in replayed:
        assert iou(old.mask(ann["id"]), new.mask(ann["id"])) >= 0.99
        record = ann[pv.KEY]
        assert record["history"][0]["engine"] == old.annotation(ann["id"])[pv.KEY]["engine"]
        assert record["prompts"] == old.annotation(ann["id"])[pv.KEY]["prompts"]
    theirs = [a for a in new.annotations() if not pv.has_prompts(a)]
    assert theirs == [a for a in old.annotations() if not pv.has_prompts(a)]  # kept as it was
    with report_path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * N_IMAGES and all(float(r["iou"]) >= 0.99 for r in rows)
    assert [float(r["iou"]) for r in rows] == sorted(float(r["iou"]) for r in rows)
    assert main(["check", str(out), "--strict", "-q"]) == 0


def test_replay_with_another_engine_lists_every_object_worst_first_and_resets_changed_reviews(dataset, tmp_path):
    folder, coco = dataset
    doc = CocoDocument.open(coco)
    for ann in doc.annotations():  # a record changes only through the document's methods
        doc.update_annotation(ann["id"], **{pv.KEY: pv.set_review(dict(ann), "accepted", by="ann")[pv.KEY]})
    # two masks an annotator trimmed by hand after accepting them: their replay differs
    trimmed = [doc.annotations()[1]["id"], doc.annotations()[6]["id"]]
    for ann_id in trimmed:
        mask = doc.mask(ann_id)
        mask[: int(np.flatnonzero(mask.any(axis=1)).mean())] = False
        doc.update_annotation(ann_id, mask=mask)
    accepted = tmp_path / "accepted.json"
    doc.save(accepted)
    out, report_path = tmp_path / "plain.json", tmp_path / "changes.md"
    report = replay(
        accepted,
        out,
        images=folder,
        engine="plain_grabcut",
        engine_options={"iterations": 2},
        threshold=0.02,
        compare=report_path,
        workers=0,
        progress=False,
    )
    assert report.ok
    assert report.counts["objects replayed"] == 2 * N_IMAGES
    assert report.counts["kept as they were (no stored prompts)"] == 1
    ious = [row["iou"] for row in report.rows]
    assert len(ious) == 2 * N_IMAGES and ious == sorted(ious)
    text = report_path.read_text()
    assert text.count("| plain_grabcut |") == 2 * N_IMAGES
    new = CocoDocument.open(out)
    for row in report.rows:
        ann = new.annotation(row["annotation_id"])
        assert ann[pv.KEY]["engine"] == {"name": "plain_grabcut", "options": {"iterations": 2, "click_radius": 5}}
        assert ann[pv.KEY]["history"][0]["engine"]["name"] == "grabcut"
        assert ann[pv.KEY]["history"][0]["review"]["state"] == "accepted"
        expected = "unreviewed" if row["iou"] < 0.98 else "accepted"
        assert pv.review_state(ann) == expected == row["review"]
    assert report.counts["changed (review reset to unreviewed)"] == sum(r["iou"] < 0.98 for r in report.rows) >= 2
    assert {r["annotation_id"] for r in report.rows[:2]} == set(trimmed)  # worst first
    assert all(r["changed"] and r["review"] == "unreviewed" for r in report.rows[:2])


def _no_new_files(tmp_path, before):
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_file_without_provenance_exits_2_and_writes_nothing(tmp_path, capsys):
    iseg.write_image(tmp_path / "a.png", _scene(0))
    doc = CocoDocument()
    image = doc.add_image("a.png", width=128, height=96)
    mask = np.zeros((96, 128), bool)
    mask[10:20, 10:20] = True
    doc.add_annotation(image["id"], mask, "thing")
    doc.save(tmp_path / "plain.json")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert (
        main(
            [
                "replay",
                str(tmp_path / "plain.json"),
                "--engine",
                "grabcut",
                "--out",
                str(tmp_path / "o.json"),
                "--compare",
                str(tmp_path / "r.csv"),
                "--workers",
                "0",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "stores the prompts it was made from" in err and err.count("\n") == 1
    _no_new_files(tmp_path, before)


def test_an_engine_that_is_not_installed_exits_2_and_writes_nothing(dataset, tmp_path, capsys, monkeypatch):
    from interactive_seg import engines

    folder, coco = dataset
    monkeypatch.setitem(engines._REGISTRY, "ghost", ("ghost_engine", "Ghost", "ghost", ("no_such_module_for_ghost",)))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert (
        main(
            [
                "replay",
                str(coco),
                "--images",
                str(folder),
                "--engine",
                "ghost",
                "--out",
                str(tmp_path / "o.json"),
                "--workers",
                "0",
            ]
        )
        == 2
    )
    assert "no_such_module_for_ghost, which is not installed" in capsys.readouterr().err
    _no_new_files(tmp_path, before)


def test_a_missing_image_exits_2_and_writes_nothing(dataset, tmp_path, capsys):
    folder, coco = dataset
    partial = tmp_path / "images"
    partial.mkdir()
    for i in range(1, N_IMAGES):
        (partial / f"im{i}.png").write_bytes((folder / f"im{i}.png").read_bytes())
    before = sorted(p.name for p in tmp_path.iterdir())
    assert (
        main(
            [
                "replay",
                str(coco),
                "--images",
                str(partial),
                "--engine",
                "grabcut",
                "--out",
                str(tmp_path / "o.json"),
                "--workers",
                "0",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "1 image of 'labels.json' is not in" in err and "'im0.png'" in err
    _no_new_files(tmp_path, before)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--engine", "grabcut", "--threshold", "2"], "fraction from 0 to 1"),
        (["--engine", "grabcut", "--compare", "{tmp}/r.txt"], ".csv or a .md"),
        (["--engine", "grabcut", "--option", "speed=3"], "NAME one of the grabcut engine's options"),
        (["--engine", "grabcut", "--option", "iterations=many"], "must be an int"),
        (["--engine", "grabcut", "--model", "vit_b"], "has no models"),
        (["--engine", "sam", "--checkpoint", "{tmp}/none.pth"], "no checkpoint file"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(dataset, tmp_path, capsys, argv, words):
    folder, coco = dataset
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert (
        main(["replay", str(coco), "--images", str(folder), "--out", str(tmp_path / "o.json"), "--workers", "0", *argv])
        == 2
    )
    assert words in capsys.readouterr().err
    _no_new_files(tmp_path, before)


def test_a_damaged_record_is_named_before_anything_runs(dataset, tmp_path, capsys):
    folder, coco = dataset
    data = json.loads(coco.read_text())
    data["annotations"][3][pv.KEY]["prompts"]["box"] = [1, 2]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=f"annotation {data['annotations'][3]['id']}.*four numbers"):
        replay(bad, tmp_path / "o.json", images=folder, engine="grabcut", workers=0, progress=False)
    assert not (tmp_path / "o.json").exists()


def test_an_image_changed_since_is_a_failure_of_its_objects_alone(dataset, tmp_path):
    folder, coco = dataset
    images = tmp_path / "images"
    images.mkdir()
    for i in range(N_IMAGES):
        (images / f"im{i}.png").write_bytes((folder / f"im{i}.png").read_bytes())
    changed = _scene(1)
    changed[0, 0] = 0
    iseg.write_image(images / "im1.png", changed)
    report = replay(coco, tmp_path / "o.json", images=images, engine="grabcut", workers=0, progress=False)
    assert len(report.failures) == 2 and all(
        "im1.png" in f.item and "pixels differ" in f.reason for f in report.failures
    )
    assert report.counts["objects replayed"] == 2 * N_IMAGES - 2
    old, new = CocoDocument.open(coco), CocoDocument.open(tmp_path / "o.json")
    for ann in old.annotations(old.find_image("im1.png")["id"]):
        assert new.annotation(ann["id"]) == ann


def test_replay_with_a_sam_model_records_the_model_and_its_weights(dataset, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("segment_anything")
    from batch_tiny_sam import micro_sam

    folder, coco = dataset
    checkpoint = tmp_path / "micro.pth"
    torch.save(micro_sam().state_dict(), checkpoint)
    options = {
        "model_type": "micro",
        "checkpoint": str(checkpoint),
        "device": "cpu",
        "cache_dir": str(tmp_path / "cache"),
    }
    report = replay(
        coco,
        tmp_path / "sam.json",
        images=folder,
        engine="sam",
        engine_options=options,
        threshold=0.05,
        compare=tmp_path / "sam.csv",
        workers=0,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    assert len(report.rows) == 2 * N_IMAGES  # every object listed, replayed or said why not
    new = CocoDocument.open(tmp_path / "sam.json")
    records = [new.annotation(row["annotation_id"])[pv.KEY] for row in report.rows if row["iou"] is not None]
    assert records and len(records) == report.counts["objects replayed"]
    for record in records:
        assert record["engine"]["name"] == "sam" and record["engine"]["options"]["model_type"] == "micro"
        model = record["engine"]["model"]
        assert model["name"] == "micro" and model["fingerprint"].startswith("micro-") and len(model["fingerprint"]) > 10
        assert record["history"][0]["engine"]["name"] == "grabcut"
