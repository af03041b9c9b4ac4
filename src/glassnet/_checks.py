"""Input checks shared by the whole package.

Every check raises ``ValueError`` or ``TypeError`` with a message that names what was
expected and what was received; none uses ``assert`` (those vanish under ``python -O``).
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating[Any]]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_PACKAGE_FOLDER = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` with which ``warnings.warn``, called by the caller of this function,
    names the first frame outside glassnet: the user's line, however deep in glassnet the
    warning arises (a fixed ``stacklevel=2`` named glassnet's own call when the warning came
    from a helper). Python 3.12's ``skip_file_prefixes`` does this; glassnet supports 3.11."""
    level, frame = 1, sys._getframe(1)  # the function that warns: stacklevel 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_FOLDER):
        frame, level = frame.f_back, level + 1
    return level


MAX_SEED = 2**63 - 1
"""The largest seed glassnet takes: a saved state (a checkpoint's int64, a run's JSON) holds it."""


def rebuilt_error(
    kind: type[BaseException], message: str, state: dict[str, Any], errno: int | None = None
) -> Any:
    """An exception of ``kind`` as pickle rebuilds it (``__reduce__``), without calling its
    ``__init__``, whose arguments are not its ``args``: its message, its attributes (notes too)
    and, for an OSError, its errno. An exception whose ``__init__`` takes other arguments than
    the message failed to unpickle and to copy, and a process pool's worker that raised one broke
    the pool."""
    error = kind.__new__(kind, message)
    error.args = (message,)
    error.__dict__.update(state)
    if errno is not None:
        error.errno = errno  # type: ignore[attr-defined]  # an OSError's, which __dict__ does not hold
    return error


def shown(value: Any, limit: int = 200) -> str:
    """``repr(value)`` for an error message, cut after ``limit`` characters with the size said:
    ``[3, 3, 3, 3… (list of 1000000 items)``, ``'xxxx… (str of 1000000 characters)``.

    A value read from a file (a checkpoint's metadata) can be of any size, and a message that
    holds it whole floods the terminal it is printed on. A value whose repr fits in ``limit``
    is shown exactly as ``repr`` gives it. A longer list, tuple, dict or string is cut before
    it is written out, so the cost does not grow with its length; an integer of more than
    about 0.9·limit digits is named by its length (``str`` refuses those past 4,300 digits).
    """
    if isinstance(value, int) and value.bit_length() > 3 * limit:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        if isinstance(value, str | list | tuple) and len(value) > limit:
            text = repr(value[:limit])  # longer than limit: each item takes a character at least
        elif isinstance(value, dict) and len(value) > limit:
            text = repr(dict(itertools.islice(value.items(), limit)))
        else:
            text = repr(value)
    except ValueError:  # an integer past 4,300 digits inside a container: repr refuses it too
        text = f"a {type(value).__name__} holding an integer too long to write"
    if len(text) <= limit:
        return text
    if isinstance(value, str | list | tuple | dict | set | frozenset):
        unit = "character" if isinstance(value, str) else "item"
        size = f"{type(value).__name__} of {len(value)} {unit}{'' if len(value) == 1 else 's'}"
    else:
        size = f"{len(text)} characters"
    return f"{text[:limit]}… ({size})"


def as_dtype(dtype: npt.DTypeLike) -> np.dtype[Any]:
    """Return ``dtype`` as a NumPy dtype, accepting only float32 and float64 (not None, which
    NumPy reads as float64: ``astype(None)`` would turn a float32 model into float64)."""
    if dtype is None:
        raise TypeError("dtype must be float32 or float64, got None")
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"dtype must be float32 or float64, got {shown(dtype)}") from error
    if resolved not in FLOAT_DTYPES:
        # str(): "int32"; a record dtype's ("f8, f8, …", or a dict of names) is as long as its fields
        got = resolved if resolved.names is None else shown(resolved)
        raise TypeError(f"dtype must be float32 or float64, got {got}")
    return resolved


def seconds_text(seconds: float) -> str:
    """A duration for people: two significant digits under a second (a 40-ms run is not
    "0.0 s"), tenths of a second above."""
    return f"{seconds:.2g} s" if seconds < 1.0 else f"{seconds:.1f} s"


def count_text(n: int, noun: str) -> str:
    """ "1 row", "2 rows": a count and its noun, plural but for one."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` if it is an integer ≥ 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a positive integer, got {shown(value)} ({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {shown(int(value))}")
    return int(value)


def layer_sizes(value: Any, name: str, item_name: str | None = None) -> list[int]:
    """``value`` as a list of positive integers, layer sizes: it must be a list, a tuple or a 1-D
    array (TypeError naming ``name`` else: a string or bytes was read character by character, a
    set in its own order, a dict by its keys); each entry is checked by :func:`positive_int`,
    named ``item_name`` (default ``name[i]``)."""
    if not (isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1)):
        raise TypeError(
            f"{name} must be a list, tuple or 1-D array of layer sizes [in, hidden…, out], got {shown(value)} "
            f"({type(value).__name__})"
        )
    return [positive_int(size, item_name or f"{name}[{index}]") for index, size in enumerate(value)]


def nonnegative_int(value: Any, name: str) -> int:
    """Return ``value`` if it is an integer ≥ 0 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a non-negative integer, got {shown(value)} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {shown(int(value))}")
    return int(value)


def int_in_range(value: Any, name: str, low: int, high: int) -> int:
    """Return ``value`` if it is an integer in [low, high] (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {shown(value)}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {shown(int(value))}")
    return int(value)


def check_device_name(device: object, shown_as: str) -> None:
    """ValueError unless ``device`` is "cpu", "cuda" or "cuda:N", N a GPU number without leading
    zeros (torch.device refuses "cuda:01" as an invalid device string); ``shown_as`` is the value
    as the message names it. Whether the machine has that GPU is the caller's to check."""
    index = device.removeprefix("cuda:") if isinstance(device, str) else ""
    if device in ("cpu", "cuda") or (index != device and index == "0"):
        return
    if index != device and index.isascii() and index.isdigit():
        if not index.startswith("0"):
            return
        raise ValueError(
            f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {shown_as}: write the GPU number without "
            f"leading zeros, 'cuda:{index.lstrip('0') or '0'}'"
        )
    raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {shown_as}")


def finite_float(value: Any, name: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """Return ``value`` as a finite float, optionally ≥ ``minimum`` (> when ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {shown(value)} ({type(value).__name__})")
    try:
        number = float(value)
    except OverflowError:  # an int past float's range, 10**400
        raise ValueError(f"{name} must be a finite number, got {shown(value)}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    if minimum is not None:
        if strict and number <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {number}")
        if not strict and number < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {number}")
    return number


def binary_scale(magnitude: npt.ArrayLike) -> Any:
    """A power of two 2^(e−1) ≤ m < 2^e for each positive, finite magnitude m (1 elsewhere).

    Dividing by it and multiplying back is exact (only the exponent changes), so sums and
    squares taken in its units have the bits they would have had, and values near the
    float64 limit (1e308) neither overflow nor warn. A float for a scalar, else an array.
    """
    m = np.asarray(magnitude, dtype=np.float64)
    usable = (m > 0) & np.isfinite(m)
    scale = np.where(usable, np.ldexp(1.0, np.frexp(np.where(usable, m, 1.0))[1] - 1), 1.0)
    return float(scale) if scale.ndim == 0 else scale


def metric_text(value: float, decimals: int) -> str:
    """A metric for people: ``decimals`` decimals, or four significant digits past a million,
    where fixed decimals would print a diverged run's RMSE of 1e75 as 76 digits, and where they
    would round a value other than 0 to 0 (an RMSE of 1.2e-5, a target of small units)."""
    text = f"{value:.{decimals}f}"
    if abs(value) < 1e6 and (value == 0 or float(text) != 0):  # NaN: "nan", not < 1e6
        return text
    return f"{value:.4g}"


def exact_text(value: Any) -> str:
    """A number as briefly as it can be written and still read back as itself: 2, -1, 0.5,
    1.000001 (which ``:g`` would print as 1), 1e+300; float32 values with float32's digits.

    For error messages that name a value outside a range, where a rounded value could look
    like one inside it.
    """
    number = value if isinstance(value, np.floating) else np.float64(value)
    if number == 0 or not np.isfinite(number) or 1e-4 <= abs(number) < 1e16:
        return np.format_float_positional(number, trim="-")
    return np.format_float_scientific(number, trim="-")


def all_finite(array: Array) -> bool:
    """True if no entry of the float array is NaN or ±inf.

    This check runs on every training step, so it takes the cheap road first: xᵀx (one
    BLAS call, no temporary) is NaN or inf if any entry is, and finite otherwise unless
    the squares overflow (|x| > 1.8e19 in float32), in which case the exact count decides.
    """
    if math.isfinite(np.vdot(array, array)):
        return True
    # count_nonzero, not .all(): the same answer in half the time
    return bool(np.count_nonzero(np.isfinite(array)) == array.size)


def as_float_array(
    values: Any,
    *,
    name: str,
    dtype: np.dtype[Any] | None = None,
    ndim: int | None = None,
    finite: bool = True,
) -> Array:
    """Convert ``values`` (real numbers: bool, int, uint or float) to a finite float array.

    Complex numbers, strings, bytes, datetimes and objects that are not numbers are refused
    with a TypeError rather than cast. ``dtype`` None keeps float32/float64 input as it is
    and turns anything else into float64. ``ndim`` checks the number of dimensions. NaN and ±inf are refused, since
    one of them anywhere makes every later number meaningless (``finite=False`` leaves
    that check to a caller who finds them more cheaply later).
    """
    if (
        type(values) is np.ndarray  # not a subclass: np.matrix keeps 2-D rows where (N,) is asked for
        and values.dtype.char in "fd"  # float32, float64: FLOAT_DTYPES, a fifth of the time of `in`
        and (dtype is None or values.dtype == dtype)
    ):
        array = values
    else:
        array = _convert_numbers(values, name, dtype)
    if ndim is not None and array.ndim != ndim:
        expected = {1: "a 1-D array (N,)", 2: "a 2-D array (N, features)"}.get(ndim, f"{ndim}-D")
        raise ValueError(f"{name} must be {expected}, got shape {array.shape}")
    if finite and not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} must be finite, got {array[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
        )
    return array


def refuse_array_subclass(name: str, array: Any) -> None:
    """TypeError for an array kept and computed with as it is (a parameter's data, an update
    function's arrays) whose class changes NumPy's arithmetic: an ``np.matrix`` (``*`` and ``**``
    are matrix products: a tanh layer's derivative came out wrong, then a LinAlgError) and a
    masked array (the numbers under the mask are used). Other subclasses (a memmap) compute
    as arrays do; inputs are converted by :func:`as_float_array` instead."""
    if isinstance(array, np.matrix):
        raise TypeError(f"{name} must be a plain NumPy array, got a numpy.matrix; pass np.asarray(matrix)")
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain NumPy array, got a masked array (its numbers under the mask would "
            "be used); pass values.filled(...)"
        )


# dtype kinds that are not real numbers, by what a user would call them
_NOT_NUMBERS = {
    "c": "complex numbers",
    "U": "strings",
    "T": "strings",  # numpy.dtypes.StringDType
    "S": "bytes",
    "M": "datetimes",
    "m": "timedeltas",
    "V": "raw records",
}


def _convert_numbers(values: Any, name: str, dtype: np.dtype[Any] | None) -> Array:
    """``as_float_array``'s slow path: real numbers (bool, int, uint, float) cast to ``dtype``.

    Everything else is refused, since a cast would give silently wrong numbers: complex
    numbers lose their imaginary part, strings are parsed, None becomes NaN.

    A masked array with masked values is refused: ``np.asarray`` would give the numbers under
    the mask. A torch tensor that requires grad is refused, as ``np.asarray`` refuses it: its values
    belong to an autograd graph, and a copy would cut the gradient silently; the message says
    to pass ``tensor.detach()``.
    """
    if isinstance(values, np.ma.MaskedArray) and np.ma.is_masked(values):  # np.asarray drops the mask
        index = tuple(int(i) for i in np.argwhere(np.ma.getmaskarray(values))[0])
        raise ValueError(
            f"{name} has masked values (the first at index {index}), which would be read as the numbers "
            "under the mask; fill them (values.filled(...)) or drop their rows"
        )
    if getattr(values, "requires_grad", False) is True and callable(getattr(values, "detach", None)):
        # checked here, without importing torch: np.asarray would raise torch's own RuntimeError
        raise TypeError(
            f"{name} must be an array of numbers, got a torch {type(values).__name__} that requires grad; "
            "pass tensor.detach() (NumPy does not read a tensor that is part of an autograd graph)"
        )
    try:
        raw = np.asarray(values)
    # RuntimeError: torch's for such a tensor inside a list ("Can't call numpy() on Tensor that requires grad")
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {type(values).__name__}: {error}") from None
    expected = f"{name} must be an array of numbers (bool, int or float)"
    if raw.dtype.kind == "O":  # Python objects: numbers are fine, anything else is named
        for index, value in np.ndenumerate(raw):
            if not isinstance(value, numbers.Real | np.bool_):  # NumPy's bool is no numbers.Real
                raise TypeError(
                    f"{expected}, got dtype object holding {type(value).__name__} at index {index}"
                )
    elif raw.dtype.kind not in "biuf":
        raise TypeError(f"{expected}, got {_NOT_NUMBERS.get(raw.dtype.kind, 'values')} of dtype {raw.dtype}")
    if dtype is None:
        dtype = raw.dtype if raw.dtype in FLOAT_DTYPES else np.dtype(np.float64)
    try:
        with np.errstate(over="ignore"):  # a number beyond the dtype's range: named below
            array = raw.astype(dtype, copy=False)
    except OverflowError:  # a Python int beyond the float range, in an object array
        raise ValueError(f"{name} must be finite, got an integer too large for {dtype}") from None
    if array.dtype.itemsize < raw.dtype.itemsize and not all_finite(array):
        # a narrowing cast (float64 or Python numbers to float32) made finite numbers infinite:
        # "must be finite, got inf" would blame the input
        overflowed = np.isinf(array) & np.isfinite(raw.astype(np.float64))
        if overflowed.any():
            index = tuple(int(i) for i in np.argwhere(overflowed)[0])
            largest = float(np.finfo(dtype).max)
            raise ValueError(
                f"{name} holds {exact_text(raw[index])} at index {index}, outside the range of {dtype} "
                f"(largest {largest:.3g})"
            )
    return array


def require_keys(state: Mapping[str, Any], keys: Iterable[str], *, owner: str) -> None:
    """ValueError naming the first of ``keys`` missing from a saved ``state`` of ``owner``."""
    for key in keys:
        if key not in state:
            raise ValueError(f"{owner} state needs the key {key!r}, got keys {sorted(state)}")


def refuse_unknown_keys(state: Mapping[str, Any], known: Iterable[str], *, owner: str) -> None:
    """ValueError naming the keys of a saved ``state`` of ``owner`` that it does not read: a
    state written by a later version, say, whose extra entries would be dropped without a word
    and the numbers computed without them."""
    known = set(known)
    unknown = sorted(str(key) for key in state if key not in known)
    if unknown:
        raise ValueError(f"{owner} state holds keys it does not read: {unknown} (it reads {sorted(known)})")


def underflows(text: str, value: float) -> bool:
    """Whether ``text``, a number that float64 reads as ``value``, is a nonzero number read as 0
    (1e-400; not 0e5 or -0): its mantissa has a nonzero digit."""
    if value != 0.0:
        return False
    mantissa = re.split(r"[eE]", text.strip(), maxsplit=1)[0]
    return any(char.isdecimal() and int(char) != 0 for char in mantissa)  # "١e-400" too, as float() reads it


def keeps_methods(cls: type, base: type, names: Iterable[str]) -> bool:
    """True when ``cls`` has ``base``'s own method for every name in ``names`` (inherited, not
    overridden anywhere between them; a name neither has counts as kept): the one test behind each
    decision that a class computes its base's numbers (a fused pass that fits it, a promise it may
    keep, the name explain writes it under)."""
    return all(getattr(cls, name, None) is getattr(base, name, None) for name in names)
