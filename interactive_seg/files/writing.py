"""Writing files whole or not at all: atomic writes (through symbolic links), images, output folders."""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from ..errors import InputError

__all__ = [
    "EIGHT_BIT_SUFFIXES",
    "write_image",
    "write_bytes_atomic",
    "uninterrupted",
    "open_atomic",
    "remove_stale_temporaries",
    "ensure_folder",
    "check_folder_path",
    "check_output_file",
    "check_json_output",
    "write_protected",
]

#: Image formats that hold 8 bits a channel (OpenCV 5 writes a 16-bit image to them clipped at 255).
EIGHT_BIT_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".bmp", ".dib"})


def check_folder_path(path) -> None:
    """InputError when an output folder's path, or a folder above it, is a file: said
    before the work, not after it."""
    for place in (Path(path), *Path(path).parents):
        if place.exists():
            if not place.is_dir():
                raise InputError(
                    f"The output folder {str(path)!r} cannot be made: {str(place)!r} is a file; choose a folder."
                )
            return


def ensure_folder(path) -> Path:
    """Create an output folder (and its parents) if missing; InputError when it cannot be,
    or when nothing can be written into it (a read-only folder or mount: said once, before
    the work, not once per file)."""
    path = Path(path)
    check_folder_path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"Cannot create the output folder {str(path)!r} ({exc.strerror or exc}); choose another."
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"Nothing can be written into the output folder {str(path)!r}; choose a writable folder.")
    return path


def check_output_file(path, what: str = "The file") -> Path:
    """InputError, before any work, when ``path`` cannot be written as a file: a folder is
    there, its folder does not exist, or it is write-protected (:func:`write_protected`)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {str(path)!r} is a folder; give the path of a file.")
    if not path.parent.is_dir():
        raise InputError(f"{what} {str(path)!r} is in a folder that does not exist; create it or choose another path.")
    if write_protected(path):
        raise InputError(f"{what} {str(path)!r} {protection(path)}.")
    return path


def check_json_output(path, what: str = "--out") -> Path:
    """InputError, before any work, when ``path`` cannot be a JSON file to write: a folder is
    there, or it names an image (an image suffix, or an image's bytes): a slip of the Tab
    key would put JSON over a photograph."""
    from .listing import IMAGE_SUFFIXES, looks_like_image

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {str(path)!r} is a folder; give the path of the .json file to write.")
    if path.suffix.lower() in IMAGE_SUFFIXES or (path.is_file() and looks_like_image(path)):
        raise InputError(f"{what} {str(path)!r} is an image; give the path of the .json file to write.")
    return path


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _keep_owner(tmp: str, path: Path) -> None:
    """Give the new file the old one's group (and owner, where allowed): a file shared
    through a group stays shared after a save."""
    try:
        old = path.stat()
    except OSError:
        return  # a new file: the folder's defaults
    if not hasattr(os, "chown"):
        return
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            os.chown(tmp, uid, gid)
            return
        except OSError:  # not allowed to give it away: keep at least the group when we may
            continue


@contextmanager
def open_atomic(path, before_replace: Optional[Callable[[], None]] = None):
    """A binary file to write ``path`` through: a temporary file beside it, renamed onto
        ``path`` when the block ends without an error (and removed when it does not).

        A crash leaves either the old file or the new one, never half of one. A file its
        owner made read-only (:func:`write_protected`) is not replaced. The new file
        gets the mode, group and (where allowed) owner the old one had (or a plain ``open``'s
    mode: 0666 less the umask). An
        unwritable target raises :class:`InputError` and leaves everything as it was. A
        symbolic link stays a link: the temporary file goes beside the link's final target,
        which receives the new content. A temporary file a killed process left is removed by
        :func:`remove_stale_temporaries`. ``before_replace`` runs after the new bytes are on
        disk, just before the rename: a writer's last check that nobody else wrote ``path``
        meanwhile (an error it raises leaves ``path`` as it is).
    """
    path = _link_target(Path(path))
    folder = path.parent if str(path.parent) else Path(".")
    if write_protected(path):
        why, remedy = protection(path).split("; ")
        raise InputError(f"{str(path)!r} {why}, so it was not replaced; {remedy}, or choose another path.")
    if not folder.is_dir():
        raise InputError(f"The folder {str(folder)!r} does not exist; create it or choose another output path.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(
            f"Cannot write into {str(folder)!r} ({exc.strerror or exc}); {_remedy(exc, 'folder')}."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the mode the file had, or the
        # mode a plain open() would give a new file (0666 less the umask)
        _keep_owner(tmp, path)
        os.chmod(tmp, _mode_for(path))
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"Could not write {str(path)!r} ({exc.strerror or exc}); {_remedy(exc, 'path')}.") from exc
        raise


def _remedy(error: OSError, what: str) -> str:
    """What to do about a write that failed: room on a full disk, else another place."""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return "free some space (or raise the size limit) and do it again, or choose another disk"
    if error.errno == errno.ENAMETOOLONG:
        return "choose a shorter name or folder"
    return f"choose a writable {what}"


def write_protected(path) -> bool:
    """True for an existing file its owner made read-only (``chmod a-w``, the read-only
    attribute on Windows), even where this process could write it (as root): the atomic
    writers never replace it."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (not st.st_mode & 0o222 or not os.access(path, os.W_OK))


def protection(path) -> str:
    """Why a :func:`write_protected` file cannot be written, as a phrase with its remedy:
    a read-only file system (which no ``chmod`` changes) or the file's permissions."""
    try:
        on_read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # (no statvfs on Windows)
        on_read_only = False
    if on_read_only:
        return "is on a read-only file system (a read-only mount or disk); copy it to a writable place"
    return "is write-protected (its permissions allow no writing); make it writable"


def _link_target(path: Path) -> Path:
    """The file a path names after following symbolic links (the path itself when it is none)."""
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return path


#: How long a temporary file must have been left unwritten before a writer that holds no
#: lock on its folder (``review``, an export) takes it for a killed process's leftover.
STALE_SECONDS = 600


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path, idle_seconds: Optional[float] = None) -> list:
    """Remove the temporary files :func:`open_atomic` left beside ``path`` (and beside its
    symbolic link's target) when a process was killed during a save.

    Only ``.<name>.*.tmp`` files of this tool are touched. Call it only while no other
    process can be saving ``path`` (a session calls it once it holds the folder's lock).

    Parameters
    ----------
    path : path-like
        The file whose leftovers go.
    idle_seconds : float, optional
        Only those not written for this long: a writer that holds no lock (``review``)
        leaves another run's live temporary file alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    removed = []
    for target in dict.fromkeys((path, _link_target(path))):
        folder = target.parent if str(target.parent) else Path(".")
        removed += remove_stale_temporaries_of(folder, [target.name], idle_seconds)
    return removed


def remove_stale_temporaries_of(folder, names: Iterable, idle_seconds: Optional[float] = None) -> list:
    """:func:`remove_stale_temporaries` for the files ``names`` of one folder, in one listing
    of it (an export folder of thousands of cutouts)."""
    folder = Path(folder)
    prefixes = {_temporary_prefix(Path(name)) for name in names}
    removed = []
    try:
        listed = os.listdir(folder)
    except OSError:
        return removed
    for name in listed:  # .<name>.<mkstemp's letters>.tmp
        head, _, letters = name[: -len(".tmp")].rpartition(".")
        if name.endswith(".tmp") and letters and head + "." in prefixes:
            leftover = folder / name
            try:
                idle = idle_seconds is None or time.time() - leftover.lstat().st_mtime > idle_seconds
                if idle and leftover.is_file() and not leftover.is_symlink():
                    leftover.unlink()
                    removed.append(leftover)
            except OSError:
                pass
    return removed


_DEFERRED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGALRM") if hasattr(signal, name))


@contextmanager
def uninterrupted():
    """Ctrl+C (SIGINT), and SIGTERM, SIGHUP or SIGALRM (a timeout) where the program handles
    them in Python, wait until the block is done; then their handlers run as they would
    have (Ctrl+C raises KeyboardInterrupt, a handler that calls sys.exit exits): a change being made or
    written is finished first, so what is on disk and what the program holds stay one.
    Only in the main thread (where Python runs signal handlers); nested blocks are one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {number: signal.getsignal(number) for number in _DEFERRED}
    handlers = {number: handler for number, handler in handlers.items() if callable(handler)}
    if any(getattr(handler, "_deferring", False) for handler in handlers.values()):
        yield  # (inside another such block: that one defers)
        return
    caught: list = []

    def defer(number, frame):
        caught.append((number, frame))

    defer._deferring = True
    for number in handlers:
        signal.signal(number, defer)
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for number, frame in caught:
            handlers[number](number, frame)


def write_bytes_atomic(path, data: bytes, before_replace: Optional[Callable[[], None]] = None) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :func:`open_atomic`)."""
    with open_atomic(path, before_replace) as handle:
        handle.write(data)
    return Path(path)


def write_image(path, image: np.ndarray) -> Path:
    """Write an image (grey, grey+alpha, RGB or RGBA, uint8 or uint16) atomically; the suffix
    picks the format. Grey+alpha is written as RGBA (OpenCV has no two-channel PNG), so a
    transparent cutout of a grey image keeps its look and its transparency. A 16-bit image
    keeps its 16 bits in PNG, TIFF and PPM; formats of 8 bits (:data:`EIGHT_BIT_SUFFIXES`)
    get it scaled to 8 (65535 -> 255, rounded)."""
    path = Path(path)
    image = np.asarray(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 2, 3, 4))):
        raise InputError(
            f"Cannot write an array of shape {image.shape} as an image; pass (H, W) grey or (H, W, 3 or 4) RGB(A)."
        )
    what = _describe(image)
    if image.ndim == 3 and image.shape[2] == 2:
        grey, alpha = image[:, :, :1], image[:, :, 1:]
        image = np.concatenate([grey, grey, grey, alpha], axis=2)  # BGRA: the same grey in each
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    suffix = path.suffix.lower() or ".png"
    if image.dtype == np.uint16 and suffix in EIGHT_BIT_SUFFIXES:  # OpenCV would clip at 255: a white picture
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    others = " or ".join(s for s in (".png", ".tif") if s != suffix)
    try:
        ok, buffer = cv2.imencode(suffix, image)
    except cv2.error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise InputError(f"OpenCV cannot write {what} as {suffix!r} ({reason}); save it as {others}.") from exc
    if not ok:
        raise InputError(f"OpenCV cannot write {what} as {suffix!r}; save it as {others}.")
    return write_bytes_atomic(path, buffer.tobytes())


def _describe(image: np.ndarray) -> str:
    """'a 16-bit grey+alpha image' and the like, for messages."""
    kinds = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA"}
    channels = 1 if image.ndim == 2 else image.shape[2] if image.ndim == 3 else 0
    depth = {np.dtype(np.uint8): "8-bit", np.dtype(np.uint16): "16-bit"}.get(image.dtype, str(image.dtype))
    article = "an" if depth[0] in "8aeiou" else "a"
    return f"{article} {depth} {kinds[channels]} image"
