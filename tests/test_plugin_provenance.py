"""GUI: every object the annotator keeps says how it was made, so the folder can be made
again (`interactive-seg replay`), and a key marks the object under the cursor accepted or
rejected (issue #35).

Driven with real layer events (boxes, clicks, brush strokes) and real keys.
Run under a display: xvfb-run -a python -m pytest tests/test_plugin_provenance.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from gui_actions import press

from conftest import box, iou, wait

pytestmark = pytest.mark.gui

CENTRES = [(40, 40), (130, 40), (220, 40), (60, 130), (180, 130)]  # (x, y) of the discs
RADIUS = 22
COLOURS = [(210, 50, 40), (240, 200, 40), (60, 200, 60), (230, 120, 200), (250, 250, 250)]


def scene(seed):
    """Five discs of different colours, well apart, on a textured blue background."""
    rng = np.random.default_rng(seed)
    height, width = 170, 260
    yy, xx = np.mgrid[:height, :width]
    stripes = ((xx // 6 + yy // 9) % 2)[..., None] * np.array([0, 30, 40])
    image = (np.array([30, 80, 170]) + stripes).astype(float)
    for (cx, cy), colour in zip(CENTRES, COLOURS):
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < RADIUS**2
        image[disc] = colour
    return np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)


def paint(qtbot, viewer, widget, centre, label, size=6):
    scribbles = viewer.layers["scribbles"]
    before = widget.runner.generation
    with scribbles.block_history():  # as napari's brush drag paints: one stroke
        scribbles.brush_size = size
        scribbles.paint(centre, label)
    qtbot.waitUntil(lambda: widget.runner.generation > before, timeout=5000)
    wait(qtbot, widget)


def open_folder(make_napari_viewer, qtbot, root):
    from interactive_seg import Session
    from interactive_seg.plugin.widget import SegmentationWidget

    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.open_session(Session.open(root))
    qtbot.wait(50)
    return viewer, widget


def make_folder(tmp_path, n=4):
    from interactive_seg import write_image

    root = tmp_path / "photos"
    root.mkdir()
    for i in range(n):
        write_image(root / f"p{i}.png", scene(i))
    return root


def annotate(qtbot, viewer, widget, how, centre):
    cx, cy = centre
    r = RADIUS + 6
    if how in ("box", "box+click", "box+stroke"):
        box(viewer, cx - r, cy - r, cx + r, cy + r)
        wait(qtbot, widget)
    if how == "box+click":
        viewer.layers["points"].add([[cy, cx]])  # (row, col): a foreground click at the centre
        wait(qtbot, widget)
    if how == "box+stroke":
        paint(qtbot, viewer, widget, (cy, cx), 1)
    if how == "strokes":
        paint(qtbot, viewer, widget, (cy, cx), 1)
        paint(qtbot, viewer, widget, (cy, cx + r + 2), 2)
        paint(qtbot, viewer, widget, (cy, cx - r - 2), 2)
        paint(qtbot, viewer, widget, (cy - r - 2, cx), 2)
        paint(qtbot, viewer, widget, (cy + r + 2, cx), 2)
    assert widget.accept_button.isEnabled(), widget.status.text()
    from qtpy.QtCore import Qt

    qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)


def test_twenty_objects_made_in_the_widget_are_made_again_by_replay(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import provenance as pv
    from interactive_seg.batch.replay import replay
    from interactive_seg.coco import CocoDocument

    root = make_folder(tmp_path)
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    ways = ["box", "box+click", "box+stroke", "strokes"]
    n = 0
    for image_index in range(4):
        assert widget.images.current() == f"p{image_index}.png"
        for centre in CENTRES:
            annotate(qtbot, viewer, widget, ways[n % len(ways)], centre)
            n += 1
        if image_index < 3:
            widget.step_image(1)
            qtbot.wait(50)
    widget.session.close()
    coco = root / "annotations.coco.json"
    doc = CocoDocument.open(coco)
    anns = doc.annotations()
    assert len(anns) == 20 and all(pv.has_prompts(a) for a in anns)
    kinds = {tuple(sorted(pv.record_of(a)["prompts"])) for a in anns}
    assert {("box",), ("box", "point_labels", "points"), ("box", "strokes"), ("strokes",)} <= kinds
    record = pv.record_of(anns[0])
    assert record["engine"]["name"] == "grabcut" and record["review"] == {"state": "unreviewed"}
    assert record["image"] == pv.image_record(scene(0))

    out = tmp_path / "again.json"
    replay(coco, out, images=root, engine="grabcut", workers=0, progress=False)
    again = CocoDocument.open(out)
    for ann in anns:
        old, new = doc.mask(ann["id"]), again.mask(ann["id"])
        assert iou(old, new) >= 0.99, (ann["id"], pv.record_of(ann)["prompts"].keys(), iou(old, new))


def test_an_edit_keeps_the_first_record_as_history(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session

    root = make_folder(tmp_path, n=1)
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    annotate(qtbot, viewer, widget, "box", CENTRES[0])
    object_id = widget.model.objects(widget._key).ids[0]
    widget.edit(object_id)
    paint(qtbot, viewer, widget, (CENTRES[0][1], CENTRES[0][0] + 10), 2)  # a background stroke on the right
    from qtpy.QtCore import Qt

    qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not widget.working, timeout=10000)
    widget.session.close()
    record = Session.open(root, mode="read").provenance(object_id)
    assert "prior" in record["prompts"] and "strokes" in record["prompts"]
    assert record["history"][0]["engine"]["name"] == "grabcut"


def discs_kept(make_napari_viewer, qtbot, tmp_path, n):
    """A folder of one photograph in a window on screen, its first ``n`` discs kept: (root, viewer, widget)."""
    root = make_folder(tmp_path, n=1)
    viewer, widget = open_folder(make_napari_viewer, qtbot, root)
    window = viewer.window._qt_window
    window.show()
    window.activateWindow()
    for centre in CENTRES[:n]:
        annotate(qtbot, viewer, widget, "box", centre)
    return root, viewer, widget


def test_alt_a_and_alt_r_mark_the_object_under_the_cursor_wherever_focus_is(make_napari_viewer, qtbot, tmp_path):
    from interactive_seg import Session

    root, viewer, widget = discs_kept(make_napari_viewer, qtbot, tmp_path, 3)
    ids = widget.model.objects(widget._key).ids
    (x0, y0), (x1, y1) = CENTRES[0], CENTRES[1]
    viewer.cursor.position = (y0, x0)  # the mouse over the first disc
    press(qtbot, "A", "Alt", widget=viewer.window._qt_viewer.canvas.native)  # on the canvas
    viewer.cursor.position = (y1, x1)
    widget.class_list.setFocus()  # focus in the class list (after a rename, say): the key still works
    qtbot.waitUntil(lambda: widget.class_list.hasFocus(), timeout=3000)
    press(qtbot, "R", "Alt", widget=widget.class_list)
    texts = [widget.object_list.item(i).text() for i in range(widget.object_list.count())]
    assert texts[0].endswith("accepted") and texts[1].endswith("rejected") and texts[2] == f"{ids[2]}: object"
    widget.review_filter.setCurrentText("rejected")
    assert [widget.object_list.item(i).text() for i in range(widget.object_list.count())] == [texts[1]]
    widget.review_filter.setCurrentText("unreviewed")
    assert widget.object_list.count() == 1 and widget.object_list.item(0).text() == texts[2]
    viewer.cursor.position = (5, 5)  # the background: nothing to mark, nothing changes
    press(qtbot, "A", "Alt", widget=viewer.window._qt_viewer.canvas.native)
    assert "Point at an object" in widget.notice.text()
    widget.session.close()
    saved = Session.open(root, mode="read")
    assert [saved.review_state(i) for i in ids] == ["accepted", "rejected", "unreviewed"]


def test_ctrl_z_takes_back_a_verdict_given_to_the_wrong_object(make_napari_viewer, qtbot, tmp_path):
    """Alt+A on the wrong object could not be undone (a verdict was no step of Ctrl+Z)."""
    from interactive_seg import Session

    root, viewer, widget = discs_kept(make_napari_viewer, qtbot, tmp_path, 2)
    first, second = widget.model.objects(widget._key).ids
    canvas = viewer.window._qt_viewer.canvas.native
    viewer.cursor.position = (CENTRES[1][1], CENTRES[1][0])  # the mouse over the second disc
    press(qtbot, "A", "Alt", widget=canvas)
    assert widget.object_list.item(1).text().endswith("accepted")
    assert widget.undo_button.toolTip() == f"Undo object {second} marked accepted"
    press(qtbot, "Z", "Control", widget=canvas)
    assert widget.object_list.item(1).text() == f"{second}: object" and "Undone" in widget.status.text()
    assert widget.model.objects(widget._key).ids == [first, second]  # the object itself stays
    press(qtbot, "Z", "Control", "Shift", widget=canvas)
    assert widget.object_list.item(1).text().endswith("accepted")
    press(qtbot, "Z", "Control", widget=canvas)
    widget.session.close()
    saved = Session.open(root, mode="read")
    assert [saved.review_state(i) for i in (first, second)] == ["unreviewed", "unreviewed"]


def test_accept_never_hashes_the_image_on_the_gui_thread(make_napari_viewer, qtbot, monkeypatch):
    """Issue 33: the image's fingerprint in an object's record (a hash of all its pixels,
    0.16 s for 24 megapixels) is made in the engine's worker beside the engine call, once
    per image, never by Accept on the GUI thread."""
    import threading

    from qtpy.QtCore import Qt

    from conftest import docked_widget
    from interactive_seg import provenance as pv

    hashed = []
    real = pv.image_key

    def spy(rgb):
        hashed.append(threading.current_thread() is threading.main_thread())
        return real(rgb)

    monkeypatch.setattr(pv, "image_key", spy)
    image = scene(0)
    viewer = make_napari_viewer()
    widget = docked_widget(viewer, image)
    for cx, cy in CENTRES[:2]:
        box(viewer, cx - RADIUS - 6, cy - RADIUS - 6, cx + RADIUS + 6, cy + RADIUS + 6)
        wait(qtbot, widget)
        on_gui = len(hashed)
        qtbot.mouseClick(widget.accept_button, Qt.MouseButton.LeftButton)
        assert len(hashed) == on_gui, "Accept hashed the image"
    objects = widget.model.objects(widget._key)
    assert len(objects) == 2
    assert hashed == [False]  # once for the image, in the worker
    expected = pv.image_record(image)  # (here, after the count)
    for object_id in objects.ids:
        assert widget.model.provenance(widget._key, object_id)["image"] == expected
