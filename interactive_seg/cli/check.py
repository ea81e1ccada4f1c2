"""`interactive-seg check`: what is wrong in a COCO file, or that nothing is."""

from __future__ import annotations

import sys
from pathlib import Path

from ..coco import CocoDocument, check_coco
from ..coco.locate import size_finder
from ..errors import InputError
from ..wording import counted
from .common import say

__all__ = ["add_parser", "cmd_check"]


def cmd_check(args) -> int:
    coco = Path(args.coco)
    images = Path(args.images) if args.images is not None else coco.parent
    if args.images is not None and not images.is_dir():
        raise InputError(f"--images {args.images!r} is not a folder; give the folder of the COCO file's images.")
    # an image record without a size (Label Studio writes null) takes it from its file
    problems = check_coco(coco, strict=args.strict, image_size=size_finder(images))
    if not problems:
        doc = CocoDocument.open(coco)
        boxes = sum(1 for i in doc.annotation_ids() if not doc.has_mask(i))
        say(
            args,
            f"{args.coco}: {len(doc.images)} images, {doc.count()} annotations ({boxes} box-only), {len(doc.categories)} categories.",
        )
    for problem in problems:
        print(problem)
    if problems:
        print(f"{counted(len(problems), 'problem')}.", file=sys.stderr)
        return 1
    say(args, "No problems" + (" (area and bbox agree with the masks)." if args.strict else "."))
    return 0


def add_parser(sub) -> None:
    """Add ``check`` to the subcommands."""
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
    chk.add_argument(
        "--images",
        metavar="DIR",
        help="the folder of the file's images, for records that give no width and height (default: the file's folder)",
    )
    chk.add_argument(
        "--strict",
        action="store_true",
        help="also decode every mask and report area/bbox that disagree with it by more than 1 %% / 1 px",
    )
    chk.add_argument("-q", "--quiet", action="store_true", help="print only the problems")
    chk.set_defaults(func=cmd_check)
