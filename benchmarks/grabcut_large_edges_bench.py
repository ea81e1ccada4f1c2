"""Mask edges on a 6000 x 4000 photograph: the staircase of a scaled-down cut, in one run.

Usage::

    python benchmarks/grabcut_large_edges_bench.py [--dataset DATASET --stem STEM ...]

A cut on a 6000 x 4000 photograph runs on a copy scaled to ``max_side`` (256) pixels: one
working pixel is ~23 x 23 image pixels. Printed for ``fine_edges=False`` (the mask scaled up
by interpolation, the engine before) and the default (the boundary cut again level by level
up to full resolution, ``engines/grabcut/upscale.py``): the seconds of the box call, and
how far the mask's boundary lies from the true one.

- a synthetic scene (always): a smooth blob (radius varying with the angle, so every
  slope of boundary occurs) on a textured background, rendered at 6000 x 4000 with a
  1 px soft edge and noise; its true boundary is known. Printed: the largest, the 99th
  percentile and the mean distance (px) from a mask boundary pixel to the true boundary,
  the IoU. A staircase of width w shows as a largest distance of about w / 2 or more.
- ``--dataset DIR --stem STEM`` (repeatable stems): that photo (``images/``) and its
  ground truth (``masks/``) upscaled to 6000 x 4000 (bicubic, nearest for the mask), the
  protocol's box (tight box + 5 %). The upscaled truth has its own staircase of the
  upscaling factor, so it is no reference for the edge: the reference is the boundary of
  the same cut computed at full resolution, i.e. the band between the two masks' edges
  cut again at full resolution with a wide band (twice a working pixel each side), the
  same colour models. Printed: the distances from each mask's boundary to the
  reference's (largest, 99th percentile, mean), IoU against the upscaled truth, and the
  seconds of one corrective click of the protocol after the box.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grabcut_bench as gb  # noqa: E402

import interactive_seg as iseg  # noqa: E402
from interactive_seg.engines.grabcut import graphcut, upscale  # noqa: E402

WIDTH, HEIGHT = 6000, 4000


def blob_scene(seed=0):
    """(image, truth, box) of the synthetic 6000 x 4000 scene."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:HEIGHT, :WIDTH].astype(np.float32)
    cx, cy = 0.52 * WIDTH, 0.48 * HEIGHT
    angle = np.arctan2(yy - cy, xx - cx)
    radius = 1300 * (1 + 0.14 * np.sin(3 * angle + 0.4) + 0.06 * np.cos(5 * angle))
    signed = np.hypot(xx - cx, yy - cy) - radius  # < 0 inside; ~ the distance near the edge
    del yy, xx, angle, radius
    truth = signed < 0
    alpha = np.clip(0.5 - signed, 0, 1)[..., None]  # a 1 px soft edge
    del signed
    texture = ((np.add.outer(np.arange(HEIGHT) // 90, np.arange(WIDTH) // 60)) % 2)[..., None]
    background = np.array([40, 90, 160], np.float32) + texture * np.array([0, 35, 30], np.float32)
    obj = np.array([200, 120, 50], np.float32)
    image = alpha * obj + (1 - alpha) * background
    del alpha, background
    image += rng.normal(0, 10, image.shape).astype(np.float32)
    ys, xs = np.nonzero(truth[::8, ::8])
    x0, x1, y0, y1 = 8 * xs.min(), 8 * xs.max() + 8, 8 * ys.min(), 8 * ys.max() + 8
    gx, gy = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    box = (max(0.0, x0 - gx), max(0.0, y0 - gy), min(float(WIDTH), x1 + gx), min(float(HEIGHT), y1 + gy))
    return np.clip(image, 0, 255).astype(np.uint8), truth, box


def boundary(mask: np.ndarray) -> np.ndarray:
    m8 = mask.astype(np.uint8)
    return (m8 != cv2.erode(m8, np.ones((3, 3), np.uint8))).astype(bool)


def distances(mask: np.ndarray, reference: np.ndarray, within=None) -> tuple:
    """(largest, 99th percentile, mean) distance from ``mask``'s boundary pixels to
    ``reference``'s boundary (pixels at the image's edge left out)."""
    ref = boundary(reference)
    far = cv2.distanceTransform((~ref).astype(np.uint8), cv2.DIST_L2, 5)
    edge = boundary(mask)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = False
    if within is not None:
        edge &= within
    d = far[edge]
    return float(d.max()), float(np.percentile(d, 99)), float(d.mean())


def segment(image, box, fine):
    engine = iseg.get_engine("grabcut", fine_edges=fine)
    engine.set_image(image)
    begun = time.perf_counter()
    result = engine.segment(iseg.Prompts(box=box))
    return result, time.perf_counter() - begun, engine


def reference_mask(engine, image, result) -> np.ndarray:
    """The kept cut's boundary computed at full resolution: the band of twice a working
    pixel each side of its scaled-up mask cut again on the full-resolution pixels, with
    its colour models refitted to them."""
    state = engine._state
    x0, y0, x1, y1 = state.region
    small = np.isin(state.labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    up = cv2.resize(small.astype(np.uint8) * 255, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) >= 128
    bg, fg = upscale._refitted(crop, up, state.bgd_model.ravel(), state.fgd_model.ravel())
    radius = int(np.ceil(2 / state.scale))
    out = np.zeros(image.shape[:2], bool)
    out[y0:y1, x0:x1] = graphcut.band_cut(crop, up, small, radius, bg, fg)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--stem", action="append", default=[])
    args = parser.parse_args(argv)
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, {WIDTH} x {HEIGHT}")
    image, truth, box = blob_scene()
    print("\nsynthetic blob: distance from the mask's boundary to the true boundary (px)")
    print("setting              seconds   largest   99th pct   mean    IoU")
    for name, fine in (("fine_edges=False", False), ("default", True)):
        result, seconds, _ = segment(image, box, fine)
        big, p99, mean = distances(result.mask, truth)
        print(
            f"{name:18s} {seconds:9.2f} {big:9.1f} {p99:10.1f} {mean:7.2f} {gb.iou(result.mask, truth * np.uint8(255)):7.4f}"
        )
    del image, truth
    for stem in args.stem:
        photo, gt = gb.load_item(args.dataset, stem)
        image = cv2.resize(photo, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
        gt = cv2.resize(gt, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
        box = gb.protocol_box(gt)
        print(
            f"\n{stem} ({photo.shape[1]} x {photo.shape[0]} upscaled): distance to the full-resolution cut's boundary (px)"
        )
        print("setting              seconds   largest   99th pct   mean    IoU (upscaled truth)  click s")
        for name, fine in (("fine_edges=False", False), ("default", True)):
            result, seconds, engine = segment(image, box, fine)
            reference = reference_mask(engine, image, result)
            big, p99, mean = distances(result.mask, reference)
            # one corrective click of the protocol, continuing the box
            x, y, positive = gb.next_click(result.mask, gt)
            disk = np.zeros(gt.shape, np.uint8)
            cv2.circle(disk, (int(x), int(y)), gb.RADIUS, 1 if positive else 2, -1)
            begun = time.perf_counter()
            engine.segment(iseg.Prompts(box=box, points=[(x, y)], point_labels=[int(positive)], scribbles=disk))
            click = time.perf_counter() - begun
            print(
                f"{name:18s} {seconds:9.2f} {big:9.1f} {p99:10.1f} {mean:7.2f} {gb.iou(result.mask, gt):7.4f}"
                f"                {click:7.2f}"
            )


if __name__ == "__main__":
    main()
