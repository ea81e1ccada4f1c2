"""What every command of ``interactive-seg`` shares: messages, the progress bar, parsing of
boxes, points and colours, the folder listing flags, the engine flags, the flags of where a
batch job runs (read into one :class:`~interactive_seg.batch.Cluster`) and the error handling.

The engine flags are made from the engines' own listings (``engine_class(name).options``,
the list the napari widget builds its option panels from), so a flag's name, type and help
are the engine's and cannot drift from the widget's. Nothing here imports torch, dask,
matplotlib or napari: building the parser reads the engines' classes, which import their
heavy modules only when they run.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Callable

import numpy as np

from ..batch.run import Cluster
from ..engines import Option, engine_class, engine_names
from ..errors import InputError
from ..files import ExifIgnoredWarning, read_indices

__all__ = [
    "CLUSTER_HELP",
    "EXIT_BAD_INPUT",
    "add_cluster_options",
    "add_engine_options",
    "add_listing_options",
    "cluster",
    "cutout_style",
    "engine_flags",
    "engine_values",
    "listing",
    "option_value",
    "parse_box",
    "parse_colour",
    "parse_point",
    "progress",
    "read_scribbles",
    "run_command",
    "say",
]

EXIT_BAD_INPUT = 2

#: The cutout file types of ``--format`` (a leading dot and capitals allowed: ``.PNG``).
CUTOUT_FORMATS = ("png", "tif", "tiff", "jpg", "jpeg")


def cutout_format(value: str) -> str:
    """``--format``'s value as a bare lower-case suffix (argparse then checks it is one of :data:`CUTOUT_FORMATS`)."""
    return str(value).strip().lower().lstrip(".")


# -- messages ----------------------------------------------------------------------------
def say(args, text: str) -> None:
    """Print ``text`` unless the command was given ``--quiet``."""
    if not args.quiet:
        print(text, flush=True)


def progress(args) -> Callable[[int, int, str], None]:
    """A ``progress(done, total, name)`` that draws a bar on stderr (nothing with ``--quiet``)."""

    def report(done: int, total: int, name: str) -> None:
        if args.quiet:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total or not sys.stderr.isatty() else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}", end=end, file=sys.stderr, flush=True)

    return report


# -- values ------------------------------------------------------------------------------
def _numbers(text: str, count: int, what: str) -> list:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"{what} {text!r} must be {count} comma-separated numbers.") from None
    return values


def parse_box(text: str) -> tuple:
    """``"X0,Y0,X1,Y1"`` -> a box of four floats."""
    values = _numbers(text, 4, "--box")
    if len(values) != 4:
        raise InputError(f"--box {text!r} must be four numbers X0,Y0,X1,Y1 (pixels, x right, y down).")
    return tuple(values)


def parse_point(text: str) -> tuple:
    """``"X,Y"`` or ``"X,Y,LABEL"`` -> ``(x, y, label)`` with label 1 (foreground, the default) or 0."""
    values = _numbers(text, 2, "--point")
    if len(values) == 2:
        return values[0], values[1], 1
    if len(values) == 3 and values[2] in (0.0, 1.0):
        return values[0], values[1], int(values[2])
    raise InputError(f"--point {text!r} must be X,Y or X,Y,LABEL with LABEL 1 (foreground) or 0 (background).")


def parse_colour(text: str) -> tuple:
    """``"R,G,B"`` -> three floats."""
    values = _numbers(text, 3, "--color")
    if len(values) != 3:
        raise InputError(f"--color {text!r} must be three numbers R,G,B.")
    return tuple(values)


def read_scribbles(path, shape) -> np.ndarray:
    """A scribble PNG: values 0/1/2 as they are (a palette PNG's indices too), or a colour image with red =
    background, green = foreground."""
    data = read_indices(path)
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


# -- which images of a folder ------------------------------------------------------------
def add_listing_options(parser) -> None:
    """``--flat``, ``--include`` and ``--exclude``: which images of a folder a command takes."""
    group = parser.add_argument_group("which images of the folder (subfolders too, by default)")
    group.add_argument(
        "--flat", action="store_true", help="only the images at the folder's top level, not those in its subfolders"
    )
    group.add_argument(
        "--include",
        action="append",
        metavar="GLOB",
        help="only images whose relative path or a folder of it matches GLOB (train/**, *.jpg, cam1); repeatable",
    )
    group.add_argument(
        "--exclude",
        action="append",
        metavar="GLOB",
        help="leave out images whose relative path or a folder of it matches GLOB; repeatable",
    )


def listing(args) -> dict:
    """The keywords of :func:`~interactive_seg.files.list_images` the flags of :func:`add_listing_options` give."""
    return {"recursive": not args.flat, "include": args.include, "exclude": args.exclude}


# -- where a batch job runs --------------------------------------------------------------
CLUSTER_HELP = (
    "Tasks run per image on dask.distributed: by default a local cluster of worker processes on "
    "this machine (one per core; nothing to set up); --scheduler tcp://HOST:PORT (or "
    "$DASK_SCHEDULER_ADDRESS) sends them to a running cluster (`dask scheduler`, then `dask worker "
    "tcp://HOST:PORT` on each machine; paths must be valid on the workers). Exit status 0 when every "
    "image succeeded, 1 when some failed (each listed with its reason; the others are done), 2 for bad "
    "arguments (nothing written), 130 when interrupted (finished images are kept: run the same command "
    "again to go on)."
)


def add_cluster_options(parser, work: bool = True) -> None:
    """Where a job runs (``--scheduler``, ``--workers``, ...), its work folder, and ``--quiet``."""
    group = parser.add_argument_group("where it runs")
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running dask scheduler, tcp://HOST:PORT (default: $DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local cluster: N worker processes (default: one per core; 0: run here without dask); with --scheduler: wait for N workers",
    )
    group.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="OpenCV/torch threads per worker task (default: each machine's cores shared among its workers' task threads)",
    )
    group.add_argument(
        "--preload",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE on every worker first (one that registers engines or SAM model types); repeatable",
    )
    group.add_argument(
        "--connect-timeout",
        dest="connect_timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for the scheduler and its workers (default 10)",
    )
    if work:
        group.add_argument(
            "--work",
            metavar="DIR",
            help="folder of per-image results, for resuming (default: beside the output); removed once every image succeeded",
        )
        group.add_argument(
            "--keep-work",
            dest="keep_work",
            action="store_true",
            help="keep the work folder even when every image succeeded",
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar; print only failures")


def cluster(args) -> Cluster:
    """The :class:`~interactive_seg.batch.Cluster` the flags of :func:`add_cluster_options` give."""
    return Cluster(
        scheduler=args.scheduler,
        workers=args.workers,
        threads=args.threads,
        preload=tuple(args.preload),
        connect_timeout=args.connect_timeout,
    )


# -- engine options ----------------------------------------------------------------------
def option_value(option: Option, text: str, flag: str = ""):
    """``text`` read as a value of ``option`` (its type; a bool from true/false, yes/no, on/off, 1/0).

    ``flag`` is how the user wrote it, for the message (default ``--option NAME=TEXT``).
    """
    flag = flag or f"--option {option.name}={text}"
    if option.type is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise InputError(f"{flag} must be true or false.")
    try:
        value = option.type(text)
    except ValueError:
        raise InputError(f"{flag} must be a{'n' if option.type is int else ''} {option.type.__name__}.") from None
    if option.choices and value not in option.choices:
        raise InputError(f"{flag} must be one of {', '.join(map(str, option.choices))}.")
    return value


def engine_flags(which: Callable[[type], bool] | None = None) -> dict:
    """``{option name: [(engine name, Option), ...]}`` for every registered engine (those ``which``
    keeps), in the engines' order; an engine whose module cannot be imported lists nothing (choosing
    it says why)."""
    flags: dict = {}
    for name in engine_names():
        try:
            cls = engine_class(name, installed=False)
        except InputError:
            continue
        if which is not None and not which(cls):
            continue
        for option in cls.options:
            flags.setdefault(option.name, []).append((name, option))
    return flags


def _flag_help(listed: list) -> str:
    parts = []
    for engine, option in listed:
        default = "" if option.default is None else f" (default {option.default})"
        text = option.help if option.help.endswith((".", "!", "?", ")")) else option.help + "."
        parts.append(f"{engine}{default}: {text}")
    return " ".join(parts).replace("%", "%%")


def _metavar(option: Option) -> str:
    if option.choices and len(option.choices) <= 4:
        return "|".join(map(str, option.choices))
    return {int: "N", float: "F"}.get(option.type) or re.sub(r"\W+", "_", option.label or option.name).strip(
        "_"
    ).upper()


def add_engine_options(
    parser,
    which: Callable[[type], bool] | None = None,
    aliases: dict | None = None,
    title: str = "engine options",
    note: str = "an engine ignores the options of the others",
) -> None:
    """One flag per option of every engine (those ``which`` keeps): ``--max-side`` for ``max_side``,
    with the engine's type and its help (each engine's, where several list the option).

    A flag left out gives None, so the engine's own default holds. Choices are not checked here
    (a model folder is a model too): the engine checks its options when it is built.
    ``aliases`` maps an option to more flag names (``{"model_type": ["--model"]}``); ``note``
    closes the group's description.
    """
    group = parser.add_argument_group(title, f"made from each engine's own list of options; {note}")
    for name, listed in engine_flags(which).items():
        option = listed[0][1]
        types = {o.type for _, o in listed}
        names = ["--" + name.replace("_", "-"), *(aliases or {}).get(name, ())]
        if types == {bool}:
            group.add_argument(
                *names, dest=name, action=argparse.BooleanOptionalAction, default=None, help=_flag_help(listed)
            )
            continue
        kind = option.type if len(types) == 1 and option.type in (int, float, str) else str
        group.add_argument(
            *names, dest=name, type=kind, default=None, metavar=_metavar(option), help=_flag_help(listed)
        )


def engine_values(args, engine: str, strict: bool = False) -> dict:
    """The options engine ``engine`` lists that a flag gave (the engine's defaults hold for the rest),
    typed by the engine's own listing.

    A flag of an option the engine does not list is ignored, or with ``strict`` an
    :class:`~interactive_seg.errors.InputError`.
    """
    cls = engine_class(engine)
    listed = {option.name: option for option in cls.options}
    values = {}
    for name in engine_flags() if strict else listed:
        value = getattr(args, name, None)
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if name not in listed:
            if name in ("model_type", "checkpoint") and not cls.model_types:
                raise InputError(
                    f"The {cls.name} engine has no models, so {flag} does not apply; leave it out or pick an engine with models."
                )
            raise InputError(
                f"The {cls.name} engine has no option {flag}; leave it out or pick an engine that lists it (its options: {', '.join(listed) or 'none'})."
            )
        if isinstance(value, str) and listed[name].type is not str:
            value = option_value(listed[name], value, f"{flag} {value}")
        values[name] = value
    return values


# -- running a command -------------------------------------------------------------------
_VALUE_OPTIONS = ("--box", "--point", "--color")


def attach_negative_values(argv: list) -> list:
    """``--point -1,5`` would read to argparse as an option; pass it as ``--point=-1,5``."""
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token in _VALUE_OPTIONS and all(_number(v) for v in argv[i + 1 : i + 3]) and len(argv) >= i + 3:
            numbers = [v for v in argv[i + 1 : i + 5] if _number(v)]  # `--box 70 10 490 395`: argparse's own
            raise InputError(  # message said only "unrecognized arguments: 10 490 395"
                f"{token} takes its numbers joined by commas, with no spaces: {token} {','.join(numbers)}."
            )
        if (
            token in _VALUE_OPTIONS
            and i + 1 < len(argv)
            and argv[i + 1][:2].lstrip("-")[:1].isdigit()
            and argv[i + 1].startswith("-")
        ):
            out.append(f"{token}={argv[i + 1]}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain_warnings(shown):
    """A showwarning that prints the package's own warnings (a photo read as stored...) as a
    plain line, and passes the others to ``shown``."""

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ExifIgnoredWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    return show


def run_command(func: Callable, args) -> int:
    """Run a command: its exit status, or 2 with the one-sentence message of an
    :class:`~interactive_seg.errors.InputError`, or 130 when interrupted."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _plain_warnings(warnings.showwarning)
            return func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(
            "interrupted; the files written before stay whole, and the one in progress was not written", file=sys.stderr
        )
        return 130


def cutout_style(args) -> dict:
    """The cutout options of ``--style``, ``--crop``, ``--padding``, ``--feather``, ``--blur-sigma``
    and ``--color`` (the colour as a list: it travels to batch workers as JSON)."""
    options = {
        "background": args.style,
        "crop": args.crop,
        "padding": args.padding,
        "feather": args.feather,
        "blur_sigma": args.blur_sigma,
    }
    if args.color is not None:
        options["color"] = list(parse_colour(args.color))
    return options
