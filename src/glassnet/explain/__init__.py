"""Worked solutions: forward pass, loss, chain rule, update and checks, from the engine's numbers.

``explain(model, x, y, loss=..., learning_rate=..., params=[...])`` returns an
:class:`Explanation`; print it, or render it as Markdown (``to_markdown``, also shown by
Jupyter), LaTeX (``to_latex``, a standalone document) or JSON (``to_json``), and draw the
network (``save_figure``). ``explain_exercise()`` is the exercise's step, as the sheet
writes it and in its consistent reading; ``explain_spec(path)`` reads a JSON spec (see
``docs/explain.md``).
"""

from glassnet.explain._api import (
    FORMATS,
    Alternative,
    Explanation,
    Format,
    Note,
    explain,
    explain_exercise,
    format_for,
)
from glassnet.explain._derivation import Derivation, LayerRecord, LossRecord, ParamRecord
from glassnet.explain._notation import ParamRef
from glassnet.explain._spec import ExplainSpec, explain_spec, load_spec, parse_spec

__all__ = [
    "FORMATS",
    "Alternative",
    "Derivation",
    "ExplainSpec",
    "Explanation",
    "Format",
    "LayerRecord",
    "LossRecord",
    "Note",
    "ParamRecord",
    "ParamRef",
    "explain",
    "explain_exercise",
    "explain_spec",
    "format_for",
    "load_spec",
    "parse_spec",
]
