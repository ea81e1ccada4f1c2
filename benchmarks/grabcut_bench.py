"""GrabCut engine against plain full-image cv2.grabCut, side by side, in one run.

Usage::

    python benchmarks/grabcut_bench.py PATH/TO/grabcut30 [--limit N] [--skip-x4] [--skip-12mp] [--option key=value ...]

Follows the protocol of the dataset's README: IoU over pixels whose mask is not 128; the
box is the tight box grown by 5 % per side; then up to 19 corrective clicks at the peak of
the distance transform of the largest error region, given as a point and as a radius-5
disk scribble. Prints mIoU@box, NoC@85, NoC@90 and the median box-to-mask latency for
both methods; then, on every image upscaled x4, box-to-mask and click-to-mask latency of
both and their IoU after the box; then, on every image scaled to ~12 MP, this engine's
box and click latency (plain GrabCut takes minutes per call there).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import interactive_seg as iseg  # noqa: E402

MAX_INTERACTIONS = 20
CLICKS_12MP = 3
RADIUS = 5


def load(dataset: Path, limit=None):
    items = []
    for image_path in sorted((dataset / "images").iterdir()):
        gt = cv2.imread(str(dataset / "masks" / (image_path.stem + ".png")), cv2.IMREAD_GRAYSCALE)
        image = cv2.cvtColor(cv2.imread(str(image_path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        items.append((image_path.stem, image, gt))
    return items[:limit] if limit else items


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
        cv2.grabCut(self.image, mask, (x0, y0, x1 - x0, y1 - y0), bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
        return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)

    def clicks(self, box, clicks):
        x0, y0, x1, y1 = self._rect(box)
        mask = np.full((self.h, self.w), cv2.GC_BGD, np.uint8)
        mask[y0:y1, x0:x1] = cv2.GC_PR_FGD
        for x, y, positive in clicks:
            cv2.circle(mask, (int(x), int(y)), RADIUS, cv2.GC_FGD if positive else cv2.GC_BGD, -1)
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.setRNGSeed(0)
        cv2.grabCut(self.image, mask, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
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


def run_protocol(method, gt, box):
    """IoU after the box, NoC@85 and NoC@90, and the box latency, for one image."""
    t0 = time.perf_counter()
    pred = method.box(box)
    latency = time.perf_counter() - t0
    ious = [iou(pred, gt)]
    clicks = []
    while len(ious) < MAX_INTERACTIONS and max(ious) < 0.90:
        click = next_click(pred, gt)
        if click is None:
            break
        clicks.append(click)
        pred = method.clicks(box, clicks)
        ious.append(iou(pred, gt))

    def noc(threshold):
        for n, value in enumerate(ious, start=1):
            if value >= threshold:
                return n
        return MAX_INTERACTIONS

    return ious[0], noc(0.85), noc(0.90), latency


def parse_options(pairs):
    options = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if value in ("True", "False"):
            options[key] = value == "True"
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
    parser.add_argument("dataset", type=Path, help="folder with images/ and masks/ (../shared/bench/grabcut30)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (for quick checks)")
    parser.add_argument("--skip-x4", action="store_true", help="skip the x4 upscaled latency part")
    parser.add_argument("--x4-limit", type=int, default=None,
                        help="x4 part on the first N images only (plain GrabCut takes minutes per call there)")
    parser.add_argument("--skip-12mp", action="store_true", help="skip the 12-megapixel click latency part")
    parser.add_argument("--skip-plain", action="store_true", help="skip the plain GrabCut baseline (tuning only)")
    parser.add_argument("--option", action="append", help="engine option key=value, repeatable")
    parser.add_argument("--verbose", action="store_true", help="print one line per image")
    args = parser.parse_args(argv)
    if not (args.dataset / "images").is_dir():
        parser.error(f"{args.dataset} has no images/ folder")
    options = parse_options(args.option)
    items = load(args.dataset, args.limit)
    cv2.setNumThreads(cv2.getNumThreads())
    print(f"{len(items)} images, OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, engine options {options or 'defaults'}")

    rows = {}
    methods = [("ours", lambda im: Ours(im, options))]
    if not args.skip_plain:
        methods.append(("plain", Plain))
    for key, make in methods:
        stats = []
        for stem, image, gt in items:
            result = run_protocol(make(image), gt, protocol_box(gt))
            stats.append(result)
            if args.verbose:
                print(f"  {key:5s} {stem:12s} IoU@box {result[0]:.3f} NoC85 {result[1]:2d} NoC90 {result[2]:2d} {result[3]*1000:7.1f} ms")
        rows[key] = (
            statistics.mean(s[0] for s in stats),
            statistics.mean(s[1] for s in stats),
            statistics.mean(s[2] for s in stats),
            statistics.median(s[3] for s in stats) * 1000,
        )
    names = {"ours": Ours.name, "plain": Plain.name}
    print()
    print("| method | mIoU@box | NoC@85 | NoC@90 | median box-to-mask (ms) |")
    print("|---|---|---|---|---|")
    for key, (m, n85, n90, lat) in rows.items():
        print(f"| {names[key]} | {m:.3f} | {n85:.2f} | {n90:.2f} | {lat:.1f} |")
    if "plain" in rows:
        print(f"| ratio plain / ours (latency) | | | | {rows['plain'][3] / rows['ours'][3]:.1f}x |")

    if not args.skip_x4:
        x4_part(items[: args.x4_limit] if args.x4_limit else items, methods, names, args.verbose)
    if not args.skip_12mp:
        megapixel_part(items, options, args.verbose)
    return 0


def x4_part(items, methods, names, verbose):
    """Box and one click on every image upscaled x4, both methods."""
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
            print(f"  x4 {stem:12s} {big.shape[1]}x{big.shape[0]} " + " ".join(
                f"{k} box {lat[k][-1]*1000:8.1f} ms IoU {ious[k][-1]:.3f} click {click_lat[k][-1]*1000:8.1f} ms"
                for k, _ in methods))
    print()
    print("Images upscaled x4 (box, then one corrective click):")
    print("| method | median box-to-mask (ms) | median click-to-mask (ms) | mean IoU after the box |")
    print("|---|---|---|---|")
    for key, _ in methods:
        print(f"| {names[key]} | {statistics.median(lat[key])*1000:.1f} | {statistics.median(click_lat[key])*1000:.1f} "
              f"| {statistics.mean(ious[key]):.3f} |")
    if "plain" in lat:
        ratio = statistics.median(lat["plain"]) / statistics.median(lat["ours"])
        click_ratio = statistics.median(click_lat["plain"]) / statistics.median(click_lat["ours"])
        print(f"| speed-up, plain / ours | {ratio:.1f}x | {click_ratio:.1f}x "
              f"| {statistics.mean(ious['ours']) - statistics.mean(ious['plain']):+.3f} |")



def megapixel_part(items, options, verbose):
    """Box and clicks on every image scaled to ~12 MP, this engine only."""
    names = {"ours": Ours.name}
    # 12-megapixel photos: the latency a user feels when refining on a camera image.
    # Plain GrabCut is left out here: one call at this size takes minutes.
    box_lat, click_lat_12 = [], []
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
            click_lat_12.append(time.perf_counter() - t0)
        if verbose:
            print(f"  12MP {stem:12s} {size[0]}x{size[1]} box {box_lat[-1]*1000:7.1f} ms, {len(clicks)} clicks")
    print()
    print(f"Images scaled to 4000 pixels on the long side (~12 MP), ours only, box then up to {CLICKS_12MP} "
          "corrective clicks (points and disk scribbles, as the protocol):")
    print("| method | median box-to-mask (ms) | median click-to-mask (ms) | clicks timed |")
    print("|---|---|---|---|")
    click_median = statistics.median(click_lat_12) * 1000 if click_lat_12 else float("nan")
    print(f"| {names['ours']} | {statistics.median(box_lat)*1000:.1f} | {click_median:.1f} | {len(click_lat_12)} |")


if __name__ == "__main__":
    sys.exit(main())
