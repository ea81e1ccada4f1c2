"""Straight mask edges along the GrabCut engine's working region, with and without growing it.

Usage::

    python benchmarks/grabcut_region_edge_bench.py [DATASET ...] [--limit N]

The engine cuts a working region (the strokes' extent plus a margin, or the box or prior
plus a margin). Where the object goes on beyond that region the mask used to stop on the
region's edge: a straight line that is not in the photograph. The measure printed is the
longest run of mask pixels along an edge of the result's working region
(``info["region"]``) that is not the image's edge, in image pixels (0: the mask never
touches such an edge), for ``grow_region=0`` (the engine before the region grew) beside the
default, in one run:

- ``sample_images/chelsea.png`` with strokes alone: one foreground stroke across the cat's
  face, one background stroke at the right (the case of issue 33);
- an edit: a prior mask (an ellipse on the middle of the face) with the same strokes and
  one more foreground stroke on the forehead;
- with DATASET folders (``images/``, ``masks/``, ``scribbles-set-{1,2}/``: grabcut30), the
  human scribbles alone: mean IoU, the mean and largest straight run, and the mean time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import interactive_seg as iseg  # noqa: E402
from interactive_seg.engines.grabcut.region import edge_run  # noqa: E402

SETTINGS = {"grow_region=0": {"grow_region": 0}, "default": {}}


def straight_run(result, shape) -> int:
    """The longest run of the mask along an inner edge of its working region (image px)."""
    x0, y0, x1, y1 = result.info["region"]
    runs = edge_run(result.mask[y0:y1, x0:x1], (x0, y0, x1, y1), shape)
    return max(runs.values(), default=0)


def chelsea_strokes(shape):
    strokes = np.zeros(shape[:2], np.uint8)
    cv2.line(strokes, (110, 160), (330, 150), 1, 5)
    cv2.line(strokes, (425, 90), (425, 260), 2, 5)
    return strokes


def timed(engine, prompts):
    engine.reset()
    begun = time.perf_counter()
    result = engine.segment(prompts)
    return result, time.perf_counter() - begun


def chelsea_part():
    bgr = cv2.imread(str(ROOT / "sample_images" / "chelsea.png"), cv2.IMREAD_COLOR)
    image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    strokes = chelsea_strokes(image.shape)
    prior = np.zeros(image.shape[:2], np.uint8)
    cv2.ellipse(prior, (225, 150), (80, 60), 0, 0, 360, 1, -1)  # a first mask: the middle of the face
    prior = prior.astype(bool)
    edit = strokes.copy()
    cv2.line(edit, (150, 60), (250, 50), 1, 5)  # the forehead is the cat's too
    print("chelsea.png (451 x 300)       setting          straight run (px)   seconds")
    for case, prompts in (
        ("strokes alone", iseg.Prompts(scribbles=strokes)),
        ("edit: prior + strokes", iseg.Prompts(scribbles=edit, prior=prior)),
    ):
        for name, options in SETTINGS.items():
            engine = iseg.get_engine("grabcut", **options)
            engine.set_image(image)
            result, seconds = timed(engine, prompts)
            print(f"  {case:26s}  {name:15s}  {straight_run(result, image.shape):10d}          {seconds:6.2f}")


def dataset_part(dataset: Path, limit):
    import grabcut_bench as bench

    names = bench.stems(dataset, limit=limit)
    for set_name in bench.SCRIBBLE_SETS:
        if not (dataset / set_name).is_dir():
            continue
        print(f"{dataset.name} {set_name} ({len(names)} images)   mIoU   mean run  max run  mean s")
        for name, options in SETTINGS.items():
            ious, runs, seconds = [], [], []
            for stem in names:
                strokes = bench.load_scribbles(dataset, set_name, stem)
                if strokes is None or not (strokes == 1).any() or not (strokes == 2).any():
                    continue
                image, gt = bench.load_item(dataset, stem)
                engine = iseg.get_engine("grabcut", **options)
                engine.set_image(image)
                result, took = timed(engine, iseg.Prompts(scribbles=strokes))
                ious.append(bench.iou(result.mask, gt))
                runs.append(straight_run(result, image.shape))
                seconds.append(took)
            print(
                f"  {name:30s} {statistics.mean(ious):.4f}  {statistics.mean(runs):7.1f}  {max(runs):7d}"
                f"  {statistics.mean(seconds):6.2f}"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, help="folders with images/, masks/, scribbles-set-*/")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images of each dataset")
    args = parser.parse_args(argv)
    print(f"OpenCV {cv2.__version__}")
    chelsea_part()
    for dataset in args.datasets:
        dataset_part(dataset, args.limit)


if __name__ == "__main__":
    main()
