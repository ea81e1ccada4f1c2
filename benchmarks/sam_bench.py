"""Every SAM family in the ``sam`` engine, side by side on the same image, in one run.

Usage::

    python benchmarks/sam_bench.py [--device cpu|cuda] [--threads N] [--repeats N]
                                   [--models vit_b,vit_t,sam2.1_hiera_tiny,...] [--image PATH]
    python benchmarks/sam_bench.py --stock ...   # vit_b: the engine against stock SamPredictor

Full-size models with random weights (speed does not depend on the weights), built
without downloading anything: SAM 1 from segment_anything's (and MobileSAM's) registry
with no checkpoint; SAM 2.1 and SAM 3 from transformers' configs (the official sizes),
saved with ``save_pretrained`` into a temporary folder and loaded through the engine's
own loading path. One image (a sample photo resized to 1440 x 1080), the same thread
count for every model. For each model it prints the embed time (``set_image``, the image
encoder, after one warm-up on another image), the median prompt-to-mask time over box and
point prompts (the mask at full image size) with the engine's rearranged mask decoder and,
as the baseline, with the family's stock decoder (``fast_decoder=False``: segment_anything's
``MaskDecoder``, transformers' model forward) on the same embedding, and loading the
embedding back from the disk cache. The goal of issue 31: SAM 2.1 tiny's prompt <= vit_b's, its embed <= 0.5 x
vit_b's.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ("vit_b", "vit_t", "sam2.1_hiera_tiny", "sam2.1_hiera_base_plus", "sam3")


def _sam2_config(name: str):
    """The official SAM 2.1 Hiera sizes (sam2/configs/sam2.1/*.yaml), as transformers configs."""
    from transformers import Sam2Config

    hiera = {
        "sam2.1_hiera_tiny": {
            "hidden_size": 96,
            "num_attention_heads": 1,
            "blocks_per_stage": [1, 2, 7, 2],
            "global_attention_blocks": [5, 7, 9],
            "window_positional_embedding_background_size": [7, 7],
        },
        "sam2.1_hiera_small": {
            "hidden_size": 96,
            "num_attention_heads": 1,
            "blocks_per_stage": [1, 2, 11, 2],
            "global_attention_blocks": [7, 10, 13],
            "window_positional_embedding_background_size": [7, 7],
        },
        "sam2.1_hiera_base_plus": {
            "hidden_size": 112,
            "num_attention_heads": 2,
            "blocks_per_stage": [2, 3, 16, 3],
            "global_attention_blocks": [12, 16, 20],
            "window_positional_embedding_background_size": [14, 14],
        },
    }[name]
    width, heads = hiera["hidden_size"], hiera["num_attention_heads"]
    hiera.update(
        embed_dim_per_stage=[width, 2 * width, 4 * width, 8 * width],
        num_attention_heads_per_stage=[heads, 2 * heads, 4 * heads, 8 * heads],
    )
    vision = {
        "model_type": "sam2_vision_model",
        "backbone_config": dict(model_type="sam2_hiera_det_model", **hiera),
        "backbone_channel_list": [8 * width, 4 * width, 2 * width, width],
    }
    return Sam2Config(vision_config=vision)


def build(name: str, folder: Path, device: str, threads: int, cache: str, fast_decoder: bool = True):
    """An engine for ``name`` with full-size random weights, and the model's parameter count
    (``fast_decoder=False``: the same model with the stock mask decoder)."""
    import torch

    import interactive_seg as iseg

    torch.manual_seed(0)
    if name in ("vit_b", "vit_l", "vit_h", "vit_t"):
        if name == "vit_t":
            from mobile_sam import sam_model_registry
        else:
            from segment_anything import sam_model_registry
        model = sam_model_registry[name](checkpoint=None)
        engine = iseg.get_engine(
            "sam", model=model, device=device, cache_dir=cache, threads=threads, fast_decoder=fast_decoder
        )
        return engine, sum(p.numel() for p in model.parameters())
    import transformers

    target = folder / name
    if (target / "config.json").exists():  # saved by an earlier call
        return iseg.get_engine(
            "sam", model_type=str(target), device=device, cache_dir=cache, threads=threads, fast_decoder=fast_decoder
        ), None
    if name == "sam3":
        model = transformers.Sam3TrackerModel(transformers.Sam3TrackerConfig())
        processor = transformers.Sam3TrackerProcessor(image_processor=transformers.Sam3ImageProcessor())
    else:
        model = transformers.Sam2Model(_sam2_config(name))
        processor = transformers.Sam2Processor(image_processor=transformers.Sam2ImageProcessor())
    count = sum(p.numel() for p in model.parameters())
    model.save_pretrained(target)
    processor.save_pretrained(target)
    del model
    gc.collect()
    return iseg.get_engine(
        "sam", model_type=str(target), device=device, cache_dir=cache, threads=threads, fast_decoder=fast_decoder
    ), count


def _prompts(width: int, height: int):
    import interactive_seg as iseg

    rng = np.random.default_rng(0)
    prompts = []
    for _ in range(2):
        x0, y0 = rng.integers(0, width - 500), rng.integers(0, height - 450)
        w, h = rng.integers(150, 500), rng.integers(150, 450)
        prompts.append(iseg.Prompts(box=(float(x0), float(y0), float(x0 + w), float(y0 + h))))
    for _ in range(2):
        x, y = rng.integers(0, width), rng.integers(0, height)
        prompts.append(iseg.Prompts(points=[(x + 0.5, y + 0.5)]))
    return prompts


def measure(name: str, args, image, other, folder: Path) -> dict:
    import torch

    def sync():
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    cache = tempfile.mkdtemp(dir=folder)
    t = time.perf_counter()
    engine, params = build(name, folder, args.device, args.threads, cache)
    built = time.perf_counter() - t
    engine.set_image(other)  # warm-up: first-call allocations, kernels
    sync()
    embeds = []
    for i in range(args.embed_repeats):
        t = time.perf_counter()
        engine.set_image(image if i == 0 else image[:, ::-1].copy())
        sync()
        embeds.append(time.perf_counter() - t)
    engine.set_image(image)
    prompts = _prompts(image.shape[1], image.shape[0])

    def prompt_times(engine) -> list:
        engine.segment(prompts[0])  # warm-up
        times = []
        for prompt in prompts:
            for _ in range(args.repeats):
                engine.reset()
                t = time.perf_counter()
                engine.segment(prompt)
                sync()
                times.append(time.perf_counter() - t)
        return times

    times = prompt_times(engine)
    # the baseline: the same model and embedding (from the memory cache), the stock mask decoder
    stock, _ = build(name, folder, args.device, args.threads, cache, fast_decoder=False)
    stock.set_image(image)
    stock_times = prompt_times(stock)
    del stock
    engine.cache.forget_memory()
    fresh = engine  # a new image then back: the entry comes from disk
    fresh.set_image(other)
    fresh.cache.forget_memory()
    t = time.perf_counter()
    fresh.set_image(image.copy())
    load = time.perf_counter() - t
    del engine, fresh
    gc.collect()
    return {
        "params": params,
        "embed": statistics.median(embeds),
        "prompt": statistics.median(times),
        "stock": statistics.median(stock_times),
        "load": load,
        "built": built,
        "n": len(times),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per prompt (4 prompts)")
    parser.add_argument(
        "--embed-repeats", dest="embed_repeats", type=int, default=1, help="timed embeds per model (after one warm-up)"
    )
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated models, in order")
    parser.add_argument("--image", type=Path, default=ROOT / "sample_images" / "rocket.jpg")
    parser.add_argument(
        "--stock",
        action="store_true",
        help="instead: vit_b in the engine against stock SamPredictor (sam_stock_bench.py)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.stock:
        sys.path.insert(0, str(Path(__file__).parent))
        import sam_stock_bench

        return sam_stock_bench.main(rest)

    import torch

    import interactive_seg as iseg

    if args.threads:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    image = cv2.resize(iseg.read_image(args.image)[..., :3], (1440, 1080), interpolation=cv2.INTER_CUBIC)
    other = np.ascontiguousarray(image[::-1])
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    print(
        f"full-size models with random weights, image 1440x1080, device {args.device}, {args.threads} torch threads, "
        f"torch {torch.__version__}",
        flush=True,
    )
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows[name] = measure(name, args, image, other, Path(tmp))
            r = rows[name]
            print(
                f"  {name}: embed {r['embed']:.2f} s, prompt {r['prompt'] * 1000:.1f} ms (stock decoder {r['stock'] * 1000:.1f} ms), "
                f"cache load {r['load'] * 1000:.0f} ms",
                flush=True,
            )
    base = rows.get("vit_b")
    print()
    print(
        "| model | parameters | embed (set_image) | prompt-to-mask, median of N | same, stock decoder | embed / vit_b | prompt / vit_b | embedding from disk |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        ratio_e = f"{r['embed'] / base['embed']:.2f}" if base else ""
        ratio_p = f"{r['prompt'] / base['prompt']:.2f}" if base else ""
        print(
            f"| {name} | {r['params'] / 1e6:.1f} M | {r['embed']:.2f} s | {r['prompt'] * 1000:.1f} ms (N={r['n']}) | {r['stock'] * 1000:.1f} ms | "
            f"{ratio_e} | {ratio_p} | {r['load'] * 1000:.0f} ms |"
        )
    tiny = rows.get("sam2.1_hiera_tiny")
    if base and tiny:
        print()
        print(
            f"goal: sam2.1_hiera_tiny prompt <= vit_b's: {tiny['prompt'] * 1000:.1f} <= {base['prompt'] * 1000:.1f} ms "
            f"{'met' if tiny['prompt'] <= base['prompt'] else 'NOT met'}; embed <= 0.5 x vit_b's: "
            f"{tiny['embed']:.2f} <= {0.5 * base['embed']:.2f} s {'met' if tiny['embed'] <= 0.5 * base['embed'] else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
