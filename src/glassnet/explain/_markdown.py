"""Markdown with LaTeX maths ($…$ and $$…$$), as GitHub and Jupyter render it."""

from __future__ import annotations

from glassnet.explain._document import Block, Equations, Heading, Inline, Para, Table
from glassnet.explain._latex import equations_body


def _plain(text: str) -> str:
    # text as written: a title's $…$ is no maths, its _x_ no emphasis, its <b> no HTML, its &amp;
    # no entity, its "#" no heading's closing mark, its ~~x~~ no strikethrough (backslash first;
    # Markdown takes \ before any ASCII punctuation), and its [a](b) no link: a "]" followed by
    # "(" or "[" escaped, so 0.weight[0,1] stays as it reads
    for char in "\\|*$_`<~&#":
        text = text.replace(char, "\\" + char)
    return text.replace("](", "\\](").replace("][", "\\][")


def inline_markdown(inline: Inline) -> str:
    return "".join(f"${content}$" if math else _plain(content) for math, content in inline)


def table_markdown(table: Table) -> list[str]:
    rule = ["---:" if align == "r" else ":---" for align in table.align]
    lines = [
        "| " + " | ".join(inline_markdown(c) for c in table.header) + " |",
        "| " + " | ".join(rule) + " |",
    ]
    lines += ["| " + " | ".join(inline_markdown(c) for c in row) + " |" for row in table.rows]
    return lines


MAX_LEVEL = 6  # Markdown's headings: # to ######


def render_markdown(blocks: list[Block], heading_level: int = 1) -> str:
    """The blocks as Markdown; the document's level-1 headings at ``heading_level``, the others
    below them (3: ### for the title, #### for its sections, to sit inside a notebook's section)."""
    deepest = max((block.level for block in blocks if isinstance(block, Heading)), default=1)
    if not 1 <= heading_level <= MAX_LEVEL - deepest + 1:
        raise ValueError(
            f"heading_level must be between 1 and {MAX_LEVEL - deepest + 1} (this document's headings "
            f"go {deepest} levels deep; Markdown has {MAX_LEVEL}), got {heading_level}"
        )
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * (block.level + heading_level - 1) + " " + inline_markdown(block.inline))
        elif isinstance(block, Para):
            out.append(inline_markdown(block.inline))
        elif isinstance(block, Equations):
            out += ["$$", "\\begin{aligned}", equations_body(block), "\\end{aligned}", "$$"]
        elif isinstance(block, Table):
            out += table_markdown(block)
        out.append("")
    return "\n".join(out).rstrip() + "\n"
