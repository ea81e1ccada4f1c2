"""GUI tests of the Propose panel (issue 32): proposals from a tiny random SAM 3 concept model,
accepted and rejected with real key presses on the canvas, undone with Ctrl+Z; nothing reaches
the annotations until accepted; a proposal over an existing object is not accepted again.

Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_plugin_proposals.py
"""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")
pytest.importorskip("transformers")

from sam_models import tiny_sam3_concept_folder

from conftest import disc_scene, docked_widget

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def concept_folder(tmp_path_factory):
    return tiny_sam3_concept_folder(tmp_path_factory.mktemp("sam3") / "model")


def canvas_key(qtbot, viewer, name, *modifiers):
    from qtpy.QtCore import Qt

    mods = Qt.KeyboardModifier.NoModifier
    for m in modifiers:
        mods |= getattr(Qt.KeyboardModifier, f"{m}Modifier")
    qtbot.keyClick(viewer.window._qt_viewer.canvas.native, getattr(Qt.Key, f"Key_{name}"), mods)


@pytest.fixture
def proposed(make_napari_viewer, qtbot, concept_folder):
    from qtpy.QtCore import Qt

    viewer = make_napari_viewer()
    image, _ = disc_scene(height=120, width=160)
    widget = docked_widget(viewer, image)
    window = viewer.window._qt_window
    window.show()
    window.resize(1400, 900)
    panel = widget.proposals
    panel.concept_model.setText(str(concept_folder))
    panel.show_above.setValue(0.0)
    qtbot.keyClicks(panel.text, "disc")
    qtbot.mouseClick(panel.propose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.worker is None and bool(panel.proposals), timeout=60000)
    return viewer, widget, panel


def _point_at(viewer, panel, index):
    """The cursor over a pixel that shows proposal ``index`` on the proposals layer."""
    rows, cols = np.nonzero(panel.layer.data == index + 1)
    viewer.cursor.position = (float(rows[len(rows) // 2]), float(cols[len(cols) // 2]))
    viewer.window._qt_viewer.canvas.native.setFocus()


def test_proposals_show_as_their_own_layer_and_nothing_is_an_object_yet(proposed):
    viewer, widget, panel = proposed
    assert "proposals" in viewer.layers and viewer.layers["proposals"] is panel.layer
    assert len(widget.model.objects(widget._key)) == 0
    assert panel.list.count() == len(panel.proposals) > 0
    scores = [p.score for p in panel.proposals]
    assert scores == sorted(scores, reverse=True)
    assert f"{scores[0]:.2f}" in panel.list.item(0).text()


def test_keys_accept_and_reject_the_proposal_under_the_cursor_and_ctrl_z_undoes(proposed, qtbot):
    viewer, widget, panel = proposed
    best = int(np.argmax([p.score for p in panel.proposals]))
    _point_at(viewer, panel, best)  # the best is drawn on top: all of it shows
    canvas_key(qtbot, viewer, "A")
    qtbot.waitUntil(lambda: len(widget.model.objects(widget._key)) == 1, timeout=5000)
    objects = widget.model.objects(widget._key)
    object_id = objects.ids[0]
    assert objects.classes[object_id] == "disc"
    assert np.array_equal(objects.mask(object_id), panel.proposals[best].mask)
    assert panel.states[best] == "accepted" and not (panel.layer.data == best + 1).any()
    # the rest overlap the accepted one or not: those that do are marked, and never accepted again
    canvas_key(qtbot, viewer, "A", "Shift")
    qtbot.wait(50)
    ids = widget.model.objects(widget._key).ids
    masks = [widget.model.objects(widget._key).mask(i) for i in ids]
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            union = np.count_nonzero(masks[i] | masks[j])
            assert np.count_nonzero(masks[i] & masks[j]) / union <= 0.5
    assert all(s in ("accepted", "rejected") or s.startswith("overlaps object") or s == "open" for s in panel.states)
    # reject what is left under the cursor, then Shift+X the rest
    left = [i for i, s in enumerate(panel.states) if s == "open"]
    if left:
        _point_at(viewer, panel, left[0])
        canvas_key(qtbot, viewer, "X")
        assert panel.states[left[0]] == "rejected"
    canvas_key(qtbot, viewer, "X", "Shift")
    assert "open" not in panel.states and not panel.layer.data.any()
    # every accepted proposal is an ordinary object: Ctrl+Z takes them back one by one
    accepted = panel.states.count("accepted")
    assert len(widget.model.objects(widget._key)) == accepted
    for _ in range(accepted):
        canvas_key(qtbot, viewer, "Z", "Control")
    qtbot.waitUntil(lambda: len(widget.model.objects(widget._key)) == 0, timeout=5000)


def test_a_proposal_over_an_existing_object_is_not_accepted_again(proposed, qtbot):
    _, widget, panel = proposed
    best = int(np.argmax([p.score for p in panel.proposals]))
    widget.model.accept(widget._key, panel.proposals[best].mask, "disc")  # the same object, made by hand
    panel.propose_button.click()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60000)
    qtbot.wait(50)
    assert panel.states[best].startswith("overlaps object")
    assert not panel.accept(best)
    assert len(widget.model.objects(widget._key)) == 1


def test_accepting_40_proposals_then_undoing_them_all_leaves_the_coco_file_as_it_was(
    make_napari_viewer, qtbot, tmp_path
):
    from interactive_seg import Session, write_image
    from interactive_seg.plugin.widget import SegmentationWidget
    from interactive_seg.proposals import Proposal

    folder = tmp_path / "street"
    folder.mkdir()
    image, _ = disc_scene(height=120, width=160)
    write_image(folder / "a.png", image)
    viewer = make_napari_viewer()
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    window = viewer.window._qt_window
    window.show()
    window.resize(1400, 900)
    widget.open_session(Session.open(folder))
    made = np.zeros((120, 160), bool)
    made[80:110, 40:100] = True
    widget.model.accept(widget._key, made, "car")  # one object made by hand
    coco = widget.session.save()
    before = coco.read_text()
    found = []
    for j in range(4):
        for i in range(10):
            square = np.zeros((120, 160), bool)
            square[2 + 16 * j : 10 + 16 * j, 2 + 16 * i : 10 + 16 * i] = True
            found.append(Proposal.from_mask(square, 0.9 - 0.01 * (i + 10 * j) / 4, "car", "concept"))
    found.append(Proposal.from_mask(made, 0.95, "car", "concept"))  # the object made by hand, again
    panel = widget.proposals
    panel.min_score.setValue(0.5)
    panel._show(found, key=widget._key)
    assert panel.states[-1].startswith("overlaps object")
    viewer.window._qt_viewer.canvas.native.setFocus()
    canvas_key(qtbot, viewer, "A", "Shift")
    qtbot.waitUntil(lambda: len(widget.model.objects(widget._key)) == 41, timeout=10000)
    assert Session.open(folder).count("a.png") == 41
    for _ in range(40):
        canvas_key(qtbot, viewer, "Z", "Control")
    qtbot.waitUntil(lambda: len(widget.model.objects(widget._key)) == 1, timeout=10000)
    qtbot.wait(50)
    assert widget.session.save() == coco
    import json

    before, after = json.loads(before), json.loads(coco.read_text())
    # the same images, categories and annotations; the store only remembers that ids up to 41
    # were handed out (it never gives an id twice), in its own key of "info"
    assert {k: v for k, v in after.items() if k != "info"} == {k: v for k, v in before.items() if k != "info"}
    assert set(after.get("info", {})) - set(before.get("info", {})) <= {"interactive_seg_next_annotation_id"}
