"""The `interactive-seg` command line: a thin door into the core."""

from __future__ import annotations

import argparse
import sys
import time
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
    from .export.cutouts import cutout
    from .files import read_image, write_image

    image_path = Path(args.image)
    image = read_image(image_path)
    height, width = image.shape[:2]
    points = [_parse_point(p) for p in args.point or []]
    box = _parse_box(args.box) if args.box else None
    scribbles = _read_scribbles(Path(args.scribbles), (height, width)) if args.scribbles else None
    if box is None and not points and scribbles is None:
        raise InputError("Give the object a prompt: --box X0,Y0,X1,Y1, --point X,Y[,LABEL] or --scribbles PNG.")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the output folder {str(out)!r} ({exc.strerror or exc}).") from exc

    options = {}
    if args.engine == "grabcut":
        for name in ("iterations", "margin", "max_side"):
            value = getattr(args, name)
            if value is not None:
                options[name] = value
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
    mask_path = out / f"{image_path.stem}_mask.png"
    cut_path = out / f"{image_path.stem}_cutout.png"
    write_image(mask_path, mask.astype(np.uint8) * 255)
    write_image(cut_path, cutout(image, mask, background="transparent", crop=True))
    _say(args, f"Object: {int(mask.sum())} pixels ({100.0 * mask.mean():.1f} % of the image) in {seconds:.2f} s.")
    _say(args, f"Wrote {mask_path}")
    _say(args, f"Wrote {cut_path}")
    return 0


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
            "OUT/<stem>_cutout.png (RGBA, transparent outside the object, cropped to its box). "
            "Coordinates are pixels, x to the right and y down. Exit status 0 on success, 2 on bad input."
        ),
        epilog="example: interactive-seg segment sample_images/coffee.png --box 90,20,470,330 --out out/",
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
    seg.add_argument("--engine", default="grabcut", choices=["grabcut"], help="segmentation engine (default: grabcut)")
    seg.add_argument("--iterations", type=int, help="GrabCut iterations (default 5)")
    seg.add_argument("--margin", type=float, help="context around the box, fraction of its size (default 0.1)")
    seg.add_argument("--max-side", dest="max_side", type=int, help="working size of the region in pixels (default 320)")
    seg.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    seg.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    seg.set_defaults(func=cmd_segment)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written for the object in progress", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
