"""Collection rules for the whole repository (pytest runs doctests of every module).

``--doctest-modules`` imports every module under the test paths. Modules that need an
optional extra (the napari plugin, the SAM engine, dask batches, plots) are skipped when
that extra is not installed, instead of failing collection; a missing core dependency
still fails. Helper modules of ``tests/`` (fixtures, tiny models) hold no doctests and are
not collected on their own.
"""

from __future__ import annotations

import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Top-level modules that only the optional extras install (pyproject's [project.optional-dependencies]).
OPTIONAL = {
    "napari",
    "qtpy",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6",
    "magicgui",
    "superqt",
    "vispy",
    "pandas",
    "torch",
    "torchvision",
    "segment_anything",
    "mobile_sam",
    "timm",
    "platformdirs",
    "dask",
    "distributed",
    "matplotlib",
}


def _missing_extra(module: str):
    """The optional module that importing ``module`` lacks, or None when it imports."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        cause = exc
        while cause is not None:  # a module may re-raise the ImportError with a hint
            top = (getattr(cause, "name", None) or "").split(".")[0]
            if isinstance(cause, ModuleNotFoundError) and top in OPTIONAL:
                return top
            cause = cause.__cause__ or cause.__context__
        raise
    return None


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path).resolve()
    if path.suffix != ".py":
        return None
    try:
        relative = path.relative_to(HERE)
    except ValueError:
        return None
    if relative.parts[0] == "tests":
        if path.name != "conftest.py" and not path.name.startswith("test_"):
            return True  # a helper module: imported by the tests that use it
        return None
    if relative.parts[0] != "interactive_seg":
        return None
    module = ".".join(relative.with_suffix("").parts)
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    return True if _missing_extra(module) else None
