"""GUI: an annotator's seventh pass: undoing every stroke of an edit gives the object back
as it was, an accepted proposal's class is listed and its Ctrl+Z reopens it, the export
dialog neither offers polygons it cannot write nor writes inside the folder by default, the
proposal keys work from the examples layer and the Propose panel, the Objects list takes
Delete and Enter, and the read-only and proposal messages say what happened.

Driven with real key and mouse events on a folder session in a shown window; proposals
come from a fake proposer (deterministic discs), not a model.
Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_day4.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import canvas_point, click, click_row, drag, folder_session, key, press  # noqa: E402

from conftest import wait  # noqa: E402

pytestmark = pytest.mark.gui


# -- helpers: what an annotator does ------------------------------------------------------
def open_folder(make_napari_viewer, qtbot, root, names=("a.png", "b.png")):
    viewer, widget = folder_session(make_napari_viewer, root, list(names), shown=True)
    qtbot.wait(200)
    return viewer, widget


def hover(qtbot, viewer, row, col):
    """The mouse pointer over image pixel (row, col) of the canvas: a mouse move event there."""
    from qtpy.QtCore import QEvent, QPointF, Qt
    from qtpy.QtGui import QMouseEvent
    from qtpy.QtWidgets import QApplication

    native = viewer.window._qt_viewer.canvas.native
    pos = QPointF(canvas_point(viewer, row, col))
    button, modifiers = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    event = QMouseEvent(QEvent.Type.MouseMove, pos, native.mapToGlobal(pos), button, button, modifiers)
    QApplication.sendEvent(native, event)
    qtbot.wait(30)


def draw_box_and_accept(qtbot, viewer, widget, start=(25, 45), end=(95, 115)):
    key(qtbot, viewer, "1", "Alt")
    drag(qtbot, viewer, start, end)
    wait(qtbot, widget)
    key(qtbot, viewer, "Return", "Shift")
    qtbot.waitUntil(lambda: widget.object_list.count() >= 1, timeout=5000)


def mask_of(widget, object_id=1):
    return widget.model.objects(widget._key).mask(object_id)


# -- 1 (r11): Ctrl+Z of every stroke of an edit ---------------------------------------------
def test_undoing_every_stroke_of_an_edit_gives_back_the_object_as_it_was(make_napari_viewer, qtbot, tmp_path):
    """Edit, a stroke, Ctrl+Z: the preview was GrabCut run again on the object's
    mask alone (another mask), and Accept replaced the object with it."""
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    before = np.zeros((120, 160), bool)
    before[40:85, 50:100] = True  # a square over most of the disc: not what GrabCut makes of it
    widget.model.accept(widget._key, before, "object")
    widget._show_object_list()
    click_row(qtbot, widget.object_list, 0)
    click(qtbot, widget.edit_button)
    assert widget._editing == 1 and widget._preview.pixels == before.sum()
    key(qtbot, viewer, "3", "Alt")  # scribbles
    key(qtbot, viewer, "F", "Shift")  # foreground marks
    drag(qtbot, viewer, (34, 70), (34, 90))  # on the disc above the square
    qtbot.waitUntil(lambda: widget.status.text().startswith("Preview"), timeout=10000)
    assert viewer.layers["scribbles"].data.any() and widget._preview.pixels != before.sum()
    key(qtbot, viewer, "Z", "Control")  # the stroke goes: no prompt of the edit is left
    wait(qtbot, widget)
    assert not viewer.layers["scribbles"].data.any()
    shown = viewer.layers["preview"].data.astype(bool)
    assert np.array_equal(shown, before), (int(shown.sum()), int(before.sum()))
    assert widget.status.text() == "Undone: the last stroke."
    key(qtbot, viewer, "Return", "Shift")  # Accept: the object as it was
    wait(qtbot, widget)
    assert np.array_equal(mask_of(widget), before)


def test_ctrl_z_right_after_edit_leaves_the_edit_and_keeps_the_object(make_napari_viewer, qtbot, tmp_path):
    """Edit, then Ctrl+Z to back out (no prompt yet): it undid the object's own Accept, and
    the next click dropped the redo: the object was gone."""
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    draw_box_and_accept(qtbot, viewer, widget)
    kept = mask_of(widget).copy()
    click_row(qtbot, widget.object_list, 0)
    click(qtbot, widget.edit_button)
    assert widget._editing == 1
    key(qtbot, viewer, "Z", "Control")
    assert widget._editing is None and widget.object_list.count() == 1 and np.array_equal(mask_of(widget), kept)
    assert "Left the edit of object 1" in widget.status.text()
    key(qtbot, viewer, "Z", "Control")  # then the objects' history, as before
    qtbot.waitUntil(lambda: widget.object_list.count() == 0, timeout=3000)


# -- proposals from a fake proposer: five discs, scores .9 .7 .45 .35 .2 ----------------------
class FakeProposer:
    """Deterministic proposals: discs at fixed places of the image (the .2 one is under the
    panel's "Show above" 0.3, so four are shown), each of the phrase asked for."""

    SPECS = (
        (0.3, 0.3, 0.12, 0.9),
        (0.7, 0.3, 0.1, 0.7),
        (0.3, 0.7, 0.1, 0.45),
        (0.7, 0.7, 0.08, 0.35),
        (0.5, 0.5, 0.06, 0.2),
    )

    def __init__(self, **options):
        self.options = options

    def steps(self, image, text=None, boxes=()):
        from interactive_seg.proposals.base import Proposal

        h, w = image.shape[:2]
        yield 0.5
        yy, xx = np.mgrid[:h, :w]
        found = []
        for cx, cy, r, score in self.SPECS:
            disc = (xx - cx * w) ** 2 + (yy - cy * h) ** 2 < (r * min(h, w)) ** 2
            found.append(Proposal.from_mask(disc, score, text or "", "concept"))
        yield sorted(found, key=lambda p: -p.score)


@pytest.fixture
def fake_proposals(monkeypatch):
    from interactive_seg.plugin import proposals

    monkeypatch.setattr(proposals, "get_proposer", lambda source, **options: FakeProposer(**options))


def propose(qtbot, widget, phrase):
    """Type ``phrase`` into Find and click Propose; until the proposals are shown."""
    panel = widget.proposals
    click(qtbot, panel.text)
    panel.text.selectAll()
    qtbot.keyClicks(panel.text, phrase)
    click(qtbot, panel.propose_button)
    qtbot.waitUntil(lambda: panel.worker is None and bool(panel.proposals), timeout=10000)
    qtbot.wait(50)


def point_at(qtbot, viewer, widget, index):
    """The mouse pointer over a pixel where proposal ``index`` shows on the proposals layer."""
    rows, cols = np.nonzero(widget.proposals.layer.data == index + 1)
    assert rows.size, f"proposal {index + 1} is not drawn"
    hover(qtbot, viewer, rows[rows.size // 2], cols[cols.size // 2])


def swatch_colour(item) -> str:
    return item.icon().pixmap(12, 12).toImage().pixelColor(6, 6).name()


# -- 2 (r01): the class of an accepted proposal is listed at once --------------------------
def test_accepting_a_proposal_of_a_new_phrase_lists_its_class_with_its_colour(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    propose(qtbot, widget, "mug")
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    names = [widget.class_list.item(i).text() for i in range(widget.class_list.count())]
    assert names == list(widget.model.classes) and "mug" in names
    item = widget.class_list.item(names.index("mug"))
    assert swatch_colour(item) == widget.model.colour("mug").lower()


# -- 3 (r02): Ctrl+Z of an accepted proposal opens it again ----------------------------------
def test_ctrl_z_of_an_accepted_proposal_opens_it_again_and_ctrl_shift_z_accepts_it_again(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    panel = widget.proposals
    propose(qtbot, widget, "mug")
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert panel.states[0] == "accepted" and not (panel.layer.data == 1).any()
    key(qtbot, viewer, "Z", "Control")
    qtbot.waitUntil(lambda: widget.object_list.count() == 0, timeout=5000)
    assert panel.states[0] == "open" and panel.list.item(0).text().endswith("- open")
    assert (panel.layer.data == 1).any()  # drawn again
    key(qtbot, viewer, "Z", "Control", "Shift")  # redone: accepted again
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert panel.states[0] == "accepted" and not (panel.layer.data == 1).any()
    key(qtbot, viewer, "Z", "Control")
    qtbot.waitUntil(lambda: widget.object_list.count() == 0, timeout=5000)
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A")  # and A accepts it again
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    objects = widget.model.objects(widget._key)
    assert panel.states[0] == "accepted" and np.array_equal(objects.mask(objects.ids[0]), panel.proposals[0].mask)


# -- 4 (r05) and 5 (r04): the export dialog --------------------------------------------------
def with_export_dialog(qtbot, widget, act):
    """Click Export..., run ``act(dialog)`` on the dialog shown; the dialog is cancelled after
    unless ``act`` closed it."""
    from qtpy.QtCore import QTimer

    ran = []

    def run():
        dialog = widget.exporter.dialog
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(50, run)
            return
        try:
            act(dialog)
        finally:
            ran.append(True)
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(50, run)
    click(qtbot, widget.export_button)
    qtbot.waitUntil(lambda: bool(ran), timeout=10000)


def test_coco_polygons_are_off_for_the_whole_folder_and_the_tooltip_says_why(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtCore import QPoint, Qt

    from interactive_seg.plugin.export_dialog import SCOPES

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    draw_box_and_accept(qtbot, viewer, widget)
    seen = {}

    def act(dialog):
        dialog.activateWindow()
        assert dialog.scope.currentText() == SCOPES[0]
        seen["folder"] = (dialog.polygons.isEnabled(), dialog.polygons.isChecked(), dialog.polygons.toolTip())
        qtbot.keyClick(dialog.scope, Qt.Key.Key_Down)  # the current image
        seen["scope"] = dialog.scope.currentText()
        seen["image"] = dialog.polygons.isEnabled()
        qtbot.mouseClick(dialog.polygons, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.polygons.height() // 2))
        qtbot.keyClick(dialog.scope, Qt.Key.Key_Up)  # the whole folder again
        seen["folder again"] = (dialog.polygons.isEnabled(), dialog.polygons.isChecked(), dialog.values()["polygons"])
        qtbot.keyClick(dialog.scope, Qt.Key.Key_Down)
        seen["image again"] = dialog.polygons.isChecked()

    with_export_dialog(qtbot, widget, act)
    enabled, checked, tip = seen["folder"]
    assert not enabled and not checked
    assert "RLE" in tip and "current image" in tip
    assert seen["scope"] == SCOPES[1] and seen["image"]
    assert seen["folder again"] == (False, False, False)  # never ticked, never sent, for the folder
    assert seen["image again"]  # the choice for an image is kept


def test_the_default_output_folder_is_beside_the_session_folder_not_inside_it(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    """Started in the image folder (``interactive-seg gui .``), the default ``./cutouts`` was
    inside it: on reopening, every cutout was an image to annotate."""
    from qtpy.QtWidgets import QDialogButtonBox

    from interactive_seg import Session

    root = tmp_path / "photos"
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    monkeypatch.chdir(root)
    draw_box_and_accept(qtbot, viewer, widget)
    seen = {}

    def ok(dialog):
        seen["folder"] = dialog.folder.text()
        click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok))

    with_export_dialog(qtbot, widget, ok)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported"), timeout=20000)
    assert seen["folder"] == str(tmp_path / "photos_export")
    assert len(list((tmp_path / "photos_export").glob("*.png"))) == 1
    widget.session.close()
    assert sorted(Session.open(root).images) == ["a.png", "b.png"]


def test_an_export_folder_inside_the_session_folder_chosen_explicitly_is_allowed(make_napari_viewer, qtbot, tmp_path):
    from qtpy.QtWidgets import QDialogButtonBox

    root = tmp_path / "photos"
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    draw_box_and_accept(qtbot, viewer, widget)

    def ok(dialog):
        dialog.folder.setText(str(root / "mine"))  # as Choose... sets it
        click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok))

    with_export_dialog(qtbot, widget, ok)
    qtbot.waitUntil(lambda: widget.status.text().startswith("Exported"), timeout=20000)
    assert len(list((root / "mine").glob("*.png"))) == 1


# -- 6 (r07, r08): the proposal keys from the examples layer and the Propose panel ------------
def test_a_accepts_the_proposal_under_the_cursor_while_the_examples_layer_is_active(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    """The examples layer, made after the keys were bound, never got them: A ran napari's
    select-all on the example boxes instead."""
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    panel = widget.proposals
    propose(qtbot, widget, "mug")
    click(qtbot, panel.examples_button)
    examples = viewer.layers["examples"]
    assert viewer.layers.selection.active is examples
    drag(qtbot, viewer, (80, 100), (110, 150))  # two example boxes
    drag(qtbot, viewer, (5, 120), (25, 150))
    assert len(examples.data) == 2
    click(qtbot, panel.propose_button)  # again, with the example
    qtbot.waitUntil(lambda: panel.worker is None, timeout=10000)
    qtbot.wait(50)
    assert viewer.layers.selection.active is examples
    selected = set(examples.selected_data)
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert panel.states[0] == "accepted" and set(examples.selected_data) == selected != {
        0,
        1,
    }  # not napari's select-all
    point_at(qtbot, viewer, widget, 1)
    key(qtbot, viewer, "X")
    assert panel.states[1] == "rejected" and len(examples.data) == 2


def test_proposal_keys_work_after_enter_in_the_propose_panels_fields(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    """Focus in the Propose panel: Shift+A after a value typed into "Accept above" and Enter
    accepted nothing; A after a phrase and Enter typed an "a" into the phrase."""
    from qtpy.QtWidgets import QApplication

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    panel = widget.proposals
    propose(qtbot, widget, "cup")
    click(qtbot, panel.min_score)
    panel.min_score.lineEdit().selectAll()
    qtbot.keyClicks(panel.min_score, "0.4")
    press(qtbot, "Return")
    qtbot.wait(50)
    assert panel.min_score.value() == pytest.approx(0.4)
    point_at(qtbot, viewer, widget, 3)
    press(qtbot, "A", "Shift")  # where focus is now: the canvas
    qtbot.waitUntil(lambda: widget.object_list.count() == 3, timeout=5000)
    assert panel.states == ["accepted", "accepted", "accepted", "open"]
    assert widget.status.text() == "Accepted 3 proposals scored 0.40 or more."
    # a phrase typed into Find: a key typed there is text while the annotator types
    click(qtbot, panel.text)
    panel.text.selectAll()
    qtbot.keyClicks(panel.text, "mug")
    press(qtbot, "X")  # (text: no proposal is rejected)
    assert panel.text.text() == "mugx" and panel.states[3] == "open"
    press(qtbot, "Backspace")
    press(qtbot, "Return")  # Enter in Find proposes, and the keys go back to the canvas
    qtbot.waitUntil(lambda: panel.worker is None and panel.labels[:1] == ["mug"], timeout=10000)
    qtbot.wait(50)
    assert QApplication.focusWidget() is viewer.window._qt_viewer.canvas.native
    assert panel.states[3] == "open"
    point_at(qtbot, viewer, widget, 3)
    press(qtbot, "A")
    qtbot.waitUntil(lambda: widget.object_list.count() == 4, timeout=5000)
    assert panel.text.text() == "mug" and panel.states[3] == "accepted"


# -- 7 (r09): Delete and Enter in the Objects list -----------------------------------------
def test_delete_and_enter_in_the_objects_list_delete_and_edit_the_object_chosen(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    draw_box_and_accept(qtbot, viewer, widget)
    draw_box_and_accept(qtbot, viewer, widget, (5, 5), (20, 30))
    qtbot.waitUntil(lambda: widget.object_list.count() == 2, timeout=5000)
    click_row(qtbot, widget.object_list, 1)
    chosen = widget.selected_object()
    press(qtbot, "Return")
    assert widget._editing == chosen
    assert widget.status.text().startswith(f"Editing object {chosen} ")
    key(qtbot, viewer, "Escape", "Shift")  # Clear
    assert widget._editing is None
    click_row(qtbot, widget.object_list, 0)
    chosen = widget.selected_object()
    press(qtbot, "Delete")
    qtbot.waitUntil(lambda: widget.object_list.count() == 1, timeout=5000)
    assert chosen not in widget.model.objects(widget._key)
    assert widget.status.text() == f"Object {chosen} deleted ('object')."
    press(qtbot, "Z", "Control")  # undone, as the Delete button's deletion
    qtbot.waitUntil(lambda: widget.object_list.count() == 2, timeout=5000)
    assert chosen in widget.model.objects(widget._key)


# -- 8 (r10, r12, r06): what the messages say -------------------------------------------------
@pytest.fixture
def read_only(make_napari_viewer, qtbot, tmp_path):
    """A folder with one object, opened in the widget while another session writes it."""
    from conftest import disc_scene
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget

    root = tmp_path / "photos"
    root.mkdir()
    write_image(root / "a.png", disc_scene(height=120, width=160)[0])
    with Session.open(root) as session:
        square = np.zeros((120, 160), bool)
        square[30:90, 50:110] = True
        session.add("a.png", square, "cup")
    holder = Session.open(root)  # the other window
    viewer = make_napari_viewer(show=True)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    viewer.window._qt_window.resize(1600, 1000)
    widget.open_session(Session.open(root))
    qtbot.wait(200)
    assert widget.session.read_only
    yield viewer, widget
    widget.session.close()
    holder.close()


def test_a_read_only_window_says_its_reason_once(read_only):
    viewer, widget = read_only
    reason = widget.session.read_only_reason
    assert widget.status.text() == f"Read-only: {reason}"
    assert widget.notice.isHidden() or reason not in widget.notice.text()  # not twice


def test_a_verdict_in_a_read_only_window_says_it_cannot_be_saved(read_only, qtbot):
    viewer, widget = read_only
    hover(qtbot, viewer, 60, 80)
    key(qtbot, viewer, "A", "Alt")
    status = widget.status.text()
    assert "prompt" not in status
    assert status == "Read-only: the verdict cannot be saved in this window, so object 1 keeps the one it had."
    assert widget.model.review_state(widget._key, 1) == "unreviewed"


def test_add_class_is_refused_in_a_read_only_window_as_a_rename_is(read_only, qtbot):
    viewer, widget = read_only
    before = list(widget.model.classes)
    click(qtbot, widget.add_class_button)
    qtbot.wait(50)
    assert list(widget.model.classes) == before
    assert [widget.class_list.item(i).text() for i in range(widget.class_list.count())] == before
    assert widget.notice.text() == f"Not added: {widget.session.read_only_reason}"
    assert widget.status.text() == (
        "Read-only: no class was added; classes can be added in the window that saves this folder."
    )


def test_x_and_shift_x_say_what_they_did_in_place_of_shift_as_message(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    panel = widget.proposals
    propose(qtbot, widget, "cup")
    panel.min_score.setValue(0.95)
    point_at(qtbot, viewer, widget, 1)
    key(qtbot, viewer, "A", "Shift")
    assert widget.status.text() == "Accepted 0 proposals scored 0.95 or more."
    key(qtbot, viewer, "X")
    assert panel.states[1] == "rejected" and widget.status.text() == "Rejected proposal 2."
    key(qtbot, viewer, "X", "Shift")
    assert panel.states == ["rejected"] * 4
    assert widget.status.text() == "Rejected the 3 proposals left open."
    click(qtbot, panel.judge_buttons[3])  # "Reject rest (Shift+X)" with none open (the key is napari's then)
    assert widget.status.text() == "No proposal was left open, so none was rejected."


def test_two_folder_sessions_started_in_one_place_export_to_two_folders(tmp_path, monkeypatch):
    """Both took ./cutouts: B's export went beside A's cutouts, its COCO file over A's."""
    from interactive_seg.plugin.export_dialog import default_output

    monkeypatch.chdir(tmp_path)
    assert default_output(tmp_path / "A") == tmp_path / "A_export"
    assert default_output(tmp_path / "B") == tmp_path / "B_export"
    assert default_output() == tmp_path / "cutouts"  # an image outside a folder session


def test_shift_enter_while_typing_a_phrase_proposes_and_keeps_no_object(make_napari_viewer, qtbot, tmp_path):
    """A phrase typed with Shift still held, then Shift+Enter: the line edit let the key go
    on to napari's window, whose Shift+Enter kept the pending box's preview as an object."""
    from qtpy.QtCore import Qt

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    key(qtbot, viewer, "1", "Alt")
    drag(qtbot, viewer, (25, 45), (95, 115))
    wait(qtbot, widget)
    assert widget._preview is not None and widget.object_list.count() == 0
    find = widget.proposals.text
    find.setFocus()
    qtbot.keyClicks(find, "Cat")
    qtbot.keyClick(find, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: widget.proposals.worker is None, timeout=20000)
    assert widget.object_list.count() == 0 and find.text() == "Cat"


def test_a_proposal_in_a_read_only_window_is_refused_before_its_class_is_made(read_only, qtbot, fake_proposals):
    """A was tried, failed at the save, and left the phrase's class in the list."""
    viewer, widget = read_only
    before = list(widget.model.classes)
    propose(qtbot, widget, "mug")
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A")
    qtbot.wait(100)
    assert list(widget.model.classes) == before and widget.proposals.states[0] == "open"
    assert widget.status.text() == "Read-only: proposal 1 cannot be accepted in this window, so it stays open."


def test_shift_a_says_how_many_it_accepted_when_they_are_accepted_in_a_worker(
    make_napari_viewer, qtbot, tmp_path, fake_proposals
):
    """On a large image (objects accepted in a worker) the last object's line was said last."""
    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    widget.jobs.sync_pixels = 0  # as on a 6000 x 4000 photograph: every change in a worker
    propose(qtbot, widget, "mug")
    widget.proposals.min_score.setValue(0.3)
    point_at(qtbot, viewer, widget, 0)
    key(qtbot, viewer, "A", "Shift")
    qtbot.waitUntil(lambda: widget.object_list.count() == 4 and not widget.jobs.busy, timeout=10000)
    qtbot.wait(100)
    assert widget.status.text() == "Accepted 4 proposals scored 0.30 or more."


def test_warnings_go_when_what_they_said_no_longer_applies(make_napari_viewer, qtbot, tmp_path):
    """A click off the image, undone with Ctrl+Z, left its warning (with coordinates like
    700.391); "Objects still have the class 'dog'" stayed after the last dog was deleted."""
    from qtpy.QtCore import Qt

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    key(qtbot, viewer, "2", "Alt")  # clicks
    native = viewer.window._qt_viewer.canvas.native
    off = canvas_point(viewer, 60, 200.4)  # right of the 160-pixel image
    qtbot.mouseClick(native, Qt.MouseButton.LeftButton, pos=off)
    qtbot.waitUntil(lambda: "off the image" in widget.notice.text(), timeout=5000)
    assert "." not in widget.notice.text().split("The point (")[1].split(")")[0]  # whole pixels
    key(qtbot, viewer, "Z", "Control")
    qtbot.waitUntil(lambda: not widget.notice.isVisible(), timeout=3000)

    widget.classes.add("dog")  # (the Add button with the name typed)
    click_row(qtbot, widget.class_list, widget.model.classes.index("dog"))
    draw_box_and_accept(qtbot, viewer, widget)
    click_row(qtbot, widget.class_list, widget.model.classes.index("dog"))
    click(qtbot, widget.remove_class_button)
    assert "still have the class 'dog'" in widget.notice.text() and widget.notice.isVisible()
    click_row(qtbot, widget.object_list, 0)
    click(qtbot, widget.delete_button)
    qtbot.waitUntil(lambda: widget.object_list.count() == 0, timeout=3000)
    assert not widget.notice.isVisible()


def test_a_preview_of_other_prompts_is_never_kept_when_the_engine_cannot_answer(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    """GrabCut's preview of box A, then SAM chosen with no model and box B drawn: box A's
    preview stayed under box B, the status offered it, and Accept kept it."""
    from interactive_seg import InputError

    viewer, widget = open_folder(make_napari_viewer, qtbot, tmp_path / "photos")
    key(qtbot, viewer, "1", "Alt")
    drag(qtbot, viewer, (25, 45), (95, 115))
    wait(qtbot, widget)
    assert viewer.layers["preview"].data.any()

    def no_model():
        raise InputError("There is no SAM checkpoint for vit_b; download it (interactive-seg models download vit_b).")

    monkeypatch.setattr(widget, "engine", no_model)
    drag(qtbot, viewer, (5, 5), (40, 40))
    wait(qtbot, widget)
    assert not viewer.layers["preview"].data.any() and "no SAM checkpoint" in widget.notice.text()
    key(qtbot, viewer, "Return", "Shift")
    qtbot.wait(300)
    assert widget.object_list.count() == 0
