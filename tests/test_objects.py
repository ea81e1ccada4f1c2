import numpy as np
import pytest

from interactive_seg import InputError
from interactive_seg.model.objects import ObjectSet


def square(y0, x0, size, shape=(20, 20)):
    m = np.zeros(shape, bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


def test_add_replace_remove_with_classes():
    objects = ObjectSet((20, 20))
    a = objects.add(square(0, 0, 5), "cat")
    b = objects.add(square(10, 10, 5), "dog")
    assert (a, b) == (1, 2) and objects.ids == [1, 2] and len(objects) == 2
    objects.replace(a, category="lion")
    assert objects.classes == {1: "lion", 2: "dog"}
    objects.replace(b, mask=square(12, 12, 3))
    assert objects.mask(b).sum() == 9 and objects.classes[b] == "dog"
    objects.remove(a)
    assert objects.ids == [2] and not (objects.labels == 1).any()


def test_new_objects_take_their_pixels_from_those_under_them():
    objects = ObjectSet((20, 20))
    a = objects.add(square(0, 0, 10), "a")
    b = objects.add(square(5, 5, 10), "b")
    assert objects.mask(a).sum() == 100 - 25 and objects.mask(b).sum() == 100
    c = objects.add(square(0, 0, 10), "c")  # covers what is left of a entirely
    assert objects.labels[0, 0] == c
    objects.replace(c, mask=square(0, 0, 20))  # swallows b whole: b is gone from the classes too
    assert objects.ids == [c] and objects.classes == {c: "c"}


def test_undo_redo_every_step_exactly():
    objects = ObjectSet((20, 20))
    states = [(objects.labels.copy(), dict(objects.classes))]
    a = objects.add(square(0, 0, 5), "cat")
    states.append((objects.labels.copy(), dict(objects.classes)))
    objects.replace(a, mask=square(2, 2, 8), category="dog")
    states.append((objects.labels.copy(), dict(objects.classes)))
    objects.remove(a)
    states.append((objects.labels.copy(), dict(objects.classes)))
    for labels, classes in reversed(states[:-1]):
        assert objects.undo()
        assert (objects.labels == labels).all() and objects.classes == classes
    assert not objects.undo() and not objects.can_undo
    for labels, classes in states[1:]:
        assert objects.redo()
        assert (objects.labels == labels).all() and objects.classes == classes
    assert not objects.redo()
    objects.undo()
    objects.add(square(15, 15, 2), "new")
    assert not objects.can_redo  # a new step forgets the undone ones


def test_ids_are_never_reused():
    objects = ObjectSet((20, 20))
    a = objects.add(square(0, 0, 3), "a")
    objects.remove(a)
    assert objects.add(square(0, 0, 3), "b") == a + 1


def test_existing_labels_and_classes():
    labels = np.zeros((10, 10), np.int32)
    labels[0:2, 0:2] = 7
    labels[5:7, 5:7] = 3
    objects = ObjectSet((10, 10), labels, {7: "cat"})
    assert objects.classes == {3: "object", 7: "cat"}
    assert objects.add(square(8, 8, 2, (10, 10)), "x") == 8


def test_errors():
    objects = ObjectSet((5, 5))
    with pytest.raises(InputError, match="empty"):
        objects.add(np.zeros((5, 5), bool), "a")
    with pytest.raises(InputError, match="shape"):
        objects.add(np.ones((4, 5), bool), "a")
    with pytest.raises(InputError, match="no object 3"):
        objects.remove(3)
    a = objects.add(np.ones((5, 5), bool), "a")
    with pytest.raises(InputError, match="delete the object instead"):
        objects.replace(a, mask=np.zeros((5, 5), bool))
    with pytest.raises(InputError, match="shape"):
        ObjectSet((5, 5), np.zeros((4, 4)))


# -- crops, boxes and the bounded history ----------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

from interactive_seg.model.objects import History, HistoryBudget  # noqa: E402


def test_masks_may_come_as_crops_at_an_offset():
    objects = ObjectSet((20, 30))
    crop = np.ones((3, 4), bool)
    a = objects.add(crop, "cat", offset=(10, 5))
    assert objects.bbox(a) == (10, 5, 14, 8) and objects.area(a) == 12
    assert objects.mask(a)[5:8, 10:14].all() and objects.mask(a).sum() == 12
    mask, (x0, y0) = objects.crop(a)
    assert mask.shape == (3, 4) and (x0, y0) == (10, 5)
    change = objects.last_change
    assert change.bbox == (10, 5, 14, 8) and change.ids == {a} and change.object_id == a
    objects.replace(a, np.ones((2, 2), bool), offset=(0, 0))
    assert objects.bbox(a) == (0, 0, 2, 2) and objects.last_change.bbox == (0, 0, 14, 8)
    with pytest.raises(InputError, match="does not fit"):
        objects.add(np.ones((3, 3), bool), "x", offset=(28, 0))
    with pytest.raises(InputError, match="empty"):
        objects.add(np.zeros((3, 3), bool), "x", offset=(0, 0))


def test_an_object_whose_every_pixel_is_taken_is_gone_and_comes_back_with_undo():
    objects = ObjectSet((10, 10))
    a = objects.add(square(2, 2, 3, (10, 10)), "small")
    b = objects.add(square(0, 0, 8, (10, 10)), "big")  # covers a whole
    assert objects.ids == [b] and a not in objects and objects.last_change.ids == {a, b}
    objects.undo()
    assert objects.ids == [a] and objects.classes == {a: "small"} and objects.area(a) == 9
    objects.redo()
    assert objects.ids == [b]


def test_history_entries_hold_the_box_not_the_image():
    objects = ObjectSet((2000, 3000))
    objects.add(square(100, 100, 50, (2000, 3000)), "a")
    step = objects.history._undo[-1]
    # 50 x 50 changed pixels of one value before and after: 313 bytes of bits, two palettes
    assert step.nbytes < 1000 and step.box == (100, 100, 150, 150)


def test_the_history_keeps_at_most_its_steps():
    objects = ObjectSet((10, 10), history=History(max_steps=3))
    for i in range(5):
        objects.add(square(i, i, 1, (10, 10)), "a")
    assert len(objects.history) == 3
    assert sum(objects.undo() for _ in range(5)) == 3 and len(objects) == 2


def test_a_shared_byte_budget_forgets_the_oldest_steps_of_any_image():
    budget = HistoryBudget(max_bytes=4000)
    first = ObjectSet((100, 100), history=History(budget=budget))
    second = ObjectSet((100, 100), history=History(budget=budget))
    boxes = [(0, 0), (0, 50), (50, 0), (50, 50)]
    steps = []
    for i, objects in enumerate((first, second, first, second)):
        mask = np.zeros((100, 100), bool)
        y, x = boxes[i]
        mask[y : y + 50, x : x + 50] = np.random.default_rng(i).random((50, 50)) < 0.5  # ~320 B of bits each
        objects.add(mask, "noise")
        steps.append(objects.history._undo[-1])
        assert budget.used <= 4000
    big = np.random.default_rng(9).random((100, 100)) < 0.5
    first.replace(first.ids[0], big)  # codes for 0/1/2/3 under it: ~5 kB on its own
    kept = first.history._undo + second.history._undo
    assert kept == [first.history._undo[-1]]  # every older step went, oldest first; the newest stays
    assert first.undo() and not first.undo()
    big_one = ObjectSet((400, 400), history=History(budget=HistoryBudget(max_bytes=10)))
    big_one.add(np.random.default_rng(0).random((400, 400)) < 0.5, "noise")
    assert big_one.undo()  # larger than the budget on its own, still undoable


def test_the_budget_drops_the_oldest_step_first():
    budget = HistoryBudget(max_bytes=10**9)
    first = ObjectSet((10, 10), history=History(budget=budget))
    second = ObjectSet((10, 10), history=History(budget=budget))
    for objects in (first, second, second, first):
        objects.add(square(0, 0, 2, (10, 10)), "a")
    order = sorted(first.history._undo + second.history._undo, key=lambda step: step.seq)
    budget.max_bytes = budget.used - 1  # one step too many
    budget.trim(keep=order[-1])
    left = first.history._undo + second.history._undo
    assert order[0] not in left and all(step in left for step in order[1:])


def test_undo_text_says_what_it_undoes():
    objects = ObjectSet((10, 10))
    a = objects.add(square(0, 0, 3, (10, 10)), "cat")
    assert objects.history.undo_text == f"object {a} kept as 'cat'"
    objects.remove(a)
    objects.undo()
    assert objects.last_change.text == f"Undone: object {a} deleted ('cat')." and objects.last_change.how == "undone"
    assert objects.history.redo_text == f"object {a} deleted ('cat')"


def test_the_same_mask_and_class_again_is_no_step():
    objects = ObjectSet((10, 10))
    a = objects.add(square(0, 0, 3, (10, 10)), "cat")
    objects.replace(a, square(0, 0, 3, (10, 10)), "cat")
    assert len(objects.history) == 1 and objects.last_change.ids == frozenset()


def test_held_class_dicts_do_not_change_under_the_holder():
    objects = ObjectSet((10, 10))
    held = objects.classes
    objects.add(square(0, 0, 3, (10, 10)), "cat")
    assert held == {} and objects.classes == {1: "cat"}


_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "replace", "recolour", "remove", "undo", "redo"]),
        st.integers(0, 11),
        st.integers(0, 11),
        st.integers(1, 8),
        st.integers(1, 8),
        st.integers(0, 10),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(_ops)
def test_every_change_undo_and_redo_matches_whole_image_bookkeeping(ops):
    """Against a reference that copies the whole label image for every step."""
    shape = (12, 12)
    objects = ObjectSet(shape, history=History(max_steps=6))
    past, future = [], []
    state = (objects.labels.copy(), dict(objects.classes))
    for op, y, x, h, w, pick in ops:
        mask = np.zeros(shape, bool)
        mask[y : y + h, x : x + w] = True
        ids = objects.ids
        target = ids[pick % len(ids)] if ids else None
        if op == "add":
            objects.add(mask[y : y + h, x : x + w], f"c{pick % 3}", offset=(x, y))
        elif op in ("replace", "recolour", "remove") and target is not None:
            if op == "replace":
                objects.replace(target, mask)
            elif op == "recolour":
                objects.replace(target, category=f"c{pick % 3}")
            else:
                objects.remove(target)
        elif op == "undo":
            if objects.undo():
                future.append(state)
                state = past.pop()
            continue
        elif op == "redo":
            if objects.redo():
                past.append(state)
                state = future.pop()
            continue
        else:
            continue
        new = (objects.labels.copy(), dict(objects.classes))
        if objects.last_change.ids:
            past.append(state)
            past[:] = past[-6:]
            future.clear()
        state = new
        assert (objects.labels == state[0]).all()
    labels, classes = state
    assert (objects.labels == labels).all() and objects.classes == classes
    present = sorted(int(v) for v in np.unique(labels) if v)
    assert objects.ids == present
    for i in present:
        rows, cols = np.nonzero(labels == i)
        assert objects.area(i) == len(rows)
        assert objects.bbox(i) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_the_index_counts_each_object_within_its_box_as_a_whole_count_would():
    """Areas and boxes of label images with overlapping, gapped and far-apart ids, against
    a count of the whole image (the index counts inside each id's box, and over the whole
    image only where the boxes overlap much)."""
    from interactive_seg.model.objects import _index

    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        labels = np.zeros((h, w), np.int32)
        for _ in range(int(rng.integers(0, 8))):
            value, y0, x0 = int(rng.integers(1, 12)), int(rng.integers(0, h)), int(rng.integers(0, w))
            labels[y0 : y0 + int(rng.integers(1, h + 1)), x0 : x0 + int(rng.integers(1, w + 1))] = value
        area, boxes = _index(labels)
        values, counts = np.unique(labels[labels > 0], return_counts=True)
        assert area == {int(v): int(c) for v, c in zip(values, counts)}
        for value in values:
            ys, xs = np.nonzero(labels == value)
            assert boxes[int(value)] == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_labels_handed_over_are_taken_as_they_are():
    from interactive_seg.model.objects import ObjectSet

    labels = np.zeros((4, 5), np.int32)
    labels[1:3, 1:4] = 7
    taken = ObjectSet((4, 5), labels, {7: "cat"}, copy=False)
    copied = ObjectSet((4, 5), labels, {7: "cat"})
    assert taken.labels is labels and copied.labels is not labels
    assert taken.classes == copied.classes == {7: "cat"}


def test_a_change_says_whose_pixels_it_took():
    objects = ObjectSet((20, 20))
    car = np.zeros((20, 20), bool)
    car[0:10, 0:10] = True
    wheel = np.zeros((20, 20), bool)
    wheel[5:8, 5:8] = True
    objects.add(car, "car")
    objects.add(wheel, "wheel")
    assert objects.last_change.text == "Object 2 kept as 'wheel'; it took 9 pixels of object 1."
    bigger = np.zeros((20, 20), bool)
    bigger[0:12, 0:12] = True
    objects.replace(1, bigger)
    assert objects.last_change.text == "Object 1 replaced ('car'); it took all pixels of object 2 (gone)."
    objects.add(np.pad(np.ones((2, 2), bool), ((15, 3), (15, 3))), "bird")
    assert objects.last_change.text == "Object 3 kept as 'bird'."  # on nothing: nothing to say
