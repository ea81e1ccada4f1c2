"""Opening a folder session of many images, against reading every image, in one run.

Usage::

    python benchmarks/session_bench.py [--images 1000] [--size 1280x960] [--folder DIR]

Writes N JPEG photos (a sample image, varied) into a temporary folder (or DIR), then
times ``Session.open(folder)`` (lists names and checks each file's first bytes; decodes
nothing) beside the baseline of decoding every image, and reopening with a COCO file
that holds one object per image.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", default="1280x960")
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args(argv)

    from interactive_seg import Session, read_image

    width, height = (int(v) for v in args.size.split("x"))
    folder = args.folder or Path(tempfile.mkdtemp(prefix="session-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annotations.coco.json").unlink(missing_ok=True)  # start without saved objects
    base = cv2.resize(read_image(ROOT / "sample_images" / "rocket.jpg"), (width, height))
    for i in range(args.images):
        path = folder / f"img_{i:05d}.jpg"
        if not path.exists():
            shifted = np.roll(base, i * 7, axis=1)
            cv2.imwrite(str(path), cv2.cvtColor(shifted, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])

    t = time.perf_counter()
    session = Session.open(folder)
    open_s = time.perf_counter() - t
    assert len(session.images) == args.images

    t = time.perf_counter()
    for name in session.images:
        read_image(folder / name)
    read_all_s = time.perf_counter() - t

    mask = np.zeros((height, width), bool)
    mask[100:400, 200:600] = True
    labels = np.zeros((height, width), np.int32)
    t = time.perf_counter()
    for name in session.images:
        object_id = session.new_id()
        labels[:] = 0
        labels[mask] = object_id
        session._image_record(name, (height, width))
        session._annotations[object_id] = session._encode(object_id, session._records[name]["id"], mask, "rocket")
    session.save()
    fill_s = time.perf_counter() - t
    t = time.perf_counter()
    again = Session.open(folder)
    reopen_s = time.perf_counter() - t
    assert sum(again.count(n) for n in again.images[:10]) == 10

    t = time.perf_counter()
    session.add(session.images[0], mask, "rocket")
    save_one_s = time.perf_counter() - t

    print(f"{args.images} JPEG images of {width}x{height} in {folder}")
    print()
    print("| measure | time |")
    print("|---|---|")
    print(f"| Session.open (no COCO file yet) | {open_s * 1000:.0f} ms |")
    print(f"| baseline: decode every image | {read_all_s * 1000:.0f} ms |")
    print(f"| ratio baseline / open | {read_all_s / open_s:.0f}x |")
    print(f"| Session.open with {args.images} saved objects | {reopen_s * 1000:.0f} ms |")
    print(f"| one add() with {args.images} objects in the file (encode + atomic save) | {save_one_s * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
