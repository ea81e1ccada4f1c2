"""What every source of proposals gives and takes: :class:`Proposal` and :class:`Proposer`.

A proposal is an object a model suggests and an annotator accepts or rejects: a mask,
kept as its bounding-box crop and the crop's offset (forty cars in a 4000 x 3000 photo do
not need forty full-size masks), a score in [0, 1], a label (the phrase asked for, or
"" when the source has none) and the name of the source that made it.

Plain numpy: nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import InputError

__all__ = ["Proposal", "Proposer", "check_boxes", "iou", "keep"]


@dataclass(frozen=True)
class Proposal:
    """One proposed object.

    Attributes
    ----------
    crop : ndarray of bool
        The mask inside its bounding box.
    offset : (int, int)
        ``(x0, y0)``: where the crop's top-left pixel lies in the image.
    shape : (int, int)
        ``(height, width)`` of the image.
    score : float
        The source's confidence, in [0, 1].
    label : str
        The phrase the proposal answers, or "".
    source : str
        The source's name (``concept``, ``everything``).
    info : dict
        Whatever else the source says (predicted IoU, stability, model).
    """

    crop: np.ndarray
    offset: tuple
    shape: tuple
    score: float
    label: str = ""
    source: str = ""
    info: dict = field(default_factory=dict)

    @classmethod
    def from_mask(cls, mask, score: float, label: str = "", source: str = "", **info) -> Proposal | None:
        """The proposal of a full-size boolean mask (None when the mask is empty)."""
        mask = np.asarray(mask, bool)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size == 0:
            return None
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return cls(
            mask[y0:y1, x0:x1].copy(),
            (x0, y0),
            tuple(int(v) for v in mask.shape[:2]),
            float(score),
            str(label),
            str(source),
            dict(info),
        )

    @property
    def mask(self) -> np.ndarray:
        """The mask at image size (made on each call)."""
        full = np.zeros(self.shape, bool)
        x0, y0 = self.offset
        full[y0 : y0 + self.crop.shape[0], x0 : x0 + self.crop.shape[1]] = self.crop
        return full

    @property
    def bbox(self) -> tuple:
        """``(x0, y0, x1, y1)`` in image pixels (x1, y1 exclusive)."""
        x0, y0 = self.offset
        return (x0, y0, x0 + self.crop.shape[1], y0 + self.crop.shape[0])

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.crop))


@runtime_checkable
class Proposer(Protocol):
    """A source of proposals: a model loaded once, then asked image by image.

    ``propose(image, text=None, boxes=())`` returns the proposals for one image (any array
    :func:`interactive_seg.image.as_rgb8` takes), best first. A source that needs a phrase
    or boxes raises :class:`~interactive_seg.errors.InputError` without them; a source that
    takes none ignores them.

    ``steps(image, text=None, boxes=())`` does the same step by step, for a GUI worker: it
    yields fractions done, then the list; closing it early stops the work.
    """

    name: str

    def propose(self, image, text: str | None = None, boxes=()) -> list: ...

    def steps(self, image, text: str | None = None, boxes=()): ...


def keep(proposals, min_score: float = 0.0, min_area: int = 0) -> list:
    """The proposals with ``score >= min_score`` and at least ``min_area`` pixels, best first."""
    if not 0.0 <= float(min_score) <= 1.0:
        raise InputError(f"The minimum score must lie between 0 and 1; got {min_score}.")
    if int(min_area) < 0:
        raise InputError(f"The minimum area must be 0 or more pixels; got {min_area}.")
    kept = [p for p in proposals if p.score >= min_score and p.area >= min_area]
    return sorted(kept, key=lambda p: -p.score)


def check_boxes(boxes, shape) -> list:
    """Example boxes as ``[x0, y0, x1, y1]`` floats inside the image, checked (one sentence when wrong)."""
    out = []
    height, width = shape[:2]
    for box in boxes or ():
        try:
            x0, y0, x1, y1 = (float(v) for v in box)
        except (TypeError, ValueError):
            raise InputError(f"An example box must be four numbers x0,y0,x1,y1; got {box!r}.") from None
        if not (x1 > x0 and y1 > y0):
            raise InputError(f"The example box {box!r} is empty: x1 must exceed x0 and y1 exceed y0.")
        if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
            raise InputError(f"The example box {box!r} lies outside the {width} x {height} image.")
        out.append([max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)])
    return out


def iou(proposal: Proposal, crop: np.ndarray, offset) -> float:
    """The IoU of ``proposal`` with another mask given as a crop at ``offset`` ``(x0, y0)``, in the same image."""
    ax0, ay0, ax1, ay1 = proposal.bbox
    bx0, by0 = int(offset[0]), int(offset[1])
    bx1, by1 = bx0 + crop.shape[1], by0 + crop.shape[0]
    area_a, area_b = proposal.area, int(np.count_nonzero(crop))
    x0, y0, x1, y1 = max(ax0, bx0), max(ay0, by0), min(ax1, bx1), min(ay1, by1)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    a = proposal.crop[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
    b = crop[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
    both = int(np.count_nonzero(a & b))
    union = area_a + area_b - both
    return both / union if union else 0.0
