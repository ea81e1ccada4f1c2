"""The ``interactive-seg`` command line: a thin door into the core.

One module per command, each with ``add_parser(sub)`` (its flags, whose ``func`` runs it);
:mod:`.common` holds what they share (messages, progress bar, parsing, folder listing flags,
engine flags made from ``Engine.options``, error handling). Building the parser imports no
torch, dask, matplotlib or napari: a command imports those when it runs.
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..errors import InputError
from . import batch, check, export, gui, models, propose, replay, review, segment
from .common import EXIT_BAD_INPUT, attach_negative_values, run_command

__all__ = ["COMMANDS", "build_parser", "main"]

#: The commands, in the order ``interactive-seg --help`` lists them; a new command is a module
#: with ``add_parser(sub)``, imported above and named here.
COMMANDS = (segment, export, check, models, gui, batch, review, replay, propose)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interactive-seg",
        description="Cut objects out of images with a box, clicks or scribbles (GrabCut, no model download).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def innermost_parser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``args`` chose: ``batch masks``'s, not the top one's."""
    while parser._subparsers is not None:
        chosen = None
        for action in parser._subparsers._group_actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(args, action.dest, None) or "")
        if chosen is None:
            return parser
        parser = chosen
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = attach_negative_values(argv)
    except InputError as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, whose usage shows what it takes
        innermost_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    return run_command(args.func, args)
