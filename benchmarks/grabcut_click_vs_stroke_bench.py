"""One corrective click against one short stroke through the same spot, in one run.

Usage::

    python benchmarks/grabcut_click_vs_stroke_bench.py DATASET [--limit N] [--length PX]
                                                      [--jobs N] [--option key=value ...]

The NoC protocol of ``grabcut_bench.py`` (the tight box grown by 5 % per side, then a
corrective click at the peak of the distance transform of the larger error region), one
step: after the box, the first correction is given either as a click (a point plus its
radius-5 disk, as the protocol gives it) or as a short stroke through the same spot
(5 px wide, ``--length`` px long, 40 by default, along the main axis of the error region
that holds the spot, clipped to it). Printed per kind of correction (foreground: pixels
missing; background: pixels wrongly kept): the number of images, the mean IoU gain of the
click and of the stroke, and the mean number of pixels each one changed in the mask.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grabcut_bench as gb  # noqa: E402

import interactive_seg as iseg  # noqa: E402


def stroke_through(error: np.ndarray, x: int, y: int, length: float) -> np.ndarray:
    """A 5 px wide stroke of ``length`` through (x, y) along the main axis of the error
    region holding it, clipped to that region (bool, image-sized)."""
    _, parts = cv2.connectedComponents(error.astype(np.uint8), connectivity=8)
    part = parts == parts[y, x]
    ys, xs = np.nonzero(part)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    direction = np.array([1.0, 0.0])
    if len(pts) > 2:
        cov = np.cov((pts - pts.mean(0)).T)
        direction = np.linalg.eigh(cov)[1][:, -1]
    half = direction * length / 2
    line = np.zeros(error.shape, np.uint8)
    a = (int(round(x - half[0])), int(round(y - half[1])))
    b = (int(round(x + half[0])), int(round(y + half[1])))
    cv2.line(line, a, b, 1, 5)
    return line.astype(bool) & part


def first_correction(dataset, stem, options, length):
    """The box call and the protocol's first correction after it, as a click and as a
    stroke: ``(engine, gt, first, positive, click, stroke)``, the engine just after the
    box call (deep-copy it to continue it more than once), ``first`` the box's mask,
    ``click`` and ``stroke`` the two corrections' Prompts; ``None`` when the box's mask
    leaves no error to correct."""
    image, gt = gb.load_item(dataset, stem)
    box = gb.protocol_box(gt)
    engine = iseg.get_engine("grabcut", **options)
    engine.set_image(image)
    first = engine.segment(iseg.Prompts(box=box)).mask
    found = gb.next_click(first, gt)
    if found is None:
        return None
    x, y, positive = found
    x, y = int(x), int(y)
    # the click, as the protocol gives it: a point and its radius-5 disk
    disk = np.zeros(gt.shape, np.uint8)
    cv2.circle(disk, (x, y), gb.RADIUS, 1 if positive else 2, -1)
    click = iseg.Prompts(box=box, points=[(x, y)], point_labels=[1 if positive else 0], scribbles=disk)
    # the stroke through the same spot, along the error region's main axis
    valid = gt != 128
    error = ((gt == 255) & ~first & valid) if positive else ((gt == 0) & first & valid)
    marks = np.zeros(gt.shape, np.uint8)
    marks[stroke_through(error, x, y, length)] = 1 if positive else 2
    return engine, gt, first, bool(positive), click, iseg.Prompts(box=box, scribbles=marks)


def one_image(task):
    dataset, stem, options, length = task
    found = first_correction(dataset, stem, options, length)
    if found is None:
        return None
    engine, gt, first, positive, click, stroke = found
    before = gb.iou(first, gt)
    clicked = copy.deepcopy(engine).segment(click).mask  # both continue the same box call
    stroked = engine.segment(stroke).mask
    return {
        "stem": stem,
        "positive": positive,
        "click_gain": gb.iou(clicked, gt) - before,
        "stroke_gain": gb.iou(stroked, gt) - before,
        "click_changed": int(np.count_nonzero(clicked != first)),
        "stroke_changed": int(np.count_nonzero(stroked != first)),
        "stroke_pixels": int(np.count_nonzero(stroke.scribbles)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--length", type=float, default=40.0, help="stroke length in image pixels")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--option", action="append", help="engine option key=value, repeatable")
    args = parser.parse_args(argv)
    options = gb.parse_options(args.option or [])
    tasks = [(args.dataset, stem, options, args.length) for stem in gb.stems(args.dataset, limit=args.limit)]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(one_image, tasks))
    else:
        rows = [one_image(t) for t in tasks]
    rows = [r for r in rows if r is not None]
    print(f"OpenCV {cv2.__version__}; {args.dataset.name}, options {options or 'defaults'}, stroke {args.length:g} px")
    print("correction   images  IoU gain click  IoU gain stroke  px changed click  px changed stroke")
    for name, kind in (("foreground", True), ("background", False), ("all", None)):
        part = [r for r in rows if kind is None or r["positive"] == kind]
        if not part:
            continue
        m = {key: statistics.mean(r[key] for r in part) for key in part[0] if key not in ("stem", "positive")}
        print(
            f"{name:12s} {len(part):6d}  {m['click_gain']:+14.4f}  {m['stroke_gain']:+15.4f}"
            f"  {m['click_changed']:16.0f}  {m['stroke_changed']:17.0f}"
        )


if __name__ == "__main__":
    main()
