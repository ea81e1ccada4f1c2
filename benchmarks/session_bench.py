"""Opening a folder session of many images, against reading every image, in one run.

Usage::

    python benchmarks/session_bench.py [--images 1000] [--objects 5] [--size 1280x960]
                                       [--folder DIR] [--root REPO]

Writes N JPEG photos (a sample image, varied) into a temporary folder (or DIR), then
times ``Session.open(folder)`` (lists names and checks each file's first bytes; decodes
nothing) beside the baseline of decoding every image; then writes a COCO file holding
``--objects`` RLE objects per image (with pycocotools directly) and times reopening, the
per-image object counts the widget's image list shows after every accept, one ``add``
and one class change (each encodes what changed and saves the whole file atomically).
The garbage collector runs before each timed step, so that collecting what earlier steps
made does not land in a later, short one (it did: 3 ms of counts measured as 70 ms).

Only the public API is used, so ``--root`` can point at another checkout (an older
version) and the two runs compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def coco_file(names, width, height, per_image) -> dict:
    """A COCO dataset with ``per_image`` rectangles per image, encoded by pycocotools."""
    from pycocotools import mask as mask_utils

    annotations, images = [], []
    for i, name in enumerate(names, start=1):
        images.append({"id": i, "file_name": name, "width": width, "height": height})
        for k in range(per_image):
            mask = np.zeros((height, width), np.uint8, order="F")
            y, x = 40 + 150 * k, 60 + 37 * (i % 20)
            mask[y : y + 120, x : x + 300] = 1
            rle = mask_utils.encode(mask)
            annotations.append({
                "id": len(annotations) + 1, "image_id": i, "category_id": 1 + k % 3, "iscrowd": 0,
                "segmentation": {"size": [height, width], "counts": rle["counts"].decode("ascii")},
                "area": float(mask_utils.area(rle)), "bbox": [float(v) for v in mask_utils.toBbox(rle)],
            })
    categories = [{"id": c, "name": n, "supercategory": ""} for c, n in ((1, "rocket"), (2, "cloud"), (3, "tower"))]
    return {"images": images, "annotations": annotations, "categories": categories}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=5, help="objects per image in the COCO file (default 5)")
    parser.add_argument("--size", default="1280x960")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose interactive_seg is timed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve()))

    from interactive_seg import Session, read_image

    width, height = (int(v) for v in args.size.split("x"))
    folder = args.folder or Path(tempfile.mkdtemp(prefix="session-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    coco_path = folder / "annotations.coco.json"
    coco_path.unlink(missing_ok=True)  # start without saved objects
    base = cv2.resize(cv2.imread(str(ROOT / "sample_images" / "rocket.jpg")), (width, height))
    for i in range(args.images):
        path = folder / f"img_{i:05d}.jpg"
        if not path.exists():
            cv2.imwrite(str(path), np.roll(base, i * 7, axis=1), [cv2.IMWRITE_JPEG_QUALITY, 85])

    t = time.perf_counter()
    session = Session.open(folder)
    open_s = time.perf_counter() - t
    assert len(session.images) == args.images

    t = time.perf_counter()
    for name in session.images:
        read_image(folder / name)
    read_all_s = time.perf_counter() - t

    data = coco_file(session.images, width, height, args.objects)
    coco_path.write_text(json.dumps(data))
    total = len(data["annotations"])

    gc.collect()  # a collection of the objects made before must not land in the timed call
    t = time.perf_counter()
    again = Session.open(folder)
    reopen_s = time.perf_counter() - t

    gc.collect()  # a collection of the objects made before must not land in the timed call
    t = time.perf_counter()
    counts = [again.count(name) for name in again.images]
    count_s = time.perf_counter() - t
    assert sum(counts) == total

    mask = np.zeros((height, width), bool)
    mask[700:900, 200:600] = True
    gc.collect()  # a collection of the objects made before must not land in the timed call
    t = time.perf_counter()
    object_id = again.add(again.images[0], mask, "rocket")
    add_s = time.perf_counter() - t

    gc.collect()  # a collection of the objects made before must not land in the timed call
    t = time.perf_counter()
    again.replace(object_id, category="cloud")
    rename_s = time.perf_counter() - t
    assert len(again.objects(again.images[0])) == args.objects + 1

    print(f"{args.images} JPEG images of {width}x{height} in {folder}; interactive_seg from {args.root}")
    print()
    print("| measure | time |")
    print("|---|---|")
    print(f"| Session.open (no COCO file yet) | {open_s * 1000:.0f} ms |")
    print(f"| baseline: decode every image | {read_all_s * 1000:.0f} ms |")
    print(f"| ratio baseline / open | {read_all_s / open_s:.0f}x |")
    print(f"| Session.open with {total} saved objects | {reopen_s * 1000:.0f} ms |")
    print(f"| count() of every image (the widget's image list) | {count_s * 1000:.1f} ms |")
    print(f"| one add() with {total} objects in the file (encode + atomic save) | {add_s * 1000:.0f} ms |")
    print(f"| one class change (replace(id, category=...) + atomic save) | {rename_s * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
