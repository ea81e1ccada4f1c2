"""Bad input everywhere: the only exception that escapes is InputError, nothing half-written."""

import json
import os
import resource
import time

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import interactive_seg as iseg
from interactive_seg import InputError, Prompts, cli
from interactive_seg.export import CocoImage, CocoObject, cutout, read_coco, write_coco

DTYPES = [np.uint8, np.uint16, np.int32, np.float32, np.float64, bool]


@st.composite
def images(draw):
    dtype = draw(st.sampled_from(DTYPES))
    h, w = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    channels = draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
    shape = (h, w) if channels is None else (h, w, channels)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1, 255, 65535, 1e6, -1e3]))
    data = rng.random(shape) * scale
    if dtype is bool:
        return data > 0.5 * scale
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(data, info.min, info.max).astype(dtype)
    arr = data.astype(dtype)
    if draw(st.booleans()) and arr.size:
        arr.flat[draw(st.integers(0, arr.size - 1))] = np.nan
    return arr


@st.composite
def prompts(draw, h=40, w=40):
    kind = draw(st.sampled_from(["box", "points", "scribbles", "mixed"]))
    box = points = labels = scribbles = None
    if kind in ("box", "mixed"):
        box = tuple(draw(st.floats(-60, 100, allow_nan=False)) for _ in range(4))
    if kind in ("points", "mixed"):
        n = draw(st.integers(0, 4))
        points = [(draw(st.floats(-5, 50)), draw(st.floats(-5, 50))) for _ in range(n)]
        labels = [draw(st.integers(0, 1)) for _ in range(n)]
    if kind == "scribbles":
        rng = np.random.default_rng(draw(st.integers(0, 1000)))
        sh = draw(st.sampled_from([(h, w), (h + 1, w)]))
        scribbles = (rng.random(sh) < 0.05).astype(np.uint8) * draw(st.sampled_from([1, 2])) + (
            rng.random(sh) < 0.05
        ) * draw(st.sampled_from([0, 1]))
        scribbles = np.clip(scribbles, 0, 2).astype(np.uint8)
    return dict(box=box, points=points, point_labels=labels, scribbles=scribbles)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=images())
def test_any_image_converts_or_says_why(image):
    try:
        out = iseg.as_rgb8(image)
    except InputError as exc:
        assert len(str(exc)) > 20
    else:
        assert out.dtype == np.uint8 and out.shape == image.shape[:2] + (3,)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=prompts(), seed=st.integers(0, 100))
def test_any_prompts_segment_or_say_why(p, seed):
    image = (np.random.default_rng(seed).random((40, 40, 3)) * 255).astype(np.uint8)
    try:
        mask = iseg.segment(image, **p)
    except InputError as exc:
        assert len(str(exc)) > 20
    else:
        assert mask.shape == (40, 40) and mask.dtype == bool


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    image=images(),
    seed=st.integers(0, 100),
    style=st.sampled_from(["black", "transparent", "color", "blur"]),
    crop=st.booleans(),
    feather=st.sampled_from([0, 1.5]),
)
def test_any_mask_through_every_export(tmp_path, image, seed, style, crop, feather):
    assume(image.ndim >= 2 and image.size)
    mask = np.random.default_rng(seed).random(image.shape[:2]) < 0.3
    try:
        out = cutout(image, mask, background=style, crop=crop, feather=feather, color=(10, 20, 30))
    except InputError as exc:
        assert len(str(exc)) > 20
        return
    assert out.ndim in (2, 3)
    if image.ndim == 2 or image.shape[2] in (1, 2, 3, 4):
        try:
            write_coco(
                tmp_path / "x.json", [CocoImage("x.png", image.shape[1], image.shape[0], [CocoObject(mask, "a")])]
            ) if mask.any() else None
        except InputError:
            return
        if mask.any():
            assert (read_coco(tmp_path / "x.json").images[0].objects[0].mask == mask).all()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    box=st.tuples(*[st.integers(-30, 90)] * 4),
    points=st.lists(st.tuples(st.integers(-10, 70), st.integers(-10, 70), st.integers(0, 1)), max_size=3),
)
def test_cli_segment_exits_0_or_2_and_never_leaves_partial_files(tmp_path, box, points):
    image = (np.random.default_rng(0).random((50, 60, 3)) * 255).astype(np.uint8)
    path = tmp_path / "in.png"
    if not path.exists():
        iseg.write_image(path, image)
    out = tmp_path / "out"
    args = ["segment", str(path), "--box", ",".join(map(str, box)), "--out", str(out), "-q"]
    for x, y, label in points:
        args += ["--point", f"{x},{y},{label}"]
    code = cli.main(args)
    assert code in (0, 2)
    if out.exists():
        names = sorted(p.name for p in out.iterdir())
        assert not any(n.endswith(".tmp") for n in names)
        if code == 0:  # (beside them, hidden, the record that they are the tool's, not images)
            assert [n for n in names if not n.startswith(".")] == ["in_cutout.png", "in_mask.png"]


def test_empty_and_one_pixel_images():
    with pytest.raises(InputError, match="empty"):
        iseg.segment(np.zeros((0, 0, 3), np.uint8), box=(0, 0, 1, 1))
    assert iseg.segment(np.zeros((1, 1), np.uint8), box=(0, 0, 1, 1)).shape == (1, 1)
    assert iseg.segment(np.zeros((1, 1, 3), np.float32), points=[(0.5, 0.5)], box=(0, 0, 1, 1)).shape == (1, 1)


def test_box_on_the_border():
    image = np.zeros((60, 80, 3), np.uint8)
    image[:30, :40] = (200, 40, 40)
    image = np.clip(image + np.random.default_rng(0).normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    mask = iseg.segment(image, box=(-5, -5, 45, 35))
    assert mask[5, 5] and not mask[50, 70]


def test_a_huge_image_with_a_small_box_is_bounded_in_time_and_memory():
    """10,000 x 10,000 RGB (300 MB) with a 200 px box: GrabCut works on the box's region only."""
    image = np.zeros((10_000, 10_000, 3), np.uint8)
    image[5000:5100, 5000:5100] = (220, 40, 40)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine = iseg.get_engine("grabcut")
    start = time.perf_counter()
    engine.set_image(image)
    result = engine.segment(Prompts(box=(4950, 4950, 5150, 5150)))
    seconds = time.perf_counter() - start
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.mask[5050, 5050] and not result.mask[4960, 4960]
    assert result.info["region"][2] - result.info["region"][0] < 300
    assert seconds < 20 and grown_mb < 1500, (seconds, grown_mb)


def test_unicode_and_space_laden_paths(tmp_path):
    folder = tmp_path / "ünï cödé" / "with spaces"
    folder.mkdir(parents=True)
    image = np.full((20, 30, 3), 60, np.uint8)
    image[5:15, 5:20] = 220
    path = folder / "phötö 1.png"
    iseg.write_image(path, image)
    assert cli.main(["segment", str(path), "--box", "3,3,22,17", "--out", str(folder / "oût"), "-q"]) == 0
    assert (folder / "oût" / "phötö 1_mask.png").exists()


def test_read_only_output_folder(tmp_path, monkeypatch, capsys):
    image = np.full((20, 30, 3), 60, np.uint8)
    image[5:15, 5:20] = 220
    path = tmp_path / "a.png"
    iseg.write_image(path, image)
    out = tmp_path / "ro"
    out.mkdir()
    os.chmod(out, 0o500)
    if os.access(out, os.W_OK):  # root: make the folder refuse as a read-only one would
        import tempfile

        monkeypatch.setattr(
            tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
        )
    try:
        assert cli.main(["segment", str(path), "--box", "3,3,22,17", "--out", str(out)]) == 2
        assert "writable" in capsys.readouterr().err
        # (as root the folder takes the export's lock file, which a read-only one refuses)
        assert [p.name for p in out.iterdir() if not p.name.endswith(".lock")] == []
    finally:
        os.chmod(out, 0o700)


def test_truncated_png(tmp_path):
    data = cv2.imencode(".png", np.zeros((40, 40, 3), np.uint8))[1].tobytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        iseg.read_image(path)


def test_coco_file_with_a_missing_image(tmp_path, capsys):
    images = tmp_path / "images"
    images.mkdir()
    mask = np.zeros((10, 10), bool)
    mask[2:5, 2:5] = True
    write_coco(tmp_path / "c.json", [CocoImage("gone.png", 10, 10, [CocoObject(mask, "a")])])
    assert (
        cli.main(["export", "--coco", str(tmp_path / "c.json"), "--images", str(images), "--out", str(tmp_path / "o")])
        == 2
    )
    assert "gone.png" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_saved_work_is_never_changed_by_a_failed_call(tmp_path):
    from interactive_seg import Session

    folder = tmp_path / "f"
    folder.mkdir()
    iseg.write_image(folder / "a.png", np.zeros((10, 10, 3), np.uint8))
    session = Session.open(folder)
    mask = np.zeros((10, 10), bool)
    mask[1:4, 1:4] = True
    session.add("a.png", mask, "cat")
    session.save()  # folds the session's journal into the COCO file
    before = session.path.read_bytes()
    for bad in (
        lambda: session.add("a.png", np.zeros((10, 10), bool), "x"),
        lambda: session.add("a.png", np.ones((3, 3), bool), "x"),
        lambda: session.replace(999, mask=mask),
        lambda: session.remove(12345),
    ):
        with pytest.raises(InputError):
            bad()
        assert session.path.read_bytes() == before
    assert json.loads(before)["annotations"][0]["category_id"] == 1


def test_atomic_writes_keep_a_files_mode_and_give_new_files_the_usual_one(tmp_path):
    import os
    import stat

    from interactive_seg.files import write_bytes_atomic

    new = write_bytes_atomic(tmp_path / "new.json", b"{}")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600
    kept = tmp_path / "shared.json"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o664)
    write_bytes_atomic(kept, b"new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o664 and kept.read_bytes() == b"new"


@pytest.mark.skipif(not hasattr(os, "chown") or os.geteuid() != 0, reason="giving a file a group needs root")
def test_atomic_writes_keep_a_files_group_and_owner(tmp_path):
    from interactive_seg.files import write_bytes_atomic

    shared = tmp_path / "shared.json"
    shared.write_bytes(b"old")
    os.chown(shared, 1234, 4321)
    write_bytes_atomic(shared, b"new")
    assert (shared.stat().st_uid, shared.stat().st_gid) == (1234, 4321) and shared.read_bytes() == b"new"


def test_a_streamed_atomic_write_is_whole_or_nothing_with_the_usual_mode(tmp_path):
    """open_atomic (the review's PDF streams through it): an error in the block leaves the
    old file and no temporary behind; a finished block gives the usual mode, not 0600."""
    import os
    import stat

    from interactive_seg.files import open_atomic

    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with open_atomic(target) as handle:
            handle.write(b"half")
            raise RuntimeError("drawing failed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf"]
    fresh = tmp_path / "new.pdf"
    with open_atomic(fresh) as handle:
        handle.write(b"%PDF")
    umask = os.umask(0o022)
    os.umask(umask)
    assert fresh.read_bytes() == b"%PDF" and stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_an_output_folder_nothing_can_be_written_into_is_refused_once_before_the_work(tmp_path, monkeypatch):
    """A read-only output folder (a read-only mount: root's chmod does not stop root) made
    `export --coco` try every image, print the same error per image and exit 1."""
    from interactive_seg.files import writing

    out = tmp_path / "mounted"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(writing.os, "access", lambda p, mode: False if str(p) == str(out) else real(p, mode))
    with pytest.raises(iseg.InputError, match="Nothing can be written into the output folder"):
        iseg.files.ensure_folder(out)


def test_numbers_given_with_spaces_are_asked_for_with_commas(capsys):
    """`--box 70 10 490 395` got argparse's "unrecognized arguments: 10 490 395"."""
    from interactive_seg.cli import main

    assert main(["segment", "x.png", "--box", "70", "10", "490", "395"]) == 2
    assert "--box takes its numbers joined by commas, with no spaces: --box 70,10,490,395." in capsys.readouterr().err


def test_a_full_disk_is_said_as_a_full_disk(tmp_path, monkeypatch):
    """A write that ran out of room said "choose a writable path": the folder was writable."""
    import errno
    import os

    from interactive_seg.files import write_bytes_atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError, match="No space left on device.*free some space"):
        write_bytes_atomic(tmp_path / "a.json", b"{}")
    assert not list(tmp_path.iterdir())  # no temporary left behind


def test_text_after_the_json_is_not_called_a_truncation(tmp_path):
    from interactive_seg.coco import CocoDocument

    path = tmp_path / "a.json"
    path.write_text('{"images": [], "annotations": [], "categories": []}\n{"images": []}')
    with pytest.raises(InputError, match="something follows the JSON"):
        CocoDocument.open(path)


def test_python_m_interactive_seg_is_the_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "interactive_seg", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("interactive-seg ")


@pytest.mark.parametrize(
    "args",
    [
        ["segment", "IMAGE", "--box", "1,1,20,20", "--margin", "inf"],
        ["segment", "IMAGE", "--box", "1,1,20,20", "--margin", "nan"],
        ["export", "--image", "IMAGE", "--labels", "LABELS", "--feather", "inf"],
        ["export", "--image", "IMAGE", "--labels", "LABELS", "--feather", "1e6"],
        ["export", "--image", "IMAGE", "--labels", "LABELS", "--style", "blur", "--blur-sigma", "1e5"],
    ],
)
def test_numbers_that_are_not_finite_or_too_large_to_mean_anything_are_one_sentence(tmp_path, capsys, args):
    """--margin inf was a traceback, --margin nan was taken, --feather 1e6 or --blur-sigma 1e5
    ran for minutes on a 60 x 80 image (a Gaussian's kernel is six sigmas wide)."""
    image = np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    iseg.write_image(tmp_path / "a.png", image)
    labels = np.zeros((60, 80), np.uint8)
    labels[10:30, 10:40] = 1
    iseg.write_image(tmp_path / "lab.png", labels)
    names = {"IMAGE": str(tmp_path / "a.png"), "LABELS": str(tmp_path / "lab.png")}
    args = [names.get(a, a) for a in args] + ["--out", str(tmp_path / "out"), "-q"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "finite" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(InputError, match="padding .* finite"):
        cutout(image, labels > 0, crop=True, padding=float("inf"))


def test_an_output_folder_that_is_a_file_and_annotations_that_are_a_folder_are_said_before_the_work(tmp_path, capsys):
    """segment --out FILE segmented first, then spoke of a folder it could not create;
    batch export --annotations FOLDER said there were no annotations there."""
    iseg.write_image(tmp_path / "a.png", np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8))
    (tmp_path / "taken").write_text("mine")
    for out in (tmp_path / "taken", tmp_path / "taken" / "below"):
        assert cli.main(["segment", str(tmp_path / "a.png"), "--box", "1,1,40,40", "--out", str(out), "-q"]) == 2
        assert "'" + str(tmp_path / "taken") + "' is a file" in capsys.readouterr().err
    assert (tmp_path / "taken").read_text() == "mine"
    args = ["batch", "export", str(tmp_path), "--out", str(tmp_path / "out"), "--annotations", str(tmp_path)]
    assert cli.main(args + ["--workers", "0", "-q"]) == 2
    assert "is a folder; give the COCO file itself" in capsys.readouterr().err
