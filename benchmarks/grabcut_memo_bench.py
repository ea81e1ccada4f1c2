"""What GrabCut's memo (``engines/grabcut/memo.py``) costs a 12 MP click, against the engine without it, in one run.

Usage::

    python benchmarks/grabcut_memo_bench.py [--image PHOTO] [--side 4000] [--repeat 3]

The photo (default: the coffee sample) is scaled to ``--side`` pixels on its longer side
(about 12 MP at 4000), a box is drawn round the middle two thirds and five clicks follow,
each a background click near a corner of the box then foreground clicks at the centre
(points with their radius-5 disks as strokes, as the widget sends them). Each click is
timed with the memo (the default) and with a memo that keeps nothing (the engine before),
the two alternating so that load falls on both alike; the best of ``--repeat`` runs of each
click is kept, and the medians over the clicks printed side by side. The masks of the two
are compared too: the memo changes no mask of a new prompt.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import interactive_seg as iseg  # noqa: E402
from interactive_seg.engines.grabcut.memo import Memo  # noqa: E402


def prompts_of(shape, box, clicks):
    scribbles = np.zeros(shape, np.uint8)
    for x, y, positive in clicks:
        cv2.circle(scribbles, (int(x), int(y)), 5, 1 if positive else 2, -1)
    return iseg.Prompts(
        box=box,
        points=[(x, y) for x, y, _ in clicks],
        point_labels=[1 if positive else 0 for _, _, positive in clicks],
        scribbles=scribbles,
    )


def run(image, box, clicks, keep: bool) -> tuple:
    """(seconds of each click, the last mask) of one object made click by click."""
    engine = iseg.get_engine("grabcut")
    engine.set_image(image)
    if not keep:
        engine._memo = Memo(entries=0)
    engine.segment(iseg.Prompts(box=box))
    times, mask = [], None
    for n in range(1, len(clicks) + 1):
        prompts = prompts_of(image.shape[:2], box, clicks[:n])
        start = time.perf_counter()
        mask = engine.segment(prompts).mask
        times.append(time.perf_counter() - start)
    return times, mask


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default=str(root / "sample_images" / "coffee.png"))
    parser.add_argument("--side", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    photo = iseg.read_image(args.image)
    scale = args.side / max(photo.shape[:2])
    image = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    h, w = image.shape[:2]
    box = (w / 6, h / 6, 5 * w / 6, 5 * h / 6)
    clicks = [(w / 6 + 40, h / 6 + 40, False), (w / 2, h / 2, True), (w / 2 + 60, h / 2, True)]
    clicks += [(5 * w / 6 - 40, 5 * h / 6 - 40, False), (w / 2, h / 2 + 60, True)]
    best = {True: [float("inf")] * len(clicks), False: [float("inf")] * len(clicks)}
    masks = {}
    for _ in range(args.repeat):
        for keep in (True, False):
            times, masks[keep] = run(image, box, clicks, keep)
            best[keep] = [min(a, b) for a, b in zip(best[keep], times)]
    on, off = statistics.median(best[True]) * 1000, statistics.median(best[False]) * 1000
    print(f"{w} x {h} ({w * h / 1e6:.1f} MP), box then {len(clicks)} clicks, best of {args.repeat} per click")
    print(f"OpenCV {cv2.__version__}")
    print()
    print("| engine | median click-to-mask (ms) | ratio |")
    print("|---|---|---|")
    print(f"| without the memo (the engine before) | {off:.1f} | 1.00x |")
    print(f"| with the memo (default) | {on:.1f} | {on / off:.2f}x |")
    print()
    print(f"last masks identical: {bool(np.array_equal(masks[True], masks[False]))}")


if __name__ == "__main__":
    main()
