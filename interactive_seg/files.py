"""Reading images and writing files whole or not at all."""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, Optional

import cv2
import numpy as np

from .errors import InputError

__all__ = [
    "read_image", "write_image", "write_bytes_atomic", "open_atomic", "remove_stale_temporaries", "ensure_folder",
    "IMAGE_SUFFIXES", "ImageListing", "list_images", "looks_like_image", "image_filter", "listing_order",
]  # fmt: skip


def read_image(path, expect=None, *, coco=None) -> np.ndarray:
    """Read an image file as a numpy array (RGB or RGBA channel order, dtype as stored),
    turned upright as its EXIF orientation says (as ``PIL.ImageOps.exif_transpose`` and
    every photo viewer show it).

    Works for unicode paths. Raises :class:`InputError` for a missing, unreadable or
    truncated file.

    Parameters
    ----------
    path : str or Path
        The image file. OpenCV decodes it (16-bit kept); the orientation comes from its
        header (JPEG, PNG, TIFF, WebP), read without decoding anything twice.
    expect : (height, width), optional
        The size a COCO record gives the image: pass it whenever the image is read for a
        COCO record. COCO sizes are upright; but when ``expect`` is the size the photograph
        has *as stored* and not its upright size (EXIF turns it a quarter turn), the file
        was written by a tool that ignored EXIF and its masks fit the stored pixels: the
        image is then returned as stored, and an :class:`ExifIgnoredWarning` says so once
        per ``coco`` file.
    coco : str or Path, optional
        The COCO file ``expect`` comes from, named in that warning.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"There is no image file at {str(path)!r}; check the path.")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"Could not read {str(path)!r} ({exc.strerror or exc}); check its permissions.") from exc
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise InputError(
            f"{str(path)!r} is not an image OpenCV can decode (damaged, truncated or of an unknown "
            "format); open it in an image viewer or save it again as PNG or JPEG."
        )
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    size, orientation = _header(_Reader(data.data))  # the headers in memory: nothing is copied
    if orientation == 1:
        return image
    # OpenCV's TIFF decoder turns the image upright itself (OpenCV 5.1; a decoder that did not
    # shows by the size of a non-square quarter turn); no other decoder of OpenCV does
    not_turned = orientation >= 5 and size is not None and size[0] != size[1] and image.shape[:2] == size
    upright_already = data[:4].tobytes() in _TIFF_MAGIC and not not_turned
    stored = image.shape[1::-1] if upright_already and orientation >= 5 else image.shape[:2]
    if expect is not None and orientation >= 5 and stored[0] != stored[1] and tuple(int(v) for v in expect) == stored:
        _say_read_as_stored(path, stored, orientation, coco)
        return orient(image, _INVERSE[orientation]) if upright_already else image
    return image if upright_already else orient(image, orientation)


__all__ += ["ExifIgnoredWarning", "image_orientation", "image_size", "orient"]


class ExifIgnoredWarning(UserWarning):
    """A COCO file gives a photograph its stored, not its upright, size: it is read as stored."""


_TOLD: set = set()  # the COCO files (or images) an ExifIgnoredWarning was given for


def _say_read_as_stored(path: Path, stored: tuple, orientation: int, coco) -> None:
    key = ("coco", str(Path(coco).resolve())) if coco is not None else ("image", str(path.resolve()))
    if key in _TOLD:
        return
    _TOLD.add(key)
    source = f"The COCO file {Path(coco).name!r}" if coco is not None else "The COCO file"
    warnings.warn(
        f"{source} gives {path.name!r} its size as stored ({stored[1]} x {stored[0]}), not as it is shown "
        f"upright ({stored[0]} x {stored[1]}, EXIF orientation {orientation}): the tool that wrote the file "
        "ignored EXIF, so this image (and any other such image of the file) is read as stored, "
        "to keep its masks on the right pixels.",
        ExifIgnoredWarning,
        stacklevel=3,
    )


# PIL.ImageOps.exif_transpose's eight orientations as OpenCV's flips and turns (which copy
# in cache-friendly blocks: a numpy transpose of 12 megapixels takes several times longer)
_TRANSPOSES = {
    2: lambda a: cv2.flip(a, 1),  # FLIP_LEFT_RIGHT
    3: lambda a: cv2.rotate(a, cv2.ROTATE_180),  # ROTATE_180
    4: lambda a: cv2.flip(a, 0),  # FLIP_TOP_BOTTOM
    5: lambda a: cv2.transpose(a),  # TRANSPOSE
    6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),  # ROTATE_270 (PIL turns anticlockwise)
    7: lambda a: cv2.flip(cv2.transpose(a), -1),  # TRANSVERSE
    8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),  # ROTATE_90
}
_INVERSE = {2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an image as stored into the upright one its EXIF orientation (1 to 8) describes,
    as ``PIL.ImageOps.exif_transpose`` does; 1 and unknown values leave it as it is."""
    turn = _TRANSPOSES.get(orientation)
    if turn is None:
        return image
    out = turn(np.ascontiguousarray(image))
    if out.ndim == 2 and image.ndim == 3:  # OpenCV drops a single channel's axis
        out = out[:, :, None]
    return out


def image_orientation(path) -> int:
    """The EXIF orientation (1 to 8) of an image file, read from its header; 1 when it has none."""
    try:
        with open(path, "rb") as handle:
            return _header(handle)[1]
    except OSError:
        return 1


def image_size(path) -> Optional[tuple]:
    """(height, width) of an image file as it is shown upright (EXIF orientation applied), from
    its header alone; None when the header cannot tell (then decode it with :func:`read_image`)."""
    try:
        with open(path, "rb") as handle:
            size, orientation = _header(handle)
    except OSError:
        return None
    if size is None:
        return None
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


class _Reader(io.RawIOBase):
    """A read-only binary file over a memoryview: io.BytesIO would copy the whole image first."""

    def __init__(self, buffer):
        super().__init__()
        self._view, self._at = memoryview(buffer), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(self._at + size, len(self._view))
        out = bytes(self._view[self._at : end])
        self._at = max(self._at, end)
        return out

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._at, 2: len(self._view)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at


def _exif_orientation(exif: Optional[bytes]) -> int:
    if not exif:
        return 1
    from PIL import Image

    try:
        value = Image.Exif()
        value.load(bytes(exif))
        orientation = value.get(0x0112, 1)
    except Exception:  # a damaged EXIF block: PIL would show the image as stored
        return 1
    return orientation if orientation in _TRANSPOSES else 1


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _header(handle) -> tuple:
    """((height, width) as stored or None, EXIF orientation) from an open binary file, reading headers only."""
    head = handle.read(16)
    if head.startswith(b"\xff\xd8"):
        return _jpeg_header(handle)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_header(handle)
    return _pil_header(handle)


def _jpeg_header(handle) -> tuple:
    # markers up to the frame header; the orientation is in the first APP1 "Exif" segment
    handle.seek(2)
    exif = None
    while True:
        marker = handle.read(4)
        if len(marker) < 4 or marker[0] != 0xFF:
            return None, _exif_orientation(exif)
        kind, length = marker[1], int.from_bytes(marker[2:4], "big")
        if length < 2:  # damaged: the decoder will say so
            return None, _exif_orientation(exif)
        if kind in _SOF:
            frame = handle.read(5)
            size = (int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big")) if len(frame) == 5 else None
            return size, _exif_orientation(exif)
        if kind == 0xE1 and exif is None:
            segment = handle.read(length - 2)
            if segment.startswith(b"Exif\x00\x00"):
                exif = segment
            continue
        handle.seek(length - 2, 1)


def _png_header(handle) -> tuple:
    # IHDR, then the chunks before the image data: PIL reads an eXIf chunk that comes before IDAT
    handle.seek(8)
    size, exif = None, None
    while True:
        chunk = handle.read(8)
        if len(chunk) < 8:
            break
        length, kind = int.from_bytes(chunk[:4], "big"), chunk[4:8]
        if kind == b"IHDR":
            data = handle.read(8)
            size = (int.from_bytes(data[4:8], "big"), int.from_bytes(data[0:4], "big"))
            handle.seek(length - 8 + 4, 1)
        elif kind == b"eXIf":
            exif = handle.read(length)
            break
        elif kind in (b"IDAT", b"IEND"):
            break
        else:
            handle.seek(length + 4, 1)
    return size, _exif_orientation(exif)


def _pil_header(handle) -> tuple:
    # TIFF, WebP and the rest: PIL reads their headers lazily (no pixels are decoded)
    from PIL import Image

    handle.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: nothing is decoded here
            with Image.open(handle) as opened:
                width, height = opened.size
                exif = opened.getexif() if opened.format in ("TIFF", "WEBP", "MPO", "JPEG") else None
                orientation = exif.get(0x0112, 1) if exif is not None else 1
            tiff = opened.format == "TIFF"
    except Exception:  # not an image PIL knows (OpenCV may still decode it), or too big for PIL to open
        return None, 1
    orientation = orientation if orientation in _TRANSPOSES else 1
    if tiff and orientation >= 5:  # PIL gives a TIFF's size upright already
        width, height = height, width
    return (height, width), orientation


def ensure_folder(path) -> Path:
    """Create an output folder (and its parents) if missing; InputError when it cannot be."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"Cannot create the output folder {str(path)!r} ({exc.strerror or exc}); choose another."
        ) from exc
    return path


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def open_atomic(path):
    """A binary file to write ``path`` through: a temporary file beside it, renamed onto
    ``path`` when the block ends without an error (and removed when it does not).

    A crash leaves either the old file or the new one, never half of one. The new file
    gets the mode the old one had (or a plain ``open``'s: 0666 less the umask). An
    unwritable target raises :class:`InputError` and leaves everything as it was. A
    symbolic link stays a link: the temporary file goes beside the link's final target,
    which receives the new content. A temporary file a killed process left is removed by
    :func:`remove_stale_temporaries`.
    """
    path = _link_target(Path(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"The folder {str(folder)!r} does not exist; create it or choose another output path.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(
            f"Cannot write into {str(folder)!r} ({exc.strerror or exc}); choose a writable folder."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the mode the file had, or the
        # mode a plain open() would give a new file (0666 less the umask)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"Could not write {str(path)!r} ({exc.strerror or exc}); choose a writable path.") from exc
        raise


def _link_target(path: Path) -> Path:
    """The file a path names after following symbolic links (the path itself when it is none)."""
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return path


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path) -> list:
    """Remove the temporary files :func:`open_atomic` left beside ``path`` (and beside its
    symbolic link's target) when a process was killed during a save.

    Only ``.<name>.*.tmp`` files of this tool are touched. Call it only while no other
    process can be saving ``path`` (a session calls it once it holds the folder's lock).

    Parameters
    ----------
    path : path-like
        The file whose leftovers go.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    removed = []
    for target in dict.fromkeys((path, _link_target(path))):
        folder = target.parent if str(target.parent) else Path(".")
        prefix = _temporary_prefix(target)
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix) and name.endswith(".tmp") and len(name) > len(prefix) + len(".tmp"):
                leftover = folder / name
                try:
                    if leftover.is_file() and not leftover.is_symlink():
                        leftover.unlink()
                        removed.append(leftover)
                except OSError:
                    pass
    return removed


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :func:`open_atomic`)."""
    with open_atomic(path) as handle:
        handle.write(data)
    return Path(path)


def write_image(path, image: np.ndarray) -> Path:
    """Write an image (grey, grey+alpha, RGB or RGBA, uint8 or uint16) atomically; the suffix
    picks the format. Grey+alpha is written as RGBA (OpenCV has no two-channel PNG), so a
    transparent cutout of a grey image keeps its look and its transparency."""
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


# -- listing a dataset's images --------------------------------------------------------------
#: Suffixes of the image files a folder lists (formats OpenCV reads), compared in lower case.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".pbm", ".pgm", ".ppm"}

# first bytes of the formats OpenCV reads
_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF",
    b"\x00\x00\x00\x0cjP  ", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6",
)  # fmt: skip


class ImageListing(NamedTuple):
    """The images of a folder by relative POSIX path (``train/cat 1.jpg``), in listing order."""

    images: list
    #: files with an image suffix whose first bytes are not an image format
    unreadable: list


def looks_like_image(path) -> bool:
    """Whether a file starts as an image format OpenCV reads (16 bytes read; nothing decoded)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # no buffered file object: twice as fast
    except OSError:
        return False
    try:
        head = os.read(fd, 16)
    except OSError:
        return False
    finally:
        os.close(fd)
    return head.startswith(_MAGIC)


def _glob_regex(pattern: str) -> re.Pattern:
    """``*`` and ``?`` within one name, ``**`` across folders, ``[abc]`` / ``[!abc]`` classes; any case."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.IGNORECASE)


def _patterns(patterns, what: str) -> list:
    """Compiled patterns, each with whether it names a path (has a '/') or one name."""
    if patterns is None:
        return []
    if isinstance(patterns, (str, os.PathLike)):
        patterns = [patterns]
    compiled = []
    for pattern in patterns:
        text = str(pattern).replace("\\", "/").strip()
        while text.startswith("./"):
            text = text[2:]
        anchored = "/" in text  # 'val/' and '/val' name the top-level folder; 'val' any folder or file so called
        text = text.strip("/")
        if not text:
            raise InputError(f"An empty {what} pattern matches nothing; give a glob such as 'train/**' or '*.png'.")
        compiled.append((_glob_regex(text), anchored))
    return compiled


def _matches(name: str, compiled: list) -> bool:
    """Whether a pattern matches the relative path ``name`` or one of its folders: a pattern
    with a '/' matches the path from the root (``train/*.png``, ``**/cam1``), one without
    matches a single name (``*.png``, ``val``)."""
    parts = name.split("/")
    for regex, is_path in compiled:
        for depth in range(len(parts), 0, -1):
            if (regex.fullmatch("/".join(parts[:depth])) if is_path else regex.fullmatch(parts[depth - 1])) is not None:
                return True
    return False


def image_filter(include=None, exclude=None):
    """``keep(name)`` for relative POSIX paths: a path some ``include`` glob matches (all
    when none is given) and no ``exclude`` glob matches; each glob is matched against the
    path and each of its folders (see :func:`list_images`). InputError for an empty glob."""
    included, excluded = _patterns(include, "include"), _patterns(exclude, "exclude")

    def keep(name: str) -> bool:
        return (not included or _matches(name, included)) and not (excluded and _matches(name, excluded))

    return keep


def listing_order(name: str) -> tuple:
    """Sort key of relative paths: a folder's subfolders (by name, any case) before its files,
    so each folder's images stand together; a flat folder is sorted by name."""
    low = name.lower()
    cut = low.rfind("/")
    if cut < 0:
        return "\x01" + low, name
    # each folder's name between NULs, then \x01 and the file's: a subfolder (\x00) sorts before a file (\x01)
    return "\x00" + low[:cut].replace("/", "\x00\x00") + "\x00\x01" + low[cut + 1 :], name


def _hidden(entry: os.DirEntry) -> bool:
    """A leading dot; on Windows also the hidden attribute."""
    if entry.name.startswith("."):
        return True
    return os.name == "nt" and bool(getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0) & 2)


def _is_within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # other drives (Windows)
        return False


def list_images(root, *, recursive: bool = True, include=None, exclude=None) -> ImageListing:
    """The image files below ``root`` by relative POSIX path, without decoding any of them.

    A file is listed when its suffix is an image format's (:data:`IMAGE_SUFFIXES`, any
    case); its first bytes decide whether it is an image or ``unreadable``
    (:func:`looks_like_image`). Hidden files and folders (a leading ``.``; also the hidden
    attribute on Windows) are skipped, and with them this tool's temporary files and work
    folders; its COCO, journal and lock files are not images. Symlinked folders are
    followed, each real folder once: one that is also reached by its own path or by
    another link is listed where it is first met (real paths before links), and a link back
    up the tree ends there.

    Parameters
    ----------
    root : path
        The dataset's folder.
    recursive : bool
        False: the files of ``root`` alone.
    include, exclude : str or list of str, optional
        Glob patterns of relative paths, matched in any case against the path and each of
        its folders: with a ``/`` from the root (``train/*.jpg``, ``train/**/*.png``,
        ``**/cam1``, ``val/``), without one against a single name (``*.png``, ``val``). An image is
        listed when an ``include`` pattern matches it (every image when none is given) and
        no ``exclude`` pattern does.

    Returns
    -------
    ImageListing
        ``images`` and ``unreadable``, each in :func:`listing_order` (a folder's subfolders
        first, then its files, by name in any case).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{str(root)!r} is not a folder; give the folder that holds the images.")
    keep = image_filter(include, exclude)
    everything = not include and not exclude
    skip_folder = image_filter(exclude=exclude)  # an excluded folder is not read at all
    images, unreadable = [], []
    seen: set = set()
    top = os.path.realpath(root)
    pending = [(os.fspath(root), "")]
    links: list = []  # symlinked folders, followed once every real folder is seen
    while pending or links:
        followed = not pending
        path, prefix = pending.pop() if pending else links.pop(0)
        real = os.path.realpath(path)
        if real in seen or (followed and _is_within(top, real)):
            continue  # met before, or a link to the root or above it (that would list the root again)
        seen.add(real)
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue  # a folder that cannot be read has nothing to list
        for entry in entries:
            if _hidden(entry):
                continue
            name = prefix + entry.name
            try:
                if entry.is_dir():
                    if recursive and skip_folder(name):
                        (links if entry.is_symlink() else pending).append((entry.path, name + "/"))
                    continue
                if not entry.is_file():
                    continue
            except OSError:
                continue
            if entry.name[entry.name.rfind(".") :].lower() in IMAGE_SUFFIXES and (everything or keep(name)):
                (images if looks_like_image(entry.path) else unreadable).append(name)
    images.sort(key=listing_order)
    unreadable.sort(key=listing_order)
    return ImageListing(images, unreadable)
