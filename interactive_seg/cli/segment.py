"""`interactive-seg segment`: one object of one image, as a mask and cutout and/or into a COCO file."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..coco import CocoDocument
from ..coco.checks import image_size
from ..coco.locate import ImageLocator, exif_choice, file_name_in, records_for_image, size_finder
from ..engines import engine_names, get_engine
from ..errors import InputError
from ..export.cutouts import cutout
from ..export.manifest import Cutouts
from ..files import check_folder_path, ensure_folder, image_orientation, read_image, write_image
from ..model.store import read_document
from ..model.writers import edit_document
from ..prompts import Prompts
from ..provenance import KEY, make_record
from .common import (
    add_engine_options,
    engine_values,
    parse_box,
    parse_point,
    read_scribbles,
    say,
)

__all__ = ["add_parser", "cmd_segment"]


def cmd_segment(args) -> int:
    image_path = Path(args.image)
    image = read_image(image_path)
    document = _coco_document(Path(args.coco)) if args.coco is not None else None
    if document is not None:
        records = records_for_image(document, Path(args.coco), image_path)
        stated = image_size(records[0]) if records else None
        if stated is not None and image_orientation(image_path) != 1:
            # the file's record may give the photo its size as stored (a tool that ignored
            # EXIF, which its other photos tell for a square one): its masks fit the stored
            # pixels, so the image is read so (with a warning)
            as_stored = exif_choice(document.images, ImageLocator(Path(args.coco).parent))
            image = read_image(image_path, expect=stated, coco=args.coco, as_stored=as_stored)
    height, width = image.shape[:2]
    points = [parse_point(p) for p in args.point or []]
    box = parse_box(args.box) if args.box else None
    scribbles = read_scribbles(Path(args.scribbles), (height, width)) if args.scribbles else None
    if box is None and not points and scribbles is None:
        raise InputError("Give the object a prompt: --box X0,Y0,X1,Y1, --point X,Y[,LABEL] or --scribbles PNG.")
    if args.out is None and args.coco is None:
        raise InputError(
            "Say where the object goes: --out DIR (mask and cutout PNGs) and/or --coco FILE --category NAME."
        )
    if (args.coco is None) != (args.category is None):
        raise InputError("--coco FILE and --category NAME go together: the object is added to FILE as a NAME.")
    if document is not None:
        _coco_image(document, Path(args.coco), image_path, width, height)  # its size, checked before the work
    out = Path(args.out) if args.out is not None else None
    if out is not None:
        check_folder_path(out)  # before the work (a file there was said after it)
    engine = get_engine(args.engine, **engine_values(args, args.engine))
    prompts = Prompts(
        box=box,
        points=[(x, y) for x, y, _ in points] or None,
        point_labels=[label for _, _, label in points] or None,
        scribbles=scribbles,
    )
    say(args, f"Segmenting {image_path.name} ({width} x {height}) with {args.engine}...")
    start = time.perf_counter()
    engine.set_image(image)
    mask = engine.segment(prompts).mask
    seconds = time.perf_counter() - start
    if not mask.any():
        raise InputError("The engine found no object for these prompts; draw a tighter box or add foreground clicks.")
    say(args, f"Object: {int(mask.sum())} pixels ({100.0 * mask.mean():.1f} % of the image) in {seconds:.2f} s.")
    if document is not None:
        coco = Path(args.coco)
        # as the file's one writer: a session open on it refuses, one that did not close is folded in
        with edit_document(coco, where=repr(str(coco))) as doc:
            image_id = _coco_image(doc, coco, image_path, width, height)
            if image_id is None:
                image_id = doc.add_image(file_name_in(coco, image_path), width, height)["id"]
            record = doc.add_annotation(image_id, mask, args.category, **{KEY: make_record(engine, prompts, image)})
        say(args, f"Added object {record['id']} ({args.category}) to {args.coco}; the rest of the file kept as it was.")
    if out is None:
        return 0
    mask_path = out / f"{image_path.stem}_mask.png"
    cut_path = out / f"{image_path.stem}_cutout.png"
    record = Cutouts(out, "segment")  # the tool's own files there: not images to annotate when the folder is listed
    record.refuse_foreign([mask_path, cut_path])  # (never over a photograph named like them)
    ensure_folder(out)  # only now: a failed segmentation leaves no empty folder behind
    record.planned(image_path, [mask_path, cut_path])  # first: a folder session never takes them for photos
    written = []
    try:
        record.save(strict=True)
        for path, pixels in ((mask_path, mask.astype(np.uint8) * 255), (cut_path, None)):
            if pixels is None:
                pixels = cutout(image, mask, background="transparent", crop=True)
            write_image(path, pixels)
            written.append(path)
    except (InputError, OSError):
        for path in written:  # exit status 2 means nothing was written
            path.unlink(missing_ok=True)
        record.let_go()
        raise
    record.covered(image_path, [mask_path, cut_path])
    record.save(final=True)
    say(args, f"Wrote {mask_path}")
    say(args, f"Wrote {cut_path}")
    return 0


def _coco_document(coco: Path) -> CocoDocument:
    """The COCO document ``segment --coco`` adds to, as read now (new when the file is missing)."""
    if coco.is_dir():
        raise InputError(
            f"--coco {str(coco)!r} is a folder; give the path of the COCO .json file to add the object to."
        )
    return read_document(coco, image_size=size_finder(coco.parent)) if coco.exists() else CocoDocument()


def _coco_image(doc: CocoDocument, coco: Path, image_path: Path, width: int, height: int):
    """The id of the image's record in ``doc`` (None: not there); an InputError when the record's size is another."""
    records = records_for_image(doc, coco, image_path)  # never cam1/a.png for cam2/a.png
    if not records:
        return None
    record = records[0]
    if image_size(record) not in (None, (height, width)):  # (a null size: another tool left it out)
        raise InputError(
            f"{str(coco)!r} lists {record['file_name']!r} as {record['width']} x {record['height']} but the image is "
            f"{width} x {height}; is it the same image?"
        )
    return record["id"]


def add_parser(sub) -> None:
    """Add ``segment`` to the subcommands."""
    seg = sub.add_parser(
        "segment",
        help="segment one object in an image and write its mask and cutout",
        description=(
            "Segment one object and write OUT/<stem>_mask.png (0/255, one channel) and "
            "OUT/<stem>_cutout.png (RGBA, transparent outside the object, cropped to its box), and/or add it "
            "to a COCO file (--coco FILE --category NAME) with its prompts, engine and model under the "
            "annotation's 'interactive_seg' key, so `interactive-seg replay` can make it again "
            "(refused while a session has that file open for writing). "
            "Coordinates are pixels, x to the right and y down. Exit status 0 on success, 2 on bad input."
        ),
        epilog="examples: interactive-seg segment sample_images/coffee.png --box 90,20,470,330 --out out/\n"
        "          interactive-seg segment photos/a.png --box 90,20,470,330 --coco photos/labels.json --category cup",
    )
    seg.add_argument("image", help="image file (PNG, JPEG, TIFF, BMP; grey, RGB or RGBA; 8 or 16 bit)")
    seg.add_argument("--box", metavar="X0,Y0,X1,Y1", help="box around the object, in pixels")
    seg.add_argument(
        "--point",
        action="append",
        metavar="X,Y[,LABEL]",
        help="a click on the object (LABEL 1, the default) or on the background (LABEL 0); repeatable",
    )
    seg.add_argument(
        "--scribbles",
        metavar="PNG",
        help="strokes at the image's size: one channel with 1 = foreground, 2 = background, "
        "or colour with green = foreground, red = background",
    )
    seg.add_argument(
        "--engine",
        default="grabcut",
        choices=engine_names(),
        help="segmentation engine (default: grabcut; plain_grabcut is cv2.grabCut on the whole image, for comparison; sam needs the sam extra and a checkpoint)",
    )
    seg.add_argument(
        "--out",
        metavar="DIR",
        help="output folder for the mask and cutout PNGs (created if missing); optional with --coco",
    )
    seg.add_argument(
        "--coco",
        metavar="FILE",
        help="add the object to this COCO file (created if missing; everything already in it kept as it is), with how it was made under 'interactive_seg'",
    )
    seg.add_argument("--category", metavar="NAME", help="with --coco: the object's class (created in the file if new)")
    seg.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    add_engine_options(seg)
    seg.set_defaults(func=cmd_segment)
