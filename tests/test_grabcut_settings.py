"""The GrabCut engine's settings: one dataclass, every value checked, the same engine by
every route (get_engine keywords, a GrabCutSettings, the attributes read back)."""

import numpy as np
import pytest

from interactive_seg import InputError, Prompts, get_engine


def test_engine_errors():
    engine = get_engine("grabcut")
    with pytest.raises(InputError, match="set_image"):
        engine.segment(Prompts(box=(0, 0, 5, 5)))
    engine.set_image(np.zeros((5, 5), np.uint8))
    with pytest.raises(InputError, match="Prompts"):
        engine.segment({"box": (0, 0, 5, 5)})
    with pytest.raises(InputError, match="no engine named 'nope'"):
        get_engine("nope")
    with pytest.raises(InputError, match="does not take these options"):
        get_engine("grabcut", colour=3)
    with pytest.raises(InputError, match="iterations"):
        get_engine("grabcut", iterations=0)
    with pytest.raises(InputError, match="max_side"):
        get_engine("grabcut", max_side=3)


@pytest.mark.parametrize(
    "options, word",
    [
        ({"guard_area": 1.0}, "guard_area"),
        ({"guard_area": -0.1}, "guard_area"),
        ({"fallback_side": 8}, "fallback_side"),
    ],
)
def test_guard_options_are_checked(options, word):
    with pytest.raises(InputError, match=word):
        get_engine("grabcut", **options)


def test_choose_fit_takes_only_a_bool():
    # a string such as "false" would otherwise read as True
    with pytest.raises(InputError, match="choose_fit"):
        get_engine("grabcut", choose_fit="false")


@pytest.mark.parametrize("bad", ["much", None, float("nan"), float("inf")])
def test_fit_margin_must_be_a_finite_number(bad):
    with pytest.raises(InputError, match="fit_margin"):
        get_engine("grabcut", fit_margin=bad)


def test_settings_object_and_keyword_options_build_the_same_engine(scene):
    """Every setting is a field of GrabCutSettings and a keyword of get_engine; both routes
    give the same engine and the same mask, and the settings read back as attributes."""
    import dataclasses
    import inspect

    from interactive_seg.engines.grabcut import GrabCutEngine, GrabCutSettings

    image, _ = scene
    fields = [f.name for f in dataclasses.fields(GrabCutSettings)]
    assert list(inspect.signature(GrabCutEngine).parameters) == fields  # what get_engine checks options against
    by_keywords = get_engine("grabcut", margin=0.2, tightness=0.1)
    by_settings = GrabCutEngine(GrabCutSettings(margin=0.2, tightness=0.1))
    assert by_keywords.settings == by_settings.settings and by_keywords.margin == 0.2
    masks = []
    for engine in (by_keywords, by_settings):
        engine.set_image(image)
        masks.append(engine.segment(Prompts(box=(45, 25, 115, 95), points=[(80, 60)])).mask)
    assert np.array_equal(*masks)
    with pytest.raises(InputError, match="not both"):
        GrabCutEngine(GrabCutSettings(), margin=0.2)
