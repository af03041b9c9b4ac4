"""Text for people, as opposed to data: written whatever the stream's encoding."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from glassnet._files import nearest_existing, raw_name, shell_word

# How a message spells a symbol its stream's encoding lacks (see write_message); Greek letters
# are spelled by name, sub- and superscripts by their compatibility forms
_SPELLED = {
    "−": "-", "–": "-", "—": "--", "≈": "~=", "≤": "<=", "≥": ">=", "≫": ">>", "±": "+/-",
    "×": "x", "·": "*", "⊙": "(*)", "→": "->", "←": "<-", "↔": "<->", "∂": "d", "∇": "grad ",
    "√": "sqrt", "∞": "inf", "∈": "in", "∉": "not in", "ℝ": "R", "Σ": "sum", "…": "...",
    "‖": "||", "′": "'", "ŷ": "y^", "ȳ": "y-bar", "½": "1/2",
    "⎡": "[", "⎢": "[", "⎣": "[", "⎤": "]", "⎥": "]", "⎦": "]",
}  # fmt: skip


_ESCAPING = frozenset({"backslashreplace", "namereplace", "xmlcharrefreplace"})  # error handlers that escape


def write_message(text: str, stream: Any) -> None:
    """Write ``text`` (help, usage, an error, a warning, a run's summary) to ``stream``, a
    symbol its encoding lacks spelled in ASCII (− as -, ≈ as ~=, η as eta, w₁₂ʰ as w12h, see
    ``_SPELLED``) and any other character as "?": the help's →, σ and η raised
    UnicodeEncodeError on a cp1252 stream (a Windows console or pipe), a traceback for
    ``glassnet --help``, and a finished run's R² reported it as failed; the demo's worked
    solution came out as "(1 ? 2y)?", − and ŷ alike. Letters stay "?" (a file name's é is
    not another file's e), or on a stream that escapes what it lacks (standard error's
    ``backslashreplace``), its escape ("r\\xe9sum\\xe9.csv", which names the file). The
    demo's tour and evaluate's table are written so too. Data (predict's rows, explain's
    text, evaluate's ``--json``) is written as it is, and a character its stream cannot take
    is an error saying so. A missing stream (``2>&-``) takes nothing."""
    if stream is None:
        return
    # checked, not caught: standard error (errors="backslashreplace") writes "\u03c3" for σ
    if not stream_takes(text, stream):
        # the rest is the stream's to escape, where it escapes ("\\xe9"); surrogateescape (an
        # ASCII stdout under LC_ALL=C), ignore and replace are as strict here: "?"
        escapes = getattr(stream, "errors", None) in _ESCAPING
        text = _spelled_text(
            text, getattr(stream, "encoding", None) or "ascii", other=None if escapes else "?"
        )
    stream.write(text)


def _spelled_text(text: str, encoding: str, other: str | None = "?") -> str:
    """``text`` with each character ``encoding`` lacks spelled (:func:`_spelled`), a word
    spelled before a letter followed by a space (η∂L as "eta dL", not "etadL")."""
    pieces = [_spelled(char, encoding, other) for char in text]
    for index, (char, piece) in enumerate(zip(text[:-1], pieces, strict=False)):
        if piece != char and len(piece) > 1 and piece[-1].isalpha() and pieces[index + 1][:1].isalnum():
            pieces[index] = piece + " "
    return "".join(pieces)


def _spelled(char: str, encoding: str, other: str | None = "?") -> str:
    """``char`` if ``encoding`` has it, else its ASCII spelling (write_message), else ``other``
    (None: ``char`` itself, for the stream to escape)."""
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        pass
    else:
        return char
    name = unicodedata.name(char, "")
    if char in _SPELLED:
        return _SPELLED[char]
    if name.startswith("GREEK ") and "LETTER" in name and " WITH " not in name:
        word = name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")
        return word.capitalize() if "CAPITAL" in name else word
    compatible = unicodedata.normalize("NFKC", char)
    if compatible.isascii() and compatible.isalnum():
        if "SUPERSCRIPT" in name or name.startswith("MODIFIER LETTER CAPITAL"):
            return "^" + compatible  # R² as R^2, Wᵀ as W^T
        if "SUBSCRIPT" in name or name.startswith("MODIFIER LETTER SMALL"):
            # one character for one: the exercise's w₁₂ʰ as w12h (its name in glassnet), and
            # Wʰx + bʰ still aligned with the matrices printed under it
            return compatible
    return char if other is None else other


def path_text(path: str | os.PathLike[str], stream: Any) -> str:
    """``path`` as a line written to ``stream`` shows it: as typed, or as its bytes
    (``b'r\\xc3\\xa9sum\\xc3\\xa9'``, which any stream can write and which name the file
    exactly) where the stream's encoding lacks one of its characters or the name holds one no
    printed line gives back (bytes that are not UTF-8, a line break). A finished run's folder
    (``résumé`` on an ASCII stdout) was reported as a failure."""
    text = os.fspath(path)
    return text if stream_takes(text, stream) and shell_word(text) is not None else raw_name(text)


def stream_takes(text: str, stream: Any) -> bool:
    """Whether ``stream``'s encoding (UTF-8 where it names none) has every character of ``text``."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


class _WholeWrites(io.RawIOBase):
    """A file descriptor written to without a buffer, each write whole: ``os.write`` again for
    what a short write left (a pipe, a disk that fills up, a signal), until all is written or
    an error says why not."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    @property
    def name(self) -> int:  # as a FileIO opened from a descriptor names itself
        return self._fd

    def fileno(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        written = 0
        while written < len(view):
            written += os.write(self._fd, view[written:])
        return written


def discard_unwritten_stdout() -> None:
    """After a write to standard output failed (a reader that left): where the stream holds
    what it could not write in a buffer, Python's flush at exit would fail on it again
    ("Exception ignored … BrokenPipeError"), so its file is pointed at /dev/null. The stream
    :func:`standard_streams` puts in place holds nothing back and is left as it is: a later
    ``main()`` in the process writes again (a review found fd 1 on /dev/null for good)."""
    if isinstance(getattr(sys.stdout, "buffer", None), _WholeWrites):
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stdout without a file (a test's capture)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)


@contextlib.contextmanager
def standard_streams() -> Iterator[None]:
    """The standard streams as a command writes them, in the block: a closed standard error
    (``2>&-``) writes to nowhere, where its ``None`` failed every command in silence with exit
    status 1; Python's own standard output, a file (``FileIO``) behind a buffer or, under
    ``PYTHONUNBUFFERED=1`` (set in many container images), none, is written whole and at
    once (:class:`_WholeWrites`). Unbuffered, Python drops what a short write leaves
    (python/cpython#85393): predict's rows on a disk that filled up were cut off mid-number,
    exit status 0; buffered, what a full disk left unwritten failed again in Python's flush at
    exit, "Exception ignored … OSError" after the error line and exit status 120. Another
    stream (a test's capture, a Windows console, a caller's own) is left as it is."""
    stdout, stderr = sys.stdout, sys.stderr
    buffer = getattr(stdout, "buffer", None)
    file = getattr(buffer, "raw", buffer)  # the FileIO behind the buffer, or the unbuffered one
    whole: io.TextIOWrapper | None = None
    if isinstance(stdout, io.TextIOWrapper) and type(file) is io.FileIO and not file.closed:
        with contextlib.suppress(OSError):  # what the caller wrote before, in its order
            stdout.flush()
        whole = io.TextIOWrapper(
            _WholeWrites(file.fileno()), encoding=stdout.encoding, errors=stdout.errors, write_through=True
        )
        sys.stdout = whole
    if stderr is None:
        sys.stderr = io.StringIO()  # read by no one
    try:
        yield
    finally:
        if whole is not None:
            sys.stdout = stdout
            with contextlib.suppress(OSError, ValueError):  # nothing is held back to flush
                whole.detach()  # the file stays open: Python's own stream writes it again
        if stderr is None:
            sys.stderr = stderr


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
