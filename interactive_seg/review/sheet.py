"""A contact sheet: the objects chosen, drawn page after page, written to PNG files or one PDF."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..coco import CocoDocument
from ..coco.locate import ImageLocator, name_parts
from ..errors import InputError
from ..export.manifest import refuse_over_images
from ..files import (
    STALE_SECONDS,
    ensure_folder,
    image_filter,
    open_atomic,
    remove_stale_temporaries,
    write_bytes_atomic,
)
from ..palette import category_colours
from ..provenance import record_of
from .draw import _PDF_DPI, _PNG_DPI, _TILE, _columns, _compose, _draw_empty, _draw_page, _legend_per_row, _png_bytes
from .pdf import _PdfWriter
from .select import _by_change, _open, _select
from .tiles import _prepare

__all__ = ["contact_sheet", "Sheet", "Page", "Tile", "SORTS", "PER_PAGE", "MAX_PER_PAGE"]

SORTS = ("class", "area", "id", "image", "change")
PER_PAGE = 48
MAX_PER_PAGE = 400
SUFFIXES = (".png", ".pdf")


@dataclass(frozen=True)
class Tile:
    """One object as drawn on a sheet.

    ``note`` is empty for a tile drawn whole; otherwise it says what the tile lacks, as
    written on the tile: ``"box only"``, ``"image not found"``, ``"image unreadable"``,
    ``"image is W x H, the file says ..."``, ``"cannot decode: ..."``, ``"empty mask"``,
    several joined by ``"; "`` (``notes`` has them one by one).
    """

    annotation_id: Union[int, str]
    image_id: Union[int, str]
    file_name: str
    category: str
    area: Optional[int]  # pixels of the mask; None for box-only and undecodable objects
    title: str  # the tile's title, as drawn
    note: str = ""  # the notes, joined by "; "
    notes: tuple = ()
    review: str = ""  # the review state (unreviewed, accepted, rejected) where the file records reviews
    role: str = ""  # with compare: "old" (the mask in the other file) or "new"; empty otherwise
    iou: Optional[float] = None  # with compare, on the "new" tile: IoU of the old and new masks


@dataclass(frozen=True)
class Page:
    """One page: its file (the PDF for every page of a PDF), number (from 1), grid and tiles."""

    path: Path
    number: int
    columns: int
    rows: int
    tiles: tuple = ()


@dataclass(frozen=True)
class Sheet:
    """What :func:`contact_sheet` wrote: the files and, per page, the tiles in drawing order."""

    files: tuple
    pages: tuple
    message: str = ""  # why there is nothing to show, when there is nothing
    images_dir: Optional[Path] = None

    @property
    def tiles(self) -> list:
        """Every tile, page after page."""
        return [tile for page in self.pages for tile in page.tiles]

    def notes(self) -> dict:
        """How many tiles carry each kind of note (``"box only"``, ``"image not found"``, ...)."""
        counts: dict = {}
        for tile in self.tiles:
            for note in tile.notes:
                kind = "cannot decode" if note.startswith("cannot decode") else note
                kind = "image size differs" if kind.startswith("image is ") else kind
                counts[kind] = counts.get(kind, 0) + 1
        return counts


def _page_paths(out: Path, pages: int) -> list:
    if out.suffix.lower() == ".pdf" or pages == 1:
        return [out] * pages
    digits = len(str(pages))
    return [out.with_name(f"{out.stem}-{n:0{digits}d}{out.suffix}") for n in range(1, pages + 1)]


def contact_sheet(
    coco,
    out,
    *,
    images=None,
    sort: str = "class",
    per_page: int = PER_PAGE,
    category: Union[None, str, Iterable[str]] = None,
    progress: Optional[Callable[[int, int, str], None]] = None,
    review: Union[None, str, Iterable[str]] = None,
    compare=None,
    recursive: bool = True,
    include=None,
    exclude=None,
) -> Sheet:
    """Draw one tile per object of a COCO file, on pages, to a PNG or a PDF.

    Parameters
    ----------
    coco : path or CocoDocument
        A COCO JSON file, a folder session (``FOLDER/annotations.coco.json``), or an open
        :class:`~interactive_seg.coco.CocoDocument`.
    out : path
        ``SHEET.pdf`` (every page in one file) or ``SHEET.png`` (one page; more pages are
        written as ``SHEET-1.png``, ``SHEET-2.png``, ..., numbers padded to the same width).
        Its folder is created if missing.
    images : path, optional
        The folder of the file's images, found by the rule of
        :mod:`~interactive_seg.coco.locate` (the ``file_name`` below the folder, then its
        tails, then its base name when one image below has it, then the path as written).
        Default: the session's folder, or the COCO file's.
    sort : {"class", "area", "id", "image", "change"}
        ``class``: by the file's category order, then image, then id; ``area``: smallest
        mask first (objects without a decodable mask before all); ``id``: by annotation id;
        ``image``: by image, then id; ``change`` (with ``compare``): the lowest IoU of old
        and new mask first.
    per_page : int
        Tiles per page, 1 to 400 (48: 8 columns, 6 rows).
    category : str or list of str, optional
        Only objects of these classes.
    progress : callable, optional
        Called as ``progress(done_pages, pages, path)`` after each page.
    review : str or list of str, optional
        Only objects in these review states (``unreviewed``, ``accepted``, ``rejected``;
        an object without a provenance record is ``unreviewed``). Where the file records
        reviews (or ``review`` or ``compare`` is given) each tile's title says its state.
    compare : path or CocoDocument, optional
        Another version of the file (the input of ``interactive-seg replay``): every object
        it has too (same id, same image) is drawn twice side by side over the same crop,
        ``old`` (from ``compare``) then ``new``, the new tile's caption giving their IoU.
    recursive, include, exclude :
        Only the objects of the images these choose, by the image's relative path in the
        images folder (as a folder session lists them): ``recursive=False`` the top level
        alone; ``include`` / ``exclude`` globs as for :func:`~interactive_seg.files.list_images`.

    Returns
    -------
    Sheet
        The files written and, per page, its grid and tiles (id, class, image, pixel
        count, title, and a note where the tile lacks something).

    Raises
    ------
    InputError
        For an unreadable COCO file, an unknown class, a wrong ``sort``, ``per_page``,
        images folder or output suffix; nothing is written then. A missing image, a
        box-only or undecodable object is not an error: its tile says so.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")  # the plots extra
    >>> import tempfile, pathlib, numpy as np, cv2
    >>> from interactive_seg.coco import CocoDocument
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "a.png"), np.full((40, 60, 3), 90, np.uint8))
    >>> doc = CocoDocument(); image = doc.add_image("a.png", width=60, height=40)
    >>> mask = np.zeros((40, 60), bool); mask[10:30, 20:40] = True
    >>> _ = doc.add_annotation(image["id"], mask, "square"); _ = doc.save(folder / "a.json")
    >>> sheet = contact_sheet(folder / "a.json", folder / "sheet.png")
    >>> [(t.title, t.area) for t in sheet.tiles], [p.name for p in sheet.files]
    ([('square · 1', 400)], ['sheet.png'])
    """
    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"Write the sheet to a .png or a .pdf file, not {out.name!r}; for many objects .pdf keeps every page in one file."
        )
    if sort not in SORTS:
        raise InputError(f"Sort by one of {', '.join(SORTS)}, not {sort!r}.")
    if sort == "change" and compare is None:
        raise InputError(
            "Sorting by change compares two versions of the file; give the other one with compare (--compare OLD.json)."
        )
    if isinstance(per_page, bool) or not isinstance(per_page, (int, np.integer)) or not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"Tiles per page must be a whole number from 1 to {MAX_PER_PAGE}; got {per_page!r}.")
    per_page = int(per_page)
    doc, images_dir, label = _open(coco, images)
    old = None
    if compare is not None:
        old = compare if isinstance(compare, CocoDocument) else CocoDocument.open(compare)
    anns = _select(doc, category, "id" if sort == "change" else sort, label, review)
    locate = ImageLocator(images_dir) if images_dir is not None else None
    if include or exclude or not recursive:
        keep = image_filter(include, exclude)
        relative = {
            im["id"]: (locate.name(im["file_name"]) if locate is not None else None)
            or "/".join(name_parts(im["file_name"]))
            for im in doc.images
        }
        anns = [a for a in anns if keep(relative[a["image_id"]]) and (recursive or "/" not in relative[a["image_id"]])]
    if sort == "change":
        anns = _by_change(doc, old, anns)
    reviews = review is not None or old is not None or any(record_of(a) is not None for a in doc.annotations())
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError("Review sheets need matplotlib: pip install 'interactive-seg[plots]'.") from None
    ensure_folder(out.parent if str(out.parent) else Path("."))

    class_index = {c["id"]: i for i, c in enumerate(doc.categories)}
    class_names = {i: str(c["name"]) for i, c in enumerate(doc.categories)}
    colours = category_colours(doc.categories)  # each class's stored colour, as the widget draws it
    pdf = out.suffix.lower() == ".pdf"
    dpi = _PDF_DPI if pdf else _PNG_DPI
    step = per_page if old is None else max(1, per_page // 2)  # with compare a pair of tiles per object
    chunks = [anns[i : i + step] for i in range(0, len(anns), step)]
    message = ""
    if not chunks:
        if review is not None:
            states = [review] if isinstance(review, str) else list(review)
            message = f"Nothing to show: {label} has no {' or '.join(states)} objects" + (
                " of these classes." if category is not None else "."
            )
        elif category is not None:
            names = [category] if isinstance(category, str) else list(category)
            message = f"Nothing to show: {label} has no objects of the class {', '.join(repr(str(n)) for n in names)}."
        elif include or exclude or not recursive:
            message = (
                f"Nothing to show: {label} has no objects on the images that --flat, --include and --exclude choose."
            )
        else:
            message = f"Nothing to show: {label} has no objects."
    total = max(1, len(chunks))
    paths = _page_paths(out, total)
    refuse_over_images(  # (never a page over one of the photographs it shows)
        paths,
        (locate(im["file_name"]) for im in doc.images) if locate is not None else (),
        what="The sheet",
        remedy="write the sheet to another file, such as sheet.pdf",
    )
    for page in dict.fromkeys(paths):  # what a review killed while writing a page left (idle for 10 minutes)
        remove_stale_temporaries(page, idle_seconds=STALE_SECONDS)
    most = max((len(c) for c in chunks), default=1) * (1 if old is None else 2)
    columns = min(_columns(per_page), most)
    if old is not None and columns > 1:
        columns -= columns % 2  # the two tiles of an object side by side
    rows = math.ceil(most / columns)
    classes_shown = len({a["category_id"] for a in anns})
    grid = (columns, rows, math.ceil(min(classes_shown, most) / _legend_per_row(columns)))
    raster = int(round(_TILE * dpi))
    where = f" · images from {images_dir}" if images_dir is not None else ""

    pages = []

    def pages_drawn():
        """Figures one at a time, with their summaries; the previous page is gone before the next is drawn."""
        if not chunks:
            yield _compose(_draw_empty(message, label, dpi)), Page(paths[0], 1, 0, 0, ())
            return
        start = 0
        for number, chunk in enumerate(chunks, start=1):
            items = _prepare(doc, chunk, locate, raster, class_index, old, reviews)
            sub = (
                f"page {number} of {total} · "
                + (f"objects {start + 1}–{start + len(chunk)}" if len(chunk) > 1 else f"object {start + 1}")
                + f" of {len(anns)}"
                f" · sorted by {sort}{where}"
            )
            figure, picture, titles = _draw_page(items, grid, label, sub, dpi, class_names, colours)
            tiles = tuple(
                Tile(
                    item.ann["id"],
                    item.ann["image_id"],
                    item.file_name,
                    item.category,
                    item.area,
                    title,
                    "; ".join(item.notes),
                    tuple(item.notes),
                    item.review,
                    item.role,
                    item.iou,
                )
                for item, title in zip(items, titles)
            )
            start += len(chunk)
            yield _compose(figure, picture), Page(paths[number - 1], number, columns, rows, tiles)
            del figure, picture, items

    if pdf:
        with open_atomic(out) as handle:
            writer = _PdfWriter(handle, f"{label}: review sheet")
            for pixels, page in pages_drawn():
                writer.add_page(pixels, pixels.shape[1] / dpi, pixels.shape[0] / dpi)
                pages.append(page)
                if progress is not None:
                    progress(page.number, total, str(out))
            writer.close()
    else:
        for pixels, page in pages_drawn():
            write_bytes_atomic(page.path, _png_bytes(pixels))
            pages.append(page)
            if progress is not None:
                progress(page.number, total, str(page.path))
    files = tuple(dict.fromkeys(p.path for p in pages))
    return Sheet(files, tuple(pages), message, images_dir)
