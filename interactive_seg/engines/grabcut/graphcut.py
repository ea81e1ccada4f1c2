"""GrabCut's graph cut with the colour models frozen, built here so its energy can change.

``cv2.grabCut(..., GC_EVAL_FREEZE_MODEL)`` cuts a fixed energy: the colour models' data
term and an 8-neighbour smoothness term of weight 50, with no way to add anything. The
GrabCut engine's click prior (``click_prior``) needs one more unary term, so for clicks on
a continued object it builds the same graph itself and cuts it with PyMaxflow (the
Boykov-Kolmogorov algorithm, as OpenCV's own ``GCGraph``). Without the extra term
:func:`cut` gives ``cv2.grabCut``'s labelling (the tests check it).

:func:`band_cut` cuts the same energy again on a band of full-resolution pixels round a
mask scaled up from the working size (the engine's ``band``), with work that grows with
the boundary's length.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from . import colour_models

__all__ = ["GAMMA", "smoothness", "GridCut", "cut", "band_cut"]

GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD
#: OpenCV's smoothness weight; hard labels are linked with 9 times that (its ``lambda``).
GAMMA = 50.0
# (dy, dx) of the four neighbours OpenCV links each pixel to: left, up-left, up, up-right
_OFFSETS = ((0, -1), (-1, -1), (-1, 0), (-1, 1))


def _neighbour_pairs(h: int, w: int):
    """For each of ``_OFFSETS``, the slices of the pixels that have that neighbour and of
    the neighbours themselves, on an ``h`` x ``w`` grid."""
    for dy, dx in _OFFSETS:
        ys, xs = slice(-dy, h), slice(max(0, -dx), w - max(0, dx))
        yield (ys, xs), (slice(ys.start + dy, h + dy), slice(xs.start + dx, xs.stop + dx))


def boundary_cost(mask: np.ndarray, weights: list) -> float:
    """The smoothness term a labelling pays: the ``weights`` (see ``smoothness``) of every
    neighbour pair that ``mask`` puts on different sides."""
    h, w = mask.shape
    return float(
        sum(wmap[here][mask[here] != mask[there]].sum() for (here, there), wmap in zip(_neighbour_pairs(h, w), weights))
    )


def smoothness(pixels: np.ndarray, gamma: float = GAMMA) -> list:
    """The four pairwise weight maps of GrabCut's smoothness term, OpenCV's formula:
    ``gamma * exp(-beta * |z_p - z_q|^2)`` (over sqrt(2) for diagonal neighbours), with
    ``beta`` one over twice the mean squared colour difference of neighbours. Map ``k``
    links each pixel to its neighbour at ``_OFFSETS[k]`` (0 where there is none)."""
    img = np.asarray(pixels, np.float64)
    h, w = img.shape[:2]
    diffs = []
    for here, there in _neighbour_pairs(h, w):
        d = np.zeros((h, w))
        diff = img[here] - img[there]
        d[here] = (diff * diff).sum(-1)
        diffs.append(d)
    total = sum(float(d.sum()) for d in diffs)
    count = 4 * h * w - 3 * w - 3 * h + 2
    beta = 0.0 if total <= 1e-12 or count <= 0 else 1.0 / (2.0 * total / count)
    weights = []
    for (dy, dx), d in zip(_OFFSETS, diffs):
        wmap = (gamma / np.sqrt(2.0) if dy and dx else gamma) * np.exp(-beta * d)
        if dy:
            wmap[0, :] = 0
        if dx == -1:
            wmap[:, 0] = 0
        if dx == 1:
            wmap[:, -1] = 0
        weights.append(wmap)
    return weights


class GridCut:
    """The graph of one working grid's smoothness ``weights``, kept between the cuts of one
    call: a cut after the first changes only the terminal capacities (by their difference)
    and reuses the last maxflow's search trees (Kohli and Torr, ICCV 2005), so the cuts
    after the first cost what the colour models' refit and the pins changed. The cut is
    the same minimum cut a fresh graph gives."""

    def __init__(self, weights: list):
        import maxflow  # PyMaxflow

        h, w = weights[0].shape
        self.weights = weights
        self.graph = maxflow.Graph[float](h * w, 4 * h * w)
        self.nodes = self.graph.add_grid_nodes((h, w))
        for (dy, dx), wmap in zip(_OFFSETS, weights):
            structure = np.zeros((3, 3))
            structure[1 + dy, 1 + dx] = 1
            self.graph.add_grid_edges(self.nodes, weights=wmap, structure=structure, symmetric=True)
        self._caps = None

    def background(self, to_source: np.ndarray, to_sink: np.ndarray) -> np.ndarray:
        """(h, w) bool: the pixels on the background side of the minimum cut with these
        terminal capacities (``to_source`` paid when a pixel ends up background,
        ``to_sink`` when it ends up object)."""
        if self._caps is None:
            self.graph.add_grid_tedges(self.nodes, to_source, to_sink)
            self.graph.maxflow()
        else:
            d_source, d_sink = to_source - self._caps[0], to_sink - self._caps[1]
            changed = (d_source != 0) | (d_sink != 0)
            self.graph.add_grid_tedges(self.nodes, d_source, d_sink)
            self.graph.mark_grid_nodes(self.nodes[changed])
            self.graph.maxflow(reuse_trees=True)
        self._caps = (to_source, to_sink)
        return self.graph.get_grid_segments(self.nodes)


def cut(
    pixels: np.ndarray,
    labels: np.ndarray,
    bg_model: np.ndarray,
    fg_model: np.ndarray,
    *,
    gamma: float = GAMMA,
    weights: Optional[list] = None,
    extra: Optional[tuple] = None,
    graph: Optional[GridCut] = None,
) -> np.ndarray:
    """One graph cut of GrabCut's energy with the colour models frozen; relabels the
    probable pixels of ``labels`` in place (``GC_PR_FGD`` / ``GC_PR_BGD``) and returns it.

    Parameters
    ----------
    pixels : (H, W, 3) array
        The colours the models describe.
    labels : (H, W) uint8
        GrabCut labels; ``GC_FGD`` / ``GC_BGD`` pixels stay as they are.
    bg_model, fg_model : array
        Colour models in OpenCV's layout (65 doubles, see ``colour_models``).
    gamma : float
        Smoothness weight (OpenCV's 50).
    weights : list, optional
        :func:`smoothness`'s maps for these pixels and ``gamma`` (computed when ``None``).
    extra : (object_cost, background_cost), optional
        Per-pixel costs added to labelling a probable pixel object and background.
    graph : GridCut, optional
        The graph of the last cut on the same grid and ``weights``, cut again from where
        it ended (a fresh graph when ``None`` or built for other weights).
    """
    h, w = labels.shape
    if weights is None:
        weights = graph.weights if graph is not None else smoothness(pixels, gamma)
    flat = labels.reshape(-1)
    free = (flat == GC_PR_BGD) | (flat == GC_PR_FGD)
    hard = 9.0 * gamma
    to_source = np.zeros(h * w)  # paid when the pixel ends up background
    to_sink = np.zeros(h * w)  # paid when it ends up object
    if free.any():
        x = np.asarray(pixels, np.float64).reshape(-1, 3)[free]
        background = -colour_models.log_likelihood(np.asarray(bg_model, np.float64).ravel(), x)
        obj = -colour_models.log_likelihood(np.asarray(fg_model, np.float64).ravel(), x)
        if extra is not None:
            obj = obj + np.asarray(extra[0], np.float64).reshape(-1)[free]
            background = background + np.asarray(extra[1], np.float64).reshape(-1)[free]
        low = np.minimum(obj, background)  # the same constant off both: capacities >= 0
        to_source[free] = background - low
        to_sink[free] = obj - low
    to_source[flat == GC_FGD] = hard
    to_sink[flat == GC_BGD] = hard
    if graph is None or graph.weights is not weights:
        graph = GridCut(weights)
    background_side = graph.background(to_source.reshape(h, w), to_sink.reshape(h, w)).reshape(-1)
    flat[free] = np.where(background_side[free], GC_PR_BGD, GC_PR_FGD)
    return labels


def band_cut(
    pixels: np.ndarray,
    mask: np.ndarray,
    small: np.ndarray,
    radius: int,
    bg_model: np.ndarray,
    fg_model: np.ndarray,
    *,
    marks: tuple = (),
    gamma: float = GAMMA,
    exact_beta_pixels: int = 1 << 18,
    tile: int = 32,
    only: Optional[np.ndarray] = None,
) -> np.ndarray:
    """``mask`` (changed in place and returned) with the pixels within ``radius`` of its
    boundary cut again, on these (full-resolution) pixels, with GrabCut's energy under
    frozen colour models; every other pixel keeps its side.

    ``mask`` must be ``small`` (the working-size mask) scaled up with ``cv2.INTER_LINEAR``
    and thresholded at half. The band is looked for only in the tiles of ``tile`` pixels
    whose footprint in ``small`` holds both sides, so the work grows with the boundary's
    length, not the region's area; it is the band an erosion and a dilation of the whole
    mask (elliptic, ``radius``, edges replicated) would give. ``marks`` holds
    ``(values, ys, xs, side)`` tuples: boolean arrays placed at the region slices ``ys``,
    ``xs``, whose True pixels keep ``side``. Only the band's unmarked pixels are graph
    nodes; their links to fixed neighbours become unary costs. ``beta`` is OpenCV's, from
    the mean squared colour difference of the neighbours in the band's bounding box (on a
    regular subsample of a quarter of ``exact_beta_pixels`` beyond that many). ``only``
    (boolean, ``small``'s shape): only the tiles whose footprint holds one of its pixels
    are cut again (the rest of ``mask`` is kept as given)."""
    import maxflow  # PyMaxflow

    h, w = mask.shape
    sh, sw = small.shape
    r = int(radius)
    m8 = small.astype(np.uint8)
    k3 = np.ones((3, 3), np.uint8)
    edge = cv2.dilate(m8, k3) != cv2.erode(m8, k3)
    if only is not None:
        edge &= only
    integral = cv2.integral(edge.astype(np.uint8))

    def footprint(starts, full, work):
        # working pixels whose values reach the full pixels [start - r, start + tile + r)
        lo = np.maximum(starts - r, 0)
        hi = np.minimum(starts + tile + r, full)
        a = np.floor((lo + 0.5) * work / full - 0.5).astype(np.int64) - 1
        b = np.floor((hi - 0.5) * work / full - 0.5).astype(np.int64) + 3
        return np.clip(a, 0, work), np.clip(b, 0, work)

    ty = np.arange(0, h, tile)
    tx = np.arange(0, w, tile)
    ya, yb = footprint(ty, h, sh)
    xa, xb = footprint(tx, w, sw)
    mixed = (
        integral[yb[:, None], xb[None, :]]
        - integral[ya[:, None], xb[None, :]]
        - integral[yb[:, None], xa[None, :]]
        + integral[ya[:, None], xa[None, :]]
    ) > 0
    ti, tj = np.nonzero(mixed)
    if ti.size == 0:
        return mask
    # the mixed tiles with an apron of r, stacked; clipped coordinates replicate the edges
    span = np.arange(-r, tile + r)
    gy = np.clip(ty[ti][:, None] + span, 0, h - 1)
    gx = np.clip(tx[tj][:, None] + span, 0, w - 1)
    stack = mask[gy[:, :, None], gx[:, None, :]].view(np.uint8).reshape(-1, tile + 2 * r)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    band = cv2.dilate(stack, kernel) != cv2.erode(stack, kernel)
    band = band.reshape(ti.size, tile + 2 * r, tile + 2 * r)[:, r : r + tile, r : r + tile]
    t, ly, lx = np.nonzero(band)
    ys, xs = ty[ti][t] + ly, tx[tj][t] + lx
    inside = (ys < h) & (xs < w)
    t, ys, xs = t[inside], ys[inside], xs[inside]
    if ys.size == 0:
        return mask

    def marked(qy, qx):
        """(is marked, the mark's side) for pixels (qy, qx) of the region."""
        hit = np.zeros(qy.shape, bool)
        side = np.zeros(qy.shape, bool)
        for values, sy, sx, value in marks:
            within = (qy >= sy.start) & (qy < sy.stop) & (qx >= sx.start) & (qx < sx.stop)
            on = np.zeros(qy.shape, bool)
            on[within] = values[qy[within] - sy.start, qx[within] - sx.start]
            hit |= on
            side[on] = value
        return hit, side

    hit, side = marked(ys, xs)
    if hit.any():
        mask[ys[hit], xs[hit]] = side[hit]
    t, py, px = t[~hit], ys[~hit], xs[~hit]
    n = py.size
    if n == 0:
        return mask
    # node ids by tile: slot[tile row, tile column] is the tile's place in the stack
    slot = np.full(mixed.shape, -1, np.int64)
    slot[ti, tj] = np.arange(ti.size)
    node = np.full((ti.size, tile, tile), -1, np.int64)
    node[t, py - ty[ti][t], px - tx[tj][t]] = np.arange(n)

    y0, y1 = max(0, int(ys.min()) - 1), min(h, int(ys.max()) + 2)
    x0, x1 = max(0, int(xs.min()) - 1), min(w, int(xs.max()) + 2)
    bh, bw = y1 - y0, x1 - x0
    img = pixels[y0:y1, x0:x1]
    step = 1 if bh * bw <= exact_beta_pixels else int(np.ceil(np.sqrt(4 * bh * bw / exact_beta_pixels)))
    total, count = 0.0, 0
    for dy, dx in _OFFSETS:
        a = img[max(0, -dy) : bh - max(0, dy), max(0, -dx) : bw - max(0, dx)]
        b = img[max(0, -dy) + dy : bh - max(0, dy) + dy, max(0, -dx) + dx : bw - max(0, dx) + dx]
        if step > 1:
            a, b = a[::step, ::step], b[::step, ::step]
        if img.dtype == np.uint8:  # the squares' sum, exact in integers (and faster)
            d = a.astype(np.int16) - b
            total += float(np.einsum("ijk,ijk->", d, d, dtype=np.int64))
        else:
            d = a.astype(np.float64) - b
            total += float((d * d).sum())
        count += a.shape[0] * a.shape[1]
    beta = 0.0 if total <= 1e-12 or count == 0 else 1.0 / (2.0 * total / count)

    x = _gather(pixels, py, px).astype(np.float64)
    background = -colour_models.log_likelihood(np.asarray(bg_model, np.float64).ravel(), x)
    obj = -colour_models.log_likelihood(np.asarray(fg_model, np.float64).ravel(), x)
    low = np.minimum(obj, background)
    to_source, to_sink = background - low, obj - low

    # all eight neighbours of every node at once: (node, neighbour row, column, gamma)
    steps = [(s * dy, s * dx) for dy, dx in _OFFSETS for s in (1, -1)]
    dys = np.array([dy for dy, _ in steps], np.int64)[:, None]
    dxs = np.array([dx for _, dx in steps], np.int64)[:, None]
    qy = (py[None, :] + dys).ravel()
    qx = (px[None, :] + dxs).ravel()
    p_i = np.tile(np.arange(n), len(steps))
    gammas = np.repeat(np.where((dys != 0) & (dxs != 0), gamma / np.sqrt(2.0), gamma).ravel(), n)
    first = np.repeat(np.arange(len(steps)) % 2 == 0, n)  # the +offset half: free pairs once
    if py.min() == 0 or px.min() == 0 or py.max() == h - 1 or px.max() == w - 1:
        ok = (qy >= 0) & (qy < h) & (qx >= 0) & (qx < w)
        p_i, qy, qx, gammas, first = p_i[ok], qy[ok], qx[ok], gammas[ok], first[ok]
    q_colour = _gather(pixels, qy, qx)
    x32 = x.astype(np.float32)
    diff = x32.take(p_i, axis=0) - q_colour
    weight = gammas * np.exp(-beta * np.einsum("ij,ij->i", diff, diff))
    node_flat = np.concatenate([node.reshape(-1), np.full(1, -1, np.int64)])
    q_slot = slot[qy // tile, qx // tile]
    where = np.where(q_slot >= 0, q_slot * (tile * tile) + (qy % tile) * tile + qx % tile, node_flat.size - 1)
    q_node = node_flat.take(where)
    fixed = q_node < 0
    fy, fx = qy[fixed], qx[fixed]
    q_hit, q_side = marked(fy, fx)
    q_obj = np.where(q_hit, q_side, mask.reshape(-1).take(fy * w + fx))
    pf, wf = p_i[fixed], weight[fixed]
    # fixed neighbours: the link is paid when the pixel takes the other side
    to_source += np.bincount(pf[q_obj], wf[q_obj], minlength=n)
    to_sink += np.bincount(pf[~q_obj], wf[~q_obj], minlength=n)
    pairs = ~fixed & first
    graph = maxflow.Graph[float](n, 4 * n)
    graph.add_nodes(n)
    graph.add_edges(p_i[pairs], q_node[pairs], weight[pairs], weight[pairs])
    ids = np.arange(n)
    graph.add_grid_tedges(ids, to_source, to_sink)
    graph.maxflow()
    mask[py, px] = ~graph.get_grid_segments(ids)
    return mask


def _gather(pixels: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``pixels[ys, xs]``; for a window of a contiguous RGB image, as one flat ``take``
    (several times faster than indexing the window with two arrays)."""
    height, width = pixels.shape[:2]
    if (
        pixels.ndim == 3
        and pixels.strides[2] == 1
        and pixels.strides[1] == 3
        and pixels.strides[0] % 3 == 0
        and height
        and width
    ):
        row = pixels.strides[0] // 3
        flat = np.lib.stride_tricks.as_strided(
            pixels, shape=((height - 1) * row + width, 3), strides=(3, 1), writeable=False
        )
        return flat.take(ys * row + xs, axis=0)
    return pixels[ys, xs]
