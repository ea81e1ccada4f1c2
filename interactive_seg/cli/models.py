"""`interactive-seg models`: list or download the SAM models."""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path

from ..engines.sam.models import (
    catalogue,
    download,
    family_of_folder,
    is_cached,
    models_dir,
)
from ..errors import InputError
from .common import say

__all__ = ["add_parser", "cmd_models"]


def cmd_models(args) -> int:
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
        print(
            "Download one with `interactive-seg models download NAME`; a model folder is accepted wherever a name is."
        )
        return 0
    if not args.name:
        raise InputError(f"Name the model to download: one of {', '.join(known)}.")
    if args.name not in known and not Path(args.name).exists():
        close = difflib.get_close_matches(args.name, known, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise InputError(
            f"'{args.name}' names no model and no model folder.{hint} The models: {', '.join(known)} "
            "(`interactive-seg models list` shows them)."
        )
    if args.name not in known:
        module = importlib.import_module(family_of_folder(args.name))  # a model folder: checked, nothing to fetch
        say(args, f"{args.name} is a {module.TITLE} model folder; use it with --model-type {args.name}")
        return 0
    info = known[args.name]
    say(args, f"Downloading {info.name} ({info.size / 1e6:.0f} MB) from {info.source} into {folder}")
    path = download(args.name, progress=not args.quiet)
    say(args, f"{info.name} is in the cache: {path}")
    return 0


def add_parser(sub) -> None:
    """Add ``models`` to the subcommands."""
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
    models.add_argument(
        "name", nargs="?", help="a model from `models list` (or a model folder, to check it), for download"
    )
    models.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    models.set_defaults(func=cmd_models)
