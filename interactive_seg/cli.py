"""The `interactive-seg` command line: a thin door into the core."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .errors import InputError

EXIT_BAD_INPUT = 2


def _pair_list(text: str, count: int, what: str) -> list:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"{what} {text!r} must be {count} comma-separated numbers.") from None
    return values


def _parse_box(text: str) -> tuple:
    values = _pair_list(text, 4, "--box")
    if len(values) != 4:
        raise InputError(f"--box {text!r} must be four numbers X0,Y0,X1,Y1 (pixels, x right, y down).")
    return tuple(values)


def _parse_point(text: str) -> tuple:
    values = _pair_list(text, 2, "--point")
    if len(values) == 2:
        return values[0], values[1], 1
    if len(values) == 3 and values[2] in (0.0, 1.0):
        return values[0], values[1], int(values[2])
    raise InputError(f"--point {text!r} must be X,Y or X,Y,LABEL with LABEL 1 (foreground) or 0 (background).")


def _read_scribbles(path: Path, shape) -> np.ndarray:
    """A scribble PNG: values 0/1/2 as they are, or a colour image with red = background, green = foreground."""
    from .files import read_image

    data = read_image(path)
    if data.ndim == 3:
        rgb = data[..., :3].astype(int)
        out = np.zeros(rgb.shape[:2], np.uint8)
        strong = rgb.max(axis=2) > 64
        out[strong & (rgb[..., 1] > rgb[..., 0]) & (rgb[..., 1] > rgb[..., 2])] = 1
        out[strong & (rgb[..., 0] > rgb[..., 1]) & (rgb[..., 0] > rgb[..., 2])] = 2
        data = out
    if data.shape != tuple(shape):
        raise InputError(
            f"The scribbles {str(path)!r} are {data.shape[1]} x {data.shape[0]} but the image is "
            f"{shape[1]} x {shape[0]}; draw them at the image's size."
        )
    if not np.isin(data, (0, 1, 2)).all():
        raise InputError(
            f"The scribbles {str(path)!r} hold values other than 0, 1 and 2; use 1 for foreground and 2 "
            "for background (or green and red strokes in a colour PNG)."
        )
    return data.astype(np.uint8)


def cmd_segment(args) -> int:
    from . import get_engine, Prompts
    from .engines import engine_class
    from .export.cutouts import cutout
    from .files import ensure_folder, read_image, write_image

    image_path = Path(args.image)
    image = read_image(image_path)
    height, width = image.shape[:2]
    points = [_parse_point(p) for p in args.point or []]
    box = _parse_box(args.box) if args.box else None
    scribbles = _read_scribbles(Path(args.scribbles), (height, width)) if args.scribbles else None
    if box is None and not points and scribbles is None:
        raise InputError("Give the object a prompt: --box X0,Y0,X1,Y1, --point X,Y[,LABEL] or --scribbles PNG.")
    if args.out is None and args.coco is None:
        raise InputError("Say where the object goes: --out DIR (mask and cutout PNGs) and/or --coco FILE --category NAME.")
    if (args.coco is None) != (args.category is None):
        raise InputError("--coco FILE and --category NAME go together: the object is added to FILE as a NAME.")
    document = _coco_for_segment(Path(args.coco), image_path, width, height) if args.coco is not None else None
    out = Path(args.out) if args.out is not None else None
    # the options this engine lists, where a flag gave them (the engine's defaults otherwise)
    listed = engine_class(args.engine).options
    options = {o.name: getattr(args, o.name) for o in listed if getattr(args, o.name, None) is not None}
    engine = get_engine(args.engine, **options)
    prompts = Prompts(
        box=box,
        points=[(x, y) for x, y, _ in points] or None,
        point_labels=[label for _, _, label in points] or None,
        scribbles=scribbles,
    )
    _say(args, f"Segmenting {image_path.name} ({width} x {height}) with {args.engine}...")
    start = time.perf_counter()
    engine.set_image(image)
    mask = engine.segment(prompts).mask
    seconds = time.perf_counter() - start
    if not mask.any():
        raise InputError("The engine found no object for these prompts; draw a tighter box or add foreground clicks.")
    _say(args, f"Object: {int(mask.sum())} pixels ({100.0 * mask.mean():.1f} % of the image) in {seconds:.2f} s.")
    if document is not None:
        from .provenance import KEY, make_record

        doc, image_id = document
        if image_id is None:
            image_id = doc.add_image(_coco_file_name(Path(args.coco), image_path), width, height)["id"]
        record = doc.add_annotation(image_id, mask, args.category, **{KEY: make_record(engine, prompts, image)})
        doc.save(args.coco)
        _say(args, f"Added object {record['id']} ({args.category}) to {args.coco}; the rest of the file kept as it was.")
    if out is None:
        return 0
    ensure_folder(out)  # only now: a failed segmentation leaves no empty folder behind
    mask_path = out / f"{image_path.stem}_mask.png"
    cut_path = out / f"{image_path.stem}_cutout.png"
    write_image(mask_path, mask.astype(np.uint8) * 255)
    write_image(cut_path, cutout(image, mask, background="transparent", crop=True))
    _say(args, f"Wrote {mask_path}")
    _say(args, f"Wrote {cut_path}")
    return 0


def _coco_file_name(coco: Path, image_path: Path) -> str:
    """The image's file_name in a COCO file: its path from the file's folder when inside it, else its name."""
    import os

    try:
        relative = Path(os.path.relpath(image_path.resolve(), coco.resolve().parent))
    except ValueError:  # another drive
        return image_path.name
    return relative.as_posix() if ".." not in relative.parts else image_path.name


def _coco_for_segment(coco: Path, image_path: Path, width: int, height: int) -> tuple:
    """The COCO document ``segment --coco`` adds to (new when the file is missing) and the image's id there (None: new)."""
    from .coco import CocoDocument

    if coco.is_dir():
        raise InputError(f"--coco {str(coco)!r} is a folder; give the path of the COCO .json file to add the object to.")
    doc = CocoDocument.open(coco) if coco.exists() else CocoDocument()
    record = doc.find_image(_coco_file_name(coco, image_path))
    if record is None:
        return doc, None
    if (int(record["width"]), int(record["height"])) != (width, height):
        raise InputError(
            f"{str(coco)!r} lists {record['file_name']!r} as {record['width']} x {record['height']} but the image is "
            f"{width} x {height}; is it the same image?"
        )
    return doc, record["id"]


def _parse_colour(text: str) -> tuple:
    values = _pair_list(text, 3, "--color")
    if len(values) != 3:
        raise InputError(f"--color {text!r} must be three numbers R,G,B.")
    return tuple(values)


def _progress(args):
    def report(done: int, total: int, name: str) -> None:
        if args.quiet:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total or not sys.stderr.isatty() else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}", end=end, file=sys.stderr, flush=True)

    return report


def cmd_export(args) -> int:
    from .export.cutouts import check_format
    from .export.dataset import add_to_coco, export_dataset, export_objects
    from .files import ensure_folder, read_image
    from .labels import labels_to_objects, read_classes

    options = {
        "background": args.style,
        "crop": args.crop,
        "padding": args.padding,
        "feather": args.feather,
        "blur_sigma": args.blur_sigma,
    }
    if args.color is not None:
        options["color"] = _parse_colour(args.color)
    suffix = args.format if args.format.startswith(".") else "." + args.format
    check_format(args.style, suffix)
    out = Path(args.out)

    if args.labels is not None:
        if args.image is None or args.images is not None:
            raise InputError("With --labels, give the image it labels with --image (and no --images).")
        image_path = Path(args.image)
        image = read_image(image_path)
        labels = read_image(args.labels)
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
        if not objects:
            raise InputError(f"The label image {args.labels!r} has no objects (all pixels are 0); give the label image of this image.")
        ensure_folder(out)
        written = export_objects(image, objects, out, image_path.stem, suffix=suffix, **options)
        for path in written:
            _say(args, f"Wrote {path}")
        if args.coco is not None:
            categories = list(classes.values()) if isinstance(classes, dict) else (classes or [])
            path = add_to_coco(args.coco, image_path.name, image.shape[1], image.shape[0], objects, categories, polygons=args.polygons)
            _say(args, f"Wrote {path} ({len(objects)} objects of {image_path.name}; the rest of the file kept as it was)")
        return 0

    if args.coco is None or args.images is None:
        raise InputError(
            "Say what to export: --image IMG --labels LABELS.png for one image, "
            "or --coco FILE --images DIR for a whole dataset."
        )
    written = export_dataset(args.coco, args.images, out, progress=_progress(args), suffix=suffix, **options)
    _say(args, f"Wrote {len(written)} cutouts to {out}")
    return 0


def cmd_check(args) -> int:
    from .coco import CocoDocument, check_coco

    problems = check_coco(args.coco, strict=args.strict)
    if not problems:
        doc = CocoDocument.open(args.coco)
        boxes = sum(1 for a in doc.annotations() if not doc.has_mask(a["id"]))
        _say(args, f"{args.coco}: {len(doc.images)} images, {doc.count()} annotations ({boxes} box-only), {len(doc.categories)} categories.")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s).", file=sys.stderr)
        return 1
    _say(args, "No problems" + (" (area and bbox agree with the masks)." if args.strict else "."))
    return 0


def cmd_models(args) -> int:
    import importlib

    from .engines.sam.models import catalogue, download, family_of_folder, is_cached, models_dir

    folder = models_dir()
    known = catalogue()
    if args.action == "list":
        print(f"Models (cache: {folder}):")
        family = None
        for info in known.values():
            if info.family != family:
                family = info.family
                print(f"{importlib.import_module(family).TITLE}:")
            here = "cached    " if is_cached(info.name) else "not cached"
            print(f"  {info.name:24s} {info.size / 1e6:8.1f} MB  {here}  {info.note}")
            print(f"  {'':24s} {info.source}")
        print("Download one with `interactive-seg models download NAME`; a model folder is accepted wherever a name is.")
        return 0
    if not args.name:
        raise InputError(f"Name the model to download: one of {', '.join(known)}.")
    if args.name not in known:
        module = importlib.import_module(family_of_folder(args.name))  # a model folder: checked, nothing to fetch
        _say(args, f"{args.name} is a {module.TITLE} model folder; use it with --model-type {args.name}")
        return 0
    info = known[args.name]
    _say(args, f"Downloading {info.name} ({info.size / 1e6:.0f} MB) from {info.source} into {folder}")
    path = download(args.name, progress=not args.quiet)
    _say(args, f"{info.name} is in the cache: {path}")
    return 0


def cmd_gui(args) -> int:
    try:
        from .plugin.app import launch
    except ImportError as exc:
        raise InputError(f"The GUI needs napari ({exc}): pip install 'interactive-seg[gui]'") from None
    launch([Path(p) for p in args.images], annotations=args.annotations, run=not args.no_run, **listing(args))
    return 0


def add_listing_options(parser) -> None:
    """``--flat``, ``--include`` and ``--exclude``: which images of a folder a command takes."""
    group = parser.add_argument_group("which images of the folder (subfolders too, by default)")
    group.add_argument("--flat", action="store_true", help="only the images at the folder's top level, not those in its subfolders")
    group.add_argument("--include", action="append", metavar="GLOB", help="only images whose relative path or a folder of it matches GLOB (train/**, *.jpg, cam1); repeatable")
    group.add_argument("--exclude", action="append", metavar="GLOB", help="leave out images whose relative path or a folder of it matches GLOB; repeatable")


def listing(args) -> dict:
    """The keywords of :func:`~interactive_seg.files.list_images` the flags of :func:`add_listing_options` give."""
    return {"recursive": not args.flat, "include": args.include, "exclude": args.exclude}


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text, flush=True)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="interactive-seg",
        description="Cut objects out of images with a box, clicks or scribbles (GrabCut, no model download).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    seg = sub.add_parser(
        "segment",
        help="segment one object in an image and write its mask and cutout",
        description=(
            "Segment one object and write OUT/<stem>_mask.png (0/255, one channel) and "
            "OUT/<stem>_cutout.png (RGBA, transparent outside the object, cropped to its box), and/or add it "
            "to a COCO file (--coco FILE --category NAME) with its prompts, engine and model under the "
            "annotation's 'interactive_seg' key, so `interactive-seg replay` can make it again. "
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
    from .engines import engine_names

    seg.add_argument("--engine", default="grabcut", choices=engine_names(), help="segmentation engine (default: grabcut; plain_grabcut is cv2.grabCut on the whole image, for comparison; sam needs the sam extra and a checkpoint)")
    seg.add_argument("--model-type", dest="model_type", metavar="MODEL",
                     help="SAM model: a name from `interactive-seg models list` (default vit_b; vit_t and sam2.1_hiera_tiny are the fastest on a CPU) or a model folder")
    seg.add_argument("--checkpoint", metavar="PATH", help="SAM weights file or model folder (default: the one `interactive-seg models download` put in the cache)")
    seg.add_argument("--device", help="SAM device: auto (cuda, then mps, then cpu), cpu, cuda, mps (default auto)")
    seg.add_argument("--iterations", type=int, help="most GrabCut iterations for the box (default 5; stops early once the mask settles)")
    seg.add_argument("--margin", type=float, help="context around the box, fraction of its size (default 0.1)")
    seg.add_argument("--max-side", dest="max_side", type=int, help="working size of the region in pixels (default 256)")
    seg.add_argument("--tightness", type=float, help="the box is drawn round the object: every row and column crossing it, but this fraction of each side, holds some of it (default 0.05; 0: off)")
    seg.add_argument("--click-radius", dest="click_radius", type=int, help="plain_grabcut: radius in pixels of the disk a click marks (default 5)")
    seg.add_argument("--scribble-prior", dest="scribble_prior", choices=("geodesic", "none"),
                     help="strokes without a box: start from the pixels geodesically nearer the foreground strokes (geodesic, the default) or, close to plain GrabCut, from the strokes' box (none)")
    seg.add_argument("--out", metavar="DIR", help="output folder for the mask and cutout PNGs (created if missing); optional with --coco")
    seg.add_argument("--coco", metavar="FILE", help="add the object to this COCO file (created if missing; everything already in it kept as it is), with how it was made under 'interactive_seg'")
    seg.add_argument("--category", metavar="NAME", help="with --coco: the object's class (created in the file if new)")
    seg.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    seg.set_defaults(func=cmd_segment)

    exp = sub.add_parser(
        "export",
        help="write isolated objects (cutouts) and COCO labels from a label image or a COCO dataset",
        description=(
            "Two forms. (1) --image IMG --labels LABELS.png: LABELS is an instance label image "
            "(0 background, 1..N objects); each object is written as OUT/<stem>_<class>-<n>.png, "
            "with classes from --classes (label i gets the i-th name) or an objects.json beside "
            "LABELS ({\"1\": \"cat\"} or [\"cat\", ...]); --coco FILE also puts the objects into that "
            "COCO file: created, or this image's objects replaced (found by path, else by base name) "
            "with new ids, and everything else in the file written back as it was. (2) --coco FILE "
            "--images DIR: every object of the COCO dataset with a mask (box-only annotations are "
            "skipped), its images read from DIR (by path, else by base name), with a progress bar. "
            "Exit status 0 on success, 2 on bad input."
        ),
        epilog="example: interactive-seg export --image photo.png --labels photo_labels.png --classes cat,dog "
        "--out cutouts/ --style transparent --crop --padding 8 --coco labels.json",
    )
    exp.add_argument("--image", metavar="IMG", help="the image the label image labels")
    exp.add_argument("--labels", metavar="LABELS", help="instance label image: 0 background, 1..N objects")
    exp.add_argument("--classes", metavar="A,B,...", help="class of label 1, label 2, ... (default: objects.json beside LABELS, else 'object')")
    exp.add_argument("--coco", metavar="FILE", help="with --labels: COCO file to put this image's objects into (created if missing, the rest of it kept as it is); with --images: the dataset to export")
    exp.add_argument("--images", metavar="DIR", help="folder of the COCO file's images (found by their path in the file, else by base name)")
    exp.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    exp.add_argument("--style", default="transparent", choices=["black", "transparent", "color", "blur"],
                     help="background: black (bitwise_and), transparent (alpha = mask), color, or blur (default: transparent)")
    exp.add_argument("--color", metavar="R,G,B", help="background colour for --style color (default 0,0,0)")
    exp.add_argument("--blur-sigma", dest="blur_sigma", type=float, default=15.0, help="Gaussian sigma in pixels for --style blur (default 15)")
    exp.add_argument("--crop", action="store_true", help="crop each object to its box plus --padding")
    exp.add_argument("--padding", type=int, default=0, help="pixels around the box when cropping (default 0)")
    exp.add_argument("--feather", type=float, default=0.0, help="soften edges over about R pixels (default 0: hard)")
    exp.add_argument("--format", default="png", help="file type of the cutouts: png (default), tif, jpg (no transparency)")
    exp.add_argument("--polygons", action="store_true", help="COCO segmentation as polygons where faithful (default RLE)")
    exp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    exp.set_defaults(func=cmd_export)

    chk = sub.add_parser(
        "check",
        help="say what is wrong in a COCO file (ids, references, segmentations), or that nothing is",
        description="Read a COCO file and list its problems: ids missing, used twice or of the wrong type, "
        "references to images or categories that do not exist, fields of the wrong type, segmentations "
        "that cannot be decoded or are not of the image's size. area and bbox are the writer's business "
        "and are not checked unless --strict asks. Exit status 0 when there are no problems, 1 when "
        "there are (one line each), 2 when the file cannot be read as JSON.",
        epilog="example: interactive-seg check annotations.coco.json --strict",
    )
    chk.add_argument("coco", metavar="FILE", help="the COCO .json file")
    chk.add_argument("--strict", action="store_true", help="also decode every mask and report area/bbox that disagree with it by more than 1 %% / 1 px")
    chk.add_argument("-q", "--quiet", action="store_true", help="print only the problems")
    chk.set_defaults(func=cmd_check)
    models = sub.add_parser(
        "models",
        help="list or download the SAM models (SAM, MobileSAM, SAM 2.1, SAM 3)",
        description="`models list` shows every model of every SAM family with its size, where it comes from and "
        "whether it is in the cache; `models download NAME` fetches one into the cache: Hugging Face models "
        "with huggingface_hub (progress bar, an interrupted download resumes, used offline once cached; a gated "
        "model asks you to log in with `hf auth login`), SAM 1 checkpoints with pooch, checked against their "
        "SHA-256. A model folder (save_pretrained layout) is accepted in place of a name. The cache is "
        "$INTERACTIVE_SEG_CACHE_DIR or the user cache folder.",
    )
    models.add_argument("action", choices=["list", "download"])
    models.add_argument("name", nargs="?", help="a model from `models list` (or a model folder, to check it), for download")
    models.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    models.set_defaults(func=cmd_models)

    gui = sub.add_parser(
        "gui",
        help="open napari with the segmentation widget and images",
        description="Open napari with the Interactive segmentation widget docked and the given images "
        "(the coffee sample image when none is given). With one FOLDER: work through its images (subfolders "
        "too, listed by relative path; --flat, --include, --exclude choose) with "
        "next/previous (Shift+Right/Shift+Left); every accepted, edited or deleted object is saved at once "
        "in FOLDER/annotations.coco.json (or --annotations FILE), and reopening the folder restores them. "
        "Needs the gui extra: pip install 'interactive-seg[gui]'.",
    )
    gui.add_argument("images", nargs="*", metavar="IMAGE|FOLDER", help="image files, or one folder of images")
    gui.add_argument("--annotations", metavar="FILE", help="COCO file of a folder session (default FOLDER/annotations.coco.json)")
    gui.add_argument("--no-run", action="store_true", help=argparse.SUPPRESS)
    add_listing_options(gui)
    gui.set_defaults(func=cmd_gui)

    from .batch.cli import add_batch_parser  # `batch masks | embed | export` (dask is imported when they run)

    add_batch_parser(sub)

    from .review_cli import add_review_parser  # `review`: contact sheets (matplotlib is imported when it runs)

    add_review_parser(sub)

    from .replay_cli import add_replay_parser  # `replay`: a dataset made again with another engine (dask when it runs)

    add_replay_parser(sub)
    from .propose_cli import add_propose_parser; add_propose_parser(sub)  # `propose`: objects from a phrase, boxes or a grid  # noqa: E702
    return parser


_VALUE_OPTIONS = ("--box", "--point", "--color")


def _attach_negative_values(argv: list) -> list:
    """``--point -1,5`` would read to argparse as an option; pass it as ``--point=-1,5``."""
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token in _VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1][:2].lstrip("-")[:1].isdigit() and argv[i + 1].startswith("-"):
            out.append(f"{token}={argv[i + 1]}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _plain_warnings(shown):
    """A showwarning that prints the package's own warnings (a photo read as stored...) as a
    plain line, and passes the others to ``shown``."""
    from .files import ExifIgnoredWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ExifIgnoredWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    return show


def main(argv=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_attach_negative_values(argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _plain_warnings(warnings.showwarning)
            return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written for the object in progress", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
