"""SAM 1 (Segment Anything, 2023: ViT-B/L/H) and MobileSAM, through ``segment_anything``.

The family's models are the official single-file checkpoints (fetched with pooch by
:mod:`.models`). Per image the encoder runs once, block by block (progress, cancel); per
prompt the prompt encoder and the rearranged mask decoder (:mod:`.decoder`: the image's
share computed once per image) run, the best mask is chosen *before* upscaling, and the
upscaling (SAM's 256 -> 1024 -> image size, bilinear) is computed only over the rows and
columns a positive logit can reach, with PyTorch's own sample positions and weights, so
the mask is the one ``SamPredictor.predict`` gives.

torch is imported inside functions: the catalogue (:data:`MODELS`) is read without it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import cv2
import numpy as np

from ...errors import InputError
from .models import ModelInfo

__all__ = ["MODELS", "Sam1Backend", "load_sam", "register_sam_builder"]

MASK_THRESHOLD = 0.0
_BUILDERS: dict = {}
_HERE = __name__

#: The official checkpoints (SHA-256 of the published files), fastest on a CPU first.
MODELS = (
    ModelInfo(
        "vit_t",
        _HERE,
        40728226,
        "MobileSAM (TinyViT), the fastest SAM 1 on a CPU",
        url="https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt",
        file_name="mobile_sam.pt",
        sha256="6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f",
    ),
    ModelInfo(
        "vit_b",
        _HERE,
        375042383,
        "SAM ViT-B, the smallest official SAM 1",
        url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
        file_name="sam_vit_b_01ec64.pth",
        sha256="ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
    ),
    ModelInfo(
        "vit_l",
        _HERE,
        1249524607,
        "SAM ViT-L",
        url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
        file_name="sam_vit_l_0b3195.pth",
        sha256="3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622",
    ),
    ModelInfo(
        "vit_h",
        _HERE,
        2564550879,
        "SAM ViT-H, best SAM 1 masks, GPU",
        url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
        file_name="sam_vit_h_4b8939.pth",
        sha256="a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
    ),
)
TITLE = "SAM"
#: modules this family needs (the sam extra installs them)
REQUIRES = ("segment_anything",)
#: SAM 1 checkpoints are single files, not model folders
CONFIG_TYPES: tuple = ()


def register_sam_builder(model_type: str, builder: Callable) -> None:
    """Make ``model_type`` buildable: ``builder(checkpoint=None)`` returns an untrained SAM module."""
    _BUILDERS[model_type] = builder


def owns(model_type: str) -> bool:
    """True for the model types this family builds (its catalogue and registered builders)."""
    return model_type in _BUILDERS or any(info.name == model_type for info in MODELS)


def owns_model(model) -> bool:
    """True for a built SAM 1 module (segment_anything's or MobileSAM's ``Sam``)."""
    return all(hasattr(model, name) for name in ("image_encoder", "prompt_encoder", "mask_decoder", "preprocess"))


def _builder(model_type: str) -> Callable:
    if model_type in _BUILDERS:
        return _BUILDERS[model_type]
    if model_type == "vit_t":
        try:
            from mobile_sam import sam_model_registry as mobile_registry
        except ImportError as exc:
            raise InputError(
                f"MobileSAM (vit_t) needs the mobilesam-mirror and timm packages ({exc}); "
                "run: pip install mobilesam-mirror timm"
            ) from exc
        return mobile_registry["vit_t"]
    try:
        from segment_anything import sam_model_registry
    except ImportError as exc:
        raise InputError(
            f"SAM 1 models need segment_anything ({exc}); run: pip install 'interactive-seg[sam]'"
        ) from exc
    if model_type not in sam_model_registry or model_type == "default":
        known = sorted({info.name for info in MODELS} | set(_BUILDERS))
        raise InputError(f"Unknown SAM model type {model_type!r}; choose one of {', '.join(known)}.")
    return sam_model_registry[model_type]


def _guess_model_type(state: dict) -> str:
    """Which official model a state dict looks like, from its image encoder's shapes."""
    weight = state.get("image_encoder.patch_embed.proj.weight")
    if weight is not None and hasattr(weight, "shape"):
        return {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}.get(
            int(weight.shape[0]), f"a ViT with width {int(weight.shape[0])}"
        )
    if any(k.startswith("image_encoder.layers.") for k in state):
        return "vit_t (MobileSAM)"
    return "no SAM model known to interactive-seg"


def file_fingerprint(path) -> str:
    """A cheap content hash of a weights file: its size and its first and last MiB."""
    size = os.path.getsize(path)
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(-(1 << 20), os.SEEK_END)
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def model_fingerprint(model) -> str:
    """A hash of a model's weights (a sample of every tensor), for models given as objects."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().reshape(-1)
        digest.update(name.encode())
        digest.update(flat[:: max(1, flat.numel() // 64)].float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def load_sam(model_type: str, checkpoint, device="cpu"):
    """Build ``model_type`` and load ``checkpoint`` into it (``map_location``, ``weights_only=True``).

    Raises
    ------
    InputError
        A missing file, a file that is not a checkpoint, or a checkpoint of another model
        type (the message says which it looks like).
    """
    import torch

    from .runtime import resolve_device

    builder = _builder(model_type)
    path = os.fspath(checkpoint)
    if not os.path.isfile(path):
        raise InputError(
            f"There is no checkpoint file at {path!r}; check the path or download one with `interactive-seg models download {model_type}`."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputError(
            f"{path!r} is not a PyTorch checkpoint that can be loaded safely ({type(exc).__name__}); download it again."
        ) from exc
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict) or not state:
        raise InputError(f"{path!r} does not hold model weights (a state dict); it is not a SAM checkpoint.")
    model = builder(checkpoint=None)
    expected = model.state_dict()
    wrong = [
        k for k, v in expected.items() if k not in state or tuple(getattr(state[k], "shape", ())) != tuple(v.shape)
    ]
    if wrong:
        raise InputError(
            f"{os.path.basename(path)!r} is not a {model_type} checkpoint: it looks like {_guess_model_type(state)}. "
            "Pass the matching model_type."
        )
    model.load_state_dict(state)
    return model.to(resolve_device(device) if isinstance(device, str) else device).eval()


def _bilinear_axis(in_size: int, out_size: int, out_index: np.ndarray):
    """PyTorch's bilinear (align_corners=False) source indices and weights along one axis."""
    scale = np.float32(in_size) / np.float32(out_size)
    src = scale * (out_index.astype(np.float32) + np.float32(0.5)) - np.float32(0.5)
    src = np.maximum(src, np.float32(0.0))
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = (src - i0.astype(np.float32)).astype(np.float32)
    w0 = (np.float32(1.0) - w1).astype(np.float32)
    return i0, i1, w0, w1


class _Upscaler:
    """SAM's postprocessing (256 -> 1024, crop to the input size, -> image size), computed on a crop.

    Output pixels whose every contributing low-resolution logit is below the threshold
    stay background without being computed; the others are computed exactly as
    ``F.interpolate`` computes them.
    """

    def __init__(self, low: int, encoder_size: int, input_size: tuple, original_size: tuple):
        self.low, self.encoder_size = low, encoder_size
        self.input_size, self.original_size = tuple(input_size), tuple(original_size)
        self.axes = []
        for axis in (0, 1):
            n_mid = self.input_size[axis]  # the 1024-grid rows/cols kept after cropping the padding
            n_out = self.original_size[axis]
            m0, m1, mw0, mw1 = _bilinear_axis(n_mid, n_out, np.arange(n_out))  # output <- middle
            l0, l1, lw0, lw1 = _bilinear_axis(low, encoder_size, np.arange(encoder_size))  # middle <- low
            # the low-resolution indices that reach each output index (for cropping)
            reach_lo = np.minimum(l0[m0], l0[m1])
            reach_hi = np.maximum(l1[m0], l1[m1])
            self.axes.append(((m0, m1, mw0, mw1), (l0, l1, lw0, lw1), reach_lo, reach_hi))

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        height, width = self.original_size
        mask = np.zeros((height, width), bool)
        positive = logits > MASK_THRESHOLD
        if not positive.any():
            return mask
        rows = np.flatnonzero(positive.any(axis=1))
        cols = np.flatnonzero(positive.any(axis=0))
        spans = []
        for axis, hits in ((0, rows), (1, cols)):
            _, _, reach_lo, reach_hi = self.axes[axis]
            touched = np.flatnonzero((reach_hi >= hits[0]) & (reach_lo <= hits[-1]))
            if touched.size == 0:
                return mask
            spans.append((touched[0], touched[-1] + 1))
        (r0, r1), (c0, c1) = spans
        if (r1 - r0) * (c1 - c0) > 0.3 * height * width:
            # a large object: the crop saves little, and PyTorch's kernel is the fastest way
            import torch
            import torch.nn.functional as F

            x = torch.as_tensor(logits.astype(np.float32))[None, None]
            x = F.interpolate(x, (self.encoder_size, self.encoder_size), mode="bilinear", align_corners=False)
            x = x[..., : self.input_size[0], : self.input_size[1]]
            x = F.interpolate(x, self.original_size, mode="bilinear", align_corners=False)
            return (x[0, 0] > MASK_THRESHOLD).numpy()
        values = self._interpolate(logits.astype(np.float32), r0, r1, c0, c1)
        mask[r0:r1, c0:c1] = values > MASK_THRESHOLD
        return mask

    def _interpolate(self, low: np.ndarray, r0, r1, c0, c1) -> np.ndarray:
        """The two bilinear stages on the crop, in torch (multithreaded), with the same float32 arithmetic."""
        import torch

        t = torch.as_tensor
        (rm0, rm1, rmw0, rmw1), (rl0, rl1, rlw0, rlw1), _, _ = self.axes[0]
        (cm0, cm1, cmw0, cmw1), (cl0, cl1, clw0, clw1), _, _ = self.axes[1]
        # the middle-grid rows and columns this crop needs
        need_r = np.unique(np.concatenate([rm0[r0:r1], rm1[r0:r1]]))
        need_c = np.unique(np.concatenate([cm0[c0:c1], cm1[c0:c1]]))
        x = t(low)
        # stage 1, as upsample_bilinear2d computes it: along the width first, then the height
        a = x.index_select(1, t(cl0[need_c])) * t(clw0[need_c]) + x.index_select(1, t(cl1[need_c])) * t(clw1[need_c])
        mid = t(rlw0[need_r])[:, None] * a.index_select(0, t(rl0[need_r])) + t(rlw1[need_r])[:, None] * a.index_select(
            0, t(rl1[need_r])
        )
        # stage 2 from the middle grid (only its needed rows/columns) to the image
        c_lo, c_hi = t(np.searchsorted(need_c, cm0[c0:c1])), t(np.searchsorted(need_c, cm1[c0:c1]))
        r_lo, r_hi = t(np.searchsorted(need_r, rm0[r0:r1])), t(np.searchsorted(need_r, rm1[r0:r1]))
        b = mid.index_select(1, c_lo) * t(cmw0[c0:c1]) + mid.index_select(1, c_hi) * t(cmw1[c0:c1])
        out = t(rmw0[r0:r1])[:, None] * b.index_select(0, r_lo) + t(rmw1[r0:r1])[:, None] * b.index_select(0, r_hi)
        return out.numpy()


def load(model_type: str, path, device, *, model=None, precision=None, fast_decoder: bool = True):
    """The SAM 1 backend for ``model_type``: from ``model`` (a built module) or the checkpoint at ``path``."""
    if model is not None:
        model = model.to(device).eval()
        fingerprint = model_fingerprint(model)
    else:
        model = load_sam(model_type, path, device)
        fingerprint = file_fingerprint(path)
    return Sam1Backend(model, device, f"{model_type}-{fingerprint}", precision, fast_decoder)


class Sam1Backend:
    """One SAM 1 model on one device: the encoder per image, the decoder per prompt.

    The interface every family's backend has (see :class:`~.engine.SamEngine`):
    ``model_key``, ``low`` (side of the low-resolution logits), ``encode_steps``,
    ``encode_batch``, ``attach``, ``prior_logits``, ``decode``.
    """

    def __init__(self, model, device, model_key: str, precision=None, fast_decoder: bool = True):
        import torch
        from segment_anything.utils.transforms import ResizeLongestSide

        from .decoder import FastDecoder, supports

        self.model, self.device, self.model_key, self.precision = model, device, model_key, precision
        self.encoder_size = int(model.image_encoder.img_size)
        self.transform = ResizeLongestSide(self.encoder_size)
        self.low = int(model.prompt_encoder.mask_input_size[0])
        self.features = None
        self._upscale = None
        with torch.no_grad():
            self._dense_pe = model.prompt_encoder.get_dense_pe()  # constant: computed once, not per prompt
            self._fast = (
                FastDecoder(model.mask_decoder, self._dense_pe)
                if fast_decoder and supports(model.mask_decoder)
                else None
            )
        self._fast_features = None  # the features the fast decoder's image part was prepared for

    # -- image ---------------------------------------------------------------------------
    def _entry(self, features, rgb) -> dict:
        height, width = rgb.shape[:2]
        return {
            "features": np.ascontiguousarray(features),
            "input_size": np.array(self.transform.get_preprocess_shape(height, width, self.encoder_size)),
            "original_size": np.array([height, width]),
        }

    def _input(self, rgb):
        import torch

        if self.model.image_format != "RGB":
            rgb = rgb[..., ::-1]
        tensor = (
            torch.as_tensor(self.transform.apply_image(rgb), device=self.device).permute(2, 0, 1).contiguous()[None]
        )
        return self.model.preprocess(tensor)

    def encode_steps(self, rgb):
        """The image encoder as SamPredictor.set_image runs it, one block at a time where it
        can: yields fractions, then the cache entry."""
        import torch

        from .runtime import encoder_autocast

        with torch.inference_mode():
            x = self._input(rgb)
            encoder = self.model.image_encoder
            blocks = getattr(encoder, "blocks", None)
            with encoder_autocast(self.device, self.precision):
                if blocks is not None and hasattr(encoder, "patch_embed") and hasattr(encoder, "neck"):
                    x = encoder.patch_embed(x)
                    if getattr(encoder, "pos_embed", None) is not None:
                        x = x + encoder.pos_embed
                    for i, block in enumerate(blocks):
                        x = block(x)
                        yield (i + 1) / (len(blocks) + 1)
                    x = encoder.neck(x.permute(0, 3, 1, 2))
                else:  # MobileSAM's TinyViT and other encoders: one step
                    x = encoder(x)
            features = x.float().cpu().numpy()
        yield self._entry(features, rgb)

    def encode_batch(self, rgbs: list) -> list:
        """The cache entries of several images, one encoder call."""
        import torch

        from .runtime import encoder_autocast

        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            features = self.model.image_encoder(torch.cat([self._input(rgb) for rgb in rgbs])).float().cpu().numpy()
        return [self._entry(feature[None], rgb) for feature, rgb in zip(features, rgbs)]

    def attach(self, entry: dict) -> None:
        """Make ``entry`` (from the cache) the image prompts are answered on."""
        import torch

        self.features = torch.from_numpy(np.ascontiguousarray(entry["features"])).to(self.device)
        self._upscale = _Upscaler(
            self.low,
            self.encoder_size,
            tuple(int(v) for v in entry["input_size"]),
            tuple(int(v) for v in entry["original_size"]),
        )

    # -- prompts -------------------------------------------------------------------------
    def prior_logits(self, prior: np.ndarray) -> np.ndarray:
        """A prior mask as SAM's mask input: resized like the image (longest side to 256), padded."""
        low = self.low
        h, w = prior.shape
        scale = low / max(h, w)
        nh, nw = max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5))
        soft = cv2.resize(prior.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA)
        soft = np.clip(soft, 1e-3, 1 - 1e-3)
        logits = np.full((low, low), -20.0, np.float32)
        logits[:nh, :nw] = np.log(soft / (1 - soft)) * 2.0
        return logits

    def decode(self, point_coords, point_labels, box, mask_input, multimask: bool):
        """(low-resolution logits of the best mask, its score, the mask at image size)."""
        import torch

        with torch.inference_mode():
            original = self._upscale.original_size
            coords = labels = boxes = masks = None
            if point_coords is not None:
                coords = torch.as_tensor(
                    self.transform.apply_coords(point_coords, original), dtype=torch.float, device=self.device
                )[None]
                labels = torch.as_tensor(point_labels, dtype=torch.int, device=self.device)[None]
            if box is not None:
                boxes = torch.as_tensor(
                    self.transform.apply_boxes(box, original), dtype=torch.float, device=self.device
                )
            if mask_input is not None:
                masks = torch.as_tensor(mask_input, dtype=torch.float, device=self.device)[None]
            sparse, dense = self.model.prompt_encoder(
                points=(coords, labels) if coords is not None else None, boxes=boxes, masks=masks
            )
            if self._fast is not None:
                image = None
                if masks is not None:
                    image = self._fast.image_part(self.features, dense)
                elif self._fast_features is not self.features:
                    self._fast.prepare(self.features, dense)
                    self._fast_features = self.features
                low, score, _ = self._fast(sparse, multimask, image)
                logits = low.float().cpu().numpy()
                score = float(score)
            else:
                low_res, scores = self.model.mask_decoder(
                    image_embeddings=self.features,
                    image_pe=self._dense_pe,
                    sparse_prompt_embeddings=sparse,
                    dense_prompt_embeddings=dense,
                    multimask_output=multimask,
                )
                best = int(torch.argmax(scores[0]))
                logits = low_res[0, best].float().cpu().numpy()
                score = float(scores[0, best])
        return logits, score, self._upscale(logits)
