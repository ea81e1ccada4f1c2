"""What this tool's exports wrote in an output folder, by image, so that an export into a
folder an earlier one wrote leaves N files for N objects.

An object deleted, or given another class, since the last export left its old cutout in the
folder (``a_cup-2.png`` beside a renumbered ``a_cup-1.png``). Each export now records, in a
hidden ``.interactive-seg-cutouts.json`` in the folder, the files it wrote for each image
(keyed by the real path of the image's file, so two folders' ``a.png`` are two images) with
their size and time; an export that covers an image again removes that image's files it no
longer writes. Only files this tool wrote, and that nobody changed since, are removed (a
file an export planned but did not finish, killed, counts as this tool's);
images the export does not cover (another folder's, filtered out) keep theirs. The folder
listing leaves the recorded cutouts out (:func:`~interactive_seg.files.listing.export_record`).
No cutout is ever written over one of the images being exported (:func:`refuse_over_images`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from ..files import file_stamp, write_bytes_atomic
from ..files.listing import EXPORT_MARKER, export_record

__all__ = ["MANIFEST", "Cutouts", "source_key", "refuse_over_images"]

MANIFEST = EXPORT_MARKER


def source_key(image_path) -> str:
    """How the record names an image: the real path of its file."""
    return os.path.realpath(os.fspath(image_path))


def refuse_over_images(targets: Iterable, images: Iterable) -> None:
    """InputError, before anything is written, when a cutout would be written over one of
    the dataset's images (an output folder that holds the photographs, one of them named
    like a cutout). ``images`` (their files; None for one not found) is read only when a
    target file exists already."""
    targets = [t for t in targets if os.path.lexists(t)]
    if not targets:
        return
    photos = {source_key(p) for p in images if p is not None}
    for target in targets:
        if source_key(target) in photos:
            raise InputError(
                f"The cutout {str(target)!r} would be written over that image, one of those exported; "
                "give another output folder."
            )


class Cutouts:
    """The record of one output folder: :meth:`covered` for each image an export covers,
    then :meth:`save`."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self._now: set = set()  # the names this export wrote: never removed as another image's
        self.images = export_record(self.folder)  # (none yet, or damaged: nothing is removed)

    def planned(self, image, files: Iterable) -> None:
        """Say, before writing them, the files an export will write for the image whose file
        is ``image``: recorded as this tool's with no stamp yet, so that an export killed
        while writing (no :meth:`covered`) leaves no file the next export cannot remove.
        Call :meth:`save` after the plans, before the writing."""
        entry = self.images.setdefault(source_key(image), {})
        entry.update({Path(p).name: None for p in files})

    def covered(self, image, written: Iterable) -> list:
        """The image whose file is ``image`` was exported again, its cutouts now ``written``
        (paths in the folder): its earlier files that are not among them, and unchanged
        since, are removed. Returns the files removed."""
        image = source_key(image)
        files = [Path(p) for p in written]
        self._now |= {p.name.casefold() for p in files}  # (a file system may ignore case)
        removed = []
        for name, stamp in self.images.get(image, {}).items():
            path = self.folder / name
            if name.casefold() in self._now or Path(name).name != name:
                continue
            if stamp is None or file_stamp(path) == stamp:  # (None: planned by an export that did not finish)
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
        self.images[image] = {p.name: file_stamp(p) for p in files}
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
