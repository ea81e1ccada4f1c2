"""Engines turn an image and the prompts for one object into a mask.

Every engine follows :class:`Engine`; :func:`get_engine` builds one by name. Engines whose
dependencies are heavy are imported only when asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError
from ..prompts import Prompts

__all__ = ["Engine", "Result", "get_engine", "available_engines", "register_engine"]


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


@runtime_checkable
class Engine(Protocol):
    """The protocol every engine follows.

    ``set_image`` may be slow (an embedding); calling it again with the same image is
    free. ``segment`` takes :class:`~interactive_seg.Prompts` for one object and returns a
    :class:`Result` whose ``mask`` is a bool array of the image's height and width.
    """

    name: str

    def set_image(self, image: Any) -> None: ...

    def segment(self, prompts: Prompts) -> Result: ...


# name -> (module, class, pip extra needed or None, modules the engine imports)
_REGISTRY: dict = {
    "grabcut": ("interactive_seg.engines.grabcut", "GrabCutEngine", None, ("cv2",)),
    "sam": ("interactive_seg.engines.sam", "SamEngine", "sam", ("torch", "torchvision", "segment_anything")),
}


def register_engine(name: str, module: str, cls: str, extra: Optional[str] = None, requires=()) -> None:
    """Make ``get_engine(name)`` build ``module.cls``; ``extra`` names the pip extra it needs."""
    _REGISTRY[name] = (module, cls, extra, tuple(requires))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_engines() -> list:
    """Names of the engines whose dependencies are installed, for a menu (nothing heavy is imported)."""
    return [name for name, entry in _REGISTRY.items() if all(_installed(m) for m in entry[3])]


def get_engine(name: str = "grabcut", **options) -> Engine:
    """Build an engine by name.

    Parameters
    ----------
    name : str
        One of :func:`available_engines`, for example ``"grabcut"``.
    **options
        Passed to the engine's constructor (for GrabCut: ``iterations``, ``margin``,
        ``max_side``, ``point_radius``, ...).

    Raises
    ------
    InputError
        For an unknown name or an option the engine does not take.

    Examples
    --------
    >>> engine = get_engine("grabcut", iterations=3)
    >>> engine.name
    'grabcut'
    """
    if isinstance(name, str):
        key = name.strip().lower()
    else:
        raise InputError(f"The engine must be named by a string, one of {sorted(_REGISTRY)}; got {name!r}.")
    if key not in _REGISTRY:
        raise InputError(f"There is no engine named {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}.")
    module, cls, extra, requires = _REGISTRY[key]
    hint = f"pip install 'interactive-seg[{extra}]'" if extra else "pip install --force-reinstall interactive-seg"
    missing = [m for m in requires if not _installed(m)]
    if missing:
        raise InputError(f"The {key} engine needs {', '.join(missing)}, which is not installed; run: {hint}")
    try:
        engine_cls = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise InputError(f"The {key} engine could not be imported ({exc}); run: {hint}") from exc
    try:
        inspect.signature(engine_cls).bind(**options)
    except TypeError as exc:
        raise InputError(f"The {key} engine does not take these options ({exc}); see help(get_engine).") from exc
    return engine_cls(**options)
