"""benchmarks/grabcut_bench.py and its plot, on a tiny synthetic images/ + masks/ folder."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import disc_scene

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import grabcut_bench as gb  # noqa: E402


@pytest.fixture
def dataset(tmp_path):
    """Three discs of different sizes, each with its ground truth (a 128 band ignored)."""
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i, radius in enumerate((26, 32, 38)):
        image, truth = disc_scene(centre=(80 + i, 60), radius=radius, seed=i)
        gt = np.where(truth, 255, 0).astype(np.uint8)
        ring = cv2.dilate(truth.astype(np.uint8), np.ones((3, 3), np.uint8)) != cv2.erode(
            truth.astype(np.uint8), np.ones((3, 3), np.uint8)
        )
        gt[ring] = 128
        cv2.imwrite(str(tmp_path / "images" / f"disc{i}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(tmp_path / "masks" / f"disc{i}.png"), gt)
    return tmp_path


def test_halves_alternate_over_sorted_stems(dataset):
    assert gb.stems(dataset) == ["disc0", "disc1", "disc2"]
    assert gb.stems(dataset, half=0) == ["disc0", "disc2"]
    assert gb.stems(dataset, half=1) == ["disc1"]


def test_protocol_scores_ignore_the_unlabelled_band():
    gt = np.zeros((10, 10), np.uint8)
    gt[2:8, 2:8] = 255
    gt[2, 2:8] = 128
    pred = np.zeros((10, 10), bool)
    pred[3:8, 2:8] = True
    assert gb.iou(pred, gt) == 1.0
    assert gb.noc([0.5, 0.86, 0.95], 0.85) == 2 and gb.noc([0.5, 0.86, 0.95], 0.90) == 3
    assert gb.noc([0.5], 0.90) == gb.MAX_INTERACTIONS
    assert gb.curve([0.5, 0.9]) == [0.5] + [0.9] * (gb.MAX_INTERACTIONS - 1)


def test_rows_compare_the_engine_with_plain_grabcut_and_cache_plain(dataset, tmp_path, capsys):
    cache = tmp_path / "cache"
    names = gb.stems(dataset)
    rows = gb.run_images(dataset, names, {}, full=True, cache=cache)
    assert [r["stem"] for r in rows] == names
    for r in rows:
        assert len(r["ours"]["ious"]) == len(r["plain"]["ious"]) == gb.MAX_INTERACTIONS or max(r["ours"]["ious"]) == 1.0
        assert r["ours"]["ious"][0] > 0.9 and r["plain"]["ious"][0] > 0.9
    assert len(list(cache.iterdir())) == len(names)
    again = gb.run_images(dataset, names, {}, full=True, cache=cache)
    assert [r["plain"]["ious"] for r in again] == [r["plain"]["ious"] for r in rows]
    stats = gb.print_summary(rows, True, [])
    out = capsys.readouterr().out
    assert "more than 0.05 below plain GrabCut's: 0 of 3" in out
    assert set(stats) == {"ours", "plain"} and stats["ours"]["miou_box"] > 0.9


def test_main_prints_rows_and_writes_the_plot(dataset, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curve.png"
    code = gb.main(
        [
            str(dataset),
            "--plot",
            str(plot),
            "--skip-x4",
            "--skip-12mp",
            "--full",
            "--cache",
            str(tmp_path / "cache"),
            "--half",
            "0",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| disc0 |" in out and "| disc2 |" in out and "| disc1 |" not in out
    assert "mIoU@box" in out and f"wrote {plot}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(plot))
    assert image.shape[1] > image.shape[0] > 400


def test_plot_axes_say_what_they_show(dataset, tmp_path):
    pytest.importorskip("matplotlib")
    from grabcut_plot import plot_benchmark

    rows = gb.run_images(dataset, gb.stems(dataset), {}, full=True, cache=tmp_path / "cache")
    axes = plot_benchmark(rows, tmp_path / "p.png", title="discs")
    assert (tmp_path / "p.png").is_file()
    curve_ax, box_ax = axes
    assert curve_ax.get_xlabel().startswith("number of interactions") and curve_ax.get_ylabel() == "mean IoU"
    assert "discs" in curve_ax.get_title()
    labels = [t.get_text() for t in curve_ax.get_legend().get_texts()]
    assert len(labels) == 2 and "NoC@85" in labels[0] and "NoC@90" in labels[1]
    # one line per method (20 points each), NoC@85/90 marked by vertical lines per method
    lines = [ln for ln in curve_ax.get_lines() if len(ln.get_xdata()) == gb.MAX_INTERACTIONS]
    assert len(lines) == 2
    assert box_ax.get_xlabel().startswith("plain cv2.grabCut") and "IoU after the box" in box_ax.get_ylabel()
    points = sum(len(c.get_offsets()) for c in box_ax.collections)
    assert points == len(rows)
    assert box_ax.get_xlim() == (0, 1.0) and box_ax.get_ylim() == (0, 1.0)


def test_plain_clicks_limits_plain_grabcut_to_the_first_images(dataset, tmp_path, capsys):
    rows = gb.run_images(dataset, gb.stems(dataset), {}, cache=tmp_path / "cache", plain_clicks=1)
    assert [bool(r["plain"].get("box_only")) for r in rows] == [False, True, True]
    assert all(len(r["plain"]["ious"]) == 1 for r in rows[1:])
    assert gb.clicked(rows) == rows[:1]
    stats = gb.print_summary(rows, True, [])
    out = capsys.readouterr().out
    assert stats["plain"]["clicked"] == 1 and stats["ours"]["clicked"] == 3
    assert "over its first 1 images" in out
    pytest.importorskip("matplotlib")
    from grabcut_plot import plot_benchmark

    curve_ax, box_ax = plot_benchmark(rows, tmp_path / "p.png", title="discs", full=False)
    assert "1 images" in curve_ax.get_title() and "stops at IoU 0.90" in curve_ax.get_title()
    # the engine's curve over the clicked image, plain's, and the engine's over all three
    assert len([ln for ln in curve_ax.get_lines() if len(ln.get_xdata()) == gb.MAX_INTERACTIONS]) == 3
    assert "all 3 images" in curve_ax.get_legend().get_texts()[2].get_text()
    assert sum(len(c.get_offsets()) for c in box_ax.collections) == 3
