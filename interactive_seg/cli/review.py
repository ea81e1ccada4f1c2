"""`interactive-seg review`: a contact sheet of a COCO file's objects, to check the masks by eye."""

from __future__ import annotations

import argparse

from ..provenance import REVIEW_STATES
from ..review import MAX_PER_PAGE, PER_PAGE, SORTS, contact_sheet
from ..wording import counted
from .common import add_listing_options, listing, progress, say

__all__ = ["add_parser", "cmd_review"]


def cmd_review(args) -> int:
    bar = progress(args)

    def report(done: int, total: int, name: str) -> None:
        if total > 1:
            bar(done, total, name)

    sheet = contact_sheet(
        args.coco,
        args.out,
        images=args.images,
        sort=args.sort,
        per_page=args.per_page,
        category=args.category,
        progress=report,
        review=args.review,
        compare=args.compare,
        **listing(args),
    )
    if sheet.message:
        say(args, sheet.message)
    tiles = len(sheet.tiles)
    pages = len(sheet.pages)
    written = sheet.files[0] if len(sheet.files) == 1 else f"{sheet.files[0]} ... {sheet.files[-1].name}"
    say(
        args,
        f"Wrote {written}: {counted(tiles, 'object')} on {counted(pages, 'page')}, sorted by {args.sort}.",
    )
    notes = sheet.notes()
    missing = notes.get("image not found", 0)
    if missing and missing == tiles:
        say(
            args,
            f"None of the images were found in {sheet.images_dir}; the tiles show the masks alone. Point --images at their folder.",
        )
    elif notes:
        say(
            args,
            "Tiles that say what they lack: " + ", ".join(f"{count} {kind}" for kind, count in notes.items()) + ".",
        )
    return 0


def _per_page(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PER_PAGE}, not {text!r}") from None
    return value


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `review` command to the CLI's subparsers."""
    review = sub.add_parser(
        "review",
        help="draw every object of a COCO file as a tile (PNG or PDF) to find the bad masks",
        description=(
            "Draw one tile per object of a COCO file: the image cropped round the object, the mask's "
            "outline and a light fill in its class's colour, the class and annotation id above, the image "
            "and pixel count below. Where the file records reviews (the 'interactive_seg' key) each title "
            "also says the object's review state, and --review filters by it; --compare OLD.json draws each "
            "object old and new side by side (after `interactive-seg replay`). "
            "Box-only objects show their box; a missing image or an undecodable "
            "mask is said on the tile and the rest are drawn. COCO may be a folder session "
            "(FOLDER/annotations.coco.json, images in FOLDER). SHEET.pdf holds every page; SHEET.png is "
            "one file per page (SHEET-1.png, SHEET-2.png, ... when there are more). "
            "Exit status 0 on success, 2 on bad input (nothing is written)."
        ),
        epilog="example: interactive-seg review labels.json --images photos/ --out review.pdf --sort area",
    )
    review.add_argument("coco", metavar="COCO|FOLDER", help="a COCO JSON file, or a folder session")
    review.add_argument(
        "--images",
        metavar="DIR",
        help="folder of the file's images (default: the COCO file's folder, or the session folder)",
    )
    review.add_argument(
        "--out",
        required=True,
        metavar="SHEET.pdf|SHEET.png",
        help="the sheet to write (its folder is created if missing)",
    )
    review.add_argument(
        "--sort",
        default="class",
        choices=SORTS,
        help="class (the file's category order, default), area (smallest first), id, image, or change (with --compare: the lowest IoU of old and new first)",
    )
    review.add_argument(
        "--per-page",
        dest="per_page",
        type=_per_page,
        default=PER_PAGE,
        metavar="N",
        help=f"tiles per page, 1 to {MAX_PER_PAGE} (default {PER_PAGE})",
    )
    review.add_argument("--category", action="append", metavar="NAME", help="only objects of this class; repeatable")
    review.add_argument(
        "--review",
        action="append",
        choices=REVIEW_STATES,
        metavar="STATE",
        help="only objects in this review state: unreviewed, accepted or rejected (no record: unreviewed); repeatable",
    )
    review.add_argument(
        "--compare",
        metavar="OLD.json",
        help="another version of the file (the input of `interactive-seg replay`): each object it has too is drawn old and new side by side, with their IoU",
    )
    review.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    add_listing_options(review)
    review.set_defaults(func=cmd_review)
    return review
