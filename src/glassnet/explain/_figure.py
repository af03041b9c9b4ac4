"""The network drawn like the exercise's Figure 1, with matplotlib (Agg; no Graphviz).

Input, hidden and output units are circles with their values (z and h inside the hidden
ones), edges carry their weights (and, optionally, ∂L/∂w below them, written "∇ = −2.993"),
biases sit under the units (with ∂L/∂b), the loss beside the output. The explained
parameters' edges and biases are in red.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Circle

from glassnet._files import atomic_write
from glassnet.explain._derivation import Derivation
from glassnet.explain._symbols import LatexStyle

FIGURE_FORMATS = {".png": "png", ".svg": "svg"}
COLUMN_GAP = 3.2
ROW_GAP = 1.5
RADIUS = 0.42
NABLA, MINUS = "∇", "\u2212"  # text, as in the title's legend (DejaVu Sans has both)


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


def draw_network(
    d: Derivation, *, gradients: bool = True, title: str | None = None, digits: int = 4
) -> Figure:
    """A Figure of the network with the derivation's values (``digits`` significant digits)."""
    s, n = LatexStyle(digits), d.notation
    sizes = n.sizes
    height = max(sizes)
    fig = Figure(figsize=(COLUMN_GAP * len(sizes) + 1.5, ROW_GAP * height + 2.2))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.88 if title else 0.96))
    ax.set_axis_off()
    ax.set_aspect("equal")

    def position(layer: int, unit: int) -> tuple[float, float]:
        count = sizes[layer]
        return layer * COLUMN_GAP, ((count - 1) / 2 - unit) * ROW_GAP

    highlighted = {(r.ref.layer, r.ref.row, r.ref.col) for r in d.params if r.ref.kind == "weight"}
    highlighted_bias = {(r.ref.layer, r.ref.row) for r in d.params if r.ref.kind == "bias"}
    for layer_record, (grad_w, grad_b) in zip(d.layers, d.gradients, strict=True):
        ell = layer_record.index
        rows, cols = layer_record.weight.shape
        for i in range(rows):
            for j in range(cols):
                (x0, y0), (x1, y1) = position(ell - 1, j), position(ell, i)
                hot = (ell, i, j) in highlighted
                ax.plot(
                    [x0 + RADIUS, x1 - RADIUS],
                    [y0, y1],
                    color="C3" if hot else "0.55",
                    lw=2.2 if hot else 1.0,
                    zorder=1,
                )
                t = 0.28 + 0.44 * (j / max(1, cols - 1)) if cols > 1 else 0.5
                tx, ty = x0 + RADIUS + t * (x1 - x0 - 2 * RADIUS), y0 + t * (y1 - y0)
                label = _number(s, float(layer_record.weight[i, j]))
                if gradients:
                    label += "\n" + _gradient(s, float(grad_w[i, j]))
                ax.text(
                    tx,
                    ty,
                    label,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="C3" if hot else "0.1",
                    zorder=3,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                )
        for i in range(rows):
            x, y = position(ell, i)
            bias = _math(s.sym(n.bias(ell), i + 1)) + f" = {_number(s, float(layer_record.bias[i]))}"
            if gradients:
                bias += "\n" + _gradient(s, float(grad_b[i]))
            hot = (ell, i) in highlighted_bias
            ax.text(
                x, y - RADIUS - 0.08, bias, ha="center", va="top", fontsize=7, color="C3" if hot else "0.25"
            )
    for layer in range(len(sizes)):
        for unit in range(sizes[layer]):
            x, y = position(layer, unit)
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
    last_x = n.depth * COLUMN_GAP
    ax.text(
        last_x + RADIUS + 0.35,
        0,
        f"$L$ = {_number(s, d.loss.value)}",
        ha="left",
        va="center",
        fontsize=9,
        bbox={"boxstyle": "round,pad=0.3", "fc": "#fff5e6", "ec": "0.4"},
    )
    half = (height - 1) / 2 * ROW_GAP
    ax.set_xlim(-RADIUS - 0.5, last_x + RADIUS + 2.2)
    ax.set_ylim(-half - RADIUS - 0.9, half + RADIUS + 0.3)
    if title:
        # the title is text, never mathtext: a spec's "$\badcmd$" failed with a parser error, "$5 and $6"
        # lost its dollars; so the legend's ∇ and ∂ are Unicode here (DejaVu Sans has them)
        caption = title + (
            f"\n{NABLA} = ∂L/∂w or ∂L/∂b, from the backward pass; red: the explained parameter"
            if gradients
            else ""
        )
        fig.suptitle(caption, fontsize=9, parse_math=False)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as PNG or SVG, chosen by the suffix, atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise ValueError(f"figure file must end in .png or .svg, got {str(path)!r}")
    fmt = FIGURE_FORMATS[suffix]
    return atomic_write(path, lambda temporary: fig.savefig(temporary, format=fmt, dpi=150))
