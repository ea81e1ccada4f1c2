"""GUI: a folder that another window writes is shown read-only, and nothing the user does there is lost."""

import os

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from conftest import box, disc_scene, wait

pytestmark = pytest.mark.gui


@pytest.fixture
def folder(tmp_path):
    from interactive_seg import write_image

    folder = tmp_path / "photos"
    folder.mkdir()
    write_image(folder / "img0.png", disc_scene(centre=(80, 60))[0])
    return folder


def one_accepted(make_napari_viewer, qtbot, session):
    """``session`` in the widget, one object accepted: (viewer, widget, its id or None)."""
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    widget.open_session(session)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    return viewer, widget, widget.accept()


def test_a_folder_open_in_another_window_is_read_only_and_accept_keeps_the_prompts(make_napari_viewer, qtbot, folder):
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    writer = Session.open(folder)  # the other window
    with pytest.warns(UserWarning, match="open for writing in another window"):
        second = Session.open(folder)
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    widget.open_session(second)
    assert widget.images.title() == "READ-ONLY: photos (1 image)"
    assert "open for writing in another window" in widget.status.text()
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)
    assert widget.accept() is None
    assert "Read-only" in widget.status.text() and "nothing was changed" in widget.status.text()
    notice = widget.footer.notice
    assert not notice.isHidden() and "open for writing in another window" in notice.text()  # the reason, once
    assert "open for writing" not in widget.status.text()
    assert viewer.layers["preview"].data.any() and len(viewer.layers["boxes"].data) == 1  # nothing to draw again
    assert widget.object_list.count() == 0 and writer.count("img0.png") == 0
    writer.close()


def test_an_accept_that_cannot_be_saved_keeps_the_prompts_and_shows_nothing_unsaved(
    make_napari_viewer, qtbot, folder, monkeypatch
):
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    session = Session.open(folder)
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    widget.open_session(session)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    assert widget.accept() is None
    assert "No space left on device" in widget.notice.text()  # said whole, and it stays
    assert widget.object_list.count() == 0 and not np.asarray(viewer.layers["objects"].data).any()
    assert viewer.layers["preview"].data.any()  # accept again once there is room
    monkeypatch.undo()
    first = widget.accept()
    assert first is not None and widget.object_list.count() == 1
    session.close()
    with Session.open(folder) as again:
        assert [o.id for o in again.objects("img0.png")] == [first]


def test_a_file_another_program_changed_locks_nobody_out(make_napari_viewer, qtbot, folder, monkeypatch):
    """An editor's save of the COCO file while the widget had it: every later Accept was
    refused with advice to call session.save(path), and the folder then refused to open
    (gui and Open folder...), the objects in a journal no door could reach. Now closing
    keeps both; a journal of another version left by a crash is set aside when the
    annotator says so."""
    import json

    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    session = Session.open(folder, compact_every=1000)
    viewer, widget, kept = one_accepted(make_napari_viewer, qtbot, session)
    assert kept is not None  # in the journal
    coco = folder / "annotations.coco.json"
    theirs = {"info": {"by": "an editor"}, "images": [], "annotations": [], "categories": []}
    coco.write_text(json.dumps(theirs))
    box(viewer, 10, 10, 40, 40)
    wait(qtbot, widget)
    assert widget.accept() is None
    assert "changed by another program" in widget.notice.text() and "keeps both" in widget.notice.text()
    with pytest.raises(Exception, match="saved beside it"):
        session.close()  # (what closing the window or opening another folder does)
    assert json.loads(coco.read_text()) == theirs
    (beside,) = folder.glob("annotations.coco.this-session-*.json")
    assert [a["id"] for a in json.loads(beside.read_text())["annotations"]] == [kept]
    other = SegmentationWidget(make_napari_viewer())
    assert other.folder.open_path(folder) is other  # opens again, as the other program left it
    assert other.object_list.count() == 0
    assert beside.name in other.notice.text() and "compare the two" in other.notice.text()  # not forgotten
    other.folder.session.close()
    beside.unlink()  # (read, copied from, deleted: the hint goes)

    # a crash, then another program's file: the widget asks before setting the journal aside
    crashed = Session.open(folder, compact_every=1000)
    crashed.add("img0.png", np.ones((120, 160), bool), "thing")
    crashed._store.let_go()
    coco.write_text(json.dumps(dict(theirs, info={"by": "another editor"})))
    from qtpy.QtWidgets import QMessageBox

    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    third = SegmentationWidget(make_napari_viewer())
    assert third.folder.open_path(folder) is None and "another version" in third.notice.text()
    assert (folder / ".annotations.coco.json.journal").exists()
    assert third.folder.open_path(folder) is third
    assert (folder / ".annotations.coco.json.journal.discarded").exists()
    assert "set aside in" in third.notice.text() and "applied to the file as it is now" in third.notice.text()
    third.folder.session.close()


def test_gui_sets_a_journal_of_another_version_aside_when_told(folder, capsys, monkeypatch):
    import json

    from interactive_seg import Session, cli
    from interactive_seg.plugin import app

    crashed = Session.open(folder, compact_every=1000)
    crashed.add("img0.png", np.ones((120, 160), bool), "thing")
    crashed._store.let_go()  # a crash, then another program writes the file
    (folder / "annotations.coco.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    assert cli.main(["gui", "--no-run", str(folder)]) == 2  # (refused before any window opens)
    assert "--set-aside-journal" in capsys.readouterr().err

    class NoWindow(Exception):
        pass

    def no_window(**options):  # the folder is opened as launch opens it, then no napari window
        raise NoWindow

    monkeypatch.setattr(app.napari, "Viewer", no_window)
    with pytest.raises(NoWindow):
        cli.main(["gui", "--no-run", str(folder), "--set-aside-journal"])
    assert (folder / ".annotations.coco.json.journal.discarded").exists()


def test_the_coco_file_is_brought_up_to_date_while_the_window_is_idle(make_napari_viewer, qtbot, folder, monkeypatch):
    """Two accepts, then nothing: the file stayed unwritten (the journal held them) until the
    next change or the window closed; another program copying it got nothing."""
    import json

    from interactive_seg import Session
    from interactive_seg.plugin import folder as folder_module

    monkeypatch.setattr(folder_module, "FOLD_CHECK_MS", 100)
    session = Session.open(folder, compact_seconds=0.5)
    viewer, widget, kept = one_accepted(make_napari_viewer, qtbot, session)
    coco = folder / "annotations.coco.json"
    assert not coco.exists()  # in the journal, safe; the file comes when the fold is due
    qtbot.waitUntil(lambda: coco.exists(), timeout=5000)
    assert [a["id"] for a in json.loads(coco.read_text())["annotations"]] == [kept]
    assert session.unsaved == 0
    session.close()
