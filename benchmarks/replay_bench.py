"""`replay` on the batch machinery: a plain loop against 1 and 2 local dask workers, in one run.

Usage::

    python benchmarks/replay_bench.py DATASET [DATASET ...] [--workers 1,2] [--engine grabcut] [--limit N]

Each ``DATASET`` is ``DATASET/images/*`` with ``DATASET/masks/<stem>.png`` (the grabcut30
and berkeley layout). The script builds one COCO file in which every image has one object
with a provenance record, as the widget or ``segment --coco`` would have written it: the
prompt is the protocol's box (tight box of mask == 255 grown 5 % per side), the engine
GrabCut with its defaults, the mask the ground truth. Then it replays that file with
``--engine`` (a different engine for the masks, the same work as a model change):

- **plain loop**: the single-image API in this process (``get_engine``, ``set_image``,
  ``segment`` per object, prompts read back with ``provenance.read_prompts``), the baseline;
- ``replay(..., workers=0)``: the same in this process through the batch code (no dask);
- ``replay(..., workers=N)`` for each N of ``--workers``: a local cluster of N worker
  processes, one task thread and one OpenCV thread each.

It prints objects per second (cluster start-up excluded, printed apart), the speed-up of
each over 1 worker, and checks that every run gives the same masks as the plain loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load() -> str:
    """Load averages over 1, 5 and 15 minutes (other users of the cores skew the timings)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def protocol_box(gt: np.ndarray) -> tuple:
    ys, xs = np.nonzero(gt == 255)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    gx, gy = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    h, w = gt.shape
    return (max(0.0, x0 - gx), max(0.0, y0 - gy), min(float(w), x1 + gx), min(float(h), y1 + gy))


def build(datasets: list, folder: Path, limit: int) -> tuple:
    """The COCO file with provenance (file_names relative to the datasets' common parent) and that parent."""
    import interactive_seg as iseg
    from interactive_seg import provenance as pv
    from interactive_seg.coco import CocoDocument

    datasets = [Path(d).resolve() for d in datasets]
    root = Path(os.path.commonpath([str(d.parent) for d in datasets]))
    engine = iseg.get_engine("grabcut")
    doc = CocoDocument()
    for dataset in datasets:
        for image_path in sorted(p for p in (dataset / "images").iterdir() if p.is_file()):
            if limit and doc.count() >= limit:
                break
            gt = cv2.imread(str(dataset / "masks" / f"{image_path.stem}.png"), cv2.IMREAD_GRAYSCALE)
            if gt is None or not (gt == 255).any():
                continue
            image = iseg.read_image(image_path)
            record = doc.add_image(str(image_path.relative_to(root)), width=gt.shape[1], height=gt.shape[0])
            made = pv.make_record(engine, iseg.Prompts(box=protocol_box(gt)), image)
            doc.add_annotation(record["id"], gt == 255, "object", **{pv.KEY: made})
    path = folder / "annotated.json"
    doc.save(path)
    return path, root


def plain_loop(coco: Path, root: Path, engine_name: str) -> tuple:
    """Masks from the single-image API, one object at a time; and the seconds it took."""
    import interactive_seg as iseg
    from interactive_seg import provenance as pv
    from interactive_seg.coco import CocoDocument

    doc = CocoDocument.open(coco)
    engine = iseg.get_engine(engine_name)
    masks = {}
    start = time.perf_counter()
    for ann in doc.annotations():
        record = doc.image(ann["image_id"])
        image = iseg.read_image(root / record["file_name"])
        engine.set_image(image)
        engine.reset()
        masks[ann["id"]] = engine.segment(pv.read_prompts(ann[pv.KEY])).mask
    return masks, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--workers", default="1,2", help="local cluster sizes to time (default 1,2)")
    parser.add_argument(
        "--engine",
        default="grabcut",
        help="the engine to replay with (default grabcut; plain_grabcut takes seconds per photo)",
    )
    parser.add_argument("--limit", type=int, default=0, help="at most this many objects (default: every image)")
    args = parser.parse_args()

    cv2.setNumThreads(1)
    from interactive_seg.batch.replay import replay
    from interactive_seg.coco import CocoDocument

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        coco, root = build(args.datasets, tmp, args.limit)
        n = CocoDocument.open(coco).count()
        print(
            f"{n} objects on {n} images ({', '.join(Path(d).name for d in args.datasets)}), replayed with {args.engine}; "
            f"{os.cpu_count()} cores, load {load()}"
        )
        reference, seconds = plain_loop(coco, root, args.engine)
        rows = [("plain loop, this process (baseline)", seconds, 0.0, True)]
        runs = [("replay, workers=0 (this process, no dask)", 0)] + [
            (f"replay, {w} worker{'s' if w > 1 else ''}", w) for w in map(int, args.workers.split(","))
        ]
        for label, workers in runs:
            out = tmp / f"out{workers}.json"
            start = time.perf_counter()
            report = replay(coco, out, images=root, engine=args.engine, workers=workers, threads=1, progress=False)
            total = time.perf_counter() - start
            doc = CocoDocument.open(out)
            same = report.ok and all(np.array_equal(doc.mask(i), m) for i, m in reference.items())
            rows.append((label, report.seconds, report.startup, same))
            print(f"  {label}: {total:.1f} s in all", flush=True)
        one = next((s for label, s, _, _ in rows if label == "replay, 1 worker"), None)
        print()
        print("| run | objects/s | seconds | start-up s | speed-up over 1 worker | masks equal the plain loop's |")
        print("|---|---|---|---|---|---|")
        for label, seconds, startup, same in rows:
            speed = f"{one / seconds:.2f}x" if one else ""
            print(
                f"| {label} | {n / seconds:.2f} | {seconds:.1f} | {startup:.1f} | {speed} | {'yes' if same else 'NO'} |"
            )
        print(f"\nload after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
