"""SAM engine against stock SamPredictor, side by side on the same embedding, in one run.

Usage::

    python benchmarks/sam_stock_bench.py [--device cpu|cuda] [--threads N] [--repeats N] [--image PATH]
    python benchmarks/sam_bench.py --stock [...]   # the same, from the families benchmark

Builds a full-size vit_b with random weights (speed does not depend on the weights),
uses one 1440x1080 image (a sample photo resized) and the same thread count for both,
and prints: (1) prompt-to-mask latency, median over box and point prompts, for this
engine and for stock ``SamPredictor.predict``, with the IoU of their masks, and the same for
a second click on the same object (previous logits as mask input); (2)
``set_image`` time for both; (3) loading the embedding from the disk cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per prompt")
    parser.add_argument("--image", type=Path, default=ROOT / "sample_images" / "rocket.jpg")
    args = parser.parse_args(argv)

    import torch
    from segment_anything import SamPredictor, sam_model_registry

    import interactive_seg as iseg

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    image = cv2.resize(iseg.read_image(args.image)[..., :3], (1440, 1080), interpolation=cv2.INTER_CUBIC)
    torch.manual_seed(0)
    model = sam_model_registry["vit_b"](checkpoint=None).to(args.device).eval()
    cache = tempfile.mkdtemp()
    engine = iseg.get_engine("sam", model=model, device=args.device, cache_dir=cache, threads=threads)
    predictor = SamPredictor(model)
    print(f"vit_b (random weights), image 1440x1080, device {args.device}, {threads} torch threads")

    def sync():
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    t = time.perf_counter()
    predictor.set_image(image)
    sync()
    stock_embed = time.perf_counter() - t
    t = time.perf_counter()
    engine.set_image(image)
    sync()
    ours_embed = time.perf_counter() - t

    # (3) a second engine in a "new process": nothing in memory, the embedding on disk
    engine.cache.forget_memory()
    fresh = iseg.get_engine("sam", model=model, device=args.device, cache_dir=cache, threads=threads)
    t = time.perf_counter()
    fresh.set_image(image.copy())
    sync()
    cache_load = time.perf_counter() - t
    assert fresh.cache.hits["disk"] >= 1

    rng = np.random.default_rng(0)
    prompts = []
    for _ in range(4):
        x0, y0 = rng.integers(0, 900), rng.integers(0, 600)
        w, h = rng.integers(150, 500), rng.integers(150, 450)
        box = (float(x0), float(y0), float(min(1440, x0 + w)), float(min(1080, y0 + h)))
        prompts.append(("box", iseg.Prompts(box=box), dict(box=np.array(box, np.float32), multimask_output=False)))
    for _ in range(4):
        x, y = rng.integers(0, 1440), rng.integers(0, 1080)
        prompts.append(
            (
                "point",
                iseg.Prompts(points=[(x + 0.5, y + 0.5)]),
                dict(point_coords=np.array([[x, y]], np.float32), point_labels=np.array([1]), multimask_output=True),
            )
        )

    ours_t, stock_t, ious = [], [], []
    for _kind, ours_prompt, stock_args in prompts:
        for _ in range(args.repeats):
            fresh.reset()
            t = time.perf_counter()
            mask = fresh.segment(ours_prompt).mask
            sync()
            ours_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            masks, scores, _ = predictor.predict(**stock_args)
            best = masks[int(np.argmax(scores))]
            sync()
            stock_t.append(time.perf_counter() - t)
        union = np.count_nonzero(mask | best)
        ious.append(np.count_nonzero(mask & best) / union if union else 1.0)

    # a second click on the same object: the previous mask's logits go in as mask input
    ref_ours, ref_stock, ref_ious = [], [], []
    for kind, ours_prompt, stock_args in prompts:
        if kind != "point":
            continue
        ((x, y),) = stock_args["point_coords"]
        second = (float(min(1439, x + 40)), float(min(1079, y + 30)))
        coords = np.array([[x, y], second], np.float32)
        for _ in range(args.repeats):
            fresh.reset()
            fresh.segment(ours_prompt)
            t = time.perf_counter()
            mask = fresh.segment(iseg.Prompts(points=[(x + 0.5, y + 0.5), (second[0] + 0.5, second[1] + 0.5)])).mask
            sync()
            ref_ours.append(time.perf_counter() - t)
            masks, scores, low = predictor.predict(**stock_args)
            t = time.perf_counter()
            masks, scores, _ = predictor.predict(
                point_coords=coords,
                point_labels=np.array([1, 1]),
                mask_input=low[int(np.argmax(scores))][None],
                multimask_output=False,
            )
            sync()
            ref_stock.append(time.perf_counter() - t)
        best = masks[int(np.argmax(scores))]
        union = np.count_nonzero(mask | best)
        ref_ious.append(np.count_nonzero(mask & best) / union if union else 1.0)

    ours_ms, stock_ms = statistics.median(ours_t) * 1000, statistics.median(stock_t) * 1000
    ref_ours_ms, ref_stock_ms = statistics.median(ref_ours) * 1000, statistics.median(ref_stock) * 1000
    print()
    print("| measure | interactive_seg | stock SamPredictor | ratio |")
    print("|---|---|---|---|")
    print(
        f"| prompt-to-mask, median of {len(ours_t)} (box and point) | {ours_ms:.1f} ms | {stock_ms:.1f} ms | {ours_ms / stock_ms:.2f} |"
    )
    print(f"| mask IoU against stock, min over {len(ious)} prompts | {min(ious):.4f} | 1 | |")
    print(
        f"| second click on the same object (mask input), median of {len(ref_ours)} | {ref_ours_ms:.1f} ms "
        f"| {ref_stock_ms:.1f} ms | {ref_ours_ms / ref_stock_ms:.2f} |"
    )
    print(f"| mask IoU against stock after the second click, min over {len(ref_ious)} | {min(ref_ious):.4f} | 1 | |")
    print(f"| set_image (image encoder) | {ours_embed:.2f} s | {stock_embed:.2f} s | {ours_embed / stock_embed:.2f} |")
    print(f"| embedding loaded from the disk cache | {cache_load * 1000:.1f} ms | (no cache) | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
