"""Batch jobs on dask.distributed against a plain loop, in one run.

Usage::

    python benchmarks/batch_bench.py GRABCUT30 BERKELEY   (folders of the two benchmark sets)
        [--workers 1,2] [--embed-images 8] [--sam-model vit_t] [--device cpu] [--skip-embed]

**Boxes to masks.** Builds one COCO file of boxes over the given datasets (each
``DATASET/images/*`` with ``DATASET/masks/<stem>.png``; the box is the tight box of
mask == 255 grown by 5 % per side, clipped, as ``grabcut30/README.md`` says), then
runs ``masks_from_boxes`` with GrabCut: in this process without dask (``workers=0``), and
on local clusters of 1 and 2 worker processes (one task and one OpenCV thread each). It
prints throughput (images per second, cluster start-up excluded), the 2-worker speed-up
over 1 worker, dask's overhead per image on 1 worker (wall time not spent inside the task
function, per image) against the engine's time per image, each worker's peak memory, and
checks that every mask equals the single-image API's (``iseg.segment(image, box=...)``,
run here first, also timed) and that the output files are byte-identical.

**Embeddings.** A full-size SAM model with random weights (speed does not depend on the
weights; ``--sam-model vit_t`` is MobileSAM, ``vit_b`` SAM ViT-B), saved as a checkpoint,
on the first ``--embed-images`` images: a plain loop of stock ``SamPredictor.set_image``
in this process against ``embed_folder`` on 1 and 2 local workers (``--device cuda``
where there is a GPU: then one worker, 4 images per encoder call).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load() -> str:
    """The load averages over 1, 5 and 15 minutes (other users of the cores skew the timings)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def protocol_box(gt: np.ndarray) -> list:
    """The grabcut30 protocol's box (tight box of mask == 255 grown 5 % per side, clipped) as COCO [x, y, w, h]."""
    ys, xs = np.nonzero(gt == 255)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    gx, gy = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    h, w = gt.shape
    bx0, by0, bx1, by1 = max(0.0, x0 - gx), max(0.0, y0 - gy), min(float(w), x1 + gx), min(float(h), y1 + gy)
    return [float(bx0), float(by0), float(bx1 - bx0), float(by1 - by0)]


def build_coco(datasets: list, path: Path) -> Path:
    """One COCO file of boxes over the datasets; file_names relative to their common parent. Returns that parent."""
    datasets = [Path(d).resolve() for d in datasets]
    root = Path(os.path.commonpath([str(d.parent) for d in datasets]))
    images, anns = [], []
    for dataset in datasets:
        for image_path in sorted(p for p in (dataset / "images").iterdir() if p.is_file()):
            gt = cv2.imread(str(dataset / "masks" / f"{image_path.stem}.png"), cv2.IMREAD_GRAYSCALE)
            if gt is None or not (gt == 255).any():
                continue
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": str(image_path.relative_to(root)),
                    "width": gt.shape[1],
                    "height": gt.shape[0],
                }
            )
            anns.append(
                {"id": image_id, "image_id": image_id, "category_id": 1, "bbox": protocol_box(gt), "iscrowd": 0}
            )
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": [{"id": 1, "name": "object"}]}))
    return root


def single_image_api(coco: Path, root: Path):
    """Masks from ``iseg.segment`` one image at a time, and the seconds it took."""
    import interactive_seg as iseg

    data = json.loads(coco.read_text())
    masks = {}
    start = time.perf_counter()
    for image, ann in zip(data["images"], data["annotations"]):
        pixels = iseg.read_image(root / image["file_name"])
        x, y, w, h = ann["bbox"]
        masks[ann["id"]] = iseg.segment(pixels, box=(x, y, x + w, y + h))
    return masks, time.perf_counter() - start


def boxes_to_masks(args, work: Path) -> None:
    from interactive_seg.batch import masks_from_boxes
    from interactive_seg.coco import CocoDocument

    coco = work / "boxes.json"
    root = build_coco(args.datasets, coco)
    n = len(json.loads(coco.read_text())["images"])
    image_bytes = sum(int(im["width"]) * int(im["height"]) * 3 for im in json.loads(coco.read_text())["images"])
    print(
        f"Boxes to masks: {n} images ({', '.join(Path(d).name for d in args.datasets)}), GrabCut defaults, "
        f"{os.cpu_count()} cores, load averages (1/5/15 min) before: {load()}"
    )
    api_seconds = []
    outputs = {}
    reports = {}
    for repeat in range(args.repeats):  # the runs alternate, so load from elsewhere falls on all alike
        expected, seconds = single_image_api(coco, root)
        api_seconds.append(seconds)
        for workers in [0] + args.workers:
            out = work / f"out{workers}-{repeat}.json"
            report = masks_from_boxes(
                coco, root, out, workers=workers, work=work / f"parts{workers}-{repeat}", progress=False
            )
            empty = sorted(a for a, m in expected.items() if not m.any())
            failed = sorted(int(f.item.rsplit(" ", 1)[1]) for f in report.failures if ", annotation " in f.item)
            assert failed == empty and len(report.failures) == len(empty), (
                report.summary()
            )  # only where GrabCut finds nothing
            outputs[(workers, repeat)] = out.read_bytes()
            if workers not in reports or report.seconds < reports[workers].seconds:
                reports[workers] = report
    rows = [("single-image API loop (iseg.segment)", min(api_seconds), None, None)]
    for workers, report in reports.items():
        label = (
            "batch, this process (workers=0)"
            if workers == 0
            else f"batch, LocalCluster {workers} worker{'s' if workers > 1 else ''}"
        )
        rows.append((label, report.seconds, report.startup, report))
    print(f"load averages after: {load()}")

    print()
    print("| run | wall (s) | images/s | start-up (s) |")
    print("|---|---|---|---|")
    for label, seconds, startup, _ in rows:
        print(f"| {label} | {seconds:.2f} | {n / seconds:.2f} | {'' if startup is None else f'{startup:.2f}'} |")

    # every mask equals the single-image API's; every output file the same bytes
    doc = CocoDocument.from_data(json.loads(outputs[(0, 0)]))
    differing = sum(
        int(np.count_nonzero(doc.mask(ann_id) != mask) > 0) for ann_id, mask in expected.items() if mask.any()
    )
    empty = [ann_id for ann_id, mask in expected.items() if not mask.any()]
    identical = all(blob == outputs[(0, 0)] for blob in outputs.values())
    print()
    print(
        f"masks differing from the single-image API's: {differing} of {len(expected) - len(empty)}; "
        f"{len(empty)} box(es) where both find nothing (reported as failures by the batch, left as boxes)"
    )
    print(
        f"output files byte-identical across workers=0, {', '.join(map(str, args.workers))} and {args.repeats} repeats: {identical}"
    )
    print(f"(best of {args.repeats} alternating runs per row; cluster start-up not in the wall time)")
    if 1 in reports and 2 in reports:
        print(f"throughput 2 workers / 1 worker: {reports[1].seconds / reports[2].seconds:.2f}x")
    if 1 in reports:
        one = reports[1]
        engine = one.timings["engine"] / n
        overhead = (one.seconds - one.timings["task"]) / n
        print(
            f"1 worker: engine {1000 * engine:.1f} ms per image, task {1000 * one.timings['task'] / n:.1f} ms, "
            f"dask overhead {1000 * overhead:.1f} ms per image = {100 * overhead / engine:.1f} % of the engine's time"
        )
        print(f"1 worker against this process: {1000 * (one.seconds - reports[0].seconds) / n:+.1f} ms per image")
    for workers, report in reports.items():
        if workers:
            peaks = sorted(report.timings["peak_memory"].values())
            print(
                f"{workers} worker(s): peak memory per worker {', '.join(f'{p / 2**20:.0f} MB' for p in peaks)} "
                f"(the decoded dataset: {image_bytes / 2**20:.0f} MB)"
            )


def embeddings(args, work: Path) -> None:
    import torch

    import interactive_seg as iseg
    from interactive_seg.batch import embed_folder

    if args.sam_model == "vit_t":
        from mobile_sam import SamPredictor, sam_model_registry
    else:
        from segment_anything import SamPredictor, sam_model_registry
    folder = work / "embed"
    folder.mkdir()
    sources = sorted(p for p in (Path(args.datasets[0]) / "images").iterdir() if p.is_file())[: args.embed_images]
    for source in sources:
        shutil.copy(source, folder / source.name)
    torch.manual_seed(0)
    model = sam_model_registry[args.sam_model](checkpoint=None).eval()
    checkpoint = work / f"{args.sam_model}.pth"
    torch.save(model.state_dict(), checkpoint)
    device = args.device
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    print()
    print(
        f"Embeddings: {len(sources)} images, {args.sam_model} with random weights, device {device}, "
        f"load averages (1/5/15 min) before: {load()}"
    )
    predictor = SamPredictor(model.to(device))
    images = [iseg.as_rgb8(iseg.read_image(p)) for p in sorted(folder.iterdir())]
    predictor.set_image(images[0])  # warm-up, not timed
    start = time.perf_counter()
    for image in images:
        predictor.set_image(image)
    stock = time.perf_counter() - start
    rows = [(f"stock SamPredictor.set_image loop, {threads} torch threads", stock, None)]
    del predictor
    counts = [1] if device.startswith("cuda") else args.workers
    for workers in counts:
        report = embed_folder(
            folder,
            model_type=args.sam_model,
            checkpoint=checkpoint,
            device=device,
            cache_dir=work / f"cache{workers}",
            workers=workers,
            progress=False,
        )
        assert report.ok and report.computed == len(images), report.summary()
        label = f"batch embed, {workers} worker{'s' if workers > 1 else ''} (batch size {report.timings['batch_size']})"
        rows.append((label, report.seconds, report.startup))
    print(f"load averages after: {load()}")
    print()
    print("| run | wall (s) | images/s | start-up (s) |")
    print("|---|---|---|---|")
    for label, seconds, startup in rows:
        print(
            f"| {label} | {seconds:.2f} | {len(images) / seconds:.3f} | {'' if startup is None else f'{startup:.2f}'} |"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", help="dataset folders (images/ and masks/ inside)")
    parser.add_argument("--workers", default="1,2", help="local cluster sizes to run (default 1,2)")
    parser.add_argument(
        "--embed-images", dest="embed_images", type=int, default=8, help="images for the embeddings part (default 8)"
    )
    parser.add_argument("--sam-model", dest="sam_model", default="vit_t", choices=["vit_t", "vit_b", "vit_l", "vit_h"])
    parser.add_argument("--device", default="cpu", help="SAM device: cpu or cuda")
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternating runs per configuration; the best is shown (default 2)"
    )
    parser.add_argument("--skip-embed", dest="skip_embed", action="store_true")
    parser.add_argument("--skip-masks", dest="skip_masks", action="store_true")
    args = parser.parse_args(argv)
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    # timm and mobile_sam warn about their own imports; workers inherit this through the environment
    os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning,ignore::UserWarning"
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_masks:
            boxes_to_masks(args, work)
        if not args.skip_embed:
            embeddings(args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
