"""Contact sheets: every object of a COCO file as a tile, to find the bad masks by eye.

:func:`contact_sheet` draws one tile per object: the image cropped round the object's
box, the mask's contour and a light fill in its class's colour, the class and id above,
the image and the pixel count below. Tiles go on pages of ``per_page``; a ``.pdf`` holds
every page, a ``.png`` is one file per page (``SHEET.png`` for one page, ``SHEET-1.png``,
``SHEET-2.png``, ... for more). It reads any COCO file :class:`~interactive_seg.coco.CocoDocument`
opens, and a folder session (``FOLDER/annotations.coco.json``).

Work is done a page at a time: a page's masks are decoded and its images read (each
once, cropped at once and let go) only when it is drawn, and a page is written before the
next is started, so memory is bounded by one page whatever the file's size. matplotlib is
imported here, lazily, and only through its Agg canvas (no display, no pyplot state).
A PDF is written by this module, one JPEG-compressed picture per page streamed to the
file: matplotlib's own PDF backend keeps every image of every page until the file is
closed.

Class colours are :func:`interactive_seg.palette.colour` of the class's index in the
file's category order.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional, Union

import numpy as np

from .coco import CocoDocument, decode_segmentation
from .coco.locate import ImageLocator, name_parts
from .coco.segmentation import rle_counts
from .errors import InputError
from .files import ensure_folder, image_filter, open_atomic, read_image, write_bytes_atomic
from .image import as_rgb8
from .model.session import DEFAULT_ANNOTATIONS
from .palette import colour, rgb
from .provenance import REVIEW_STATES, record_of, review_state

__all__ = ["contact_sheet", "Sheet", "Page", "Tile", "SORTS", "PER_PAGE", "MAX_PER_PAGE"]

SORTS = ("class", "area", "id", "image", "change")
PER_PAGE = 48
MAX_PER_PAGE = 400
SUFFIXES = (".png", ".pdf")

# page geometry, inches
_TILE = 2.2  # the picture of one object (square)
_CELL_W, _CELL_H = 2.5, 2.2 + 0.62  # a tile with its title above and its caption below
_MARGIN = 0.35
_HEADER = 0.75
_LEGEND_ROW = 0.24
_MIN_WIDTH = 7.0
_PNG_DPI = 100
_PDF_DPI = 150
_JPEG_QUALITY = 90

# cropping
_PADDING = 0.15  # context round the object's box, as a fraction of its longest side
_MIN_PAD = 4  # ... at least this many pixels
_MIN_CROP = 32  # a crop is at least this many pixels a side (tiny objects stay visible)

_FILL = 0.3  # opacity of the mask's fill over the picture
_FILL_NO_IMAGE = 0.55
_NO_IMAGE_GREY = 0.85

_REVIEW_COLOURS = {"accepted": "#1a7f37", "rejected": "#b00020"}  # a title's colour by review state

BOX_ONLY = "box only"
IMAGE_MISSING = "image not found"


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


@dataclass
class _Drawn:
    """A tile's pixels, ready to draw (small: at most a tile's raster)."""

    ann: dict
    category: str
    colour_index: int
    file_name: str
    picture: Optional[np.ndarray] = None  # uint8 RGB, the crop scaled to the tile raster
    mask: Optional[np.ndarray] = None  # float32 0..1 at the picture's size
    box: Optional[tuple] = None  # a box-only object's box, in raster pixel edges
    size: tuple = (1, 1)  # raster (height, width)
    area: Optional[int] = None
    notes: list = field(default_factory=list)
    region: tuple = (0, 0, 1, 1)  # the crop (x0, y0, x1, y1) in image pixels
    box_size: str = ""  # a box-only object's box, as "W x H", for the caption
    review: str = ""
    role: str = ""
    iou: Optional[float] = None


# -- choosing and ordering the objects ---------------------------------------------------------
def _open(coco, images) -> tuple:
    """The document, the images' folder and the name shown on the sheet."""
    if isinstance(coco, CocoDocument):
        doc, where = coco, coco.path
        if images is None and where is None:
            raise InputError("This COCO document has no file; give images=FOLDER where its images are.")
        default_dir = where.parent if where is not None else None
        label = where.name if where is not None else "the COCO document"
    else:
        path = Path(coco)
        if path.is_dir():
            file = path / DEFAULT_ANNOTATIONS
            if not file.is_file():
                raise InputError(
                    f"The folder {str(path)!r} has no {DEFAULT_ANNOTATIONS}; annotate it with "
                    f"`interactive-seg gui {path}` first, or give the COCO file itself."
                )
            doc, default_dir, label = CocoDocument.open(file), path, f"{path.name}/{DEFAULT_ANNOTATIONS}"
        else:
            doc, default_dir, label = CocoDocument.open(path), path.parent, path.name
    if images is None:
        images_dir = default_dir
    else:
        images_dir = Path(images)
        if not images_dir.is_dir():
            raise InputError(
                f"The images folder {str(images_dir)!r} does not exist; point images at the folder of the COCO file's images."
            )
    return doc, images_dir, label


def _category_ids(doc: CocoDocument, category, label: str) -> Optional[set]:
    if category is None:
        return None
    names = [category] if isinstance(category, str) else list(category)
    if not names:
        return None
    known = [str(c["name"]) for c in doc.categories]
    wanted = set()
    for name in names:
        ids = {c["id"] for c in doc.categories if str(c["name"]) == str(name)}
        if not ids:
            listed = ", ".join(repr(k) for k in known[:20]) + (
                f" and {len(known) - 20} more" if len(known) > 20 else ""
            )
            raise InputError(
                f"There is no class {str(name)!r} in {label}; "
                + (f"its classes are {listed}." if known else "it has no classes.")
            )
        wanted |= ids
    return wanted


def _id_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


def _pixel_count(doc: CocoDocument, ann: dict) -> Optional[int]:
    """The mask's pixel count, from the RLE runs without decoding where it can; None when undecodable."""
    if not doc.has_mask(ann["id"]):
        return None
    segmentation = ann["segmentation"]
    try:
        height, width = doc.image_size(ann["image_id"])
    except InputError:
        return None
    total = height * width
    if isinstance(segmentation, dict):
        counts = segmentation.get("counts")
        if isinstance(counts, str):
            try:
                runs = rle_counts(counts)
            except ValueError:
                return None
            return int(runs[1::2].sum()) if int(runs.sum()) == total and (runs >= 0).all() else None
        if isinstance(counts, list) and sum(counts) == total:
            return int(sum(counts[1::2]))
    try:
        return int(doc.mask(ann["id"]).sum())
    except InputError:
        return None


def _review_states(review) -> Optional[set]:
    if review is None:
        return None
    states = {review} if isinstance(review, str) else set(review)
    wrong = sorted(str(s) for s in states - set(REVIEW_STATES))
    if wrong:
        raise InputError(f"The review state {wrong[0]!r} is not one of {', '.join(REVIEW_STATES)}; filter by those.")
    return states or None


def _select(doc: CocoDocument, category, sort: str, label: str, review=None) -> list:
    wanted = _category_ids(doc, category, label)
    states = _review_states(review)
    anns = [
        a
        for a in doc.annotations()
        if (wanted is None or a["category_id"] in wanted) and (states is None or review_state(a) in states)
    ]
    if sort == "id":
        return sorted(anns, key=lambda a: _id_key(a["id"]))
    image_order = {im["id"]: i for i, im in enumerate(doc.images)}
    if sort == "image":
        return sorted(anns, key=lambda a: (image_order[a["image_id"]], _id_key(a["id"])))
    if sort == "class":
        class_order = {c["id"]: i for i, c in enumerate(doc.categories)}
        return sorted(anns, key=lambda a: (class_order[a["category_id"]], image_order[a["image_id"]], _id_key(a["id"])))
    # area: smallest first (slivers and specks are the usual mistakes); box-only and
    # undecodable objects, which have no pixel count, come first of all
    areas = {id(a): _pixel_count(doc, a) for a in anns}
    return sorted(anns, key=lambda a: (areas[id(a)] is not None, areas[id(a)] or 0, _id_key(a["id"])))


def _by_change(doc: CocoDocument, old: CocoDocument, anns: list) -> list:
    """Objects by the IoU of their old and new masks, lowest first (one pair of masks decoded at a time);
    objects the other file lacks, or that cannot be compared, last."""

    def key(ann):
        before = _old_annotation(old, ann)
        try:
            if before is None or not doc.has_mask(ann["id"]) or not old.has_mask(before["id"]):
                return (1, 0.0)
            return (0, _iou(old.mask(before["id"]), doc.mask(ann["id"])))
        except InputError:
            return (1, 0.0)

    keys = {id(a): key(a) for a in anns}
    return sorted(anns, key=lambda a: keys[id(a)])  # stable: ids in order among equals


# -- one page's pixels -------------------------------------------------------------------------
def _crop_region(box, width: int, height: int) -> tuple:
    """A square-ish crop (x0, y0, x1, y1) round ``box`` with padding, inside the image."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1)
    side = max(side + 2 * max(_MIN_PAD, _PADDING * side), _MIN_CROP)
    crop_w, crop_h = int(min(math.ceil(side), width)), int(min(math.ceil(side), height))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    left = int(min(max(round(cx - crop_w / 2.0), 0), width - crop_w))
    top = int(min(max(round(cy - crop_h / 2.0), 0), height - crop_h))
    return left, top, left + crop_w, top + crop_h


def _resize(array: np.ndarray, size: tuple) -> np.ndarray:
    """Scale to (height, width): averaging down, blocks of pixels up (so pixels stay visible)."""
    import cv2

    height, width = size
    if array.shape[:2] == (height, width):
        return array
    up = height > array.shape[0] * 2
    method = cv2.INTER_NEAREST if up else cv2.INTER_AREA if height < array.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(array, (width, height), interpolation=method)


def _raster_size(crop_h: int, crop_w: int, raster: int) -> tuple:
    scale = raster / max(crop_h, crop_w)
    return max(1, round(crop_h * scale)), max(1, round(crop_w * scale))


def _why_undecodable(ann: dict, image: dict, error: InputError) -> str:
    """The reason alone (the document's sentence also names the file and says what to do)."""
    try:
        decode_segmentation(ann.get("segmentation"), int(image["height"]), int(image["width"]))
    except ValueError as exc:
        return str(exc).rstrip(".")
    return str(error).rstrip(".")


def _old_annotation(old: CocoDocument, ann: dict) -> Optional[dict]:
    """The annotation of the other file with the same id on the same image (a replayed file keeps ids)."""
    try:
        found = old.annotation(ann["id"])
    except InputError:
        return None
    return found if found.get("image_id") == ann["image_id"] else None


def _prepare(
    doc: CocoDocument,
    anns: Sequence[dict],
    locate: Optional[ImageLocator],
    raster: int,
    class_index: dict,
    old: Optional[CocoDocument] = None,
    reviews: bool = False,
) -> list:
    """Each object's crop, scaled to the tile raster; each image read once and let go at once.

    With ``old``, an object that the other file also has (same id and image) is drawn
    twice, old then new, over the same crop.
    """
    drawn = []
    for ann in anns:
        sources = [(doc, ann, "")]
        old_ann = _old_annotation(old, ann) if old is not None else None
        if old_ann is not None:
            sources = [(old, old_ann, "old"), (doc, ann, "new")]
        pair = [_decode(doc, source, source_ann, role, class_index, reviews) for source, source_ann, role in sources]
        boxes = [box for _, _, box, _ in pair if box is not None]
        height, width = _known_size(doc, ann["image_id"])
        if boxes:
            union = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
        fulls = [full for _, full, _, _ in pair]
        if len(pair) == 2:
            pair[1][0].iou = _iou(fulls[0], fulls[1])
        for item, full, _box, drawn_box in pair:
            item.region = _crop_region(union, width, height) if boxes else (0, 0, width, height)
            cx0, cy0, cx1, cy1 = item.region
            item.size = _raster_size(cy1 - cy0, cx1 - cx0, raster)
            if full is not None:
                crop = full[cy0:cy1, cx0:cx1]
                item.area = int(full.sum())
                item.mask = _resize(crop.astype(np.float32), item.size)
            if drawn_box is not None:
                sy, sx = item.size[0] / (cy1 - cy0), item.size[1] / (cx1 - cx0)
                bx0, by0, bx1, by1 = drawn_box
                item.box = ((bx0 - cx0) * sx, (by0 - cy0) * sy, (bx1 - cx0) * sx, (by1 - cy0) * sy)  # pixel edges
            drawn.append(item)
        del pair, fulls  # the full-size masks go before the next object is decoded
    _read_pictures(doc, drawn, locate)
    return drawn


def _known_size(doc: CocoDocument, image_id) -> tuple:
    """(height, width) of an image record; (0, 0) when neither the record nor the image says."""
    try:
        return doc.image_size(image_id)
    except InputError:
        return 0, 0


def _iou(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[float]:
    if a is None or b is None:
        return None
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


def _decode(doc: CocoDocument, source: CocoDocument, ann: dict, role: str, class_index: dict, reviews: bool) -> tuple:
    """One tile's object: (item, full-size mask or None, its box or None, a box-only object's box or None)."""
    image = doc.image(ann["image_id"])
    item = _Drawn(ann, doc.category_name(ann["category_id"]), class_index[ann["category_id"]], str(image["file_name"]))
    item.role = role
    item.review = review_state(ann) if reviews else ""
    height, width = _known_size(doc, ann["image_id"])
    box = full = drawn_box = None
    if source.has_mask(ann["id"]):
        try:
            full = source.mask(ann["id"])
        except InputError as exc:
            item.notes.append(f"cannot decode: {_why_undecodable(ann, image, exc)}")
        else:
            rows = np.flatnonzero(full.any(axis=1))
            if rows.size:
                cols = np.flatnonzero(full.any(axis=0))
                box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            else:
                full = None
                item.notes.append("empty mask")
    else:
        item.notes.append(BOX_ONLY)
    if box is None:
        bbox = ann.get("bbox")
        if isinstance(bbox, list) and len(bbox) == 4:
            x, y, w, h = (float(v) for v in bbox)
            bx0, by0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
            bx1, by1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
            if bx1 > bx0 and by1 > by0:
                box = drawn_box = (bx0, by0, bx1, by1)
                item.box_size = f"{bx1 - bx0:.0f} x {by1 - by0:.0f}"
        if box is None and item.notes == [BOX_ONLY]:
            item.notes = ["no mask and no box on the image"]
    return item, full, box, drawn_box


def _read_pictures(doc: CocoDocument, drawn: list, locate: Optional[ImageLocator]) -> None:
    """Each tile's picture: each image read once, cropped for its tiles, and let go."""
    by_image: dict = {}
    for item in drawn:
        by_image.setdefault(item.ann["image_id"], []).append(item)
    for image_id, items in by_image.items():
        record = doc.image(image_id)
        path = locate(record["file_name"]) if locate is not None else None
        if path is None:
            for item in items:
                item.notes.append(IMAGE_MISSING)
            continue
        try:
            try:
                expect = doc.image_size(image_id)
            except InputError:  # a record without a size: the image's own
                expect = None
            pixels = read_image(path, expect=expect, coco=doc.path)
        except InputError:
            for item in items:
                item.notes.append("image unreadable")
            continue
        try:
            height, width = doc.image_size(image_id)
        except InputError:
            height, width = pixels.shape[:2]
        if pixels.shape[:2] != (height, width):
            for item in items:
                item.notes.append(f"image is {pixels.shape[1]} x {pixels.shape[0]}, the file says {width} x {height}")
            continue
        for item in items:
            cx0, cy0, cx1, cy1 = item.region
            try:
                item.picture = _resize(as_rgb8(pixels[cy0:cy1, cx0:cx1]), item.size)
            except InputError:
                item.notes.append("image unreadable")
        del pixels  # one image at a time


# -- drawing ---------------------------------------------------------------------------------
# A page is one picture composed in numpy (tiles, fills, frames); matplotlib draws the
# outlines, boxes and text on a transparent figure of the same pixels, with one axes in
# page pixels, and _compose lays that over the picture. An axes per tile, and imshow of
# the picture, would cost matplotlib far more than the drawing itself.
def _columns(per_page: int) -> int:
    """Columns of a page of ``per_page`` tiles: a little wider than tall."""
    return max(1, math.ceil(math.sqrt(per_page * 1.3)))


def _ellipsis(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _title(item: _Drawn) -> str:
    parts = [_ellipsis(item.category, 22 if not (item.role or item.review) else 14), str(item.ann["id"])]
    return " · ".join(parts + [p for p in (item.role, item.review) if p])


def _caption(item: _Drawn) -> str:
    name = _ellipsis(PurePosixPath(item.file_name.replace("\\", "/")).name, 20)
    if item.iou is not None:
        return f"{name} · {item.area:,} px · IoU {item.iou:.3f}"
    if item.area is not None:
        return f"{name} · {item.area:,} px"
    if item.box_size:
        return f"{name} · box {item.box_size}"
    return name


def _legend_per_row(columns: int) -> int:
    return max(1, int((_page_width(columns) - 2 * _MARGIN) // 1.9))


def _page_width(columns: int) -> float:
    return max(2 * _MARGIN + columns * _CELL_W, _MIN_WIDTH)


def _new_figure(width_px: int, height_px: int, dpi: int):
    """A figure of exactly this many pixels at ``dpi``, on an Agg canvas (no display, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _tile_pixels(item: _Drawn, side: int) -> tuple:
    """The tile's square picture (uint8 RGB) with the fill laid on, and where the crop sits in it."""
    height, width = item.size
    dy, dx = (side - height) // 2, (side - width) // 2
    square = np.full((side, side, 3), 240, np.uint8)
    if item.picture is not None:
        picture, opacity = item.picture.astype(np.float32), _FILL
    else:
        picture, opacity = np.full((height, width, 3), 255.0 * _NO_IMAGE_GREY, np.float32), _FILL_NO_IMAGE
    if item.mask is not None:
        weight = (opacity * item.mask)[..., None]
        picture = picture * (1.0 - weight) + 255.0 * np.asarray(rgb(item.colour_index), np.float32) * weight
    square[dy : dy + height, dx : dx + width] = np.clip(np.rint(picture), 0, 255).astype(np.uint8)
    return square, dx, dy


def _draw_page(items: list, grid: tuple, header: str, subheader: str, dpi: int, class_names: dict):
    """One page of tiles on a grid of (columns, rows, legend rows): every page of a sheet has the same size.

    Returns the figure and each tile's title as drawn.
    """
    from matplotlib import patheffects
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Patch, Rectangle
    from skimage.measure import find_contours

    columns, rows, legend_space = grid
    classes = sorted({item.colour_index for item in items})
    per_row = _legend_per_row(columns)
    legend_rows = math.ceil(len(classes) / per_row)
    legend_space = max(legend_space, legend_rows)
    top = _HEADER + legend_space * _LEGEND_ROW
    px = lambda inches: int(round(inches * dpi))  # noqa: E731
    width, height = px(_page_width(columns)), px(top + rows * _CELL_H + _MARGIN)
    side, frame = px(_TILE), max(2, px(2.5 / 72))
    page = np.full((height, width, 3), 255, np.uint8)

    figure = _new_figure(width, height, dpi)
    figure.patch.set_alpha(0.0)  # drawn over the page picture by _compose
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    halo = [patheffects.withStroke(linewidth=3.2, foreground="white", alpha=0.8)]
    outlines, outline_colours, titles = [], [], []
    for index, item in enumerate(items):
        row, col = divmod(index, columns)
        x0 = px(_MARGIN + col * _CELL_W + (_CELL_W - _TILE) / 2)
        y0 = px(top + row * _CELL_H + 0.32)
        square, dx, dy = _tile_pixels(item, side)
        line = colour(item.colour_index)
        page[y0 - frame : y0 + side + frame, x0 - frame : x0 + side + frame] = np.asarray(rgb(item.colour_index)) * 255
        page[y0 : y0 + side, x0 : x0 + side] = square
        if item.mask is not None:
            # outlines of the mask padded with background, so an object at the crop's edge is closed;
            # contour points are pixel centres, page coordinates pixel edges
            for contour in find_contours(np.pad(item.mask, 1), 0.5):
                outlines.append(contour[:, ::-1] + (x0 + dx - 0.5, y0 + dy - 0.5))
                outline_colours.append(line)
        if item.box is not None:
            bx0, by0, bx1, by1 = item.box
            ax.add_patch(
                Rectangle(
                    (x0 + dx + bx0, y0 + dy + by0),
                    bx1 - bx0,
                    by1 - by0,
                    fill=False,
                    edgecolor=line,
                    linewidth=1.6,
                    linestyle="--",
                    path_effects=halo,
                )
            )
        centre = x0 + side / 2
        title = ax.text(
            centre,
            y0 - frame - px(0.04),
            _title(item),
            ha="center",
            va="bottom",
            fontsize=9,
            color=_REVIEW_COLOURS.get(item.review, "black"),
        )
        titles.append(title.get_text())
        ax.text(centre, y0 + side + frame + px(0.04), _caption(item), ha="center", va="top", fontsize=7)
        if item.notes:
            ax.text(
                centre,
                y0 + side - px(0.08),
                "\n".join(textwrap.fill(n, 34) for n in item.notes),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#a00000",
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5},
            )
    if outlines:
        ax.add_collection(LineCollection(outlines, colors=outline_colours, linewidths=1.4, path_effects=halo, zorder=2))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)

    figure.text(_MARGIN * dpi / width, 1 - px(0.3) / height, header, fontsize=13, weight="bold", va="center")
    figure.text(_MARGIN * dpi / width, 1 - px(0.58) / height, subheader, fontsize=9, va="center", color="#444444")
    if classes:
        handles = [
            Patch(facecolor=colour(i), edgecolor=colour(i), label=_ellipsis(class_names[i], 24)) for i in classes
        ]
        # matplotlib fills a legend column by column; order the entries to read row by row
        used = min(per_row, len(handles))
        handles = [
            handles[r * used + c] for c in range(used) for r in range(legend_rows) if r * used + c < len(handles)
        ]
        figure.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(_MARGIN * dpi / width - 0.005, 1 - px(_HEADER - 0.05) / height),
            ncol=used,
            frameon=False,
            fontsize=8,
            handlelength=1.2,
            columnspacing=1.2,
            borderaxespad=0,
            borderpad=0,
        )
    return figure, page, titles


def _draw_empty(message: str, header: str, dpi: int):
    width, height = int(round(_MIN_WIDTH * dpi)), int(round(2.6 * dpi))
    figure = _new_figure(width, height, dpi)
    figure.text(_MARGIN / _MIN_WIDTH, 1 - 0.3 / 2.6, header, fontsize=13, weight="bold", va="center")
    figure.text(0.5, 0.45, textwrap.fill(message, 70), fontsize=12, ha="center", va="center", color="#444444")
    return figure


def _compose(figure, page: Optional[np.ndarray] = None) -> np.ndarray:
    """The figure drawn by Agg over the page picture (numpy blending: no resampling of the picture)."""
    figure.canvas.draw()
    drawn = np.asarray(figure.canvas.buffer_rgba())
    if page is None:
        return drawn[..., :3].copy()
    covered = drawn[..., 3] > 0  # text and lines: a small part of the page
    alpha = drawn[..., 3][covered].astype(np.float32)[:, None] / 255.0
    out = page.copy()
    blended = out[covered].astype(np.float32) * (1.0 - alpha) + drawn[..., :3][covered].astype(np.float32) * alpha
    out[covered] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out


def _png_bytes(pixels: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", np.ascontiguousarray(pixels[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise InputError("Could not encode a page of the sheet as PNG; write a .pdf sheet instead.")
    return data.tobytes()


# -- a PDF streamed page by page -------------------------------------------------------------
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


# -- the sheet -----------------------------------------------------------------------------------
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
            figure, picture, titles = _draw_page(items, grid, label, sub, dpi, class_names)
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
