"""From a derivation to a format-neutral document: headings, paragraphs, equations, tables.

:func:`build_document` writes every step with one :class:`~glassnet.explain._symbols.Style`
(Unicode for the terminal, LaTeX for Markdown and the LaTeX document); the renderers in
``_text``, ``_markdown`` and ``_latex`` only lay the blocks out. Every number comes from
the :class:`~glassnet.explain._derivation.Derivation`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from glassnet._checks import Array
from glassnet.explain._derivation import (
    ROUNDED_BELOW,
    Derivation,
    Factor,
    Kink,
    LayerRecord,
    ParamRecord,
    TableRow,
    delta_parts,
    rounded_derivative,
)
from glassnet.explain._notation import ParamRef
from glassnet.explain._symbols import Expr, Mat, Style, Sym
from glassnet.losses import LogisticLoss

if TYPE_CHECKING:
    from glassnet.explain._api import Explanation

Seg = tuple[bool, str]  # (is maths, content)
Inline = list[Seg]


def T(text: str) -> Seg:
    return (False, text)


def M(math: str) -> Seg:
    return (True, math)


@dataclass
class Heading:
    level: int
    inline: Inline


@dataclass
class Para:
    inline: Inline


@dataclass
class Equation:
    """lhs rel₁ rhs₁ rel₂ rhs₂ …; ``multiline`` puts each relation on its own line."""

    lhs: Expr
    steps: list[tuple[str, Expr]]
    multiline: bool = False


@dataclass
class Equations:
    rows: list[Equation] = field(default_factory=list)


@dataclass
class Table:
    header: list[Inline]
    rows: list[list[Inline]]
    align: str  # one of "l", "r" per column


Block = Heading | Para | Equations | Table

EXPAND_LIMIT = 4  # write W a out term by term when a layer has at most this many inputs
EXPAND_WIDTH = 40  # … and each row's terms fit in this many characters
ELEMENT_LIMIT = 8  # write f(z) element by element up to this many units
PATH_SHOW_LIMIT = 4  # write the path sum out up to this many paths
SUM_SHOW_LIMIT = 4  # write L = ℓ₁ + … + ℓ_K out term by term up to this many outputs
MISMATCHES_NAMED = 6  # name up to this many parameters whose finite differences mismatch, then count
# why finite differences may be off where the backward pass is right (the mismatch notes)
FD_UNRELIABLE = (
    "a step ε too large for the loss's curvature, or lost in the rounding of large values inside the "
    "network (another ε, fd_eps, moves them)"
)
LOSS_ROW_WIDTH = 76  # one ℓₖ = … = … row per line up to this many characters (text spelling)
ELL = Sym("ℓ")  # the loss of one output


class Builder:
    """Writes one derivation with one style; see :func:`build_document`."""

    def __init__(self, d: Derivation, s: Style) -> None:
        self.d, self.s, self.n = d, s, d.notation
        self.delta_rule_shown = False

    # -- small helpers -------------------------------------------------------------------

    def col(self, values: Array, *, term: bool = False) -> Expr:
        """A column vector, or a plain number when it has one element; ``term``: one written after an
        operator (+ b, ⊙ f′), whose negative number is bracketed, + (-3), as ``par`` writes it."""
        if values.size == 1:
            value = float(values[0])
            return [self.s.par(value) if term else self.s.num(value)]
        return [Mat(tuple((self.s.num(float(v)),) for v in values))]

    def matrix(self, values: Array) -> Expr:
        if values.size == 1:
            return [self.s.num(float(values.flat[0]))]
        return [Mat(tuple(tuple(self.s.num(float(v)) for v in row) for row in values))]

    def product(self, matrix: Array, vector: Array) -> Expr:
        """W a: side by side, or with a dot where one is a single number (0.5 · 2, not 0.52)."""
        if matrix.size > 1 and vector.size > 1:
            return [*self.matrix(matrix), *self.col(vector)]
        left = self.matrix(matrix) if matrix.size > 1 else [self.s.par(float(matrix.flat[0]))]
        right = self.col(vector) if vector.size > 1 else [self.s.par(float(vector[0]))]
        return [*left, self.s.times, *right]

    def post(self, layer: int, *idx: int | str) -> str:
        return self.s.sym(self.n.post(layer), *idx)

    def pre(self, layer: int, *idx: int | str) -> str:
        return self.s.sym(self.n.pre(layer), *idx)

    def dl(self, bottom: str) -> str:
        return self.s.partial("L", bottom)

    def param(self, record: ParamRecord) -> str:
        return record.ref.write(self.n, self.s)

    def expandable(self, layer: LayerRecord) -> bool:
        """Write W a term by term when it stays short (judged on the text spelling, for every format)
        and says something new: of a 1 × 1 layer it would repeat the row above, "w · a + b"."""
        if layer.weight.size == 1 or layer.weight.shape[1] > EXPAND_LIMIT:
            return False
        t = Style(self.s.digits)
        longest = max(
            len(
                " + ".join(
                    f"{t.par(float(w))}·{t.par(float(a))}" for w, a in zip(row, layer.inputs, strict=True)
                )
            )
            for row in layer.weight
        )
        return longest <= EXPAND_WIDTH

    def cancels(self, result: float, terms: Iterable[float]) -> bool:
        """Whether a shown sum of ``terms`` (signed: θ − ηg gives θ and −ηg) cancels: its result,
        not 0, lies within the rounding of its terms as shown (|result| < 10^(1 − digits) ·
        max |term|), and the terms as shown do not add up to the result as shown (0.3 + (-0.3)
        is 5.55e-17 in float64, where 0.1 + 0.2 is 0.30000000000000004; 3 + (-4) = -1 adds up)."""
        addends = [float(term) for term in terms]
        largest = max((abs(term) for term in addends), default=0.0)
        if result == 0 or abs(result) >= largest * 10.0 ** (1 - self.s.digits):
            return False

        def shown(value: float) -> float:  # as Style.num writes it: digits significant digits
            return float(f"{value:.{self.s.digits}g}")

        return shown(math.fsum(shown(term) for term in addends)) != shown(result)

    def cancellation_note(self, results: list[Inline]) -> Para:
        """The sums that cancel (each "z₁ = 5.55112e-17"): their terms are shown rounded, the result
        is computed from the unrounded floats."""
        named: Inline = []
        for number, result in enumerate(results):
            named += ([T(", ")] if number else []) + result
        one, digits = len(results) == 1, self.s.digits
        return Para(
            [
                T("Cancellation: "),
                *named,
                T(
                    f" {'is' if one else 'are'} far smaller than the terms that make {'it' if one else 'them'} "
                    f"up. The terms are shown rounded to {digits} significant digit{'s' if digits != 1 else ''}, "
                    f"but {'the' if one else 'each'} result is computed from their unrounded float64 values, so "
                    "the terms as shown need not add up to it (in float64, 0.1 + 0.2 is 0.30000000000000004, "
                    "shown 0.3)."
                ),
            ]
        )

    def forward_cancellations(self, layer: LayerRecord) -> list[Inline]:
        """The layer's shown sums that cancel: z = W a + b of a unit, and W a itself where it is
        written out term by term."""
        s, ell = self.s, layer.index
        # (W a)ᵢ, named as a row of the product, (Wʰx)₁, indexed as z is
        product = Sym(f"({s.sym(self.n.weight(ell))}{self.post(ell - 1)})", scalar=self.n.pre(ell).scalar)
        written_out = self.expandable(layer)
        found: list[Inline] = []
        for i in range(layer.weight.shape[0]):
            terms = layer.weight[i] * layer.inputs  # (in,): the addends of (W a)ᵢ, each shown as w·a
            if written_out and self.cancels(float(layer.product[i]), terms):
                found.append([M(f"{s.sym(product, i + 1)} = {s.num(float(layer.product[i]))}")])
            # judged on the line z = (W a)ᵢ + bᵢ; a W a written out that cancels is noted above
            if self.cancels(float(layer.z[i]), [layer.product[i], layer.bias[i]]):
                found.append([M(f"{self.pre(ell, i + 1)} = {s.num(float(layer.z[i]))}")])
        return found

    # -- 1. forward pass ---------------------------------------------------------------

    def forward(self) -> list[Block]:
        s = self.s
        blocks: list[Block] = [Heading(2, [T("1. Forward pass")])]
        x = self.d.x
        blocks.append(
            Para([T("Input "), M(f"{self.post(0)} = " + s.brackets(", ".join(s.num(float(v)) for v in x)))])
        )
        for layer in self.d.layers:
            blocks += self.forward_layer(layer)
        return blocks

    def forward_layer(self, layer: LayerRecord) -> list[Block]:
        s, ell = self.s, layer.index
        W, b = s.sym(self.n.weight(ell)), s.sym(self.n.bias(ell))
        a_in, z = self.post(ell - 1), self.pre(ell)
        what = f"Layer {self.n.layer_label(ell)} (glassnet {layer.prefix}: Linear {layer.weight.shape[1]}→{layer.weight.shape[0]}"
        title: Inline = [T(what + ")")]
        if layer.activation is not None:
            title = [T(what + ", then "), M(s.act(layer.activation_name)), T(")")]
            slope = getattr(layer.activation, "negative_slope", None)
            # LeakyReLU(z) = αz for z ≤ 0: a number the reader needs (glassnet's LeakyReLU only)
            if slope is not None and layer.activation_name == "leaky_relu":
                alpha = "α" if s.kind == "text" else r"\alpha"
                title[-1:] = [T(", "), M(f"{alpha} = {s.num(float(slope))}"), T(")")]
        blocks: list[Block] = [Heading(3, title)]
        bias = self.col(layer.bias, term=True)
        steps: list[tuple[str, Expr]] = [("=", [*self.product(layer.weight, layer.inputs), s.plus, *bias])]
        if self.expandable(layer):
            terms = [
                s.plus.join(
                    f"{s.par(float(w))}{s.times.strip()}{s.par(float(a))}"
                    for w, a in zip(row, layer.inputs, strict=True)
                )
                for row in layer.weight
            ]
            expanded: Expr = [terms[0]] if len(terms) == 1 else [Mat(tuple((t,) for t in terms))]
            steps.append(("=", [*expanded, s.plus, *bias]))
        steps.append(("=", [*self.col(layer.product), s.plus, *bias]))
        steps.append(("=", self.col(layer.z)))
        blocks.append(Equations([Equation([f"{z} = {W}{a_in} + {b}"], steps, multiline=True)]))
        cancelled = self.forward_cancellations(layer)
        if cancelled:
            blocks.append(self.cancellation_note(cancelled))
        if layer.activation is None:
            return blocks
        f = s.act(layer.activation_name)
        a = self.post(ell)
        units = layer.z.size
        if units <= ELEMENT_LIMIT:
            rows = [
                Equation(
                    [self.post(ell, k + 1)],
                    [
                        ("=", [s.func(f, self.pre(ell, k + 1))]),
                        ("=", [s.func(f, s.num(float(layer.z[k])))]),
                        ("=", [s.num(float(layer.output[k]))]),
                    ],
                )
                for k in range(units)
            ]
            blocks.append(Para([T("Element by element:")]))
            blocks.append(Equations(rows))
        else:
            blocks.append(Equations([Equation([a], [("=", [s.func(f, z)]), ("=", self.col(layer.output))])]))
        return blocks

    # -- 2. loss -----------------------------------------------------------------------

    def loss_terms(self, k: int | None, label: str | None = None) -> tuple[str, str, str | None]:
        """(definition, substituted, simplified) of ℓ for output k (None: the single output).

        ``label`` writes the symbols with that index instead (ŷₖ, yₖ for the sum over k).
        """
        s, rec = self.s, self.d.loss
        idx: tuple[int | str, ...] = (label,) if label is not None else (() if k is None else (k + 1,))
        yh, y = self.post(self.n.depth, *idx), s.sym(self.n.target(), *idx)
        kk = 0 if k is None else k
        yv, pv = s.par(float(rec.target[kk])), s.par(float(rec.prediction[kk]))
        simplified = None
        if rec.name == "logistic":
            if rec.labels == "01":
                definition = s.log(f"1{s.plus}" + s.exp(f"(1{s.minus}2{y}){yh}"))
                substituted = s.log(
                    f"1{s.plus}" + s.exp(f"(1{s.minus}2{s.times.strip()}{yv}){s.times.strip()}{pv}")
                )
            else:
                definition = s.log(f"1{s.plus}" + s.exp(f"-{y}{yh}"))
                substituted = s.log(f"1{s.plus}" + s.exp(f"-{yv}{s.times.strip()}{pv}"))
            if rec.sign is not None:
                simplified = s.log(f"1{s.plus}" + s.exp(s.num(float(rec.sign[kk] * rec.prediction[kk]))))
        elif rec.name == "mse":
            definition, substituted = s.square(f"{yh}{s.minus}{y}"), s.square(f"{pv}{s.minus}{yv}")
        elif rec.name == "half_sse":
            definition = s.half() + s.square(f"{yh}{s.minus}{y}")
            substituted = s.half() + s.square(f"{pv}{s.minus}{yv}")
        elif rec.name == "bce":
            definition = "-" + s.brackets(
                f"{y}{s.times}{s.log(yh)}{s.plus}(1{s.minus}{y}){s.times}{s.log(f'1{s.minus}{yh}')}"
            )
            substituted = "-" + s.brackets(
                f"{yv}{s.times}{s.log(pv)}{s.plus}(1{s.minus}{yv}){s.times}{s.log(f'1{s.minus}{pv}')}"
            )
        else:
            definition = s.func("ℓ" if s.kind == "text" else r"\ell", f"{yh}, {y}")
            substituted = s.func("ℓ" if s.kind == "text" else r"\ell", f"{pv}, {yv}")
        return definition, substituted, simplified

    def grad_steps(self, k: int, value: str) -> list[tuple[str, Expr]]:
        """∂L/∂ŷₖ's right-hand sides: its formula, the numbers put in (unless they are the formula
        itself, a user's loss written ∂ℓ/∂ŷ: "∂ℓ/∂ŷ₁ = ∂ℓ/∂ŷ₁" said nothing) and ``value``."""
        if self.d.loss.own_reduction:  # the backward's number, of no ∂ℓ/∂ŷ written here
            return [("=", [value])]
        symbolic, substituted = self.grad_terms(k)
        steps: list[tuple[str, Expr]] = [("=", [symbolic])]
        if substituted != symbolic:
            steps.append(("=", [substituted]))
        return [*steps, ("=", [value])]

    def grad_terms(self, k: int) -> tuple[str, str]:
        """(symbolic, substituted) ∂L/∂ŷₖ, with the 1/K of a mean over K outputs."""
        s, rec = self.s, self.d.loss
        K = self.n.outputs
        idx = () if K == 1 else (k + 1,)
        yh, y = self.post(self.n.depth, *idx), s.sym(self.n.target(), *idx)
        yv, pv = float(rec.target[k]), float(rec.prediction[k])
        dot = s.times
        if rec.name == "logistic" and rec.sign is not None:
            sign = float(rec.sign[k])
            if rec.labels == "01":
                symbolic = f"(1{s.minus}2{y}){s.sigma}((1{s.minus}2{y}){yh})"
            else:
                symbolic = f"-{y}{s.sigma}(-{y}{yh})"
            substituted = f"{s.par(sign)}{dot}{s.sigma}({s.num(sign * pv)})"
        elif rec.name == "mse":
            # (2/K)(ŷₖ − yₖ) in lowest terms: a mean over 2 outputs read "(2/2)(ŷ₁ − y₁)", a quotient
            # left unworked; its factor is 1, so the difference stands alone, as half_sse writes it
            factor = Fraction(2, K if rec.reduction == "mean" else 1)
            symbolic, substituted = f"{yh}{s.minus}{y}", f"{s.num(pv)}{s.minus}{s.par(yv)}"
            if factor != 1:
                top, bottom = str(factor.numerator), str(factor.denominator)
                two = top if bottom == "1" else s.frac(top, bottom)
                symbolic, substituted = f"{two}({symbolic})", f"{two}{dot}({substituted})"
        elif rec.name == "half_sse":
            symbolic, substituted = f"{yh}{s.minus}{y}", f"{s.num(pv)}{s.minus}{s.par(yv)}"
            if rec.reduction == "mean" and K > 1:  # a difference, which the 1/K below multiplies
                symbolic, substituted = s.group(symbolic), s.group(substituted)
        elif rec.name == "bce":
            symbolic = s.frac(f"{yh}{s.minus}{y}", f"{yh}(1{s.minus}{yh})")
            substituted = s.frac(
                f"{s.num(pv)}{s.minus}{s.par(yv)}", f"{s.num(pv)}{dot}(1{s.minus}{s.num(pv)})"
            )
        else:
            symbolic = s.partial("ℓ" if s.kind == "text" else r"\ell", yh)
            substituted = symbolic
        if rec.reduction == "mean" and K > 1 and rec.name != "mse":
            scale = s.frac("1", str(K))
            # "(1/2)-yσ(…)" reads as ½ − y, "(1/2)1 · σ(…)" as ½1: the sign first, a number after a dot
            symbolic = f"-{scale}{symbolic[1:]}" if symbolic.startswith("-") else f"{scale}{symbolic}"
            substituted = f"{scale}{dot}{substituted}" if rec.name == "logistic" else f"{scale}{substituted}"
        return symbolic, substituted

    def loss_description(self) -> Inline:
        s, rec = self.s, self.d.loss
        yh, latex = self.post(self.n.depth), s.kind == "latex"
        if rec.name == "logistic" and isinstance(rec.loss, LogisticLoss):  # a user's ℓ is no NLL
            shown = rec.loss.label_set_text
            if latex:
                shown = shown.replace("{", r"\lbrace ").replace("}", r" \rbrace")
            inside = r"\in" if latex else "∈"
            positive = r"\text{positive}" if latex else "positive"
            words: Inline = [
                T("Logistic loss of the logit "),
                M(yh),
                T(", labels "),
                M(f"y {inside} {shown}"),
                T(": the negative log-likelihood of a Bernoulli label with "),
                M(f"P({positive}) = {s.sigma}({yh})"),
                T("."),
            ]
            if rec.outside:  # literal, or a subclass that takes such labels
                several = self.n.outputs > 1
                words += [
                    T(f" The label{'s' if several else ''} {'lie' if several else 'lies'} outside "),
                    M(shown),
                    T("; the formula is applied as written, and is then no likelihood."),
                ]
            return words
        if rec.name == "half_sse":  # the sum or mean over the outputs: see reduction_words
            return [T("Half the squared error" + (" of each output." if self.n.outputs > 1 else "."))]
        if rec.name == "bce":
            words = [T("Binary cross-entropy of a probability "), M(yh), T(".")]
            clipped, eps = self.clipped_outputs(), self.clip_eps()
            if (
                clipped and eps is not None
            ):  # the formula below would read log 0: say what the engine computes
                eps_sym = "ε" if s.kind == "text" else r"\varepsilon"

                def output(k: int) -> Inline:  # ŷₖ = its value (ŷ alone for one output)
                    at = self.post(self.n.depth, *(() if self.n.outputs == 1 else (k + 1,)))
                    return [M(f"{at} = {s.num(float(rec.prediction[k]))}")]

                # large where the clipped side carries the label's weight (ŷ near 1 with y < 1, or
                # near 0 with y > 0); a confident, correct ŷ gives a loss near 0 and a slope near ±1
                wrong = any(
                    rec.target[k] < 1.0 if rec.prediction[k] > 0.5 else rec.target[k] > 0.0 for k in clipped
                )
                size = "large but finite" if wrong else "finite (the loss near 0: the label agrees)"
                words += [
                    T(" Here "),
                    *_and_joined([output(k) for k in clipped]),
                    T(" lie" if len(clipped) > 1 else " lies"),
                    T(" outside "),
                    M(f"[{eps_sym}, 1{s.minus}{eps_sym}]"),
                    T(", "),
                    M(f"{eps_sym} = {s.num(eps)}"),
                    T(
                        f": the loss and its derivative below use {'them' if len(clipped) > 1 else 'it'} "
                        "clipped into that interval, as glassnet's BCE does (otherwise log 0 would be "
                        f"infinite), so they are {size} and not what the values substituted give."
                    ),
                ]
                if self.d.torch_available:  # only where that check is shown
                    words.append(
                        T(
                            " (PyTorch's own binary_cross_entropy clamps log at -100 instead; the PyTorch "
                            "check below computes glassnet's clipped loss.)"
                        )
                    )
            return words + self.rounded_to_one()
        if rec.name == "mse":
            return [T("Squared error of each output." if self.n.outputs > 1 else "Mean squared error.")]
        return [T(f"Loss {rec.name}.")]

    def rounded_to_one(self) -> Inline:
        """BCE: a ŷ < 1 that the shown digits round to 1 (σ(16) = 0.99999989 at 6 digits) would
        make log(1 − ŷ) and ŷ(1 − ŷ) below read as log 0 and 0: write it as 1 − (1 − ŷ)."""
        s, rec = self.s, self.d.loss
        rounded = [k for k, p in enumerate(rec.prediction) if p != 1.0 and s.num(float(p)) == s.num(1.0)]
        if not rounded:
            return []
        words: Inline = [T(" Here ")]
        for number, k in enumerate(rounded):
            if number:
                words.append(T(", "))
            at = self.post(self.n.depth, *(() if self.n.outputs == 1 else (k + 1,)))
            words.append(M(f"{at} = 1{s.minus}{s.num(1.0 - float(rec.prediction[k]))}"))
        yh = self.post(self.n.depth, *(() if self.n.outputs == 1 else ("k",)))
        return [*words, T(" (shown rounded to 1): "), M(f"1{s.minus}{yh}"), T(" below is small, not 0.")]

    def reduction_words(self) -> Inline:
        """How the K > 1 per-output losses make L: their mean or their sum (nothing for one output)."""
        K = self.n.outputs
        if K == 1:
            return []
        how = "mean" if self.d.loss.reduction == "mean" else "sum"
        return [
            T(" "),
            M("L"),
            T(f" is the {how} of the {K} per-output losses "),
            M(self.s.sym(ELL, "k")),
            T("."),
        ]

    def loss(self) -> list[Block]:
        s, rec, K = self.s, self.d.loss, self.n.outputs
        blocks: list[Block] = [
            Heading(2, [T("2. Loss")]),
            Para(self.loss_description() + self.reduction_words()),
        ]
        if rec.own_reduction:  # its own L and dL/dŷ: no sum of ℓ, no ∂ℓ/∂ŷ of them to write
            blocks[1] = Para(
                [
                    T(f"Loss {rec.name}, which makes "),
                    M("L"),
                    T(" and its derivative its own way (its own reduce, __call__, forward or backward): "),
                    T("their numbers are its own, not worked out here."),
                ]
            )
            yh = self.post(self.n.depth)
            blocks.append(
                Equations(
                    [
                        Equation(
                            [f"L = {s.func(s.act(rec.name), f'{yh}, {s.sym(self.n.target())}')}"],
                            [("=", [s.num(rec.value)])],
                        )
                    ]
                )
            )
        elif K == 1:
            definition, substituted, simplified = self.loss_terms(None)
            steps: list[tuple[str, Expr]] = [("=", [substituted])]
            if simplified is not None:
                steps.append(("=", [simplified]))
            steps.append(("=", [s.num(rec.value)]))
            blocks.append(Equations([Equation([f"L = {definition}"], steps, multiline=True)]))
        else:
            blocks.append(self.loss_sum())
        blocks.append(Para([T("Its derivative with respect to the output:")]))
        rows = []
        for k in range(K):
            idx = () if K == 1 else (k + 1,)
            rows.append(
                Equation(
                    [self.dl(self.post(self.n.depth, *idx))], self.grad_steps(k, s.num(float(rec.grad[k])))
                )
            )
        blocks.append(Equations(rows))
        cancelled = self.loss_cancellations()
        if cancelled:
            blocks.append(self.cancellation_note(cancelled))
        return blocks

    def loss_cancellations(self) -> list[Inline]:
        """The differences ŷₖ − yₖ that the loss and its derivative write (MSE, half SSE, BCE) and
        that cancel, each with its value (as the loss computes it, ŷₖ − yₖ in float64)."""
        s, rec, K = self.s, self.d.loss, self.n.outputs
        if rec.name not in ("mse", "half_sse", "bce"):
            return []
        found: list[Inline] = []
        for k, (p, t) in enumerate(zip(rec.prediction, rec.target, strict=True)):
            idx = () if K == 1 else (k + 1,)
            if self.cancels(float(p - t), [p, -t]):
                yh, y = self.post(self.n.depth, *idx), s.sym(self.n.target(), *idx)
                found.append([M(f"{yh}{s.minus}{y} = {s.num(float(p - t))}")])
        return found

    def output_losses(self) -> list[tuple[str, list[tuple[str, Expr]]]]:
        """(ℓₖ, [= substituted, (= simplified,) = value]) for each output k."""
        s, rec = self.s, self.d.loss
        rows = []
        for k in range(self.n.outputs):
            _, substituted, simplified = self.loss_terms(k)
            steps: list[tuple[str, Expr]] = [("=", [substituted])]
            if simplified is not None:
                steps.append(("=", [simplified]))
            steps.append(("=", [s.num(float(rec.terms[k]))]))
            rows.append((s.sym(ELL, k + 1), steps))
        return rows

    def loss_sum(self) -> Equations:
        """K > 1 outputs: ℓₖ, one row per output, then L = (1/K)[ℓ₁ + …]. On one row the K
        substituted terms ran off the LaTeX page, which does not break equations."""
        s, rec, K = self.s, self.d.loss, self.n.outputs
        rows = [Equation([s.sym(ELL, "k")], [("=", [self.loss_terms(None, "k")[0]])])]
        # one relation per line where a row would not fit, judged on the text spelling for every format
        text_rows = Builder(self.d, Style(s.digits)).output_losses()
        wide = any(
            len(lhs + "".join(f" {rel} {piece}" for rel, rhs in steps for piece in rhs)) > LOSS_ROW_WIDTH
            for lhs, steps in text_rows
        )
        rows += [Equation([lhs], steps, multiline=wide) for lhs, steps in self.output_losses()]
        prefix = s.frac("1", str(K)) if rec.reduction == "mean" else ""

        def total(terms: list[str]) -> str:
            return prefix + s.brackets(s.plus.join(terms)) if prefix else s.plus.join(terms)

        names = [s.sym(ELL, k + 1) for k in range(K)]
        sums: list[tuple[str, Expr]] = [("=", [f"{prefix}{s.sum_over('k')} {s.sym(ELL, 'k')}"])]
        if K <= SUM_SHOW_LIMIT:
            sums.append(("=", [total(names)]))
            sums.append(("=", [total([s.par(float(v)) for v in rec.terms])]))
        else:  # the values are in the rows above; all K in one row would not fit
            sums.append(("=", [total([*names[:2], s.ellipsis, names[-1]])]))
        sums.append(("=", [s.num(rec.value)]))
        rows.append(Equation(["L"], sums, multiline=True))
        return Equations(rows)

    # -- 3. chain rule -----------------------------------------------------------------

    def factor_label(self, f: Factor, record: ParamRecord) -> str:
        s = self.s
        idx_k = () if (f.layer == self.n.depth and self.n.outputs == 1) else (f.unit + 1,)
        if f.kind == "loss":
            return self.dl(self.post(f.layer, *idx_k))
        if f.kind == "act":
            return s.partial(self.post(f.layer, *idx_k), self.pre(f.layer, *idx_k))
        if f.kind == "weight":
            prev = f.prev if f.prev is not None else 0
            return s.partial(self.pre(f.layer, *idx_k), self.post(f.layer - 1, prev + 1))
        return s.partial(self.pre(f.layer, *idx_k), self.param(record))

    def factor_steps(self, f: Factor) -> list[tuple[str, Expr]]:
        s = self.s
        idx_k = () if (f.layer == self.n.depth and self.n.outputs == 1) else (f.unit + 1,)
        value = s.num(f.value)
        if f.kind == "loss":
            return self.grad_steps(f.unit, value)
        if f.kind == "act":
            layer = self.d.layers[f.layer - 1]
            fprime = s.act(layer.activation_name, derivative=True)
            return [
                ("=", [s.func(fprime, self.pre(f.layer, *idx_k))]),
                ("=", [s.func(fprime, s.num(float(layer.z[f.unit])))]),
                ("=", [value]),
            ]
        if f.kind == "weight":
            prev = f.prev if f.prev is not None else 0
            w = s.sym(self.n.weight(f.layer), f.unit + 1, prev + 1)
            return [("=", [w]), ("=", [value])]
        if f.prev is None:
            return [("=", ["1"])]
        return [("=", [self.post(f.layer - 1, f.prev + 1)]), ("=", [value])]

    @staticmethod
    def shows_paths(record: ParamRecord) -> bool:
        """Whether the chain rule of ``record`` is written path by path (else in δ form only)."""
        return record.paths is not None and record.path_count <= PATH_SHOW_LIMIT

    def shows_deltas(self, record: ParamRecord) -> bool:
        return self.d.show_deltas or not self.shows_paths(record)

    def chain(self, record: ParamRecord, section: str = "3") -> list[Block]:
        """Section ``section`` (3, or 3a, 3b, … for several parameters): the chain rule for ``record``."""
        s, name = self.s, self.param(record)
        heading = [T(f"{section}. Chain rule for "), M(name), T(f" (glassnet: {record.ref.dotted})")]
        blocks: list[Block] = [Heading(2, heading)]
        show_paths = self.shows_paths(record)
        if show_paths and record.paths is not None:
            paths = record.paths
            if len(paths) > 1:
                blocks.append(
                    Para([M(name), T(f" reaches the loss along {len(paths)} paths; their products add up:")])
                )
            # one path per line ("= path₁", "+ path₂", …): on one line a sum of paths runs off
            # the LaTeX page, which does not break equations
            products: list[tuple[str, Expr]] = []
            for number, path in enumerate(paths):
                product: Expr = []  # one piece per factor, so that the text may break a long line between them
                for i, factor in enumerate(path.factors):
                    if i:
                        product.append(s.times)
                    product.append(self.factor_label(factor, record))
                products.append(("=" if number == 0 else "+", product))
            blocks.append(Equations([Equation([self.dl(name)], products, multiline=len(paths) > 1)]))
            seen: dict[str, Equation] = {}
            for path in paths:
                for factor in path.factors:
                    label = self.factor_label(factor, record)
                    if label not in seen:
                        seen[label] = Equation([label], self.factor_steps(factor))
            blocks.append(Para([T("Each factor: symbolic form, values substituted, value:")]))
            blocks.append(Equations(list(seen.values())))
            result_steps: list[tuple[str, Expr]] = [
                ("=" if number == 0 else "+", [s.times.join(s.par(f.value) for f in path.factors)])
                for number, path in enumerate(paths)
            ]
            if len(paths) > 1:
                result_steps.append(("=", [s.plus.join(s.par(p.product) for p in paths)]))
            result_steps.append(
                ("=", [s.num(record.chain if record.chain is not None else record.delta_form)])
            )
            blocks.append(Para([T("The product" + (" sum" if len(paths) > 1 else "") + ":")]))
            blocks.append(Equations([Equation([self.dl(name)], result_steps, multiline=len(paths) > 1)]))
            if record.chain is not None and self.cancels(record.chain, [p.product for p in paths]):
                blocks.append(self.cancellation_note([[M(f"{self.dl(name)} = {s.num(record.chain)}")]]))
        else:
            blocks.append(
                Para(
                    [
                        T(
                            f"The parameter reaches the loss along {record.path_count} paths, too many to write "
                            "out; the layer-by-layer form below adds them all up."
                        )
                    ]
                )
            )
        if self.shows_deltas(record):
            blocks += self.deltas(record)
        return blocks

    def deltas(self, record: ParamRecord) -> list[Block]:
        s, n, d = self.s, self.n, self.d
        L = n.depth
        rule: list[Block] = (
            []
            if self.delta_rule_shown
            else [
                Para(
                    _split_math(
                        "Vectorised (backpropagation): δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ is computed from the output down, "
                        "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾), and then ∂L/∂w⁽ˡ⁾ᵢⱼ = δ⁽ˡ⁾ᵢ a⁽ˡ⁻¹⁾ⱼ, ∂L/∂b⁽ˡ⁾ᵢ = δ⁽ˡ⁾ᵢ."
                    )
                    if s.kind == "text"
                    else [
                        T("Vectorised (backpropagation): "),
                        M(r"\delta^{(l)} = \partial L / \partial z^{(l)}"),
                        T(" is computed from the output down, "),
                        M(r"\delta^{(l)} = (W^{(l+1)})^{\top} \delta^{(l+1)} \odot f'(z^{(l)})"),
                        T(", and then "),
                        M(r"\partial L/\partial w^{(l)}_{ij} = \delta^{(l)}_{i} a^{(l-1)}_{j}"),
                        T(", "),
                        M(r"\partial L/\partial b^{(l)}_{i} = \delta^{(l)}_{i}"),
                        T("."),
                    ]
                )
            ]
        )
        self.delta_rule_shown = True
        blocks: list[Block] = rule if rule else [Para([T("Vectorised (δ form):")])]
        rows = []
        top = d.layers[-1]
        dyhat = self.dl(self.post(L))
        if top.activation is None:
            rows.append(Equation([s.sym(n.delta(L))], [("=", [dyhat]), ("=", self.col(d.deltas[-1]))]))
        else:
            gprime = s.act(top.activation_name, derivative=True)
            rows.append(
                Equation(
                    [s.sym(n.delta(L))],
                    [
                        ("=", [f"{dyhat}{s.odot}{s.func(gprime, self.pre(L))}"]),
                        ("=", [*self.col(d.loss.grad), s.odot, *self.col(top.derivative, term=True)]),
                        ("=", self.col(d.deltas[-1])),
                    ],
                )
            )
        for ell in range(L - 1, record.ref.layer - 1, -1):
            layer, above = d.layers[ell - 1], d.layers[ell]
            Wt = s.transposed(s.sym(n.weight(ell + 1)))
            symbolic = f"{Wt}{s.sym(n.delta(ell + 1))}"
            values: Expr = self.product(above.weight.T, d.deltas[ell])
            if layer.activation is not None:
                fprime = s.act(layer.activation_name, derivative=True)
                symbolic += f"{s.odot}{s.func(fprime, self.pre(ell))}"
                values += [s.odot, *self.col(layer.derivative, term=True)]
            rows.append(
                Equation(
                    [s.sym(n.delta(ell))],
                    [("=", [symbolic]), ("=", values), ("=", self.col(d.deltas[ell - 1]))],
                    multiline=True,
                )
            )
        ref = record.ref
        delta_i = s.sym(n.delta(ref.layer), ref.row + 1)
        if ref.layer == L and n.outputs == 1:
            delta_i = s.sym(n.delta(ref.layer))
        if ref.col is None:
            rows.append(
                Equation([self.dl(self.param(record))], [("=", [delta_i]), ("=", [s.num(record.delta_form)])])
            )
        else:
            a_j = self.post(ref.layer - 1, ref.col + 1)
            rows.append(
                Equation(
                    [self.dl(self.param(record))],
                    [
                        ("=", [f"{delta_i}{a_j}"]),
                        ("=", [f"{s.par(record.delta)}{s.times}{s.par(record.delta_input)}"]),
                        ("=", [s.num(record.delta_form)]),
                    ],
                )
            )
        blocks.append(Equations(rows))
        return blocks

    # -- 4. update ---------------------------------------------------------------------

    def update(self) -> list[Block]:
        s, d = self.s, self.d
        eta = "η" if s.kind == "text" else r"\eta"
        blocks: list[Block] = [
            Heading(2, [T("4. Update "), M(f"({eta} = {s.num(d.learning_rate)})")]),
        ]
        rows = []
        for record in d.params:
            name = self.param(record)
            rows.append(
                Equation(
                    [name],
                    [
                        (s.arrow.strip(), [f"{name}{s.minus}{eta}{self.dl(name)}"]),
                        (
                            "=",
                            [
                                f"{s.num(record.value)}{s.minus}{s.num(d.learning_rate)}{s.times}{s.par(record.engine)}"
                            ],
                        ),
                        ("=", [s.num(record.updated)]),
                    ],
                )
            )
        blocks.append(Equations(rows))
        cancelled = [
            self.updated(self.param(r), r.updated)
            for r in d.params
            if self.update_cancels(r.value, r.engine, r.updated)
        ]
        if cancelled:
            blocks.append(self.cancellation_note(cancelled))
        if d.other_params:
            blocks.append(Para(self.other_params_note()))
        if d.table is not None:
            blocks.append(
                Para([T("Every parameter, its gradient (from the backward pass) and its updated value:")])
            )
            header = [
                [T("parameter")],
                [T("glassnet")],
                [T("value")],
                [M(self.dl("θ" if s.kind == "text" else r"\theta"))],
                [T("updated")],
            ]
            table_rows = [
                [
                    [M(row.ref.write(self.n, s))],
                    [T(row.ref.dotted)],
                    [M(s.num(row.value))],
                    [M(s.num(row.engine))],
                    [M(s.num(row.updated))],
                ]
                for row in d.table
            ]
            blocks.append(Table(header, table_rows, "llrrr"))
            worst: list[tuple[str, float]] = []
            if self.delta_rule_shown:  # the δ form only where the document works it out
                worst.append(("δ form", max(abs(r.delta_form - r.engine) for r in d.table)))
            fd_differences = [(abs(r.numeric - r.engine), r) for r in d.table if r.numeric is not None]
            # the row of the largest finite-difference difference, which the kink pointer is about
            fd_worst = max(fd_differences, key=lambda pair: pair[0], default=None)
            if fd_worst is not None:
                worst.append(("finite differences", fd_worst[0]))
            torch_values = [abs(r.torch - r.engine) for r in d.table if r.torch is not None]
            if torch_values:
                worst.append(("PyTorch", max(torch_values)))
            if worst:
                text: Inline = [T("Largest difference to the backward pass over all parameters: ")]
                for number, (method, value) in enumerate(worst):
                    text += [T(f"{', ' if number else ''}{method} "), M(s.diff(value))]
                    # beside the finite differences' value, which the kink moves, not PyTorch's
                    if method == "finite differences" and fd_worst is not None:
                        if self.differs_at_kink(fd_worst[1]):
                            text.append(T(" (across an activation's kink: see section 5)"))
                        elif fd_worst[1].ref in self.unexplained_mismatches():
                            text.append(
                                T(
                                    " (finite differences off, PyTorch agreeing with the backward pass: see section 5)"
                                    if self.confirmed_by_torch(fd_worst[1].ref)
                                    else " (a mismatch no kink explains: see section 5)"
                                )
                            )
                blocks.append(Para([*text, T(".")]))
        if d.steps:
            blocks.append(
                Para(
                    [
                        T(
                            f"{len(d.steps)} step{'s' if len(d.steps) > 1 else ''} of gradient descent, "
                            "every parameter updated at each step ("
                        ),
                        M(self.post(self.n.depth)),
                        T(" and "),
                        M("L"),
                        T(" before the step's update):"),
                    ]
                )
            )
            for step in d.steps:
                pred = ", ".join(s.num(float(v)) for v in step.prediction)
                yh = self.post(self.n.depth)
                blocks.append(Heading(3, [T(f"Step {step.step}")]))
                rows = [Equation([yh], [("=", [pred if step.prediction.size == 1 else s.brackets(pred)])])]
                rows.append(Equation(["L"], [("=", [s.num(step.loss)])]))
                for ref, before, grad, after in step.params:
                    name = ref.write(self.n, s)
                    rows.append(
                        Equation(
                            [name],
                            [
                                (
                                    s.arrow.strip(),
                                    [
                                        f"{s.num(before)}{s.minus}{s.num(d.learning_rate)}{s.times}{s.par(grad)}"
                                    ],
                                ),
                                ("=", [s.num(after)]),
                            ],
                        )
                    )
                blocks.append(Equations(rows))
                cancelled = [
                    self.updated(ref.write(self.n, s), after)
                    for ref, before, grad, after in step.params
                    if self.update_cancels(before, grad, after)
                ]
                if cancelled:
                    blocks.append(self.cancellation_note(cancelled))
            if d.after_steps is not None:
                final = d.after_steps
                pred = ", ".join(s.num(float(v)) for v in final.prediction)
                blocks.append(Heading(3, [T(f"After step {final.steps}")]))
                blocks.append(
                    Equations(
                        [
                            Equation(
                                [self.post(self.n.depth)],
                                [("=", [pred if final.prediction.size == 1 else s.brackets(pred)])],
                            ),
                            Equation(["L"], [("=", [s.num(final.loss)])]),
                        ]
                    )
                )
        return blocks

    def other_params_note(self) -> Inline:
        """The parameters an activation holds itself, which no section works out."""
        names = self.d.other_params
        one = len(names) == 1
        steps = (
            " The steps below update "
            + ("it" if one else "them")
            + " with the rest, by the gradient the activation's backward pass gives."
            if self.d.steps
            else ""
        )
        return [
            T(
                "Not worked out here: "
                + ", ".join(names)
                + (", a parameter" if one else ", parameters")
                + " held by an activation itself, not by a Linear layer: the chain rule, the tables and the "
                "checks cover the Linear layers' weights and biases only (the activation's derivatives shown "
                "use " + ("its" if one else "their") + " value" + ("" if one else "s") + ")." + steps
            )
        ]

    def update_cancels(self, value: float, grad: float, updated: float) -> bool:
        """Whether the shown θ − η g = θ′ cancels (see :meth:`cancels`)."""
        return self.cancels(updated, [value, -self.d.learning_rate * grad])

    def clip_eps(self) -> float | None:
        """ε of the interval [ε, 1 − ε] BCE's loss clips ŷ to (``Derivation.clip_bounds``); None for
        another loss. Explain computes in float64, where the interval is symmetric."""
        return None if self.d.clip_bounds is None else self.d.clip_bounds[0]

    def clipped_outputs(self) -> list[int]:
        """The outputs k whose ŷₖ lies outside BCE's [ε, 1 − ε], which its loss clips; none for
        another loss (``Derivation.clipped_outputs``)."""
        return list(self.d.clipped_outputs)

    def clipped_output(self) -> tuple[int, float] | None:
        """(k, ε) for the first output BCE's loss clips (:meth:`clipped_outputs`); None for none."""
        clipped, eps = self.clipped_outputs(), self.clip_eps()
        return (clipped[0], eps) if clipped and eps is not None else None

    def clipped_note(self) -> Inline:
        """Why finite differences read 0 where BCE's ŷ is clipped: every clipped output named
        (:meth:`clipped_outputs`; the first alone left the others' differences unexplained)."""
        clipped = self.clipped_outputs()

        def output(k: int) -> Inline:  # ŷₖ = its value (ŷ alone for one output)
            at = self.post(self.n.depth, *(() if self.n.outputs == 1 else (k + 1,)))
            return [M(f"{at} = {self.s.num(float(self.d.loss.prediction[k]))}")]

        outputs = _and_joined([output(k) for k in clipped])
        checks = (
            "the backward pass (and the PyTorch check, of glassnet's loss) gives"
            if self.d.torch_available
            else "the backward pass gives"
        )
        # the finite differences' slope of 0 only where they were computed (not at ŷ = 0 or 1)
        flat = (
            ", so a finite difference whose step stays there measures a slope of 0,"
            if self.d.fd_note is None
            else ","
        )
        return [
            T("Clipped: "),
            *outputs,
            T(
                f" {'lies' if len(clipped) == 1 else 'lie'} outside the interval where BCE's loss is computed "
                "as written (section 2): beyond it "
                f"the loss is held at its value at the edge{flat} while {checks} the derivative of the "
                "formula at the clipped value, as glassnet's BCE does."
            ),
        ]

    def updated(self, name: str, updated: float) -> Inline:
        """ "the updated w₁₂ʰ = 5.55112e-17", for the cancellation note."""
        return [T("the updated "), M(f"{name} = {self.s.num(updated)}")]

    # -- 5. verification ---------------------------------------------------------------

    def verification(self) -> list[Block]:
        s, d = self.s, self.d
        blocks: list[Block] = [Heading(2, [T("5. Verification")]), Para([T(self.routes())])]
        blocks += [Para(note) for note in self.kink_notes()]
        if self.clipped_output() is not None:
            blocks.append(Para(self.clipped_note()))
        blocks += [Para(note) for note in self.mismatch_notes()]
        rounded = [unit for unit in self.shown_derivatives() if rounded_derivative(*unit)]
        if rounded:
            blocks.append(Para(self.rounding_note(rounded)))
        for record in d.params:
            name = self.param(record)
            header = [
                [T("method")],
                [M(self.dl(name))],
                [T("|Δ|") if s.kind == "text" else M(r"\lvert\Delta\rvert")],
            ]
            rows: list[list[Inline]] = []
            if record.chain is not None and self.shows_paths(record):  # as for the δ form below
                label = "chain rule (path sum)" if record.path_count > 1 else "chain rule (product)"
                rows.append(
                    [[T(label)], [M(s.num(record.chain))], [M(s.diff(abs(record.chain - record.engine)))]]
                )
            if self.shows_deltas(record):  # a row only for a form the reader has seen worked
                rows.append(
                    [
                        [T("δ form")],
                        [M(s.num(record.delta_form))],
                        [M(s.diff(abs(record.delta_form - record.engine)))],
                    ]
                )
            rows.append([[T("backward pass")], [M(s.num(record.engine))], [T("")]])
            if record.numeric is not None:
                rows.append(
                    [
                        [T("finite differences")],
                        [M(s.num(record.numeric))],
                        [M(s.diff(abs(record.numeric - record.engine)))],
                    ]
                )
            if record.torch is not None:
                rows.append(
                    [
                        [T("PyTorch autograd")],
                        [M(s.num(record.torch))],
                        [M(s.diff(abs(record.torch - record.engine)))],
                    ]
                )
            blocks.append(Table(header, rows, "lrr"))
        if d.fd_note is not None:
            blocks.append(Para([T(f"Finite-difference check skipped: {d.fd_note}.")]))
        if not d.torch_available:
            blocks.append(Para([T(f"PyTorch check skipped: {d.torch_note}.")]))
        return blocks

    def routes(self) -> str:
        """The verification's first sentence: which routes the table compares, and which of them are
        independent of the backward pass. The chain rule and the δ form read the backward pass's own
        cached forward values and activation derivatives; only finite differences and PyTorch do not."""
        d = self.d
        forms = [] if not any(self.shows_paths(record) for record in d.params) else ["the chain rule"]
        if any(self.shows_deltas(record) for record in d.params):
            forms.append("the δ form")
        derived = " and ".join(forms)  # one at least: a parameter whose paths are not written shows δ
        checks = [] if d.fd_note else [f"central finite differences (ε = {d.fd_eps:g}, float64)"]
        if d.torch_available:
            checks.append("PyTorch autograd (float64)")
        text = (
            f"The same gradient by each route: {derived} above (from the same forward values and "
            "derivatives as the backward pass), "
            + ("" if checks else "and ")
            + "glassnet's backward pass (model.backward"
            + (
                ""
                if d.model_dtype == "float64"
                else f", on a float64 copy of this {d.model_dtype} model, whose own {d.model_dtype} "
                "passes differ in about the seventh significant digit"
            )
            + ")"
        )
        if checks:
            count = "two independent checks" if len(checks) == 2 else "one independent check"
            text += f", and {count}: {' and '.join(checks)}"
        return text + ". |Δ| is the difference to the backward pass."

    def differs_at_kink(self, row: TableRow) -> bool:
        """Whether ``row``'s finite difference is one gradcheck calls a mismatch (beyond its
        tolerance and what rounding leaves in it) for a parameter whose steps move a unit at (or
        near) a kink across it (``Derivation.kink_crossers``). A large difference there is no
        error (the kink notes say why); elsewhere it is rounding, or a difference to look into."""
        return row.ref.key in self.d.fd_mismatches and row.ref.key in self.d.kink_crossers

    def unexplained_mismatches(self) -> tuple[ParamRef, ...]:
        """The parameters whose finite-difference mismatch no kink explains
        (``Derivation.unexplained_mismatches``), less those BCE's clip does (its note says why
        their differences arise): those whose finite differences agree with the clipped loss's
        own derivative, or whose steps take a clipped output back inside its interval
        (``Derivation.clip_explained``). Not every parameter that reaches a clipped output: a
        wrong derivative in a hidden layer under one went unnamed."""
        return tuple(ref for ref in self.d.unexplained_mismatches() if ref.key not in self.d.clip_explained)

    def confirmed_by_torch(self, ref: ParamRef) -> bool:
        """Whether PyTorch's gradient of ``ref`` agrees with the backward pass: then a mismatch of
        the finite differences is theirs."""
        return ref.key in self.d.torch_confirmed

    def derivations_agree(self, refs: Iterable[ParamRef]) -> bool:
        """Whether the δ form of each of ``refs``, from the derivatives written above, is the
        backward pass's gradient up to rounding (not where a class's backward applies another
        derivative than its own f′ or ∂ℓ/∂ŷ: a straight-through ReLU)."""
        d = self.d

        def delta_form(ref: ParamRef) -> float:  # δ⁽ˡ⁾ᵢ a⁽ˡ⁻¹⁾ⱼ, as derive computes it
            delta, a_in = delta_parts(d.deltas, d.layers, ref)
            return delta * a_in

        def engine(ref: ParamRef) -> float:  # the backward pass's, of a parameter shown or not
            weight, bias = d.gradients[ref.layer - 1]
            return float((weight if ref.kind == "weight" else bias)[ref.index])

        return all(math.isclose(delta_form(ref), engine(ref), rel_tol=1e-9, abs_tol=1e-12) for ref in refs)

    def mismatch_notes(self) -> list[Inline]:
        """Finite differences off the backward pass with no kink to explain it: one note for those
        PyTorch confirms the backward pass of (the finite differences are off), one for the rest
        (the backward pass or the finite differences: nothing here tells which)."""
        refs = self.unexplained_mismatches()
        confirmed = [ref for ref in refs if self.confirmed_by_torch(ref)]
        doubted = [ref for ref in refs if not self.confirmed_by_torch(ref)]
        notes = []
        if doubted:
            notes.append(
                [
                    T("Not explained by a kink: "),
                    *self.mismatch_names(doubted),
                    T(
                        "The backward pass may be wrong there: check the derivatives it uses (each "
                        "activation's "
                    ),
                    M(f"f{self.s.prime}"),
                    T(", the loss's "),
                    M(self.dl(self.post(self.n.depth))),
                    T(
                        (
                            "); the derivations above use the same derivatives, so they agree with it either way. "
                            if self.derivations_agree(doubted)
                            else "); the derivations above, from those derivatives, differ from it too: a layer's "
                            "or the loss's backward that does not apply its own derivative (a class of one's "
                            "own) computes another gradient than the one written here. "
                        )
                        + f"Or the finite differences are unreliable there: {FD_UNRELIABLE}"
                        + (
                            "; PyTorch's autograd, where it can check the network, tells the two apart."
                            if not self.d.torch_available
                            else "."
                        )
                    ),
                ]
            )
        if confirmed:
            notes.append(
                [
                    T("Finite differences off: "),
                    *self.mismatch_names(confirmed),
                    T(
                        "PyTorch's autograd agrees with the backward pass there, so the finite differences "
                        f"are the ones off: {FD_UNRELIABLE}."
                    ),
                ]
            )
        return notes

    def mismatch_names(self, refs: list[ParamRef]) -> Inline:
        """ "the finite differences of w₂₂⁽¹⁾ and b₂⁽¹⁾ differ from the backward pass by more than …":
        the parameters (up to MISMATCHES_NAMED, then a count) and what their differences are."""
        names: list[Inline] = [[M(ref.write(self.n, self.s))] for ref in refs[:MISMATCHES_NAMED]]
        if len(refs) > MISMATCHES_NAMED:
            names.append([T(f"{len(refs) - MISMATCHES_NAMED} more")])
        one = len(refs) == 1
        text: Inline = [T("the finite difference" + ("" if one else "s") + " of "), *_and_joined(names)]
        text.append(
            T(
                (" differs" if one else " differ")
                + " from the backward pass by more than the tolerance and rounding allow (glassnet.gradcheck "
                + ("calls it a mismatch" if one else "calls them mismatches")
                + "), and no step of "
                + ("it" if one else "theirs")
                + " moves a ReLU or LeakyReLU unit across its kink (kinks of activations of one's own are not "
                "looked for). "
            )
        )
        return text

    def kink_notes(self) -> list[Inline]:
        """Why finite differences may disagree at a ReLU-type kink: one note for the units at
        z = 0, one for those a finite-difference step moves across 0 (see ``Derivation.kinks``)."""
        at = [k for k in self.d.kinks if k.z == 0]
        # a unit a step would move across 0 matters only to finite differences that were computed
        crossed = [k for k in self.d.kinks if k.z != 0] if self.d.fd_note is None else []
        return ([self.at_kink_note(at)] if at else []) + (
            [self.crossed_kink_note(crossed)] if crossed else []
        )

    def kink_units(self, kinks: list[Kink]) -> Inline:
        """z₁⁽²⁾ = 0, z₂⁽²⁾ = 1e-05, …: the units named with their z."""
        units: Inline = []
        for number, kink in enumerate(kinks):
            if number:
                units.append(T(", "))
            units.append(M(f"{self.pre(kink.layer, kink.unit + 1)} = {self.s.num(kink.z)}"))
        return units

    def at_kink_note(self, kinks: list[Kink]) -> Inline:
        """z = 0: the loss has no derivative; the backward pass takes f′(0), the left slope."""
        s = self.s
        # one f′(0) per slope: LeakyReLU(0.1) and LeakyReLU(0.3) differ there, so each names its units
        groups: dict[tuple[str, float], list[Kink]] = {}
        for kink in kinks:
            groups.setdefault((kink.activation, kink.derivative), []).append(kink)
        derivatives: Inline = []
        for number, ((name, value), units) in enumerate(groups.items()):
            if number:
                derivatives.append(T(" and "))
            derivatives.append(M(f"{s.func(s.act(name, derivative=True), '0')} = {s.num(value)}"))
            if len(groups) > 1:
                units_named = ", ".join(self.pre(k.layer, k.unit + 1) for k in units)
                derivatives += [T(" (for "), M(units_named), T(")")]
        one = len(kinks) == 1
        return [
            T("At a kink: "),
            *self.kink_units(kinks),
            T(f" {'is' if one else 'are'} at the activation's kink at 0, where it has no derivative. "),
            T("The backward pass (like PyTorch) takes "),
            *derivatives,
            T(
                ", the slope on the left; a central finite difference across the kink measures the mean of "
                "the two one-sided slopes. So for a parameter that moves "
                + ("this unit's z" if one else "these units' z")
                + " the finite difference may differ from the backward pass by a large amount without either "
                "being wrong: along such a parameter the loss may have no derivative there (a parameter "
                "that leaves z as it is, such as a weight whose input is 0, is not concerned)."
                if self.d.fd_note is None  # no finite differences to compare (below: why)
                else ", the slope on the left: along a parameter that moves z, the loss may have no derivative there."
            ),
        ]

    def crossed_kink_note(self, kinks: list[Kink]) -> Inline:
        """z ≠ 0 but within a step's reach of 0: the backward pass is exact, the secant is not."""
        eps = "ε" if self.s.kind == "text" else r"\varepsilon"
        one = len(kinks) == 1
        return [
            T("Near a kink: "),
            *self.kink_units(kinks),
            T(
                f" {'is' if one else 'are'} so close to the activation's kink at 0 that a finite-difference step "
            ),
            M(eps),
            T(
                f" of a parameter moves {'it' if one else 'them'} across. The loss has a derivative here, which "
                "the backward pass (like PyTorch) gives; a central finite difference across the kink mixes the "
                "two one-sided slopes, so for a parameter whose gradient passes through "
                + ("this unit" if one else "these units")
                + " it may differ from the backward pass by a large amount."
            ),
        ]

    def shown_derivatives(self) -> list[tuple[LayerRecord, int]]:
        """(layer, unit) of every f′(z) the chain-rule sections write out, in layer order:
        the path factors' and, in the δ form, every unit of the layers from the parameter's up."""
        d, shown = self.d, set()
        for record in d.params:
            if self.shows_paths(record) and record.paths is not None:
                shown |= {(f.layer, f.unit) for path in record.paths for f in path.factors if f.kind == "act"}
            if self.shows_deltas(record):
                shown |= {
                    (layer.index, unit)
                    for layer in d.layers[record.ref.layer - 1 :]
                    if layer.activation is not None
                    for unit in range(layer.z.size)
                }
        return [(d.layers[index - 1], unit) for index, unit in sorted(shown)]

    def rounding_note(self, units: list[tuple[LayerRecord, int]]) -> Inline:
        """σ′ or tanh′ of a saturated unit: the engine's s(1 − s) or 1 − t², noise below 1e-8."""
        s = self.s
        values: Inline = []
        for number, (layer, unit) in enumerate(units):
            if number:
                values.append(T(", "))
            fprime = s.func(s.act(layer.activation_name, derivative=True), self.pre(layer.index, unit + 1))
            values.append(M(f"{fprime} = {s.num(float(layer.derivative[unit]))}"))
        square = "²" if s.kind == "text" else "^{2}"
        formulas = {
            "sigmoid": f"{s.sigma}(z)(1{s.minus}{s.sigma}(z))",
            "tanh": f"1{s.minus}{s.act('tanh')}{square}(z)",
        }
        names = sorted({layer.activation_name for layer, _ in units})  # "sigmoid" before "tanh"
        products: Inline = []
        for number, name in enumerate(names):
            if number:
                products.append(T(" and "))
            products.append(M(formulas[name]))
        one = len(units) == 1
        it, they = ("it", "It is") if one else ("them", "They are")
        return [
            T("Rounding: "),
            *values,
            T(f" {'is' if one else 'are'} computed as the backward pass (and PyTorch) computes {it}, "),
            *products,
            T(f", which subtracts from 1 a number rounded to float64. {they} accurate to about 1e-16 "),
            T("absolute only, a large relative error below "),
            M(s.num(ROUNDED_BELOW)),
            T(
                ": even the leading digits shown may be off (a 0 may stand for a tiny positive number), and a "
                f"gradient through {'this unit' if one else 'these units'} carries the same relative error."
            ),
        ]


def _and_joined(items: list[Inline]) -> Inline:
    """The pieces as a list in words: a, b and c (a alone; nothing for none)."""
    joined: Inline = []
    for number, item in enumerate(items):
        if number:
            joined.append(T(" and " if number == len(items) - 1 else ", "))
        joined += item
    return joined


def _letters(number: int) -> str:
    """a, b, …, z, aa, ab, … for number = 0, 1, …: the chain-rule sections 3a, 3b, …"""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _split_math(text: str) -> Inline:
    """Plain text with $…$ spans (used for prose written once for both styles)."""
    parts = text.split("$")
    return [(i % 2 == 1, part) for i, part in enumerate(parts) if part]


def derivation_blocks(d: Derivation, s: Style, *, with_forward: bool = True) -> list[Block]:
    b = Builder(d, s)
    blocks: list[Block] = []
    if with_forward:
        blocks += b.forward()
    else:
        yh = b.post(d.notation.depth)
        blocks.append(Heading(2, [T("1. Forward pass")]))
        blocks.append(
            Para(
                [
                    T("As above: "),
                    M(f"{yh} = " + ", ".join(s.num(float(v)) for v in d.loss.prediction)),
                    T("."),
                ]
            )
        )
    blocks += b.loss()
    for number, record in enumerate(d.params):
        blocks += b.chain(record, "3" if len(d.params) == 1 else f"3{_letters(number)}")
    blocks += b.update()
    blocks += b.verification()
    return blocks


def build_document(explanation: Explanation, s: Style) -> list[Block]:
    """The whole worked solution as blocks, written in style ``s``."""
    blocks: list[Block] = [Heading(1, [T(explanation.title)])]
    for note in explanation.notes:
        blocks.append(Para(_split_math(note.text if s.kind == "text" else note.latex)))
    blocks += derivation_blocks(explanation.derivation, s)
    if explanation.alternative is not None:
        alt = explanation.alternative
        blocks.append(Heading(1, _split_math(alt.title.text if s.kind == "text" else alt.title.latex)))
        for note in alt.notes:
            blocks.append(Para(_split_math(note.text if s.kind == "text" else note.latex)))
        blocks += derivation_blocks(alt.derivation, s, with_forward=False)
    return blocks
