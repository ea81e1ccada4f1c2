"""`interactive-seg replay`: make every object of a COCO file again from its stored prompts, with another engine or model."""

from __future__ import annotations

from ..batch import worker as worker_side
from ..batch.replay import DEFAULT_THRESHOLD, replay
from ..engines import engine_class, engine_names
from ..errors import InputError
from .batch import run_job
from .common import CLUSTER_HELP, add_cluster_options, add_engine_options, engine_values, option_value

__all__ = ["add_parser", "cmd_replay", "parse_options"]


def parse_options(engine: str, given=()) -> dict:
    """Engine options from ``NAME=VALUE`` texts (``--option``), typed by the engine's own
    :attr:`~interactive_seg.Engine.options`."""
    cls = engine_class(engine)
    listed = {o.name: o for o in cls.options}
    options = {}
    for text in given or ():
        name, sep, value = text.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in listed:
            raise InputError(
                f"--option {text!r} is not NAME=VALUE with NAME one of the {cls.name} engine's options: {', '.join(listed) or 'none'}."
            )
        options[name] = option_value(listed[name], value.strip())
    return options


def cmd_replay(args) -> int:
    worker_side.preload_here(args.preload)
    options = parse_options(args.engine, args.option)
    # the engine flags on top; one the engine does not list is refused rather than ignored (a replay
    # made with another option than asked would pass for the one asked)
    options.update(engine_values(args, args.engine, strict=True))
    work = args.work or f"{args.out}.parts"
    status = run_job(
        args,
        work,
        replay,
        args.coco,
        args.out,
        images=args.images,
        engine=args.engine,
        engine_options=options,
        threshold=args.threshold,
        compare=args.compare,
        work=work,
        keep_work=args.keep_work,
    )
    return status


def add_parser(sub):
    """Add the `replay` command to the CLI's subparsers."""
    replay = sub.add_parser(
        "replay",
        help="make every object of a COCO file again from its stored prompts, with another engine or model",
        description=(
            "Re-derive every annotation that stores the prompts it was made from (the 'interactive_seg' key the "
            "widget and `segment --coco` write) with ENGINE, and write a new COCO file: new masks, the provenance "
            "updated (the engine before kept under 'history'), and the review state reset to unreviewed where the "
            "mask changed (IoU of old and new below 1 - THRESHOLD). Objects without stored prompts are kept as they "
            "are and counted. For an object made by ENGINE itself its recorded options are used, --option and the engine flags on top. "
            "--compare writes a report of every replayed object's IoU, worst first; `interactive-seg review OUT.json "
            "--compare IN.json` draws old and new side by side. Bad input (no stored prompts, an engine that is not "
            "installed, a missing image) exits 2 with nothing written. " + CLUSTER_HELP
        ),
        epilog="example: interactive-seg replay labels.json --images photos/ --engine sam --model vit_t --out labels_sam.json --compare changes.md",
    )
    replay.add_argument("coco", metavar="IN.json", help="COCO file whose objects store their prompts")
    replay.add_argument("--images", metavar="DIR", help="folder of the file's images (default: the COCO file's folder)")
    replay.add_argument("--engine", required=True, choices=engine_names(), help="the engine to replay with")
    replay.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="an engine option (as listed by the engine: iterations=3, margin=0.2, ...); repeatable",
    )
    replay.add_argument(
        "--out", required=True, metavar="OUT.json", help="the new COCO file (written atomically at the end)"
    )
    replay.add_argument(
        "--compare",
        metavar="REPORT.csv|REPORT.md",
        help="also write the IoU of every object's old and new mask, worst first",
    )
    replay.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="T",
        help=f"an object changed when the IoU of old and new is below 1 - T; its review is then reset (default {DEFAULT_THRESHOLD})",
    )
    add_engine_options(
        replay,
        aliases={"model_type": ["--model"]},
        title="engine options (on top of the recorded ones and --option)",
        note="one that ENGINE does not list is refused",
    )
    add_cluster_options(replay)
    replay.set_defaults(func=cmd_replay)
    return replay
