"""`interactive-seg propose`: every instance of a phrase or example boxes (SAM 3), or every
object (a SAM model over a point grid), in an image or a folder, as COCO with scores."""

from __future__ import annotations

from ..batch.propose import propose_images
from ..errors import InputError
from .batch import run_job
from .common import add_cluster_options, parse_box

__all__ = ["add_parser", "cmd_propose"]


def _options(args) -> tuple:
    """(source, the options that build it) from the flags, checked."""
    if args.everything:
        if args.text is not None or args.box:
            raise InputError(
                "--everything proposes every object and takes no --text or --box; leave them out, or drop --everything."
            )
        filters = {"pred_iou": args.pred_iou, "stability": args.stability, "nms": args.nms, "min_area": args.min_area}
        options = {"model_type": args.model or "vit_b", "points_per_side": args.points_per_side, "filters": filters}
        source = "everything"
    else:
        if args.text is None and not args.box:
            raise InputError("Say what to find: --text PHRASE and/or --box X0,Y0,X1,Y1 (an example), or --everything.")
        options = {"model": args.model or "sam3"}
        if args.min_score is not None:
            options["threshold"] = args.min_score  # the model's own cut, so nothing below it is made
        source = "concept"
    options["device"] = args.device
    for name in ("checkpoint", "cache_dir"):
        if getattr(args, name, None) is not None:
            options[name] = str(getattr(args, name))
    return source, options


def cmd_propose(args) -> int:
    source, options = _options(args)
    boxes = [parse_box(text) for text in args.box or ()]
    return run_job(
        args,
        None,  # (nothing is kept: the file is written whole at the end)
        propose_images,
        args.path,
        args.out,
        source=source,
        options=options,
        text=args.text,
        boxes=boxes,
        min_score=args.min_score or 0.0,
        as_dataset=args.as_dataset,
    )


def add_parser(sub):
    """Add the `propose` command to the CLI's subparsers."""
    propose = sub.add_parser(
        "propose",
        help="every instance of a phrase or example boxes (SAM 3), or every object (--everything), as COCO with scores",
        description=(
            "Propose objects for review. With --text and/or --box, SAM 3's concept model finds every instance of the "
            "phrase or of the example boxes (model sam3, gated: `interactive-seg models download sam3` asks for the login; "
            "or a SAM 3 model folder). With --everything, a SAM model (vit_t, vit_b, sam2.1_hiera_tiny, ...) is prompted "
            "with a grid of points and its masks filtered (predicted IoU, stability, NMS, minimum area). Writes COCO "
            "detection results (a list, one 'score' per annotation, as pycocotools' COCO.loadRes reads), or with "
            "--as-dataset a whole COCO dataset whose annotations carry provenance records. Image ids are 1, 2, ... in the "
            "folder's order. A folder runs on the batch machinery (dask), the model loaded once per worker. Bad input "
            "(not an image, an empty phrase, a model that is not installed) exits 2 with nothing written."
        ),
        epilog="example: interactive-seg propose street/ --text car --min-score 0.5 --out cars.json --as-dataset",
    )
    propose.add_argument("path", metavar="IMAGE|FOLDER", help="an image, or a folder of images (subfolders too)")
    propose.add_argument("--text", metavar="PHRASE", help="a short noun phrase: car, yellow school bus")
    propose.add_argument(
        "--box", action="append", metavar="X0,Y0,X1,Y1", help="an example of what to find (pixels); repeatable"
    )
    propose.add_argument("--everything", action="store_true", help="every object: a SAM model over a grid of points")
    propose.add_argument("--engine", choices=["sam"], default="sam", help="the engine whose models propose (sam)")
    propose.add_argument(
        "--model",
        "--model-type",
        dest="model",
        metavar="NAME",
        help="the model or a model folder (default: sam3 for --text/--box, vit_b for --everything)",
    )
    propose.add_argument(
        "--checkpoint", metavar="PATH", help="the weights file or model folder (default: the cached download)"
    )
    propose.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, mps")
    propose.add_argument("--cache-dir", dest="cache_dir", metavar="DIR", help="the model and embedding cache")
    propose.add_argument(
        "--min-score",
        dest="min_score",
        type=float,
        metavar="S",
        help="leave out proposals scored below S (0 to 1; default: none for --everything, 0.3 for --text/--box, SAM 3's own)",
    )
    grid = propose.add_argument_group("--everything")
    grid.add_argument(
        "--points-per-side",
        dest="points_per_side",
        type=int,
        default=16,
        metavar="N",
        help="an N x N grid of points (default 16; SAM's own is 32)",
    )
    grid.add_argument(
        "--pred-iou",
        dest="pred_iou",
        type=float,
        default=0.88,
        metavar="T",
        help="minimum predicted IoU (default 0.88)",
    )
    grid.add_argument(
        "--stability", type=float, default=0.95, metavar="T", help="minimum stability score (default 0.95)"
    )
    grid.add_argument(
        "--nms",
        type=float,
        default=0.7,
        metavar="T",
        help="box IoU above which the lower-scored mask is dropped (default 0.7)",
    )
    grid.add_argument(
        "--min-area",
        dest="min_area",
        type=int,
        default=0,
        metavar="PX",
        help="fewest pixels a mask may have (default 0)",
    )
    propose.add_argument("--out", required=True, metavar="FILE.json", help="the COCO file (written whole at the end)")
    propose.add_argument(
        "--as-dataset",
        dest="as_dataset",
        action="store_true",
        help="write a whole COCO dataset with provenance, not detection results",
    )
    add_cluster_options(propose, work=False)
    propose.set_defaults(func=cmd_propose)
    return propose
