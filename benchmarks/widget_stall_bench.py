"""Does the widget's window stay responsive while objects change and export? Beside a baseline, in one run.

Usage (needs a display; on a server under Xvfb)::

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/widget_stall_bench.py \
        [--image PHOTO] [--size 10000x10000] [--object 4000] [--baseline f476b2b] [--repeats 1]

Drives the real dock widget in a napari window, the way an annotator does, on one large
image (PHOTO, or a synthetic scene of ``--size``): a preview of a disc ``--object`` pixels
across is handed to the widget as an engine result would be, then the widget's own
buttons are clicked: Accept (the first object: its label pixels are touched for the first
time), Accept again (a second disc overlapping the first), Delete (the second), Undo,
Redo, and Export (the export dialog's defaults: transparent background, cropped, PNG);
then another image (a small one) is chosen, and the large one again, with its object (what
Shift+Right / Shift+Left do in a folder, less the reading of the file).
For each it prints

- the longest gap between ticks of a 10 ms QTimer, from the click until the widget is
  idle and the canvas has repainted (what the user feels as a frozen window);
- the wall time from the click until the change is on screen (or the files written);
- the peak memory: the growth of the process's peak resident set (VmHWM, reset before
  each operation through /proc/self/clear_refs) over its size before the click. It counts
  everything the operation touches (numpy, Qt, OpenGL buffers), which tracemalloc would not.

Two control rows come first: "nothing" (a click that does nothing: the noise floor of the
timer on a busy machine) and "repaint" (one frame of the canvas with nothing changed: the
least any change that shows costs). Under Xvfb the frame is drawn by a software OpenGL
(llvmpipe): at 10000 x 10000 one frame takes some 35-100 ms on 2 CPU cores without other load, from day to day (150-250 ms under load), so no
visible change can have a shorter gap there; on a GPU a frame takes milliseconds.

Each side runs in a fresh process, one after the other: this checkout, and the baseline
(``--baseline``: a git revision, by default the main branch before the operations moved
off the GUI thread, unpacked with ``git archive``; or ``--baseline-root``: another
checkout). The table gives both and their ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: main before issue 13's "nothing blocks" work: every object change and export on the GUI thread
BASELINE = "f476b2b"
OPERATIONS = (
    "nothing (control)",
    "repaint (control)",
    "accept (first)",
    "accept (overlapping)",
    "delete",
    "undo",
    "redo",
    "export",
    "show another image",
    "show this image again",
)


# -- the child: one side, in its own process ------------------------------------------------
def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _scene(size, image_path):
    import numpy as np

    if image_path:
        from interactive_seg import read_image

        return read_image(image_path)
    width, height = size
    image = np.empty((height, width, 3), np.uint8)
    image[...] = (40, 90, 170)
    image[::7] = (60, 120, 200)  # some texture, cheap to make
    return image


def _disc(diameter: int):
    import numpy as np

    r = diameter / 2.0
    yy, xx = np.ogrid[:diameter, :diameter]
    return (xx + 0.5 - r) ** 2 + (yy + 0.5 - r) ** 2 < r * r


def child(args) -> dict:
    sys.path.insert(0, str(args.root))
    import napari
    import numpy as np
    from qtpy.QtCore import QEventLoop, QTimer
    from qtpy.QtWidgets import QApplication

    import interactive_seg
    from interactive_seg.plugin.preview import Preview
    from interactive_seg.plugin.widget import SegmentationWidget

    assert Path(interactive_seg.__file__).resolve().is_relative_to(Path(args.root).resolve()), interactive_seg.__file__
    size = tuple(int(v) for v in args.size.lower().split("x"))
    image = _scene(size, args.image)
    height, width = image.shape[:2]
    viewer = napari.Viewer()
    viewer.window._qt_window.resize(1500, 950)
    small = viewer.add_image(np.full((300, 400, 3), 128, np.uint8), name="small", rgb=True)
    photo = viewer.add_image(image, name="photo", rgb=image.ndim == 3)
    widget = SegmentationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    if hasattr(widget, "choose_image"):
        widget.choose_image(photo)
    app = QApplication.instance()

    def idle() -> bool:
        return not getattr(widget, "working", False) and not getattr(widget, "busy", False)

    def spin(seconds: float, until=None) -> float:
        """Run the event loop for ``seconds`` (or until ``until()``); returns when it stopped."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if until is not None and until():
                return time.perf_counter()
            time.sleep(0.001)
        return time.perf_counter()

    ticks: list = []
    stalls: list = []
    if args.why:
        _watch(ticks, stalls)
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    spin(2.0)

    d = min(args.object, height - 2, width - 2)
    disc = _disc(d)
    first = (max(0, width // 2 - d * 3 // 4), max(0, height // 2 - d * 3 // 4))
    second = (min(width - d, first[0] + d // 2), min(height - d, first[1] + d // 2))

    def offer(offset) -> None:  # what the preview worker hands the widget for a drawn box
        widget._on_result(Preview(disc, offset, (height, width)))
        spin(10.0, idle)
        spin(0.3)

    out_dir = Path(tempfile.mkdtemp(prefix="stall_bench_"))

    def export() -> None:
        values = dict(
            folder=str(out_dir),
            background="transparent",
            color=(0.0, 0.0, 0.0),
            blur_sigma=15.0,
            crop=True,
            padding=0,
            feather=0.0,
            suffix=".png",
            coco=None,
            polygons=False,
        )  # the dialog's defaults
        if hasattr(widget, "start_export"):
            widget.start_export(**values)
        else:
            widget.export(**values)

    def repaint() -> None:  # one frame of the canvas, nothing changed: the floor of any visible change
        viewer.window._qt_viewer.canvas.native.update()

    def select_second() -> None:
        widget.object_list.setCurrentRow(widget.object_list.count() - 1)

    steps = [
        ("nothing (control)", None, lambda: None),
        ("repaint (control)", None, repaint),
        ("accept (first)", lambda: offer(first), widget.accept_button.click),
        ("accept (overlapping)", lambda: offer(second), widget.accept_button.click),
        ("delete", select_second, widget.delete_button.click),
        ("undo", None, widget.undo_button.click),
        ("redo", None, widget.redo_button.click),
        ("export", None, export),
        ("show another image", None, lambda: widget.choose_image(small)),
        ("show this image again", None, lambda: widget.choose_image(photo)),
    ]
    results = {}
    peak_ok = True
    for name, prepare, click in steps:
        if prepare is not None:
            prepare()
        spin(0.3)
        gc.collect()
        peak_ok &= _reset_peak()
        rss0 = _status_kb("VmRSS")
        spin(0.1)  # gc.collect() above may have taken a while: not counted
        profiler = None
        if args.profile and args.profile in name:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0 = time.perf_counter()
        click()
        t_done = spin(600.0, idle)
        wall = t_done - t0
        spin(0.4)  # the repaint that shows the change, and what the loop does right after
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        if args.why:
            _print_stalls([st for st in stalls if st[0] > t0], name)
            stalls.clear()
        window = [t0] + [t for t in ticks if t > t0]
        gaps = np.diff(window)
        results[name] = {
            "gap_ms": float(gaps.max() * 1000),
            "wall_s": wall,
            "peak_mb": (_status_kb("VmHWM") - rss0) / 1024 if peak_ok else float("nan"),
            "objects": widget.object_list.count(),
        }
        print(
            f"  [{args.label}] {name:22s} gap {results[name]['gap_ms']:7.0f} ms  wall {wall:6.2f} s  "
            f"peak +{results[name]['peak_mb']:6.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    import hashlib

    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in sorted(out_dir.iterdir())}
    timer.stop()
    viewer.close()
    return {"results": results, "files": files, "image": [width, height], "object": d}


def _watch(ticks: list, stalls: list) -> None:
    """Sample the GUI thread's stack every 20 ms while its timer is more than 40 ms late
    (``--why``): where a stall comes from."""
    import threading
    import traceback

    main = threading.main_thread().ident

    def run():
        while True:
            time.sleep(0.02)
            if ticks and time.perf_counter() - ticks[-1] > 0.04:
                frame = sys._current_frames().get(main)
                if frame is not None:
                    stack = traceback.extract_stack(frame)
                    stalls.append(
                        (time.perf_counter(), [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[-8:]])
                    )

    threading.Thread(target=run, daemon=True).start()


def _print_stalls(stalls: list, name: str) -> None:
    from collections import Counter

    counts = Counter(" < ".join(reversed(stack)) for _, stack in stalls)
    for stack, n in counts.most_common(6):
        print(f"    {name}: {n * 20} ms in {stack}", file=sys.stderr)


# -- the parent: both sides, the table --------------------------------------------------------
def unpack(revision: str, into: Path) -> Path:
    archive = into / "baseline.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision], check=True)
    target = into / f"baseline-{revision}"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def run_side(label: str, root: Path, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        __file__,
        "--child",
        "--root",
        str(root),
        "--json",
        str(out),
        "--label",
        label,
        "--size",
        args.size,
        "--object",
        str(args.object),
    ]
    if args.image:
        command += ["--image", args.image]
    if args.profile:
        command += ["--profile", args.profile]
    if args.why:
        command += ["--why"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    subprocess.run(command, check=True, env=env, cwd=str(root))
    data = json.loads(out.read_text())
    out.unlink()
    return data


def _median(runs: list) -> dict:
    """One side's figures: per operation the median over the runs of each figure."""
    import statistics

    merged = dict(runs[0])
    merged["results"] = {
        name: {key: statistics.median(run["results"][name][key] for run in runs) for key in runs[0]["results"][name]}
        for name in runs[0]["results"]
    }
    return merged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", help="a photo to work on (default: a synthetic scene of --size)")
    parser.add_argument("--size", default="10000x10000", help="WxH of the synthetic scene")
    parser.add_argument("--object", type=int, default=4000, help="the objects' diameter in pixels")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--baseline-root", help="a checkout to compare with (instead of --baseline)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each side (alternating); the table gives medians"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="this", help=argparse.SUPPRESS)
    parser.add_argument("--why", action="store_true", help="print where the GUI thread was during stalls")
    parser.add_argument("--profile", help="cProfile the GUI thread during the operations whose name holds this")
    args = parser.parse_args(argv)
    if args.child:
        Path(args.json).write_text(json.dumps(child(args)))
        return 0

    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {}
        if not args.skip_baseline:
            roots["baseline"] = Path(args.baseline_root) if args.baseline_root else unpack(args.baseline, Path(tmp))
        roots["this"] = ROOT
        for _ in range(args.repeats):  # the sides alternate, so changing load falls on both alike
            for label, root in roots.items():
                runs.setdefault(label, []).append(run_side(label, root, args))
    sides = {label: _median(found) for label, found in runs.items()}
    this = sides["this"]
    w, h = this["image"]
    rgb_mb = w * h * 3 / 2**20
    print(
        f"\nwidget_stall_bench: {w} x {h} image (RGB {rgb_mb:.0f} MB), objects {this['object']} px across; "
        f"baseline {args.baseline_root or args.baseline}; medians of {args.repeats} run(s) per side; "
        f"peak = growth of peak RSS (VmHWM) during the operation"
    )
    head = f"{'operation':22s} | {'longest gap ms':>24s} | {'wall s':>20s} | {'peak MB':>20s}"
    print(head)
    print(
        f"{'':22s} | {'base':>7s} {'this':>7s} {'ratio':>8s} | {'base':>6s} {'this':>6s} {'ratio':>6s} | "
        f"{'base':>6s} {'this':>6s} {'ratio':>6s}"
    )
    print("-" * len(head))
    base = sides.get("baseline", {}).get("results", {})
    for name in OPERATIONS:
        t = this["results"][name]
        b = base.get(name)
        if b:
            print(
                f"{name:22s} | {b['gap_ms']:7.0f} {t['gap_ms']:7.0f} {b['gap_ms'] / max(t['gap_ms'], 1e-9):7.1f}x | "
                f"{b['wall_s']:6.2f} {t['wall_s']:6.2f} {b['wall_s'] / max(t['wall_s'], 1e-9):5.2f}x | "
                f"{b['peak_mb']:6.0f} {t['peak_mb']:6.0f} "
                + (f"{b['peak_mb'] / t['peak_mb']:5.2f}x" if min(b["peak_mb"], t["peak_mb"]) >= 1 else f"{'-':>6s}")
            )
        else:
            print(
                f"{name:22s} | {'-':>7s} {t['gap_ms']:7.0f} {'':>8s} | {'-':>6s} {t['wall_s']:6.2f} {'':>6s} | "
                f"{'-':>6s} {t['peak_mb']:6.0f}"
            )
    measured = [r for name, r in this["results"].items() if "(control)" not in name]
    worst_gap = max(r["gap_ms"] for r in measured)
    worst_peak = max(r["peak_mb"] for r in measured)
    print(
        f"goals: longest gap {worst_gap:.0f} ms (<= 100: {'met' if worst_gap <= 100 else 'NOT met'}); "
        f"peak {worst_peak:.0f} MB (<= 2 x RGB = {2 * rgb_mb:.0f}: {'met' if worst_peak <= 2 * rgb_mb else 'NOT met'})"
    )
    if base and sides["baseline"]["files"] != this["files"]:
        print(f"note: the exported files differ: {sides['baseline']['files']} vs {this['files']}")
    elif base:
        print(f"the exported files are byte for byte the baseline's ({len(this['files'])} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
