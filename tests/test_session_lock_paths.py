"""Where a session's lock and journal live, and what it says when it cannot lock.

A COCO file that is a symlink is locked and journalled beside its target, so two links to
one file never make two writers; a folder where no lock can be made opens read-only with the
operating system's reason, not a story about another window.
"""

import errno
import json

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, Session
from interactive_seg.model import lock as lock_module


def _photos(folder):
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "a.png"), np.full((20, 25, 3), 90, np.uint8))
    return folder


def _square():
    m = np.zeros((20, 25), bool)
    m[5:12, 6:14] = True
    return m


def test_two_links_to_one_coco_file_make_one_writer_and_one_journal(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "real.json"
    real.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    one, two = _photos(tmp_path / "one"), _photos(tmp_path / "two")
    (one / "annotations.coco.json").symlink_to(real)
    (two / "annotations.coco.json").symlink_to(real)

    with pytest.warns(UserWarning, match="another window"):
        with Session.open(one) as first:
            assert not first.read_only
            second = Session.open(two)
            assert second.read_only and "another window" in second.read_only_reason
            second.close()
            first.add("a.png", _square(), "cat")
            first.save()
            assert not (one / ".annotations.coco.json.journal").exists()
            assert (one / "annotations.coco.json").is_symlink()
    assert (one / "annotations.coco.json").is_symlink()
    names = [c["name"] for c in json.loads(real.read_text())["categories"]]
    assert names == ["cat"]
    assert not list(one.glob(".annotations.coco.json.*")) and not list(two.glob(".annotations.coco.json.*"))


def test_a_dangling_link_opens_read_only_saying_the_folder_is_missing(tmp_path):
    folder = _photos(tmp_path / "photos")
    (folder / "annotations.coco.json").symlink_to(tmp_path / "unmounted share" / "annotations.coco.json")
    with pytest.warns(UserWarning, match="does not exist"):
        session = Session.open(folder)
    assert session.read_only
    assert "does not exist" in session.read_only_reason and "another window" not in session.read_only_reason
    with pytest.raises(InputError):
        session.add("a.png", _square(), "cat")
    with pytest.raises(InputError, match="does not exist"):
        Session.open(folder, mode="write")


@pytest.mark.parametrize(
    "code, words",
    [(errno.EROFS, "read-only file system"), (errno.ENOSPC, "no space"), (errno.EACCES, "may not write")],
)
def test_a_lock_that_cannot_be_made_says_why_not_another_window(tmp_path, monkeypatch, code, words):
    folder = _photos(tmp_path / "photos")

    class Refusing:
        def __init__(self, path, **kwargs):
            self.path = path

        def acquire(self, timeout=0, poll_interval=None):
            raise OSError(code, "refused", self.path)

    monkeypatch.setattr(lock_module, "FileLock", Refusing)
    with pytest.warns(UserWarning, match=words):
        session = Session.open(folder)
    assert session.read_only and words in session.read_only_reason
    assert "another window" not in session.read_only_reason
    with pytest.raises(InputError, match=words):
        Session.open(folder, mode="write")


def test_a_folder_or_a_symlink_loop_in_place_of_the_coco_file_is_one_sentence(tmp_path):
    folder = _photos(tmp_path / "photos")
    (folder / "annotations.coco.json").mkdir()
    with pytest.raises(InputError, match="is a folder, not a COCO file"):
        Session.open(folder)
    other = _photos(tmp_path / "loop")
    (other / "annotations.coco.json").symlink_to(other / "again.json")
    (other / "again.json").symlink_to(other / "annotations.coco.json")
    with pytest.raises(InputError, match="cannot be read"):
        Session.open(other)


def test_an_image_named_in_another_unicode_form_is_the_same_image_in_a_session(tmp_path):
    import unicodedata

    folder = tmp_path / "photos"
    folder.mkdir()
    decomposed = unicodedata.normalize("NFD", "café.png")  # as macOS writes the file
    cv2.imwrite(str(folder / decomposed), np.full((20, 25, 3), 90, np.uint8))
    composed = unicodedata.normalize("NFC", "café.png")  # as the other tool wrote the record
    (folder / "annotations.coco.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": composed, "width": 25, "height": 20}],
                "annotations": [
                    {
                        "id": 1,
                        "image_id": 1,
                        "category_id": 1,
                        "segmentation": [[5, 5, 15, 5, 15, 15, 5, 15]],
                        "area": 100,
                        "bbox": [5, 5, 10, 10],
                        "iscrowd": 0,
                    }
                ],
                "categories": [{"id": 1, "name": "cup"}],
            }
        )
    )
    with Session.open(folder) as session:
        assert len(session.objects(decomposed)) == 1
        session.add(decomposed, _square(), "cup")
    data = json.loads((folder / "annotations.coco.json").read_text())
    assert len(data["images"]) == 1 and len(data["annotations"]) == 2  # no second record for the same photo
