"""One ``sam`` engine over every SAM family: the embedding cache, prompts, refinement.

The engine picks the family from the model's name (or a model folder's config.json), asks
the family module (:data:`.models.FAMILIES`) for a backend, and does the rest the same way
for all of them: image embeddings computed once per image and model and kept in memory
and on disk (:mod:`..embeddings`), scribbles turned into points along each stroke (and,
with ``scribble_mask``, a mask prompt), a prior mask or the previous refinement's logits
given as the mask prompt, the cancellable ``embed_steps`` and the batched ``embed_many``.

A backend has ``model_key``, ``low`` (side of its low-resolution logits), ``features``,
``encode_steps(rgb)`` (fractions, then a cache entry), ``encode_batch(rgbs)``,
``attach(entry)``, ``prior_logits(prior)`` and ``decode(coords, labels, box, mask_input,
multimask) -> (logits, score, mask)``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ...errors import InputError
from ...image import as_rgb8
from ...prompts import BACKGROUND, FOREGROUND, Prompts
from ..base import Engine, Option, Result
from ..embeddings import EmbeddingCache, image_key
from . import models

__all__ = ["SamEngine", "family_for"]

_SHARED_CACHES: dict = {}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _is_folder_name(model_type: str) -> bool:
    """A path rather than a model's name (a known name wins over a folder of that name)."""
    if model_type in models.catalogue():
        return False
    return os.sep in model_type or (os.altsep or os.sep) in model_type or Path(model_type).expanduser().is_dir()


def family_for(model_type: str):
    """The family module that loads ``model_type`` (a catalogue name, a registered SAM 1
    builder, or a model folder), checked to be installed."""
    if not isinstance(model_type, str) or not model_type.strip():
        raise InputError(
            f"The model must be named by a string (see `interactive-seg models list`) or a model folder; got {model_type!r}."
        )
    if _is_folder_name(model_type):
        module = importlib.import_module(models.family_of_folder(model_type))
    else:
        module = next((m for m in map(importlib.import_module, models.FAMILIES) if m.owns(model_type)), None)
        if module is None:
            known = ", ".join(models.catalogue())
            raise InputError(f"Unknown SAM model type {model_type!r}; choose one of {known}, or pass a model folder.")
    missing = [name for name in module.REQUIRES if not _installed(name)]
    if missing:
        raise InputError(
            f"{module.TITLE} models need {', '.join(missing)}, which is not installed; run: pip install 'interactive-seg[sam]'"
        )
    return module


def _same_object(a: tuple, b: tuple) -> bool:
    """Equal (box, prior) signatures: the box equal, the priors both absent or equal in content."""
    (box_a, prior_a), (box_b, prior_b) = a, b
    if box_a != box_b:
        return False
    if prior_a is None or prior_b is None:
        return prior_a is prior_b
    return prior_a is prior_b or (prior_a.shape == prior_b.shape and np.array_equal(prior_a, prior_b))


class SamEngine(Engine):
    """Segment Anything as an engine: SAM (and MobileSAM), SAM 2.1 and SAM 3, one model at a time.

    One engine with the models of every family rather than an engine per family: the
    prompts, the cache, the devices and the refinement are the same for all of them, and
    an annotator chooses a model, not a code path (micro-sam and X-AnyLabeling list models
    the same way); the widget, the command line and ``batch`` name no family.

    Parameters
    ----------
    model_type : str
        A model of ``interactive-seg models list`` (``vit_t``, ``vit_b``, ``vit_l``,
        ``vit_h``, ``sam2.1_hiera_tiny``, ``sam2.1_hiera_small``, ``sam2.1_hiera_base_plus``,
        ``sam2.1_hiera_large``, ``sam3``), or a model folder (``save_pretrained`` layout).
    checkpoint : path, optional
        The weights: a SAM 1 checkpoint file or a SAM 2.1 / SAM 3 model folder; by default
        the model ``interactive-seg models download MODEL_TYPE`` put in the cache.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
    precision : str
        The image encoder's arithmetic: ``"auto"`` (bfloat16 autocast on CUDA, float32
        elsewhere), ``"fp32"`` or ``"bf16"``. Prompts always run in float32.
    cache_dir : path, optional
        Cache folder for embeddings (and downloaded models); default
        ``$INTERACTIVE_SEG_CACHE_DIR`` or the user cache folder.
    disk_cache : bool
        Keep embeddings on disk so another engine or process reuses them.
    model : torch.nn.Module, optional
        An already built SAM 1 model (then ``checkpoint`` is not read).
    points_per_stroke : int
        Scribbles reach the model as points: up to this many per connected stroke.
    scribble_mask : bool
        Also give scribbles as a mask prompt (foreground strokes positive, background
        strokes negative); off by default.
    threads : int, optional
        CPU threads for torch; default all cores this process may use.
    fast_decoder : bool
        Run the mask decoder rearranged, the image's share of its work done once per image
        (same masks): :mod:`.decoder` for SAM 1, :mod:`.hf_decoder` for SAM 2.1 and SAM 3;
        ``False`` runs the stock decoder (segment_anything's ``MaskDecoder``, transformers'
        model forward).
    """

    name = "sam"
    #: every model of every family (the catalogue's order: fastest on a CPU first per family)
    model_types = tuple(models.catalogue())
    options = (
        Option(
            "model_type",
            str,
            "vit_b",
            "The model: see `interactive-seg models list`; vit_t and sam2.1_hiera_tiny are the fastest on a CPU.",
            label="Model",
            choices=model_types,
        ),
        Option(
            "device",
            str,
            "auto",
            "auto (cuda, then mps, then cpu), cpu, cuda, cuda:1 or mps.",
            choices=("auto", "cpu", "cuda", "mps"),
        ),
        Option(
            "checkpoint",
            str,
            None,
            "The weights file or model folder; by default the one `interactive-seg models download` put in the cache.",
        ),
    )
    embeds = True

    def __init__(
        self,
        *,
        model_type: str = "vit_b",
        checkpoint=None,
        device: str = "auto",
        precision: str = "auto",
        cache_dir=None,
        disk_cache: bool = True,
        model=None,
        points_per_stroke: int = 3,
        scribble_mask: bool = False,
        threads: int | None = None,
        fast_decoder: bool = True,
    ):
        # torch only when an engine is built: the class and its listings load without it
        from .runtime import resolve_device, resolve_precision, use_threads

        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        use_threads(self.device, threads)
        self.model_type = model_type
        if model is not None:
            family = importlib.import_module(models.FAMILIES[0])
            if not family.owns_model(model):
                raise InputError(
                    f"model= takes a built SAM 1 module; got {type(model).__name__}. Pass a model folder as model_type instead."
                )
            path = None
        else:
            family = family_for(model_type)
            if _is_folder_name(model_type):
                path = Path(model_type).expanduser()
            elif checkpoint is not None:
                path = checkpoint
            else:
                path = models.find_checkpoint(model_type, cache_dir) if model_type in models.catalogue() else None
                if path is None:
                    raise InputError(
                        f"The model type {model_type!r} has no download; pass checkpoint=PATH (--checkpoint PATH on the command line)."
                    )
        label = Path(model_type).name if isinstance(model_type, str) and _is_folder_name(model_type) else model_type
        self.family = family.__name__
        self.backend = family.load(
            label, path, self.device, model=model, precision=self.precision, fast_decoder=fast_decoder
        )
        self.model = getattr(self.backend, "model", None)
        self.model_key = self.backend.model_key
        folder = models.cache_dir(cache_dir) / "embeddings" if disk_cache else None
        shared = (str(folder), self.model_key)
        if shared not in _SHARED_CACHES:
            _SHARED_CACHES[shared] = EmbeddingCache(folder)
        self.cache: EmbeddingCache = _SHARED_CACHES[shared]
        self.points_per_stroke = int(points_per_stroke)
        self.scribble_mask = bool(scribble_mask)
        self._key: str | None = None
        self._source = None
        self._shape = None  # (height, width) of the image set
        self._last = None  # (prompts signature, low-res logits, points) for consecutive refinements

    # -- listings for menus --------------------------------------------------------------
    @classmethod
    def choice_note(cls, option: str, value, cache_dir=None) -> str | None:
        """Why the choice ``value`` of ``option`` cannot be used without a download or an
        install (one sentence), or None when it can be used now. For menus."""
        if option != "model_type":
            return None
        try:
            family_for(str(value))
        except InputError as exc:
            return str(exc)
        if value in models.catalogue() and not models.is_cached(value, cache_dir):
            login = models.login_needed(value, cache_dir)
            if login:
                return login
            return f"Not downloaded yet: download it first (the Models panel, or `interactive-seg models download {value}`)."
        return None

    # -- what the tests and tools look at ----------------------------------------------------
    @property
    def _features(self):
        return self.backend.features

    @property
    def _fast(self):
        return getattr(self.backend, "_fast", None)

    @property
    def transform(self):
        return getattr(self.backend, "transform", None)

    # -- image ---------------------------------------------------------------------------
    def set_image(self, image) -> None:
        """Compute (or load from the cache) the image's embedding; free for the same image."""
        for _ in self.embed_steps(image):
            pass

    def embed_steps(self, image) -> Iterator[float]:
        """:meth:`set_image` step by step: yields the fraction done after each encoder block.

        Stopping the iteration early (a cancelled worker) leaves the engine's image as it was.
        """
        if image is self._source and self._shape is not None:
            return
        rgb = as_rgb8(image)
        key = f"{image_key(rgb)}-{self.model_key}"
        if key == self._key:
            self._source = image
            return
        entry = self.cache.get(key)
        if entry is None:
            for step in self._encode(rgb):
                if isinstance(step, float):
                    yield step
                else:
                    entry = step
            self.cache.put(key, entry)
        self.backend.attach(entry)
        self._key, self._source, self._last = key, image, None
        self._shape = tuple(int(v) for v in entry["original_size"])
        yield 1.0

    def _encode(self, rgb: np.ndarray):
        """The model's image encoder on one image: fractions done, then the cache entry."""
        return self.backend.encode_steps(rgb)

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
            # images of one size batch together; others go one by one
            shapes = {rgbs[i].shape for i in group}
            batches = [group] if len(shapes) == 1 else [[i] for i in group]
            for batch in batches:
                for i, entry in zip(batch, self.backend.encode_batch([rgbs[i] for i in batch])):
                    self.cache.put(keys[i], entry)
        return status

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
                order = (
                    np.argsort(xs * scribbles.shape[0] + ys)
                    if np.ptp(xs) >= np.ptp(ys)
                    else np.argsort(ys * scribbles.shape[1] + xs)
                )
                k = min(self.points_per_stroke, len(order))
                picks = (
                    order[np.linspace(0, len(order) - 1, k + 2)[1:-1].round().astype(int)] if k < len(order) else order
                )
                for i in picks[:k]:
                    points.append((xs[i] + 0.5, ys[i] + 0.5))
                    labels.append(label)
        return points, labels

    def _prior_logits(self, prior: np.ndarray) -> np.ndarray:
        """A prior mask as the model's mask input (resized as the family resizes the image)."""
        return self.backend.prior_logits(prior)

    def _scribble_logits(self, scribbles: np.ndarray) -> np.ndarray:
        """Scribbles as a mask prompt: the low-resolution cells the foreground strokes cross
        positive, the rest negative. The strokes are first widened by a cell each way, so a
        thin stroke is not averaged away when resized like a prior mask."""
        cell = int(np.ceil(max(scribbles.shape) / self.backend.low))
        kernel = np.ones((2 * cell + 1, 2 * cell + 1), np.uint8)
        wide = cv2.dilate((scribbles == FOREGROUND).astype(np.uint8), kernel) > 0
        return self._prior_logits(wide & (scribbles != BACKGROUND))

    def sam_inputs(self, prompts: Prompts) -> dict:
        """The prompts as the model takes them (point_coords, point_labels, box, mask_input, multimask_output)."""
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
        elif self.scribble_mask and prompts.scribbles is not None and (prompts.scribbles == FOREGROUND).any():
            mask_input = self._scribble_logits(prompts.scribbles)[None]
        multimask = box is None and mask_input is None and len(coords) == 1
        return {
            "point_coords": point_coords,
            "point_labels": point_labels,
            "box": box,
            "mask_input": mask_input,
            "multimask_output": multimask,
            "_signature": signature,
        }

    def segment(self, prompts: Prompts) -> Result:
        """Segment one object: prompt encoder, mask decoder, then the best mask upscaled."""
        start = time.perf_counter()
        if self._shape is None:
            raise InputError("No image to segment: call set_image(image) first.")
        if not isinstance(prompts, Prompts):
            raise InputError(f"segment() takes a Prompts object; got {type(prompts).__name__}.")
        p = prompts.validated(self._shape)
        args = self.sam_inputs(p)
        logits, score, mask = self.backend.decode(
            args["point_coords"], args["point_labels"], args["box"], args["mask_input"], args["multimask_output"]
        )
        n_points = 0 if args["point_coords"] is None else len(args["point_coords"])
        signature = args["_signature"]
        if self._last is None or signature is not self._last[0]:
            # a copy: the caller may change its array in place after this call
            signature = (signature[0], None if signature[1] is None else signature[1].copy())
        self._last = (signature, logits, n_points)
        info = {
            "seconds": time.perf_counter() - start,
            "multimask": args["multimask_output"],
            "points": n_points,
            "model": self.model_key,
        }
        return Result(mask=mask, score=score, logits=logits, info=info)

    def reset(self) -> None:
        """Forget the last refinement, so the next prompt starts a new object."""
        self._last = None
