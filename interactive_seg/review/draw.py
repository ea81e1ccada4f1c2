"""Drawing a page: tiles, fills and frames composed in numpy, outlines, boxes and text by matplotlib."""

from __future__ import annotations

import math
import textwrap
from pathlib import PurePosixPath
from typing import Optional

import numpy as np

from ..errors import InputError
from ..palette import hex_to_rgb
from .tiles import _Drawn

# page geometry, inches
_TILE = 2.2  # the picture of one object (square)
_CELL_W, _CELL_H = 2.5, 2.2 + 0.62  # a tile with its title above and its caption below
_MARGIN = 0.35
_HEADER = 0.75
_LEGEND_ROW = 0.24
_MIN_WIDTH = 7.0
_PNG_DPI = 100
_PDF_DPI = 150

_FILL = 0.3  # opacity of the mask's fill over the picture
_FILL_NO_IMAGE = 0.55
_NO_IMAGE_GREY = 0.85

_REVIEW_COLOURS = {"accepted": "#1a7f37", "rejected": "#b00020"}  # a title's colour by review state


# A page is one picture composed in numpy (tiles, fills, frames); matplotlib draws the
# outlines, boxes and text on a transparent figure of the same pixels, with one axes in
# page pixels, and _compose lays that over the picture. An axes per tile, and imshow of
# the picture, would cost matplotlib far more than the drawing itself.


def shown(text: str) -> str:
    """``text`` as a font can draw it: a file name that is not UTF-8 on disk (its bytes kept
    as lone surrogates) shows U+FFFD where those bytes are, as file managers show it."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


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


def _tile_pixels(item: _Drawn, side: int, fill: str) -> tuple:
    """The tile's square picture (uint8 RGB) with the fill (``"#rrggbb"``) laid on, and where the crop sits in it."""
    height, width = item.size
    dy, dx = (side - height) // 2, (side - width) // 2
    square = np.full((side, side, 3), 240, np.uint8)
    if item.picture is not None:
        picture, opacity = item.picture.astype(np.float32), _FILL
    else:
        picture, opacity = np.full((height, width, 3), 255.0 * _NO_IMAGE_GREY, np.float32), _FILL_NO_IMAGE
    if item.mask is not None:
        weight = (opacity * item.mask)[..., None]
        picture = picture * (1.0 - weight) + 255.0 * np.asarray(hex_to_rgb(fill), np.float32) * weight
    square[dy : dy + height, dx : dx + width] = np.clip(np.rint(picture), 0, 255).astype(np.uint8)
    return square, dx, dy


def _draw_page(items: list, grid: tuple, header: str, subheader: str, dpi: int, class_names: dict, colours: list):
    """One page of tiles on a grid of (columns, rows, legend rows): every page of a sheet has the same size.
    ``colours``: each category's ``"#rrggbb"`` by its index in the file (``palette.category_colours``).

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
        line = colours[item.colour_index]
        square, dx, dy = _tile_pixels(item, side, line)
        page[y0 - frame : y0 + side + frame, x0 - frame : x0 + side + frame] = np.asarray(hex_to_rgb(line)) * 255
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
            shown(_title(item)),
            ha="center",
            va="bottom",
            fontsize=9,
            color=_REVIEW_COLOURS.get(item.review, "black"),
        )
        titles.append(title.get_text())
        ax.text(centre, y0 + side + frame + px(0.04), shown(_caption(item)), ha="center", va="top", fontsize=7)
        if item.notes:
            ax.text(
                centre,
                y0 + side - px(0.08),
                shown("\n".join(textwrap.fill(n, 34) for n in item.notes)),
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

    figure.text(_MARGIN * dpi / width, 1 - px(0.3) / height, shown(header), fontsize=13, weight="bold", va="center")
    figure.text(
        _MARGIN * dpi / width, 1 - px(0.58) / height, shown(subheader), fontsize=9, va="center", color="#444444"
    )
    if classes:
        handles = [
            Patch(facecolor=colours[i], edgecolor=colours[i], label=_ellipsis(class_names[i], 24)) for i in classes
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
    figure.text(_MARGIN / _MIN_WIDTH, 1 - 0.3 / 2.6, shown(header), fontsize=13, weight="bold", va="center")
    figure.text(0.5, 0.45, shown(textwrap.fill(message, 70)), fontsize=12, ha="center", va="center", color="#444444")
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
