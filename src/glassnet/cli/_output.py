"""Text for people, as opposed to data: written whatever the stream's encoding."""

from __future__ import annotations

from typing import Any


def write_message(text: str, stream: Any) -> None:
    """Write ``text`` (help, usage, an error, a warning, a run's summary) to ``stream``, a
    character its encoding lacks as "?": the help's →, σ and η raised UnicodeEncodeError on a
    cp1252 stream (a Windows console or pipe), a traceback for ``glassnet --help``, and a
    finished run's R² reported it as failed; the demo's tour and evaluate's table are written so
    too. Data (predict's rows, explain's text, evaluate's ``--json``) is written as it is, and a
    character its stream cannot take is an error saying so."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding))
