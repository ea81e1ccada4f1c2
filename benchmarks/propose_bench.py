"""`everything` proposals: SAM 2.1 tiny in interactive_seg beside segment_anything's
SamAutomaticMaskGenerator with vit_b, the same image, grid and filters, in one run.

Usage::

    python benchmarks/propose_bench.py [--points-per-side 8] [--threads 2] [--device cpu] [--image PATH]

Full-size models with random weights (built as in sam_bench.py; the time does not depend on
the weights). The image: a sample photo resized to 1024 x 768. Each side is timed once from
a cold image (the image encoder included, no embedding cache), after a warm-up on another
image. Random weights make random scores, so the filters are loosened (predicted IoU and
stability 0, NMS 0.7) on both sides: every mask goes through the same filtering work.
The goal of issue 32: SAM 2.1 tiny in <= 0.5 x the generator's time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points-per-side", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--image", type=Path, default=ROOT / "sample_images" / "rocket.jpg")
    args = parser.parse_args(argv)

    import torch
    from sam_bench import build
    from segment_anything import SamAutomaticMaskGenerator

    import interactive_seg as iseg
    from interactive_seg.proposals import get_proposer
    from interactive_seg.proposals.everything import Filters

    torch.set_num_threads(args.threads)
    image = cv2.resize(iseg.read_image(args.image)[..., :3], (1024, 768), interpolation=cv2.INTER_CUBIC)
    other = np.ascontiguousarray(image[::-1])
    filters = Filters(pred_iou=0.0, stability=0.0, nms=0.7)
    n = args.points_per_side
    print(
        f"'everything' on a 1024x768 image, {n}x{n} grid, device {args.device}, {args.threads} torch threads, "
        f"full-size random weights; filters: predicted IoU {filters.pred_iou}, stability {filters.stability}, NMS {filters.nms}"
    )
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = build("sam2.1_hiera_tiny", Path(tmp), args.device, args.threads, str(Path(tmp) / "cache"))
        ours = get_proposer("everything", engine=engine, points_per_side=n, filters=filters)
        ours.propose(other)  # warm-up
        start = time.perf_counter()
        found = ours.propose(image)
        rows["interactive_seg everything, sam2.1_hiera_tiny"] = (time.perf_counter() - start, len(found))
        del ours, engine

        from segment_anything import sam_model_registry

        torch.manual_seed(0)
        model = sam_model_registry["vit_b"](checkpoint=None).to(args.device).eval()
        generator = SamAutomaticMaskGenerator(
            model,
            points_per_side=n,
            points_per_batch=64,
            pred_iou_thresh=filters.pred_iou,
            stability_score_thresh=filters.stability,
            box_nms_thresh=filters.nms,
        )
        generator.generate(other)  # warm-up
        start = time.perf_counter()
        masks = generator.generate(image)
        rows["SamAutomaticMaskGenerator, vit_b (baseline)"] = (time.perf_counter() - start, len(masks))
    print("| what | seconds | proposals |")
    print("|---|---:|---:|")
    for name, (seconds, count) in rows.items():
        print(f"| {name} | {seconds:.2f} | {count} |")
    (ours_s, _), (base_s, _) = rows.values()
    print(
        f"ratio {ours_s / base_s:.2f} x the baseline; goal <= 0.5 x: {'met' if ours_s <= 0.5 * base_s else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
