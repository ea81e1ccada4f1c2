"""A box that touches the image's border against the same box 5 px inside, in one run.

Usage::

    python benchmarks/grabcut_border_bench.py [IMAGE ...] [--repeat N]
    python benchmarks/grabcut_border_bench.py --dataset GRABCUT30 --dataset BERKELEY [--half 0|1]

For each image (default: the sample images), the box covers the left 80 % of the image
from 10 % below its top down to its bottom, once reaching the left and bottom borders and
once moved 5 px inside them. Printed for each setting: the best of ``--repeat`` fresh box
calls for each box, wall-clock and CPU seconds (all threads of this process), and the
ratio border / inside of both; ``info["fallback"]`` says which cut the border box kept.
The settings: the default (the whole-image comparison cut at ``fallback_side`` for a box at
the border) and no comparison (``compare="off"``), which shows where the border box's extra
time goes; ``--option key=value`` (repeatable) adds a third, any variant to weigh.

``--dataset`` (repeatable) measures quality instead: every image's protocol box (the
tight box grown by 5 % per side, as ``grabcut_bench.py``) under the same settings, box
only: mIoU@box, the number of images more than 0.05 (0.3) IoU below plain ``cv2.grabCut``
(its box results are cached as ``grabcut_bench.py`` caches them), and, over the boxes
that reach the image's edge (the only ones the settings treat differently, so the others
are run once), the median and largest
seconds of a box and the IoU changes between the default and the last setting.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grabcut_bench as gb  # noqa: E402

import interactive_seg as iseg  # noqa: E402

SAMPLES = ("chelsea.png", "coffee.png", "astronaut.png")
SETTINGS = (
    ("default", {}),
    ('compare="off"', {"compare": "off"}),
)


def boxes(height, width):
    x1, y0 = 0.8 * width, 0.1 * height
    return {"border": (0.0, y0, x1, float(height)), "5 px inside": (5.0, y0, x1, height - 5.0)}


def best(engine, box, repeat):
    """(best wall seconds, best CPU seconds, the last result) of ``repeat`` fresh calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        engine.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        result = engine.segment(iseg.Prompts(box=box))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def timing(paths, repeat, settings):
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads")
    print(
        "image            setting                    inside s (cpu)   border s (cpu)   ratio wall / cpu   border box kept"
    )
    for path in paths:
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        height, width = image.shape[:2]
        for name, options in settings:
            engine = iseg.get_engine("grabcut", **options)
            engine.set_image(image)
            found = {case: best(engine, box, repeat) for case, box in boxes(height, width).items()}
            (iw, ic, _), (bw, bc, result) = found["5 px inside"], found["border"]
            kept = result.info.get("fallback")
            print(
                f"{path.name:16s} {name:26s} {iw:6.3f} ({ic:6.3f})  {bw:6.3f} ({bc:6.3f})  "
                f"{bw / iw:5.2f}x / {bc / ic:5.2f}x    {kept}"
            )


def at_edge(box, shape) -> bool:
    x0, y0, x1, y1 = box
    height, width = shape[:2]
    return min(x0, y0, width - x1, height - y1) < 1


def quality(datasets, half, cache, settings):
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; box only")
    for dataset in datasets:
        rows = []
        for stem in gb.stems(dataset, half):
            image, gt = gb.load_item(dataset, stem)
            box = gb.protocol_box(gt)
            row = {"stem": stem, "edge": at_edge(box, image.shape), "plain": gb.plain_box(image, gt, box, cache)}
            for name, options in settings:
                if not row["edge"] and name != settings[0][0]:
                    row[name] = row[settings[0][0]]  # a box inside the image is never compared
                    continue
                engine = iseg.get_engine("grabcut", **options)
                engine.set_image(image)
                begun = time.perf_counter()
                result = engine.segment(iseg.Prompts(box=box))
                row[name] = (gb.iou(result.mask, gt), time.perf_counter() - begun, result.info.get("fallback"))
            rows.append(row)
        edge = [r for r in rows if r["edge"]]
        print(f"\n{dataset.name}: {len(rows)} images, {len(edge)} boxes at the image's edge")
        print("setting                    mIoU@box  below plain >0.05 / >0.3   edge boxes: median s  max s")
        for name, _ in settings:
            ious = [r[name][0] for r in rows]
            below = sum(r[name][0] < r["plain"] - 0.05 for r in rows)
            far = sum(r[name][0] < r["plain"] - 0.3 for r in rows)
            secs = [r[name][1] for r in edge] or [0.0]
            print(
                f"{name:26s} {statistics.mean(ious):8.4f}  {below:8d} / {far:d}"
                f"                 {statistics.median(secs):8.3f}  {max(secs):6.3f}"
            )
        plain = statistics.mean(r["plain"] for r in rows)
        print(f"{'plain cv2.grabCut':26s} {plain:8.4f}")
        before, after = settings[0][0], settings[-1][0]
        moved = [r for r in edge if abs(r[before][0] - r[after][0]) > 0.005]
        for r in moved:
            print(
                f"  {r['stem']}: {r[before][0]:.3f} ({r[before][2]}) -> {r[after][0]:.3f} ({r[after][2]}), "
                f"plain {r['plain']:.3f}"
            )
        if not moved:
            print(f"  no edge box's IoU moved by more than 0.005 between {before} and {after}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="box calls per case; the best is printed")
    parser.add_argument("--dataset", type=Path, action="append", help="a folder with images/ and masks/")
    parser.add_argument("--half", type=int, choices=(0, 1), help="only every other sorted stem")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "iseg_plain_cache")
    parser.add_argument("--option", action="append", help="a third setting: engine option key=value, repeatable")
    args = parser.parse_args(argv)
    settings = list(SETTINGS)
    if args.option:
        settings.append((",".join(args.option), gb.parse_options(args.option)))
    if args.dataset:
        quality(args.dataset, args.half, args.cache, settings)
        return
    timing(args.images or [ROOT / "sample_images" / name for name in SAMPLES], args.repeat, settings)


if __name__ == "__main__":
    main()
