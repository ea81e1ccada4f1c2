"""Prompts for one object: a box, clicked points, brushed scribbles and a prior mask."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from .errors import InputError

__all__ = ["Prompts", "FOREGROUND", "BACKGROUND"]

#: Scribble value for a foreground stroke (also the label of a positive point).
FOREGROUND = 1
#: Scribble value for a background stroke. Points use label 0 for background.
BACKGROUND = 2


@dataclass(frozen=True, eq=False)
class Prompts:
    """Everything the user said about one object.

    Coordinates are image pixels, x to the right and y down.

    Parameters
    ----------
    box : tuple of 4 numbers, optional
        ``(x0, y0, x1, y1)``, the object's bounding box; ``x1``/``y1`` are exclusive
        pixel edges, so ``(0, 0, W, H)`` is the whole image.
    points : array_like of shape (N, 2), optional
        Clicked ``(x, y)`` positions.
    point_labels : array_like of shape (N,), optional
        1 for a foreground (positive) click, 0 for background (negative). Defaults to all
        foreground.
    scribbles : array_like of shape (H, W), optional
        uint8 brush strokes: 0 none, 1 foreground, 2 background.
    prior : array_like of shape (H, W), optional
        A previous mask of this object (bool), refined by the other prompts.

    Examples
    --------
    >>> p = Prompts(box=(10, 20, 110, 90), points=[(60, 50)], point_labels=[1])
    >>> p.has_marks
    True
    """

    box: Optional[tuple] = None
    points: Optional[np.ndarray] = None
    point_labels: Optional[np.ndarray] = None
    scribbles: Optional[np.ndarray] = None
    prior: Optional[np.ndarray] = None
    # (H, W) of the scribbles and prior as given: all-zero ones become None, but a wrong
    # shape is still a mistake that validated() reports
    _shapes: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        box = self.box
        if box is not None:
            try:
                box = tuple(float(v) for v in np.asarray(box, dtype=float).ravel())
            except (TypeError, ValueError) as exc:
                raise InputError(f"The box {self.box!r} is not four numbers (x0, y0, x1, y1).") from exc
            if len(box) != 4 or not all(np.isfinite(box)):
                raise InputError(f"The box {self.box!r} must be four finite numbers (x0, y0, x1, y1).")
            x0, y0, x1, y1 = box
            box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        object.__setattr__(self, "box", box)

        points, labels = self.points, self.point_labels
        if points is not None:
            try:
                points = np.asarray(points, dtype=float).reshape(-1, 2) if np.size(points) else np.zeros((0, 2))
            except (TypeError, ValueError) as exc:
                raise InputError("Points must be (x, y) pairs, an array of shape (N, 2).") from exc
            if not np.isfinite(points).all():
                raise InputError("Points must be finite (x, y) pixel positions.")
            if labels is None:
                labels = np.ones(len(points), dtype=np.int64)
            labels = np.asarray(labels).ravel()
            if len(labels) != len(points):
                raise InputError(
                    f"There are {len(points)} points but {len(labels)} point labels; give one label "
                    "per point (1 foreground, 0 background)."
                )
            if not np.isin(labels, (0, 1)).all():
                raise InputError("Point labels must be 1 (foreground) or 0 (background).")
            labels = labels.astype(np.int64)
            if len(points) == 0:
                points, labels = None, None
        elif labels is not None and np.size(labels):
            raise InputError("Point labels were given without points; pass points=[(x, y), ...] too.")
        else:
            labels = None
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "point_labels", labels)

        scribbles = self.scribbles
        if scribbles is not None:
            scribbles = np.asarray(scribbles)
            if scribbles.ndim != 2:
                raise InputError(f"Scribbles must be one 2-D label array (H, W); got shape {scribbles.shape}.")
            if not _values_within(scribbles, BACKGROUND):
                raise InputError("Scribbles may only hold 0 (none), 1 (foreground) and 2 (background).")
            scribbles = scribbles.astype(np.uint8, copy=False)
            self._shapes["scribbles"] = scribbles.shape
            if not scribbles.any():
                scribbles = None
        object.__setattr__(self, "scribbles", scribbles)

        prior = self.prior
        if prior is not None:
            prior = np.asarray(prior)
            if prior.ndim != 2:
                raise InputError(f"The prior mask must be 2-D (H, W); got shape {prior.shape}.")
            prior = prior.astype(bool, copy=False)
            self._shapes["prior mask"] = prior.shape
            if not prior.any():
                prior = None
        object.__setattr__(self, "prior", prior)

    @property
    def has_marks(self) -> bool:
        """True when there are points or scribbles."""
        return self.points is not None or self.scribbles is not None

    @property
    def is_empty(self) -> bool:
        """True when nothing at all was given."""
        return self.box is None and not self.has_marks and self.prior is None

    def validated(self, shape) -> Prompts:
        """Check the prompts against an image of ``shape`` (H, W, ...); return them clipped.

        A box partly outside the image is clipped to it. A box wholly outside or of zero
        area, points off the image, and scribbles or a prior of another shape raise
        :class:`InputError`.
        """
        h, w = int(shape[0]), int(shape[1])
        for name, given in self._shapes.items():  # the arrays' shapes, empty or not
            if given != (h, w):
                raise InputError(
                    f"The {name} have shape {given} but the image is {h} x {w}; "
                    "draw them on this image (same height and width)."
                )
        if self.is_empty:
            raise InputError("No prompts: draw a box, click a point or brush a scribble on the object.")
        box = self.box
        if box is not None:
            x0, y0, x1, y1 = box
            if x1 - x0 < 1 or y1 - y0 < 1:
                raise InputError(f"The box {_fmt_box(box)} has zero area; drag a box at least one pixel wide and high.")
            cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, float(w)), min(y1, float(h))
            if cx1 - cx0 < 1 or cy1 - cy0 < 1:
                raise InputError(
                    f"The box {_fmt_box(box)} lies outside the image ({w} x {h} pixels); draw it on the image."
                )
            box = (cx0, cy0, cx1, cy1)
        if self.points is not None:
            xs, ys = self.points[:, 0], self.points[:, 1]
            off = (xs < 0) | (ys < 0) | (xs >= w) | (ys >= h)
            if off.any():
                x, y = self.points[np.argmax(off)]
                raise InputError(
                    f"The point {_fmt_box((x, y))} is off the image ({w} x {h} pixels); click on the image."
                )
        return replace(self, box=box)

    def marks(self, shape, radius: float = 5) -> np.ndarray:
        """Points and scribbles as one uint8 label array: 0 none, 1 foreground, 2 background.

        Each point becomes a filled disk of ``radius`` pixels. Where a foreground and a
        background mark overlap, the later kind (points over scribbles) wins.
        """
        import cv2

        h, w = int(shape[0]), int(shape[1])
        out = np.zeros((h, w), np.uint8) if self.scribbles is None else self.scribbles.copy()
        if self.points is not None:
            r = max(int(round(radius)), 0)
            for (x, y), label in zip(self.points, self.point_labels):
                value = FOREGROUND if label == 1 else BACKGROUND
                cv2.circle(out, (int(x), int(y)), r, int(value), thickness=-1)
        return out

    def marks_window(self, shape, radius: float = 5):
        """:meth:`marks` over the smallest window that holds every mark, without building
        the image-sized array: ``((x0, y0, x1, y1), labels)`` with ``labels`` equal to
        ``marks(shape, radius)[y0:y1, x0:x1]`` and nothing marked outside the window, or
        ``None`` when there are no marks. On a 12-megapixel photo this costs ~3 ms where
        the full array and its scans cost ~60 ms.

        >>> window, labels = Prompts(points=[(10, 10)]).marks_window((20, 20), radius=3)
        >>> window, int(labels.sum())
        ((7, 7, 14, 14), 29)
        """
        if not self.has_marks:
            return None
        return _marks_window(self, shape, radius)


def _marks_window(prompts: Prompts, shape, radius: float):
    """See :meth:`Prompts.marks_window`."""
    import cv2

    h, w = int(shape[0]), int(shape[1])
    r = max(int(round(radius)), 0)
    boxes = []
    if prompts.scribbles is not None:
        x, y, bw, bh = cv2.boundingRect(np.ascontiguousarray(prompts.scribbles))
        if bw and bh:
            boxes.append((x, y, x + bw, y + bh))
    if prompts.points is not None:
        for x, y in prompts.points:
            boxes.append((int(x) - r, int(y) - r, int(x) + r + 1, int(y) + r + 1))
    x0, y0 = max(0, min(b[0] for b in boxes)), max(0, min(b[1] for b in boxes))
    x1, y1 = min(w, max(b[2] for b in boxes)), min(h, max(b[3] for b in boxes))
    if x1 <= x0 or y1 <= y0:
        return None
    if prompts.scribbles is None:
        out = np.zeros((y1 - y0, x1 - x0), np.uint8)
    else:
        out = prompts.scribbles[y0:y1, x0:x1].copy()
    if prompts.points is not None:
        for (x, y), label in zip(prompts.points, prompts.point_labels):
            value = FOREGROUND if label == 1 else BACKGROUND
            cv2.circle(out, (int(x) - x0, int(y) - y0), r, int(value), thickness=-1)
    return (x0, y0, x1, y1), out


def _values_within(values: np.ndarray, top: int) -> bool:
    """True when every value is a whole number from 0 to ``top``.

    A range check, not ``np.isin``: this runs in napari's event handler on every stroke,
    and ``np.isin`` takes ~0.5 s on a 12-megapixel label image, a min/max ~1 ms.
    """
    if values.size == 0:
        return True
    if values.dtype == bool:
        return True
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
        return False
    if values.min() < 0 or values.max() > top:
        return False
    return np.issubdtype(values.dtype, np.integer) or bool((values == np.round(values)).all())


def _fmt_box(box) -> str:
    """Coordinates as a message shows them: whole pixels (a click lands at 700.391)."""
    return "(" + ", ".join(_fmt_number(v) for v in box) + ")"


def _fmt_number(value) -> str:
    return f"{float(value):.0f}" if abs(float(value)) >= 10 else f"{float(value):.3g}"
