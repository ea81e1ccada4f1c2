"""Kept for imports written before the SAM package: the model catalogue and downloads live
in :mod:`interactive_seg.engines.sam.models`."""

from .sam.models import (
    ModelInfo,
    cache_dir,
    catalogue,
    download,
    find_checkpoint,
    is_cached,
    model_info,
    models_dir,
)

__all__ = ["MODELS", "ModelInfo", "cache_dir", "download", "find_checkpoint", "is_cached", "model_info", "models_dir"]

#: every known model by name (a snapshot of :func:`catalogue`)
MODELS = catalogue()
