"""A box that touches the image's border against the same box 5 px inside, in one run.

Usage::

    python benchmarks/grabcut_border_bench.py [IMAGE ...] [--repeat N]

For each image (default: the sample images), the box covers the left 80 % of the image
from 10 % below its top down to its bottom, once reaching the left and bottom borders and
once moved 5 px inside them. Printed: the best of ``--repeat`` fresh box calls for each, the
ratio border / inside, and the same with ``compare="off"`` (no whole-image comparison cut),
which shows where the border box's extra time goes: the whole-image cut that ``compare``
makes when a box reaches the image's edge (``info["fallback"]`` says which cut was kept).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import interactive_seg as iseg  # noqa: E402

SAMPLES = ("chelsea.png", "coffee.png", "astronaut.png")


def boxes(height, width):
    x1, y0 = 0.8 * width, 0.1 * height
    return {"border": (0.0, y0, x1, float(height)), "5 px inside": (5.0, y0, x1, height - 5.0)}


def best(engine, box, repeat):
    times, result = [], None
    for _ in range(repeat):
        engine.reset()
        begun = time.perf_counter()
        result = engine.segment(iseg.Prompts(box=box))
        times.append(time.perf_counter() - begun)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="box calls per case; the best is printed")
    args = parser.parse_args(argv)
    paths = args.images or [ROOT / "sample_images" / name for name in SAMPLES]
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads")
    print("image            setting         inside (s)  border (s)  ratio   border box kept")
    for path in paths:
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        height, width = image.shape[:2]
        for name, options in (("default", {}), ('compare="off"', {"compare": "off"})):
            engine = iseg.get_engine("grabcut", **options)
            engine.set_image(image)
            found = {case: best(engine, box, args.repeat) for case, box in boxes(height, width).items()}
            inside, border = found["5 px inside"][0], found["border"][0]
            kept = found["border"][1].info.get("fallback")
            print(f"{path.name:16s} {name:15s} {inside:10.3f}  {border:10.3f}  {border / inside:5.2f}x  {kept}")


if __name__ == "__main__":
    main()
