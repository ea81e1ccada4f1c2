"""Photographs taken upright on a phone (EXIF orientation 2-8) are read upright everywhere,
as PIL's ImageOps.exif_transpose shows them; a COCO file that gives such a photograph its
stored size was written by a tool that ignored EXIF, and is read in the stored orientation."""

import json
import warnings

import numpy as np
import pytest
from PIL import Image, ImageOps

from conftest import disc_scene, iou
from interactive_seg import CocoDocument, Session, cli, read_image
from interactive_seg.batch import export_folder, masks_from_boxes
from interactive_seg.export.dataset import export_dataset
from interactive_seg.files import ExifIgnoredWarning, image_size
from interactive_seg.review import contact_sheet

ORIENTATIONS = range(1, 9)
# the PIL transpose that turns the upright picture into what the camera stores for each
# orientation (exif_transpose undoes it)
STORE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
UPRIGHT = (120, 80)  # (height, width): a portrait photograph


def upright_scene(seed=0):
    """A red disc off the centre of a portrait picture (flips and turns all move it)."""
    return disc_scene(height=UPRIGHT[0], width=UPRIGHT[1], centre=(28, 40), radius=18, seed=seed)


def stored(array: np.ndarray, orientation: int) -> np.ndarray:
    """What a camera stores for an upright picture (a mask too), by PIL's transposes."""
    if orientation not in STORE:
        return array
    if array.dtype == bool:
        return np.asarray(Image.fromarray(array.astype(np.uint8) * 255).transpose(STORE[orientation])) > 127
    return np.asarray(Image.fromarray(array).transpose(STORE[orientation]))


def photo(path, orientation: int, seed=0):
    """Save the upright scene as a camera would with this EXIF orientation; returns (upright image, truth)."""
    image, truth = upright_scene(seed)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored(image, orientation)).save(path, exif=exif, quality=95)
    with Image.open(path) as check:  # the file is what every EXIF-aware viewer shows upright
        assert np.asarray(ImageOps.exif_transpose(check)).shape[:2] == UPRIGHT
    return image, truth


def red(image: np.ndarray) -> np.ndarray:
    rgb = image[..., :3].astype(int)
    return (rgb[..., 0] > 150) & (rgb[..., 2] < 110)


# -- reading -----------------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_read_image_equals_exif_transpose_on_a_png(tmp_path, orientation):
    path = tmp_path / "photo.png"
    upright, _ = photo(path, orientation)
    with Image.open(path) as opened:
        shown = np.asarray(ImageOps.exif_transpose(opened))
    got = read_image(path)
    assert np.array_equal(got, shown) and np.array_equal(got, upright)
    assert image_size(path) == UPRIGHT


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_16_bit_grey_png_is_turned_and_keeps_its_depth(tmp_path, orientation):
    path = tmp_path / "scan.png"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray((np.arange(30 * 50).reshape(30, 50) * 40).astype(np.uint16)).save(path, exif=exif)
    with Image.open(path) as opened:
        shown = np.asarray(ImageOps.exif_transpose(opened))
    got = read_image(path)
    assert got.dtype == np.uint16 and np.array_equal(got, shown)


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_read_image_of_a_jpeg_has_exif_transposes_geometry(tmp_path, orientation):
    path = tmp_path / "photo.jpg"
    _, truth = photo(path, orientation)
    with Image.open(path) as opened:
        shown = np.asarray(ImageOps.exif_transpose(opened))
    got = read_image(path)
    assert got.shape == shown.shape == (*UPRIGHT, 3)
    assert np.abs(got.astype(int) - shown).mean() < 3  # two JPEG decoders, the same picture
    assert iou(red(got), truth) > 0.9
    assert image_size(path) == UPRIGHT


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_tiff_and_a_webp_are_read_upright_and_sized_upright(tmp_path, orientation):
    upright, truth = photo(tmp_path / "photo.tif", orientation)
    assert np.array_equal(read_image(tmp_path / "photo.tif"), upright)  # OpenCV turns TIFFs itself: not twice
    photo(tmp_path / "photo.webp", orientation)
    assert iou(red(read_image(tmp_path / "photo.webp")), truth) > 0.9
    assert image_size(tmp_path / "photo.tif") == image_size(tmp_path / "photo.webp") == UPRIGHT


# -- the command line ----------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_cli_segment_writes_an_upright_mask_and_cutout(tmp_path, orientation):
    path = tmp_path / "photo.jpg"
    _, truth = photo(path, orientation)
    out = tmp_path / "out"
    assert cli.main(["segment", str(path), "--box", "6,18,50,62", "--out", str(out), "-q"]) == 0
    mask = read_image(out / "photo_mask.png") == 255
    assert mask.shape == UPRIGHT and iou(mask, truth) > 0.9
    cut = read_image(out / "photo_cutout.png")
    ys, xs = np.nonzero(truth)
    assert abs(cut.shape[0] - (np.ptp(ys) + 1)) <= 3 and abs(cut.shape[1] - (np.ptp(xs) + 1)) <= 3
    assert red(cut)[cut[..., 3] > 0].mean() > 0.9


# -- sessions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_session_shows_the_photo_upright_and_saves_upright_sizes(tmp_path, orientation):
    folder = tmp_path / "photos"
    folder.mkdir()
    _, truth = photo(folder / "a.jpg", orientation)
    photo(folder / "b.jpg", orientation, seed=1)
    session = Session.open(folder)
    assert iou(red(session.read("a.jpg")), truth) > 0.9
    session.add("a.jpg", truth, "cat")
    ys, xs = np.nonzero(truth)
    crop = truth[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    session.add("b.jpg", crop, "cat", offset=(int(xs.min()), int(ys.min())))  # its size from the file's header
    session.close()  # folds the journal into the COCO file
    saved = json.loads(session.path.read_text())
    assert [(i["file_name"], i["height"], i["width"]) for i in saved["images"]] == [
        ("a.jpg", *UPRIGHT),
        ("b.jpg", *UPRIGHT),
    ]
    again = Session.open(folder)
    assert all(np.array_equal(o.mask, truth) for name in ("a.jpg", "b.jpg") for o in again.objects(name))


# -- COCO files with upright sizes, and with stored sizes (a tool that ignored EXIF) ---------------
def coco_folder(tmp_path, sizes: str, orientation: int = 6):
    """Two rotated photographs and a COCO file of their discs (with boxes), sized ``upright`` or ``stored``."""
    folder = tmp_path / "photos"
    folder.mkdir()
    doc = CocoDocument(path=folder / "annotations.coco.json")
    truths = {}
    for seed, name in enumerate(("a.jpg", "b.jpg")):
        _, truth = photo(folder / name, orientation, seed=seed)
        truth = truth if sizes == "upright" else stored(truth, orientation)
        truths[name] = truth
        record = doc.add_image(name, truth.shape[1], truth.shape[0])
        doc.add_annotation(record["id"], truth, "disc")
    doc.save()
    return folder, doc.path, truths


def exif_warnings(caught) -> list:
    return [str(w.message) for w in caught if issubclass(w.category, ExifIgnoredWarning)]


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_export_cuts_the_objects_out_of_the_photos_the_file_describes(tmp_path, sizes):
    folder, coco, truths = coco_folder(tmp_path, sizes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = export_dataset(coco, folder, tmp_path / "out", crop=True, background="transparent")
    assert len(written) == 2
    for path in written:
        cut = read_image(path)
        assert red(cut)[cut[..., 3] > 0].mean() > 0.9  # the disc, not the background beside it
    said = exif_warnings(caught)
    if sizes == "stored":
        assert (
            len(said) == 1
            and "'a.jpg'" in said[0]
            and "annotations.coco.json" in said[0]
            and "read as stored" in said[0]
        )
    else:
        assert said == []


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_review_draws_every_object_on_its_photo(tmp_path, sizes):
    folder, coco, _ = coco_folder(tmp_path, sizes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sheet = contact_sheet(coco, tmp_path / "sheet.png", images=folder)
    assert len(sheet.tiles) == 2 and sheet.notes() == {}
    assert len(exif_warnings(caught)) == (1 if sizes == "stored" else 0)


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_batch_export_and_masks_from_boxes_use_the_photos_as_the_file_sizes_them(tmp_path, sizes):
    folder, coco, truths = coco_folder(tmp_path, sizes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = export_folder(folder, tmp_path / "cut", annotations=coco, workers=0, progress=False)
        assert report.ok, report.summary()
        assert report.counts["cutouts"] == 2
        # the boxes alone, masks made again from them on the photographs
        boxes = json.loads(coco.read_text())
        for ann in boxes["annotations"]:
            del ann["segmentation"]
        (tmp_path / "boxes.json").write_text(json.dumps(boxes))
        report = masks_from_boxes(tmp_path / "boxes.json", folder, tmp_path / "masks.json", workers=0, progress=False)
        assert report.ok, report.summary()
    made = CocoDocument.open(tmp_path / "masks.json")
    for record in made.images:
        (ann,) = made.annotations(record["id"])
        assert iou(made.mask(ann["id"]), truths[record["file_name"]]) > 0.85
    said = exif_warnings(caught)
    assert len(said) == (2 if sizes == "stored" else 0)  # once per COCO file: the file and the boxes file


def test_the_cli_says_once_in_one_line_that_a_file_ignored_exif(tmp_path, capsys):
    folder, coco, _ = coco_folder(tmp_path, "stored")
    assert cli.main(["export", "--coco", str(coco), "--images", str(folder), "--out", str(tmp_path / "out"), "-q"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "EXIF" in line]
    assert len(said) == 1 and said[0].startswith("warning: ") and "'a.jpg'" in said[0] and "read as stored" in said[0]


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_a_session_shows_each_photo_as_its_coco_file_sizes_it(tmp_path, sizes):
    folder, _, truths = coco_folder(tmp_path, sizes)
    session = Session.open(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("a.jpg", "b.jpg"):
            image = session.read(name)
            (obj,) = session.objects(name)
            assert image.shape[:2] == obj.mask.shape and iou(red(image), obj.mask) > 0.9  # the masks on the disc
            assert np.array_equal(obj.mask, truths[name])
    assert len(exif_warnings(caught)) == (1 if sizes == "stored" else 0)


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_segment_adds_to_a_file_of_either_sizes_on_the_pixels_its_masks_fit(tmp_path, sizes, capsys):
    """segment --coco refused a photo whose record had its stored size ("is it the same
    image?") where export, review and sessions read it as stored (an attack pass)."""
    folder, coco, _ = coco_folder(tmp_path, sizes)
    code = cli.main(["segment", str(folder / "a.jpg"), "--box", "2,2,40,40", "--coco", str(coco), "--category", "x",
                     "-q"])  # fmt: skip
    assert code == 0
    saved = json.loads(coco.read_text())
    assert len(saved["images"]) == 2 and len(saved["annotations"]) == 3  # onto a.jpg's record, no new one
    assert ("read as stored" in capsys.readouterr().err) == (sizes == "stored")


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_replay_makes_again_an_object_of_a_file_of_either_sizes(tmp_path, sizes, capsys):
    """replay refused ("is it the same image?") an object segment --coco had made on a
    photo whose record has its stored size (an attack pass)."""
    pytest.importorskip("distributed")
    folder, coco, _ = coco_folder(tmp_path, sizes)
    assert cli.main(["segment", str(folder / "a.jpg"), "--box", "2,2,40,40", "--coco", str(coco), "--category", "x",
                     "-q"]) == 0  # fmt: skip
    out = tmp_path / "replayed.json"
    assert cli.main(["replay", str(coco), "--engine", "grabcut", "--out", str(out), "--workers", "0", "-q"]) == 0
    assert len(json.loads(out.read_text())["annotations"]) == 3  # none failed


def photos_whose_size_cannot_tell(tmp_path, sizes: str):
    """A portrait photo turned a quarter by EXIF (its size tells which way the file's tool
    read it), one upside down (orientation 3) and one square turned a quarter (theirs
    cannot tell), with a COCO file sized and drawn ``upright`` or ``stored``."""
    folder = tmp_path / "photos"
    folder.mkdir()
    doc = CocoDocument(path=folder / "annotations.coco.json")
    truths = {}
    for seed, (name, orientation, shape) in enumerate(
        (("a.jpg", 6, UPRIGHT), ("b.jpg", 3, UPRIGHT), ("c.jpg", 6, (90, 90)))
    ):
        image, truth = disc_scene(height=shape[0], width=shape[1], centre=(28, 40), radius=18, seed=seed)
        exif = Image.Exif()
        exif[0x0112] = orientation
        Image.fromarray(stored(image, orientation)).save(folder / name, exif=exif, quality=95)
        truths[name] = truth if sizes == "upright" else stored(truth, orientation)
        record = doc.add_image(name, truths[name].shape[1], truths[name].shape[0])
        doc.add_annotation(record["id"], truths[name], "disc")
    doc.save()
    return folder, doc.path, truths


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_a_photo_whose_size_cannot_tell_is_read_as_the_files_other_photos_say(tmp_path, sizes):
    """A square or upside-down phone photo in a file whose tool ignored EXIF was turned
    upright, its masks then on the wrong pixels: the file's other photos decide for it."""
    folder, coco, truths = photos_whose_size_cannot_tell(tmp_path, sizes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = Session.open(folder)
        for name in ("c.jpg", "b.jpg", "a.jpg"):  # those that cannot tell first
            image = session.read(name)
            (obj,) = session.objects(name)
            assert np.array_equal(obj.mask, truths[name]) and iou(red(image), obj.mask) > 0.9, name
        session.close()
        written = export_dataset(coco, folder, tmp_path / "out", crop=True, background="transparent")
        report = export_folder(folder, tmp_path / "cut", annotations=coco, workers=0, progress=False)
        sheet = contact_sheet(coco, tmp_path / "sheet.png", images=folder)
    assert len(written) == 3 and report.ok and report.counts["cutouts"] == 3
    for path in written + sorted((tmp_path / "cut").rglob("*.png")):
        cut = read_image(path)
        assert red(cut)[cut[..., 3] > 0].mean() > 0.9, path.name  # the disc, not the background beside it
    assert len(sheet.tiles) == 3 and sheet.notes() == {}
    assert bool(exif_warnings(caught)) == (sizes == "stored")


@pytest.mark.parametrize("sizes", ["upright", "stored"])
def test_a_new_photo_of_a_file_whose_tool_ignored_exif_is_read_and_recorded_as_stored(tmp_path, sizes):
    """A sideways phone photo new to such a file was read upright and recorded upright: the
    file then mixed both, and which way its square photos were read changed with the order
    of its images (an attack pass). New photos follow the file's way; one rule, in the
    file's order, for every door."""
    folder, coco, truths = photos_whose_size_cannot_tell(tmp_path, sizes)
    image, truth = disc_scene(height=UPRIGHT[0], width=UPRIGHT[1], centre=(28, 40), radius=18, seed=7)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored(image, 6)).save(folder / "0new.jpg", exif=exif, quality=95)  # first in the listing
    want = truth if sizes == "upright" else stored(truth, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExifIgnoredWarning)
        with Session.open(folder) as session:
            shown = session.read("0new.jpg")
            assert shown.shape[:2] == want.shape and iou(red(shown), want) > 0.9
            session.add("0new.jpg", red(shown), "disc")
        with Session.open(folder) as again:
            for name in ("0new.jpg", "b.jpg", "c.jpg"):
                (obj,) = again.objects(name)
                assert iou(red(again.read(name)), obj.mask) > 0.85, name
    record = next(r for r in json.loads(coco.read_text())["images"] if r["file_name"] == "0new.jpg")
    assert (record["height"], record["width"]) == want.shape
