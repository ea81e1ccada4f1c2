import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import disc_scene, iou
from interactive_seg import cli, read_image, write_image


@pytest.fixture
def image_file(tmp_path):
    image, truth = disc_scene()
    path = tmp_path / "disc scene é.png"
    write_image(path, image)
    return path, truth


def test_segment_writes_mask_and_cropped_transparent_cutout(image_file, tmp_path, capsys):
    path, truth = image_file
    out = tmp_path / "out"
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "Wrote" in said and "disc scene é_mask.png" in said
    mask = read_image(out / "disc scene é_mask.png")
    assert mask.ndim == 2 and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert iou(mask == 255, truth) > 0.95
    cut = read_image(out / "disc scene é_cutout.png")
    assert cut.shape[2] == 4
    ys, xs = np.nonzero(truth)
    assert abs(cut.shape[0] - (ys.max() - ys.min() + 1)) <= 3 and abs(cut.shape[1] - (xs.max() - xs.min() + 1)) <= 3
    assert cut[0, 0, 3] == 0 and cut[cut.shape[0] // 2, cut.shape[1] // 2, 3] == 255


def test_points_and_scribbles(image_file, tmp_path):
    path, truth = image_file
    scribbles = np.zeros(truth.shape, np.uint8)
    scribbles[5, 5:155] = 2
    scribbles[115, 5:155] = 2
    scrib = tmp_path / "s.png"
    cv2.imwrite(str(scrib), scribbles)
    out = tmp_path / "o"
    args = [
        "segment",
        str(path),
        "--point",
        "80,60",
        "--point",
        "150,10,0",
        "--scribbles",
        str(scrib),
        "--out",
        str(out),
        "-q",
    ]
    assert cli.main(args) == 0
    assert iou(read_image(out / f"{path.stem}_mask.png") == 255, truth) > 0.9


def test_colour_scribbles_green_foreground_red_background(image_file, tmp_path):
    path, truth = image_file
    strokes = np.zeros(truth.shape + (3,), np.uint8)
    strokes[60, 70:90] = (0, 255, 0)
    strokes[5, 5:155] = (255, 0, 0)
    scrib = tmp_path / "colour.png"
    write_image(scrib, strokes)
    out = tmp_path / "o"
    assert cli.main(["segment", str(path), "--scribbles", str(scrib), "--out", str(out), "-q"]) == 0
    assert iou(read_image(out / f"{path.stem}_mask.png") == 255, truth) > 0.9


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--box", "10,10,10,50"], "zero area"),
        (["--box", "1,2,3"], "four numbers"),
        (["--point", "500,5"], "off the image"),
        (["--point", "5,5,7"], "LABEL 1"),
        ([], "Give the object a prompt"),
        (["--point", "80,60"], "Only foreground marks"),
    ],
)
def test_bad_input_exits_2_with_a_sentence_and_writes_nothing(image_file, tmp_path, capsys, extra, words):
    path, _ = image_file
    out = tmp_path / "o"
    assert cli.main(["segment", str(path), *extra, "--out", str(out)]) == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_missing_and_broken_images(tmp_path, capsys):
    assert cli.main(["segment", str(tmp_path / "nope.png"), "--box", "0,0,5,5", "--out", str(tmp_path)]) == 2
    assert "no image file" in capsys.readouterr().err
    broken = tmp_path / "broken.png"
    good = cv2.imencode(".png", np.zeros((50, 50, 3), np.uint8))[1].tobytes()
    broken.write_bytes(good[: len(good) // 2])
    assert cli.main(["segment", str(broken), "--box", "0,0,5,5", "--out", str(tmp_path)]) == 2
    assert "truncated" in capsys.readouterr().err


def test_scribbles_of_the_wrong_size(image_file, tmp_path, capsys):
    path, _ = image_file
    scrib = tmp_path / "s.png"
    cv2.imwrite(str(scrib), np.zeros((10, 10), np.uint8))
    assert cli.main(["segment", str(path), "--scribbles", str(scrib), "--out", str(tmp_path / "o")]) == 2
    assert "at the image's size" in capsys.readouterr().err


def test_help_is_complete():
    result = subprocess.run(
        [sys.executable, "-m", "interactive_seg.cli", "segment", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for option in ("--box", "--point", "--scribbles", "--engine", "--out", "_mask.png", "_cutout.png"):
        assert option in result.stdout
    top = subprocess.run([sys.executable, "-m", "interactive_seg.cli", "--help"], capture_output=True, text=True)
    assert "segment" in top.stdout
    assert cli.main([]) == 2


def test_one_exported_cutout_is_said_in_the_singular(image_file, tmp_path, capsys):
    path, _ = image_file
    coco = tmp_path / "ds.json"
    assert (
        cli.main(["segment", str(path), "--box", "45,25,115,95", "--coco", str(coco), "--category", "disc", "-q"]) == 0
    )
    assert cli.main(["export", "--coco", str(coco), "--images", str(path.parent), "--out", str(tmp_path / "x")]) == 0
    assert f"Wrote 1 cutout to {tmp_path / 'x'}" in capsys.readouterr().out  # not "1 cutouts"


def test_a_stray_argument_is_said_with_its_commands_usage(tmp_path, capsys):
    """`export ds.json` (export takes its file with --coco) showed the top-level usage alone."""
    for argv, command in (
        (["export", "ds.json", "--out", "o"], "export"),
        (["batch", "embed", "a", "b"], "batch embed"),
    ):
        with pytest.raises(SystemExit) as stopped:
            cli.main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and f"usage: interactive-seg {command}" in err, err
        assert f"interactive-seg {command}: error:" in err


def _export_labels(path, truth, out) -> list:
    """The arguments of `export --labels` of ``truth`` (one disc) into ``out``."""
    labels = out.parent / "labels.png"
    write_image(labels, truth.astype(np.uint8))
    return ["export", "--image", str(path), "--labels", str(labels), "--classes", "disc", "--out", str(out), "-q"]


def test_an_export_leaves_the_mask_segment_wrote_for_the_image_and_the_other_way_round(image_file, tmp_path):
    """`segment --out` then `export --labels` into that folder removed segment's mask (the
    only copy of that object), and a later `segment` removed the export's cutout."""
    path, truth = image_file
    out = tmp_path / "out"
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out), "-q"]) == 0
    args = _export_labels(path, truth, out)
    assert cli.main(args) == 0
    names = ["disc scene é_cutout.png", "disc scene é_disc-1.png", "disc scene é_mask.png"]
    assert sorted(p.name for p in out.glob("*.png")) == names
    assert cli.main(["segment", str(path), "--box", "40,20,120,100", "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == names
    assert cli.main(args) == 0  # each kind writes over its own files again
    assert sorted(p.name for p in out.glob("*.png")) == names


def test_palette_pngs_are_read_as_their_indices(image_file, tmp_path, monkeypatch):
    """A palette PNG (PASCAL VOC's, CVAT's masks) of scribbles 1 / 2 was read as its colours:
    VOC's dark red index 1 became background and the mask came out the object's complement;
    a palette label image was refused as three-channel."""
    from PIL import Image

    path, truth = image_file
    marks = np.zeros(truth.shape, np.uint8)
    marks[55:65, 70:90] = 1  # on the disc
    marks[3:6, 5:155] = 2
    marks[114:117, 5:155] = 2
    voc = Image.fromarray(marks, "P")
    voc.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    voc.save(tmp_path / "marks.png")
    out = tmp_path / "o"
    assert cli.main(["segment", str(path), "--scribbles", str(tmp_path / "marks.png"), "--out", str(out), "-q"]) == 0
    assert iou(read_image(out / f"{path.stem}_mask.png") == 255, truth) > 0.9
    labels = Image.fromarray(truth.astype(np.uint8), "P")
    labels.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)
    labels.save(tmp_path / "labels.png")
    args = ["export", "--image", str(path), "--labels", str(tmp_path / "labels.png"), "--classes", "disc"]
    assert cli.main([*args, "--out", str(tmp_path / "x"), "-q"]) == 0
    assert (tmp_path / "x" / f"{path.stem}_disc-1.png").is_file()


def test_an_image_too_large_for_opencv_is_a_sentence(image_file, tmp_path, monkeypatch, capsys):
    import cv2

    path, _ = image_file

    def refused(*args):  # as OpenCV answers a 36000 x 32000 PNG (over 2**30 pixels)
        raise cv2.error("(-215:Assertion failed) pixels <= CV_IO_MAX_IMAGE_PIXELS")

    monkeypatch.setattr(cv2, "imdecode", refused)
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "too large for OpenCV to decode (160 x 120 pixels" in err and "Traceback" not in err


def test_a_class_name_too_long_for_a_file_name_is_cut_short_with_a_hash(image_file, tmp_path):
    """A 300-character class (a SAM 3 phrase, a long CVAT label) stopped export --coco with
    ENAMETOOLONG; the names of an export and of batch export stay the same."""
    from interactive_seg.export.naming import MAX_NAME_BYTES, cutout_name, object_names

    path, _ = image_file
    coco = tmp_path / "ds.json"
    long_class = "a very long phrase " * 16
    args = ["segment", str(path), "--box", "45,25,115,95", "--coco", str(coco), "--category", long_class, "-q"]
    assert cli.main(args) == 0
    assert (
        cli.main(["export", "--coco", str(coco), "--images", str(path.parent), "--out", str(tmp_path / "x"), "-q"]) == 0
    )
    (written,) = (tmp_path / "x").glob("*.png")
    assert len(written.name.encode()) <= MAX_NAME_BYTES and "~" in written.name
    assert written.name == object_names(path.stem, [long_class], "")[0] + ".png"  # batch export's way
    assert cutout_name("a", "B" * 300, 1) != cutout_name("a", "B" * 299 + "C", 1)


def test_an_export_record_of_the_release_before_keeps_segments_files(image_file, tmp_path):
    """The release before recorded segment --out's mask and cutout under "images": an
    export then removed them as the image's old cutouts."""
    import json

    path, truth = image_file
    out = tmp_path / "out"
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out), "-q"]) == 0
    record = out / ".interactive-seg-cutouts.json"
    data = json.loads(record.read_text())
    record.write_text("\ufeff" + json.dumps({"written_by": "interactive-seg", "images": data["segment"]}))  # (BOM too)
    args = _export_labels(path, truth, out)
    assert cli.main(args) == 0
    names = ["disc scene é_cutout.png", "disc scene é_disc-1.png", "disc scene é_mask.png"]
    assert sorted(p.name for p in out.glob("*.png")) == names
    assert cli.main(["segment", str(path), "--box", "40,20,120,100", "--out", str(out), "-q"]) == 0  # its own again
    assert sorted(p.name for p in out.glob("*.png")) == names


def test_a_damaged_export_record_is_named_when_it_blocks_an_export(image_file, tmp_path, capsys):
    path, _ = image_file
    out = tmp_path / "out"
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out), "-q"]) == 0
    (out / ".interactive-seg-cutouts.json").write_text('{"written_by": "interactive-seg", "segm')  # cut short
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out)]) == 2
    assert "export record '.interactive-seg-cutouts.json' is damaged" in capsys.readouterr().err


def test_a_second_export_into_a_folder_waits_for_the_first(tmp_path, monkeypatch):
    """Two exports of the same images into one folder at once removed each other's cutouts
    (224 files for 180 objects) and left the folder refusing every later export."""
    from interactive_seg import InputError
    from interactive_seg.export import manifest

    monkeypatch.setattr(manifest, "HOLD_SECONDS", 0.2)
    first, second = manifest.Cutouts(tmp_path), manifest.Cutouts(tmp_path)
    first.refuse_foreign([tmp_path / "a_x-1.png"])  # the first export holds the folder
    with pytest.raises(InputError, match="Another export is writing into"):
        second.refuse_foreign([tmp_path / "a_y-1.png"])
    first.save(final=True)  # done: the second may go
    second.refuse_foreign([tmp_path / "a_y-1.png"])
    second.save(final=True)


def test_segment_out_on_a_disk_that_fills_leaves_nothing_and_says_so(image_file, tmp_path, capsys, monkeypatch):
    """Exit status 2 left the mask behind when the cutout could not be written; and where
    the folder's record could not be written, the command said nothing and exited 0, so a
    folder session took the mask and the cutout for photographs to annotate."""
    from interactive_seg.cli import segment as segment_cli
    from interactive_seg.errors import InputError
    from interactive_seg.export import manifest

    path, _ = image_file
    real_write = segment_cli.write_image

    def full_at_the_cutout(target, pixels):
        if str(target).endswith("_cutout.png"):
            raise InputError(f"Could not write {str(target)!r} (No space left on device).")
        return real_write(target, pixels)

    out = tmp_path / "out"
    monkeypatch.setattr(segment_cli, "write_image", full_at_the_cutout)
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(out), "-q"]) == 2
    assert not list(out.glob("*.png"))
    monkeypatch.setattr(segment_cli, "write_image", real_write)

    def no_record(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(manifest, "write_bytes_atomic", no_record)
    capsys.readouterr()
    assert cli.main(["segment", str(path), "--box", "45,25,115,95", "--out", str(tmp_path / "out2"), "-q"]) == 2
    assert "nothing was written" in capsys.readouterr().err and not list((tmp_path / "out2").glob("*.png"))
