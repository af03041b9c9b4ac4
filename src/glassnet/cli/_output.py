"""Text for people, as opposed to data: written whatever the stream's encoding."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from glassnet._files import nearest_existing, raw_name, shell_word


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


def path_text(path: str | os.PathLike[str], stream: Any) -> str:
    """``path`` as a line written to ``stream`` shows it: as typed, or as its bytes
    (``b'r\\xc3\\xa9sum\\xc3\\xa9'``, which any stream can write and which name the file
    exactly) where the stream's encoding lacks one of its characters or the name holds one no
    printed line gives back (bytes that are not UTF-8, a line break). A finished run's folder
    (``résumé`` on an ASCII stdout) was reported as a failure."""
    text = os.fspath(path)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return raw_name(text)
    return text if shell_word(text) is not None else raw_name(text)


def one_line(message: str) -> str:
    """``message`` with line breaks and other control characters escaped (``\\n``), so it stays one line."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


@contextlib.contextmanager
def writing_stdout() -> Iterator[None]:
    """Write a command's report to standard output in the block, flushed at its end, and name the
    stream in an OSError that writing it raises: a full disk behind ``> file`` gave
    "[Errno 28] No space left on device", naming nothing (now "standard output: No space left
    on device"). A broken pipe (the reader left) passes as it is, for main to end quietly."""
    try:
        yield
        if sys.stdout is not None:
            sys.stdout.flush()  # now, not at exit, where Python reports a failure in a traceback
    except BrokenPipeError:
        raise
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        raise OSError(error.errno, error.strerror, "standard output") from error


def refuse_closed_stdout(what: str) -> None:
    """ValueError when standard output is closed (a command started with ``>&-``), before the
    work whose report would go nowhere: a traceback after it, or exit 0 with nothing written.
    ``what`` says what the command writes there, and how to do without ("the demo writes its tour
    there")."""
    if sys.stdout is None:
        raise ValueError(f"standard output is closed; {what}")


def refuse_missing_folder(target: Path, option: str) -> None:
    """The folder a file ``option`` names is written into must exist: NotADirectoryError naming the
    file on its way (``-o afile/x.md`` said the folder 'afile' did not exist), FileNotFoundError
    naming the first folder missing; checked before anything is written."""
    existing = nearest_existing(target.parent)
    if existing.exists() and not existing.is_dir():
        raise NotADirectoryError(f"{option} {target}: {existing} is not a folder")
    if existing != target.parent:  # the first folder missing on the way down from it
        missing = existing / target.parent.relative_to(existing).parts[0]
        raise FileNotFoundError(f"{option} {target}: folder {str(missing)!r} does not exist")
