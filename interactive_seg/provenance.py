"""How an object was made: the provenance record kept on each COCO annotation the tool writes.

Every annotation the tool creates or changes carries one namespaced key,
``annotation["interactive_seg"]`` (:data:`KEY`), a plain JSON dict::

    {"schema": 1,
     "engine": {"name": "grabcut", "options": {"margin": 0.1, ...},
                "model": {"name": "vit_b", "fingerprint": "vit_b-1a2b..."}},   # engines with weights only
     "prompts": {"box": [x0, y0, x1, y1],                  # image pixels, x1/y1 exclusive edges
                 "points": [[x, y], ...], "point_labels": [1, 0, ...],
                 "strokes": {"foreground": RLE, "background": RLE},   # the 1 / 2 planes of the scribbles
                 "prior": RLE},                                        # a previous mask refined
     "image": {"fingerprint": "...", "width": W, "height": H},
     "package_version": "0.1.0",
     "created": "2026-12-06T03:50:00Z",
     "review": {"state": "unreviewed"},                    # or accepted / rejected, with "by" and "at"
     "history": [{"engine": ..., "created": ..., "package_version": ..., "review": ...}, ...]}

RLEs are COCO compressed RLE (``{"size": [H, W], "counts": "..."}``), so any COCO reader
can decode the strokes. Other tools ignore the key (COCO allows extra keys on a record);
pycocotools loads such a file, and ``interactive-seg check --strict`` passes it.

The image fingerprint is the SAM embedding cache's content hash of the decoded pixels
(:func:`interactive_seg.engines.embeddings.image_key`), so it names the same image
whatever its file name or format.

This module builds, reads, validates and edits records; it does no I/O.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable
from typing import Optional

import numpy as np

from ._version import __version__
from .coco.segmentation import (
    decode_segmentation,
    mask_to_segmentation,
    segmentation_problem,
)
from .engines.embeddings import image_key
from .errors import InputError
from .image import as_rgb8
from .prompts import BACKGROUND, FOREGROUND, Prompts

__all__ = [
    "KEY",
    "SCHEMA",
    "REVIEW_STATES",
    "image_fingerprint",
    "image_record",
    "engine_record",
    "prompts_record",
    "make_record",
    "record_of",
    "has_prompts",
    "validate",
    "read_prompts",
    "engine_spec",
    "review_state",
    "set_review",
    "replayed",
]

#: The annotation key the record lives under.
KEY = "interactive_seg"
#: The record's layout version.
SCHEMA = 1
#: What a reviewer can say about an object.
REVIEW_STATES = ("unreviewed", "accepted", "rejected")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value):
    """An option's value as JSON holds it (a device or path object as its text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


# -- building ------------------------------------------------------------------------------
def image_fingerprint(image) -> str:
    """The content hash of an image's decoded pixels (as an engine sees them: uint8 RGB).

    The same key the SAM embedding cache files an image under.
    """
    return image_key(as_rgb8(image))


def image_record(image) -> dict:
    """``{"fingerprint", "width", "height"}`` of an image, as a record keeps it."""
    rgb = as_rgb8(image)
    return {"fingerprint": image_key(rgb), "width": int(rgb.shape[1]), "height": int(rgb.shape[0])}


def engine_record(engine) -> dict:
    """The engine's name, the values of its listed options and, where it has weights, its model.

    ``options`` are read from the engine (``engine.<name>`` for each of ``engine.options``),
    so they are what it ran with, defaults included.
    """
    options = {}
    for option in getattr(engine, "options", ()):
        options[option.name] = _plain(getattr(engine, option.name, option.default))
    record = {"name": str(getattr(engine, "name", "") or type(engine).__name__), "options": options}
    fingerprint = getattr(engine, "model_fingerprint", None)
    if fingerprint is not None:
        record["model"] = {"name": _plain(getattr(engine, "model_type", None)), "fingerprint": str(fingerprint)}
    return record


def _rle(mask: np.ndarray) -> dict:
    return mask_to_segmentation(np.asarray(mask, bool))["segmentation"]


def prompts_record(prompts: Prompts) -> dict:
    """The prompts as JSON: box, points with labels, the two stroke planes and the prior as RLE.

    Empty parts are left out (a Prompts with no strokes has no ``strokes``).
    """
    out: dict = {}
    if prompts.box is not None:
        out["box"] = [float(v) for v in prompts.box]
    if prompts.points is not None:
        out["points"] = [[float(x), float(y)] for x, y in prompts.points]
        out["point_labels"] = [int(v) for v in prompts.point_labels]
    if prompts.scribbles is not None:
        strokes = {}
        for name, value in (("foreground", FOREGROUND), ("background", BACKGROUND)):
            plane = prompts.scribbles == value
            if plane.any():
                strokes[name] = _rle(plane)
        out["strokes"] = strokes
    if prompts.prior is not None:
        out["prior"] = _rle(prompts.prior)
    return out


def make_record(
    engine,
    prompts: Prompts,
    image,
    *,
    review: str = "unreviewed",
    by: Optional[str] = None,
    at: Optional[str] = None,
    created: Optional[str] = None,
    history: Iterable[dict] = (),
    previous: Optional[dict] = None,
) -> dict:
    """The provenance record of one object: put it on the annotation as ``annotation[KEY]``.

    Parameters
    ----------
    engine : Engine or dict
        The engine that made the mask (its name, options and model are recorded), or its
        :func:`engine_record` (made where the engine ran, e.g. on a batch worker).
    prompts : Prompts or dict
        The prompts exactly as given to ``engine.segment``, or their :func:`prompts_record`.
    image : array or dict
        The image segmented (its pixel fingerprint and size are recorded), or
        :func:`image_record` of it.
    review, by, at : str, optional
        The review state (``unreviewed``, ``accepted``, ``rejected``), who set it, when.
    created : str, optional
        UTC time, ISO 8601 (default: now).
    history : sequence of dict
        Earlier engine records of this object (see :func:`replayed`).
    previous : dict, optional
        The record of the object this one replaces (an edited object): its engine, time,
        version and review (and its prompts, where they differ from these) go to the front
        of ``history``, its history after them; keys another tool put on it stay.

    Examples
    --------
    >>> import numpy as np
    >>> from interactive_seg import Prompts, get_engine
    >>> image = np.zeros((40, 60, 3), np.uint8); image[10:30, 20:40] = 200
    >>> record = make_record(get_engine("grabcut"), Prompts(box=(15, 5, 45, 35)), image)
    >>> record["engine"]["name"], record["prompts"], record["review"]
    ('grabcut', {'box': [15.0, 5.0, 45.0, 35.0]}, {'state': 'unreviewed'})
    >>> read_prompts(record).box
    (15.0, 5.0, 45.0, 35.0)
    """
    record = {
        "schema": SCHEMA,
        "engine": dict(engine) if isinstance(engine, dict) else engine_record(engine),
        "prompts": dict(prompts) if isinstance(prompts, dict) else prompts_record(prompts),
        "image": dict(image) if isinstance(image, dict) else image_record(image),
        "package_version": __version__,
        "created": created or _now(),
        "review": _review(review, by, at),
    }
    history = [dict(h) for h in history]
    if previous is not None:
        summary = _summary(previous)
        if isinstance(previous.get("prompts"), dict) and previous["prompts"] != record["prompts"]:
            summary["prompts"] = previous["prompts"]  # (a mask made again from less: the old prompts stay known)
        history = [summary] + history + [dict(h) for h in previous.get("history") or []]
        # keys another tool put on the record stay on it
        record.update({k: v for k, v in previous.items() if k not in record and k not in _OWN_KEYS})
    if history:
        record["history"] = history
    return record


#: The keys of a provenance record this package writes (others are another tool's, and stay).
_OWN_KEYS = frozenset({"schema", "engine", "prompts", "image", "package_version", "created", "review", "history"})


# -- reading -------------------------------------------------------------------------------
def record_of(annotation: dict) -> Optional[dict]:
    """The annotation's provenance record, or None when it has none."""
    record = annotation.get(KEY) if isinstance(annotation, dict) else None
    return record if isinstance(record, dict) else None


def has_prompts(annotation: dict) -> bool:
    """True when the annotation stores the prompts it was made from (so it can be replayed)."""
    record = record_of(annotation)
    return record is not None and isinstance(record.get("prompts"), dict) and bool(record["prompts"])


def _where(annotation_id) -> str:
    return "This provenance record" if annotation_id is None else f"The provenance of annotation {annotation_id!r}"


def _number_list(value, length: Optional[int] = None) -> bool:
    return (
        isinstance(value, list)
        and (length is None or len(value) == length)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )


def validate(record, *, annotation_id=None, shape=None) -> dict:
    """Check a provenance record; returns it, or raises :class:`InputError` saying what is wrong.

    ``shape`` (H, W) is the image's size from the COCO file: the record's image and its
    stroke and prior RLEs must be of that size.
    """
    where = _where(annotation_id)
    if not isinstance(record, dict):
        raise InputError(f"{where} is not a JSON object; remove the {KEY!r} key or write it again with the tool.")
    schema = record.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise InputError(
            f"{where} has the layout {schema!r}, which this version does not read (it reads {SCHEMA}); update interactive-seg."
        )
    engine = record.get("engine")
    if engine is not None:
        if not isinstance(engine, dict) or not isinstance(engine.get("name"), str) or not engine["name"]:
            raise InputError(f"{where} names no engine ('engine': {{'name': ...}}); write it again with the tool.")
        if not isinstance(engine.get("options", {}), dict):
            raise InputError(f"{where} has engine options that are not a JSON object; write it again with the tool.")
    review = record.get("review")
    if review is not None and (not isinstance(review, dict) or review.get("state") not in REVIEW_STATES):
        raise InputError(
            f"{where} has the review {review!r}; a review is a JSON object whose 'state' is one of "
            f"{', '.join(REVIEW_STATES)} (such as {{'state': 'unreviewed'}}); write it so, or remove it."
        )
    image = record.get("image")
    if shape is not None and isinstance(image, dict) and "width" in image and "height" in image:
        if (image.get("height"), image.get("width")) != (int(shape[0]), int(shape[1])):
            raise InputError(
                f"{where} was made on an image of {image.get('width')} x {image.get('height')} but the COCO file says "
                f"{int(shape[1])} x {int(shape[0])}; it belongs to another image."
            )
    prompts = record.get("prompts")
    if prompts is None:
        return record
    if not isinstance(prompts, dict):
        raise InputError(f"{where} has prompts that are not a JSON object; write it again with the tool.")
    unknown = sorted(set(prompts) - {"box", "points", "point_labels", "strokes", "prior"})
    if unknown:
        raise InputError(
            f"{where} has prompts this version does not know ({', '.join(unknown)}); update interactive-seg."
        )
    if "box" in prompts and not _number_list(prompts["box"], 4):
        raise InputError(f"{where} has the box {prompts['box']!r}; a box is four numbers [x0, y0, x1, y1].")
    if "points" in prompts:
        points, labels = prompts["points"], prompts.get("point_labels")
        if not isinstance(points, list) or not all(_number_list(p, 2) for p in points):
            raise InputError(f"{where} has points that are not [x, y] pairs.")
        if (
            not isinstance(labels, list)
            or len(labels) != len(points)
            or any(v not in (0, 1) or isinstance(v, bool) for v in labels)
        ):
            raise InputError(f"{where} needs one point label (1 foreground, 0 background) per point.")
    rles = []
    if "strokes" in prompts:
        strokes = prompts["strokes"]
        if not isinstance(strokes, dict) or not strokes or set(strokes) - {"foreground", "background"}:
            raise InputError(f"{where} has strokes that are not {{'foreground': RLE, 'background': RLE}}.")
        rles += [(f"{name} strokes", rle) for name, rle in strokes.items()]
    if "prior" in prompts:
        rles.append(("prior mask", prompts["prior"]))
    for name, rle in rles:
        size = rle.get("size") if isinstance(rle, dict) else None
        if not _number_list(size, 2):
            raise InputError(f"{where} has {name} that are not a COCO RLE ({{'size': [H, W], 'counts': ...}}).")
        height, width = int(size[0]), int(size[1])
        if shape is not None and (height, width) != (int(shape[0]), int(shape[1])):
            raise InputError(
                f"{where} has {name} of {width} x {height} but its image is {int(shape[1])} x {int(shape[0])}."
            )
        problem = segmentation_problem(rle, height, width, thorough=True)
        if problem:
            raise InputError(f"{where} has {name} that cannot be decoded ({problem}).")
    return record


def read_prompts(record, *, annotation_id=None, shape=None) -> Prompts:
    """The :class:`~interactive_seg.Prompts` a record stores, as they were given.

    Raises :class:`InputError` for a record without prompts or a damaged one.
    """
    validate(record, annotation_id=annotation_id, shape=shape)
    prompts = record.get("prompts")
    if not prompts:
        raise InputError(
            f"{_where(annotation_id)} stores no prompts, so the object cannot be made again; draw it anew."
        )
    scribbles = prior = None
    strokes = prompts.get("strokes")
    if strokes:
        height, width = (int(v) for v in next(iter(strokes.values()))["size"])
        scribbles = np.zeros((height, width), np.uint8)
        for name, value in (("foreground", FOREGROUND), ("background", BACKGROUND)):
            if name in strokes:
                scribbles[decode_segmentation(strokes[name], height, width)] = value
    if "prior" in prompts:
        height, width = (int(v) for v in prompts["prior"]["size"])
        prior = decode_segmentation(prompts["prior"], height, width)
    return Prompts(
        box=prompts.get("box"),
        points=prompts.get("points"),
        point_labels=prompts.get("point_labels"),
        scribbles=scribbles,
        prior=prior,
    )


def engine_spec(record, *, annotation_id=None) -> tuple:
    """``(engine name, options dict)`` of the engine that made the object: ``get_engine(name, **options)``."""
    validate(record, annotation_id=annotation_id)
    engine = record.get("engine")
    if not engine:
        raise InputError(f"{_where(annotation_id)} names no engine; give one (--engine).")
    return engine["name"], dict(engine.get("options") or {})


# -- review --------------------------------------------------------------------------------
def _review(state: str, by: Optional[str], at: Optional[str]) -> dict:
    if state not in REVIEW_STATES:
        raise InputError(f"The review state {state!r} is not one of {', '.join(REVIEW_STATES)}.")
    review = {"state": state}
    if by:
        review["by"] = str(by)
    if at or state != "unreviewed":  # a verdict says when it was given, whoever gave it
        review["at"] = at or _now()
    return review


def review_state(annotation: dict) -> str:
    """``unreviewed``, ``accepted`` or ``rejected`` (``unreviewed`` for an annotation without a record)."""
    record = record_of(annotation)
    review = record.get("review") if record is not None else None
    state = review.get("state") if isinstance(review, dict) else None
    return state if state in REVIEW_STATES else "unreviewed"


def set_review(annotation: dict, state: str, *, by: Optional[str] = None, at: Optional[str] = None) -> dict:
    """Set an annotation's review state (who and when, if given; when defaults to now for a verdict).

    An annotation without a provenance record gets one holding the review alone; every
    other key of the annotation stays. Returns the annotation.
    """
    review = _review(state, by, at)
    record = record_of(annotation)
    if record is None:
        annotation[KEY] = {"schema": SCHEMA, "review": review}
    else:
        old = record.get("review") if isinstance(record.get("review"), dict) else {}
        # keys another tool put in it (a comment) stay; the verdict's own are replaced
        record["review"] = {**{k: v for k, v in old.items() if k not in ("state", "by", "at")}, **review}
    return annotation


# -- replay --------------------------------------------------------------------------------
def _summary(record: dict) -> dict:
    """What ``history`` keeps of an earlier record: who made the mask, when, and its review."""
    return {k: record[k] for k in ("engine", "created", "package_version", "review") if k in record}


def replayed(record: dict, engine, *, changed: bool, created: Optional[str] = None) -> dict:
    """The record of an object made again by ``engine`` from the same prompts.

    The previous engine, time, version and review go to the front of ``history``; the
    review is reset to ``unreviewed`` when the mask ``changed``, kept otherwise.
    """
    previous = _summary(record)
    out = dict(record)
    out["engine"] = engine_record(engine) if not isinstance(engine, dict) else dict(engine)
    out["package_version"] = __version__
    out["created"] = created or _now()
    if changed or "review" not in record:
        out["review"] = {"state": "unreviewed"}
    out["history"] = [previous] + list(record.get("history") or [])
    return out
