"""SAM 3 (Meta, 2025), its promptable image model (the tracker: SAM 2's prompts, SAM 3's
encoder), through transformers' ``Sam3TrackerModel`` and ``Sam3TrackerProcessor`` (see
:mod:`.hf`). ``facebook/sam3`` is gated: a download asks for a login. Nothing heavy is
imported until a model loads."""

from __future__ import annotations

from .models import ModelInfo

__all__ = ["MODELS", "load"]

_HERE = __name__
TITLE = "SAM 3"
#: ``model_type`` values in a model folder's config.json that this family loads (the tracker
#: alone, or the whole SAM 3 / SAM 3 video checkpoint, whose tracker part is taken)
CONFIG_TYPES = ("sam3_tracker", "sam3_video", "sam3")
REQUIRES = ("transformers",)

MODELS = (
    ModelInfo(
        "sam3",
        _HERE,
        3_440_000_000,
        "SAM 3 tracker (promptable image model), gated: log in first",
        repo="facebook/sam3",
        gated=True,
    ),
)


def owns(model_type: str) -> bool:
    return any(info.name == model_type for info in MODELS)


def load(model_type: str, path, device, *, precision=None, fast_decoder=True, **_):
    """The backend of a SAM 3 model folder (downloaded, or saved with ``save_pretrained``)."""
    from transformers import Sam3TrackerModel, Sam3TrackerProcessor

    from .hf import HFBackend, load_folder

    model, processor, fingerprint = load_folder(
        Sam3TrackerModel, Sam3TrackerProcessor, path, device, TITLE, CONFIG_TYPES
    )
    return HFBackend(model, processor, device, f"{model_type}-{fingerprint}", precision, fast_decoder)
