"""GUI: exports from the widget. One numbering, an Export of the whole folder that remembers
its choices per folder (issue #33 point 4), and a grey image exported with the dialog's defaults.

Export... is clicked with the mouse; the dialog's modal loop is replaced by a function that
reads and sets its fields as a user would.
Run under a display: xvfb-run -a python -m pytest tests/test_plugin_export.py
"""

import json

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import accept_box  # noqa: E402

from conftest import box, disc_scene, wait  # noqa: E402

pytestmark = pytest.mark.gui


def open_folder(make_napari_viewer, qtbot, root):
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(root))
    qtbot.wait(50)
    return viewer, widget


def click(qtbot, button):
    from qtpy.QtCore import Qt

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def accept(qtbot, viewer, widget, rect, category):
    widget.classes.select(category)
    box(viewer, *rect)
    wait(qtbot, widget)
    click(qtbot, widget.accept_button)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)


def test_the_folder_export_keeps_the_sessions_ids_and_the_dialog_remembers(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    from interactive_seg import write_image
    from interactive_seg.plugin.widget import ExportDialog

    root = tmp_path / "photos"
    root.mkdir()
    for i in range(3):
        write_image(root / f"p{i}.png", disc_scene(seed=i)[0])
    # another tool's file: its class ids are not 1..n and its first annotation id is 40
    (root / "annotations.coco.json").write_text(
        json.dumps(
            {
                "images": [{"id": 9, "file_name": "p2.png", "width": 160, "height": 120}],
                "categories": [{"id": 12, "name": "ground"}, {"id": 4, "name": "vehicle"}],
                "annotations": [
                    {
                        "id": 40,
                        "image_id": 9,
                        "category_id": 4,
                        "bbox": [50, 30, 60, 60],
                        "area": 3600,
                        "iscrowd": 0,
                        "segmentation": [[50, 30, 110, 30, 110, 90, 50, 90]],
                    }
                ],
            }
        )
    )
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    accept(qtbot, viewer, widget, (45, 25, 115, 95), "vehicle")
    accept(qtbot, viewer, widget, (5, 5, 40, 40), "ground")
    widget.delete(widget.model.objects(widget._key).ids[0])  # a gap in the numbering
    widget.step_image(1)
    accept(qtbot, viewer, widget, (45, 25, 115, 95), "vehicle")

    out, coco = tmp_path / "out", tmp_path / "exported.json"
    seen = []

    def first_time(dialog):
        seen.append(dialog.scope.currentText())
        dialog.folder.setText(str(out))
        dialog.padding.setValue(7)
        dialog.style.setCurrentText("black")
        dialog.coco.setText(str(coco))
        return True

    monkeypatch.setattr(ExportDialog, "exec", first_time)
    click(qtbot, widget.export_button)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported") or widget.notice.isVisible(), timeout=30000)
    assert seen == ["the whole folder"]  # the default for a folder
    assert widget.status.text().startswith("Exported 3 cutouts of the folder"), widget.notice.text()
    assert len(list(out.glob("*.png"))) == 3  # every image of the folder, not only the one shown

    widget.session.save()
    session_file = json.loads((root / "annotations.coco.json").read_text())
    exported = json.loads(coco.read_text())
    assert exported["categories"] == session_file["categories"]  # one numbering: vehicle is 4 in both
    assert [(a["id"], a["category_id"]) for a in exported["annotations"]] == [
        (a["id"], a["category_id"]) for a in session_file["annotations"]
    ]
    assert 40 in {a["id"] for a in exported["annotations"]}

    def again(dialog):  # the same folder, later: the choices come back
        seen.append((dialog.folder.text(), dialog.padding.value(), dialog.style.currentText(), dialog.coco.text()))
        return False

    monkeypatch.setattr(ExportDialog, "exec", again)
    click(qtbot, widget.export_button)
    widget.session.close()
    viewer.close()
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)  # another window, the same folder
    click(qtbot, widget.export_button)
    assert seen[1:] == [(str(out), 7, "black", str(coco))] * 2


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535)])
def test_a_grey_image_exports_with_the_dialogs_defaults(make_napari_viewer, qtbot, tmp_path, monkeypatch, dtype, top):
    """Export... clicked, the dialog's defaults (transparent, cropped, PNG) kept: the file is
    written with the mask as its alpha (the core's side: tests/test_cutouts.py)."""
    from interactive_seg import read_image
    from interactive_seg.plugin.widget import ExportDialog, SegmentationWidget

    image, truth = disc_scene(height=120, width=160)
    grey = (image[..., 0].astype(np.float64) * top / 255).astype(dtype)
    viewer = make_napari_viewer()
    viewer.add_image(grey, name="grey")
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    accept_box(qtbot, viewer, widget)
    assert widget.object_list.count() == 1
    kept = viewer.layers["objects"].data > 0

    def run_dialog(dialog):
        assert (
            dialog.style.currentText() == "transparent"
            and dialog.crop.isChecked()
            and dialog.format.currentText() == ".png"
        )
        dialog.folder.setText(str(tmp_path / "out"))
        return True

    monkeypatch.setattr(ExportDialog, "exec", run_dialog)
    warned = []
    monkeypatch.setattr(widget, "_warn", warned.append)
    click(qtbot, widget.export_button)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported") or bool(warned), timeout=20000)
    assert not warned and widget.status.text().startswith("Exported 1 file to")
    (path,) = (tmp_path / "out").glob("*.png")
    out = read_image(path)
    ys, xs = np.nonzero(kept)
    crop = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    assert out.dtype == dtype and out.shape == (*kept[crop].shape, 4)
    assert (out[..., 3] == np.where(kept[crop], top, 0)).all()
    assert (out[..., 0] == np.where(kept[crop], grey[crop], 0)).all()


def test_the_coco_field_says_what_it_is_for_with_each_scope(qtbot):
    """The whole folder writes the session's COCO file into the field's path; the current
    image adds its objects to it: the field's hint follows the choice."""
    from interactive_seg.plugin.export_dialog import SCOPES, ExportDialog

    dialog = ExportDialog(folder_scope=True)
    qtbot.addWidget(dialog)
    assert "folder's COCO file is written" in dialog.coco.placeholderText()
    dialog.scope.setCurrentText(SCOPES[1])
    assert "add this image's objects" in dialog.coco.placeholderText()
    alone = ExportDialog()
    qtbot.addWidget(alone)
    assert "add this image's objects" in alone.coco.placeholderText()
    for each in (dialog, alone):  # the hint reads whole in the field
        hint = each.coco.placeholderText()
        assert each.coco.minimumWidth() > each.coco.fontMetrics().horizontalAdvance(hint)


def test_ok_with_choices_that_cannot_be_exported_keeps_the_dialog_open_and_says_why(qtbot):
    """Transparent cutouts as JPEG: the dialog closed, its choices were kept for the folder,
    and the refusal came afterwards, under an "Exporting ..." that stayed."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QDialogButtonBox

    from interactive_seg.plugin.export_dialog import ExportDialog

    dialog = ExportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.style.setCurrentText("transparent")
    dialog.format.setCurrentText(".jpg")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() == 0
    assert "no transparency" in dialog.problem.text() and dialog.problem.isVisible()
    dialog.style.setCurrentText("color")
    dialog.color.setText("red")
    dialog.format.setCurrentText(".png")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "R,G,B" in dialog.problem.text()
    dialog.color.setText("0,0,0")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.result() == 1


def test_each_scope_keeps_its_own_coco_file_and_a_folder_export_asks_before_replacing_one(qtbot, tmp_path):
    """A file chosen to add the current image's objects to was offered again, for the whole
    folder, whose export replaced it: another tool's dataset was lost without a word."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QDialogButtonBox

    from interactive_seg.plugin.export_dialog import SCOPES, ExportDialog

    theirs = tmp_path / "theirs.json"
    theirs.write_text("{}")
    dialog = ExportDialog(folder_scope=True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.scope.setCurrentText(SCOPES[1])
    dialog.coco.setText(str(theirs))
    dialog.scope.setCurrentText(SCOPES[0])
    assert dialog.coco.text() == ""  # the folder's own field
    dialog.coco.setText(str(theirs))  # chosen on purpose: asked first
    asked = []
    dialog.confirm = lambda question: asked.append(question) or False
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and len(asked) == 1 and "theirs.json exists" in asked[0]
    kept = dialog.kept()["cocos"]
    assert kept == {"folder": str(theirs), "image": str(theirs)}
    again = ExportDialog(settings=dict(dialog.values(), cocos={"folder": "", "image": str(theirs)}), folder_scope=True)
    qtbot.addWidget(again)
    assert again.scope.currentText() == SCOPES[0] and again.coco.text() == ""
    again.scope.setCurrentText(SCOPES[1])
    assert again.coco.text() == str(theirs)


@pytest.mark.parametrize("folder, colour", [("", "0,0,0"), ("out", "255,0"), ("out", "300,-20,0"), ("out", "nan,0,0")])
def test_no_folder_or_a_colour_out_of_range_keeps_the_dialog_open(qtbot, tmp_path, folder, colour):
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QDialogButtonBox

    from interactive_seg.plugin.export_dialog import ExportDialog

    dialog = ExportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.folder.setText(str(tmp_path / folder) if folder else "")
    dialog.style.setCurrentText("color")
    dialog.color.setText(colour)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and ("output folder" in dialog.problem.text() or "0 to 255" in dialog.problem.text())
    dialog.style.setCurrentText("black")  # a colour that is not used is no reason to refuse
    dialog.folder.setText(str(tmp_path / "out"))
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.result() == 1


@pytest.mark.parametrize("case", ["a folder", "a missing folder", "the folder's own file", "out is a file"])
def test_a_coco_path_that_cannot_be_written_keeps_the_dialog_open_before_any_cutout(qtbot, tmp_path, case):
    """Such a path failed after every cutout was written (and the folder's own file was
    offered for replacing)."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QDialogButtonBox

    from interactive_seg.plugin.export_dialog import ExportDialog

    own = tmp_path / "photos" / "annotations.coco.json"
    own.parent.mkdir()
    own.write_text("{}")
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("")
    dialog = ExportDialog(folder_scope=True, own_coco=own)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.confirm = lambda question: pytest.fail(f"asked: {question}")
    folder, coco = {
        "a folder": (tmp_path / "out", tmp_path / "adir"),
        "a missing folder": (tmp_path / "out", tmp_path / "missing" / "x.json"),
        "the folder's own file": (own.parent, ""),
        "out is a file": (tmp_path / "afile", ""),
    }[case]
    dialog.folder.setText(str(folder))
    dialog.coco.setText(str(coco))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.problem.text()
    assert not (tmp_path / "out").exists() and own.read_text() == "{}"


def test_an_export_whose_coco_file_cannot_be_written_writes_no_cutout(tmp_path):
    from interactive_seg import InputError
    from interactive_seg.model.annotations import Annotations

    image, truth = disc_scene(height=40, width=60, centre=(30, 20), radius=10)
    model = Annotations(["disc"])
    model.open(1, (40, 60), file_name="scene.png")
    model.accept(1, truth, "disc")
    (tmp_path / "adir").mkdir()
    for coco in (tmp_path / "adir", tmp_path / "missing" / "x.json"):
        with pytest.raises(InputError, match="COCO file"):
            model.export(1, image, tmp_path / "out", coco=coco)
        assert not (tmp_path / "out").exists()
