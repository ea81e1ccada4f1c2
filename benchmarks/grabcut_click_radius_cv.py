"""What makes a click count as much as a short stroke: 2-fold cross-validation of a click setting.

Usage::

    python benchmarks/grabcut_click_radius_cv.py DATASET [DATASET ...] [--param NAME]
                                                [--radii 6,8,10,12] [--length PX] [--jobs N]

The one-step protocol of ``grabcut_click_vs_stroke_bench.py``: after the protocol's box,
the first correction (the peak of the distance transform of the larger error region) is
given as a click (a point and its radius-5 disk) or as a short stroke through the same
spot (5 px wide, ``--length`` px, 40 by default, along the error region's main axis). Each
click is run with every value of ``--radii`` of the setting ``--param``: ``min_click_radius``
(the click's disk on the working grid, the default), ``click_reach`` (how much farther a
click's prior reaches than a stroke's) or ``click_fit`` (a click's disk at most that many
times its distance from the mask's side it claims); strokes depend on none of them. All
from the same box call.

The rule: a click counts at least as much as a short stroke through the same spot. On
each half of the images (sorted stems, alternating, as ``grabcut_bench.py --half``; both
datasets pooled by the mean of their figures) the smallest radius whose mean IoU gain is
at least the stroke's is chosen (the largest gain where none is), and its figures are
printed on the other half; then the five images where the chosen click gains least
against the stroke.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grabcut_bench as gb  # noqa: E402
from grabcut_click_vs_stroke_bench import first_correction  # noqa: E402


def one_image(task):
    dataset, stem, radii, length, param = task
    found = first_correction(dataset, stem, {}, length)
    if found is None:
        return None
    engine, gt, first, positive, click, stroke = found
    before = gb.iou(first, gt)
    row = {"dataset": dataset.name, "stem": stem, "positive": positive, "click": {}}
    for radius in radii:
        twin = copy.deepcopy(engine)  # continues the same box call
        twin.settings = dataclasses.replace(engine.settings, **{param: float(radius)})
        row["click"][radius] = gb.iou(twin.segment(click).mask, gt) - before
    row["stroke"] = gb.iou(copy.deepcopy(engine).segment(stroke).mask, gt) - before
    return row


def gains(rows, radius):
    """(mean click gain, mean stroke gain) over the datasets' means."""
    by = {}
    for r in rows:
        by.setdefault(r["dataset"], []).append(r)
    click = statistics.mean(statistics.mean(r["click"][radius] for r in part) for part in by.values())
    stroke = statistics.mean(statistics.mean(r["stroke"] for r in part) for part in by.values())
    return click, stroke


def choose(rows, radii):
    meeting = [r for r in radii if gains(rows, r)[0] >= gains(rows, r)[1]]
    return min(meeting) if meeting else max(radii, key=lambda r: gains(rows, r)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--param", default="min_click_radius", choices=("min_click_radius", "click_reach", "click_fit"))
    parser.add_argument("--radii", default="6,8,10,12", help="the values of --param")
    parser.add_argument("--length", type=float, default=40.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    radii = [float(r) for r in args.radii.split(",")]
    tasks, halves = [], {}
    for dataset in args.datasets:
        for i, stem in enumerate(gb.stems(dataset, limit=args.limit)):
            tasks.append((dataset, stem, radii, args.length, args.param))
            halves[(dataset.name, stem)] = i % 2
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(one_image, tasks))
    else:
        rows = [one_image(t) for t in tasks]
    rows = [r for r in rows if r is not None]
    print(f"OpenCV {cv2.__version__}; stroke {args.length:g} px; IoU gain over the box, mean of the datasets' means")
    print(f"set            {args.param:>16s}  click gain  stroke gain  click / stroke")
    parts = {"all": rows, "half 0": [], "half 1": []}
    for r in rows:
        parts[f"half {halves[(r['dataset'], r['stem'])]}"].append(r)
    for name, part in parts.items():
        for radius in radii:
            c, s = gains(part, radius)
            print(f"{name:14s} {radius:16g}  {c:+10.4f}  {s:+11.4f}  {c / s if s else float('nan'):14.2f}")
    for name in args.datasets:
        part = [r for r in rows if r["dataset"] == name.name]
        for radius in radii:
            c, s = gains(part, radius)
            print(f"{name.name:14s} {radius:16g}  {c:+10.4f}  {s:+11.4f}  {c / s if s else float('nan'):14.2f}")
    print("\n2-fold cross-validation (chosen on one half, reported on the other)")
    for train, test in (("half 0", "half 1"), ("half 1", "half 0")):
        pick = choose(parts[train], radii)
        c, s = gains(parts[test], pick)
        print(f"tuned on {train}: {args.param} {pick:g}; held-out {test}: click {c:+.4f}, stroke {s:+.4f}")
        worst = sorted(parts[test], key=lambda r: r["click"][pick] - r["stroke"])[:5]
        for r in worst:
            print(
                f"  {r['dataset']} {r['stem']} ({'fg' if r['positive'] else 'bg'}): click {r['click'][pick]:+.4f}, "
                f"stroke {r['stroke']:+.4f}"
            )


if __name__ == "__main__":
    main()
