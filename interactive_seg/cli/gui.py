"""`interactive-seg gui`: napari with the segmentation widget (napari is imported only here, when it opens)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import InputError
from .common import add_listing_options, listing

__all__ = ["add_parser", "cmd_gui"]


def cmd_gui(args) -> int:
    if (
        not args.no_run
        and sys.platform.startswith("linux")
        and not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    ):  # (Qt would abort the process with a core dump, exit 134)
        raise InputError(
            "There is no display to open napari's window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it "
            "in a desktop session, over ssh -X, or under xvfb-run for a virtual screen."
        )
    try:
        from ..plugin.app import launch  # napari and Qt: only when the window opens
    except ImportError as exc:
        raise InputError(f"The GUI needs napari ({exc}): pip install 'interactive-seg[gui]'") from None
    launch(
        [Path(p) for p in args.images],
        annotations=args.annotations,
        run=not args.no_run,
        discard_journal=args.set_aside_journal,
        **listing(args),
    )
    return 0


def add_parser(sub) -> None:
    """Add ``gui`` to the subcommands."""
    gui = sub.add_parser(
        "gui",
        help="open napari with the segmentation widget and images",
        description="Open napari with the Interactive segmentation widget docked and the given images "
        "(the coffee sample image when none is given). With one FOLDER: work through its images (subfolders "
        "too, listed by relative path; --flat, --include, --exclude choose) with "
        "next/previous (Shift+Right/Shift+Left); every accepted, edited or deleted object is saved at once (in "
        "a journal beside FOLDER/annotations.coco.json, or --annotations FILE, folded into it within a minute and "
        "on close), and reopening the folder restores them. "
        "Needs the gui extra: pip install 'interactive-seg[gui]'.",
    )
    gui.add_argument("images", nargs="*", metavar="IMAGE|FOLDER", help="image files, or one folder of images")
    gui.add_argument(
        "--annotations", metavar="FILE", help="COCO file of a folder session (default FOLDER/annotations.coco.json)"
    )
    gui.add_argument(
        "--set-aside-journal",
        action="store_true",
        help="when the folder's unsaved changes were made to another version of its COCO file (replaced since, "
        "they cannot be applied), keep them in a .discarded file beside it and open the folder as it is now",
    )
    gui.add_argument("--no-run", action="store_true", help=argparse.SUPPRESS)
    add_listing_options(gui)
    gui.set_defaults(func=cmd_gui)
