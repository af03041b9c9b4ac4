"""How layers and parameters are named, in the maths and in glassnet's dotted names.

Layers are numbered l = 1 … L from the input (``model[0]``, the first Linear, is layer 1).
A two-layer network uses the exercise's superscripts instead: h (hidden) and o (output),
so w₁₂ʰ is row 1, column 2 of Wʰ. Indices in the maths are 1-based (row i = output unit,
column j = input unit, as W has shape (out, in)); glassnet's dotted names are 0-based:
w₁₂ʰ is ``"0.weight[0,1]"``.

Parameter names accepted by :func:`parse_param`:

- ``w12h``, ``b1o``, ``w_{12}^{h}``, ``w₁₂ʰ`` (two-layer h/o notation);
- ``w12^1``, ``b3^(2)``, ``w10,3^2`` (layers 1 … L; a comma when an index has two digits);
- either with the superscript first, as LaTeX allows: ``w^h_{12}``, ``b^o_1``, ``wʰ₁₂``,
  ``w^{(1)}_{12}``, ``w^1_{12}`` (the ``_`` is needed after a layer number without parentheses);
- ``0.weight[0,1]``, ``2.bias[0]`` (0-based dotted names), or ``0.weight`` for every entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from glassnet.explain._symbols import NotationStyle, Style, Sym

ParamKind = Literal["weight", "bias"]

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ʰᵒ"
_FROM_SUP = str.maketrans(_SUPERSCRIPTS, "0123456789()ho")
_FROM_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_DOTTED = re.compile(r"^(?P<prefix>[\w.]+)\.(?P<kind>weight|bias)(?:\[(?P<i>\d+)(?:\s*,\s*(?P<j>\d+))?\])?$")
_MATH = re.compile(r"^(?P<kind>[wb])(?P<idx>\d+(?:,\d+)?)(?:\^?(?P<ho>[ho])|\^\(?(?P<num>\d+)\)?)$")
# the superscript first (w^h_12, w^(1)_12, w^1_12): "_" ends a bare layer number, else w^112 could be
# layer 1, entry (1, 2) or layer 11, entry 2; (?(paren)…) closes the parenthesis it opened
_MATH_SUP_FIRST = re.compile(
    r"^(?P<kind>[wb])\^(?:(?P<ho>[ho])_?|(?P<paren>\()?(?P<num>\d+)(?(paren)\)_?|_))(?P<idx>\d+(?:,\d+)?)$"
)


@dataclass(frozen=True)
class Notation:
    """The symbols of one network: sizes d₀ … d_L and which layers have no activation.

    ``plain[l - 1]`` is True when layer l has no activation (or the identity), so its
    output is its affine map itself: ŷ = Wᵒh + bᵒ, as the exercise writes it.
    """

    style: NotationStyle
    sizes: tuple[int, ...]
    plain: tuple[bool, ...]

    @property
    def depth(self) -> int:
        return len(self.sizes) - 1

    @property
    def outputs(self) -> int:
        return self.sizes[-1]

    def tag(self, layer: int) -> str:
        if self.style == "ho":
            return "h" if layer == 1 else "o"
        return str(layer)

    def _tagged(self, base: str, layer: int, **options: bool | str | None) -> Sym:
        paren = self.style == "numbered"
        return Sym(base, tag=self.tag(layer), paren=paren, **options)  # type: ignore[arg-type]

    def post(self, layer: int) -> Sym:
        """a⁽ˡ⁾, the layer's output: x for l = 0, ŷ for l = L, h (h/o) or a⁽ˡ⁾ between."""
        if layer == 0:
            return Sym("x")
        if layer == self.depth:
            return Sym("y", hat=True, scalar=self.outputs == 1)
        if self.style == "ho":
            return Sym("h")
        return self._tagged("a", layer)

    def pre(self, layer: int) -> Sym:
        """z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾; the output symbol itself when the layer has no activation."""
        if self.plain[layer - 1]:
            return self.post(layer)
        scalar = layer == self.depth and self.outputs == 1
        if self.style == "ho" and layer == 1 and self.plain[1]:
            return Sym("z")  # the exercise's z = Wʰx + bʰ
        return self._tagged("z", layer, scalar=scalar)

    def weight(self, layer: int) -> Sym:
        return self._tagged("W", layer, element="w")

    def bias(self, layer: int) -> Sym:
        return self._tagged("b", layer)

    def delta(self, layer: int) -> Sym:
        return self._tagged("δ", layer, scalar=layer == self.depth and self.outputs == 1)

    def target(self) -> Sym:
        return Sym("y", scalar=self.outputs == 1)

    def layer_label(self, layer: int) -> str:
        return self.tag(layer)


def make_notation(style: str, sizes: tuple[int, ...], plain: tuple[bool, ...]) -> Notation:
    """``style`` "auto" picks h/o for two layers and 1 … L otherwise."""
    if style not in ("auto", "ho", "numbered"):
        raise ValueError(f"notation must be 'auto', 'ho' or 'numbered', got {style!r}")
    depth = len(sizes) - 1
    if style == "ho" and depth != 2:
        raise ValueError(f"notation 'ho' (superscripts h, o) needs exactly 2 layers, the network has {depth}")
    resolved: NotationStyle = "ho" if (style == "ho" or (style == "auto" and depth == 2)) else "numbered"
    return Notation(resolved, sizes, plain)


@dataclass(frozen=True)
class ParamRef:
    """One scalar parameter: entry (row, col) of W⁽ˡ⁾ or entry row of b⁽ˡ⁾ (0-based).

    ``prefix`` is the dotted name of the layer's Linear in the model (``"0"``, ``"2"``).
    """

    layer: int
    kind: ParamKind
    row: int
    col: int | None
    prefix: str

    @property
    def key(self) -> tuple[int, str, int, int | None]:
        """(layer, kind, row, col), as ``Derivation``'s sets of parameters name it (its ParamKey)."""
        return (self.layer, self.kind, self.row, self.col)

    @property
    def dotted(self) -> str:
        if self.kind == "weight":
            return f"{self.prefix}.weight[{self.row},{self.col}]"
        return f"{self.prefix}.bias[{self.row}]"

    @property
    def array_name(self) -> str:
        return f"{self.prefix}.{self.kind}"

    @property
    def index(self) -> tuple[int, ...]:
        return (self.row,) if self.col is None else (self.row, self.col)

    @property
    def math_index(self) -> tuple[int, ...]:
        return tuple(i + 1 for i in self.index)

    def symbol(self, notation: Notation) -> Sym:
        return notation.weight(self.layer) if self.kind == "weight" else notation.bias(self.layer)

    def write(self, notation: Notation, style: Style) -> str:
        """w₁₂ʰ in text, w_{12}^{h} in LaTeX."""
        return style.sym(self.symbol(notation), *self.math_index)

    def short_name(self, notation: Notation) -> str:
        """The ASCII name the CLI accepts: w12h, b1o, w12^1, w10,3^2."""
        letter = "w" if self.kind == "weight" else "b"
        idx = self.math_index
        digits = ("," if any(i > 9 for i in idx) else "").join(str(i) for i in idx)
        tag = notation.tag(self.layer)
        return f"{letter}{digits}{tag}" if notation.style == "ho" else f"{letter}{digits}^{tag}"


def all_params(prefixes: tuple[str, ...], shapes: tuple[tuple[int, int], ...]) -> list[ParamRef]:
    """Every scalar parameter, layer by layer: W row by row, then b."""
    refs: list[ParamRef] = []
    for layer, (prefix, (rows, cols)) in enumerate(zip(prefixes, shapes, strict=True), start=1):
        refs += [ParamRef(layer, "weight", i, j, prefix) for i in range(rows) for j in range(cols)]
        refs += [ParamRef(layer, "bias", i, None, prefix) for i in range(rows)]
    return refs


def _normalise(name: str, *, keep_subscript: bool = False) -> str:
    """``name`` in ASCII without spaces and braces: w₁₂ʰ and w_{12}^{h} become w12^h. With
    ``keep_subscript`` a subscript keeps its "_" (w^1_12, and wʰ₁₂ becomes w^h_12), which tells
    a layer number written first from the indices after it."""
    text = name.strip()
    text = re.sub("[₀-₉]+(?:,[₀-₉]+)?", lambda m: "_" + m.group(0).translate(_FROM_SUB), text)
    text = re.sub(f"[{_SUPERSCRIPTS}]+", lambda m: "^" + m.group(0).translate(_FROM_SUP), text)
    return re.sub(r"[\s{}]" if keep_subscript else r"[\s{}_]", "", text).lower()


def parse_param(
    name: str, notation: Notation, prefixes: tuple[str, ...], shapes: tuple[tuple[int, int], ...]
) -> list[ParamRef]:
    """The parameter(s) a name refers to; a dotted name without an index means every entry."""
    if not isinstance(name, str):
        raise TypeError(f"a parameter name must be a string, got {name!r} ({type(name).__name__})")
    dotted = _DOTTED.match(name.strip())
    if dotted:
        prefix = dotted.group("prefix")
        kind: ParamKind = "weight" if dotted.group("kind") == "weight" else "bias"
        if prefix not in prefixes:
            raise ValueError(
                f"no parameter {name!r}: the model's Linear layers are named {', '.join(map(repr, prefixes))}"
            )
        layer = prefixes.index(prefix) + 1
        i, j = dotted.group("i"), dotted.group("j")
        if i is None:
            every = all_params(prefixes, shapes)
            return [r for r in every if r.layer == layer and r.kind == kind]
        given = (int(i),) if j is None else (int(i), int(j))
        return [_checked(name, layer, kind, given, prefixes, shapes, notation, one_based=False)]
    match = _MATH.match(_normalise(name)) or _MATH_SUP_FIRST.match(_normalise(name, keep_subscript=True))
    if not match:
        raise ValueError(
            f"unknown parameter name {name!r}; expected e.g. w12h or b1o (two layers, superscripts h, o), "
            "w12^1 or b3^2 (layers 1..L), either with the superscript first (w^h_{12}), or glassnet's "
            "dotted 0.weight[0,1]"
        )
    kind = "weight" if match.group("kind") == "w" else "bias"
    raw = match.group("idx")
    index: tuple[int, ...]
    if kind == "weight":
        if "," in raw:
            index = tuple(int(p) for p in raw.split(","))
        elif len(raw) == 2:
            index = (int(raw[0]), int(raw[1]))
        else:
            raise ValueError(
                f"parameter {name!r}: a weight needs two indices, row and column; "
                "write them with a comma when one has two digits (w10,3^2)"
            )
    else:
        if "," in raw:
            raise ValueError(f"parameter {name!r}: a bias has one index, got {raw!r}")
        index = (int(raw),)
    depth = len(shapes)
    if match.group("ho"):
        if depth != 2:
            named = "1 layer, named 1" if depth == 1 else f"{depth} layers, named 1..{depth}"
            raise ValueError(
                f"parameter {name!r}: the superscripts h, o name the layers of a 2-layer network; "
                f"this one has {named} (e.g. w12^1)"
            )
        layer = 1 if match.group("ho") == "h" else 2
    else:
        layer = int(match.group("num"))
        if not 1 <= layer <= depth:
            raise ValueError(f"parameter {name!r}: no layer {layer}; the layers are numbered 1..{depth}")
    return [_checked(name, layer, kind, index, prefixes, shapes, notation, one_based=True)]


def _checked(
    name: str,
    layer: int,
    kind: ParamKind,
    index: tuple[int, ...],
    prefixes: tuple[str, ...],
    shapes: tuple[tuple[int, int], ...],
    notation: Notation,
    *,
    one_based: bool,
) -> ParamRef:
    rows, cols = shapes[layer - 1]
    zero = tuple(i - 1 for i in index) if one_based else index
    limits = (rows, cols) if kind == "weight" else (rows,)
    if len(zero) != len(limits) or any(not 0 <= i < n for i, n in zip(zero, limits, strict=True)):
        base = 1 if one_based else 0
        ranges = " and ".join(
            f"{what} {base}..{n - 1 + base}" for what, n in zip(("rows", "columns"), limits, strict=False)
        )
        ascii_tag = notation.tag(layer)
        shape = f"{rows}x{cols}" if kind == "weight" else f"{rows}"
        letter = "W" if kind == "weight" else "b"
        raise ValueError(
            f"no parameter {name!r}: {letter} of layer {ascii_tag} ({prefixes[layer - 1]}.{kind}) "
            f"has shape {shape}, {ranges}"
        )
    row = zero[0]
    col = zero[1] if kind == "weight" else None
    return ParamRef(layer, kind, row, col, prefixes[layer - 1])
