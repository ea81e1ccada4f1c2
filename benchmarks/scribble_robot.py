"""Strokes alone on a folder without human scribbles (berkeley): strokes drawn by a robot user.

Usage::

    python benchmarks/scribble_robot.py DATASET [--kind sparse|dense] [--limit N]
                                        [--skip-none] [--option key=value ...]

DATASET is a folder of ``images/`` and ``masks/`` as for ``grabcut_bench.py``. The strokes
are made from each ground truth, deterministically, in the spirit of the human sets of
grabcut30:

- ``sparse`` (like set 1): one short foreground stroke (30 % of the object's length) along
  its main axis through the point deepest inside it, and four background strokes, the
  middle halves of the sides of the object's box grown by 15 % (plus 8 px);
- ``dense`` (like set 2): a foreground stroke of 70 % of the object's length, and
  background arcs on every other eighth of a ring 12-15 px outside the object.

Background stroke pixels within 5 px of the object (or its unlabelled band) are dropped.
Printed: mean IoU of this engine, of the engine with ``scribble_prior="none"`` (its start
before the geodesic prior) and of plain ``cv2.grabCut`` (cached as in grabcut_bench).
A check that the stroke prior carries over to photographs it was not tuned on; robot
strokes are not human strokes, so compare methods, not these figures with grabcut30's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grabcut_bench as gb  # noqa: E402

import interactive_seg as iseg  # noqa: E402


def robot_strokes(gt: np.ndarray, kind: str = "sparse"):
    """uint8 strokes (1 foreground, 2 background) for the largest object part of ``gt``,
    or None where no background stroke fits."""
    obj = (gt == 255).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(obj)
    if n < 2:
        return None
    part = (lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    dist = cv2.distanceTransform(np.pad(part, 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    ys, xs = np.nonzero(part)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    _, _, vt = np.linalg.svd(pts - pts.mean(0), full_matrices=False)
    axis = vt[0]
    length = np.ptp((pts - pts.mean(0)) @ axis)
    half = (0.15 if kind == "sparse" else 0.35) * length
    line = np.zeros(gt.shape, np.uint8)
    cv2.line(
        line,
        (int(x - axis[0] * half), int(y - axis[1] * half)),
        (int(x + axis[0] * half), int(y + axis[1] * half)),
        1,
        3,
    )
    strokes = np.zeros(gt.shape, np.uint8)
    strokes[(line > 0) & (dist > max(3.0, 0.25 * dist.max()))] = 1
    if not (strokes == 1).any():
        strokes[y, x] = 1
    h, w = gt.shape
    background = np.zeros(gt.shape, np.uint8)
    if kind == "sparse":
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max(), ys.max()
        gx, gy = 0.15 * (x1 - x0) + 8, 0.15 * (y1 - y0) + 8
        X0, Y0 = int(max(2, x0 - gx)), int(max(2, y0 - gy))
        X1, Y1 = int(min(w - 3, x1 + gx)), int(min(h - 3, y1 + gy))
        mx, my = (X1 - X0) // 4, (Y1 - Y0) // 4
        for a, b in (
            ((X0 + mx, Y0), (X1 - mx, Y0)),
            ((X0 + mx, Y1), (X1 - mx, Y1)),
            ((X0, Y0 + my), (X0, Y1 - my)),
            ((X1, Y0 + my), (X1, Y1 - my)),
        ):
            cv2.line(background, a, b, 1, 3)
    else:
        labelled = (gt >= 128).astype(np.uint8)
        ring = cv2.dilate(labelled, np.ones((31, 31), np.uint8)) - cv2.dilate(labelled, np.ones((25, 25), np.uint8))
        yy, xx = np.mgrid[:h, :w]
        angle = np.arctan2(yy - y, xx - x)
        background = ring * ((np.floor((angle + np.pi) / (np.pi / 4)) % 2) == 0)
    far = cv2.dilate((gt >= 128).astype(np.uint8), np.ones((11, 11), np.uint8)) == 0
    strokes[(background > 0) & far] = 2
    return strokes if (strokes == 2).any() else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--kind", choices=("sparse", "dense"), default="sparse")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip-none", action="store_true", help="skip the engine with scribble_prior=none")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "iseg_plain_cache")
    parser.add_argument("--option", action="append", help="engine option key=value, repeatable")
    parser.add_argument("--quiet", action="store_true", help="no per-image rows")
    args = parser.parse_args(argv)
    options = gb.parse_options(args.option)
    methods = [("ours", options)] + ([] if args.skip_none else [("none", dict(options, scribble_prior="none"))])
    scores = {key: [] for key, _ in methods + [("plain", None)]}
    for stem in gb.stems(args.dataset, None, args.limit):
        image, gt = gb.load_item(args.dataset, stem)
        strokes = robot_strokes(gt, args.kind)
        if strokes is None:
            continue
        row = {}
        for key, opts in methods:
            engine = iseg.get_engine("grabcut", **opts)
            engine.set_image(image)
            row[key] = gb.iou(engine.segment(iseg.Prompts(scribbles=strokes)).mask, gt)
        row["plain"] = gb.plain_scribbles(image, gt, strokes, args.cache)["iou"]
        for key, value in row.items():
            scores[key].append(value)
        if not args.quiet:
            print(f"{stem:12s} " + " ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    names = {"ours": "engine", "none": "engine, scribble_prior=none", "plain": "plain cv2.grabCut"}
    print(
        f"{args.dataset.name}, robot {args.kind} strokes, {len(scores['plain'])} images, engine options {options or 'defaults'}: "
        + ", ".join(f"{names[k]} {statistics.mean(v):.3f}" for k, v in scores.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
