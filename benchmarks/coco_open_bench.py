"""Opening, checking and saving a large COCO file, against json.load + pycocotools, in one run.

Usage::

    python benchmarks/coco_open_bench.py [--annotations 500000] [--per-image 5]
                                         [--file PATH] [--old REF] [--root REPO] [--repeat N]
                                         [--session-only]

Writes a synthetic COCO file (``--annotations`` RLE objects, ``--per-image`` per image of
1280 x 960, rectangles of varied widths encoded by pycocotools, written with Python's
``json.dump`` as most tools write: about 200 MB for 500,000), or reuses ``--file``. Then,
each in a fresh subprocess so that memory is measured alone (growth of the peak resident
size, ``ru_maxrss``, over the size after imports):

- baseline: ``json.load`` + ``pycocotools.coco.COCO`` (what every COCO reader pays);
- old: ``CocoDocument`` of git ref ``--old`` (default ``main``), run from an extracted copy;
- new: ``CocoDocument`` of ``--root`` (this checkout): open, ``check()``, and saving the
  untouched file (byte-identical), then one class change saved;
- ``Session.open`` of a folder holding the file (as ``annotations.coco.json``, a link), old
  and this checkout: the document plus the session's own index of object ids ("of it,
  ids s": the time of ``Session.__init__``, which builds that index after the store read
  the file).

Prints two tables: seconds and MB beside the file's size ("open peak" while opening, "held"
after it, "peak" after ``check()`` too), then the sessions' figures beside the file's size
and beside the old one's (``--session-only`` times the sessions alone). With ``--repeat N`` each variant runs N times,
interleaved per variant, and the fastest timings are shown (the memory figures barely vary).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(path: Path, annotations: int, per_image: int) -> None:
    import numpy as np
    from pycocotools import mask as mask_utils

    height, width = 960, 1280
    pool = []
    for k in range(64):  # distinct RLE strings, reused (encoding 500k full masks takes minutes)
        mask = np.zeros((height, width), np.uint8, order="F")
        y, x, w = 40 + 7 * k, 60 + 11 * k, 80 + (k * 13) % 60
        mask[y : y + 120, x : x + w] = 1
        rle = mask_utils.encode(mask)
        pool.append(
            (
                {"size": [height, width], "counts": rle["counts"].decode("ascii")},
                float(mask_utils.area(rle)),
                [float(v) for v in mask_utils.toBbox(rle)],
            )
        )
    images = [
        {"id": i, "file_name": f"train/img_{i:07d}.jpg", "width": width, "height": height, "license": 1}
        for i in range(1, annotations // per_image + 2)
    ]
    anns = []
    for n in range(annotations):
        segmentation, area, box = pool[n % len(pool)]
        anns.append(
            {
                "id": n + 1,
                "image_id": n // per_image + 1,
                "category_id": 1 + n % 3,
                "iscrowd": 0,
                "segmentation": segmentation,
                "area": area,
                "bbox": box,
            }
        )
    data = {
        "info": {"description": "synthetic", "year": 2026},
        "licenses": [{"id": 1, "name": "x"}],
        "images": images,
        "annotations": anns,
        "categories": [
            {"id": c, "name": n, "supercategory": ""} for c, n in ((1, "rocket"), (2, "cloud"), (3, "tower"))
        ],
    }
    with open(path, "w") as handle:
        json.dump(data, handle)


CHILD = r"""
import gc, json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
kind, path = sys.argv[2], sys.argv[3]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
out = {}
if kind == "session":
    import tempfile
    from interactive_seg import Session
    folder = tempfile.mkdtemp(prefix="coco-open-session-")
    os.symlink(os.path.abspath(path), os.path.join(folder, "annotations.coco.json"))
    init = Session.__init__
    def timed_init(self, *args, **kwargs):  # the session's own index of object ids, after the store's reading
        t = time.perf_counter()
        init(self, *args, **kwargs)
        out["index"] = time.perf_counter() - t
    Session.__init__ = timed_init
    before = rss()
    t = time.perf_counter()
    session = Session.open(folder)
    out["open"] = time.perf_counter() - t
    out["open_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    out["held"] = rss() - before
    out["objects"] = sum(1 for a in session.document.annotation_ids() if session.document.has_mask(a))
    session.close()
elif kind == "baseline":
    import contextlib, io
    from pycocotools.coco import COCO
    before = rss()
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(path)
    out["open"] = time.perf_counter() - t
else:
    import numpy as np
    from interactive_seg.coco import CocoDocument
    before = rss()
    t = time.perf_counter()
    doc = CocoDocument.open(path)
    out["open"] = time.perf_counter() - t
    out["open_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    out["held"] = rss() - before
    gc.collect()
    t = time.perf_counter()
    problems = doc.check()
    out["check"] = time.perf_counter() - t
    assert problems == [], problems[:3]
    out["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    if kind == "new":
        copy = path + ".saved"
        t = time.perf_counter()
        doc.save(copy)
        out["save"] = time.perf_counter() - t
        import filecmp
        out["identical"] = filecmp.cmp(path, copy, shallow=False)
        first = doc.annotation_ids()[0]
        doc.update_annotation(first, category="cloud")
        t = time.perf_counter()
        doc.save(copy)
        out["save_changed"] = time.perf_counter() - t
        os.unlink(copy)
out.setdefault("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before)
print(json.dumps(out))
"""


def run(kind: str, root: Path, path: Path, repeat: int = 1) -> dict:
    """One variant, ``repeat`` times in fresh processes: the fastest of each timing (the CPU is shared)."""
    results = [run_once(kind, root, path) for _ in range(repeat)]
    if any("error" in r for r in results):
        return next(r for r in results if "error" in r)
    return {key: (min if key not in ("identical",) else all)(r[key] for r in results) for key in results[0]}


def run_once(kind: str, root: Path, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), kind, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_documents(rows: list, size: float) -> None:
    print(
        f"\n{'':32s} {'open s':>8s} {'open peak MB':>13s} {'x file':>7s} {'held MB':>8s} {'check s':>8s} {'peak MB':>8s} {'save s':>7s} {'save 1 change s':>16s}"
    )
    for name, r in rows:
        if "error" in r:
            print(f"{name:32s} failed: {r['error']}")
            continue

        def f(key, fmt, r=r):
            return format(r[key], fmt) if key in r else "-"

        opened = r.get("open_peak", r["peak"])
        print(
            f"{name:32s} {f('open', '8.1f')} {opened:13.0f} {opened / size:7.2f} {f('held', '8.0f')} {f('check', '8.1f')} "
            f"{f('peak', '8.0f')} {f('save', '7.1f')} {f('save_changed', '16.1f')}"
        )
        if "identical" in r:
            print(f"{'':32s} untouched save byte-identical: {r['identical']}")


def print_sessions(rows: list, size: float) -> None:
    """Session.open of a folder holding the file: its peak beside the file's size and the first row's."""
    print(
        f"\n{'':32s} {'open s':>8s} {'of it, ids s':>13s} {'open peak MB':>13s} {'x file':>7s} {'x first row':>12s} "
        f"{'held MB':>8s} {'objects':>8s}"
    )
    first = None
    for name, r in rows:
        if "error" in r:
            print(f"{name:32s} failed: {r['error']}")
            continue
        first = first or r
        print(
            f"{name:32s} {r['open']:8.1f} {r['index']:13.2f} {r['open_peak']:13.0f} {r['open_peak'] / size:7.2f} "
            f"{r['open_peak'] / first['open_peak']:12.2f} {r['held']:8.0f} {r['objects']:8d}"
        )
    print(f"{'':32s} goal (issue 30): open peak <= 2.5 x file = {2.5 * size:.0f} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=int, default=500_000)
    parser.add_argument("--per-image", type=int, default=5)
    parser.add_argument("--file", type=Path, default=None, help="a COCO file to time instead of a synthetic one")
    parser.add_argument("--old", default="main", help="git ref of the old document ('' to skip)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose interactive_seg is timed")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each variant, taking the fastest (a shared machine)"
    )
    parser.add_argument("--session-only", action="store_true", help="time only Session.open (old and this checkout)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="coco-open-bench-"))
    path = args.file
    if path is None:
        path = work / "instances.json"
        t = time.perf_counter()
        build(path, args.annotations, args.per_image)
        print(f"built {path} in {time.perf_counter() - t:.0f} s")
    size = path.stat().st_size / 2**20
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (timings scale with it: compare within this run)")
    print(
        f"file: {size:.0f} MB, {args.annotations if args.file is None else '?'} annotations; python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    old = None
    if args.old:
        old = work / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.old, "interactive_seg"], capture_output=True, check=True
        ).stdout
        tar = work / "old.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as handle:
            handle.extractall(old)
    if not args.session_only:
        rows = [("json.load + pycocotools.COCO", run("baseline", args.root, path, args.repeat))]
        if old is not None:
            rows.append((f"CocoDocument ({args.old})", run("old", old, path, args.repeat)))
        rows.append(("CocoDocument (this checkout)", run("new", args.root, path, args.repeat)))
        print_documents(rows, size)
    rows = []
    if old is not None:
        rows.append((f"Session.open ({args.old})", run("session", old, path, args.repeat)))
    rows.append(("Session.open (this checkout)", run("session", args.root, path, args.repeat)))
    print_sessions(rows, size)
    path.unlink() if args.file is None else None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
