"""The guided tour behind ``glassnet demo``; returns text, prints nothing itself.

``run_demo()`` is a concatenation of sections, each a function returning text; the first
is the exercise's worked solution (:func:`glassnet.explain.explain_exercise`).
"""

from __future__ import annotations

from glassnet.explain import explain_exercise


def explanation_section() -> str:
    """The exercise's step worked out: forward pass, loss, chain rule for w₁₂ʰ, update, checks."""
    return explain_exercise().to_text()


def run_demo() -> str:
    sections = [explanation_section()]
    return "\n\n".join(section.rstrip("\n") for section in sections) + "\n"
