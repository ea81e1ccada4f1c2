"""Engines turn an image and the prompts for one object into a mask.

Every engine derives from :class:`Engine` (:mod:`.base`) and lists its options and model
types; :func:`get_engine` builds one by name, :func:`engine_class` gives its class (to
read those listings). Engines whose dependencies are heavy are imported only when asked
for.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Optional

from ..errors import InputError
from .base import Engine, Interrupted, Option, Result

__all__ = [
    "Engine",
    "Interrupted",
    "Option",
    "Result",
    "get_engine",
    "engine_class",
    "engine_names",
    "available_engines",
    "register_engine",
]


# name -> (module, class, pip extra needed or None, modules the engine imports)
_REGISTRY: dict = {
    "grabcut": ("interactive_seg.engines.grabcut", "GrabCutEngine", None, ("cv2",)),
    "plain_grabcut": ("interactive_seg.engines.plain_grabcut", "PlainGrabCutEngine", None, ("cv2",)),
    # every SAM family (SAM, MobileSAM, SAM 2.1, SAM 3) is a model of this one engine: engines/sam/
    "sam": ("interactive_seg.engines.sam.engine", "SamEngine", "sam", ("torch",)),
}


def register_engine(name: str, module: str, cls: str, extra: Optional[str] = None, requires=()) -> None:
    """Make ``get_engine(name)`` build ``module.cls`` (an :class:`Engine` subclass); ``extra`` names
    the pip extra it needs, ``requires`` the modules that must be installed."""
    _REGISTRY[name] = (module, cls, extra, tuple(requires))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def engine_names() -> list:
    """Names of every registered engine, installed or not (for a command line's choices)."""
    return list(_REGISTRY)


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
    engine_cls = engine_class(name)
    try:
        inspect.signature(engine_cls).bind(**options)
    except TypeError as exc:
        raise InputError(
            f"The {engine_cls.name} engine does not take these options ({exc}); see help(get_engine)."
        ) from exc
    return engine_cls(**options)


def engine_class(name: str, *, installed: bool = True) -> type:
    """The class of the engine called ``name``, imported now (its listings: ``.options``,
    ``.model_types``, ``.embeds``).

    Raises :class:`InputError` for an unknown name, a missing dependency, or a registered
    class that does not derive from :class:`Engine`. With ``installed=False`` the modules
    the engine runs on are not asked for (an engine module imports them when it runs), so
    a command line lists the options of an engine whose extra is not installed.

    >>> [option.name for option in engine_class("grabcut").options]
    ['margin', 'iterations', 'max_side', 'tightness', 'scribble_prior']
    """
    if isinstance(name, str):
        key = name.strip().lower()
    else:
        raise InputError(f"The engine must be named by a string, one of {sorted(_REGISTRY)}; got {name!r}.")
    if key not in _REGISTRY:
        raise InputError(f"There is no engine named {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}.")
    module, cls, extra, requires = _REGISTRY[key]
    hint = f"pip install 'interactive-seg[{extra}]'" if extra else "pip install --force-reinstall interactive-seg"
    missing = [m for m in requires if installed and not _installed(m)]
    if missing:
        raise InputError(f"The {key} engine needs {', '.join(missing)}, which is not installed; run: {hint}")
    try:
        engine_cls = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise InputError(f"The {key} engine could not be imported ({exc}); run: {hint}") from exc
    if not (isinstance(engine_cls, type) and Engine in engine_cls.__mro__):
        raise InputError(
            f"{module}.{cls} does not derive from interactive_seg.engines.Engine; register an Engine subclass."
        )
    return engine_cls
