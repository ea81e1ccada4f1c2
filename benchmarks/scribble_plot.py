"""Per-image IoU of strokes alone, this engine against plain GrabCut, from grabcut_bench runs.

Usage::

    python benchmarks/grabcut_bench.py DATASET --scribbles --half 0 --save h0.json
    python benchmarks/grabcut_bench.py DATASET --scribbles --half 1 --save h1.json
    python benchmarks/scribble_plot.py h0.json h1.json --out scribbles.png

One panel per scribble set; each point is one image (x: plain ``cv2.grabCut``, y: this
engine), marked by the file it came from (the cross-validation halves), so points above
the diagonal are images where the engine's mask is better.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

SETS = ("scribbles-set-1", "scribbles-set-2")


def load(paths):
    """{set name: [(file label, stem, ours, plain), ...]} from grabcut_bench --save files."""
    found = {s: [] for s in SETS}
    for path in paths:
        rows = json.loads(Path(path).read_text())["rows"]
        for r in rows:
            for s in SETS:
                e = r.get(s, {})
                if "ours" in e and "plain" in e:
                    found[s].append((Path(path).stem, r["stem"], e["ours"], e["plain"]))
    return found


def plot(found, out: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SETS), figsize=(5.2 * len(SETS), 5.0), constrained_layout=True)
    markers = ["o", "s", "^", "D"]
    for ax, s in zip(axes, SETS):
        points = found[s]
        labels = sorted({p[0] for p in points})
        for i, label in enumerate(labels):
            mine = [p for p in points if p[0] == label]
            ax.scatter(
                [p[3] for p in mine],
                [p[2] for p in mine],
                marker=markers[i % len(markers)],
                alpha=0.75,
                label=f"{label} ({len(mine)}): engine {statistics.mean(p[2] for p in mine):.3f}, plain {statistics.mean(p[3] for p in mine):.3f}",
            )
        ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("plain cv2.grabCut IoU")
        ax.set_ylabel("interactive_seg grabcut IoU")
        ax.set_title(f"{title} {s}: strokes alone".strip())
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files written by grabcut_bench.py --scribbles --save")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--title", default="", help="title prefix (the dataset)")
    args = parser.parse_args(argv)
    found = load(args.runs)
    if not any(found.values()):
        parser.error("no scribble results in these files: run grabcut_bench.py with --scribbles and --save")
    plot(found, args.out, args.title)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
