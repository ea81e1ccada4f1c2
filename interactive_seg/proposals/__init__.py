"""Proposals: objects a model suggests for an annotator to accept or reject.

- :mod:`.base`: :class:`Proposal` (a mask as crop + offset, score, label, source) and the
  :class:`Proposer` protocol; no torch.
- :mod:`.concept`: SAM 3's concept model: every instance of a phrase and/or example boxes.
- :mod:`.everything`: automatic mask generation over a point grid with a SAM engine model.
- :mod:`.coco`: proposals as COCO detection results or a dataset.

The registry :data:`SOURCES` names each source's class; a new source is one module and one
line there. Nothing heavy is imported until a source is built.
"""

from __future__ import annotations

import importlib

from ..errors import InputError
from .base import Proposal, Proposer, keep

__all__ = ["SOURCES", "Proposal", "Proposer", "get_proposer", "keep"]

#: name -> "module:Class" (the registry: a new source is one module and one line here)
SOURCES = {
    "concept": "interactive_seg.proposals.concept:ConceptProposer",
    "everything": "interactive_seg.proposals.everything:EverythingProposer",
}


def get_proposer(name: str, **options) -> Proposer:
    """The source ``name`` (see :data:`SOURCES`) built with ``options`` (its model loads now)."""
    if name not in SOURCES:
        raise InputError(f"Unknown proposal source {name!r}; choose one of {', '.join(SOURCES)}.")
    module, _, cls = SOURCES[name].partition(":")
    return getattr(importlib.import_module(module), cls)(**options)
