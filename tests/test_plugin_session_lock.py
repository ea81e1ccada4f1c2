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
