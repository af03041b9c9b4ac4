"""The network drawn like the exercise's Figure 1, with matplotlib (Agg; no Graphviz).

Input, hidden and output units are circles with their values (z and h inside the hidden
ones), edges carry their weights (and, optionally, ∂L/∂w below them, written "∇ = −2.993"),
biases sit under the units (with ∂L/∂b), the loss beside the output. The explained
parameters' edges and biases are in red.

Each edge's label sits on its edge, centred on the line, on a white box that interrupts it:
where along the edge is chosen by :func:`label_positions` so that no two labels overlap and
none covers a unit, a bias or the loss, and so that as few other edges as possible pass under
a label, none near its centre (a label on a crossing could be either edge's). The figure
widens with the units per layer for that room, and up to 6 units per layer it is drawn again
wider (twice at most) while a label finds no clear place; the tests check all of it on the
networks they draw, up to 6 units per layer. Past 6 the figure widens no more and labels may
overlap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.text import Text

from glassnet._checks import Array
from glassnet._files import atomic_write, suffix_of
from glassnet.explain._derivation import Derivation
from glassnet.explain._symbols import LatexStyle
from glassnet.plots import figure_writer, one_figure_at_a_time

FIGURE_FORMATS = {".png": "png", ".svg": "svg"}
COLUMN_GAP = 3.2  # between layers of up to 3 units; wider for more (see _column_gap)
# up to MAX_CLEAR_UNITS units per layer, a figure whose labels find no clear place is drawn
# again, GAP_STEP wider between layers, up to _WIDENINGS times in all
GAP_STEP, MAX_CLEAR_UNITS, _WIDENINGS = 0.8, 6, 3
ROW_GAP = 1.5
RADIUS = 0.42
# points kept clear beside and above/below each edge label (its white box is 1.1 points wide): two
# labels side by side read as one line, so more beside
LABEL_MARGIN = (7.0, 4.0)
NABLA, MINUS = "∇", "\u2212"  # text, as in the title's legend (DejaVu Sans has both)
# where a label may sit: its centre at (1 - t)·start + t·end of its edge, t from this grid
_STOPS = np.linspace(0.04, 0.96, 47)
_SWEEPS = 4  # of placing every label given the others; the first given only those before it
# what a label's place costs: covering a unit, a bias, the loss or another label (all but
# ruled out); each other edge under it, _NEAR times more for one through its centre, fading to
# nothing more at a label's height from it; then the distance from the middle of its edge
_COVERS, _CROSSING, _NEAR, _OFF_MIDDLE = 1000.0, 4.0, 4.0, 1.0
# The most weights a figure draws, each edge with its value and gradient: a label's place is
# weighed against every other edge, so the time grows with their square (2 s for 216 weights,
# 130 s for 3,000), and past a few hundred labels the figure is unreadable anyway.
MAX_FIGURE_WEIGHTS = 256


def _math(text: str) -> str:
    return f"${text}$"


def _number(s: LatexStyle, value: float) -> str:
    """``value`` for a label: maths when LatexStyle writes it as 1.2 \\times 10^{4}, which
    matplotlib shows as its source outside $…$; else text with a real minus sign (U+2212), the
    sign that mathtext draws, where matplotlib would show the hyphen of "-2.993"."""
    text = s.num(value)
    return _math(text) if "\\" in text else text.replace("-", MINUS)


def _gradient(s: LatexStyle, value: float) -> str:
    """The line under a weight or bias: "∇ = −2.993", never "∇-2.993", which read as ∇ minus 2.993."""
    return f"{NABLA} = {_number(s, value)}"


def _column_gap(sizes: Sequence[int]) -> float:
    """Room between layers for their edges' labels: 0.8 wider for each unit past 3 in the widest
    layer, up to 6 (4 units: 4.0, the 16 labels of 4 → 4 units clear of each other and of the
    crossings); past 6, a figure that wide would not be read, so no wider."""
    return COLUMN_GAP + 0.8 * min(3, max(0, max(sizes) - 3))


@one_figure_at_a_time
def draw_network(
    d: Derivation,
    *,
    gradients: bool = True,
    title: str | None = None,
    digits: int = 4,
    reading: str | None = None,
) -> Figure:
    """A Figure of the network with the derivation's values (``digits`` significant digits).

    The loss box names the target y and the loss L; ``reading``, a line under the title, may say
    which reading of the loss is drawn (when a text derives two). Edge labels have the gid
    ``weight-ℓ-i-j`` (their lines ``edge-ℓ-i-j``), i and j from 1."""
    weights = sum(layer.weight.size for layer in d.layers)
    if weights > MAX_FIGURE_WEIGHTS:
        raise ValueError(
            f"a figure draws each weight with its value and gradient, at most {MAX_FIGURE_WEIGHTS} weights; "
            f"this network has {weights} (layer sizes {list(d.notation.sizes)}): leave the figure out, the "
            "explanation's text gives every value"
        )
    gap = _column_gap(d.notation.sizes)
    for _ in range(_WIDENINGS):
        fig, clear = _drawn(d, gap, gradients=gradients, title=title, digits=digits, reading=reading)
        if clear or max(d.notation.sizes) > MAX_CLEAR_UNITS:  # wider, past that, would not be read
            break
        gap += GAP_STEP
    return fig


def _drawn(
    d: Derivation, gap: float, *, gradients: bool, title: str | None, digits: int, reading: str | None
) -> tuple[Figure, bool]:
    """The figure of :func:`draw_network` with layers ``gap`` apart, and whether every edge label
    found a clear place."""
    s, n = LatexStyle(digits), d.notation
    sizes = n.sizes
    height = max(sizes)
    fig = Figure(figsize=(gap * len(sizes) + 1.5, ROW_GAP * height + 2.2))
    # the caption is text, never mathtext, so that a title's "$" stays a dollar sign ("$5 and $6")
    # and a "$\badcmd$" draws as written; the legend's ∇ and ∂ are Unicode here (DejaVu Sans has
    # them). Without a title the legend and the reading still say what the figure shows.
    lines = [title] if title else []
    if gradients:
        lines.append(f"{NABLA} = ∂L/∂w or ∂L/∂b, from the backward pass; red: the explained parameter")
    if reading:
        lines.append(reading)
    caption = "\n".join(lines) if lines else None
    top = 0.96 if caption is None else 0.88 - 0.04 * max(0, caption.count("\n") - 1)  # room for its lines
    ax = fig.add_axes((0.02, 0.02, 0.96, top))
    ax.set_axis_off()
    ax.set_aspect("equal")

    def position(layer: int, unit: int) -> tuple[float, float]:
        count = sizes[layer]
        return layer * gap, ((count - 1) / 2 - unit) * ROW_GAP

    highlighted = {(r.ref.layer, r.ref.row, r.ref.col) for r in d.params if r.ref.kind == "weight"}
    highlighted_bias = {(r.ref.layer, r.ref.row) for r in d.params if r.ref.kind == "bias"}
    edge_labels: list[Text] = []
    segments: list[tuple[float, float, float, float]] = []  # each edge as drawn: x0, y0, x1, y1
    for layer_record, (grad_w, grad_b) in zip(d.layers, d.gradients, strict=True):
        ell = layer_record.index
        rows, cols = layer_record.weight.shape
        for i in range(rows):
            for j in range(cols):
                (x0, y0), (x1, y1) = position(ell - 1, j), position(ell, i)
                hot = (ell, i, j) in highlighted
                segments.append((x0 + RADIUS, y0, x1 - RADIUS, y1))
                ax.plot(
                    [x0 + RADIUS, x1 - RADIUS],
                    [y0, y1],
                    color="C3" if hot else "0.55",
                    lw=2.2 if hot else 1.0,
                    zorder=1,
                    gid=f"edge-{ell}-{i + 1}-{j + 1}",
                )
                label = _number(s, float(layer_record.weight[i, j]))
                if gradients:
                    label += "\n" + _gradient(s, float(grad_w[i, j]))
                text = ax.text(
                    (x0 + x1) / 2,  # placed by _place_edge_labels once every size is known
                    (y0 + y1) / 2,
                    label,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="C3" if hot else "0.1",
                    zorder=3,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                    gid=f"weight-{ell}-{i + 1}-{j + 1}",
                )
                edge_labels.append(text)
        for i in range(rows):
            x, y = position(ell, i)
            bias = _math(s.sym(n.bias(ell), i + 1)) + f" = {_number(s, float(layer_record.bias[i]))}"
            if gradients:
                bias += "\n" + _gradient(s, float(grad_b[i]))
            hot = (ell, i) in highlighted_bias
            ax.text(
                x, y - RADIUS - 0.08, bias, ha="center", va="top", fontsize=7, color="C3" if hot else "0.25"
            )
    centres = []
    for layer in range(len(sizes)):
        for unit in range(sizes[layer]):
            x, y = position(layer, unit)
            centres.append((x, y, RADIUS))
            ax.add_patch(
                Circle((x, y), RADIUS, fc="#e8f0fb" if layer else "#eeeeee", ec="0.2", lw=1.2, zorder=2)
            )
            idx = (unit + 1,)
            if layer == 0:
                lines = [_math(s.sym(n.post(0), *idx)) + f" = {_number(s, float(d.x[unit]))}"]
            else:
                record = d.layers[layer - 1]
                out_idx = () if (layer == n.depth and n.outputs == 1) else idx
                lines = []
                if record.activation is not None:
                    lines.append(
                        _math(s.sym(n.pre(layer), *out_idx)) + f" = {_number(s, float(record.z[unit]))}"
                    )
                lines.append(
                    _math(s.sym(n.post(layer), *out_idx)) + f" = {_number(s, float(record.output[unit]))}"
                )
            ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=7.5, zorder=4)
    last_x = n.depth * gap
    target = n.target()
    one = d.loss.target.size == 1
    targets = [
        _math(s.sym(target) if one else s.sym(target, k + 1)) + f" = {_number(s, float(value))}"
        for k, value in enumerate(d.loss.target)
    ]
    ax.text(
        last_x + RADIUS + 0.35,
        0,
        "\n".join([*targets, f"$L$ = {_number(s, d.loss.value)}"]),  # the target beside its loss
        ha="left",
        va="center",
        fontsize=9,
        bbox={"boxstyle": "round,pad=0.3", "fc": "#fff5e6", "ec": "0.4"},
    )
    half = (height - 1) / 2 * ROW_GAP
    ax.set_xlim(-RADIUS - 0.5, last_x + RADIUS + 2.2)
    ax.set_ylim(-half - RADIUS - 0.9, half + RADIUS + 0.3)
    if caption is not None:
        fig.suptitle(caption, fontsize=9, parse_math=False)
    clear = _place_edge_labels(
        fig, ax, edge_labels, np.array(segments, dtype=float), np.array(centres, dtype=float)
    )
    return fig, clear


def _place_edge_labels(fig: Figure, ax: Axes, labels: list[Text], segments: Array, circles: Array) -> bool:
    """Move each edge label along its edge (see :func:`label_positions`), measured as drawn;
    whether every one found a clear place."""
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]  # not annotated
    ax.apply_aspect()  # the data-to-pixel scale of the drawn axes
    to_data = ax.transData.inverted()
    margin_x, margin_y = (points * fig.dpi / 72 for points in LABEL_MARGIN)

    def box(text: Text) -> Array:  # (4,) x0, y0, x1, y1 in data units, with the margin
        (x0, y0), (x1, y1) = text.get_window_extent(renderer).get_points()
        corners = [(x0 - margin_x, y0 - margin_y), (x1 + margin_x, y1 + margin_y)]
        return np.asarray(to_data.transform(corners), dtype=float).ravel()

    drawn = np.array([box(text) for text in labels])  # (E, 4)
    half = (drawn[:, 2:] - drawn[:, :2]) / 2  # (E, 2)
    fixed = set(map(id, labels))
    others = [box(text) for text in ax.texts if id(text) not in fixed]
    obstacles = np.array(others, dtype=float).reshape(-1, 4)  # (K, 4): units, biases, the loss
    places, clear = label_positions(segments, half, obstacles, circles)
    for text, t, (x0, y0, x1, y1) in zip(labels, places, segments, strict=True):
        text.set_position((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    return clear


def label_positions(segments: Array, half: Array, obstacles: Array, circles: Array) -> tuple[Array, bool]:
    """Where along its edge each label goes: t in (0, 1), its centre at (1 − t)·start + t·end;
    and whether every label found a place clear of the others, the units, biases and loss, and
    of the other edges' lines near its centre.

    Shapes: segments (E, 4) as x0, y0, x1, y1; half (E, 2) each label's half width and height;
    obstacles (K, 4) boxes as x0, y0, x1, y1; circles (C, 3) as x, y, r; all in data units.

    Each label takes, in turn, the place of ``_STOPS`` with the least cost (see ``_COVERS``),
    given the labels placed before it; then three more sweeps move each one given all the
    others. The first of equal costs wins, so the layout is the same for the same input.
    """
    starts, ends = segments[:, :2], segments[:, 2:]
    centres = starts[:, None, :] + _STOPS[None, :, None] * (ends - starts)[:, None, :]  # (E, S, 2)
    lows, highs = centres - half[:, None, :], centres + half[:, None, :]  # (E, S, 2)
    count = len(segments)
    cost = np.empty((count, len(_STOPS)))  # what does not depend on the other labels
    for e in range(count):
        covered = _boxes_overlap(lows[e], highs[e], obstacles[:, :2], obstacles[:, 2:]).sum(axis=1)
        covered += _box_meets_circle(lows[e], highs[e], circles).sum(axis=1)
        others = np.delete(segments, e, axis=0)
        # each other edge under the label counts, the more the nearer it passes to the label's centre;
        # one within its half height (margin included) would seem to carry it: all but ruled out
        distance = _distance_to_segment(centres[e], others)  # (S, G)
        near = np.clip(1 - distance / (2 * half[e, 1]), 0, 1)
        crossing = (_box_meets_segment(lows[e], highs[e], others) * (1 + _NEAR * near)).sum(axis=1)
        covered += (distance < half[e, 1]).sum(axis=1)
        cost[e] = _COVERS * covered + _CROSSING * crossing + _OFF_MIDDLE * np.abs(_STOPS - 0.5)
    chosen = np.full(count, -1)
    clear = True
    for _ in range(_SWEEPS):
        clear = True
        for e in range(count):
            placed = np.flatnonzero((chosen >= 0) & (np.arange(count) != e))
            low, high = lows[placed, chosen[placed]], highs[placed, chosen[placed]]  # (P, 2)
            total = cost[e] + _COVERS * _boxes_overlap(lows[e], highs[e], low, high).sum(axis=1)  # (S,)
            chosen[e] = int(np.argmin(total))
            clear = clear and bool(total[chosen[e]] < _COVERS)  # covers nothing, given the others
    return np.asarray(_STOPS[chosen], dtype=float), clear


def _boxes_overlap(low: Array, high: Array, other_low: Array, other_high: Array) -> Array:
    """(S, P) whether box s overlaps box p: low, high (S, 2); other_low, other_high (P, 2)."""
    apart = (low[:, None, :] >= other_high[None, :, :]) | (high[:, None, :] <= other_low[None, :, :])
    return np.asarray(~apart.any(axis=2), dtype=float)


def _box_meets_circle(low: Array, high: Array, circles: Array) -> Array:
    """(S, C) whether box s meets circle c: low, high (S, 2); circles (C, 3) as x, y, r."""
    centre = circles[None, :, :2]  # (1, C, 2)
    nearest = np.clip(centre, low[:, None, :], high[:, None, :])  # (S, C, 2)
    return np.asarray(((nearest - centre) ** 2).sum(axis=2) < circles[None, :, 2] ** 2, dtype=float)


def _distance_to_segment(points: Array, segments: Array) -> Array:
    """(S, G) the distance from point s to segment g: points (S, 2); segments (G, 4)."""
    start, step = segments[None, :, :2], (segments[:, 2:] - segments[:, :2])[None, :, :]  # (1, G, 2)
    length2 = np.maximum((step**2).sum(axis=2), 1e-300)  # (1, G)
    along = np.clip(((points[:, None, :] - start) * step).sum(axis=2) / length2, 0, 1)  # (S, G)
    return np.asarray(np.hypot(*np.moveaxis(start + along[..., None] * step - points[:, None, :], 2, 0)))


def _box_meets_segment(low: Array, high: Array, segments: Array) -> Array:
    """(S, G) whether segment g passes through box s (Liang–Barsky clipping).

    Shapes: low, high (S, 2); segments (G, 4) as x0, y0, x1, y1."""
    start, step = segments[None, :, :2], (segments[:, 2:] - segments[:, :2])[None, :, :]  # (1, G, 2)
    flat = step == 0
    safe = np.where(flat, 1.0, step)
    a = (low[:, None, :] - start) / safe  # (S, G, 2): where the line crosses each side
    b = (high[:, None, :] - start) / safe
    inside = (low[:, None, :] <= start) & (start <= high[:, None, :])  # for a flat coordinate
    enter = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(a, b))
    leave = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(a, b))
    first = np.maximum(enter.max(axis=2), 0.0)  # (S, G)
    last = np.minimum(leave.min(axis=2), 1.0)
    return np.asarray(first < last, dtype=float)


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as PNG or SVG, chosen by the suffix, atomically."""
    return atomic_write(path, figure_file_writer(fig, path))


def figure_file_writer(fig: Figure, path: str | os.PathLike[str]) -> Callable[[Path], None]:
    """The ``write`` (for :func:`~glassnet._files.atomic_write`) of ``fig`` in the format of
    ``path``'s suffix, PNG or SVG: the same bytes for the same network. ValueError for another
    suffix."""
    suffix = suffix_of(path)
    if suffix not in FIGURE_FORMATS:
        raise ValueError(f"figure file must end in .png or .svg, got {str(path)!r}")
    return figure_writer(fig, FIGURE_FORMATS[suffix], dpi=150)
