"""A PDF of one JPEG picture per page, streamed to the file page by page."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError

_JPEG_QUALITY = 90


def _pdf_text(text: str) -> bytes:
    """A PDF text string: UTF-16 with a byte-order mark, written in hex (any character is fine)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class _PdfWriter:
    """A PDF of one JPEG picture per page, written to ``handle`` as pages come (nothing kept)."""

    def __init__(self, handle, title: str):
        self.handle = handle
        self.offsets: dict = {}
        self.pages: list = []
        self.next = 4  # 1 catalog, 2 page tree, 3 document info
        self.title = title
        handle.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _object(self, number: int, body: bytes, stream: Optional[bytes] = None) -> None:
        self.offsets[number] = self.handle.tell()
        self.handle.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self.handle.write(b"\nstream\n" + stream + b"\nendstream")
        self.handle.write(b"\nendobj\n")

    def add_page(self, pixels: np.ndarray, width_in: float, height_in: float) -> None:
        import cv2

        ok, jpeg = cv2.imencode(
            ".jpg", np.ascontiguousarray(pixels[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
        )
        if not ok:
            raise InputError("Could not encode a page of the sheet as JPEG; write a .png sheet instead.")
        jpeg = jpeg.tobytes()
        image, content, page = self.next, self.next + 1, self.next + 2
        self.next += 3
        h, w = pixels.shape[:2]
        self._object(
            image,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>" % (w, h, len(jpeg)),
            jpeg,
        )
        pw, ph = width_in * 72.0, height_in * 72.0
        drawing = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)
        self._object(content, b"<< /Length %d >>" % len(drawing), drawing)
        self._object(
            page,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (pw, ph, image, content),
        )
        self.pages.append(page)

    def close(self) -> None:
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % p for p in self.pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.pages)))
        self._object(3, b"<< /Title %s /Producer %s >>" % (_pdf_text(self.title), _pdf_text("interactive_seg review")))
        start = self.handle.tell()
        count = self.next
        lines = [b"xref\n0 %d\n" % count, b"0000000000 65535 f \n"]
        for number in range(1, count):
            lines.append(b"%010d 00000 n \n" % self.offsets[number])
        self.handle.write(b"".join(lines))
        self.handle.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, start))
