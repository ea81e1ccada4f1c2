"""The one rule that names exported files: ``<stem>_<class>-<n><suffix>``.

``<stem>`` comes from the image's relative path in its folder: its folders and its own
stem joined by ``_`` (``train/cat/a.png`` -> ``train_cat_a``; ``a.png`` -> ``a``, so a flat
folder's names are its files' stems). ``<class>`` is the object's class made safe for any
file system, ``<n>`` counts the image's objects of that class from 1, in the order given
(classes whose safe names match in any letter case count on together).

Within one export no two images share a stem, nor a file name: where two paths still give
the same stem (``a.png`` and ``a.jpg``; ``sub/a.png`` and ``sub_a.png``; ``A.png`` and
``a.png`` on a file system that ignores case), or where two stems and classes give one
name (``x.png`` with class ``a_b`` and ``x_a.png`` with class ``b``), each of them gets its
suffix (``a_png``, ``a_jpg``), and if that does not part them, a short hash of its path. The widget, ``interactive-seg
export``, ``batch export`` and ``batch masks`` all name their files here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Optional

from ..coco.locate import name_parts

__all__ = ["cutout_name", "image_stem", "image_stems", "object_names"]


#: The longest file name (in UTF-8 bytes) an export writes: most file systems take 255, and
#: the temporary it is written as first (``.<name>.<8 letters>.tmp``) is 14 longer.
MAX_NAME_BYTES = 240


def cutout_name(stem: str, category: str, index: int, suffix: str = ".png") -> str:
    """``<stem>_<class>-<n><suffix>``, with the class made safe for any file system; a name
    longer than :data:`MAX_NAME_BYTES` has its class, then its stem, cut short and ended with
    a hash of the whole (a 300-character class name stopped the export with ENAMETOOLONG).

    >>> len(cutout_name("a", "x" * 300, 1).encode()) <= MAX_NAME_BYTES
    True
    """
    safe, tail = _safe_class(category), f"-{int(index)}{suffix}"
    name = f"{stem}_{safe}{tail}"
    # (a name asked for without its suffix gets one later: room is kept for ".jpeg")
    extra = max(0, 5 - _size(suffix))
    if _size(name) + extra <= MAX_NAME_BYTES:
        return name
    room = MAX_NAME_BYTES - extra - _size(tail) - 1
    stem = _shortened(stem, room // 2) if _size(stem) > room // 2 else stem
    # (the class's hash in one letter case: classes that count on together keep doing so)
    return f"{stem}_{_shortened(safe, room - _size(stem), safe.casefold())}{tail}"


def _size(text: str) -> int:
    """Bytes of a file name on disk (a name that was not UTF-8 there keeps its bytes)."""
    return len(text.encode("utf-8", "surrogateescape"))


def _shortened(text: str, size: int, key: Optional[str] = None) -> str:
    """``text`` cut (between characters) to at most ``size`` bytes, ending in ``~`` and 6 hex
    digits of the hash of ``key`` (default: ``text``)."""
    if _size(text) <= size:
        return text
    digest = "~" + hashlib.sha1((text if key is None else key).encode("utf-8", "surrogateescape")).hexdigest()[:6]
    head, used = [], len(digest)
    for character in text:
        used += _size(character)
        if used > size:
            break
        head.append(character)
    return "".join(head) + digest


def _safe_class(category: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(category), flags=re.UNICODE).strip("._") or "object"


def image_stem(name: str) -> str:
    """The output stem of the image at relative path ``name``: its folders and stem joined
    by ``_`` (``sub\\a.png`` and ``sub/a.png`` -> ``sub_a``; ``..`` and drives dropped)."""
    parts = name_parts(name)
    if not parts:
        return "image"
    return "_".join(parts[:-1] + [PurePosixPath(parts[-1]).stem or parts[-1]])


def image_stems(names: Iterable[str], classes: Optional[Mapping[str, Iterable[str]]] = None) -> dict:
    """Output stem of each image of one export (relative paths), never two the same (in any
    case); given ``classes`` (relative path -> the classes of its objects), never two that
    give one file name (``x`` with ``a_b`` and ``x_a`` with ``b``)."""
    names = list(dict.fromkeys(str(n) for n in names))
    safe = {n: {_safe_class(c) for c in (classes or {}).get(n, ())} for n in names}
    stems = {n: image_stem(n) for n in names}
    for fallback in (_with_suffix, _with_hash):
        owners: dict = {}
        for name in names:
            stem = stems[name].casefold()
            for key in {("stem", stem)} | {("name", f"{stem}_{c.casefold()}") for c in safe[name]}:
                owners.setdefault(key, set()).add(name)
        clash = set().union(*(o for o in owners.values() if len(o) > 1))
        if not clash:
            break
        for name in clash:
            stems[name] = fallback(name)
    return stems


def _with_suffix(name: str) -> str:
    suffix = PurePosixPath(name_parts(name)[-1] if name_parts(name) else "").suffix.lstrip(".")
    return f"{image_stem(name)}_{suffix}" if suffix else image_stem(name)


def _with_hash(name: str) -> str:
    return f"{_with_suffix(name)}-{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:6]}"


def object_names(stem: str, categories: Sequence[str], suffix: str = ".png") -> list:
    """The file names of one image's objects, given their classes in order: each class's
    objects numbered from 1 (``a_cup-1.png``, ``a_cup-2.png``, ``a_dog-1.png``). Classes
    whose safe names are the same in any letter case (``cat/dog``, ``cat_dog`` and
    ``cat dog``; ``Car`` and ``car``) count on together, so no two objects of an image
    share a file name, on any file system."""
    counts: dict = {}
    names = []
    for category in categories:
        key = _safe_class(category).casefold()
        counts[key] = counts.get(key, 0) + 1
        names.append(cutout_name(stem, category, counts[key], suffix))
    return names
