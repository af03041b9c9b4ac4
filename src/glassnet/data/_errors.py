"""Exceptions and warnings of the data layer.

Each one subclasses the built-in a caller would catch anyway (``ValueError``, ``OSError``,
``UserWarning``), so ``except ValueError`` keeps working; the subclasses only add detail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassnet._checks import rebuilt_error


class DataWarning(UserWarning):
    """A data file parsed, but differs from the published data set (rows or column means).

    Results on such a file are not comparable with published figures. Silence it with
    ``warnings.simplefilter("ignore", glassnet.data.DataWarning)`` when the difference is
    intended (a subset, a corrected copy).
    """


class DataFormatError(ValueError):
    """A data file that cannot be read as rows of numbers.

    ``path`` is the file (None for text that came from memory, e.g. a download), ``line``
    the 1-based line in the file and ``column`` the 1-based column at fault, when known.
    """

    def __init__(
        self, message: str, *, path: Path | None = None, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class OutOfDomainError(ValueError):
    """A feature value the preprocessing cannot take: ≤ 0 in a log-transformed column, or so
    large that its standardised value (or its Fourier angles) overflows the model's dtype.

    ``row`` and ``column`` are 0-based, in the array given; ``value`` is the value, and
    ``reason`` the value and what is wrong with it (``"1e+39 is too large: …"``), for a caller
    who names the value otherwise (by the line and column name of the file it came from).
    """

    def __init__(self, message: str, *, row: int, column: int, value: float, reason: str):
        super().__init__(message)
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt with its keywords: from ``args`` alone (the message), pickle and copy failed, and
        # a process pool's worker that raised it broke the pool, every run in flight lost
        return (rebuilt_error, (type(self), str(self), self.__dict__))


class DownloadError(OSError):
    """A download that failed (offline, server down, HTTP error, timeout)."""
