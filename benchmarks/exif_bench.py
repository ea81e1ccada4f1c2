"""What turning photographs upright costs ``read_image``, against the read before it, in one run.

Usage::

    python benchmarks/exif_bench.py [--megapixels 12] [--repeats 15]

Writes a synthetic photograph (4000 x 3000 for 12 MP: smooth gradients and noise, JPEG
quality 92, as a phone writes it) three ways: with no EXIF, with EXIF orientation 1, and
with orientation 6 (taken upright, stored on its side); and as a PNG with no EXIF. For
each it prints the median wall time of

- **before**: what ``read_image`` did before EXIF (``np.fromfile`` + ``cv2.imdecode`` +
  ``cvtColor``), and
- **now**: ``interactive_seg.read_image`` (the same, plus the orientation read from the
  file's header in memory, plus the quarter turn for orientation 6),

alternating the two so both see the same machine; then the added work alone (the header
lookup, the turn), which a busy machine's noise does not hide; and the header-only ``image_size``
against the former PNG/JPEG header read of sessions (same size, now upright).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interactive_seg.files.reading import _header, _Reader, image_size, orient, read_image  # noqa: E402


def before(path) -> np.ndarray:
    """read_image as it was before EXIF orientation (the baseline)."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def before_size(path):
    """The former header read of sessions (PNG IHDR, JPEG frame header)."""
    with open(path, "rb") as handle:
        head = handle.read(24)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")
        handle.seek(2)
        while True:
            marker = handle.read(4)
            kind, length = marker[1], int.from_bytes(marker[2:4], "big")
            if kind in (0xC0, 0xC1, 0xC2):
                frame = handle.read(5)
                return int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big")
            handle.seek(length - 2, 1)


def photograph(megapixels: float) -> np.ndarray:
    height = int(round((megapixels * 1e6 * 3 / 4) ** 0.5))
    width = int(round(height * 4 / 3))
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    rgb = np.stack([xx / width * 200, yy / height * 180, (xx + yy) / (width + height) * 220], axis=2)
    rgb += np.random.default_rng(0).normal(0, 8, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def timed(fn, path, repeats: int) -> list:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(path)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    image = photograph(args.megapixels)
    folder = Path(tempfile.mkdtemp())
    files = {}
    plain = Image.fromarray(image)
    files["JPEG, no EXIF"] = folder / "plain.jpg"
    plain.save(files["JPEG, no EXIF"], quality=92)
    for orientation in (1, 6):
        exif = Image.Exif()
        exif[0x0112] = orientation
        exif[0x010F] = "Phone"  # Make, as a camera writes it
        stored = plain if orientation == 1 else plain.transpose(Image.Transpose.ROTATE_90)
        files[f"JPEG, orientation {orientation}"] = folder / f"o{orientation}.jpg"
        stored.save(files[f"JPEG, orientation {orientation}"], quality=92, exif=exif)
    files["PNG, no EXIF"] = folder / "plain.png"
    plain.save(files["PNG, no EXIF"], compress_level=1)

    height, width = image.shape[:2]
    print(f"read_image on a {width} x {height} ({width * height / 1e6:.1f} MP) image, median of {args.repeats} (ms)")
    print(f"{'file':24} {'before':>9} {'now':>9} {'difference':>11}")
    for label, path in files.items():
        read_image(path), before(path)  # warm the page cache
        old, new = [], []
        for _ in range(args.repeats):  # alternate, so both see the same machine
            old += timed(before, path, 1)
            new += timed(read_image, path, 1)
        b, n = statistics.median(old) * 1e3, statistics.median(new) * 1e3
        print(f"{label:24} {b:9.1f} {n:9.1f} {n - b:+9.1f} ({100 * (n - b) / b:+.1f} %)")
    print()
    print("the work read_image adds, alone (what the difference above is, without the machine's noise)")
    for label, path in files.items():
        data = np.fromfile(str(path), dtype=np.uint8)
        lookups = []
        for _ in range(args.repeats * 20):
            start = time.perf_counter()
            orientation = _header(_Reader(data.data))[1]
            lookups.append(time.perf_counter() - start)
        line = f"{label:24} orientation {orientation} read from the header in {statistics.median(lookups) * 1e6:.1f} microseconds"
        if orientation != 1:
            decoded = before(path)
            turns = timed(lambda _: orient(decoded, orientation), None, args.repeats)
            line += f", the quarter turn {statistics.median(turns) * 1e3:.1f} ms"
        print(line)
    print()
    print(f"header-only size, median of {args.repeats * 20} (microseconds)")
    print(f"{'file':24} {'before':>9} {'now':>9}")
    for label, path in files.items():
        old = timed(before_size, path, args.repeats * 20)
        new = timed(image_size, path, args.repeats * 20)
        print(
            f"{label:24} {statistics.median(old) * 1e6:9.1f} {statistics.median(new) * 1e6:9.1f}   now {image_size(path)}, before {before_size(path)}"
        )


if __name__ == "__main__":
    main()
