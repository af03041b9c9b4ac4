"""Symbols and number formatting for the two output styles: Unicode text and LaTeX maths.

A :class:`Sym` names one quantity of the network (x, z, h, a⁽ˡ⁾, ŷ, W, b, δ); a
:class:`Style` writes symbols, numbers and operators either as plain Unicode (terminal
text) or as LaTeX (Markdown and the LaTeX document). The document builder only talks to a
Style, so the three renderers share one description of every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_SUB = str.maketrans("0123456789,k", "₀₁₂₃₄₅₆₇₈₉,ₖ")
_SUP = str.maketrans("0123456789()ho+-=", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ʰᵒ⁺⁻⁼")

NotationStyle = Literal["ho", "numbered"]


@dataclass(frozen=True)
class Sym:
    """One named quantity: ``base`` with an optional hat, layer tag and element letter.

    ``tag`` is the layer superscript ("h", "o", or "1", "2" … written "⁽¹⁾" when
    ``paren``); ``element`` is the letter of one entry (``w`` for the matrix ``W``);
    ``scalar`` drops the index of a one-element vector (ŷ rather than ŷ₁).
    """

    base: str
    hat: bool = False
    tag: str | None = None
    paren: bool = False
    element: str | None = None
    scalar: bool = False


@dataclass(frozen=True)
class Mat:
    """A matrix (or column vector) of already formatted cells, laid out by the renderer."""

    cells: tuple[tuple[str, ...], ...]


Piece = str | Mat
Expr = list[Piece]


def _indices(idx: tuple[int | str, ...]) -> str:
    """1-based indices as written under a symbol: "12", or "10,3" when one has two digits."""
    parts = [str(i) for i in idx]
    return ("," if any(len(p) > 1 for p in parts) else "").join(parts)


class Style:
    """How symbols, numbers and operators are written; subclassed for text and LaTeX."""

    kind: str = "text"
    times = " · "
    minus = " − "
    plus = " + "
    odot = " ⊙ "
    transpose = "ᵀ"
    arrow = " ← "
    sigma = "σ"
    prime = "′"
    ellipsis = "…"

    def __init__(self, digits: int = 6) -> None:
        self.digits = digits

    # -- numbers -----------------------------------------------------------------------

    def num(self, value: float) -> str:
        """``value`` with ``digits`` significant digits; −0 is written 0."""
        if value == 0:
            return "0"
        text = f"{value:.{self.digits}g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return self._sci(mantissa, int(exponent))
        return text

    def par(self, value: float) -> str:
        """A number in parentheses when negative, for use inside a product or sum."""
        text = self.num(value)
        return f"({text})" if text.startswith("-") else text

    def diff(self, value: float) -> str:
        """A (small) difference in scientific notation with two significant digits; 0 is written 0."""
        if value == 0:  # not 0.0e+00 (0.0 × 10⁰): an exact agreement, said as such
            return "0"
        mantissa, exponent = f"{value:.1e}".split("e")
        return self._sci(mantissa, int(exponent))

    def _sci(self, mantissa: str, exponent: int) -> str:
        return f"{mantissa}e{exponent:+03d}"

    # -- symbols -----------------------------------------------------------------------

    def sym(self, s: Sym, *idx: int | str) -> str:
        base = s.element if (idx and s.element) else s.base
        if s.hat:
            base = {"y": "ŷ"}.get(base, base + "\u0302")
        sub = "" if (s.scalar or not idx) else _indices(idx).translate(_SUB)
        sup = ""
        if s.tag is not None:
            sup = (f"({s.tag})" if s.paren else s.tag).translate(_SUP)
        return base + sub + sup

    # -- operators ---------------------------------------------------------------------

    def partial(self, top: str, bottom: str) -> str:
        return f"∂{top}/∂{bottom}"

    def func(self, name: str, arg: str) -> str:
        return f"{name}({arg})"

    def act(self, name: str, *, derivative: bool = False) -> str:
        """The written name of an activation (σ, ReLU, tanh …), with a prime for f′."""
        shown = {"sigmoid": self.sigma, "relu": "ReLU", "leaky_relu": "LeakyReLU"}.get(name, name)
        return shown + (self.prime if derivative else "")

    def frac(self, top: str, bottom: str) -> str:
        # a compound numerator or denominator in its own parentheses: (ŷ − y)/(ŷ(1 − ŷ)), never
        # ŷ − y/ŷ(1 − ŷ), which reads as another number
        return f"({self._operand(top)}/{self._operand(bottom)})"

    @staticmethod
    def _operand(part: str) -> str:
        return f"({part})" if " " in part else part  # operators are written with spaces around

    def group(self, inner: str) -> str:
        """``inner`` in parentheses, for a sum that a factor multiplies."""
        return f"({inner})"

    def half(self) -> str:
        return "½"

    def log(self, arg: str) -> str:
        return f"log({arg})"

    def exp(self, arg: str) -> str:
        return f"exp({arg})"

    def square(self, arg: str) -> str:
        return f"({arg})²"

    def sum_over(self, index: str) -> str:
        return "Σ" + index.translate(str.maketrans("k", "ₖ"))

    def brackets(self, inner: str) -> str:
        return f"[{inner}]"

    def text(self, words: str) -> str:
        return words

    def transposed(self, symbol: str) -> str:
        return f"({symbol}){self.transpose}"


class LatexStyle(Style):
    """LaTeX maths, for Markdown (GitHub, Jupyter) and for the standalone document."""

    kind = "latex"
    times = r" \cdot "
    minus = " - "
    plus = " + "
    odot = r" \odot "
    transpose = r"^{\top}"
    arrow = r" \leftarrow "
    sigma = r"\sigma"
    prime = "'"
    ellipsis = r"\cdots"

    def _sci(self, mantissa: str, exponent: int) -> str:
        return rf"{mantissa} \times 10^{{{exponent}}}"

    def sym(self, s: Sym, *idx: int | str) -> str:
        base = s.element if (idx and s.element) else s.base
        base = {"δ": r"\delta", "ℓ": r"\ell"}.get(base, base)
        if s.hat:
            base = rf"\hat{{{base}}}"
        text = base
        if idx and not s.scalar:
            text += "_{" + _indices(idx) + "}"
        if s.tag is not None:
            text += "^{" + (f"({s.tag})" if s.paren else s.tag) + "}"
        return text

    def partial(self, top: str, bottom: str) -> str:
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"

    def func(self, name: str, arg: str) -> str:
        return rf"{name}\left({arg}\right)"

    def act(self, name: str, *, derivative: bool = False) -> str:
        if name == "sigmoid":
            shown = r"\sigma"
        elif name in ("tanh",):
            shown = r"\tanh"
        elif name in ("relu", "leaky_relu", "identity", "softplus"):
            label = {"relu": "ReLU", "leaky_relu": "LeakyReLU"}.get(name, name)
            shown = rf"\operatorname{{{label}}}"
        else:  # a user's class: any identifier (σ2, Ζeta), set as text, as the prose is
            from glassnet.explain._latex import escape  # which imports this module

            shown = rf"\operatorname{{\text{{{escape(name)}}}}}"
        return shown + (self.prime if derivative else "")

    def frac(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def group(self, inner: str) -> str:
        return rf"\left({inner}\right)"

    def half(self) -> str:
        return r"\tfrac{1}{2}"

    def log(self, arg: str) -> str:
        return rf"\log\left({arg}\right)"

    def exp(self, arg: str) -> str:
        return rf"\exp\left({arg}\right)"

    def square(self, arg: str) -> str:
        return rf"\left({arg}\right)^{{2}}"

    def sum_over(self, index: str) -> str:
        return rf"\sum_{{{index}}}"

    def brackets(self, inner: str) -> str:
        return rf"\left[{inner}\right]"

    def text(self, words: str) -> str:
        return rf"\text{{{words}}}"

    def transposed(self, symbol: str) -> str:
        return f"({symbol}){self.transpose}"
