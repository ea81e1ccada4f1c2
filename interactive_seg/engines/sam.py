"""Segment Anything behind the Engine protocol: embeddings computed once, prompts answered fast.

``set_image`` runs the image encoder once per image and model; the embedding is kept in an
in-memory LRU and on disk (see :mod:`.embeddings`). Per prompt only the prompt encoder and
mask decoder run (the decoder rearranged so the image's share is computed once: see
:mod:`.sam_decoder`); the best mask is chosen *before* upscaling, and the upscaling (SAM's
256 -> 1024 -> image size, bilinear) is computed only over the rows and columns that a
positive logit can reach, with PyTorch's own sample positions and weights, so the mask is
the one ``SamPredictor.predict`` gives.

torch, segment_anything and mobile_sam are imported here (and torch in sam_decoder.py) only.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Callable, Iterator, Optional

import cv2
import numpy as np

from ..errors import InputError
from ..image import as_rgb8
from ..prompts import BACKGROUND, FOREGROUND, Prompts
from . import Engine, Option, Result
from .checkpoints import MODELS, cache_dir as _cache_dir, find_checkpoint
from .embeddings import EmbeddingCache, image_key

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised where torch is absent
    raise ImportError(f"torch is not installed ({exc})") from exc

from .sam_decoder import FastDecoder, supports  # noqa: E402  (needs torch)

__all__ = ["SamEngine", "load_sam", "register_sam_builder", "resolve_device"]

MASK_THRESHOLD = 0.0
_BUILDERS: dict = {}
_SHARED_CACHES: dict = {}


def register_sam_builder(model_type: str, builder: Callable) -> None:
    """Make ``model_type`` buildable: ``builder(checkpoint=None)`` returns an untrained SAM module."""
    _BUILDERS[model_type] = builder


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
    from segment_anything import sam_model_registry

    if model_type not in sam_model_registry or model_type == "default":
        known = sorted(set(MODELS) | set(_BUILDERS))
        raise InputError(f"Unknown SAM model type {model_type!r}; choose one of {', '.join(known)}.")
    return sam_model_registry[model_type]


def _guess_model_type(state: dict) -> str:
    """Which official model a state dict looks like, from its image encoder's shapes."""
    weight = state.get("image_encoder.patch_embed.proj.weight")
    if weight is not None and hasattr(weight, "shape"):
        return {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}.get(int(weight.shape[0]), f"a ViT with width {int(weight.shape[0])}")
    if any(k.startswith("image_encoder.layers.") for k in state):
        return "vit_t (MobileSAM)"
    return "no SAM model known to interactive-seg"


def resolve_device(device: str = "auto") -> "torch.device":
    """``"auto"`` picks cuda, then mps, then cpu; an unavailable explicit device is an InputError."""
    name = str(device).strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise InputError(f"{device!r} is not a device name; use auto, cpu, cuda, cuda:N or mps.") from exc
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        raise InputError(f"The device {device!r} is not available here (no CUDA GPU found); use device='cpu' or 'auto'.")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise InputError(f"The device {device!r} is not available here (no Apple GPU); use device='cpu' or 'auto'.")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"The device {device!r} is not supported; use auto, cpu, cuda or mps.")
    return dev


def _file_fingerprint(path) -> str:
    """A cheap content hash of a checkpoint: its size and its first and last MiB."""
    size = os.path.getsize(path)
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(-(1 << 20), os.SEEK_END)
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def _model_fingerprint(model) -> str:
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
    builder = _builder(model_type)
    path = os.fspath(checkpoint)
    if not os.path.isfile(path):
        raise InputError(f"There is no checkpoint file at {path!r}; check the path or download one with `interactive-seg models download {model_type}`.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle, zip and torch errors all mean the same to the user
        raise InputError(f"{path!r} is not a PyTorch checkpoint that can be loaded safely ({type(exc).__name__}); download it again.") from exc
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict) or not state:
        raise InputError(f"{path!r} does not hold model weights (a state dict); it is not a SAM checkpoint.")
    model = builder(checkpoint=None)
    expected = model.state_dict()
    wrong = [k for k, v in expected.items() if k not in state or tuple(getattr(state[k], "shape", ())) != tuple(v.shape)]
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
        t = torch.as_tensor
        (rm0, rm1, rmw0, rmw1), (rl0, rl1, rlw0, rlw1), _, _ = self.axes[0]
        (cm0, cm1, cmw0, cmw1), (cl0, cl1, clw0, clw1), _, _ = self.axes[1]
        # the middle-grid rows and columns this crop needs
        need_r = np.unique(np.concatenate([rm0[r0:r1], rm1[r0:r1]]))
        need_c = np.unique(np.concatenate([cm0[c0:c1], cm1[c0:c1]]))
        x = t(low)
        # stage 1, as upsample_bilinear2d computes it: along the width first, then the height
        a = x.index_select(1, t(cl0[need_c])) * t(clw0[need_c]) + x.index_select(1, t(cl1[need_c])) * t(clw1[need_c])
        mid = t(rlw0[need_r])[:, None] * a.index_select(0, t(rl0[need_r])) + t(rlw1[need_r])[:, None] * a.index_select(0, t(rl1[need_r]))
        # stage 2 from the middle grid (only its needed rows/columns) to the image
        c_lo, c_hi = t(np.searchsorted(need_c, cm0[c0:c1])), t(np.searchsorted(need_c, cm1[c0:c1]))
        r_lo, r_hi = t(np.searchsorted(need_r, rm0[r0:r1])), t(np.searchsorted(need_r, rm1[r0:r1]))
        b = mid.index_select(1, c_lo) * t(cmw0[c0:c1]) + mid.index_select(1, c_hi) * t(cmw1[c0:c1])
        out = t(rmw0[r0:r1])[:, None] * b.index_select(0, r_lo) + t(rmw1[r0:r1])[:, None] * b.index_select(0, r_hi)
        return out.numpy()


def _same_object(a: tuple, b: tuple) -> bool:
    """Equal (box, prior) signatures: the box equal, the priors both absent or equal in content."""
    (box_a, prior_a), (box_b, prior_b) = a, b
    if box_a != box_b:
        return False
    if prior_a is None or prior_b is None:
        return prior_a is prior_b
    return prior_a is prior_b or (prior_a.shape == prior_b.shape and np.array_equal(prior_a, prior_b))


class SamEngine(Engine):
    """Segment Anything (SAM, or MobileSAM) as an engine.

    Parameters
    ----------
    model_type : {"vit_b", "vit_l", "vit_h", "vit_t"}
        Official SAM models; ``vit_t`` is MobileSAM (recommended on CPU).
    checkpoint : path, optional
        The weights; by default the checkpoint downloaded with
        ``interactive-seg models download MODEL_TYPE`` is used.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
    cache_dir : path, optional
        Cache folder for embeddings (and downloaded models); default
        ``$INTERACTIVE_SEG_CACHE_DIR`` or the user cache folder.
    disk_cache : bool
        Keep embeddings on disk so another engine or process reuses them.
    model : torch.nn.Module, optional
        An already built SAM model (then ``checkpoint`` is not read).
    points_per_stroke : int
        Scribbles reach SAM as points: up to this many per connected stroke, spread along it.
    threads : int, optional
        CPU threads for torch; default all cores this process may use.
    fast_decoder : bool
        Run SAM's mask decoder rearranged (:mod:`.sam_decoder`: the image's share once per
        image, same masks; 0.43 of stock's prompt latency on a 2-core CPU). ``False`` runs
        the stock ``MaskDecoder``; decoders of another structure always do.
    """

    name = "sam"
    #: the checkpoints of :data:`.checkpoints.MODELS`, fastest on a CPU first
    model_types = ("vit_t", "vit_b", "vit_l", "vit_h")
    options = (
        Option("model_type", str, "vit_b", "The SAM model; vit_t is MobileSAM, the fastest on a CPU.", label="Model", choices=model_types),
        Option("device", str, "auto", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:1 or mps.", choices=("auto", "cpu", "cuda", "mps")),
        Option("checkpoint", str, None, "The weights file; by default the one `interactive-seg models download` put in the cache."),
    )
    embeds = True

    def __init__(
        self,
        *,
        model_type: str = "vit_b",
        checkpoint=None,
        device: str = "auto",
        cache_dir=None,
        disk_cache: bool = True,
        model=None,
        points_per_stroke: int = 3,
        threads: Optional[int] = None,
        fast_decoder: bool = True,
    ):
        self.device = resolve_device(device)
        if self.device.type == "cpu":
            available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            torch.set_num_threads(int(threads) if threads else available)
        self.model_type = model_type
        if model is not None:
            self.model = model.to(self.device).eval()
            fingerprint = _model_fingerprint(self.model)
        else:
            path = checkpoint if checkpoint is not None else find_checkpoint(model_type, cache_dir)
            self.model = load_sam(model_type, path, self.device)
            fingerprint = _file_fingerprint(path)
        self.model_key = f"{model_type}-{fingerprint}"
        folder = _cache_dir(cache_dir) / "embeddings" if disk_cache else None
        shared = (str(folder), self.model_key)
        if shared not in _SHARED_CACHES:
            _SHARED_CACHES[shared] = EmbeddingCache(folder)
        self.cache: EmbeddingCache = _SHARED_CACHES[shared]
        self.points_per_stroke = int(points_per_stroke)
        from segment_anything.utils.transforms import ResizeLongestSide

        self.encoder_size = int(self.model.image_encoder.img_size)
        self.transform = ResizeLongestSide(self.encoder_size)
        self._key: Optional[str] = None
        self._source = None
        self._features = None
        self._upscale: Optional[_Upscaler] = None
        self._last = None  # (prompts signature, low-res logits) for consecutive refinements
        with torch.no_grad():
            self._dense_pe = self.model.prompt_encoder.get_dense_pe()  # constant: computed once, not per prompt
            self._fast = FastDecoder(self.model.mask_decoder, self._dense_pe) if fast_decoder and supports(self.model.mask_decoder) else None
        self._fast_features = None  # the features the fast decoder's image part was prepared for

    # -- image ---------------------------------------------------------------------------
    def set_image(self, image) -> None:
        """Compute (or load from the cache) the image's embedding; free for the same image."""
        for _ in self.embed_steps(image):
            pass

    def embed_steps(self, image) -> Iterator[float]:
        """:meth:`set_image` step by step: yields the fraction done after each encoder block.

        Stopping the iteration early (a cancelled worker) leaves the engine's image as it was.
        """
        if image is self._source and self._features is not None:
            return
        rgb = as_rgb8(image)
        key = f"{image_key(rgb)}-{self.model_key}"
        if key == self._key:
            self._source = image
            return
        entry = self.cache.get(key)
        if entry is None:
            features = None
            for step in self._encode(rgb):
                if isinstance(step, float):
                    yield step
                else:
                    features = step
            input_size = np.array(self.transform.get_preprocess_shape(rgb.shape[0], rgb.shape[1], self.encoder_size))
            entry = {"features": features, "input_size": input_size, "original_size": np.array(rgb.shape[:2])}
            self.cache.put(key, entry)
        self._features = torch.from_numpy(np.ascontiguousarray(entry["features"])).to(self.device)
        low = int(self.model.prompt_encoder.mask_input_size[0])
        self._upscale = _Upscaler(low, self.encoder_size, tuple(int(v) for v in entry["input_size"]), tuple(int(v) for v in entry["original_size"]))
        self._key, self._source, self._last = key, image, None
        yield 1.0

    def embed_many(self, images, batch_size: int = 1) -> list:
        """Put the embeddings of several images into the cache, ``batch_size`` images per encoder call.

        For computing embeddings ahead (``interactive-seg batch embed``): images already
        cached are skipped, and each entry is the one :meth:`set_image` would look up. On a
        GPU a batch of a few images keeps the device busy; on a CPU it gains nothing. The
        engine's current image is left as it was. Returns ``"cached"`` or ``"computed"``
        per image.
        """
        rgbs = [as_rgb8(image) for image in images]
        keys = [f"{image_key(rgb)}-{self.model_key}" for rgb in rgbs]
        status = ["cached" if self.cache.get(key) is not None else "computed" for key in keys]
        todo = [i for i, s in enumerate(status) if s == "computed"]
        size = max(1, int(batch_size))
        for first in range(0, len(todo), size):
            group = todo[first : first + size]
            with torch.no_grad():
                batch = []
                for i in group:
                    rgb = rgbs[i] if self.model.image_format == "RGB" else rgbs[i][..., ::-1]
                    tensor = torch.as_tensor(self.transform.apply_image(rgb), device=self.device).permute(2, 0, 1).contiguous()[None]
                    batch.append(self.model.preprocess(tensor))
                features = self.model.image_encoder(torch.cat(batch)).float().cpu().numpy()
            for i, feature in zip(group, features):
                height, width = rgbs[i].shape[:2]
                self.cache.put(keys[i], {
                    "features": np.ascontiguousarray(feature[None]),
                    "input_size": np.array(self.transform.get_preprocess_shape(height, width, self.encoder_size)),
                    "original_size": np.array([height, width]),
                })
        return status

    @torch.no_grad()
    def _encode(self, rgb: np.ndarray):
        """The image encoder, as SamPredictor.set_image runs it, one block at a time where it can."""
        if self.model.image_format != "RGB":
            rgb = rgb[..., ::-1]
        resized = self.transform.apply_image(rgb)
        tensor = torch.as_tensor(resized, device=self.device).permute(2, 0, 1).contiguous()[None]
        x = self.model.preprocess(tensor)
        encoder = self.model.image_encoder
        blocks = getattr(encoder, "blocks", None)
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
        yield x.float().cpu().numpy()

    # -- prompts -------------------------------------------------------------------------
    def _stroke_points(self, scribbles: np.ndarray):
        """Points spread along each connected stroke: up to ``points_per_stroke`` per stroke."""
        points, labels = [], []
        for value, label in ((FOREGROUND, 1), (BACKGROUND, 0)):
            strokes = (scribbles == value).astype(np.uint8)
            if not strokes.any():
                continue
            n, parts = cv2.connectedComponents(strokes, connectivity=8)
            for part in range(1, n):
                ys, xs = np.nonzero(parts == part)
                order = np.argsort(xs * scribbles.shape[0] + ys) if np.ptp(xs) >= np.ptp(ys) else np.argsort(ys * scribbles.shape[1] + xs)
                k = min(self.points_per_stroke, len(order))
                picks = order[np.linspace(0, len(order) - 1, k + 2)[1:-1].round().astype(int)] if k < len(order) else order
                for i in picks[:k]:
                    points.append((xs[i] + 0.5, ys[i] + 0.5))
                    labels.append(label)
        return points, labels

    def _prior_logits(self, prior: np.ndarray) -> np.ndarray:
        """A prior mask as SAM's mask input: resized like the image (longest side to 256), padded."""
        low = int(self.model.prompt_encoder.mask_input_size[0])
        h, w = prior.shape
        scale = low / max(h, w)
        nh, nw = max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5))
        soft = cv2.resize(prior.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA)
        soft = np.clip(soft, 1e-3, 1 - 1e-3)
        logits = np.full((low, low), -20.0, np.float32)
        logits[:nh, :nw] = np.log(soft / (1 - soft)) * 2.0
        return logits

    def sam_inputs(self, prompts: Prompts) -> dict:
        """The prompts as SamPredictor.predict arguments (point_coords, point_labels, box, mask_input, multimask_output)."""
        coords, labels = [], []
        if prompts.points is not None:
            coords += [tuple(p) for p in prompts.points]
            labels += [int(v) for v in prompts.point_labels]
        if prompts.scribbles is not None:
            more, more_labels = self._stroke_points(prompts.scribbles)
            coords += more
            labels += more_labels
        # the core's pixel i spans [i, i + 1]; SAM's points are pixel indices (it adds 0.5 itself)
        point_coords = np.asarray(coords, np.float32) - 0.5 if coords else None
        point_labels = np.asarray(labels, np.int64) if coords else None
        box = np.asarray(prompts.box, np.float32) if prompts.box is not None else None
        mask_input = None
        # the same object as last time: the same box and a prior of the same contents (a
        # caller may build a new array per prompt, so identity says nothing)
        signature = (prompts.box, prompts.prior)
        same = self._last is not None and _same_object(self._last[0], signature)
        if same:
            signature = self._last[0]  # keeps its own copy of the prior
        if same and coords and self._last[2] <= len(coords):
            mask_input = self._last[1][None]  # the previous refinement of this object
        elif prompts.prior is not None:
            mask_input = self._prior_logits(prompts.prior)[None]
        multimask = box is None and mask_input is None and len(coords) == 1
        return {
            "point_coords": point_coords,
            "point_labels": point_labels,
            "box": box,
            "mask_input": mask_input,
            "multimask_output": multimask,
            "_signature": signature,
        }

    @torch.inference_mode()
    def segment(self, prompts: Prompts) -> Result:
        """Segment one object: prompt encoder, mask decoder, then the best mask upscaled where needed."""
        start = time.perf_counter()
        if self._features is None:
            raise InputError("No image to segment: call set_image(image) first.")
        if not isinstance(prompts, Prompts):
            raise InputError(f"segment() takes a Prompts object; got {type(prompts).__name__}.")
        height, width = self._upscale.original_size
        p = prompts.validated((height, width))
        args = self.sam_inputs(p)
        original = (height, width)
        coords = labels = boxes = masks = None
        if args["point_coords"] is not None:
            coords = torch.as_tensor(self.transform.apply_coords(args["point_coords"], original), dtype=torch.float, device=self.device)[None]
            labels = torch.as_tensor(args["point_labels"], dtype=torch.int, device=self.device)[None]
        if args["box"] is not None:
            boxes = torch.as_tensor(self.transform.apply_boxes(args["box"], original), dtype=torch.float, device=self.device)
        if args["mask_input"] is not None:
            masks = torch.as_tensor(args["mask_input"], dtype=torch.float, device=self.device)[None]
        sparse, dense = self.model.prompt_encoder(points=(coords, labels) if coords is not None else None, boxes=boxes, masks=masks)
        if self._fast is not None:
            image = None
            if masks is not None:
                image = self._fast.image_part(self._features, dense)
            elif self._fast_features is not self._features:
                self._fast.prepare(self._features, dense)
                self._fast_features = self._features
            low, score, best = self._fast(sparse, args["multimask_output"], image)
            logits = low.float().cpu().numpy()
            score = float(score)
        else:
            low_res, scores = self.model.mask_decoder(
                image_embeddings=self._features,
                image_pe=self._dense_pe,
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=args["multimask_output"],
            )
            best = int(torch.argmax(scores[0]))
            logits = low_res[0, best].float().cpu().numpy()
            score = float(scores[0, best])
        mask = self._upscale(logits)
        n_points = 0 if args["point_coords"] is None else len(args["point_coords"])
        signature = args["_signature"]
        if self._last is None or signature is not self._last[0]:
            # a copy: the caller may change its array in place after this call
            signature = (signature[0], None if signature[1] is None else signature[1].copy())
        self._last = (signature, logits, n_points)
        info = {"seconds": time.perf_counter() - start, "multimask": args["multimask_output"], "points": n_points}
        return Result(mask=mask, score=score, logits=logits, info=info)

    def reset(self) -> None:
        """Forget the last refinement, so the next prompt starts a new object."""
        self._last = None
