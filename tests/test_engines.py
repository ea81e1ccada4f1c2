"""The engine contract: the base class, the registry, and each engine's listing of options and models."""

import inspect

import numpy as np
import pytest

import interactive_seg as iseg
from interactive_seg import InputError, Prompts
from interactive_seg.engines import (
    Engine,
    Option,
    Result,
    available_engines,
    engine_class,
    engine_names,
    get_engine,
    register_engine,
)


class _Echo(Engine):
    """An engine that returns the box as the mask: enough to test the contract."""

    name = "echo"
    options = (Option("pad", int, 0, "Pixels added around the box."),)

    def __init__(self, *, pad: int = 0):
        self.pad = pad
        self.image = None

    def set_image(self, image):
        self.image = np.asarray(image)

    def segment(self, prompts):
        p = prompts.validated(self.image.shape)
        mask = np.zeros(self.image.shape[:2], bool)
        x0, y0, x1, y1 = (int(v) for v in p.box)
        mask[max(y0 - self.pad, 0) : y1 + self.pad, max(x0 - self.pad, 0) : x1 + self.pad] = True
        return Result(mask)


@pytest.fixture
def echo_registered():
    from interactive_seg import engines

    register_engine("echo", __name__, "_Echo")
    yield
    engines._REGISTRY.pop("echo", None)


def test_the_base_class_gives_reset_and_embed_steps():
    engine = _Echo()
    image = np.zeros((10, 12, 3), np.uint8)
    assert list(engine.embed_steps(image)) == [1.0] and engine.image is image
    assert engine.reset() is None
    assert engine.segment(Prompts(box=(2, 3, 6, 7))).mask.sum() == 16
    assert not engine.embeds and engine.model_types == ()
    assert _Echo.defaults() == {"pad": 0} and _Echo.option("pad").title == "Pad"
    with pytest.raises(KeyError):
        _Echo.option("nope")
    with pytest.raises(TypeError):
        Engine()  # set_image and segment must be written


def test_a_registered_subclass_is_built_by_name(echo_registered):
    assert "echo" in engine_names() and "echo" in available_engines()
    assert engine_class("echo") is _Echo
    engine = get_engine("echo", pad=1)
    assert isinstance(engine, Engine) and engine.pad == 1
    with pytest.raises(InputError, match="does not take"):
        get_engine("echo", margin=3)


def test_a_registered_class_must_derive_from_engine():
    from interactive_seg import engines

    register_engine("plain", "collections", "OrderedDict")
    try:
        with pytest.raises(InputError, match="derive from"):
            get_engine("plain")
    finally:
        engines._REGISTRY.pop("plain")


def test_an_object_with_set_image_and_segment_still_counts_as_an_engine():
    class Duck:
        def set_image(self, image):
            self.image = image

        def segment(self, prompts):
            return Result(np.ones(self.image.shape[:2], bool))

    assert isinstance(Duck(), Engine) and not isinstance(object(), Engine)
    assert iseg.segment(np.zeros((4, 5, 3), np.uint8), box=(0, 0, 2, 2), engine=Duck()).all()


def _listed_defaults_match_the_constructor(cls):
    signature = inspect.signature(cls)
    for option in cls.options:
        assert isinstance(option, Option)
        assert option.name in signature.parameters, f"{cls.__name__} lists {option.name!r}, which it does not take"
        assert option.default == signature.parameters[option.name].default, option.name
        assert option.type in (int, float, bool, str) and option.help.endswith(".")
        if option.choices and option.default is not None:
            assert option.default in option.choices


def test_grabcut_lists_its_options_with_the_constructors_defaults():
    cls = engine_class("grabcut")
    assert [o.name for o in cls.options] == ["margin", "iterations", "max_side", "tightness", "scribble_prior"]
    _listed_defaults_match_the_constructor(cls)
    assert cls.model_types == () and not cls.embeds
    assert "image" not in vars(cls)  # the dead property is gone


def test_unknown_engines_and_missing_extras_are_input_errors():
    with pytest.raises(InputError, match="no engine named"):
        engine_class("nope")
    with pytest.raises(InputError, match="string"):
        engine_class(3)


@pytest.mark.sam
def test_sam_lists_its_models_and_options():
    pytest.importorskip("segment_anything")
    from interactive_seg.engines.checkpoints import MODELS

    cls = engine_class("sam")
    _listed_defaults_match_the_constructor(cls)
    assert set(cls.model_types) == set(MODELS) and cls.option("model_type").choices == cls.model_types
    assert cls.embeds


@pytest.mark.sam
def test_sam_reuses_its_logits_for_a_prior_of_equal_contents_not_equal_address(tmp_path):
    pytest.importorskip("segment_anything")
    from sam_models import tiny_sam

    engine = get_engine("sam", model=tiny_sam(), device="cpu", cache_dir=tmp_path)
    image = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    engine.set_image(image)
    prior = np.zeros((120, 160), bool)
    prior[30:90, 40:120] = True
    given = prior.copy()
    first = engine.segment(Prompts(points=[(80.5, 60.5)], prior=given))
    given[30:90, 40:80] = False  # the caller reuses its array: the engine kept its own copy
    # the widget builds a new prior array for every prompt: the same object all the same
    more = Prompts(points=[(80.5, 60.5), (10.5, 10.5)], point_labels=[1, 0], prior=prior.copy())
    assert np.array_equal(engine.sam_inputs(more.validated(image.shape))["mask_input"][0], first.logits)
    # another prior (here the changed array) is another object: the prior itself is the mask input
    other = Prompts(points=[(80.5, 60.5), (10.5, 10.5)], point_labels=[1, 0], prior=given)
    mask_input = engine.sam_inputs(other.validated(image.shape))["mask_input"][0]
    assert np.array_equal(mask_input, engine._prior_logits(given))
