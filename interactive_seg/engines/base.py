"""The engine contract: a base class every engine derives from, its result, and its options.

An engine turns an image and the prompts for one object into a mask. Subclasses write
:meth:`Engine.set_image` and :meth:`Engine.segment`; :meth:`Engine.reset` and
:meth:`Engine.embed_steps` have defaults. Each engine lists what a user may set
(:attr:`Engine.options`) and the models it can load (:attr:`Engine.model_types`), so the
napari widget builds its option panels and the command line its choices from the engine
itself, never from a copy of the names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

__all__ = ["Engine", "Interrupted", "Option", "Result"]


class Interrupted(Exception):
    """An engine call given up because its caller no longer wants the answer
    (:attr:`Engine.interrupt` said so): a newer prompt came, or the window closes. The
    engine is then as it was before the call."""


@dataclass
class Result:
    """What an engine says about one object.

    Attributes
    ----------
    mask : (H, W) bool array
        The object, in full image coordinates.
    score : float, optional
        The engine's confidence, where it has one.
    logits : array, optional
        Low-resolution logits an engine can take back for the next refinement.
    info : dict
        Engine-specific details (region worked on, scale, timings).
    """

    mask: np.ndarray
    score: Optional[float] = None
    logits: Optional[np.ndarray] = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """One setting of an engine a user may change: a keyword of the engine's constructor.

    Attributes
    ----------
    name : str
        The constructor keyword (``"max_side"``).
    type : type
        ``int``, ``float``, ``bool`` or ``str``.
    default : object
        The constructor's default (``None`` where the engine finds a value itself).
    help : str
        One sentence for a tooltip or ``--help``.
    label : str
        A short name for a form; defaults to the name with spaces.
    choices : tuple
        The values allowed, for a menu (empty: any value of ``type``).
    minimum, maximum, step : number, optional
        Bounds and step for a number box.
    """

    name: str
    type: type
    default: Any
    help: str
    label: str = ""
    choices: tuple = ()
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    step: Optional[float] = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class Engine(ABC):
    """Base class of every engine.

    ``set_image`` may be slow (an embedding); calling it again with the same image is
    free. ``segment`` takes :class:`~interactive_seg.Prompts` for one object and returns a
    :class:`Result` whose ``mask`` is a bool array of the image's height and width.
    ``reset`` forgets the object being refined, so the next prompt starts a new one; it
    is called between engine calls, never during one.

    ``isinstance(obj, Engine)`` is also true for any object with ``set_image`` and
    ``segment`` (an engine written before this base class); :func:`get_engine` builds
    only subclasses.
    """

    #: The name :func:`~interactive_seg.get_engine` knows the engine by.
    name: str = ""
    #: What a user may set (a subset of the constructor's keywords), in the order shown.
    options: tuple = ()
    #: Models the engine can load (the values of its ``model_type`` option); empty when none.
    model_types: tuple = ()
    #: True when ``set_image`` computes an embedding worth a progress bar (and running ahead).
    embeds: bool = False
    #: Set by a caller before :meth:`segment`: a callable that returns True once the answer is
    #: no longer wanted. An engine with long steps checks it between them and raises
    #: :class:`Interrupted`; one that never checks it just answers.
    interrupt = None

    @property
    def model_fingerprint(self) -> Optional[str]:
        """The model run and a short hash of its weights (``"vit_b-1a2b..."``), or None for an
        engine without weights (GrabCut). Engines with weights set ``model_key`` to it (SAM's
        embedding cache is keyed by it too), or override this; :mod:`interactive_seg.provenance`
        records it with every object."""
        return getattr(self, "model_key", None)

    @classmethod
    def __subclasshook__(cls, other):
        if cls is Engine and all(any(name in vars(k) for k in other.__mro__) for name in ("set_image", "segment")):
            return True
        return NotImplemented

    @abstractmethod
    def set_image(self, image) -> None:
        """Take the image to segment (grey, RGB or RGBA; see :func:`~interactive_seg.as_rgb8`)."""

    @abstractmethod
    def segment(self, prompts) -> Result:
        """Segment one object from its prompts."""

    def reset(self) -> None:  # noqa: B027 - a no-op by default: engines without memory of an object have nothing to forget
        """Forget the object being refined; the next :meth:`segment` starts a new one."""

    def embed_steps(self, image) -> Iterator[float]:
        """:meth:`set_image` as a generator of the fraction done (ends with 1.0).

        Engines with a long encoder yield after each step, so a caller can show progress
        and stop early (the engine then keeps its previous image).
        """
        self.set_image(image)
        yield 1.0

    @classmethod
    def option(cls, name: str) -> Option:
        """The listed option called ``name`` (KeyError when it is not listed)."""
        for option in cls.options:
            if option.name == name:
                return option
        raise KeyError(name)

    @classmethod
    def defaults(cls) -> dict:
        """The listed options with their defaults."""
        return {option.name: option.default for option in cls.options}
