"""`interactive-seg export`: cutouts and COCO labels from a label image or a COCO dataset."""

from __future__ import annotations

import sys
from pathlib import Path

from ..coco.locate import file_name_in, records_for_image, size_finder
from ..errors import InputError
from ..export.cutouts import check_format, check_options
from ..export.dataset import PartialExport, add_objects, export_dataset, export_objects
from ..export.manifest import Cutouts
from ..export.naming import object_names
from ..files import ensure_folder, read_image, read_indices
from ..labels import labels_to_objects, read_classes
from ..model.store import read_document
from ..model.writers import edit_document
from ..wording import counted
from .common import CUTOUT_FORMATS, cutout_format, cutout_style, progress, say

__all__ = ["add_parser", "cmd_export"]


def cmd_export(args) -> int:
    options = cutout_style(args)
    suffix = args.format if args.format.startswith(".") else "." + args.format
    check_format(args.style, suffix)
    check_options(**options)  # before any folder is made
    out = Path(args.out)

    if args.labels is not None:
        if args.image is None or args.images is not None:
            raise InputError("With --labels, give the image it labels with --image (and no --images).")
        image_path = Path(args.image)
        image = read_image(image_path)
        labels = read_indices(args.labels)
        if labels.shape[:2] != image.shape[:2]:
            raise InputError(
                f"The labels are {labels.shape[1]} x {labels.shape[0]} but the image is "
                f"{image.shape[1]} x {image.shape[0]}; use the label image made for this image."
            )
        if args.classes is not None:
            classes = [c.strip() for c in args.classes.split(",")]
        else:
            beside = Path(args.labels).with_name("objects.json")
            classes = read_classes(beside) if beside.is_file() else None
        objects = labels_to_objects(labels, classes)
        unnamed = sorted({o.label for o in objects if args.classes is not None and o.label > len(classes)})
        if unnamed:  # (they were called "object" without a word)
            raise InputError(
                f"--classes names {len(classes)} class(es) but the label image also has the label(s) "
                f"{', '.join(map(str, unnamed[:5]))}; name one class per label value, in order (A,B,...)."
            )
        if not objects:
            raise InputError(
                f"The label image {args.labels!r} has no objects (all pixels are 0); give the label image of this image."
            )
        cutouts = Cutouts(out)  # the tool's own files there: never a photograph named like a cutout
        targets = [out / name for name in object_names(image_path.stem, [o.category for o in objects], suffix)]
        cutouts.refuse_foreign(targets)

        def write_cutouts() -> None:
            ensure_folder(out)
            cutouts.planned(image_path, targets)
            cutouts.save()
            written = export_objects(image, objects, out, image_path.stem, suffix=suffix, **options)
            cutouts.covered(image_path, written)
            cutouts.save(final=True)
            for path in written:
                say(args, f"Wrote {path}")

        if args.coco is None:
            write_cutouts()
            return 0
        categories = list(classes.values()) if isinstance(classes, dict) else (classes or [])
        path = Path(args.coco)
        # the COCO file read and its entry checked first: a file that cannot take the objects
        # leaves no cutout written; cutouts that cannot be written leave the file as it was
        with edit_document(path, where=repr(str(path))) as doc:
            add_objects(
                doc,
                file_name_in(path, image_path),
                image.shape[1],
                image.shape[0],
                objects,
                categories,
                polygons=args.polygons,
                where=str(path),
                records=records_for_image(doc, path, image_path),  # cam2/0001.png is never cam1/0001.png
            )
            write_cutouts()
        say(
            args,
            f"Wrote {path} ({counted(len(objects), 'object')} of {image_path.name}; the rest of the file kept as it was)",
        )
        return 0

    if args.coco is None or args.images is None:
        raise InputError(
            "Say what to export: --image IMG --labels LABELS.png for one image, "
            "or --coco FILE --images DIR for a whole dataset."
        )
    try:
        written = export_dataset(
            read_document(Path(args.coco), image_size=size_finder(args.images)),
            args.images,
            out,
            progress=progress(args),
            suffix=suffix,
            **options,
        )
    except PartialExport as partial:  # the other images were exported: say which failed, exit 1
        print(f"interactive-seg export: {partial}", file=sys.stderr)
        return 1
    say(args, f"Wrote {counted(len(written), 'cutout')} to {out}")
    return 0


def add_parser(sub) -> None:
    """Add ``export`` to the subcommands."""
    exp = sub.add_parser(
        "export",
        help="write isolated objects (cutouts) and COCO labels from a label image or a COCO dataset",
        description=(
            "Two forms. (1) --image IMG --labels LABELS.png: LABELS is an instance label image "
            "(0 background, 1..N objects); each object is written as OUT/<stem>_<class>-<n>.png, "
            "with classes from --classes (label i gets the i-th name) or an objects.json beside "
            'LABELS ({"1": "cat"} or ["cat", ...]); --coco FILE also puts the objects into that '
            "COCO file: created, or this image's objects replaced (found by path, else by base name) "
            "with new ids, and everything else in the file written back as it was. (2) --coco FILE "
            "--images DIR: every object of the COCO dataset with a mask (box-only annotations are "
            "skipped), its images read from DIR (by path, else by base name), with a progress bar; "
            "an image that cannot be read does not stop the others. Writing into a COCO file a "
            "session has open is refused. Exit status 0 on success, 1 when some images could not be "
            "exported (listed), 2 on bad input (nothing written)."
        ),
        epilog="example: interactive-seg export --image photo.png --labels photo_labels.png --classes cat,dog "
        "--out cutouts/ --style transparent --crop --padding 8 --coco labels.json",
    )
    exp.add_argument("--image", metavar="IMG", help="the image the label image labels")
    exp.add_argument("--labels", metavar="LABELS", help="instance label image: 0 background, 1..N objects")
    exp.add_argument(
        "--classes",
        metavar="A,B,...",
        help="class of label 1, label 2, ... (default: objects.json beside LABELS, else 'object')",
    )
    exp.add_argument(
        "--coco",
        metavar="FILE",
        help="with --labels: COCO file to put this image's objects into (created if missing, the rest of it kept as it is); with --images: the dataset to export",
    )
    exp.add_argument(
        "--images",
        metavar="DIR",
        help="folder of the COCO file's images (found by their path in the file, else by base name)",
    )
    exp.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    exp.add_argument(
        "--style",
        default="transparent",
        choices=["black", "transparent", "color", "blur"],
        help="background: black (bitwise_and), transparent (alpha = mask), color, or blur (default: transparent)",
    )
    exp.add_argument("--color", metavar="R,G,B", help="background colour for --style color (default 0,0,0)")
    exp.add_argument(
        "--blur-sigma",
        dest="blur_sigma",
        type=float,
        default=15.0,
        help="Gaussian sigma in pixels for --style blur (default 15)",
    )
    exp.add_argument("--crop", action="store_true", help="crop each object to its box plus --padding")
    exp.add_argument("--padding", type=int, default=0, help="pixels around the box when cropping (default 0)")
    exp.add_argument("--feather", type=float, default=0.0, help="soften edges over about R pixels (default 0: hard)")
    exp.add_argument(
        "--format",
        default="png",
        type=cutout_format,
        choices=CUTOUT_FORMATS,
        help="file type of the cutouts: png (default), tif, jpg (no transparency)",
    )
    exp.add_argument(
        "--polygons", action="store_true", help="COCO segmentation as polygons where faithful (default RLE)"
    )
    exp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    exp.set_defaults(func=cmd_export)
