"""Terminal text: aligned matrices with bracket characters, lines kept to a width (80)."""

from __future__ import annotations

import textwrap

from glassnet.explain._document import Block, Equations, Heading, Inline, Para, Table
from glassnet.explain._symbols import Expr, Mat, Style

Box = list[str]  # lines of one width


def _width(box: Box) -> int:
    return max((len(line) for line in box), default=0)


def _pad(box: Box) -> Box:
    width = _width(box)
    return [line.ljust(width) for line in box]


def mat_box(mat: Mat) -> Box:
    """A matrix with aligned, right-justified columns between ⎡ ⎤ / [ ] brackets."""
    columns = list(zip(*mat.cells, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]
    rows = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in mat.cells]
    if len(rows) == 1:
        return [f"[{rows[0]}]"]
    out = []
    for i, row in enumerate(rows):
        left, right = ("⎡", "⎤") if i == 0 else (("⎣", "⎦") if i == len(rows) - 1 else ("⎢", "⎥"))
        out.append(f"{left}{row}{right}")
    return out


def hcat(boxes: list[Box]) -> Box:
    """Boxes side by side, each centred vertically."""
    height = max((len(b) for b in boxes), default=1)
    out = [""] * height
    for box in boxes:
        box = _pad(box)
        width = _width(box)
        top = (height - len(box)) // 2
        for row in range(height):
            inner = row - top
            out[row] += box[inner] if 0 <= inner < len(box) else " " * width
    return [line.rstrip() for line in out]


def hcat_width(boxes: list[Box]) -> int:
    """``_width(hcat(boxes))``, without drawing the block: a 1×n row of weights beside the
    n-vector x is n lines of the row's width, which the line break then parts. Measured by
    drawing it, a layer of 20,000 inputs took 3.6 GB to lay out; its text is 20,000 short lines."""
    width = offset = 0
    for box in boxes:
        for line in box:
            if drawn := len(line.rstrip()):  # hcat strips what ends a line
                width = max(width, offset + drawn)
        offset += _width(box)
    return width


def expr_boxes(expr: Expr) -> list[Box]:
    boxes: list[Box] = []
    for i, piece in enumerate(expr):
        if isinstance(piece, Mat):
            if i and isinstance(expr[i - 1], Mat):
                boxes.append([" "])  # W x: a thin space between adjacent matrices
            boxes.append(mat_box(piece))
        else:
            boxes.append([piece])
    return boxes


OPERATORS = frozenset({Style.plus, Style.minus, Style.times, Style.odot, " "})  # " ": W x, see expr_boxes


def _terms(step: list[Box]) -> list[list[Box]]:
    """The boxes of one step (relation, then the pieces of its right-hand side) in groups that a
    line may break between: the relation and each operator (or the space between two matrices)
    stay with the piece after them, so a continuation line starts with its operator ("+ (-0.47)")
    and no term is split from its sign."""
    groups: list[list[Box]] = []
    glued = False
    for position, box in enumerate(step):
        if glued:
            groups[-1].append(box)
        else:
            groups.append([box])
        glued = position == 0 or (len(box) == 1 and box[0] in OPERATORS)
    return groups


def _rows_for(lhs: Box, steps: list[tuple[str, Expr]], width: int, multiline: bool) -> list[Box]:
    """Lay out lhs rel rhs rel rhs …, breaking lines before a relation (or, inside a long rhs,
    before an operator)."""
    indent = " " * _width(lhs)
    lines: list[Box] = []
    current: list[Box] = [lhs]
    for number, (rel, expr) in enumerate(steps):
        step = [[f" {rel} "], *expr_boxes(expr)]
        if number and (multiline or hcat_width(current + step) > width):
            lines.append(hcat(current))
            current = [[indent]]
        for position, group in enumerate(_terms(step)):
            if position and hcat_width([*current, *group]) > width:
                lines.append(hcat(current))  # a right-hand side too wide for one line
                current = [[indent + "    "]]
            current += group
    lines.append(hcat(current))
    return lines


def equations_text(block: Equations, width: int) -> list[str]:
    lhs_boxes = [hcat(expr_boxes(eq.lhs)) for eq in block.rows]
    if all(len(b) == 1 for b in lhs_boxes):
        column = max(_width(b) for b in lhs_boxes)
        lhs_boxes = [[b[0].ljust(column)] for b in lhs_boxes]
    out: list[str] = []
    for eq, lhs in zip(block.rows, lhs_boxes, strict=True):
        for box in _rows_for(lhs, eq.steps, width - 2, eq.multiline):
            out += ["  " + line if line else "" for line in box]
    return out


def inline_text(inline: Inline, *, keep_math: bool = False) -> str:
    """The segments joined; with ``keep_math`` spaces inside maths become no-break markers,
    except after a comma, so that a long list (x = [1, 2, …]) may break between its numbers."""
    return "".join(
        content.replace(" ", _NBSP).replace("," + _NBSP, ", ") if (math and keep_math) else content
        for math, content in inline
    )


_NBSP = "\x00"


def table_text(table: Table) -> list[str]:
    cells = [[inline_text(c) for c in table.header]] + [[inline_text(c) for c in row] for row in table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.header))]

    def line(row: list[str]) -> str:
        parts = [
            cell.rjust(w) if align == "r" else cell.ljust(w)
            for cell, w, align in zip(row, widths, table.align, strict=True)
        ]
        return ("  " + "   ".join(parts)).rstrip()

    rule = "  " + "   ".join("-" * w for w in widths)
    return [line(cells[0]), rule] + [line(row) for row in cells[1:]]


def render_text(blocks: list[Block], width: int = 80) -> str:
    """The blocks as terminal text, at most ``width`` columns where the content allows."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            title = inline_text(block.inline)
            if block.level == 1:
                out += [title, "=" * len(title)]
            elif block.level == 2:
                out += [title, "-" * len(title)]
            else:
                out += [title]
        elif isinstance(block, Para):
            # never inside a number: a maths span longer than a line runs past it instead
            lines = textwrap.wrap(
                inline_text(block.inline, keep_math=True),
                width,
                break_on_hyphens=False,
                break_long_words=False,
            )
            out += [line.replace(_NBSP, " ") for line in lines] or [""]
        elif isinstance(block, Equations):
            out += equations_text(block, width)
        elif isinstance(block, Table):
            out += table_text(block)
        out.append("")
    return "\n".join(out).rstrip() + "\n"
