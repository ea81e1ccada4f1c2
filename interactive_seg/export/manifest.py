"""What this tool's exports wrote in an output folder, by image, so that an export into a
folder an earlier one wrote leaves N files for N objects.

An object deleted, or given another class, since the last export left its old cutout in the
folder (``a_cup-2.png`` beside a renumbered ``a_cup-1.png``). Each export now records, in a
hidden ``.interactive-seg-cutouts.json`` in the folder, the files it wrote for each image
with their size and time; an export that covers an image again removes that image's files it
no longer writes. Only files this tool wrote, and that nobody changed since, are removed;
images the export does not cover (another folder's, filtered out) keep theirs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..errors import InputError
from ..files import write_bytes_atomic
from ..files.listing import EXPORT_MARKER

__all__ = ["MANIFEST", "Cutouts"]

MANIFEST = EXPORT_MARKER  # (the folder listing knows it: an export folder's cutouts are not images to annotate)


def _stamp(path: Path) -> Optional[list]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


class Cutouts:
    """The record of one output folder: :meth:`covered` for each image an export covers,
    then :meth:`save`."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.images: dict = {}
        self._now: set = set()  # the names this export wrote: never removed as another image's
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("images"), dict):
                self.images = {str(k): v for k, v in data["images"].items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass  # none yet, or damaged: nothing is removed

    def covered(self, image: str, written: Iterable) -> list:
        """Image ``image`` (its relative path) was exported again, its cutouts now
        ``written`` (paths in the folder): its earlier files that are not among them, and
        unchanged since, are removed. Returns the files removed."""
        files = [Path(p) for p in written]
        names = {p.name for p in files}
        self._now |= names
        removed = []
        for name, stamp in self.images.get(image, {}).items():
            path = self.folder / name
            if name in names or name in self._now or Path(name).name != name:
                continue
            if stamp is not None and _stamp(path) == stamp:
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
        self.images[image] = {p.name: _stamp(p) for p in files}
        if not self.images[image]:
            del self.images[image]
        return removed

    def save(self) -> None:
        if not self.images and not (self.folder / MANIFEST).exists():
            return
        data = {"written_by": "interactive-seg", "images": self.images}
        try:
            write_bytes_atomic(self.folder / MANIFEST, json.dumps(data, indent=0).encode("ascii"))
        except (OSError, InputError):
            pass  # (the cutouts are written; only the next export's cleanup is lost)
