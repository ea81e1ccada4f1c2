"""What one change of a folder session costs as the COCO file grows: the journal against a
full rewrite per change, in one run.

Usage::

    python benchmarks/session_bench.py [--sizes 100,20000,500000] [--reps 21]
                                       [--baseline-reps 21,9,3] [--folder DIR] [--root REPO]

For each size N it writes a COCO file of N polygon annotations (about 400 bytes each, as
COCO-train's are: 500,000 make a ~200 MB file) over N/5 image records, and one real
640 x 480 photograph the changes go to. Then, on the same file:

- **journal** (this package): ``Session.add`` / ``replace`` / ``remove``, each timed alone;
  each is durable (one fsync'd journal record) when it returns. The session folds its
  journal into the COCO file every 200 changes (the default); that rewrite is timed apart.
- **baseline** (a full rewrite per change, what sessions did before): the same change
  through ``CocoDocument`` followed by ``CocoDocument.save`` (the whole file, atomically).

Then ``Session.open`` (time and peak memory, in a fresh process) and ``check_coco`` on the
largest file, and two processes adding 20 objects each to one folder. Medians are
printed; the machine is shared, so read them as orders of magnitude.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 640, 480


def write_coco(path: Path, n: int) -> int:
    """A COCO file of ``n`` polygon annotations, five per image record (the first names a real photo)."""
    images = max(1, n // 5)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"info":{"description":"session bench"},"images":[')
        out.writelines(
            ("," if i > 1 else "") + f'{{"id":{i},"file_name":"img_{i - 1:06d}.jpg","width":{WIDTH},"height":{HEIGHT}}}'
            for i in range(1, images + 1)
        )
        out.write('],"annotations":[')
        unit = [(float(np.cos(a)), float(np.sin(a))) for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)]
        shapes = []  # 997 polygons at different places, taken in turn
        for k in range(997):
            x, y = 20 + (k * 7) % 500, 20 + (k * 13) % 380
            ring = ",".join(f"{v:.1f}" for c, s in unit for v in (x + 40 + 35 * c, y + 40 + 35 * s))
            shapes.append(f'"segmentation":[[{ring}]],"area":3848.5,"bbox":[{x + 5.0},{y + 5.0},70.0,70.0]}}')
        for k in range(1, n + 1):
            out.write(
                f'{"," if k > 1 else ""}{{"id":{k},"image_id":{1 + (k - 1) % images},"category_id":{1 + k % 3},"iscrowd":0,{shapes[k % 997]}'
            )
        out.write(
            '],"categories":[{"id":1,"name":"rocket","supercategory":""},{"id":2,"name":"cloud","supercategory":""},'
            '{"id":3,"name":"tower","supercategory":""}]}'
        )
    return path.stat().st_size


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def masks(reps: int) -> list:
    out = []
    for r in range(reps):
        mask = np.zeros((HEIGHT, WIDTH), bool)
        mask[50 + r % 300 : 150 + r % 300, 60 + (7 * r) % 400 : 200 + (7 * r) % 400] = True
        out.append(mask)
    return out


def journal_path(folder: Path, reps: int) -> dict:
    from interactive_seg import Session

    session = Session.open(folder)
    name = "img_000000.jpg"
    shapes = masks(reps)
    gc.collect()
    adds, ids = [], []
    for mask in shapes:
        adds.append(timed(lambda: ids.append(session.add(name, mask, "rocket"))))
    replaces = [timed(lambda: session.replace(i, mask=m)) for i, m in zip(ids, reversed(shapes))]
    removes = [timed(lambda: session.remove(i)) for i in ids]
    fold = timed(session.save) if session.unsaved else float("nan")
    session.close()
    return {"add": adds, "replace": replaces, "delete": removes, "fold": fold}


def baseline_path(path: Path, reps: int) -> dict:
    from interactive_seg.coco import CocoDocument

    doc = CocoDocument.open(path)
    shapes = masks(reps)
    gc.collect()
    adds, ids = [], []

    def add(mask):
        ids.append(doc.add_annotation(1, mask, "rocket")["id"])
        doc.save(path)

    def replace(ann_id, mask):
        doc.update_annotation(ann_id, mask=mask)
        doc.save(path)

    def remove(ann_id):
        doc.remove_annotation(ann_id)
        doc.save(path)

    for mask in shapes:
        adds.append(timed(lambda: add(mask)))
    replaces = [timed(lambda: replace(i, m)) for i, m in zip(ids, reversed(shapes))]
    removes = [timed(lambda: remove(i)) for i in ids]
    return {"add": adds, "replace": replaces, "delete": removes}


def in_fresh_process(root: Path, code: str) -> dict:
    script = f"import sys, json, time, resource\nsys.path.insert(0, {str(root)!r})\n" + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def open_and_check(root: Path, folder: Path) -> tuple:
    opened = in_fresh_process(
        root,
        f"""
        from interactive_seg import Session
        def peak():  # this process's own high-water mark (ru_maxrss counts the parent's from before the fork)
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        base = peak()
        start = time.perf_counter()
        session = Session.open({str(folder)!r}, mode="read")
        seconds = time.perf_counter() - start
        print(json.dumps({{"s": seconds, "rss": peak(), "base": base}}))
    """,
    )
    checked = in_fresh_process(
        root,
        f"""
        from interactive_seg import check_coco
        start = time.perf_counter()
        problems = check_coco({str(folder / "annotations.coco.json")!r})
        print(json.dumps({{"s": time.perf_counter() - start, "problems": len(problems)}}))
    """,
    )
    return opened, checked


def two_writers(root: Path, folder: Path) -> tuple:
    """Two processes adding 20 objects each: (objects at the end, acknowledged adds, refusals)."""
    (folder / "annotations.coco.json").unlink(missing_ok=True)
    code = f"""
import sys, numpy as np
sys.path.insert(0, {str(root)!r})
from interactive_seg import InputError, Session
try:
    session = Session.open({str(folder)!r}, mode="write")
except InputError as exc:
    print("refused", exc, flush=True)
    sys.exit(0)
for i in range(20):
    mask = np.zeros(({HEIGHT}, {WIDTH}), bool); mask[i:i + 30, i:i + 30] = True
    session.add("img_000000.jpg", mask, "rocket")
    print("ok", flush=True)
session.close()
"""
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate()[0] for p in procs]
    lines = "".join(outs).splitlines()
    from interactive_seg import Session

    with Session.open(folder) as session:
        total = session.count("img_000000.jpg")
    return total, lines.count("ok"), sum(line.startswith("refused") for line in lines)


def ms(values) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,20000,500000", help="annotations in the COCO file, comma-separated")
    parser.add_argument("--reps", type=int, default=21, help="changes of each kind timed on the journal path")
    parser.add_argument("--baseline-reps", default="21,9,3", help="the same for the baseline, per size (it is slow)")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose interactive_seg is timed")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    sizes = [int(v) for v in args.sizes.split(",")]
    baseline_reps = [int(v) for v in args.baseline_reps.split(",")]
    baseline_reps += [baseline_reps[-1]] * (len(sizes) - len(baseline_reps))
    base = Path(args.folder or tempfile.mkdtemp(prefix="session-bench-"))
    photo = cv2.resize(cv2.imread(str(ROOT / "sample_images" / "rocket.jpg")), (WIDTH, HEIGHT))

    rows, largest = [], None
    for n, breps in zip(sizes, baseline_reps):
        folder = base / f"n{n}"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / "img_000000.jpg"), photo)
        path = folder / "annotations.coco.json"
        size = write_coco(path, n)
        journal = journal_path(folder, args.reps)
        write_coco(path, n)  # the same file again for the baseline
        baseline = baseline_path(path, breps)
        rows.append((n, size, journal, baseline, breps))
        largest = (folder, n, size)
        print(f"... {n} annotations done", file=sys.stderr, flush=True)

    folder, n, size = largest
    write_coco(folder / "annotations.coco.json", n)
    opened, checked = open_and_check(root, folder)
    together = two_writers(root, base / f"n{sizes[0]}")

    print(f"interactive_seg from {root}; COCO files in {base}")
    print()
    print("| annotations (file size) | change | journal: median | baseline (full rewrite): median |")
    print("|---|---|---|---|")
    for n, size, journal, baseline, breps in rows:
        for kind in ("add", "replace", "delete"):
            print(
                f"| {n:,} ({size / 1e6:.1f} MB) | {kind} | {ms(journal[kind])} (n={len(journal[kind])}) | {ms(baseline[kind])} (n={breps}) |"
            )
        print(
            f"| {n:,} ({size / 1e6:.1f} MB) | fold the journal into the file (every 200 changes, save, close) | {journal['fold'] * 1000:.0f} ms | - |"
        )
    print()
    print(f"| on the {n:,}-annotation file ({size / 1e6:.0f} MB) | figure |")
    print("|---|---|")
    print(f"| Session.open (fresh process) | {opened['s']:.1f} s |")
    print(
        f"| peak memory of that process (before opening: {opened['base'] / 1e6:.0f} MB) | {opened['rss'] / 1e6:.0f} MB ({(opened['rss'] - opened['base']) / size:.1f}x the file) |"
    )
    print(f"| check_coco | {checked['s']:.1f} s ({checked['problems']} problems) |")
    print()
    total, acknowledged, refused = together
    print(
        f"Two processes adding 20 objects each to one folder: {total} objects at the end, "
        f"{acknowledged} adds acknowledged, {refused} process(es) refused with a sentence."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
