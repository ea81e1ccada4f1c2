"""Writing a :class:`~interactive_seg.coco.CocoDocument` back: piece by piece, untouched records as read.

Only what changed is encoded (:func:`~.rawjson.encode_record`, which never writes NaN or
Infinity and keeps a changed record's untouched number texts); runs of untouched records
and the text between them are slices of the bytes read, so nothing the size of the file
is built in memory. Saving goes through a temporary file and a rename
(:func:`~interactive_seg.files.open_atomic`), through a symbolic link to its target.
:class:`Writing` is the document's base class that does it.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..files import open_atomic
from .rawjson import amend_object, encode_record
from .reading import LISTS
from .tables import Table

__all__ = ["Writing"]


class Writing:
    """How a :class:`~interactive_seg.coco.CocoDocument` is written (its base class)."""

    def to_data(self) -> dict:
        """The dataset as a dict, in the order read (new records last), ready for ``json.dumps``."""
        return json.loads(self.dumps())

    def _encode(self, table: Table, key, record) -> bytes:
        original = table.original_text(self._data, key)
        if original is not None:
            # a change of whole numbers alone (a class change: category_id) keeps every
            # other value's text as read ("area": 12.50 stays 12.50)
            amended = amend_object(original, record)
            if amended is not None:
                return amended
        try:
            return encode_record(record, original)
        except ValueError as exc:
            raise InputError(
                f"The record {key!r} holds a value JSON cannot hold ({exc}); give finite numbers."
            ) from None

    def _top_text(self, key) -> bytes | None:
        """The text a top-level value was read as (the last of its key), or None."""
        for name, start, end in reversed(self._members):
            if name == key and self._data is not None:
                return self._data[start:end]
        return None

    def _top_changed(self, key) -> bool:
        return key in self._top and json.dumps(self._top[key]) != self._top_read.get(key)

    def write(self, out) -> None:
        """Write the document as JSON to a binary file object, piece by piece.

        Untouched records and the text between them are the bytes read; only what
        changed is encoded.
        """
        data = self._data
        holes = []  # (start, end, writer) over the original bytes, in order
        present = set()  # the lists the file has a key for
        if data is not None:
            last = {}
            for n, (key, _start, _end) in enumerate(self._members):
                last[key] = n
            for n, (key, start, end) in enumerate(self._members):
                if last[key] != n:
                    continue  # an earlier copy of a repeated key: as read (JSON readers take the last)
                if key in LISTS:
                    present.add(key)
                    table = self._lists[key]
                    if table.span is not None:
                        if table.changed():
                            holes.append((start, end, lambda out, table=table: table.write(out, data, self._encode)))
                    elif table.order:  # the file's value was no list ("categories": null): the list goes there
                        holes.append((start, end, lambda out, key=key: self._write_new(out, key)))
                elif self._top_changed(key):
                    text = amend_object(data[start:end], self._top[key]) or encode_record(
                        self._top[key], data[start:end]
                    )
                    holes.append((start, end, lambda out, text=text: out.write(text)))
        new = []  # keys the file did not have: the lists first, as COCO files order them
        if self._lists["images"].span is None and data is None:
            new.append("images")
        if self._lists["annotations"].span is None and (self._meta or data is None) and "annotations" not in present:
            new.append("annotations")
        if (
            self._lists["categories"].span is None
            and (self._categories or data is None)
            and "categories" not in present
        ):
            new.append("categories")
        new += [key for key in self._top_new if key in self._top]
        if data is None:
            out.write(b"{")
            for n, key in enumerate(new):
                out.write((b"," if n else b"") + json.dumps(key).encode() + b":")
                self._write_new(out, key)
            out.write(b"}")
            return
        if new:
            empty = not self._members

            def tail(out, new=new, empty=empty):
                for n, key in enumerate(new):
                    out.write((b"" if empty and n == 0 else b",") + json.dumps(key, ensure_ascii=False).encode() + b":")
                    self._write_new(out, key)

            holes.append((self._close, self._close, tail))
        at = 0
        view = memoryview(data)
        for start, end, writer in sorted(holes, key=lambda h: h[0]):
            out.write(view[at:start])
            writer(out)
            at = end
        out.write(view[at:])

    def _write_new(self, out, key) -> None:
        if key in LISTS:
            table = self._lists[key]
            out.write(b"[")
            for n, (record_key, slot) in enumerate(table.order.items()):
                if n:
                    out.write(b",")
                out.write(self._encode(table, record_key, slot))
            out.write(b"]")
        else:
            out.write(encode_record(self._top[key]))

    def dumps(self) -> bytes:
        """The document as UTF-8 JSON bytes (untouched records as read)."""
        import io

        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def save(self, path=None, *, before_replace=None) -> Path:
        """Write the whole file atomically (temporary file beside it, then rename); returns the path.

        The pieces are streamed: nothing the size of the file is built in memory. A
        symbolic link stays a link: its target receives the save. ``before_replace``: see
        :func:`~interactive_seg.files.writing.open_atomic`.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("This COCO document has no file yet; give save() a path.")
        self._check_encodable()
        with open_atomic(target, before_replace) as handle:
            self.write(handle)
        if self.path is None:
            self.path = target
        return target

    def _check_encodable(self) -> None:
        """Raise the InputError a changed record would raise half way through a save, before it."""
        for table in self._lists.values():
            for key, slot in table.order.items():
                if type(slot) is not int:
                    self._encode(table, key, slot)
