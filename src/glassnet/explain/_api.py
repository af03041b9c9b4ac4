"""``explain``: the worked solution for a network, an input, a target, a loss and η."""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array, finite_float, positive_int
from glassnet._files import atomic_write_text, suffix_of
from glassnet.exercise import INPUT, LEARNING_RATE, SHEET_LABEL, exercise_network
from glassnet.explain._derivation import (
    Derivation,
    LossRecord,
    Network,
    ParamRecord,
    TableRow,
    derive,
    read_network,
)
from glassnet.explain._document import PATH_SHOW_LIMIT, build_document
from glassnet.explain._names import shown_name
from glassnet.explain._notation import Notation, ParamRef, all_params, make_notation, parse_param
from glassnet.explain._symbols import LatexStyle, Style
from glassnet.losses import LabelConvention, LogisticLoss, Loss, Reduction, get_loss
from glassnet.nn import Module
from glassnet.nn._activations import BOUNDED_OUTPUTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["text", "markdown", "latex", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "latex", "json")
SUFFIXES: dict[str, Format] = {".txt": "text", ".md": "markdown", ".tex": "latex", ".json": "json"}
# names of images, where text written without a word would make a file no viewer opens
IMAGE_SUFFIXES = frozenset(
    {".png", ".svg", ".pdf", ".eps", ".ps", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".webp"}
)

MAX_STEPS = 1000
"""The most gradient-descent steps an explanation (a spec, ``--steps``, ``explain(steps=...)``) may ask for."""

# Unicode categories a one-line title may not hold: controls (\n, \t, BEL, …), line and paragraph separators
CONTROL = frozenset({"Cc", "Zl", "Zp"})


@dataclass(frozen=True)
class Note:
    """A paragraph in two spellings: ``text`` (Unicode) and ``latex`` (with $…$ maths)."""

    text: str
    latex: str


@dataclass(frozen=True)
class Alternative:
    """A second reading of the same network and example, shown after the first."""

    title: Note
    notes: tuple[Note, ...]
    derivation: Derivation


@dataclass(frozen=True, repr=False)
class Explanation:
    """A worked solution: the derivation's numbers and the ways to show them.

    ``derivation`` holds every number; ``notes`` are paragraphs shown first;
    ``alternative`` is a second reading of the same network (the exercise's consistent
    label), shown after the first. ``str(e)`` is the terminal text; in Jupyter the object
    shows as Markdown with LaTeX maths.
    """

    title: str
    derivation: Derivation
    notes: tuple[Note, ...] = ()
    alternative: Alternative | None = None
    digits: int = 6

    # -- formats -----------------------------------------------------------------------

    def to_text(self, width: int = 80) -> str:
        """Terminal text: aligned matrices; paragraphs wrapped at ``width`` columns (a positive
        integer) and equations broken at their = signs to fit it where they can. Titles, tables,
        matrices and a single equation step keep their own width, which may be more."""
        from glassnet.explain._text import render_text

        if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
            raise (ValueError if isinstance(width, int | np.integer) else TypeError)(
                f"width must be a positive integer, got {width!r} ({type(width).__name__})"
            )
        return render_text(build_document(self, Style(self.digits)), int(width))

    def to_markdown(self, *, heading_level: int = 1) -> str:
        """Markdown with LaTeX maths ($…$, $$…$$), for GitHub and Jupyter.

        ``heading_level`` is the level of the title's heading (1: ``#``), its sections one level
        below it; e.g. 4 to show the explanation inside a notebook section (``###``) as
        embedded material, its numbered sections (1 to 5) under the notebook's own."""
        from glassnet.explain._markdown import render_markdown

        if isinstance(heading_level, bool) or not isinstance(heading_level, int | np.integer):
            raise TypeError(
                f"heading_level must be an integer, got {heading_level!r} ({type(heading_level).__name__})"
            )
        return render_markdown(build_document(self, LatexStyle(self.digits)), int(heading_level))

    def to_latex(self) -> str:
        """A standalone LaTeX document (article class; pdflatex or lualatex compile it)."""
        from glassnet.explain._latex import render_latex

        return render_latex(build_document(self, LatexStyle(self.digits)))

    def to_dict(self) -> dict[str, Any]:
        """Every intermediate value as JSON types (floats at full precision)."""
        from glassnet.explain._json import explanation_dict

        return explanation_dict(self)

    def to_json(self, indent: int | None = 2, *, ensure_ascii: bool = False) -> str:
        """``to_dict()`` as JSON text, ``indent`` spaces per level (None: one line), ending in a
        newline; with ``ensure_ascii``, every character past ASCII as its ``\\u`` escape (the
        same data, for an output that lacks η), as :func:`json.dumps` writes it."""
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=ensure_ascii) + "\n"

    def render(self, format: Format = "text") -> str:
        """The explanation in one of ``FORMATS``: text, markdown, latex, json."""
        renderers = {
            "text": self.to_text,
            "markdown": self.to_markdown,
            "latex": self.to_latex,
            "json": self.to_json,
        }
        if format not in renderers:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        return renderers[format]()

    def save(self, path: str | os.PathLike[str], format: Format | None = None) -> Path:
        """Write the explanation to ``path`` atomically; the format defaults from the suffix
        (.md markdown, .tex latex, .json json, anything else text; an image's suffix, such as
        .png or .pdf, is refused: :func:`format_for`)."""
        chosen = format if format is not None else format_for(path)
        return atomic_write_text(path, self.render(chosen))

    def figure(self, *, gradients: bool = True) -> Figure:
        """The network drawn like the exercise's Figure 1 (see :func:`draw_network`); a notebook
        cell ending in it shows the image (``glassnet.plots.show_figures_in_ipython``)."""
        from glassnet.explain._figure import draw_network
        from glassnet.plots import show_figures_in_ipython

        show_figures_in_ipython()
        return draw_network(self.derivation, gradients=gradients, title=self.title, reading=self._reading())

    def _reading(self) -> str | None:
        """The figure's line on what it draws: the labels applied as written, and that the second
        reading (``alternative``) is in the text only; None when there is nothing to say."""
        rec, t = self.derivation.loss, Style(4)

        def targets(values: Array) -> str:  # as the figure writes numbers: a real minus sign
            shown = ", ".join(t.num(float(v)).replace("-", "\u2212") for v in values)
            return f"y = {shown}" if values.size == 1 else f"y = ({shown})"

        words = []
        if rec.outside and rec.name == "logistic" and isinstance(rec.loss, LogisticLoss):
            words.append(
                f"{targets(rec.target)}: the logistic formula applied as written to a label outside "
                f"{rec.loss.label_set_text}"
            )
        if self.alternative is not None:
            if not words:
                words.append(f"Drawn for {targets(rec.target)}")
            other = targets(self.alternative.derivation.loss.target)
            words.append(f"the text's second reading ({other}) is not drawn")
        return "; ".join(words) if words else None

    def save_figure(self, path: str | os.PathLike[str], *, gradients: bool = True) -> Path:
        """Write the figure as PNG or SVG (by suffix), atomically."""
        from glassnet.explain._figure import save_figure

        return save_figure(self.figure(gradients=gradients), path)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        """One line on what is explained, not every number (the exercise's would be 6,800
        characters): the sizes, the loss, the parameters (as ``params`` names them), η, each
        check's largest |Δ| to the backward pass (``'skipped'`` when it did not run), and
        whether a second reading follows; ``str()``, ``render()`` show the solution itself."""
        d = self.derivation
        try:
            records: list[ParamRecord | TableRow] = [*d.params, *(d.table or ())]
            fd = [abs(r.numeric - r.engine) for r in records if r.numeric is not None]
            tv = [abs(r.torch - r.engine) for r in records if r.torch is not None]
            checks = {
                "finite_difference": _largest(fd) if d.fd_note is None else "skipped",
                "torch": _largest(tv) if d.torch_available else "skipped",
            }
            shown = [
                f"sizes={list(d.notation.sizes)}",
                f"loss={d.loss.loss!r}",
                f"params={[r.ref.short_name(d.notation) for r in d.params]}",
                *(["all_params=True"] if d.table is not None else []),
                *([f"steps={len(d.steps)}"] if d.steps else []),
                f"learning_rate={d.learning_rate!r}",
                f"checks={checks}",
                f"alternative={self.alternative is not None}",
            ]
        except (AttributeError, TypeError):  # built by hand from something else: say what it holds
            shown = [f"title={self.title!r}", f"derivation={type(d).__name__}"]
        return f"Explanation({', '.join(shown)})"

    # -- numbers -----------------------------------------------------------------------

    def param(self, name: str | None = None) -> ParamRecord:
        """The explained parameter ``name``, one entry in any spelling ``params`` accepts for one
        (w12h, w₁₂ʰ, w^h_{12}, w12^1, 0.weight[0,1]); the first when None.

        KeyError when it was not explained, and for a whole array's name (0.weight), which
        ``params`` takes for every entry: the message lists the explained entries to name one of
        (``derivation.params`` holds them all, ``derivation.gradients`` the whole gradients).
        """
        d = self.derivation
        records = d.params
        if name is None:
            return records[0]
        known = ", ".join(r.ref.short_name(d.notation) for r in records)
        prefixes = tuple(layer.prefix for layer in d.layers)
        shapes = tuple((int(layer.weight.shape[0]), int(layer.weight.shape[1])) for layer in d.layers)
        try:
            wanted = parse_param(name, d.notation, prefixes, shapes)
        except (TypeError, ValueError) as error:
            raise KeyError(f"parameter {name!r} was not explained ({error}); explained: {known}") from None
        if len(wanted) > 1:  # a whole array: one record cannot stand for its entries
            entries = [r for r in records if r.ref in wanted]
            if entries:
                listed = ", ".join(f"{r.ref.short_name(d.notation)} ({r.ref.dotted})" for r in entries)
                raise KeyError(
                    f"parameter {name!r} names a whole array ({len(wanted)} entries); name one entry; "
                    f"explained: {listed}"
                )
        for record in records:
            if len(wanted) == 1 and record.ref == wanted[0]:
                return record
        raise KeyError(f"parameter {name!r} was not explained; explained: {known}")


def _power_e(exponent: str) -> str:
    """e⁶ for an integer exponent, e^(2.5) otherwise."""
    if all(ch in "0123456789-" for ch in exponent):
        return "e" + exponent.translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return f"e^({exponent})"


def format_for(path: str | os.PathLike[str]) -> Format:
    """The format ``save`` picks for ``path``: .txt text, .md markdown, .tex latex, .json json, else
    text; ValueError for an image's suffix (.png, .svg, .pdf, …), which would name a text file."""
    suffix = suffix_of(path)
    if suffix in IMAGE_SUFFIXES:
        raise ValueError(
            f"{os.fspath(path)} ends in {suffix}, an image's suffix, and an explanation is text (.txt, .md, "
            ".tex or .json); draw the network with save_figure (--figure FILE.png or FILE.svg), or give "
            "format= (--format) to write the text under that name"
        )
    return SUFFIXES.get(suffix, "text")


def _largest(differences: list[float]) -> float | None:
    """The largest of ``differences`` to two significant digits (a check's |Δ|), None when empty."""
    return float(f"{max(differences):.2g}") if differences else None


def _as_vector(values: npt.ArrayLike, name: str, size: int, what: str) -> Array:
    array = as_float_array(values, name=name, dtype=np.dtype(np.float64))
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]  # a batch of one row
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size != size:
        raise ValueError(
            f"{name} must have {size} value{'s' if size != 1 else ''} ({what}), got shape {array.shape}"
        )
    return array.copy()


def _make_loss(
    loss: Loss | str,
    labels: LabelConvention | None,
    literal_labels: bool,
    reduction: Reduction | None,
    *,
    literal_name: str = "literal_labels",
) -> Loss:
    """The loss to explain: ``loss`` itself, or the loss of that name made with ``labels`` ('01'
    when None), ``literal_labels`` and ``reduction``.

    ``labels`` (when not None) and ``literal_labels`` (when True) apply to the logistic loss only:
    ValueError with the name of another loss, which would not read them. A Loss instance keeps its
    own settings: TypeError when any of the three is given with one. ``literal_name`` is how the
    caller spells ``literal_labels`` in the message (a spec adds "(--literal-labels)").
    """
    label_options = [
        name for name, given in (("labels", labels is not None), (literal_name, literal_labels)) if given
    ]
    if isinstance(loss, Loss):
        given = label_options + (["reduction"] if reduction is not None else [])
        if given:
            raise TypeError(
                f"explain got {', '.join(given)} with a Loss instance ({loss!r}); set them when "
                "making the instance, or pass the loss's name"
            )
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name or a glassnet Loss, got {type(loss).__name__}")
    if loss.lower() == "logistic":
        labels = "01" if labels is None else labels
        return LogisticLoss(labels=labels, reduction=reduction, strict_labels=not literal_labels)
    made = get_loss(loss, reduction=reduction)  # an unknown name is refused first, as such
    if label_options:
        verb = "apply" if len(label_options) > 1 else "applies"
        raise ValueError(f"{' and '.join(label_options)} {verb} to the logistic loss only, got loss {loss!r}")
    return made


def _check_output(loss: Loss, net: Network) -> None:
    """ValueError for the logistic loss on an output activation whose outputs cannot reach every
    logit: sigmoid's (0, 1), relu's and softplus's ≥ 0, tanh's (−1, 1) (``BOUNDED_OUTPUTS``, which the
    Trainer refuses too), or a LeakyReLU's with α ≤ 0. With a sigmoid the explanation would read
    σ(ŷ) as the probability of a ŷ that is one already, σ(σ(z)). The other mistake, BCE of a logit,
    BCELoss refuses where the logit lies outside [0, 1] ("for logits use LogisticLoss"); one inside
    it is explained as the probability it would be."""
    last = net.activations[-1]
    if shown_name(loss) != "logistic" or last is None:  # a user's ℓ: its domain unknown
        return
    slope = getattr(last, "negative_slope", None)
    name = shown_name(last)  # a user's activation, whose range is not known, is let be
    if name in BOUNDED_OUTPUTS:
        shown = repr(name)
    elif name == "leaky_relu" and slope is not None and slope <= 0:
        shown = f"'leaky_relu' with negative_slope {slope:g}"
    else:
        return
    way = (
        "for a sigmoid output's probabilities use BCELoss (loss 'bce')"
        if name == "sigmoid"
        else "for logits give the last layer no activation (identity)"
    )
    raise ValueError(
        f"LogisticLoss expects logits, any real number, got the output activation {shown}, whose outputs "
        f"cannot reach every logit; {way}"
    )


def _check_labels(loss: Loss, y: Array, *, instance: bool = False) -> None:
    """ValueError naming the field y when it lies outside the loss's domain (the logistic loss's
    labels, BCE's [0, 1]): here, not later inside the loss, with the logistic loss's two ways on.
    For a loss given as an ``instance``, which takes no literal_labels, the way is its own
    ``strict_labels=False``."""
    reason = loss.target_refusal(y[None, :])
    if reason is None:
        return
    if isinstance(loss, LogisticLoss):
        hint = loss.other_convention_hint(y[None, :])
        literal = (
            f"{type(loss).__name__}(strict_labels=False) to apply the formula to y as written"
            if instance
            else "literal_labels (--literal-labels) to apply the formula to y as written"
        )
        reason += f"{hint}, or {literal}" if hint else f"; use {literal}"
    raise ValueError(f"y: {reason}")


def explain(
    model: Module,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: Loss | str = "logistic",
    labels: LabelConvention = "01",
    literal_labels: bool = False,
    reduction: Reduction | None = None,
    learning_rate: float = 0.1,
    params: str | Sequence[str] | None = None,
    all_params: bool = False,
    steps: int | None = None,
    digits: int = 6,
    notation: str = "auto",
    deltas: bool | None = None,
    check_torch: bool = True,
    fd_eps: float = 1e-6,
    title: str | None = None,
) -> Explanation:
    """The worked solution of one gradient step of ``model`` on one example (x, y).

    ``model`` is a glassnet Sequential/MLP of Linear layers, each followed by at most one
    activation (or a single Linear); it is read, never changed. Shapes: x (in,) or (1, in),
    y (K,) or a number when K = 1.

    ``loss`` is a Loss or a name ("logistic", "mse", "half_sse", "bce"). With a name, the loss is
    made with ``reduction``; ``labels`` ('01' or 'pm1') and ``literal_labels`` (apply the logistic
    formula to a label outside the convention, as the exercise's sheet does) are the logistic
    loss's: 'pm1' or True is refused with any other loss. A Loss instance keeps its own settings,
    so any of the three given (not at its default) is refused with one.
    ``params`` names the parameters to explain (w12h, w12^1, 0.weight[0,1], …; see
    :mod:`glassnet.explain._notation`); the first weight when None. ``all_params`` adds
    a table of every gradient and updated value, ``steps`` = k ≥ 1 adds k steps of
    gradient descent (on a copy) and ŷ, L after the last (None: only the step derived).
    ``digits`` significant digits are printed. ``notation`` is "auto" (h/o for two
    layers, 1..L otherwise), "ho" or "numbered"; ``deltas`` shows
    the vectorised δ form (default: for three or more layers, or too many paths).
    ``check_torch`` adds PyTorch autograd to the checks when torch is installed.

    Examples
    --------
    One linear unit, W = (0.5, −1), b = 0, on x = (1, 2) with target y = 0.5:
    ŷ = 0.5 − 2 = −1.5, L = (ŷ − y)² = 4, ∂L/∂w₁₂ = 2(ŷ − y)·x₂ = −8.

    >>> import numpy as np
    >>> from glassnet.nn import Linear
    >>> from glassnet.explain import explain
    >>> layer = Linear(2, 1, rng=np.random.default_rng(0))
    >>> layer.weight.data[:] = [[0.5, -1.0]]
    >>> layer.bias.data[:] = 0.0
    >>> e = explain(layer, [1.0, 2.0], 0.5, loss="mse", params="w12^1", check_torch=False)
    >>> e.derivation.loss.value, e.param().engine, round(e.param().updated, 6)  # w₁₂ − η·(−8)
    (4.0, -8.0, -0.2)
    >>> print(e)  # the worked solution, step by step
    Worked solution: a 2-1 network, mse loss
    ...
      ∂L/∂w₁₂⁽¹⁾ = (-4) · 2 = -8
    ...
    """
    digits, steps, learning_rate, fd_eps = _checked_options(
        literal_labels, all_params, check_torch, deltas, title, digits, steps, learning_rate, fd_eps
    )
    net = read_network(model)
    sizes = net.sizes
    x_vec = _as_vector(x, "x", sizes[0], "one per input")
    y_vec = _as_vector(y, "y", sizes[-1], "one per output")
    loss_object = _make_loss(loss, None if labels == "01" else labels, literal_labels, reduction)
    _check_output(loss_object, net)
    _check_labels(loss_object, y_vec, instance=isinstance(loss, Loss))
    written = make_notation(notation, sizes, net.plain)
    refs = _resolve(params, written, net.prefixes, net.shapes)
    if deltas is None:
        deltas = written.depth >= 3 or any(math.prod(sizes[r.layer + 1 :]) > PATH_SHOW_LIMIT for r in refs)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            derivation = derive(
                x_vec,
                y_vec,
                loss_object,
                notation=written,
                net=net,
                refs=refs,
                learning_rate=learning_rate,
                table=all_params,
                steps=0 if steps is None else steps,
                check_torch=check_torch,
                fd_eps=fd_eps,
                show_deltas=bool(deltas),
            )
        # Python's float arithmetic (w − η·g) and PyTorch overflow to inf without a numpy error
        where = _not_finite(derivation, "")
    except (FloatingPointError, OverflowError) as error:
        where = str(error)
    if where is not None:
        raise ValueError(
            f"the numbers overflow float64 ({where}); use smaller weights, inputs or learning rate"
        ) from None
    rec = derivation.loss
    note = _literal_label_note(rec, written, digits)
    if title is None:
        title = f"Worked solution: a {'-'.join(map(str, sizes))} network, {rec.name} loss"
    return Explanation(title, derivation, () if note is None else (note,), None, digits)


def _checked_options(
    literal_labels: Any,
    all_params: Any,
    check_torch: Any,
    deltas: Any,
    title: Any,
    digits: Any,
    steps: Any,
    learning_rate: Any,
    fd_eps: Any,
) -> tuple[int, int | None, float, float]:
    """:func:`explain`'s options checked: the flags are bools (a string such as "no" is truthy, so
    literal_labels="no" would apply the literal formula), the title a string; returns
    ``digits``, ``steps``, ``learning_rate`` and ``fd_eps`` as plain numbers."""
    for flag, value in (
        ("literal_labels", literal_labels),
        ("all_params", all_params),
        ("check_torch", check_torch),
    ):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{flag} must be True or False, got {value!r} ({type(value).__name__})")
    if deltas is not None and not isinstance(deltas, bool | np.bool_):
        raise TypeError(f"deltas must be True, False or None, got {deltas!r} ({type(deltas).__name__})")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {title!r} ({type(title).__name__})")
    if title is not None:
        # a heading of one line: a line break ended LaTeX's \section* in mid-argument (it stopped
        # compiling), and the figure's caption grew over the network
        control = next((i for i, char in enumerate(title) if unicodedata.category(char) in CONTROL), None)
        if control is not None:
            raise ValueError(
                f"title must be one line of text, got {title[control]!r} (a control character or line "
                f"break) at position {control}"
            )
        # no file or figure can hold half of a UTF-16 pair (a JSON "\ud800" without its other
        # half, or bytes a terminal could not decode): refused here, not as a write that fails
        lone = next((i for i, char in enumerate(title) if unicodedata.category(char) == "Cs"), None)
        if lone is not None:
            raise ValueError(
                f"title must be Unicode text, got {title[lone]!r} (half of a UTF-16 surrogate pair, "
                f"with no character of its own) at position {lone}"
            )
    digits = positive_int(digits, "digits")
    if digits > 17:
        raise ValueError(f"digits must be between 1 and 17, got {digits}")
    if steps is not None:
        steps = positive_int(steps, "steps")
        if steps > MAX_STEPS:  # each step renders a full block: keep the document (and the wait) bounded
            raise ValueError(f"steps must be at most {MAX_STEPS}, got {steps}")
    learning_rate = finite_float(learning_rate, "learning_rate", minimum=0.0)
    fd_eps = finite_float(fd_eps, "fd_eps", minimum=0.0, strict=True)
    return digits, steps, learning_rate, fd_eps


def _literal_label_note(rec: LossRecord, written: Notation, digits: int) -> Note | None:
    """The note on labels outside the logistic loss's convention, applied as written (literal
    labels): the loss is then no negative log-likelihood. None for any other loss or label."""
    # outside the convention, literal or not: a subclass may take such labels of its own accord
    if not (rec.outside and rec.name == "logistic" and isinstance(rec.loss, LogisticLoss)):
        return None
    shown = rec.loss.label_set_text
    shown_latex = shown.replace("{", "\\lbrace ").replace("}", " \\rbrace")
    outside = [int(k) for k in np.flatnonzero(rec.loss.outside_labels(rec.target))]  # only these
    t_style, l_style = Style(digits), LatexStyle(digits)
    target = written.target()
    index = (lambda k: ()) if rec.target.size == 1 else (lambda k: (k + 1,))
    bad_text = ", ".join(f"{t_style.sym(target, *index(k))} = {t_style.num(rec.target[k])}" for k in outside)
    bad_latex = ", ".join(
        f"${l_style.sym(target, *index(k))} = {l_style.num(rec.target[k])}$" for k in outside
    )
    many = len(outside) > 1
    label, lies, it = ("labels", "lie", "them") if many else ("label", "lies", "it")
    return Note(
        f"The {label} {bad_text} {lies} outside {shown}; the logistic formula is applied to {it} as "
        "written (literal labels), so the loss is not a negative log-likelihood.",
        f"The {label} {bad_latex} {lies} outside ${shown_latex}$; "
        f"the logistic formula is applied to {it} as written (literal labels), so the loss is not a "
        "negative log-likelihood.",
    )


def _not_finite(value: Any, where: str) -> str | None:
    """Where ``value`` (a derivation record, walked field by field) holds inf or NaN, e.g.
    "params[0].updated is -inf"; None when every number is finite."""
    if isinstance(value, float | np.floating):
        return None if math.isfinite(value) else f"{where} is {value}"
    if isinstance(value, np.ndarray):
        if value.dtype.kind != "f" or np.isfinite(value).all():
            return None
        return f"{where} is {value.flat[np.flatnonzero(~np.isfinite(value))[0]]}"
    if isinstance(value, tuple):
        items: Sequence[tuple[str, Any]] = [(f"{where}[{i}]", item) for i, item in enumerate(value)]
    elif is_dataclass(value) and type(value).__module__ == Derivation.__module__:
        items = [(f"{where}.{f.name}".lstrip("."), getattr(value, f.name)) for f in fields(value)]
    else:  # names, notation, the loss object: no numbers of the explanation
        return None
    return next((found for name, item in items if (found := _not_finite(item, name)) is not None), None)


def _resolve(
    params: str | Sequence[str] | None,
    notation: Any,
    prefixes: tuple[str, ...],
    shapes: tuple[tuple[int, int], ...],
) -> list[ParamRef]:
    if params is None:
        return [all_params(prefixes, shapes)[0]]
    if not isinstance(params, str) and not (
        isinstance(params, Sequence) and all(isinstance(name, str) for name in params)
    ):
        raise TypeError(
            f"params must be a name or a list of names (e.g. 'w12h', '0.weight[0,1]'), got {params!r}"
        )
    names = [params] if isinstance(params, str) else list(params)
    if not names:
        raise ValueError("params must name at least one parameter, got an empty list")
    refs: list[ParamRef] = []
    for name in names:
        for ref in parse_param(name, notation, prefixes, shapes):
            if ref not in refs:
                refs.append(ref)
    return refs


def _shown_below(loss: float, w12: ParamRecord | None, digits: int) -> tuple[str, str]:
    """The notes' clause "the steps below show up to 6 significant digits: L = 6.00248, w₁₂ʰ = 0.100742", as
    text and LaTeX. The notes quote six decimals, the derivation ``digits`` significant digits, so one
    number reads 6.002476 in a note and 6.00248 below it; this says which is which."""
    t, x = Style(digits), LatexStyle(digits)
    text = [f"$L = {t.num(loss)}$"]
    latex = [f"$L = {x.num(loss)}$"]
    if w12 is not None:
        text.append(f"$w₁₂ʰ = {t.num(w12.updated)}$")
        latex.append(rf"$w_{{12}}^{{h}} = {x.num(w12.updated)}$")
    words = f"the steps below show up to {digits} significant digit{'s' if digits != 1 else ''}: "
    return words + ", ".join(text), words + ", ".join(latex)


def _check_exercise_label(y: npt.ArrayLike) -> None:
    """ValueError for the label −1 of the ±1 convention given to the exercise, whose loss takes
    labels in {0, 1} and no other convention: the general hint, labels='pm1', is no option here
    (nor on the command line), so the message names the same label in {0, 1}. Any other value is
    left to :func:`explain`'s checks."""
    try:
        values = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError):
        return
    # the exercise's one output: another count is explain's to name
    if values.size == 1 and values[0] == -1.0:
        raise ValueError(
            "y: the exercise's logistic loss takes labels in {0, 1}, got -1; the label -1 of the ±1 "
            "convention is y = 0 in {0, 1} (--y 0), or literal_labels (--literal-labels) applies the "
            "formula to y as written"
        )


def explain_exercise(
    *,
    params: str | Sequence[str] | None = ("w12h",),
    all_params: bool = False,
    steps: int | None = None,
    digits: int = 6,
    deltas: bool | None = None,
    check_torch: bool = True,
    x: npt.ArrayLike | None = None,
    y: npt.ArrayLike | None = None,
    learning_rate: float | None = None,
    literal_labels: bool = False,
) -> Explanation:
    """The exercise's step (Figure 1 of the sheet), as written and in its consistent reading.

    The sheet applies L = log(1 + exp((1 − 2y)ŷ)) with y = −1, outside {0, 1}; the main
    derivation follows it as written (ŷ = 2, L = log(1 + e⁶), ∂L/∂w₁₂ʰ = 3σ(6)), the
    alternative takes the consistent label y = 0 (label −1 in the ±1 convention).

    With ``x``, ``y`` or ``learning_rate`` given, another step on the same network, for a sheet
    of one's own: one reading, the logistic loss of labels in {0, 1} (``y`` 0 unless given,
    x = (1, 2) and η = 0.1 unless given; ``literal_labels`` to apply the formula to a label
    outside them, which the sheet's own step shows already).

    Examples
    --------
    >>> from glassnet.explain import explain_exercise
    >>> e = explain_exercise(check_torch=False)
    >>> print(e)
    The exercise (Figure 1): forward pass, loss, chain rule and update
    ...

    The sheet's step as written (y = −1): ŷ = 2, L = log(1 + e⁶), ∂L/∂w₁₂ʰ = 3σ(6):

    >>> e.derivation.loss.prediction, round(e.derivation.loss.value, 6)
    (array([2.]), 6.002476)
    >>> w12 = e.param("w12h")
    >>> round(w12.engine, 6), round(w12.updated, 6)  # 3σ(6), then 0.4 − 0.1 · 3σ(6)
    (2.992582, 0.100742)

    The consistent reading (y = 0) gives ∂L/∂w₁₂ʰ = σ(2) · 0.5 · 1 · 2 = σ(2):

    >>> round(e.alternative.derivation.params[0].engine, 6)
    0.880797
    """
    if x is not None or y is not None or learning_rate is not None:  # not ==: x may be an array
        if y is not None and not literal_labels:
            _check_exercise_label(y)
        return explain(
            exercise_network(),
            INPUT if x is None else x,
            0.0 if y is None else y,
            loss="logistic",
            literal_labels=literal_labels,
            learning_rate=LEARNING_RATE if learning_rate is None else learning_rate,
            params=params,
            all_params=all_params,
            steps=steps,
            digits=digits,
            deltas=deltas,
            check_torch=check_torch,
        )
    if literal_labels:
        raise ValueError(
            "literal_labels applies to the exercise with x, y or learning_rate given; the sheet's own "
            "step shows both readings already"
        )
    options: dict[str, Any] = {
        "learning_rate": LEARNING_RATE,
        "params": params,
        "all_params": all_params,
        "steps": steps,
        "digits": digits,
        "deltas": deltas,
        "check_torch": check_torch,
    }
    sheet = explain(
        exercise_network(), INPUT, SHEET_LABEL, loss=LogisticLoss("01", strict_labels=False), **options
    )
    consistent = explain(exercise_network(), INPUT, 0.0, loss=LogisticLoss("01"), **options)
    d, c = sheet.derivation, consistent.derivation
    t, tex = Style(digits), LatexStyle(digits)
    s_sheet = float(d.loss.sign[0]) if d.loss.sign is not None else 1.0
    pred = float(d.loss.prediction[0])
    pm1 = LogisticLoss("pm1")(d.loss.prediction[None, :], np.array([[-1.0]]))  # the ±1 reading of label −1
    notes = [
        Note(
            "The exercise's network (Figure 1 of the sheet): 2 inputs, 3 ReLU units, 1 output (a logit), "
            f"x = (1, 2), η = {t.num(LEARNING_RATE)}. The sheet takes y = {t.num(SHEET_LABEL)} with the "
            "{0, 1} formula $L = log(1 + exp((1 − 2y)ŷ))$. But y = -1 lies outside {0, 1}, the labels for "
            f"which that formula is the Bernoulli negative log-likelihood; applied as written its factor "
            f"(1 − 2y) is {t.num(s_sheet)}. The solution below follows the sheet as written; the consistent "
            "reading (y = 0) follows after it.",
            "The exercise's network (Figure 1 of the sheet): 2 inputs, 3 ReLU units, 1 output (a logit), "
            rf"$x = (1, 2)$, $\eta = {tex.num(LEARNING_RATE)}$. The sheet takes $y = {tex.num(SHEET_LABEL)}$ with "
            r"the $\lbrace 0, 1 \rbrace$ formula $L = \log(1 + \exp((1 - 2y)\hat{y}))$. But $y = -1$ lies "
            r"outside $\lbrace 0, 1 \rbrace$, the labels for which that formula is the Bernoulli negative "
            rf"log-likelihood; applied as written its factor $(1 - 2y)$ is ${tex.num(s_sheet)}$. The solution "
            "below follows the sheet as written; the consistent reading ($y = 0$) follows after it.",
        )
    ]
    try:
        w12 = sheet.param("0.weight[0,1]")
    except KeyError:
        w12 = None
    exponent = t.num(s_sheet * pred)
    grad = float(d.loss.grad[0])
    # six decimals, the precision at which the sheet's numbers are usually quoted
    rounding_text = (
        "The sheet rounds L ≈ 6, ∂L/∂ŷ ≈ 3"
        + (" and the new w₁₂ʰ = 0.1" if w12 else "")
        + f"; to six decimals $L = log(1 + {_power_e(exponent)}) ≈ {d.loss.value:.6f}$, "
        f"$∂L/∂ŷ = {t.num(s_sheet)}σ({exponent}) ≈ {grad:.6f}$"
    )
    rounding_latex = (
        r"The sheet rounds $L \approx 6$, $\partial L/\partial\hat{y} \approx 3$"
        + (r" and the new $w_{12}^{h} = 0.1$" if w12 else "")
        + rf"; to six decimals $L = \log(1 + e^{{{tex.num(s_sheet * pred)}}}) \approx {d.loss.value:.6f}$, "
        rf"$\partial L/\partial\hat{{y}} = {tex.num(s_sheet)}\sigma({tex.num(s_sheet * pred)}) \approx {grad:.6f}$"
    )
    if w12 is not None:
        rounding_text += f", $∂L/∂w₁₂ʰ ≈ {w12.engine:.6f}$ and $w₁₂ʰ ≈ {w12.updated:.6f}$"
        rounding_latex += (
            rf", $\partial L/\partial w_{{12}}^{{h}} \approx {w12.engine:.6f}$ and "
            rf"$w_{{12}}^{{h}} \approx {w12.updated:.6f}$"
        )
    shown_text, shown_latex = _shown_below(d.loss.value, w12, digits)
    notes.append(Note(f"{rounding_text} ({shown_text}).", f"{rounding_latex} ({shown_latex})."))
    c_exponent = float(c.loss.sign[0]) * pred if c.loss.sign is not None else pred
    alt_text = (
        "Label -1 in the ±1 convention is y = 0 in {0, 1}; the ±1 formula $L = log(1 + exp(−yŷ))$ with "
        f"y = -1 gives the same $L = {t.num(pm1)}$. The forward pass is unchanged; the loss is now "
        f"$L = log(1 + {_power_e(t.num(c_exponent))}) ≈ {c.loss.value:.6f}$"
    )
    alt_latex = (
        r"Label $-1$ in the $\pm 1$ convention is $y = 0$ in $\lbrace 0, 1 \rbrace$; the $\pm 1$ formula "
        rf"$L = \log(1 + \exp(-y\hat{{y}}))$ with $y = -1$ gives the same $L = {tex.num(pm1)}$. The forward pass "
        rf"is unchanged; the loss is now $L = \log(1 + e^{{{tex.num(c_exponent)}}}) \approx {c.loss.value:.6f}$"
    )
    c12 = next((r for r in c.params if r.ref.dotted == "0.weight[0,1]"), None)
    if c12 is not None:
        alt_text += f", $∂L/∂w₁₂ʰ ≈ {c12.engine:.6f}$ and $w₁₂ʰ ≈ {c12.updated:.6f}$"
        alt_latex += (
            rf", $\partial L/\partial w_{{12}}^{{h}} \approx {c12.engine:.6f}$ and "
            rf"$w_{{12}}^{{h}} \approx {c12.updated:.6f}$"
        )
    shown_text, shown_latex = _shown_below(c.loss.value, c12, digits)
    alt_text, alt_latex = (
        f"{alt_text} (six decimals; {shown_text}).",
        f"{alt_latex} (six decimals; {shown_latex}).",
    )
    alternative = Alternative(
        Note(
            "The consistent reading: y = 0 in {0, 1}",
            r"The consistent reading: $y = 0$ in $\lbrace 0, 1 \rbrace$",
        ),
        (Note(alt_text, alt_latex),),
        c,
    )
    return Explanation(
        "The exercise (Figure 1): forward pass, loss, chain rule and update",
        d,
        tuple(notes),
        alternative,
        digits,
    )
