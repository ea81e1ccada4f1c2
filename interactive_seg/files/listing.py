"""Listing a dataset folder's images without decoding any of them: suffixes, first bytes,
include / exclude globs, hidden files skipped, symlinked folders followed once."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError

__all__ = ["IMAGE_SUFFIXES", "ImageListing", "list_images", "looks_like_image", "image_filter", "listing_order"]


#: Suffixes of the image files a folder lists (formats OpenCV reads), compared in lower case.
IMAGE_SUFFIXES = {
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".pbm", ".pgm", ".ppm", ".gif", ".avif",
}  # fmt: skip

# first bytes of the formats OpenCV reads (and GIF, which Pillow reads for it)
_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"RIFF",
    b"\x00\x00\x00\x0cjP  ", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"GIF87a", b"GIF89a",
)  # fmt: skip
_AVIF = (b"avif", b"avis")  # an ISO media file's brands (major or compatible), in its first box


#: The file this tool's exports keep in their output folder (:mod:`interactive_seg.export.manifest`):
#: the cutouts it lists are not images to annotate, and are not listed.
EXPORT_MARKER = ".interactive-seg-cutouts.json"


def export_record(folder, section: str = "images") -> dict:
    """The record of the cutouts this tool's exports wrote in ``folder``: image (its file's
    path from ``folder``) -> {cutout file name: [size, modification time in ns]}; empty
    when there is none or it is damaged. ``section``: ``"images"``, the exports' objects,
    or ``"segment"``, the mask and cutout ``segment --out`` writes (a kind of its own: an
    export of the image's objects never removes them)."""
    try:
        with open(os.path.join(folder, EXPORT_MARKER), encoding="utf-8-sig") as handle:  # (a BOM: Notepad)
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found = {}
    for kind in ("images", "segment"):
        entries = data.get(kind)
        if not isinstance(entries, dict):
            continue
        for image, files in entries.items():
            if not isinstance(files, dict):
                continue
            for name, stamp in files.items():
                # an export's cutout is <stem>_<class>-<n>.<ext>; a name of no such form in
                # "images" is what segment --out wrote before it had a section of its own
                kept = kind if kind == "segment" or _EXPORT_NAME.search(str(name)) else "segment"
                if kept == section:
                    found.setdefault(str(image), {})[str(name)] = stamp
    return found


_EXPORT_NAME = re.compile(r"-\d+\.[^./]+$")


class ImageListing(NamedTuple):
    """The images of a folder by relative POSIX path (``train/cat 1.jpg``), in listing order."""

    images: list
    #: files with an image suffix whose first bytes are not an image format
    unreadable: list


def looks_like_image(path) -> bool:
    """Whether a file starts as an image format OpenCV reads (32 bytes read; nothing decoded)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # no buffered file object: twice as fast
    except OSError:
        return False
    try:
        head = os.read(fd, 32)
    except OSError:
        return False
    finally:
        os.close(fd)
    return head.startswith(_MAGIC) or (head[4:8] == b"ftyp" and any(brand in head[8:32] for brand in _AVIF))


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


def _image_name(name: str) -> bool:
    return name[name.rfind(".") :].lower() in IMAGE_SUFFIXES


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
    folders; its COCO, journal and lock files are not images, nor are the cutouts its
    exports wrote (those its record in their folder lists, :data:`EXPORT_MARKER`) beside
    other images: an export folder opened itself lists them. Symlinked folders are
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
        cutouts = set()  # this tool's cutouts of the images (an export into this folder): not images to annotate
        if any(entry.name == EXPORT_MARKER for entry in entries):
            cutouts = {
                name for kind in ("images", "segment") for files in export_record(path, kind).values() for name in files
            }
            if not prefix and not any(_image_name(e.name) and e.name not in cutouts for e in entries):
                cutouts = set()  # an export folder opened itself: its cutouts are the images to look at
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
            if entry.name in cutouts:
                continue
            if _image_name(entry.name) and (everything or keep(name)):
                (images if looks_like_image(entry.path) else unreadable).append(name)
    images.sort(key=listing_order)
    unreadable.sort(key=listing_order)
    return ImageListing(images, unreadable)
