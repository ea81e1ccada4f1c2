"""The annotation model without Qt: objects per image, one class list, undo per image, sessions, export."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import disc_scene
from interactive_seg import InputError, Session, write_image
from interactive_seg.model.annotations import Annotations


def square(y0, x0, size, shape=(40, 60)):
    m = np.zeros(shape, bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"img{i}.png", disc_scene(height=40, width=60, centre=(30, 20), radius=10, seed=i)[0])
    return folder


def test_changes_say_what_changed_and_where():
    model = Annotations(["cat", "dog"])
    model.open("a", (40, 60))
    change = model.accept("a", square(5, 10, 4), "cat")
    assert change.action == "accept" and change.image == "a" and change.how == "done"
    assert change.bbox == (10, 5, 14, 9) and change.ids == {change.object_id}
    cat = change.object_id
    change = model.accept("a", np.ones((6, 6), bool), "dog", offset=(12, 7))  # takes part of the cat
    dog = change.object_id
    assert change.ids == {cat, dog} and change.bbox == (12, 7, 18, 13)
    change = model.replace("a", dog, category="cat")
    assert change.bbox is None and change.ids == {dog} and model.objects("a").classes[dog] == "cat"
    change = model.delete("a", cat)
    assert change.action == "delete" and cat not in model.objects("a")
    change = model.undo("a")
    assert change.how == "undone" and change.text.startswith("Undone: object") and cat in model.objects("a")
    assert model.redo("a").how == "redone" and cat not in model.objects("a")


def test_images_are_known_by_their_key_and_keep_their_history():
    model = Annotations()
    model.open("left", (40, 60), file_name="left.png")
    model.open("right", (40, 60))
    model.accept("left", square(0, 0, 5), None)
    model.accept("right", square(0, 0, 5))
    assert model.open("left") is model.objects("left")  # opening again: same objects, same history
    assert model.undo("left") and len(model.objects("left")) == 0 and len(model.objects("right")) == 1
    assert model.objects("right").classes == {1: "object"}  # no class given: the first one
    with pytest.raises(InputError, match="not open"):
        model.objects("elsewhere")


def test_a_class_rename_is_one_step_for_every_image():
    model = Annotations(["cat"])
    for key in ("a", "b"):
        model.open(key, (40, 60))
        model.accept(key, square(0, 0, 5), "cat")
        model.accept(key, square(10, 10, 5), "cat")
    change = model.rename_class("cat", "lion", image="a")
    assert change.classes_changed and model.classes == ["lion"]
    assert set(model.objects("a").classes.values()) == set(model.objects("b").classes.values()) == {"lion"}
    assert model.history("a").undo_text == "class 'cat' renamed 'lion'"
    assert model.undo("a").text == "Undone: class 'cat' renamed 'lion'."
    assert model.classes == ["cat"] and set(model.objects("b").classes.values()) == {"cat"}
    assert len(model.objects("a")) == 2  # one Ctrl+Z undid the rename, not an object
    model.redo("a")
    assert model.classes == ["lion"]
    model.add_class("cat")
    # renaming back would merge two classes: it stays as it is, and the undo goes on to the
    # steps before it (refusing left every earlier step of the image out of reach of Ctrl+Z)
    assert (
        model.undo("a").text == "Undone: class 'cat' renamed 'lion' (a class 'cat' was made since: it stays as it is)."
    )
    assert model.classes == ["lion", "cat"] and set(model.objects("b").classes.values()) == {"lion"}
    assert model.history("a").undo_text == "object 2 kept as 'lion'"  # (its class now)
    assert "nothing to do" in model.redo("a").text and model.classes == ["lion", "cat"]
    with pytest.raises(InputError, match="already a class 'cat'"):
        model.rename_class("lion", "cat")


def test_undo_and_redo_give_an_object_its_class_as_it_is_named_now(folder):
    """A class renamed on another image, then Ctrl+Z / Ctrl+Shift+Z of an accept here: the
    object came back with the old name, a class the list no longer had, and the file got a
    second category of that name. A class removed since comes back into the list."""
    import json

    session = Session.open(folder)
    model = Annotations(["car"], session=session)
    model.open("img0.png", (40, 60))
    model.open("img1.png", (40, 60))
    first = model.accept("img0.png", square(5, 5, 10), "car").object_id
    model.rename_class("car", "vehicle", image="img1.png")
    model.undo("img0.png")
    assert model.redo("img0.png").text == f"Redone: object {first} kept as 'vehicle'."
    assert model.objects("img0.png").classes == {first: "vehicle"} and model.classes == ["vehicle"]
    model.delete("img0.png", first)
    model.add_class("tree")
    before = [dict(c) for c in session.document.categories]
    model.remove_class("vehicle", step=True, image="img1.png")
    model.undo("img0.png")  # the deleted object is back, and so is its class: its place, colour and category id
    assert model.objects("img0.png").classes == {first: "vehicle"} and model.classes == ["vehicle", "tree"]
    # (the removal's own undo and redo have nothing left to do: the redo is not stuck on the object's class)
    assert (
        model.undo("img1.png").text
        == "Undone: class 'vehicle' removed (it was back already, with an object an undo gave it)."
    )
    assert "nothing to do" in model.redo("img1.png").text and "vehicle" in model.classes
    session.close()
    assert json.loads((folder / "annotations.coco.json").read_text())["categories"] == before


def test_classes_are_checked():
    model = Annotations(["cat"])
    assert model.add_class() == "class 2" and model.add_class("dog") == "dog"
    with pytest.raises(InputError, match="already a class"):
        model.add_class("dog")
    with pytest.raises(InputError, match="empty"):
        model.add_class("  ")
    with pytest.raises(InputError, match="empty"):
        model.rename_class("dog", "")
    model.open("a", (40, 60))
    model.accept("a", square(0, 0, 5), "dog")
    with pytest.raises(InputError, match="still have the class 'dog'"):
        model.remove_class("dog")
    model.remove_class("class 2")
    model.accept("a", square(20, 20, 5), "bird")  # a new class joins the list
    assert model.classes == ["cat", "dog", "bird"]
    only = Annotations(["x"])
    with pytest.raises(InputError, match="at least one"):
        only.remove_class("x")


def test_a_session_saves_every_change_and_a_rename_keeps_its_category_id(folder):
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    first = model.accept("img0.png", square(10, 20, 10), "cat").object_id
    second = model.accept("img0.png", np.ones((5, 5), bool), "cat", offset=(0, 0)).object_id
    reopened = Session.open(folder)
    assert [o.id for o in reopened.objects("img0.png")] == [first, second]
    assert reopened.objects("img0.png")[0].mask[10:20, 20:30].all()
    category_id = reopened.categories["cat"]
    model.rename_class("cat", "lion", image="img0.png")
    assert Session.open(folder).categories == {"lion": category_id}
    model.undo("img0.png")
    assert Session.open(folder).categories == {"cat": category_id}  # the same category, not a new one
    model.undo("img0.png")  # the second object
    assert [o.id for o in Session.open(folder).objects("img0.png")] == [first]
    model.redo("img0.png")
    model.replace("img0.png", first, square(0, 40, 8))
    model.delete("img0.png", second)
    saved = Session.open(folder).objects("img0.png")
    assert [o.id for o in saved] == [first] and saved[0].mask.sum() == 64 and saved[0].mask[0:8, 40:48].all()


def test_a_sessions_categories_lead_the_class_list_in_the_files_order(folder):
    """A class's place in the list is its colour: in the widget as in review sheets, which
    take the COCO file's category order."""
    first = Annotations(session=Session.open(folder))
    first.open("img0.png", (40, 60))
    first.accept("img0.png", square(0, 0, 4), "dog")
    first.accept("img0.png", square(20, 20, 4), "cat")
    model = Annotations(["object", "cat"])  # the widget starts with its default class
    model.use_session(Session.open(folder))
    assert model.classes == ["dog", "cat"]  # the file's classes alone: no unused default comes back (#33)


def test_adding_a_class_leaves_the_unused_default_class_its_colour(folder):
    """An annotator has seen the default class's swatch: a new class takes another colour
    instead of taking the default's (#33: found in an annotator's pass)."""
    model = Annotations(session=Session.open(folder))
    assert model.classes == ["object"]
    shown = model.colour("object")
    model.add_class("car")
    assert model.colour("object") == shown and model.colour("car") != shown
    model.open("img0.png", (40, 60))
    model.accept("img0.png", square(0, 0, 4), "object")
    colours = model.class_colours
    model.session.close()
    assert Annotations(session=Session.open(folder)).class_colours == {"car": colours["car"], "object": shown}


@pytest.mark.parametrize("with_session", [False, True])
def test_classes_beyond_the_palette_go_round_it_again_not_onto_one_colour(folder, with_session):
    from interactive_seg.palette import COLOURS

    model = Annotations(session=Session.open(folder)) if with_session else Annotations(["object"])
    for n in range(2, 2 * len(COLOURS) + 1):
        model.add_class(f"class {n}")
    colours = [model.colour(name) for name in model.classes]
    assert colours == list(COLOURS) * 2  # (every class after the 9th was blue)
    if with_session:
        model.session.close()
        again = Annotations(session=Session.open(folder))  # (the unused default class was never saved)
        assert again.classes == model.classes[1:] and [again.colour(n) for n in again.classes] == colours[1:]


def test_a_session_image_opens_with_its_saved_objects_and_counts_without_opening(folder):
    session = Session.open(folder)
    model = Annotations(["cat"], session=session)
    model.open("img1.png", (40, 60))
    model.accept("img1.png", square(0, 0, 4), "dog")
    model.accept("img1.png", square(20, 20, 4), "dog")
    session.close()  # another window may now write the folder
    again = Annotations(session=Session.open(folder))
    assert again.classes == ["dog"] and again.count("img1.png") == 2 and "img1.png" not in again
    objects = again.open("img1.png", (40, 60))
    assert objects.classes == {1: "dog", 2: "dog"} and objects.area(1) == 16
    new = again.accept("img1.png", square(30, 30, 4), "dog").object_id
    assert new == 3  # the session's id counter: ids stay unique across images and reopenings


def test_classes_of_unopened_session_images_cannot_be_removed(folder):
    model = Annotations(session=Session.open(folder))
    model.open("img2.png", (40, 60))
    model.accept("img2.png", square(0, 0, 4), "rare")
    other = Annotations(session=Session.open(folder))
    with pytest.raises(InputError, match="still have the class 'rare'"):
        other.remove_class("rare")


def test_old_session_images_are_closed_but_their_objects_stay_saved(folder):
    model = Annotations(session=Session.open(folder), keep_images=2)
    for name in ("img0.png", "img1.png", "img2.png"):
        model.open(name, (40, 60))
        model.accept(name, square(0, 0, 4), "cat")
    assert model.images == ["img1.png", "img2.png"]
    assert model.count("img0.png") == 1
    assert model.histories_let_go == {"img0.png"}  # its undo steps went: the widget says so at Ctrl+Z
    assert len(model.open("img0.png", (40, 60))) == 1


def test_a_failed_save_is_taken_back_and_never_saved_later(folder, monkeypatch):
    import os

    from interactive_seg.model.annotations import SaveError

    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    first = model.accept("img0.png", square(0, 0, 4), "cat").object_id

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(SaveError, match="No space left on device.*taken back") as failed:
        model.accept("img0.png", square(20, 20, 4), "cat")
    assert failed.value.change.how == "not saved" and failed.value.change.bbox == (
        20,
        20,
        24,
        24,
    )  # the region to redraw
    assert (
        model.objects("img0.png").ids == [first] and session.count("img0.png") == 1
    )  # the model and the session agree
    assert not model.history("img0.png").can_redo
    with pytest.raises(SaveError, match="No space left on device"):
        model.delete("img0.png", first)
    assert model.objects("img0.png").ids == [first] and [o.id for o in session.objects("img0.png")] == [first]
    monkeypatch.undo()
    model.accept("img0.png", square(20, 20, 4), "cat")  # the user's retry: saved once
    session.close()
    assert Session.open(folder).count("img0.png") == 2  # not 3: nothing failed was applied later


def test_export_writes_cutouts_and_coco(tmp_path):
    from interactive_seg import read_coco

    image, truth = disc_scene(height=40, width=60, centre=(30, 20), radius=10)
    model = Annotations(["disc"])
    model.open(7, (40, 60), file_name="scene.png")
    model.accept(7, truth, "disc")
    written = model.export(7, image, tmp_path / "out", coco=tmp_path / "c.json", crop=True, background="transparent")
    assert [p.name for p in written] == ["scene_disc-1.png", "c.json"]
    dataset = read_coco(tmp_path / "c.json")
    assert dataset.images[0].file_name == "scene.png" and dataset.images[0].objects[0].category == "disc"
    with pytest.raises(InputError, match="no objects"):
        empty = Annotations()
        empty.open(1, (4, 4), file_name="x.png")
        empty.export(1, np.zeros((4, 4, 3), np.uint8), tmp_path / "none")
    with pytest.raises(InputError, match="JPEG|jpg|transparen"):
        model.export(7, image, tmp_path / "jpg", suffix=".jpg", background="transparent")
    assert not (tmp_path / "jpg").exists()


def test_the_export_of_a_session_image_numbers_as_the_session_does(folder, tmp_path):
    import json

    session = Session.open(folder)
    session.add_class("dog", "#00ff00")
    model = Annotations(session=session)
    for name in ("img0.png", "img1.png"):
        model.open(name, (40, 60))
    model.accept("img0.png", square(0, 0, 5), "cat")
    model.accept("img1.png", square(10, 20, 10), "cat")
    model.accept("img1.png", square(0, 40, 8), "dog")
    session.save()
    mine = json.loads(session.path.read_text())
    out = tmp_path / "one" / "img1.json"
    image = np.zeros((40, 60, 3), np.uint8)
    model.export("img1.png", image, tmp_path / "one", coco=out)
    written = json.loads(out.read_text())
    assert written["categories"] == mine["categories"]  # ids, colours, every key
    assert written["images"] == [im for im in mine["images"] if im["file_name"] == "img1.png"]
    image_id = written["images"][0]["id"]
    assert written["annotations"] == [a for a in mine["annotations"] if a["image_id"] == image_id]
    model.export("img1.png", image, tmp_path / "one", coco=out)  # again: the same file
    assert json.loads(out.read_text()) == written


def test_the_model_imports_no_gui():
    code = "import sys, interactive_seg.model.annotations; print(sorted(m for m in ('qtpy', 'napari', 'PyQt6', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_session_image_goes_into_another_tools_file_with_that_files_kind_of_ids(folder, tmp_path):
    import json

    data = {
        "images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40},
                   {"id": 2, "file_name": "img0.png", "width": 60, "height": 40}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9, 1, 9]],
                         "iscrowd": 0},
                        {"id": 2, "image_id": 2, "category_id": 1, "segmentation": [[20, 20, 29, 20, 29, 29]],
                         "iscrowd": 0}],
    }  # fmt: skip
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    theirs = {
        "images": [{"id": "1", "file_name": "z.png", "width": None, "height": None},
                   {"id": "2", "file_name": "img0.png", "width": None, "height": None}],
        "categories": [{"id": "1", "name": "dog"}],
        "annotations": [{"id": "1", "image_id": "2", "category_id": "1", "bbox": [0, 0, 2, 2]}],
    }  # fmt: skip
    out = tmp_path / "theirs.json"
    out.write_text(json.dumps(theirs))
    with Session.open(folder) as session:
        model = Annotations(session=session)
        model.open("img0.png", (40, 60))
        assert len(model.objects("img0.png")) == 2  # (the image has two records in the file)
        model.export("img0.png", np.zeros((40, 60, 3), np.uint8), tmp_path / "cut", coco=out)
    written = json.loads(out.read_text())
    assert all(isinstance(r["id"], str) for key in ("images", "annotations", "categories") for r in written[key])
    assert [a["image_id"] for a in written["annotations"]] == ["2", "2"]  # both objects, the box-only one replaced
    assert [c["name"] for c in written["categories"]] == ["dog", "cat"]


def test_an_object_other_objects_covered_in_the_file_keeps_those_pixels_when_saved(folder):
    """Another tool's wheel over its car: a new object accepted over a corner of the car
    re-saved the car from the label view, without the 100 pixels under the wheel."""
    import json

    from pycocotools import mask as mask_utils

    def rle(mask):
        encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        return {"size": [40, 60], "counts": encoded["counts"].decode()}

    car, wheel = square(5, 5, 25), square(20, 10, 10)
    data = {
        "images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "wheel"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": rle(car), "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 2, "segmentation": rle(wheel), "iscrowd": 0},
        ],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    sign = square(0, 20, 8)  # over the car's top edge
    with Session.open(folder) as session:
        model = Annotations(session=session)
        model.open("img0.png", (40, 60))
        model.accept("img0.png", sign, "sign")
        assert np.array_equal(session.mask(1), car & ~sign)  # the sign is in front: the car gives it those
        assert np.array_equal(session.mask(2), wheel)
        model.undo("img0.png")
        assert np.array_equal(session.mask(1), car) and len(session.objects("img0.png")) == 2


def test_removing_a_class_is_a_step_that_undo_takes_back_with_its_colour_and_category_id(folder):
    """A class removed, then Ctrl+Z: the undo took back the step before (an object's class
    change), which made the class again with a new id, no colour kept, and on reopening the
    colour of another class (#33: found in an annotator's pass)."""
    import json

    with Session.open(folder) as session:
        model = Annotations(session=session)
        model.open("img0.png", (40, 60))
        object_id = model.accept("img0.png", square(0, 0, 4), "object").object_id
        model.add_class("cat")
        model.replace("img0.png", object_id, category="cat")
        colours, ids = model.class_colours, dict(session.categories)
        change = model.remove_class("object", step=True, image="img0.png")
        assert change.classes_changed and model.classes == ["cat"] and "object" not in session.categories
        assert model.undo("img0.png").text == "Undone: class 'object' removed."
        assert model.class_colours == colours and session.categories == ids
        assert [o.category for o in session.objects("img0.png")] == ["cat"]  # the class change stays
        model.redo("img0.png")
        assert model.classes == ["cat"] and "object" not in session.categories
        model.undo("img0.png")
    saved = json.loads((folder / "annotations.coco.json").read_text())["categories"]
    assert {c["name"]: c["id"] for c in saved} == ids
    assert Annotations(session=Session.open(folder, mode="read")).class_colours == colours


def test_a_removed_class_comes_back_in_its_place_in_the_file_and_keeps_its_colour_from_new_classes(folder):
    """Found in a second annotator's pass (#33): the class came back last in the file's
    categories (another place on reopening), a class added meanwhile took its colour, and
    a class of its name made meanwhile blocked every older undo of the image."""
    import json

    with Session.open(folder) as session:
        model = Annotations(["animal", "person", "cup", "dog"], session=session)
        model.open("img0.png", (40, 60))
        model.accept("img0.png", square(0, 0, 4), "dog")  # every class in the file
        for name in ("animal", "person", "cup"):
            model.replace("img0.png", model.objects("img0.png").ids[0], category=name)
        model.replace("img0.png", model.objects("img0.png").ids[0], category="dog")
        order, colour = list(session.categories), model.colour("cup")
        model.remove_class("cup", step=True, image="img0.png")
        model.add_class("bottle")
        assert model.colour("bottle") != colour  # cup's, while Ctrl+Z may bring cup back
        model.undo("img0.png")
        assert list(session.categories) == order + ["bottle"] and model.colour("cup") == colour  # its place
        model.redo("img0.png")
        model.add_class("cup")  # a new class of the name: the undo of the removal has nothing to do
        assert "made since: it stays" in model.undo("img0.png").text
        model.undo("img0.png")  # and the steps before it are not blocked: the object was 'cup' before 'dog'
        assert [o.category for o in session.objects("img0.png")] == ["cup"]
    saved = json.loads((folder / "annotations.coco.json").read_text())["categories"]
    assert [c["name"] for c in saved] == ["animal", "person", "dog", "bottle", "cup"]  # the list's order


def test_a_verdict_is_a_step_undo_puts_back_the_review_it_had_byte_for_byte(folder):
    """Alt+A on the wrong object could not be taken back: a verdict is one step of the image's
    history, and undo gives the object back the provenance record it had (none, or the
    earlier verdict with its who and when), in the file too."""
    import json

    path = folder / "annotations.coco.json"
    model = Annotations(session=Session.open(folder))
    model.open("img0.png", (40, 60))
    first = model.accept("img0.png", square(5, 5, 8), "cat").object_id
    second = model.accept("img0.png", square(20, 30, 8), "cat").object_id
    model.session.save()
    raw = path.read_bytes()
    records = {a["id"]: a for a in json.loads(raw)["annotations"]}
    model.set_review("img0.png", first, "accepted", by="ana")
    model.set_review("img0.png", first, "rejected", by="bo")
    model.set_review("img0.png", second, "accepted")
    assert model.set_review("img0.png", second, "accepted").text == f"Object {second} is accepted already."
    assert model.history("img0.png").undo_text == f"object {second} marked accepted"  # (no step of nothing)
    assert model.undo("img0.png").text == f"Undone: object {second} marked accepted."
    assert model.review_state("img0.png", second) == "unreviewed"
    model.undo("img0.png")
    assert model.review_state("img0.png", first) == "accepted"
    ana = model.provenance("img0.png", first)["review"]
    assert ana["by"] == "ana"
    model.undo("img0.png")
    assert model.review_state("img0.png", first) == "unreviewed"
    model.session.save()
    saved = {a["id"]: a for a in json.loads(path.read_text())["annotations"]}
    assert saved == records and path.read_bytes() == raw  # each record as it was before the first verdict
    model.redo("img0.png")
    model.redo("img0.png")
    assert model.provenance("img0.png", first)["review"] == {**ana, "state": "rejected", "by": "bo",
                                                          "at": model.provenance("img0.png", first)["review"]["at"]}  # fmt: skip
    model.session.close()
    again = Session.open(folder, mode="read")
    assert again.review_state(first) == "rejected" and again.review_state(second) == "unreviewed"


def test_undo_of_a_delete_gives_the_annotation_back_as_it_was_read(folder):
    """Undo re-added the object as a new one: another tool's keys (CVAT's attributes) were
    gone, its polygon became RLE, and Label Studio's id 0 came back as 2**31 - 1, after
    which no object could be added to the folder ("used up its object ids")."""
    import json

    polygon = {"id": 0, "image_id": 0, "category_id": 0, "segmentation": [[5, 5, 30, 5, 30, 20, 5, 20]]}
    polygon.update(area=375, bbox=[5, 5, 25, 15], iscrowd=0, attributes={"occluded": True, "color": "red"})
    other = dict(polygon, id=7, segmentation=[[40, 25, 55, 25, 55, 35, 40, 35]], bbox=[40, 25, 15, 10], area=150)
    doc = {"images": [{"id": 0, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(categories=[{"id": 0, "name": "car"}], annotations=[polygon, other])
    (folder / "annotations.coco.json").write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    objects = model.open("img0.png", (40, 60))
    for object_id in sorted(objects.ids):
        model.delete("img0.png", object_id)
    model.undo("img0.png")
    model.undo("img0.png")
    model.redo("img0.png")  # deleted again, then back again: still as read
    model.undo("img0.png")
    session.close()
    text = (folder / "annotations.coco.json").read_text()
    assert text == json.dumps(doc)  # back where it was, as it was written: the user changed nothing
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    model.accept("img0.png", square(30, 5, 6), "car")  # the folder still takes new objects
    session.close()
    ids = [a["id"] for a in json.loads((folder / "annotations.coco.json").read_text())["annotations"]]
    assert len(ids) == 3 and max(ids) < 2**31 - 1


def test_undo_of_a_new_mask_gives_the_annotation_back_as_it_was_read(folder):
    """An edit of an object, or an object accepted over part of it, then Ctrl+Z: the object's
    pixels were back, but its polygon was written again from them (5 -> 5.25, area 375 ->
    375.0): the user's file changed though the user had taken the change back."""
    import json

    polygon = {"id": 0, "image_id": 0, "category_id": 0, "segmentation": [[5, 5, 30, 5, 30, 20, 5, 20]]}
    polygon.update(area=375, bbox=[5, 5, 25, 15], iscrowd=0, attributes={"occluded": True})
    doc = {"images": [{"id": 0, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(categories=[{"id": 0, "name": "car"}], annotations=[polygon])
    path = folder / "annotations.coco.json"
    for how in ("edit", "accept over it", "edit, rename its class, undo both"):
        path.write_text(json.dumps(doc))
        session = Session.open(folder)
        model = Annotations(session=session)
        (first,) = model.open("img0.png", (40, 60)).ids
        if how == "accept over it":
            change = model.accept("img0.png", square(10, 20, 15), "car")
            assert first in change.ids  # (it took pixels of the polygon)
        else:
            model.replace("img0.png", first, square(2, 2, 10))
        if how.startswith("edit, rename"):
            model.rename_class("car", "truck", image="img0.png")
            model.undo("img0.png")
        model.undo("img0.png")
        model.redo("img0.png")  # (the new mask again, then taken back again)
        model.undo("img0.png")
        session.close()
        saved = json.loads(path.read_text())
        assert saved["annotations"] == [polygon], how
        if how != "accept over it":  # (an accept used an id: the counter in info says so, see ObjectIds)
            assert path.read_text() == json.dumps(doc), how


def test_an_object_another_tool_drew_under_a_deleted_or_smaller_one_shows_its_pixels(folder):
    """B (later in the file) covers part of A. Deleting B left a hole in A on the canvas
    though the file still held A whole; an edit of A then wrote A without the hole's pixels."""
    import json

    def polygon(i, x0, y0, x1, y1):
        ring = [x0, y0, x1, y0, x1, y1, x0, y1]
        area = (x1 - x0) * (y1 - y0)
        return {"id": i, "image_id": 1, "category_id": 1, "segmentation": [ring], "area": area,
                "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(
        categories=[{"id": 1, "name": "car"}], annotations=[polygon(1, 5, 5, 35, 30), polygon(2, 20, 10, 50, 25)]
    )
    path = folder / "annotations.coco.json"
    hows = ("delete", "smaller", "delete, then edit A", "smaller, then take the pixels off A, cover, delete", "moved")
    for how in hows:
        path.write_text(json.dumps(doc))
        session = Session.open(folder)
        model = Annotations(session=session)
        objects = model.open("img0.png", (40, 60))
        a, b = (o.id for o in session.objects("img0.png"))
        whole_a = session.mask(a)
        if how == "moved":  # off one part of A, over another: A's record loses that one
            model.replace("img0.png", b, square(25, 20, 10))
            assert np.array_equal(objects.labels == a, whole_a & ~square(25, 20, 10))
            assert np.array_equal(session.mask(a), whole_a & ~square(25, 20, 10))
        elif how.startswith("delete"):
            model.delete("img0.png", b)
        else:
            model.replace("img0.png", b, square(10, 40, 10))  # off A altogether
        if how != "moved":
            assert np.array_equal(objects.labels == a, whole_a), how  # A shows whole, as the file holds it
            assert json.loads(path.read_text())["annotations"][0] == doc["annotations"][0], how  # A's record untouched
        if how == "delete, then edit A":
            grown = whole_a.copy()
            grown[30:35, 5:35] = True
            model.replace("img0.png", a, grown)
            assert np.array_equal(session.mask(a), grown)  # (the pixels B had covered too)
            model.undo("img0.png")
        if how.startswith("smaller, then"):
            cut = whole_a.copy()
            cut[10:25, 20:35] = False  # the annotator takes B's old place off A
            model.replace("img0.png", a, cut)
            model.accept("img0.png", square(10, 20, 15), "car")  # over that place
            new = max(objects.ids)
            model.delete("img0.png", new)
            assert not (objects.labels[10:25, 20:35] == a).any()  # not shown as A: A's record no longer has them
            assert np.array_equal(session.mask(a), cut)
            for _ in range(4):
                model.undo("img0.png")
        else:
            model.undo("img0.png")
        session.close()
        assert json.loads(path.read_text())["annotations"] == doc["annotations"], how
        again = Session.open(folder, mode="read")
        labels, _ = again.labels("img0.png", (40, 60))
        assert np.array_equal(labels, objects.labels), how
        again.close()


def test_an_undone_delete_replayed_from_the_journal_is_in_its_place(folder):
    """A second window (or a reopening after a crash) reads the journal: the record an undo
    put back went to the end of the list there, so it covered the objects drawn over it."""
    import json

    def ann(i, x):
        return {"id": i, "image_id": 1, "category_id": 1, "segmentation": [[x, 5, x + 20, 5, x + 20, 25, x, 25]],
                "area": 400, "bbox": [x, 5, 20, 20], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(categories=[{"id": 1, "name": "car"}], annotations=[ann(1, 5), ann(2, 15), ann(3, 25)])
    (folder / "annotations.coco.json").write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    objects = model.open("img0.png", (40, 60))
    model.delete("img0.png", 2)
    model.undo("img0.png")
    beside = Session.open(folder, mode="read")  # (the file as read, and the journal replayed)
    assert [o.id for o in beside.objects("img0.png")] == [1, 2, 3]
    assert np.array_equal(beside.labels("img0.png", (40, 60))[0], objects.labels)
    beside.close()
    session.close()


def test_a_new_mask_keeps_the_category_of_an_object_whose_class_name_two_categories_share(folder):
    """Categories 1 and 2 both named "car": a mask edit of an object of category 2 moved it to 1."""
    import json

    def ann(i, cat, x):
        box = [x, 5, 10, 10]
        return {"id": i, "image_id": 1, "category_id": cat, "segmentation": [[x, 5, x + 10, 5, x + 10, 15, x, 15]]} | {
            "area": 100,
            "bbox": box,
            "iscrowd": 0,
        }

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc["categories"] = [{"id": 1, "name": "car", "supercategory": "a"}, {"id": 2, "name": "car", "supercategory": "b"}]
    doc["annotations"] = [ann(1, 1, 5), ann(2, 2, 30)]
    (folder / "annotations.coco.json").write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    model.replace("img0.png", 2, square(20, 30, 12))
    session.close()
    saved = {a["id"]: a for a in json.loads((folder / "annotations.coco.json").read_text())["annotations"]}
    assert saved[2]["category_id"] == 2 and saved[2]["bbox"] == [30, 20, 12, 12]


def test_an_object_wholly_under_another_shows_once_that_one_goes(folder):
    """Another tool's dog wholly under a car drawn later: the model never had it, so deleting
    the car showed empty ground, and the dog appeared from nowhere on reopening."""
    import json

    def ann(i, cat, x0, y0, x1, y1):
        return {"id": i, "image_id": 1, "category_id": cat, "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
                "area": (x1 - x0) * (y1 - y0), "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc["categories"] = [{"id": 1, "name": "car"}, {"id": 2, "name": "dog"}]
    doc["annotations"] = [ann(1, 1, 2, 2, 12, 12), ann(2, 2, 30, 20, 40, 30), ann(3, 1, 25, 15, 50, 38)]
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    objects = model.open("img0.png", (40, 60))
    assert 2 not in objects and "dog" in model.classes
    assert model.count("img0.png") == session.count("img0.png") == 3  # (the image list counts it)
    for how in ("delete", "move"):
        if how == "delete":
            model.delete("img0.png", 3)
        else:
            model.replace("img0.png", 3, square(0, 45, 5))
        assert objects.classes.get(2) == "dog" and np.array_equal(objects.labels == 2, session.mask(2)), how
        beside = Session.open(folder, mode="read")
        assert np.array_equal(beside.labels("img0.png", (40, 60))[0], objects.labels), how
        beside.close()
        model.undo("img0.png")
        assert 2 not in objects
    grown = square(2, 2, 10)
    grown[18:32, 28:42] = True  # the car (first in the file) over all of the dog: the dog is gone, in the file too
    model.replace("img0.png", 1, grown)
    beside = Session.open(folder, mode="read")
    assert np.array_equal(beside.labels("img0.png", (40, 60))[0], objects.labels)
    assert [o.id for o in beside.objects("img0.png")] == [1, 3]
    beside.close()
    model.undo("img0.png")
    session.save()
    assert path.read_text() == json.dumps(doc)
    model.rename_class("dog", "cat", image="img0.png")  # then uncovered: it shows as the class is named now
    model.delete("img0.png", 3)
    assert objects.classes.get(2) == "cat" and [c["name"] for c in session.document.categories] == ["car", "cat"]
    model.undo("img0.png")
    model.undo("img0.png")
    session.close()
    assert path.read_text() == json.dumps(doc)


def test_an_object_redrawn_elsewhere_leaves_its_old_part_under_another(folder):
    """A person under a car, redrawn as a box elsewhere: its old part under the car stayed in
    its record, and a detached piece of the old shape showed once the car was deleted. A part
    under the car that goes on from what is visible stays; a piece wholly under it on opening
    (another tool's second polygon) stays whatever the edit."""
    import json

    def ann(i, *rings):
        return {"id": i, "image_id": 1, "category_id": 1, "segmentation": [list(r) for r in rings],
                "area": 1, "bbox": [0, 0, 1, 1], "iscrowd": 0}  # fmt: skip

    person = ann(1, (5, 5, 30, 5, 30, 30, 5, 30), (40, 30, 45, 30, 45, 35, 40, 35))  # a second piece under the car
    car = ann(2, (20, 10, 55, 10, 55, 38, 20, 38))
    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(categories=[{"id": 1, "name": "car"}], annotations=[person, car])
    path = folder / "annotations.coco.json"
    for how in ("redrawn elsewhere", "trimmed where it shows"):
        path.write_text(json.dumps(doc))
        session = Session.open(folder)
        model = Annotations(session=session)
        objects = model.open("img0.png", (40, 60))
        whole = session.mask(1)
        if how == "redrawn elsewhere":
            model.replace("img0.png", 1, square(32, 0, 6))
        else:
            trimmed = objects.labels == 1
            trimmed[5:8, :] = False
            model.replace("img0.png", 1, trimmed)
        model.delete("img0.png", 2)
        shown = objects.labels == 1
        assert shown[30:35, 40:45].all(), how  # the piece wholly under the car stays
        if how == "redrawn elsewhere":
            assert not shown[10:30, 20:30].any()  # no detached chunk of the old shape
        else:
            expected = whole.copy()
            expected[5:8, :] = False  # the part under the car goes on from what is visible: it stays
            assert np.array_equal(shown, expected)
        session.close()
        again = Session.open(folder, mode="read")
        assert np.array_equal(again.labels("img0.png", (40, 60))[0], objects.labels), how
        again.close()


def test_what_shows_under_a_deleted_object_follows_the_file_order_after_an_undone_edit(folder):
    """A (first), C inside A, D over part of C. A redrawn elsewhere and that undone, then D
    deleted: the model showed A where C is, since the undo had made A the newest holder of
    covered pixels; the file, and reopening, show C over A."""
    import json

    def ann(i, x0, y0, x1, y1):
        return {"id": i, "image_id": 1, "category_id": 1, "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
                "area": (x1 - x0) * (y1 - y0), "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc["categories"] = [{"id": 1, "name": "car"}]
    doc["annotations"] = [ann(1, 2, 2, 40, 38), ann(2, 10, 10, 30, 30), ann(3, 20, 5, 50, 20)]
    (folder / "annotations.coco.json").write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    objects = model.open("img0.png", (40, 60))
    model.replace("img0.png", 1, square(32, 52, 6))
    model.undo("img0.png")
    model.delete("img0.png", 3)
    assert (objects.labels[10:20, 20:30] == 2).all()
    beside = Session.open(folder, mode="read")
    assert np.array_equal(beside.labels("img0.png", (40, 60))[0], objects.labels)
    beside.close()
    session.close()


def test_an_edit_of_an_object_earlier_in_the_file_shows_on_reopening_as_it_shows_now(folder):
    """A (first in the file), B over it, C over B. A's new mask reaches into where C hides B:
    the model showed A there, but B kept those pixels in its record and, being later in the
    file, covered A again on reopening. Ctrl+Z then gives B back its record as read."""
    import json

    def polygon(i, x0, y0, x1, y1):
        return {"id": i, "image_id": 1, "category_id": 1, "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
                "area": (x1 - x0) * (y1 - y0), "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    annotations = [polygon(1, 2, 2, 12, 12), polygon(2, 20, 5, 40, 25), polygon(3, 30, 15, 50, 35)]
    doc.update(categories=[{"id": 1, "name": "car"}], annotations=annotations)
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    objects = model.open("img0.png", (40, 60))
    grown = square(2, 2, 10)
    grown[18:22, 2:36] = True  # a bar from A into C, over the part of B that C hides
    model.replace("img0.png", 1, grown)
    shown = objects.labels.copy()
    beside = Session.open(folder, mode="read")
    assert np.array_equal(beside.labels("img0.png", (40, 60))[0], shown)
    beside.close()
    model.undo("img0.png")
    session.close()
    assert json.loads(path.read_text())["annotations"] == annotations


def test_a_class_whose_name_two_categories_share_is_renamed_in_both(folder):
    """Categories 1 and 2 both named "car" are one class in the list; renaming it renamed
    category 1 only, so the objects of category 2 came back as "car" on reopening."""
    import json

    def ann(i, cat, x):
        return {"id": i, "image_id": 1, "category_id": cat, "segmentation": [[x, 5, x + 10, 5, x + 10, 15, x, 15]],
                "area": 100, "bbox": [x, 5, 10, 10], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc["categories"] = [{"id": 1, "name": "car", "supercategory": "a"}, {"id": 2, "name": "car", "supercategory": "b"}]
    doc["annotations"] = [ann(1, 1, 5), ann(2, 2, 30)]
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    model.rename_class("car", "truck", image="img0.png")
    session.save()
    saved = json.loads(path.read_text())["categories"]
    assert saved == [dict(c, name="truck") for c in doc["categories"]]  # ids and other keys stay
    again = Session.open(folder, mode="read")
    assert {o.category for o in again.objects("img0.png")} == {"truck"}
    again.close()
    model.undo("img0.png")
    session.close()
    assert path.read_text() == json.dumps(doc)
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    model.replace("img0.png", 2, category="cat")  # the object of category 2, then Ctrl+Z: category 2 again
    model.undo("img0.png")
    session.close()
    assert json.loads(path.read_text())["annotations"] == doc["annotations"]


def test_a_class_spelt_in_two_unicode_forms_is_renamed_and_renamed_back_as_spelt(folder):
    """Categories 'café' (composed) and 'café' (decomposed) are two classes in the list:
    renaming one renamed both in the file (the model showed the other unchanged), and its
    undo was refused or wrote both names in one form."""
    import json
    import unicodedata

    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")

    def ann(i, cat, x):
        return {"id": i, "image_id": 1, "category_id": cat, "segmentation": [[x, 5, x + 10, 5, x + 10, 15, x, 15]],
                "area": 100, "bbox": [x, 5, 10, 10], "iscrowd": 0}  # fmt: skip

    doc = {"images": [{"id": 1, "file_name": "img0.png", "width": 60, "height": 40}]}
    doc.update(categories=[{"id": 1, "name": nfc}, {"id": 2, "name": nfd}], annotations=[ann(1, 1, 5), ann(2, 2, 30)])
    path = folder / "annotations.coco.json"
    path.write_text(json.dumps(doc))
    session = Session.open(folder)
    model = Annotations(session=session)
    model.open("img0.png", (40, 60))
    model.rename_class(nfd, "bar", image="img0.png")
    assert [c["name"] for c in session.document.categories] == [nfc, "bar"]
    model.undo("img0.png")
    session.close()
    assert path.read_text() == json.dumps(doc)


def test_undo_of_a_delete_after_its_class_was_removed_or_renamed_brings_the_object_back(folder):
    """The annotation put back named the removed category: the session refused it as if the
    file were broken, and every later Undo on the image with it."""
    import json

    session = Session.open(folder)
    model = Annotations(["cat", "dog"], session=session)
    model.open("img0.png", (40, 60))
    dog = model.accept("img0.png", square(5, 5, 8), "dog").object_id
    model.delete("img0.png", dog)
    model.remove_class("dog")
    model.undo("img0.png")
    assert model.objects("img0.png").classes[dog] == "dog"
    other = model.accept("img0.png", square(20, 30, 8), "cat").object_id
    model.delete("img0.png", other)
    model.rename_class("cat", "lynx")
    model.undo("img0.png")
    session.close()
    saved = json.loads((folder / "annotations.coco.json").read_text())
    names = {c["id"]: c["name"] for c in saved["categories"]}
    assert sorted(names[a["category_id"]] for a in saved["annotations"]) == sorted(
        model.objects("img0.png").classes[i] for i in (dog, other)
    )
