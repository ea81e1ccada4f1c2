"""Segment Anything, every family behind one ``sam`` engine.

- :mod:`.models`: the catalogue of every family's models and fetching them (no torch)
- :mod:`.engine`: :class:`SamEngine`, the cache, prompts and refinement shared by all
- :mod:`.runtime`: device, encoder precision, threads, encoder progress
- one module per family: :mod:`.sam1` (SAM, MobileSAM), :mod:`.sam2` (SAM 2.1),
  :mod:`.sam3` (SAM 3 tracker), the last two over :mod:`.hf` (transformers)
- :mod:`.decoder`: SAM 1's mask decoder rearranged for speed
- :mod:`.concept` (SAM 3's concept model) and :mod:`.automatic` (masks over a point grid):
  what the proposal sources of :mod:`interactive_seg.proposals` run

Importing this package imports nothing heavy; the names below load their module when used.
"""

from __future__ import annotations

import importlib

__all__ = ["SamEngine", "load_sam", "register_sam_builder", "resolve_device"]

_LAZY = {
    "SamEngine": ".engine",
    "load_sam": ".sam1",
    "register_sam_builder": ".sam1",
    "resolve_device": ".runtime",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
