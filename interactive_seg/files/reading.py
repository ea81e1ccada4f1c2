"""Reading images: EXIF orientation applied, unicode paths, clear errors; sizes from headers alone."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from ..errors import InputError

__all__ = [
    "read_image",
    "read_indices",
    "ExifIgnoredWarning",
    "image_orientation",
    "image_size",
    "orient",
    "sizes_as_stored",
    "file_stamp",
]


def file_stamp(path, inode: bool = False) -> Optional[list]:
    """[size, modification time in ns] of a file (and its inode, ``inode``: a file replaced
    by another of that size and time, as ``cp -p`` and ``rsync -a`` make, is another), or
    None when it is missing: a cheap change detector."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns] + ([info.st_ino] if inode else [])


def read_image(path, expect=None, *, coco=None, as_stored=None) -> np.ndarray:
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
    as_stored : bool or callable, optional
        Whether that file's tool ignored EXIF (:func:`sizes_as_stored` over its photos), or a
        function of no arguments that tells, asked only for a photo whose own record cannot
        tell (a square one, one EXIF turns upside down or mirrors, or one the file has no
        size for yet: a new photo of the folder): with True it is read as stored too, as the
        file's other photos are.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"There is no image file at {str(path)!r}; check the path.")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"Could not read {str(path)!r} ({exc.strerror or exc}); check its permissions.") from exc
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    except cv2.error:  # (OpenCV refuses more than CV_IO_MAX_IMAGE_PIXELS, 2**30 by default)
        size = _header(_Reader(data.data))[0]
        what = f"{size[1]} x {size[0]} pixels" if size is not None else "its size"
        raise InputError(
            f"{str(path)!r} is too large for OpenCV to decode ({what}; OpenCV reads at most "
            f"{os.environ.get('OPENCV_IO_MAX_IMAGE_PIXELS', 2**30)} pixels, set by OPENCV_IO_MAX_IMAGE_PIXELS "
            "before the program starts); split it into tiles, or raise that limit if the memory allows."
        ) from None
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
    agrees = expect is not None and tuple(int(v) for v in expect) == stored
    tells = orientation >= 5 and stored[0] != stored[1]  # a quarter turn of a photo that is not square
    if (agrees and tells) or (
        (agrees or expect is None) and as_stored is not None and (as_stored() if callable(as_stored) else as_stored)
    ):
        _say_read_as_stored(path, stored, orientation, coco, agrees and tells)
        return orient(image, _INVERSE[orientation]) if upright_already else image
    return image if upright_already else orient(image, orientation)


def sizes_as_stored(photos) -> bool:
    """Whether the tool that wrote a COCO file ignored EXIF orientation, from ``photos``, its
    ``((height, width), path)`` pairs (the size its record gives, the image file): the first
    photo that EXIF turns a quarter and that is not square decides (its record gives the size
    as stored, or upright); with none, upright, as COCO means it. Headers are read one
    by one up to that photo. A square or upside-down photo's own size cannot tell which."""
    for expect, path in photos:
        try:
            with open(path, "rb") as handle:
                size, orientation = _header(handle)
        except OSError:
            continue
        if orientation >= 5 and size is not None and size[0] != size[1]:
            return tuple(int(v) for v in expect) == tuple(size)
    return False


def read_indices(path) -> np.ndarray:
    """A label or mark image as its values: a palette PNG (PASCAL VOC's and CVAT's masks,
    an editor's indexed image) gives its indices, not the palette's colours; any other file
    is :func:`read_image`'s."""
    if Path(path).is_file():
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                if image.mode == "P":
                    return np.asarray(image)
        except (OSError, UnidentifiedImageError):
            pass  # (read_image says why it cannot be read)
    return read_image(path)


class ExifIgnoredWarning(UserWarning):
    """A COCO file gives a photograph its stored, not its upright, size: it is read as stored."""


_TOLD: set = set()  # the COCO files (or images) an ExifIgnoredWarning was given for


def _say_read_as_stored(path: Path, stored: tuple, orientation: int, coco, tells: bool = True) -> None:
    key = ("coco", str(Path(coco).resolve())) if coco is not None else ("image", str(path.resolve()))
    if key in _TOLD:
        return
    _TOLD.add(key)
    source = f"The COCO file {Path(coco).name!r}" if coco is not None else "The COCO file"
    if not tells:
        warnings.warn(
            f"{source} gives its photos that EXIF turns a quarter their size as stored, not as they are shown "
            f"upright: the tool that wrote it ignored EXIF, so {path.name!r} (EXIF orientation {orientation}, "
            "whose own size cannot tell) and its other such images are read as stored, to keep their masks on the right pixels.",
            ExifIgnoredWarning,
            stacklevel=3,
        )
        return
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
