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
imported by this package, lazily, and only through its Agg canvas (no display, no pyplot state).
A PDF is written by this package, one JPEG-compressed picture per page streamed to the
file: matplotlib's own PDF backend keeps every image of every page until the file is
closed.

Class colours are the widget's (:func:`interactive_seg.palette.category_colours`): a
category's stored ``"color"``, else the palette's colour of its index in the file's
category order.

The package's modules, one per stage: :mod:`.select` (which objects, in which order),
:mod:`.tiles` (one page's crops and masks, each image read once), :mod:`.draw` (a page's
picture, matplotlib for the lines and text), :mod:`.pdf` (the streamed PDF) and
:mod:`.sheet` (:func:`contact_sheet`, which runs them page after page).
"""

from .sheet import MAX_PER_PAGE, PER_PAGE, SORTS, Page, Sheet, Tile, contact_sheet

__all__ = ["contact_sheet", "Sheet", "Page", "Tile", "SORTS", "PER_PAGE", "MAX_PER_PAGE"]
