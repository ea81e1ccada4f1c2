"""GrabCut engine against plain full-image cv2.grabCut, image by image, in one run.

Usage::

    python benchmarks/grabcut_bench.py DATASET [--jobs N] [--scribbles] [--plot FILE.png]
                                       [--half 0|1] [--limit N] [--option key=value ...]
                                       [--skip-x4] [--x4-limit N] [--skip-12mp] [--save FILE.json]

DATASET is any folder with ``images/`` and ``masks/`` (``masks/<stem>.png``: 0 background,
255 object, 128 ignored), for example the GrabCut or the Berkeley benchmark set. The protocol is the one of grabcut30's README: IoU over the
pixels whose mask is not 128; the box is the tight box grown by 5 % per side; then up to 19
corrective clicks at the peak of the distance transform of the larger error region, each
given as a point and as a radius-5 disk scribble.

Printed: one row per image (IoU after the box and NoC@90 of both methods, and the
difference), then mIoU@box, NoC@85, NoC@90, the median box-to-mask latency and the
number of images whose box result is more than 0.05 (0.3) IoU below plain GrabCut's.
``--scribbles`` adds the human-scribble protocol (strokes of
``scribbles-set-{1,2}/<stem>-anno.png`` alone, no box), where the folders exist.
``--plot FILE.png`` draws mean IoU against the number of interactions for both methods
(each image stops once it reaches 0.90 and keeps that IoU, the NoC protocol; ``--full``
runs all 20 interactions on every image instead), and each image's IoU after the box, ours
against plain. ``--plain-clicks N`` gives plain GrabCut's corrective clicks on the first N
images only (a plain call takes seconds; its box result is taken on all images). Then, unless skipped, the speed parts: every image upscaled x4 (box and one
click, both methods) and scaled to ~12 MP (box and up to 3 clicks, this engine only).

Plain GrabCut is ``cv2.grabCut`` on the whole image, 5 iterations, seeded with
``cv2.setRNGSeed(0)`` before every call, so it is deterministic: its results are cached on
disk per image and protocol (``--cache``, default ``$TMPDIR/iseg_plain_cache``) and only
the engine is run again. ``--jobs N`` runs images in N processes; every call of both
methods is seeded, so the figures do not depend on N (the latencies do: measure speed
with ``--jobs 1``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import interactive_seg as iseg  # noqa: E402

MAX_INTERACTIONS = 20
CLICKS_12MP = 3
RADIUS = 5
PLAIN_ITERATIONS = 5
# scribble files: foreground and background strokes, BGR as cv2.imread gives them
SCRIBBLE_FG_BGR = (207, 255, 255)
SCRIBBLE_BG_BGR = (0, 0, 219)
SCRIBBLE_SETS = ("scribbles-set-1", "scribbles-set-2")
_CACHE_VERSION = "plain-v1"


# -- data ------------------------------------------------------------------------------------
def stems(dataset: Path, half=None, limit=None) -> list:
    """The image stems of a dataset, sorted; ``half`` 0 or 1 keeps every other one
    (sorted stems alternating), the split used for cross-validation."""
    found = sorted(p.stem for p in (dataset / "images").iterdir() if p.is_file())
    if half is not None:
        found = found[half::2]
    return found[:limit] if limit else found


def load_item(dataset: Path, stem: str):
    """(image RGB uint8, ground truth uint8) of one stem."""
    image_path = next(p for p in (dataset / "images").iterdir() if p.stem == stem)
    bgr = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    gt = cv2.imread(str(dataset / "masks" / (stem + ".png")), cv2.IMREAD_GRAYSCALE)
    if bgr is None or gt is None:
        raise SystemExit(f"cannot read {image_path} or its mask")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), gt


def load_scribbles(dataset: Path, set_name: str, stem: str):
    """uint8 (H, W): 1 foreground strokes, 2 background strokes; None when there is no file."""
    path = dataset / set_name / f"{stem}-anno.png"
    if not path.is_file():
        return None
    anno = cv2.imread(str(path), cv2.IMREAD_COLOR)
    out = np.zeros(anno.shape[:2], np.uint8)
    out[(anno == SCRIBBLE_FG_BGR).all(2)] = 1
    out[(anno == SCRIBBLE_BG_BGR).all(2)] = 2
    return out


def protocol_box(gt: np.ndarray) -> tuple:
    ys, xs = np.nonzero(gt == 255)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    gx, gy = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    h, w = gt.shape
    return (max(0.0, x0 - gx), max(0.0, y0 - gy), min(float(w), x1 + gx), min(float(h), y1 + gy))


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    valid = gt != 128
    obj = gt == 255
    inter = np.count_nonzero(pred & obj & valid)
    union = np.count_nonzero((pred | obj) & valid)
    return inter / union if union else 1.0


def next_click(pred: np.ndarray, gt: np.ndarray):
    """(x, y, is_foreground) at the peak of the larger error region's distance transform."""
    valid = gt != 128
    fn = (gt == 255) & ~pred & valid
    fp = (gt == 0) & pred & valid
    best = None
    for region, positive in ((fn, True), (fp, False)):
        if not region.any():
            continue
        padded = np.pad(region, 1).astype(np.uint8)
        dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        if best is None or dist[y, x] > best[0]:
            best = (dist[y, x], x, y, positive)
    return None if best is None else best[1:]


# -- the two methods -------------------------------------------------------------------------
class Plain:
    """Plain cv2.grabCut on the whole image, 5 iterations, the dataset README's reference."""

    name = "plain cv2.grabCut"

    def __init__(self, image):
        self.image = image
        h, w = image.shape[:2]
        self.h, self.w = h, w

    def _rect(self, box):
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        # plain GrabCut needs at least a one-pixel frame of background outside the rect
        x0, y0 = max(x0, 1), max(y0, 1)
        x1, y1 = min(x1, self.w - 1), min(y1, self.h - 1)
        return x0, y0, x1, y1

    def box(self, box):
        x0, y0, x1, y1 = self._rect(box)
        mask = np.zeros((self.h, self.w), np.uint8)
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.setRNGSeed(0)
        cv2.grabCut(self.image, mask, (x0, y0, x1 - x0, y1 - y0), bgd, fgd, PLAIN_ITERATIONS, cv2.GC_INIT_WITH_RECT)
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)

    def clicks(self, box, clicks):
        x0, y0, x1, y1 = self._rect(box)
        mask = np.full((self.h, self.w), cv2.GC_BGD, np.uint8)
        mask[y0:y1, x0:x1] = cv2.GC_PR_FGD
        for x, y, positive in clicks:
            cv2.circle(mask, (int(x), int(y)), RADIUS, cv2.GC_FGD if positive else cv2.GC_BGD, -1)
        return self._run(mask)

    def scribbles(self, strokes):
        mask = np.full((self.h, self.w), cv2.GC_PR_BGD, np.uint8)
        mask[strokes == 1] = cv2.GC_FGD
        mask[strokes == 2] = cv2.GC_BGD
        return self._run(mask)

    def _run(self, mask):
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.setRNGSeed(0)
        cv2.grabCut(self.image, mask, None, bgd, fgd, PLAIN_ITERATIONS, cv2.GC_INIT_WITH_MASK)
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


class Ours:
    """This project's GrabCut engine through its public API."""

    name = "interactive_seg grabcut"

    def __init__(self, image, options):
        self.engine = iseg.get_engine("grabcut", **options)
        self.engine.set_image(image)
        self.shape = image.shape[:2]

    def box(self, box):
        self.engine.reset()
        return self.engine.segment(iseg.Prompts(box=box)).mask

    def clicks(self, box, clicks):
        scribbles = np.zeros(self.shape, np.uint8)
        for x, y, positive in clicks:
            cv2.circle(scribbles, (int(x), int(y)), RADIUS, 1 if positive else 2, -1)
        points = [(x, y) for x, y, _ in clicks]
        labels = [1 if positive else 0 for _, _, positive in clicks]
        prompts = iseg.Prompts(box=box, points=points, point_labels=labels, scribbles=scribbles)
        return self.engine.segment(prompts).mask

    def scribbles(self, strokes):
        self.engine.reset()
        return self.engine.segment(iseg.Prompts(scribbles=strokes)).mask


# -- the protocol ----------------------------------------------------------------------------
def run_protocol(method, gt, box, full=False):
    """IoU after each interaction (box first) and the box latency. Stops once IoU reaches
    0.90 unless ``full`` (all 20 interactions, for the IoU-against-clicks curve)."""
    t0 = time.perf_counter()
    pred = method.box(box)
    latency = time.perf_counter() - t0
    first = pred
    ious = [iou(pred, gt)]
    clicks = []
    while len(ious) < MAX_INTERACTIONS and (full or max(ious) < 0.90):
        click = next_click(pred, gt)
        if click is None:
            break
        clicks.append(click)
        pred = method.clicks(box, clicks)
        ious.append(iou(pred, gt))
    return ious, latency, first


def noc(ious, threshold):
    """Interactions (box included) until IoU first reaches ``threshold``; 20 if never."""
    for n, value in enumerate(ious, start=1):
        if value >= threshold:
            return n
    return MAX_INTERACTIONS


def curve(ious):
    """IoU after 1..20 interactions; a run that ended early keeps its last IoU (it stopped
    because no error was left, or because it reached 0.90 when not run in full)."""
    return [ious[min(i, len(ious) - 1)] for i in range(MAX_INTERACTIONS)]


def _digest(*arrays) -> str:
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        h.update(np.ascontiguousarray(a).data)
        h.update(str(a.shape).encode())
    return h.hexdigest()


def _cache_path(cache, kind, *arrays):
    if cache is None:
        return None
    return Path(cache) / f"{_CACHE_VERSION}-{kind}-{cv2.__version__}-{_digest(*arrays)}.json"


def _cached(path):
    if path is not None and path.is_file():
        try:
            return json.loads(path.read_text())
        except ValueError:
            return None
    return None


def _store(path, value):
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)


def plain_protocol(image, gt, box, cache, full=False):
    """Plain GrabCut's run of the protocol, cached on disk. A full run (all 20
    interactions) also answers a request for a short one (up to IoU 0.90)."""
    arrays = (image, gt, np.asarray(box))
    found = _cached(_cache_path(cache, "clicks-full", *arrays))
    if found is None and not full:
        found = _cached(_cache_path(cache, "clicks", *arrays))
    if found is None:
        ious, latency, _ = run_protocol(Plain(image), gt, box, full=full)
        found = {"ious": ious, "latency": latency}
        _store(_cache_path(cache, "clicks-full" if full else "clicks", *arrays), found)
    if not full:
        found = dict(found, ious=found["ious"][: noc(found["ious"], 0.90)])
    return found


def plain_box(image, gt, box, cache):
    """Plain GrabCut's IoU after the box alone, cached (for quick box-only checks)."""
    arrays = (image, gt, np.asarray(box))
    for kind in ("clicks-full", "clicks"):
        found = _cached(_cache_path(cache, kind, *arrays))
        if found is not None:
            return found["ious"][0]
    path = _cache_path(cache, "box", *arrays)
    found = _cached(path)
    if found is None:
        found = {"iou": iou(Plain(image).box(box), gt)}
        _store(path, found)
    return found["iou"]


def plain_scribbles(image, gt, strokes, cache):
    path = _cache_path(cache, "scribbles", image, gt, strokes)
    found = _cached(path)
    if found is None:
        found = {"iou": iou(Plain(image).scribbles(strokes), gt)}
        _store(path, found)
    return found


def image_task(task):
    """Everything measured on one image; a top-level function so processes can run it."""
    dataset, stem, options, want_plain, full, scribble_sets, cache, threads = task
    if threads:
        cv2.setNumThreads(threads)
    image, gt = load_item(Path(dataset), stem)
    box = protocol_box(gt)
    ious, latency, _ = run_protocol(Ours(image, options), gt, box, full=full)
    row = {"stem": stem, "ours": {"ious": ious, "latency": latency}}
    if want_plain == "box":  # plain GrabCut's box result alone (see --plain-clicks)
        row["plain"] = {"ious": [plain_box(image, gt, box, cache)], "box_only": True}
    elif want_plain:
        row["plain"] = plain_protocol(image, gt, box, cache, full)
    for set_name in scribble_sets:
        strokes = load_scribbles(Path(dataset), set_name, stem)
        if strokes is None:
            continue
        entry = {}
        if (strokes == 1).any() and (strokes == 2).any():
            t0 = time.perf_counter()
            entry["ours"] = iou(Ours(image, options).scribbles(strokes), gt)
            entry["ours_latency"] = time.perf_counter() - t0
            if want_plain:
                entry["plain"] = plain_scribbles(image, gt, strokes, cache)["iou"]
        row[set_name] = entry
    return row


def run_images(
    dataset, names, options, *, want_plain=True, full=False, scribbles=False, cache=None, jobs=1, plain_clicks=None
):
    """One row per image (see :func:`image_task`), in the order of ``names``. With
    ``plain_clicks`` N, plain GrabCut runs the corrective clicks on the first N images
    only and gives its box result alone on the others (it takes seconds a call)."""
    sets = tuple(s for s in SCRIBBLE_SETS if scribbles and (Path(dataset) / s).is_dir())
    threads = 1 if jobs > 1 else 0
    plain = ["clicks" if plain_clicks is None or i < plain_clicks else "box" for i in range(len(names))]
    tasks = [
        (str(dataset), stem, options, want_plain and plain[i], full, sets, cache, threads)
        for i, stem in enumerate(names)
    ]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            return pool.map(image_task, tasks, chunksize=1)
    return [image_task(t) for t in tasks]


# -- summaries -------------------------------------------------------------------------------
def clicked(rows):
    """The rows where both methods ran the corrective clicks (see --plain-clicks)."""
    return [r for r in rows if not r.get("plain", {}).get("box_only")]


def summarise(rows, key):
    """mIoU@box (all rows), NoC@85, NoC@90 and the median box latency (ms) of one
    method (rows where it ran the clicks)."""
    full = [r for r in rows if not r[key].get("box_only")]
    ious = [r[key]["ious"] for r in full]
    return {
        "miou_box": statistics.mean(r[key]["ious"][0] for r in rows),
        "noc85": statistics.mean(noc(i, 0.85) for i in ious),
        "noc90": statistics.mean(noc(i, 0.90) for i in ious),
        "latency_ms": statistics.median(r[key]["latency"] for r in full) * 1000,
        "clicked": len(full),
    }


def below_plain(rows, by):
    """Images whose IoU after the box is more than ``by`` below plain GrabCut's."""
    return [r["stem"] for r in rows if r["ours"]["ious"][0] < r["plain"]["ious"][0] - by]


def print_rows(rows, has_plain, sets):
    head = "| image | ours IoU@box | ours NoC@90 |"
    rule = "|---|---|---|"
    if has_plain:
        head += " plain IoU@box | plain NoC@90 | box difference |"
        rule += "---|---|---|"
    for s in sets:
        head += f" {s[-5:]} ours |" + (f" {s[-5:]} plain |" if has_plain else "")
        rule += "---|" + ("---|" if has_plain else "")
    print(head)
    print(rule)
    for r in rows:
        o = r["ours"]["ious"]
        line = f"| {r['stem']} | {o[0]:.3f} | {noc(o, 0.90)} |"
        if has_plain:
            p = r["plain"]["ious"]
            flag = " **" if o[0] < p[0] - 0.3 else (" *" if o[0] < p[0] - 0.05 else "")
            plain_noc = "-" if r["plain"].get("box_only") else noc(p, 0.90)
            line += f" {p[0]:.3f} | {plain_noc} | {o[0] - p[0]:+.3f}{flag} |"
        for s in sets:
            e = r.get(s, {})
            line += f" {e['ours']:.3f} |" if "ours" in e else " |"
            if has_plain:
                line += f" {e['plain']:.3f} |" if "plain" in e else " |"
        print(line)


def print_summary(rows, has_plain, sets):
    names = {"ours": Ours.name, "plain": Plain.name}
    keys = ["ours"] + (["plain"] if has_plain else [])
    stats = {k: summarise(rows, k) for k in keys}
    print()
    print(f"{len(rows)} images, box then corrective clicks:")
    print("| method | mIoU@box | NoC@85 | NoC@90 | median box-to-mask (ms) |")
    print("|---|---|---|---|---|")
    for k in keys:
        s = stats[k]
        print(f"| {names[k]} | {s['miou_box']:.3f} | {s['noc85']:.2f} | {s['noc90']:.2f} | {s['latency_ms']:.1f} |")
    both = clicked(rows) if has_plain else rows
    if len(both) < len(rows):
        same = summarise(both, "ours")
        print(
            f"| {names['ours']}, on the {len(both)} images plain GrabCut clicked | {same['miou_box']:.3f} "
            f"| {same['noc85']:.2f} | {same['noc90']:.2f} | {same['latency_ms']:.1f} |"
        )
        print(
            f"(plain GrabCut's NoC and latency are over its first {len(both)} images, --plain-clicks; "
            "its mIoU@box over all)"
        )
    if has_plain:
        worse, collapsed = below_plain(rows, 0.05), below_plain(rows, 0.3)
        print()
        print(
            f"Images whose IoU after the box is more than 0.05 below plain GrabCut's: {len(worse)} of {len(rows)}"
            + (f" ({', '.join(worse)})" if worse else "")
        )
        print(
            f"... more than 0.3 below (collapses): {len(collapsed)}"
            + (f" ({', '.join(collapsed)})" if collapsed else "")
        )
    for s in sets:
        got = [r[s] for r in rows if "ours" in r.get(s, {})]
        if not got:
            continue
        line = f"Human scribbles {s} ({len(got)} images, no box): ours mean IoU {statistics.mean(e['ours'] for e in got):.3f}"
        if has_plain:
            line += f", plain {statistics.mean(e['plain'] for e in got):.3f}"
        line += f"; median strokes-to-mask {statistics.median(e['ours_latency'] for e in got) * 1000:.1f} ms"
        print(line)
    return stats


# -- command line ----------------------------------------------------------------------------
def parse_options(pairs):
    options = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if value.lower() in ("true", "false"):
            options[key] = value.lower() == "true"
        elif value == "None":
            options[key] = None
        else:
            try:
                options[key] = int(value)
            except ValueError:
                try:
                    options[key] = float(value)
                except ValueError:
                    options[key] = value
    return options


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "dataset", type=Path, help="folder with images/ and masks/ (the GrabCut or the Berkeley benchmark set)"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (for quick checks)")
    parser.add_argument(
        "--half",
        type=int,
        choices=(0, 1),
        default=None,
        help="only every other image of the sorted stems, from the first (0) or second (1): the cross-validation halves",
    )
    parser.add_argument("--jobs", type=int, default=1, help="run images in N processes (figures do not depend on N)")
    parser.add_argument(
        "--scribbles", action="store_true", help="also the human-scribble protocol (scribbles-set-1/2, no box)"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        help="write the IoU-against-interactions curve and the per-image box IoU, ours against plain, to this PNG",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run all 20 interactions on every image (default: each image stops once it reaches IoU 0.90, "
        "as NoC needs; plain GrabCut then takes many times longer)",
    )
    parser.add_argument("--save", type=Path, default=None, help="write the per-image results as JSON")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "iseg_plain_cache",
        help="folder for plain GrabCut's cached results (default: %(default)s)",
    )
    parser.add_argument("--no-cache", action="store_true", help="run plain GrabCut again instead of reading its cache")
    parser.add_argument("--quiet", action="store_true", help="no per-image rows")
    parser.add_argument("--skip-x4", action="store_true", help="skip the x4 upscaled latency part")
    parser.add_argument(
        "--x4-limit",
        type=int,
        default=None,
        help="x4 part on the first N images only (plain GrabCut takes up to 100 s per call there)",
    )
    parser.add_argument("--skip-12mp", action="store_true", help="skip the 12-megapixel latency part")
    parser.add_argument("--skip-plain", action="store_true", help="skip plain GrabCut (tuning only)")
    parser.add_argument(
        "--plain-clicks",
        type=int,
        default=None,
        help="plain GrabCut's corrective clicks on the first N images only (its box result on all)",
    )
    parser.add_argument("--option", action="append", help="engine option key=value, repeatable")
    args = parser.parse_args(argv)
    if not (args.dataset / "images").is_dir() or not (args.dataset / "masks").is_dir():
        parser.error(f"{args.dataset} needs an images/ and a masks/ folder")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    options = parse_options(args.option)
    names = stems(args.dataset, args.half, args.limit)
    cache = None if args.no_cache else args.cache
    has_plain = not args.skip_plain
    print(
        f"{args.dataset.name}: {len(names)} images, OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, "
        f"{args.jobs} job(s), engine options {options or 'defaults'}"
    )
    rows = run_images(
        args.dataset,
        names,
        options,
        want_plain=has_plain,
        full=args.full,
        scribbles=args.scribbles,
        cache=cache,
        jobs=args.jobs,
        plain_clicks=args.plain_clicks,
    )
    sets = [s for s in SCRIBBLE_SETS if any(s in r for r in rows)]
    if not args.quiet:
        print()
        print_rows(rows, has_plain, sets)
    print_summary(rows, has_plain, sets)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"dataset": str(args.dataset), "options": options, "rows": rows}))
    if args.plot:
        from grabcut_plot import plot_benchmark  # matplotlib only here

        plot_benchmark(rows, args.plot, title=args.dataset.name, has_plain=has_plain, full=args.full)
        print(f"\nwrote {args.plot}")

    items = None
    if not args.skip_x4 or not args.skip_12mp:
        items = [(stem, *load_item(args.dataset, stem)) for stem in names]
    methods = [("ours", lambda im: Ours(im, options))] + ([("plain", Plain)] if has_plain else [])
    if not args.skip_x4:
        x4_part(items[: args.x4_limit] if args.x4_limit else items, methods, not args.quiet)
    if not args.skip_12mp:
        megapixel_part(items, options, not args.quiet)
    return 0


def x4_part(items, methods, verbose):
    """Box and one click on every image upscaled x4, both methods."""
    names = {"ours": Ours.name, "plain": Plain.name}
    lat = {k: [] for k, _ in methods}
    click_lat = {k: [] for k, _ in methods}
    ious = {k: [] for k, _ in methods}
    for stem, image, gt in items:
        big = cv2.resize(image, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
        big_gt = cv2.resize(gt, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
        box = protocol_box(big_gt)
        for key, make in methods:
            method = make(big)
            t0 = time.perf_counter()
            pred = method.box(box)
            lat[key].append(time.perf_counter() - t0)
            ious[key].append(iou(pred, big_gt))
            # one corrective click, where this method's own box result is most wrong
            click = next_click(pred, big_gt)
            if click is not None:
                t0 = time.perf_counter()
                method.clicks(box, [click])
                click_lat[key].append(time.perf_counter() - t0)
        if verbose:
            print(
                f"  x4 {stem:12s} {big.shape[1]}x{big.shape[0]} "
                + " ".join(f"{k} box {lat[k][-1] * 1000:8.1f} ms IoU {ious[k][-1]:.3f}" for k, _ in methods)
            )
    print()
    print(f"Images upscaled x4 ({len(items)}; box, then one corrective click):")
    print("| method | median box-to-mask (ms) | median click-to-mask (ms) | mean IoU after the box |")
    print("|---|---|---|---|")
    for key, _ in methods:
        print(
            f"| {names[key]} | {statistics.median(lat[key]) * 1000:.1f} | {statistics.median(click_lat[key]) * 1000:.1f} "
            f"| {statistics.mean(ious[key]):.3f} |"
        )
    if "plain" in lat:
        ratio = statistics.median(lat["plain"]) / statistics.median(lat["ours"])
        click_ratio = statistics.median(click_lat["plain"]) / statistics.median(click_lat["ours"])
        print(
            f"| speed-up, plain / ours | {ratio:.1f}x | {click_ratio:.1f}x "
            f"| {statistics.mean(ious['ours']) - statistics.mean(ious['plain']):+.3f} |"
        )


def megapixel_part(items, options, verbose):
    """Box and clicks on every image scaled to ~12 MP, this engine only (plain GrabCut
    takes minutes per call there)."""
    box_lat, click_lat = [], []
    for stem, image, gt in items:
        h, w = gt.shape
        scale = 4000 / max(h, w)
        size = (round(w * scale), round(h * scale))
        big = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
        big_gt = cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST)
        box = protocol_box(big_gt)
        method = Ours(big, options)
        t0 = time.perf_counter()
        pred = method.box(box)
        box_lat.append(time.perf_counter() - t0)
        clicks = []
        for _ in range(CLICKS_12MP):
            click = next_click(pred, big_gt)
            if click is None or iou(pred, big_gt) >= 0.90:
                break
            clicks.append(click)
            t0 = time.perf_counter()
            pred = method.clicks(box, clicks)
            click_lat.append(time.perf_counter() - t0)
        if verbose:
            print(f"  12MP {stem:12s} {size[0]}x{size[1]} box {box_lat[-1] * 1000:7.1f} ms, {len(clicks)} clicks")
    print()
    print(
        f"Images scaled to 4000 pixels on the long side (~12 MP), ours only, box then up to {CLICKS_12MP} "
        "corrective clicks (points and disk scribbles, as the protocol):"
    )
    print("| method | median box-to-mask (ms) | median click-to-mask (ms) | clicks timed |")
    print("|---|---|---|---|")
    click_median = statistics.median(click_lat) * 1000 if click_lat else float("nan")
    print(f"| {Ours.name} | {statistics.median(box_lat) * 1000:.1f} | {click_median:.1f} | {len(click_lat)} |")


if __name__ == "__main__":
    sys.exit(main())
