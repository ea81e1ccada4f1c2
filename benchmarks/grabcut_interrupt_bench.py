"""How long the newest prompt waits for a stale GrabCut call, given up or answered whole, in one run.

Usage::

    python benchmarks/grabcut_interrupt_bench.py [IMAGE ...] [--box x0,y0,x1,y1] [--after 0.1] [--repeat 3]

For each image (default: the sample images) a box (default: its left half, a poor box over
object and background alike, the slow case) is segmented twice, best of ``--repeat``:
whole, and with ``Engine.interrupt`` turning True ``--after`` seconds into the call, as
when the annotator draws a newer box. Printed: the whole call's seconds (what the newest
prompt waited for before) beside the seconds from the interrupt to the call's end (what
it waits for now), and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import interactive_seg as iseg  # noqa: E402
from interactive_seg.engines import Interrupted  # noqa: E402

SAMPLES = ("chelsea.png", "coffee.png", "astronaut.png")


def given_up(engine, prompts, after: float) -> float:
    """Seconds from ``interrupt`` turning True to the call's end (0 when it ended first)."""
    engine.reset()
    asked: list = []
    engine.interrupt = lambda: bool(asked)
    timer = threading.Timer(after, lambda: asked.append(time.perf_counter()))
    timer.start()
    try:
        engine.segment(prompts)
    except Interrupted:
        pass
    finally:
        end = time.perf_counter()
        timer.cancel()
        engine.interrupt = None
    return end - asked[0] if asked else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--box", help="x0,y0,x1,y1 (default: the image's left half)")
    parser.add_argument("--after", type=float, default=0.1, help="seconds into the call the interrupt comes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    paths = args.images or [ROOT / "sample_images" / name for name in SAMPLES]
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; interrupt after {args.after} s")
    print("image            box                       whole s   waited s   ratio")
    for path in paths:
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        height, width = image.shape[:2]
        box = tuple(float(v) for v in args.box.split(",")) if args.box else (0.0, 0.0, width / 2, float(height))
        prompts = iseg.Prompts(box=box)
        engine = iseg.get_engine("grabcut")
        engine.set_image(image)
        whole = []
        for _ in range(args.repeat):
            engine.reset()
            start = time.perf_counter()
            engine.segment(prompts)
            whole.append(time.perf_counter() - start)
        waited = min(given_up(engine, prompts, args.after) for _ in range(args.repeat))
        box_text = ",".join(f"{v:.0f}" for v in box)
        print(f"{path.name:16} {box_text:25} {min(whole):8.3f}   {waited:8.3f}   {waited / min(whole):5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
