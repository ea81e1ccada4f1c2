"""`interactive-seg batch masks | embed | export`: the batch jobs of :mod:`interactive_seg.batch`
from the command line, and :func:`run_job`, which runs a job where the flags say (shared with
`replay` and `propose`).

Nothing here imports dask or torch; the jobs do, when they run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..batch import worker as worker_side
from ..batch.embed import embed_folder
from ..batch.export import export_folder
from ..batch.masks import masks_from_boxes
from ..engines import engine_class
from .common import (
    CLUSTER_HELP,
    CUTOUT_FORMATS,
    add_cluster_options,
    add_engine_options,
    add_listing_options,
    cluster,
    cutout_format,
    cutout_style,
    engine_values,
    listing,
)

__all__ = ["add_parser", "run_job"]


def _cutout_options(parser) -> None:
    group = parser.add_argument_group("cutouts (as `interactive-seg export`)")
    group.add_argument(
        "--style",
        default="transparent",
        choices=["black", "transparent", "color", "blur"],
        help="background (default transparent)",
    )
    group.add_argument("--color", metavar="R,G,B", help="background colour for --style color")
    group.add_argument(
        "--blur-sigma", dest="blur_sigma", type=float, default=15.0, help="Gaussian sigma for --style blur (default 15)"
    )
    group.add_argument("--crop", action="store_true", help="crop each object to its box plus --padding")
    group.add_argument("--padding", type=int, default=0, help="pixels around the box when cropping (default 0)")
    group.add_argument("--feather", type=float, default=0.0, help="soften edges over about R pixels (default 0)")
    group.add_argument(
        "--format",
        default="png",
        type=cutout_format,
        choices=CUTOUT_FORMATS,
        help="png (default), tif, jpg (no transparency)",
    )


def _cache_option(parser) -> None:
    parser.add_argument(
        "--cache-dir",
        dest="cache_dir",
        metavar="DIR",
        help="SAM's embedding cache (default: $INTERACTIVE_SEG_CACHE_DIR or the user cache folder, as the GUI)",
    )


def _finish(args, report) -> int:
    if report.images == 0 and report.command == "embed":
        if not args.quiet:
            print(f"No images in {args.folder}.")
        return 0
    text = report.summary()
    if args.quiet:
        if report.failures:
            print("\n".join(text.splitlines()[1 + len(report.written) :]), file=sys.stderr)
    elif report.failures:
        head, _, tail = text.partition(f"{len(report.failures)} failed:")
        print(head.rstrip())
        print(f"{len(report.failures)} failed:" + tail, file=sys.stderr)
    else:
        print(text)
    return report.exit_status


def run_job(args, kept_in, job, *positional, **options) -> int:
    """Run ``job(*positional, **options)`` where ``args`` say, print its report; the exit
    status (130 when interrupted). ``kept_in``: where finished images' results are kept
    (None: nowhere, the job starts over)."""
    try:
        report = job(*positional, **options, cluster=cluster(args), progress=not args.quiet)
    except KeyboardInterrupt:
        said = (
            f"the results of finished images are kept in {kept_in}: run the same command again to go on"
            if kept_in is not None
            else "nothing was written (the file is written whole at the end): run the same command again to start over"
        )
        print(f"interrupted; {said}", file=sys.stderr)
        return 130
    return _finish(args, report)


def cmd_masks(args) -> int:
    worker_side.preload_here(args.preload)  # an engine a preload module registers is known from here on
    options = engine_values(args, args.engine)  # as `segment` takes them
    if engine_class(args.engine).embeds and args.cache_dir is not None:
        options["cache_dir"] = args.cache_dir
    work = args.work or f"{args.out}.parts"
    return run_job(
        args,
        work,
        masks_from_boxes,
        args.coco,
        args.images,
        args.out,
        results=args.results,
        min_score=args.min_score,
        redo=args.redo,
        engine=args.engine,
        engine_options=options,
        polygons=args.polygons,
        cutouts=args.cutouts,
        cutout_options=cutout_style(args) if args.cutouts else None,
        cutout_format=args.format,
        work=work,
        keep_work=args.keep_work,
    )


def cmd_embed(args) -> int:
    return run_job(
        args,
        "the embedding cache",
        embed_folder,
        args.folder,
        model_type=args.model_type or "vit_b",
        checkpoint=args.checkpoint,
        device=args.device or "auto",
        cache_dir=args.cache_dir,
        batch_size=args.batch_size,
        **listing(args),
    )


def cmd_export(args) -> int:
    work = args.work or str(Path(args.out) / ".interactive-seg-work")
    return run_job(
        args,
        work,
        export_folder,
        args.folder,
        args.out,
        annotations=args.annotations,
        coco=args.coco,
        cutout_options=cutout_style(args),
        cutout_format=args.format,
        work=work,
        keep_work=args.keep_work,
        **listing(args),
    )


def add_parser(sub) -> None:
    """Add ``batch`` and its jobs to the ``interactive-seg`` subcommands."""
    batch = sub.add_parser(
        "batch",
        help="whole datasets at once on dask.distributed: boxes to masks, SAM embeddings ahead, exports",
        description="Whole datasets at once. "
        + CLUSTER_HELP
        + " Needs the batch extra: pip install 'interactive-seg[batch]'.",
    )
    jobs = batch.add_subparsers(dest="job", metavar="JOB")

    def no_job(args) -> int:
        batch.print_help()
        return 2

    batch.set_defaults(func=no_job)

    masks = jobs.add_parser(
        "masks",
        help="give every box of a COCO file (or a detector's results) a mask",
        description=(
            "Give boxes masks. With --coco IN.json alone: every annotation that has a bbox and no "
            "segmentation (every one with a bbox, with --redo) gets a mask from the engine with that box as "
            "its prompt; everything else in the file is kept (keys, ids, order); segmentation, area and bbox come "
            "from the mask, and the box given is kept as the prompt of the annotation's provenance record. With --coco IMAGES.json --results DETS.json: DETS is a "
            "detector's output in the COCO results format, a list of {image_id, category_id, bbox, score} whose "
            "image_id and category_id are ids of IMAGES.json (file names are not matched); the output has the "
            "images, categories and other keys of IMAGES.json and, as annotations, the detections scoring at "
            "least --min-score, numbered 1, 2, ... in the order of DETS, each with its score (the annotations of "
            "IMAGES.json are not carried over). A box that is empty or off its image, or an image that is "
            "missing or unreadable, is listed at the end and left as it was. " + CLUSTER_HELP
        ),
        epilog="example: interactive-seg batch masks --coco boxes.json --images photos/ --out masks.json --workers 2",
    )
    masks.add_argument(
        "--coco",
        required=True,
        metavar="FILE",
        help="COCO file: the boxes to fill, or the images and categories of --results",
    )
    masks.add_argument(
        "--results", metavar="FILE", help="detections in the COCO results format, with image ids of --coco"
    )
    masks.add_argument(
        "--min-score",
        dest="min_score",
        type=float,
        metavar="S",
        help="with --results: leave out detections scoring below S",
    )
    masks.add_argument(
        "--images", required=True, metavar="DIR", help="folder the COCO file's file_names are relative to"
    )
    masks.add_argument("--out", required=True, metavar="FILE", help="COCO file to write (atomically, at the end)")
    masks.add_argument("--redo", action="store_true", help="also replace the masks of annotations that have one")
    masks.add_argument(
        "--engine",
        default="grabcut",
        help="grabcut (default), plain_grabcut, sam (needs the sam extra and a checkpoint), or an engine a --preload module registers",
    )
    masks.add_argument("--polygons", action="store_true", help="write masks as polygons where faithful (default RLE)")
    masks.add_argument(
        "--cutouts", metavar="DIR", help="also write a cutout of every new object into DIR (<stem>_<class>-<n>.png)"
    )
    add_engine_options(masks)
    _cache_option(masks)
    _cutout_options(masks)
    add_cluster_options(masks)
    masks.set_defaults(func=cmd_masks)

    embed = jobs.add_parser(
        "embed",
        help="compute the SAM embedding of every image of a folder ahead of annotation",
        description=(
            "Fill the SAM embedding cache for every image of FOLDER (subfolders too; --flat, --include, --exclude choose), so that opening it in napari "
            "(`interactive-seg gui FOLDER`, SAM engine, same model, checkpoint and cache) shows masks at once. "
            "Images already in the cache are skipped. On a GPU several images go through the encoder per "
            "call (--batch-size, default 4; 1 on a CPU). " + CLUSTER_HELP
        ),
        epilog="example: interactive-seg batch embed photos/ --model-type vit_t",
    )
    embed.add_argument("folder", metavar="FOLDER", help="folder of images")
    add_engine_options(
        embed,
        which=lambda cls: cls.embeds,
        title="model (the options of the engines that embed)",
        note="the embeddings are SAM's",
    )
    _cache_option(embed)
    embed.add_argument(
        "--batch-size",
        dest="batch_size",
        type=int,
        metavar="N",
        help="images per image-encoder call (default 4 on a GPU, 1 on a CPU)",
    )
    add_listing_options(embed)
    add_cluster_options(embed, work=False)
    embed.set_defaults(func=cmd_embed)

    export = jobs.add_parser(
        "export",
        help="write a cutout of every object of a folder session, and its COCO file",
        description=(
            "Export a folder session (FOLDER with annotations.coco.json, as `interactive-seg gui FOLDER` saves "
            "it): every object as OUT/<stem>_<class>-<n>.png, made and named as `interactive-seg export` makes them "
            "(<stem> is the image's path in FOLDER with _ for /: sub1/a.png -> sub1_a_cup-1.png), and "
            "the COCO file as OUT/annotations.coco.json (or --coco FILE). " + CLUSTER_HELP
        ),
        epilog="example: interactive-seg batch export photos/ --out cutouts/ --style blur --crop --padding 8",
    )
    export.add_argument("folder", metavar="FOLDER", help="the session's folder")
    export.add_argument("--out", required=True, metavar="DIR", help="folder for the cutouts (created if missing)")
    export.add_argument(
        "--annotations", metavar="FILE", help="the session's COCO file (default FOLDER/annotations.coco.json)"
    )
    export.add_argument(
        "--coco", metavar="FILE", help="where to write the COCO file (default OUT/annotations.coco.json)"
    )
    add_listing_options(export)
    _cutout_options(export)
    add_cluster_options(export)
    export.set_defaults(func=cmd_export)
