"""The review sheet shows each object's review state, filters by it, and draws a replayed file's old and new masks side by side."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import interactive_seg as iseg  # noqa: E402
from conftest import disc_scene  # noqa: E402
from interactive_seg import Prompts, get_engine  # noqa: E402
from interactive_seg import provenance as pv  # noqa: E402
from interactive_seg.cli import main  # noqa: E402
from interactive_seg.coco import CocoDocument  # noqa: E402
from interactive_seg.review import contact_sheet  # noqa: E402


def _file(folder):
    image, truth = disc_scene()
    iseg.write_image(folder / "disc.png", image)
    doc = CocoDocument()
    record = doc.add_image("disc.png", width=160, height=120)
    engine = get_engine("grabcut")
    for number, state in enumerate(["accepted", "rejected", "unreviewed", "accepted"]):
        mask = np.roll(truth, 3 * number, axis=1)
        made = pv.make_record(
            engine, Prompts(box=(45, 25, 115, 95)), image, review=state, by="ann" if state != "unreviewed" else None
        )
        doc.add_annotation(record["id"], mask, "disc", **{pv.KEY: made})
    foreign = np.zeros((120, 160), bool)
    foreign[5:15, 5:15] = True
    doc.add_annotation(record["id"], foreign, "speck")  # another tool's: no record, so unreviewed
    doc.save(folder / "labels.json")
    return folder / "labels.json"


def test_tiles_say_the_review_state_and_the_sheet_filters_by_it(tmp_path):
    coco = _file(tmp_path)
    sheet = contact_sheet(coco, tmp_path / "all.png", sort="id")
    assert [t.review for t in sheet.tiles] == ["accepted", "rejected", "unreviewed", "accepted", "unreviewed"]
    assert [t.title for t in sheet.tiles][:2] == ["disc · 1 · accepted", "disc · 2 · rejected"]
    accepted = contact_sheet(coco, tmp_path / "accepted.png", review="accepted", sort="id")
    assert [t.annotation_id for t in accepted.tiles] == [1, 4]
    both = contact_sheet(coco, tmp_path / "open.png", review=["unreviewed", "rejected"], sort="id")
    assert [t.annotation_id for t in both.tiles] == [2, 3, 5]


def test_review_command_filters_and_refuses_an_unknown_state(tmp_path, capsys):
    coco = _file(tmp_path)
    assert main(["review", str(coco), "--out", str(tmp_path / "r.png"), "--review", "rejected"]) == 0
    assert "1 object on 1 page" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["review", str(coco), "--out", str(tmp_path / "x.png"), "--review", "fine"])
    assert exited.value.code == 2
    assert not (tmp_path / "x.png").exists()
    assert (
        main(["review", str(coco), "--out", str(tmp_path / "n.png"), "--review", "rejected", "--category", "speck"])
        == 0
    )
    assert "no rejected objects" in capsys.readouterr().out


def test_files_without_reviews_keep_their_titles(tmp_path):
    image, truth = disc_scene()
    iseg.write_image(tmp_path / "disc.png", image)
    doc = CocoDocument()
    doc.add_annotation(doc.add_image("disc.png", width=160, height=120)["id"], truth, "disc")
    doc.save(tmp_path / "plain.json")
    sheet = contact_sheet(tmp_path / "plain.json", tmp_path / "s.png")
    assert [(t.title, t.review) for t in sheet.tiles] == [("disc · 1", "")]


def test_compare_draws_old_and_new_side_by_side_with_their_iou(tmp_path):
    coco = _file(tmp_path)
    from interactive_seg.batch.replay import replay

    report = replay(coco, tmp_path / "again.json", images=tmp_path, engine="grabcut", workers=0, progress=False)
    sheet = contact_sheet(tmp_path / "again.json", tmp_path / "cmp.png", compare=coco, sort="id", per_page=4)
    tiles = sheet.tiles
    assert [(t.annotation_id, t.role) for t in tiles[:4]] == [(1, "old"), (1, "new"), (2, "old"), (2, "new")]
    assert all(page.columns % 2 == 0 for page in sheet.pages)
    by_id = {row["annotation_id"]: row["iou"] for row in report.rows}
    for tile in tiles:
        if tile.role == "new" and tile.annotation_id in by_id:
            assert tile.iou == pytest.approx(by_id[tile.annotation_id], abs=1e-4)
    old = CocoDocument.open(coco)
    assert [t.area for t in tiles if t.role == "old"][:4] == [int(old.mask(i).sum()) for i in (1, 2, 3, 4)]
    # objects whose mask moved by the replay are unreviewed now: the sheet to check is exactly those
    changed = {row["annotation_id"] for row in report.rows if row["changed"]}
    assert changed  # the hand-shifted masks 2..4 came back where GrabCut puts the disc
    todo = contact_sheet(tmp_path / "again.json", tmp_path / "todo.png", review="unreviewed", sort="id")
    assert {t.annotation_id for t in todo.tiles} == changed | {3, 5}


def test_sort_by_change_puts_the_most_changed_objects_first(tmp_path, capsys):
    coco = _file(tmp_path)
    doc = CocoDocument.open(coco)
    for ann_id, shift in ((2, 20), (4, 8)):
        doc.update_annotation(ann_id, mask=np.roll(doc.mask(ann_id), shift, axis=0))
    doc.save(tmp_path / "moved.json")
    sheet = contact_sheet(tmp_path / "moved.json", tmp_path / "c.png", compare=coco, sort="change")
    assert [t.annotation_id for t in sheet.tiles if t.role == "new"][:2] == [2, 4]
    ious = [t.iou for t in sheet.tiles if t.role == "new"]
    assert ious == sorted(ious)
    assert main(["review", str(tmp_path / "moved.json"), "--out", str(tmp_path / "x.png"), "--sort", "change"]) == 2
    assert "--compare OLD.json" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
