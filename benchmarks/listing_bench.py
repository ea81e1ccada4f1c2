"""Opening a dataset of 10,000 images: the recursive listing against today's flat listing, in one run.

Usage::

    python benchmarks/listing_bench.py [--images 10000] [--folders 100] [--repeat 5] [--where DIR]

Builds two roots of tiny valid PNG files (one 8 x 8 PNG written N times, so building is
quick): ``tree/`` with N images in ``--folders`` subfolders (``f000/img00000.png`` ...) and
``flat/`` with N images side by side. Then, on a warm disk (one untimed pass first), the
best of ``--repeat`` runs of:

- the flat listing as ``Session.open`` did it before subfolders were listed (``iterdir``,
  sort by name, the first-bytes check of every file): the baseline;
- :func:`interactive_seg.files.list_images` on both roots;
- :meth:`interactive_seg.Session.open` on both roots (listing + an empty COCO document).

No image is decoded anywhere: each file is opened and its first bytes read (16 in the
baseline, 32 now: AVIF's brand sits past byte 16). The goal is
``Session.open`` on the tree in <= 1 s, the same order as the flat baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interactive_seg import Session  # noqa: E402
from interactive_seg.files import IMAGE_SUFFIXES, list_images  # noqa: E402

_OLD_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF",
    b"\x00\x00\x00\x0cjP  ", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6",
)  # fmt: skip


def _old_looks_like_image(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return any(head.startswith(magic) for magic in _OLD_MAGIC)


def old_flat_listing(folder: Path) -> tuple:
    """The listing ``Session.open`` made before #36 (its code as it was): the folder's top level only."""
    images, unreadable = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if not entry.is_file() or entry.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        (images if _old_looks_like_image(entry) else unreadable).append(entry.name)
    return images, unreadable


def build(where: Path, count: int, folders: int) -> tuple:
    ok, png = cv2.imencode(".png", np.full((8, 8, 3), 128, np.uint8))
    data = png.tobytes()
    tree, flat = where / "tree", where / "flat"
    flat.mkdir(parents=True)
    for f in range(folders):
        (tree / f"f{f:03d}").mkdir(parents=True)
    for i in range(count):
        (tree / f"f{i % folders:03d}" / f"img{i:05d}.png").write_bytes(data)
        (flat / f"img{i:05d}.png").write_bytes(data)
    return tree, flat


def best(function, repeat: int) -> float:
    function()  # warm: the disk cache and the imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--folders", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--where", help="folder to build the roots in (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)
    where = Path(args.where) if args.where else Path(tempfile.mkdtemp(prefix="listing-bench-"))
    try:
        start = time.perf_counter()
        tree, flat = build(where / "roots", args.images, args.folders)
        print(
            f"built {args.images} images in {args.folders} folders and {args.images} side by side in {time.perf_counter() - start:.1f} s ({where})"
        )
        assert len(list_images(tree).images) == args.images and len(list_images(flat).images) == args.images
        assert Session.open(tree).images[0] == "f000/img00000.png"
        rows = [
            ("flat listing before #36 (baseline)", "flat", best(lambda: old_flat_listing(flat), args.repeat)),
            ("list_images", "flat", best(lambda: list_images(flat), args.repeat)),
            ("list_images", f"{args.folders} subfolders", best(lambda: list_images(tree), args.repeat)),
            ("Session.open", "flat", best(lambda: Session.open(flat), args.repeat)),
            ("Session.open", f"{args.folders} subfolders", best(lambda: Session.open(tree), args.repeat)),
        ]
        baseline = rows[0][2]
        print(f"\n{args.images} images, best of {args.repeat} on a warm disk\n")
        print(f"| {'what':<36} | {'root':<15} | {'seconds':>7} | {'vs baseline':>11} |")
        print(f"|{'-' * 38}|{'-' * 17}|{'-' * 9}|{'-' * 13}|")
        for what, root, seconds in rows:
            print(f"| {what:<36} | {root:<15} | {seconds:7.3f} | {seconds / baseline:10.2f}x |")
        goal = rows[-1][2]
        print(
            f"\nSession.open on {args.folders} subfolders: {goal:.3f} s (goal <= 1 s: {'met' if goal <= 1.0 else 'NOT met'})"
        )
    finally:
        if not args.where:
            shutil.rmtree(where, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
