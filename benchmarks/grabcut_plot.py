"""The GrabCut benchmark's figure: the interactive-segmentation curve and the box scatter.

Left: mean IoU against the number of interactions (the box, then corrective clicks, 1 to
20), for the engine and plain GrabCut, with NoC@85 and NoC@90 marked. Right: each image's
IoU after the box, the engine against plain GrabCut; points below the diagonal are images
where the engine is worse, and those below the dashed line are more than 0.05 worse.

matplotlib is imported here only (Agg backend, no display), by ``grabcut_bench.py --plot``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interactive_seg.files import write_bytes_atomic  # noqa: E402

COLOURS = {"ours": "#1f77b4", "plain": "#d62728"}
LABELS = {"ours": "interactive_seg grabcut", "plain": "plain cv2.grabCut"}


def plot_benchmark(rows, path, *, title: str = "", has_plain: bool = True, full: bool = True):
    """Draw the two panels for benchmark ``rows`` (see ``grabcut_bench.run_images``, run
    with ``full=True``) and write them to ``path`` as PNG. Returns the figure's axes."""
    import matplotlib

    matplotlib.use("Agg")
    from grabcut_bench import MAX_INTERACTIONS, clicked, curve, noc
    from matplotlib.figure import Figure

    keys = ["ours"] + (["plain"] if has_plain else [])
    # the curve over the images where both methods ran the clicks (all, unless --plain-clicks)
    curve_rows = clicked(rows) if has_plain else rows
    fig = Figure(figsize=(13, 5.6), dpi=110, layout="constrained")
    ax_curve, ax_box = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    steps = np.arange(1, MAX_INTERACTIONS + 1)
    for key in keys:
        curves = np.array([curve(r[key]["ious"]) for r in curve_rows])
        n85 = np.mean([noc(r[key]["ious"], 0.85) for r in curve_rows])
        n90 = np.mean([noc(r[key]["ious"], 0.90) for r in curve_rows])
        ax_curve.plot(
            steps,
            curves.mean(0),
            "-o",
            ms=4,
            lw=2,
            color=COLOURS[key],
            label=f"{LABELS[key]}  (NoC@85 {n85:.2f}, NoC@90 {n90:.2f})",
        )
        for value, style in ((n85, ":"), (n90, "--")):
            ax_curve.axvline(value, color=COLOURS[key], ls=style, lw=1.2, alpha=0.8)
    if len(curve_rows) < len(rows):  # plain clicked some images only: the engine's curve on all, too
        every = np.array([curve(r["ours"]["ious"]) for r in rows]).mean(0)
        n90 = np.mean([noc(r["ours"]["ious"], 0.90) for r in rows])
        ax_curve.plot(
            steps,
            every,
            "-",
            lw=1.5,
            color=COLOURS["ours"],
            alpha=0.45,
            label=f"{LABELS['ours']}, all {len(rows)} images  (NoC@90 {n90:.2f})",
        )
    for level, style in ((0.85, ":"), (0.90, "--")):
        ax_curve.axhline(level, color="grey", ls=style, lw=1)
        ax_curve.text(MAX_INTERACTIONS + 0.3, level, f"{level:.2f}", va="center", fontsize=10, color="grey")
    ax_curve.set_xlim(0.5, MAX_INTERACTIONS + 1.2)
    ax_curve.set_xticks([1, 5, 10, 15, 20])
    low = min(0.5, float(np.floor(min(np.mean([curve(r[k]["ious"])[0] for r in curve_rows]) for k in keys) * 10) / 10))
    ax_curve.set_ylim(low, 1.0)
    ax_curve.set_xlabel("number of interactions (1 = the box, then corrective clicks)", fontsize=12)
    ax_curve.set_ylabel("mean IoU", fontsize=12)
    stop = "all 20 interactions" if full else "each image stops at IoU 0.90 and keeps it"
    ax_curve.set_title(
        f"{title}: mean IoU against interactions ({len(curve_rows)} images; {stop})\n"
        "vertical lines: NoC@85 (dotted), NoC@90 (dashed)",
        fontsize=11,
    )
    ax_curve.legend(loc="lower right", fontsize=10)
    ax_curve.grid(alpha=0.3)
    ax_curve.tick_params(labelsize=11)

    ours_box = np.array([r["ours"]["ious"][0] for r in rows])
    if has_plain:
        plain_box = np.array([r["plain"]["ious"][0] for r in rows])
        worse = ours_box < plain_box - 0.05
        ax_box.plot([0, 1], [0, 1], color="black", lw=1)
        ax_box.plot([0.05, 1], [0, 0.95], color="black", lw=1, ls="--")
        ax_box.scatter(
            plain_box[~worse],
            ours_box[~worse],
            s=28,
            color=COLOURS["ours"],
            alpha=0.8,
            label="engine within 0.05 of plain, or better",
        )
        ax_box.scatter(
            plain_box[worse],
            ours_box[worse],
            s=40,
            color=COLOURS["plain"],
            marker="v",
            label=f"engine more than 0.05 worse ({int(worse.sum())})",
        )
        ax_box.set_xlabel("plain cv2.grabCut: IoU after the box", fontsize=12)
        ax_box.legend(loc="upper left", fontsize=10)
        ax_box.set_title(
            f"{title}: each image's IoU after the box\n"
            f"mIoU@box engine {ours_box.mean():.3f}, plain {plain_box.mean():.3f}",
            fontsize=12,
        )
    else:
        ax_box.hist(ours_box, bins=20, range=(0, 1), color=COLOURS["ours"])
        ax_box.set_xlabel("engine: IoU after the box", fontsize=12)
        ax_box.set_title(f"{title}: IoU after the box (no plain run)", fontsize=12)
    ax_box.set_ylabel("interactive_seg grabcut: IoU after the box" if has_plain else "images", fontsize=12)
    ax_box.set_xlim(0, 1.0)
    if has_plain:
        ax_box.set_ylim(0, 1.0)
        ax_box.set_aspect("equal")
    ax_box.grid(alpha=0.3)
    ax_box.tick_params(labelsize=11)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_bytes_atomic(path, buffer.getvalue())
    return fig.axes
