"""How scribbles should reach SAM: points per stroke, measured on grabcut30 with real weights.

Usage::

    python benchmarks/sam_scribbles_bench.py PATH/TO/grabcut30 --checkpoint sam_vit_b_01ec64.pth [--model-type vit_b]
    python benchmarks/sam_scribbles_bench.py PATH/TO/grabcut30 --random-weights --limit 2   # checks the script only

SAM takes points, not strokes; the engine turns each connected stroke into
``points_per_stroke`` points spread along it. This script simulates what an annotator
brushes on each image of the dataset (a foreground stroke along the object's longest
inner line, a background stroke round the object about 15 px outside it) and prints the
mean IoU against the ground truth for several numbers of points per stroke, with the
strokes alone and with the protocol's box. The figures mean something only with real
weights (``interactive-seg models download vit_b``); with ``--random-weights`` they are
noise and the run only shows that the script works.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from grabcut_bench import iou, load, protocol_box  # noqa: E402

RULES = (1, 2, 3, 5, 10)


def simulated_strokes(gt: np.ndarray) -> np.ndarray:
    """uint8 scribbles: 1 along the object's inner ridge, 2 on a ring ~15 px outside it."""
    obj = (gt == 255).astype(np.uint8)
    scribbles = np.zeros(gt.shape, np.uint8)
    dist = cv2.distanceTransform(obj, cv2.DIST_L2, 5)
    inner = dist >= max(3.0, 0.5 * float(dist.max()))
    ys, xs = np.nonzero(inner)
    if ys.size:
        # along the longest direction of the inner part, the median of the other
        # coordinate in 30 bins: a smooth stroke from one end to the other
        along, across = (xs, ys) if np.ptp(xs) >= np.ptp(ys) else (ys, xs)
        edges = np.linspace(along.min(), along.max() + 1, 31)
        which = np.digitize(along, edges) - 1
        points = [
            (int(np.median(along[which == b])), int(np.median(across[which == b])))
            for b in range(30)
            if (which == b).any()
        ]
        line = np.array([(a, c) if np.ptp(xs) >= np.ptp(ys) else (c, a) for a, c in points])
        cv2.polylines(scribbles, [line.astype(np.int32)], False, 1, 3)
        scribbles[(scribbles == 1) & (obj == 0)] = 0
    ring = cv2.dilate(obj, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (31, 31)))
    contours, _ = cv2.findContours(ring, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outside = np.zeros(gt.shape, np.uint8)
    cv2.drawContours(outside, contours, -1, 1, 3)
    scribbles[(outside == 1) & (gt == 0)] = 2
    return scribbles


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--checkpoint", type=Path, help="official SAM checkpoint")
    parser.add_argument("--model-type", default="vit_b")
    parser.add_argument(
        "--random-weights", action="store_true", help="random vit_b: checks the script, figures are noise"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.checkpoint and not args.random_weights:
        parser.error("give --checkpoint (real weights) or --random-weights (script check only)")

    import interactive_seg as iseg

    options = dict(device=args.device, cache_dir=tempfile.mkdtemp())
    if args.random_weights:
        import torch
        from segment_anything import sam_model_registry

        torch.manual_seed(0)
        options["model"] = sam_model_registry["vit_b"](checkpoint=None).eval()
    else:
        options.update(model_type=args.model_type, checkpoint=args.checkpoint)
    engines = {n: iseg.get_engine("sam", points_per_stroke=n, **options) for n in RULES}
    scores = {(n, with_box): [] for n in RULES for with_box in (False, True)}
    items = load(args.dataset, args.limit)
    for _stem, image, gt in items:
        scribbles = simulated_strokes(gt)
        box = protocol_box(gt)
        for n, engine in engines.items():
            engine.set_image(image)
            for with_box in (False, True):
                engine.reset()
                prompts = iseg.Prompts(scribbles=scribbles, box=box if with_box else None)
                scores[(n, with_box)].append(iou(engine.segment(prompts).mask, gt))
    weights = (
        "random weights (figures are noise)" if args.random_weights else f"{args.model_type} {args.checkpoint.name}"
    )
    print(f"{len(items)} images, {weights}")
    print()
    print("| points per stroke | mIoU, strokes only | mIoU, strokes and box |")
    print("|---|---|---|")
    for n in RULES:
        print(f"| {n} | {statistics.mean(scores[(n, False)]):.3f} | {statistics.mean(scores[(n, True)]):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
