import numpy as np
import pytest

from interactive_seg import InputError
from interactive_seg.objects import ObjectSet


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
