"""What this tool's exports wrote in an output folder, by image, so that an export into a
folder an earlier one wrote leaves N files for N objects.

An object deleted, or given another class, since the last export left its old cutout in the
folder (``a_cup-2.png`` beside a renumbered ``a_cup-1.png``). Each export now records, in a
hidden ``.interactive-seg-cutouts.json`` in the folder, the files it wrote for each image
(keyed by the image file's path from the output folder, so two folders' ``a.png`` are two
images, and a dataset moved with its export folder keeps its keys) with their size and
time; an export that covers an image again removes that image's files it no
longer writes. Only files this tool wrote, and that nobody changed since, are removed (a
file an export planned but did not finish, killed, counts as this tool's);
images the export does not cover (another folder's, filtered out) keep theirs, and so do
the mask and cutout ``segment --out`` wrote for an image (recorded apart: an export of the
image's objects does not know them, nor they it). The folder
listing leaves the recorded cutouts out (:func:`~interactive_seg.files.listing.export_record`).
No cutout is ever written over one of the images being exported (:func:`refuse_over_images`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from ..files import STALE_SECONDS, file_stamp, remove_stale_temporaries_of, write_bytes_atomic
from ..files.listing import EXPORT_MARKER, export_record

__all__ = ["MANIFEST", "Cutouts", "refuse_over_images"]

MANIFEST = EXPORT_MARKER


def _real(path) -> str:
    return os.path.realpath(os.fspath(path))


def refuse_over_images(
    targets: Iterable, images: Iterable, what: str = "The cutout", remedy: str = "give another output folder"
) -> None:
    """InputError, before anything is written, when a file would be written over one of
    the dataset's images (an output folder that holds the photographs, one of them named
    like a cutout; a review sheet named like a photograph). ``images`` (their files; None
    for one not found) is read only when a target file exists already."""
    targets = [t for t in targets if os.path.lexists(t)]
    if not targets:
        return
    photos = {_real(p) for p in images if p is not None}
    for target in targets:
        if _real(target) in photos:
            raise InputError(
                f"{what} {str(target)!r} would be written over that image, one of the dataset's; {remedy}."
            )


def _damaged(record: Path) -> bool:
    """True for an export record that is there but is not the JSON this tool writes."""
    try:
        data = json.loads(record.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return not (isinstance(data, dict) and isinstance(data.get("images", {}), dict))


#: Seconds an export waits for another export into the same folder to finish before it
#: says so (two at once disagreed on the record: cutouts removed, or left for good).
HOLD_SECONDS = 10


class Cutouts:
    """The record of one output folder: :meth:`refuse_foreign`, :meth:`planned` for each
    image an export will write, :meth:`save`, then :meth:`covered` for each image it covered,
    and ``save(final=True)``. From :meth:`refuse_foreign` to that last save the export holds
    the folder's record lock: a second export into the folder waits for it (up to
    :data:`HOLD_SECONDS`, then says so), so two never remove each other's cutouts."""

    def __init__(self, folder, section: str = "images"):
        self.folder = Path(folder)
        #: ``"images"``: the exports' object cutouts; ``"segment"``: ``segment --out``'s mask and
        #: cutout, recorded apart, so that neither kind removes the other's files
        self.section = section
        self._now: set = set()  # the names this export writes: never removed by it
        self._mine: set = set()  # the images this export planned or covered (its entries win at a save)
        self._covered: set = set()  # ... and those it covered already (a second record of one file adds to it)
        self.images = export_record(self.folder, section)  # (none yet, or damaged: nothing is removed)
        self._swept = False  # the temporary files a killed export left, removed at the first save
        self._lock = None  # the folder's record lock (one object: it is taken again inside save)
        self._held = False

    def _locked(self):
        from filelock import FileLock

        if self._lock is None:
            self._lock = FileLock(str(self.folder / f"{MANIFEST}.lock"))
        return self._lock

    def _hold(self) -> None:
        """Take the folder's record lock for this export (where the folder is there) and read
        the record afresh under it."""
        from filelock import Timeout

        if self._held or not self.folder.is_dir():
            return
        try:
            self._locked().acquire(timeout=HOLD_SECONDS)
        except Timeout:
            raise InputError(
                f"Another export is writing into {str(self.folder)!r} now; run this one once it has finished, or "
                "export into another folder."
            ) from None
        except OSError:
            return  # (a folder that takes no lock file: as before, unlocked)
        self._held = True
        self.images = export_record(self.folder, self.section)

    def key(self, image) -> str:
        """How the record names an image: its file's path from the output folder, as given
        (a symbolic link is its own image), so a dataset moved with its export folder keeps
        its names; an absolute path where there is none (another drive)."""
        path = os.path.abspath(os.fspath(image))
        try:
            return Path(os.path.relpath(path, os.path.abspath(self.folder))).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def refuse_foreign(self, targets: Iterable, remedy: str = "move it, or give another output folder") -> None:
        """InputError, before anything is written (call it before :meth:`planned`), for a
        target file that is there already and that no export of this tool wrote (the
        record does not name it): a photograph in the output folder named like a cutout
        was written over."""
        self._hold()
        try:
            other = export_record(self.folder, "segment" if self.section == "images" else "images")
            known = {name.casefold() for record in (self.images, other) for files in record.values() for name in files}
            for target in targets:
                target = Path(target)
                if os.path.lexists(target) and target.name.casefold() not in known:
                    if _damaged(self.folder / MANIFEST):
                        raise InputError(
                            f"{str(target)!r} is there already, and the folder's export record {MANIFEST!r} is damaged "
                            "(not the JSON this tool writes), so what this tool wrote there is not known and nothing is "
                            f"written over it; delete the record (and the cutouts it named), or {remedy.split(', or ')[-1]}."
                        )
                    raise InputError(
                        f"{str(target)!r} is there already and this tool did not write it (the folder's export record "
                        f"does not name it), so nothing is written over it; {remedy}."
                    )
        except InputError:
            self.let_go()  # (refused: nothing is written, the next export need not wait)
            raise

    def planned(self, image, files: Iterable) -> None:
        """Say, before writing them, the files an export will write for ``image`` (its
        file): recorded as this tool's with no stamp yet, so that an export killed while
        writing (no :meth:`covered`) leaves no file the next export cannot remove. Call
        :meth:`save` after the plans, before the writing."""
        key = self.key(image)
        names = [Path(p).name for p in files]
        self._now |= {n.casefold() for n in names}
        self._mine.add(key)
        self.images.setdefault(key, {}).update({n: None for n in names})

    def covered(self, image, written: Iterable) -> list:
        """``image`` (its file) was exported again, its cutouts now ``written`` (paths in
        the folder): its earlier files that are not among them, and unchanged since, are
        removed; never a file this export planned or wrote. Returns the files removed."""
        key = self.key(image)
        files = [Path(p) for p in written]
        self._now |= {p.name.casefold() for p in files}  # (a file system may ignore case)
        removed = []
        for name, stamp in self.images.get(key, {}).items():
            path = self.folder / name
            if name.casefold() in self._now or Path(name).name != name:
                continue
            if stamp is None or file_stamp(path) == stamp:  # (None: planned by an export that did not finish)
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
        entry = {p.name: file_stamp(p) for p in files}
        if key in self._covered:  # a second record of the same file: both records' cutouts are its
            entry = {**{n: v for n, v in self.images.get(key, {}).items() if n.casefold() in self._now}, **entry}
        self._covered.add(key)
        self._mine.add(key)
        self.images[key] = entry
        return removed

    def let_go(self) -> None:
        """Let the folder's record lock go (an export refused, or done)."""
        if self._held:
            self._held = False
            self._lock.release()

    def save(self, final: bool = False, strict: bool = False) -> None:
        """Write the record: this export's entries over the record as it is on disk now
        (another export into the folder meanwhile keeps its own), under the lock;
        ``final``: the export is done, the lock is let go; ``strict``: a record that cannot
        be written is an InputError (before the writing: else nothing says the files are this tool's)."""
        try:
            self._save(strict)
        finally:
            if final:
                self.let_go()

    def _save(self, strict: bool = False) -> None:
        from filelock import Timeout

        if not self._mine and not (self.folder / MANIFEST).exists():
            return
        try:
            with self._locked().acquire(timeout=10):
                images = export_record(self.folder, self.section)
                images.update({k: self.images[k] for k in self._mine if self.images.get(k)})
                for k in self._mine:
                    if not self.images.get(k):
                        images.pop(k, None)
                self.images = images
                sections = {s: export_record(self.folder, s) for s in ("images", "segment")}
                sections[self.section] = images
                data = {"written_by": "interactive-seg", **{s: v for s, v in sections.items() if v or s == "images"}}
                write_bytes_atomic(self.folder / MANIFEST, json.dumps(data, indent=0).encode("ascii"))
                if not self._swept:  # what a killed export was writing: not another's live file
                    self._swept = True
                    names = {name for record in sections.values() for files in record.values() for name in files}
                    remove_stale_temporaries_of(self.folder, names, idle_seconds=STALE_SECONDS)
        except (OSError, InputError, Timeout) as exc:
            if strict and isinstance(exc, InputError):
                raise InputError(f"{exc} (Nothing was written.)") from None
            if strict:
                raise InputError(
                    f"Could not write the export record {MANIFEST!r} in {str(self.folder)!r} ({exc}), so nothing "
                    "was written; free some space or give another output folder."
                ) from None
            # (after the writing: the files were planned in the record; only the next export's cleanup is lost)
