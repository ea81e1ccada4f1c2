"""The append-only change journal of a session, beside its COCO file.

Every change of a session is one record: one line ``<length> <crc32> <json>`` (length and
CRC-32 of the JSON bytes, in hex), appended and fsync'd before the change counts as done.
A line that is cut short or whose CRC does not match (the write a crash interrupted) and
everything after it is ignored, so a crash can never make a journal unreadable.

The first line names the COCO file the journal's changes apply to (``base``: the SHA-256
of its bytes, ``None`` when there was no file). Records are physical redo records, each a
list of operations that are idempotent (applying one twice gives the same document)::

    ["put", "image" | "category" | "annotation", {whole record}]
    ["put", "annotation", {whole record}, [position, id before, id after]]
    ["del", "image" | "category" | "annotation", id]
    ["set", top-level key, value]      ["unset", top-level key]

(the second: a removed record put back where it was, an undone delete).

Folding the journal into the COCO file (compaction) appends ``{"compact": D}`` (D: the
digest of the bytes about to be written) before the atomic rename of the new file, then
starts a new journal whose base is D. On opening, a COCO file whose digest is the base
gets every record replayed; one whose digest is the last ``compact`` intent (a crash
between the rename and the new journal) gets the records after that intent; any other
file was replaced by someone else, and the journal is not applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

from .lock import real_path

__all__ = ["Journal", "JournalState", "file_digest", "journal_path"]

_HEAD = 18  # "llllllll cccccccc " before the JSON
ABSENT = None  # the base of a journal started when there was no COCO file


def journal_path(coco_path: Path) -> Path:
    """Where the journal of a COCO file lives: a hidden file beside it (beside a link's target)."""
    coco_path = real_path(coco_path)
    return coco_path.with_name(f".{coco_path.name}.journal")


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes (hex); None when there is no file."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(record) -> bytes:
    payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return b"%08x %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


def decode_all(data: bytes) -> tuple:
    """(records, bytes of whole records): reading stops at the first torn or damaged line."""
    records, at = [], 0
    while at + _HEAD <= len(data):
        try:
            length, crc = int(data[at : at + 8], 16), int(data[at + 9 : at + 17], 16)
        except ValueError:
            break
        end = at + _HEAD + length
        payload = data[at + _HEAD : end]
        if end + 1 > len(data) or data[end : end + 1] != b"\n" or zlib.crc32(payload) != crc:
            break
        try:
            records.append(json.loads(payload.decode("utf-8", "surrogatepass")))
        except ValueError:
            break
        at = end + 1
    return records, at


class JournalState:
    """What a journal on disk holds: its base, its change records, the last compaction intent."""

    def __init__(self, records: list):
        head = records[0] if records and isinstance(records[0], dict) and "journal" in records[0] else None
        self.readable = head is not None
        self.base = head.get("base") if head else None
        self.changes: list = []  # op lists, in order
        self.after_intent: list | None = None  # changes after the last compaction intent
        self.intent: str | None = None
        for record in records[1:] if head else ():
            if isinstance(record, dict) and "compact" in record:
                self.intent, self.after_intent = record["compact"], []
            elif isinstance(record, dict) and "ops" in record:
                self.changes.append(record["ops"])
                if self.after_intent is not None:
                    self.after_intent.append(record["ops"])

    def to_replay(self, digest: str | None) -> list | None:
        """The changes to apply over a COCO file of ``digest``; None when the file is not theirs."""
        if digest == self.base:
            return self.changes
        if self.intent is not None and digest == self.intent:
            return self.after_intent
        return None


def read(path: Path) -> JournalState | None:
    """The journal at ``path``; None when there is none."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    return JournalState(decode_all(data)[0])


class Journal:
    """An open journal that a session (holding the folder's lock) appends to."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None
        self._size = 0  # bytes of whole records: a failed append is cut back to this
        self.changes = 0  # change records since the base

    def start(self, base: str | None) -> None:
        """Begin a new journal over a COCO file of digest ``base`` (atomically replacing any old one)."""
        from ..files import write_bytes_atomic

        self.close()
        write_bytes_atomic(self.path, encode({"journal": 1, "base": base}))
        _sync_folder(self.path.parent)  # the journal's name survives a power cut too
        self._open()
        self.changes = 0

    def resume(self, changes: int) -> None:
        """Append to the journal as it is on disk (after a replay), past its last whole record."""
        self.close()
        data = self.path.read_bytes()
        _, whole = decode_all(data)
        self._open()
        if whole != len(data):
            os.ftruncate(self._fd, whole)
            os.fsync(self._fd)
        self._size = whole
        self.changes = changes

    @property
    def is_open(self) -> bool:
        """True while records can be appended (started or resumed, not closed or removed)."""
        return self._fd is not None

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        self._size = os.fstat(self._fd).st_size
        os.lseek(self._fd, self._size, os.SEEK_SET)

    def append(self, record) -> None:
        """Write one record and fsync it; OSError when it could not be (nothing of it then counts)."""
        line = encode(record)
        if self._fd is None:
            raise OSError("the journal is closed")
        if os.fstat(self._fd).st_size != self._size:  # a failed append left part of a line: cut it
            os.ftruncate(self._fd, self._size)
        os.lseek(self._fd, self._size, os.SEEK_SET)
        try:
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            os.fsync(self._fd)
        except OSError:
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            raise
        self._size += len(line)

    def add_change(self, ops: list) -> None:
        self.append({"ops": ops})
        self.changes += 1

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None

    def remove(self) -> None:
        self.changes = 0  # (first: a journal left open by an interrupt is appended to, never lost)
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def _sync_folder(folder: Path) -> None:
    """fsync a folder (its new entries) where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
