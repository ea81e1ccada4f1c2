"""SAM 2.1 (Meta, 2024) on images: the four official Hiera models, through transformers'
``Sam2Model`` and ``Sam2Processor`` (see :mod:`.hf`). Nothing heavy is imported until a
model loads."""

from __future__ import annotations

from .models import ModelInfo

__all__ = ["MODELS", "load"]

_HERE = __name__
TITLE = "SAM 2.1"
#: ``model_type`` values in a model folder's config.json that this family loads
CONFIG_TYPES = ("sam2",)
REQUIRES = ("transformers",)

MODELS = (
    ModelInfo(
        "sam2.1_hiera_tiny",
        _HERE,
        156_000_000,
        "SAM 2.1 Hiera-T, the fastest SAM 2.1",
        repo="facebook/sam2.1-hiera-tiny",
    ),
    ModelInfo("sam2.1_hiera_small", _HERE, 185_000_000, "SAM 2.1 Hiera-S", repo="facebook/sam2.1-hiera-small"),
    ModelInfo("sam2.1_hiera_base_plus", _HERE, 324_000_000, "SAM 2.1 Hiera-B+", repo="facebook/sam2.1-hiera-base-plus"),
    ModelInfo(
        "sam2.1_hiera_large",
        _HERE,
        898_000_000,
        "SAM 2.1 Hiera-L, best SAM 2.1 masks, GPU",
        repo="facebook/sam2.1-hiera-large",
    ),
)


def owns(model_type: str) -> bool:
    return any(info.name == model_type for info in MODELS)


def load(model_type: str, path, device, *, precision=None, fast_decoder=True, **_):
    """The backend of a SAM 2.1 model folder (downloaded, or saved with ``save_pretrained``)."""
    from transformers import Sam2Model, Sam2Processor

    from .hf import HFBackend, load_folder

    model, processor, fingerprint = load_folder(Sam2Model, Sam2Processor, path, device, TITLE, CONFIG_TYPES)
    return HFBackend(model, processor, device, f"{model_type}-{fingerprint}", precision, fast_decoder)
