"""JSON read record by record with each record's byte span, and records written back.

A COCO file of half a million annotations is read here without ever holding its
records at once: :class:`Cursor` walks the file's bytes through a window of decoded
text, parsing one value at a time with the standard library's C scanner and reporting
where each value starts and ends in the file. A record nobody changed is then written
back as those exact bytes (its spaces, key order, escapes and number text such as
``1.50`` or ``1e400`` as read).

A changed record is written with :func:`encode_record`: standard JSON, never a ``NaN``
or ``Infinity`` token. A number that Python reads as infinite (``1e400``) keeps the text
it was read as, found at the same place in the record's original text.
"""

from __future__ import annotations

import json
import math
import re

__all__ = ["Cursor", "JsonError", "amend_object", "encode_record", "scan"]

_WINDOW = 1 << 22  # characters decoded at a time (4 MB of ASCII)
_SPACE = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
scan = json.decoder.JSONDecoder().scan_once  # the C scanner: (value, end) from a text and an index


class JsonError(ValueError):
    """The bytes are not JSON: ``message`` says why, ``position`` is the byte offset."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.message, self.position = message, position


class Cursor:
    """A reading position in JSON bytes, decoded a window at a time.

    ``pos`` is the byte offset of the next character. Whitespace is ASCII in JSON, so
    only values need their byte length measured, and only in windows that are not ASCII.
    """

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.size = len(data)
        self._load(pos, _WINDOW)

    def _load(self, pos: int, length: int) -> None:
        end = min(pos + length, self.size)
        while end < self.size and (self.data[end] & 0xC0) == 0x80:  # never cut a character in two
            end -= 1
        chunk = self.data[pos:end]
        try:
            self.text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.end >= len(chunk) - 3 and end < self.size:  # a character cut by the window: take more
                return self._load(pos, length * 2)
            raise JsonError("it is not UTF-8 text", pos + exc.start) from None
        self.ascii = self.text.isascii()
        self.at_end = end == self.size
        self.span = end - pos  # the window's length in bytes
        self.base, self.i, self.pos = pos, 0, pos

    def _more(self) -> bool:
        """Slide the window to the current position (larger); False at the end of the data."""
        if self.at_end:
            return False
        # a fresh window from here; twice as long (in bytes: a window of 3-byte characters
        # holds a third as many) only when one value fills the whole window
        self._load(self.pos, 2 * self.span if self.i == 0 else _WINDOW)
        return True

    def _advance(self, j: int) -> None:
        self.pos += (j - self.i) if self.ascii else len(self.text[self.i : j].encode("utf-8"))
        self.i = j

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end), the cursor on it."""
        while True:
            j = _SPACE.match(self.text, self.i).end()
            self.pos += j - self.i
            self.i = j
            if j < len(self.text):
                return self.text[j]
            if not self._more():
                return ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise JsonError(f"Expecting {what}", self.pos)
        self._advance(self.i + 1)

    def value(self):
        """The next value, parsed, and its byte span ``(value, start, end)``."""
        self.peek()
        while True:
            start = self.pos
            try:
                value, j = scan(self.text, self.i)
            except StopIteration:
                if self._more():
                    continue
                raise JsonError("Expecting value", start) from None
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise JsonError(exc.msg, self.pos + len(self.text[self.i : exc.pos].encode("utf-8"))) from None
            # a value at the window's edge may go on past it (a number cut in two)
            if not self.at_end and _SPACE.match(self.text, j).end() == len(self.text):
                self._more()
                continue
            self._advance(j)
            return value, start, self.pos

    def elements(self):
        """The elements of the array whose '[' is next: ``(value, start, end)`` each, the ']' consumed.

        The loop every record of a large file goes through: one C scan and one regular
        expression (whitespace, separator, whitespace) an element while inside the window.
        """
        self.expect("[", "'['")
        if self.peek() == "]":
            self._advance(self.i + 1)
            return
        separator = _SEPARATOR.match
        while True:
            text, i = self.text, self.i
            try:
                value, j = scan(text, i)
                found = separator(text, j)
            except (StopIteration, json.JSONDecodeError):
                found = None
            if found is None or (found.end() == len(text) and not self.at_end):
                # the window's edge, or an error: the careful way names it
                value, start, end = self.value()
                char = self.peek()
                if char not in (",", "]"):
                    raise JsonError("Expecting ',' delimiter", self.pos)
                self._advance(self.i + 1)
                yield value, start, end
                if char == "]":
                    return
                continue
            start = self.pos
            k = found.end()
            if self.ascii:
                end = start + (j - i)
                self.pos = start + (k - i)
            else:
                end = start + len(text[i:j].encode("utf-8"))
                self.pos = end + (k - j)
            self.i = k
            yield value, start, end
            if found.group(1) == "]":
                return

    def at_eof(self) -> bool:
        return self.peek() == ""


def position(data: bytes, pos: int) -> tuple:
    """(line, column) of a byte offset, both from 1."""
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return line, column


# -- writing changed records --------------------------------------------------------------------
class _Text(float):
    """A number read as non-finite (``1e400``, or a ``NaN`` token): it remembers its text."""

    text = ""


def _keep_text(text: str):
    number = float(text)
    if math.isfinite(number):
        return number
    kept = _Text(number)
    kept.text = text
    return kept


def _constant(text: str):
    kept = _Text({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[text])
    kept.text = text
    return kept


_KEEPING = json.JSONDecoder(parse_float=_keep_text, parse_constant=_constant)


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _encode(value, original, out: list, ascii_only: bool) -> None:
    """Python's JSON for ``value``; a non-finite float takes the text ``original`` holds at its place."""
    if isinstance(value, float) and not isinstance(value, bool) and not math.isfinite(value):
        if isinstance(value, _Text):
            out.append(value.text)
            return
        if isinstance(original, _Text) and _same(float(original), value):
            out.append(original.text)
            return
        raise ValueError(f"{value!r} is not a number JSON can hold")
    if isinstance(value, dict):
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            if n:
                out.append(",")
            out.append(json.dumps(key if isinstance(key, str) else str(key), ensure_ascii=ascii_only))
            out.append(":")
            _encode(item, original.get(key) if isinstance(original, dict) else None, out, ascii_only)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _encode(item, original[n] if isinstance(original, list) and n < len(original) else None, out, ascii_only)
        out.append("]")
    else:
        out.append(json.dumps(value, ensure_ascii=ascii_only))


def encode_record(record, original: bytes | None = None) -> bytes:
    """A changed record as compact UTF-8 JSON: never a ``NaN``/``Infinity`` token.

    ``original`` is the record's text as read, if it had one: a value that Python read as
    infinite there (``1e400``) and that is still at the same place is written as it was
    read. Any other non-finite number raises ValueError. A lone surrogate (read from a
    ``\\ud800`` escape) is written escaped, as it was read.
    """
    for ascii_only in (False, True):
        try:
            try:
                text = json.dumps(record, ensure_ascii=ascii_only, separators=(",", ":"), allow_nan=False)
            except ValueError:  # a non-finite number: written as read, or refused
                kept = _KEEPING.decode(original.decode("utf-8")) if original is not None else None
                out: list = []
                _encode(record, kept, out, ascii_only)
                text = "".join(out)
            return text.encode("utf-8")
        except UnicodeEncodeError:
            continue
    raise ValueError("the record holds text that is not Unicode")  # not reached: ASCII always encodes


def amend_object(original: bytes, value) -> bytes | None:
    """An object's text as read, amended to ``value`` where that only adds keys at its end
    or changes a whole number (the one key this package adds to a file's ``info``): the
    user's keys keep their text, spaces and order. None when ``value`` is another change
    (the caller then encodes it whole)."""
    try:
        text = original.decode("utf-8")
        old = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(old, dict) or not isinstance(value, dict) or list(value)[: len(old)] != list(old):
        return None
    amended = False
    for key in old:
        if _same(old[key], value[key]) or old[key] == value[key]:
            continue
        amended = True
        if type(old[key]) is not int or type(value[key]) is not int:
            return None
        spot = re.compile(re.escape(json.dumps(key)) + r"([ \t\n\r]*:[ \t\n\r]*)" + str(old[key]) + r"(?![0-9.eE])")
        found = list(spot.finditer(text))
        if len(found) != 1:
            return None
        match = found[0]
        text = text[: match.start()] + json.dumps(key) + match.group(1) + str(value[key]) + text[match.end() :]
    # the one match may be a nested key of that name (the object's own written with a \u escape)
    if amended and json.dumps(json.loads(text)) != json.dumps({key: value[key] for key in old}):
        return None
    added = [key for key in value if key not in old]
    if not added:
        return text.encode("utf-8")
    body = text.rstrip()
    tail = text[len(body) :]
    if not body.endswith("}"):
        return None
    inner = body[:-1].rstrip()
    gap = body[len(inner) : -1]
    pairs = ", ".join(f"{json.dumps(key)}: {encode_record(value[key]).decode('utf-8')}" for key in added)
    return (inner + ("" if inner.endswith("{") else ", ") + pairs + gap + "}" + tail).encode("utf-8")
