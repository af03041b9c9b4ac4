"""LaTeX: the maths shared with Markdown, and a standalone document that pdflatex compiles."""

from __future__ import annotations

from glassnet.explain._document import Block, Equation, Equations, Heading, Inline, Para, Table
from glassnet.explain._symbols import Expr, Mat

_PLAIN = {
    "\\": r"\textbackslash{}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "→": r"$\to$",
    "−": "-",
    "–": "--",
    "—": "---",
    "ε": r"$\varepsilon$",
    "δ": r"$\delta$",
    "Δ": r"$\Delta$",
    "η": r"$\eta$",
    "σ": r"$\sigma$",
    "θ": r"$\theta$",
    "ŷ": r"$\hat{y}$",
    "·": r"$\cdot$",
    "±": r"$\pm$",
    "∈": r"$\in$",
    "≈": r"$\approx$",
    "½": r"$\frac{1}{2}$",
    "′": "'",
    "°": r"\textdegree{}",
    "×": r"$\times$",
    "÷": r"$\div$",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "∂": r"$\partial$",
    "∇": r"$\nabla$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "≠": r"$\neq$",
    "∞": r"$\infty$",
    "∑": r"$\sum$",
    "√": r"$\surd$",
    "…": r"\ldots{}",
    # the Greek letters maths has, lowercase and the capitals that are not Latin letters
    **{
        letter: f"$\\{name}$"
        for letter, name in zip(
            "αβγζικλμνξπρτυφχψωΓΘΛΞΠΣΥΦΨΩ",
            (
                *("alpha", "beta", "gamma", "zeta", "iota", "kappa", "lambda", "mu", "nu", "xi"),
                *("pi", "rho", "tau", "upsilon", "phi", "chi", "psi", "omega"),
                *("Gamma", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"),
            ),
            strict=True,
        )
    },
}
# Latin-1 and Latin Extended-A characters that the document's T1 fonts lack (pdflatex stops at
# them); every other character from U+00A0 to U+017F is written as it is
_NO_GLYPH = frozenset("ĦħĸĿŀŉŦŧſ")


def escape(text: str) -> str:
    """Plain text for LaTeX: special characters escaped, the few Unicode symbols in maths."""
    out = []
    for index, char in enumerate(text):
        if char == "-" and text[index + 1 : index + 2] == "-":
            out.append("-{}")  # TeX joins -- into an en dash: --no-torch would print as –no-torch
        elif char in _PLAIN:
            out.append(_PLAIN[char])
        elif ord(char) < 128 or ("\u00a0" <= char <= "\u017f" and char not in _NO_GLYPH):
            out.append(char)  # ASCII, Latin-1 and Latin Extended-A (Ł, ő, «, £, ², …): T1 fonts hold them
        else:
            out.append("?")  # no glyph in the document's fonts: never break compilation
    return "".join(out)


def mat_latex(mat: Mat) -> str:
    rows = r" \\ ".join(" & ".join(row) for row in mat.cells)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"


def expr_latex(expr: Expr) -> str:
    return "".join(mat_latex(p) if isinstance(p, Mat) else p for p in expr)


def _rel(rel: str) -> str:
    # "{}+": a + that starts an aligned row (the next path of a sum) keeps a binary operator's spacing
    return {"←": r"\leftarrow", "≈": r"\approx", "+": "{}+"}.get(rel, rel)


def equation_lines(eq: Equation) -> list[str]:
    """Rows for an aligned environment: lhs &= rhs₁ (\\\\ &= rhs₂ …)."""
    lhs = expr_latex(eq.lhs)
    if not eq.multiline:
        first = f"{lhs} &{_rel(eq.steps[0][0])} {expr_latex(eq.steps[0][1])}"
        rest = "".join(f" {_rel(rel)} {expr_latex(rhs)}" for rel, rhs in eq.steps[1:])
        return [first + rest]
    return [
        f"{lhs if i == 0 else ''} &{_rel(rel)} {expr_latex(rhs)}" for i, (rel, rhs) in enumerate(eq.steps)
    ]


def equations_body(block: Equations) -> str:
    lines = [line for eq in block.rows for line in equation_lines(eq)]
    return " \\\\\n".join(lines)


def inline_latex(inline: Inline) -> str:
    return "".join(f"${content}$" if math else escape(content) for math, content in inline)


def table_latex(table: Table) -> str:
    spec = "".join(table.align)
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(inline_latex(c) for c in table.header) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(inline_latex(c) for c in row) + r" \\" for row in table.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{booktabs}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
\allowdisplaybreaks
\begin{document}
"""


def _widest_matrix(blocks: list[Block]) -> int:
    """The most columns of any matrix in the equations (0 when there is none)."""
    return max(
        (
            len(piece.cells[0])
            for block in blocks
            if isinstance(block, Equations)
            for eq in block.rows
            for expr in (eq.lhs, *(rhs for _, rhs in eq.steps))
            for piece in expr
            if isinstance(piece, Mat)
        ),
        default=0,
    )


def render_latex(blocks: list[Block]) -> str:
    """A standalone LaTeX document (article, amsmath, booktabs, geometry)."""
    out = [PREAMBLE]
    columns = _widest_matrix(blocks)
    if columns > 10:  # amsmath's bmatrix stops at MaxMatrixCols = 10: "Extra alignment tab" error
        out.append(rf"\setcounter{{MaxMatrixCols}}{{{columns}}}")
    for block in blocks:
        if isinstance(block, Heading):
            command = {1: "section", 2: "subsection"}.get(block.level, "subsubsection")
            out.append(rf"\{command}*{{{inline_latex(block.inline)}}}")
        elif isinstance(block, Para):
            out.append(inline_latex(block.inline))
        elif isinstance(block, Equations):
            out.append("\\begin{align*}\n" + equations_body(block) + "\n\\end{align*}")
        elif isinstance(block, Table):
            out.append("\\begin{center}\n" + table_latex(block) + "\n\\end{center}")
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
