"""Safe file writes for the whole package: atomic replacement, no silent overwrites, folder locks.

Every file glassnet writes (checkpoints, metrics, histories, figures, explanations,
predictions, the downloaded data) goes through :func:`atomic_write`:

1. the content is written to a temporary file beside the target (same folder, so the
   same file system), named ``.NAME.XXXXXXXX.tmp``;
2. the temporary file is flushed to disk (``fsync``);
3. it is renamed over the target with ``os.replace``, which is atomic on POSIX and Windows;
4. the folder is flushed (``fsync`` of the directory), so the rename itself survives a
   power cut.

A reader therefore sees either the old file or the new one, never a mixture, and a
process killed at any moment (even by SIGKILL) leaves the old or the new file intact;
it may leave its temporary file behind, which no reader ever opens. Any failure before
the rename removes the temporary file and leaves the target as it was.

:func:`placed_together` fills several files first and renames them together at the end (a run's
files: a process killed while they are written leaves the previous run's whole).

:func:`atomic_write` never puts a file in place of a symbolic link, a FIFO, a device or a socket
(:func:`unwritable_kind` names what a path is), nor makes a file of a name ending in a separator.
:func:`refuse_overwrite` is the check behind ``--force``, :func:`refuse_same_file` keeps an
output off a file the same command reads or writes, and :func:`folder_lock` keeps
two processes (two trainings) from writing into the same folder at once. :func:`finite_json`
and :func:`json_default` ready what glassnet writes as JSON (a checkpoint's metadata,
metrics.json), and :func:`check_storable` refuses, where it is given, what that JSON cannot
hold. :func:`given_path` and :func:`dash_hint` read the paths users give.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import itertools
import json
import math
import os
import re
import secrets
import shlex
import stat
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np

LOCK_NAME = ".glassnet.lock"
"""The lock file :func:`folder_lock` keeps in a folder while a process writes into it."""


class FolderInUseError(OSError):
    """Another live process holds the folder's lock (see :func:`folder_lock`)."""


def _umask() -> int:
    """The process's umask now, as ``open`` and ``mkdir`` apply it: read from ``/proc/self/status``
    on Linux, which leaves it as it is, else set and put back (``os.umask`` can only be read
    so). Not cached: a program that tightens its umask part-way (0o077 for private files) got
    files of the umask of glassnet's first write."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):  # no /proc (macOS), or a kernel before 4.7 without the line
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    if sys.platform == "win32":  # pragma: no cover - Windows cannot open a folder
        return
    try:
        handle = os.open(folder, flags)
    except OSError:  # pragma: no cover - e.g. a folder we may write into but not read
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - some file systems (network, FUSE) refuse fsync on folders
        pass
    finally:
        os.close(handle)


def unwritable_kind(path: Path) -> str | None:
    """What ``path`` is, in words, when it exists and :func:`atomic_write` must not put a file in
    its place: a symbolic link (the link would become a file; ``/dev/stdout`` is one, to the
    shell's own output, which would be replaced and the rest of the output lost), a FIFO, a
    device or a socket. None for an absent path, a regular file or a folder."""
    try:
        mode = path.lstat().st_mode
    except OSError:  # absent
        return None
    if stat.S_ISLNK(mode):
        return f"symbolic link (to {os.readlink(path)})"
    kinds = {
        stat.S_ISFIFO: "named pipe (FIFO)",
        stat.S_ISCHR: "character device",
        stat.S_ISBLK: "block device",
        stat.S_ISSOCK: "socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), None)


def _names_a_folder(path: str | os.PathLike[str]) -> bool:
    """Whether the name ends in a separator ("runs/"), which names a folder, existing or not:
    Path drops it, and the write would make a file of that name."""
    text = os.fspath(path)
    return text.endswith(("/", os.sep)) and text.strip("/" + os.sep) != ""


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[Path], None], *, replace: bool = True
) -> Path:
    """Call ``write(temporary)`` to fill a temporary file, then move it onto ``path`` in one step.

    ``write`` receives the temporary file's path (it exists, empty) and must write the
    whole content there (e.g. ``figure.savefig(temporary, format="png")``: give the format
    explicitly, the temporary name ends in ``.tmp``). The file gets the permissions and owner
    of the file it replaces, or those a new file would have (0666 less the umask). Returns
    ``path`` as a Path.

    Raises FileNotFoundError when the folder does not exist, IsADirectoryError when ``path``
    is a folder or a name ending in a separator, and ValueError when it is a symbolic link, a
    FIFO, a device or a socket, which the rename would replace with a file (see
    :func:`unwritable_kind`); whatever ``write`` raises is raised again after the temporary
    file is removed, with ``path`` unchanged. Without ``replace``, a file at ``path`` is kept:
    FileExistsError (see :func:`atomic_write_all`).
    """
    return atomic_write_all([(path, write)], replace=replace)[0]


def atomic_write_all(
    writes: Sequence[tuple[str | os.PathLike[str], Callable[[Path], None]]], *, replace: bool = True
) -> list[Path]:
    """:func:`atomic_write` of several files together: every temporary file is filled first, and
    they are moved onto their paths only once all are, so that a write that fails while they
    are filled (a full disk, Ctrl-C while a figure is drawn) leaves every path as it was
    (``explain -o`` and ``--figure``: one file written and the other not refused the command's
    retry). The renames that follow are one step each, not one together: a rename that fails
    after another succeeded (a target made a folder meanwhile) leaves the first file written;
    without ``replace``, the files put in place are taken back then (below), as they are on a
    Ctrl-C between them. With ``replace``, where the previous files cannot be taken back, a stop
    signal (Ctrl-C, and SIGTERM and SIGHUP inside a command's
    :class:`~glassnet._signals.StopSignals`) is held over the renames of several files and raised
    once all are in place, as a :class:`~glassnet._signals.StopSignalInterrupt` whose note names
    them. Each path is checked as :func:`atomic_write` checks it, before anything is written.
    Returns the paths.

    Without ``replace`` (a command's output without ``--force``), a file is put in place only
    where none is, checked in the step that puts it there (a hard link): a file another process
    wrote there since the command checked (two ``explain -o x.md`` at once, both told "wrote")
    is kept, FileExistsError."""
    pending = _PENDING.get()
    if pending is not None and not replace:
        raise ValueError("placed_together() defers writes that replace a file only (replace=True)")
    targets = [_checked_target(path) for path, _ in writes]
    temporaries: list[Path] = []
    # the files put in place, or being put there, each with its stat as filled: counted before
    # the link or rename, so that a Ctrl-C just after one finds it counted
    placed: list[tuple[os.stat_result, Path]] = []
    stopped: list[int] = []  # stop signals held over the renames
    try:
        for target, (_, write) in zip(targets, writes, strict=True):
            temporaries.append(_filled_temporary(target, write))
        if pending is not None:  # put in place at the end of the placed_together() call
            pending.extend(zip(temporaries, targets, strict=True))
            return targets
        # files that replace others cannot be taken back: a stop signal is held from their
        # renames to the end, so that it leaves all in place, not a new x.md beside the previous
        # y.png, and says so
        with _held_over_renames(replace and len(targets) > 1) as held:
            for temporary, target in zip(temporaries, targets, strict=True):
                if not replace:
                    placed.append((os.lstat(temporary), target))
                try:
                    _put_in_place(temporary, target, replace=replace)
                except FileExistsError:
                    raise
                except OSError as error:
                    _raise_naming_target(error, temporary, target)
            # inside the try: a Ctrl-C here, every file placed, left them all and the retry was refused
            for temporary in temporaries:  # a linked file's temporary name (a renamed one is gone)
                _remove_quietly(temporary)
            for folder in dict.fromkeys(target.parent for target in targets):
                fsync_folder(folder)
        # taken once the hold is undone, not inside it: one that came as it was undone was
        # dropped from Python, and from a command delivered at its end without the note
        stopped, held[:] = list(held), []  # reported below, not delivered again
    except BaseException:
        # a file put in place already is taken back where it is still ours: `-o x.md --figure
        # y.png` with y.png written meanwhile left x.md, and the retry was refused for it. Ours:
        # the inode filled, its content unchanged since (a file another process wrote there since
        # may have been given the inode number ours had, once ours was removed); where the link
        # failed, the file there is another's, or none
        for ours, target in placed:
            with contextlib.suppress(OSError):
                if _same_file(os.lstat(target), ours):
                    target.unlink()
        # those renamed already are gone, and those handed to a placed_together() call are its
        # own (a Ctrl-C just after the hand-over removed them, and the call's rename then raised
        # FileNotFoundError in the interruption's place)
        handed = {temporary for temporary, _ in pending} if pending is not None else set()
        for temporary in temporaries:
            if temporary not in handed:
                _remove_quietly(temporary)
        raise
    if stopped:
        from glassnet._signals import StopSignalInterrupt  # it imports this module

        written = listed([str(target) for target in targets])
        raise StopSignalInterrupt(
            stopped[0], note=f"{written} were written (it came as they were put in place)"
        )
    return targets


@contextlib.contextmanager
def _held_over_renames(hold: bool) -> Iterator[list[int]]:
    """:func:`glassnet._signals.interrupts_held` where ``hold``, yielding the signals held from
    here on; nothing held (an empty list) otherwise, or where a caller holds them already (train
    and demo writing a run: theirs to report)."""
    from glassnet._signals import holding_interrupts, interrupts_held  # it imports this module

    if not hold or holding_interrupts():
        yield []
        return
    with interrupts_held() as held:
        yield held


def listed(names: Sequence[str]) -> str:
    """The names as a sentence lists them: a; a and b; a, b and c."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


T = TypeVar("T")

# the renames that atomic_write_all leaves to the end of a placed_together() call: the call's
# own list, in the context copied for it
_PENDING: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar(
    "glassnet_pending_renames", default=None
)


def placed_together(placed: list[Path], write: Callable[[], T]) -> T:
    """Call ``write()`` and put the files it writes in place together, at its end; return what
    it returns.

    Inside ``write``, :func:`atomic_write` and :func:`atomic_write_all` (``replace=True`` only)
    fill their temporary files and return their paths without renaming them; at its end they
    are renamed onto their paths, one after another, whether it returns or raises (the files
    filled before the error are put in place: what stays is the caller's choice), and the path
    of each file put there is appended to ``placed``. So a process killed while the files are
    filled (SIGKILL, a power cut: a run's plots take a second or more) leaves every path as it
    was, beside the temporary files, and only one killed in the renames at the end,
    microseconds, leaves some files replaced and others not. A rename that fails removes the
    temporary files not yet renamed and raises its OSError, naming its target. Calls do not
    nest (RuntimeError).

    A function, not a ``with`` block: ``write`` runs in a copy of the context, where the list
    of pending renames lives and goes with it. A block's list, set in the thread's own context,
    stayed in force after a Ctrl-C as the block was entered or left (in ``contextlib``'s
    ``__enter__`` and ``__exit__``, where no ``try`` of its own reaches): every later write of
    the thread a hidden temporary file, returned as written."""
    if _PENDING.get() is not None:
        raise RuntimeError("placed_together() calls do not nest")
    return contextvars.copy_context().run(_written_then_placed, placed, write)


def _written_then_placed(placed: list[Path], write: Callable[[], T]) -> T:
    """:func:`placed_together`'s work, in the context copied for it."""
    pending: list[tuple[Path, Path]] = []
    _PENDING.set(pending)  # in this call's own context: gone with it, wherever a Ctrl-C lands
    try:
        return write()
    finally:
        _PENDING.set(None)
        try:
            for temporary, target in pending:
                try:
                    os.replace(temporary, target)
                except OSError as error:
                    _raise_naming_target(error, temporary, target)
        finally:
            # placed: those whose temporary is gone, renamed (a Ctrl-C just after a rename, before
            # it was counted, left the new model beside the previous run's files, named nowhere);
            # the others' temporaries are removed
            for temporary, target in pending:
                if os.path.lexists(temporary):
                    _remove_quietly(temporary)
                else:
                    placed.append(target)
            for folder in dict.fromkeys(target.parent for _, target in pending):
                fsync_folder(folder)


def _same_file(now: os.stat_result, then: os.stat_result) -> bool:
    """Whether ``now`` is the file ``then`` described, its content unchanged: device, inode, size
    and the time of its last write. Not its change time, which a link, a rename or the removal
    of its temporary name changes, and which a write changes with the write time."""
    return all(
        getattr(now, key) == getattr(then, key) for key in ("st_dev", "st_ino", "st_size", "st_mtime_ns")
    )


# what link(2) says on a file system without hard links (FAT, some network and FUSE ones)
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def _put_in_place(temporary: Path, target: Path, *, replace: bool) -> None:
    """Put the filled ``temporary`` at ``target``: a rename, or without ``replace`` a hard link
    that fails where ``target`` exists (where the file system has no hard links, a check just
    before the rename); a linked file's temporary name stays, for the caller to remove."""
    if replace:
        os.replace(temporary, target)
        return
    meanwhile = FileExistsError(
        f"{target} was written by another process while this one ran; it is kept (--force replaces it)"
    )
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise meanwhile from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise meanwhile from None
        os.replace(temporary, target)


def _checked_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, refused (see :func:`atomic_write`) where no file can be put in its place."""
    target = Path(path)
    if _names_a_folder(path) and not target.is_dir():
        raise IsADirectoryError(
            f"cannot write {os.fspath(path)!r}: a name ending in a separator names a folder"
        )
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a folder")
    kind = unwritable_kind(target)
    if kind is not None:
        raise ValueError(f"cannot write {str(target)!r}: it is a {kind}, not a regular file")
    return target


def _filled_temporary(target: Path, write: Callable[[Path], None]) -> Path:
    """A temporary file beside ``target``, filled by ``write`` and on the disk; removed again if
    that fails, with an OSError naming ``target`` (the file asked for), not the temporary."""
    # the name cut to 100 bytes (the limit is 255 bytes, not characters): a legal target name
    # near the limit must not give a temporary name past it
    short = os.fsencode(target.name)[:100].decode(sys.getfilesystemencoding(), errors="ignore")
    candidate = target  # the name being tried
    made: Path | None = None  # the temporary file, from just before it is made
    try:
        # made here as mkstemp would make it (O_EXCL, 0600), its name known before the file
        # exists, so that a Ctrl-C as it is made leaves no hidden temporary file that nothing
        # removes (inside mkstemp, or before its name was kept, it did)
        for _ in range(100):
            letters = "".join(secrets.choice(_NAME_LETTERS) for _ in range(8))
            candidate = made = target.parent / f".{short}.{letters}.tmp"
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:  # another's: not to be removed
                made = None
        else:
            raise FileExistsError(errno.EEXIST, "no unused temporary name", str(target))
        temporary = candidate
        write(temporary)  # at 0600, as made: a target's 0444 or 0200 would refuse the write or the fsync
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # the data reaches the disk before the name points at it
        finally:
            os.close(descriptor)
        _take_over(temporary, target)  # then the permissions (and owner) it is to have, as sed -i sets them
    except OSError as error:  # named by the file asked for, not by the temporary one
        if made is not None:
            _remove_quietly(made)
        _raise_naming_target(error, candidate, target)
    except BaseException:
        if made is not None:
            _remove_quietly(made)
        raise
    return temporary


_NAME_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # as mkstemp's; _TEMPORARY_NAME reads them back


def _take_over(temporary: Path, target: Path) -> None:
    """Give ``temporary`` the permissions of a file written at ``target``: those of the file it
    replaces (a private file replaced with --force stays private), and its owner and group where
    the process may set them (root replacing another user's file, which that user could no
    longer read), as ``sed -i`` keeps them; else a new file's (0666 less the umask; the 0600
    it was made with would hide it from others). Without set-id bits."""
    try:
        existing = target.stat()
    except OSError:  # none there (or none we may stat): a new file
        os.chmod(temporary, 0o666 & ~_umask())
        return
    mine = temporary.stat()
    if (existing.st_uid, existing.st_gid) != (mine.st_uid, mine.st_gid):
        try:
            os.chown(temporary, existing.st_uid, existing.st_gid)
        except OSError:  # another's owner only root may give; a group of one's own, anyone
            with contextlib.suppress(OSError):
                os.chown(temporary, -1, existing.st_gid)
    os.chmod(temporary, stat.S_IMODE(existing.st_mode) & 0o777)  # after chown, which may clear set-id bits


def _raise_naming_target(error: OSError, temporary: Path, target: Path) -> NoReturn:
    """Raise ``error`` again, naming ``target`` where it names the temporary file or nothing: a
    writer into an open file (Pillow, say) reports a full disk without a path, and a failed
    fsync names the temporary file."""
    if error.errno is not None and error.filename in (None, str(temporary)):
        raise type(error)(error.errno, error.strerror, str(target)) from error
    raise error


def _remove_quietly(path: Path) -> None:
    """Remove a file of our own on the way out of an error, or leave it where it cannot be
    removed (an append-only folder): that error would replace the one being raised, which says
    what went wrong."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


# atomic_write's temporary names: "." + the target's name + "." + 8 random characters (mkstemp's kind)
# (lower-case letters, digits, "_") + ".tmp"
_TEMPORARY_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")


def temporary_file_target(name: str) -> str | None:
    """The name of the file that ``name`` was the temporary file of, if ``name`` has the form of
    :func:`atomic_write`'s temporary files (``.model.npz.hdfpgzhs.tmp`` -> ``model.npz``); else
    None. Such a file outlives its write only when the process was killed during it (SIGKILL,
    a power cut): a leftover that no reader opens. (The target's name, if longer than 100
    bytes, is cut, as the temporary name holds it.)"""
    match = _TEMPORARY_NAME.fullmatch(name)
    return match.group("target") if match else None


def os_error_text(error: OSError) -> str:
    """An OSError as a shell writes it, path first ("runs: Permission denied"), where it has a
    path and the system's words for what failed; its own message otherwise."""
    if error.strerror and error.filename is not None:
        paths = [error.filename] + ([error.filename2] if error.filename2 is not None else [])
        return f"{' -> '.join(map(str, paths))}: {error.strerror}"
    return str(error)


def finite_json(value: Any) -> Any:
    """``value`` ready for ``json.dumps(..., allow_nan=False)``: NaN/±inf floats as None (JSON has
    no such numbers), NumPy scalars and arrays as Python numbers and lists, paths as strings, keys
    as strings; a checkpoint's metadata and a run's metrics.json."""
    if isinstance(value, Mapping):
        return {str(key): finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    if isinstance(value, np.ndarray):
        return finite_json(value.tolist())
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return value


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default`` for a checkpoint's metadata: NumPy numbers and arrays as
    Python ones, paths as strings; TypeError for anything else (a set, a date, an object)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in checkpoint metadata")


def check_storable(value: Any, name: str) -> None:
    """TypeError naming ``name`` when ``value`` holds what a checkpoint's metadata (JSON) cannot
    store: said where it is given, rather than by the save at the end of a training."""
    try:
        json.dumps(finite_json(value), allow_nan=False, default=json_default)
    except (TypeError, ValueError, RecursionError) as error:
        # RecursionError: a dict that holds itself, or nests thousands deep, which finite_json walks
        why = "it holds itself, or nests too deep" if isinstance(error, RecursionError) else str(error)
        raise TypeError(
            f"{name} must hold what a checkpoint stores (numbers, strings, lists, dicts, None): {why}"
        ) from None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""

    def write(temporary: Path) -> None:
        temporary.write_bytes(data)

    return atomic_write(path, write)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, replace: bool = True) -> Path:
    """Write ``text`` as UTF-8 with ``\\n`` line ends to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, text_writer(text), replace=replace)


def text_writer(text: str) -> Callable[[Path], None]:
    """A ``write`` for :func:`atomic_write` (or :func:`atomic_write_all`) that writes ``text`` as
    UTF-8 with ``\\n`` line ends."""

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    return write


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` or ``~user`` replaced by that home folder, as a shell does,
    and left as it is where there is no such user (a file named ``~old.csv``), as a shell
    leaves it too: ``Path.expanduser`` raises RuntimeError there. A ``~`` or ``~/…`` without a
    home folder (an empty HOME, or none and no passwd entry: a container's user, say) is refused with ValueError
    rather than taken for a folder named ``~``, which a later ``rm -rf ~`` would meet."""
    text = os.fspath(path)
    expanded = os.path.expanduser(text)
    # HOME="" would make ~/runs /runs, and ~ the root folder
    if (text == "~" or text.startswith(("~/", "~" + os.sep))) and (
        expanded == text or os.environ.get("HOME") == ""
    ):
        raise ValueError(
            f"{text}: ~ names the home folder, and this user has none (HOME is empty or not set)"
        )
    return Path(expanded)


def suffix_of(path: str | os.PathLike[str]) -> str:
    """The lower-cased suffix of ``path``'s name, from its last dot: ``.png`` for "net.PNG", and
    for ".png" too, a name that is only a suffix, where ``Path.suffix`` gives "" (so that the format
    a command reads from ``name.endswith`` is the one the writer takes); "" without a dot."""
    name = Path(path).name
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def given_path(path: str | os.PathLike[str], what: str, expected: str = "a file name") -> Path:
    """``path`` with ``~`` expanded. An empty one (an unset ``"$MODEL"`` in a script) is refused
    with ValueError naming ``what`` and what is ``expected`` there: ``Path("")`` is the current
    folder, which a command would then read or write in the user's stead."""
    text = os.fspath(path)
    if not text.strip():
        kind = "an empty" if not text else "a blank"
        raise ValueError(f"{what} is {kind} path; expected {expected}, got {text!r}")
    return expand_user(path)


def dash_hint(path: Path) -> str:
    """For the message that a path does not exist: what to give instead when it is "-", which
    some commands read as standard input (``glassnet predict MODEL -``) and a data path does not."""
    return "; - is not standard input here: give a file, or /dev/stdin for a pipe" if str(path) == "-" else ""


def shell_word(text: str) -> str | None:
    """``text`` as one word a POSIX shell reads back unchanged (:func:`shlex.quote`), or None
    where no printed line gives it back faithfully: a name that is not valid UTF-8 (its bytes
    stand as surrogate escapes in Python's str, printed as "\\udcff" or "?"), or one holding a
    control or format character (a line break, a right-to-left mark)."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in text):
        return None
    return shlex.quote(text)


def raw_name(text: str) -> str:
    """A file name as its bytes (b'bad\\xffname'), which show what no printed str does."""
    try:
        return repr(os.fsencode(text))
    except UnicodeError:  # a surrogate that does not stand for a byte
        return ascii(text)


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first: what
    ``folder.mkdir(parents=True)`` is about to make, and a failed command then removes."""
    return list(itertools.takewhile(lambda path: not path.exists(), (folder, *folder.parents)))


def nearest_existing(folder: Path) -> Path:
    """``folder``, or the deepest of its parents that exists: what ``folder.mkdir(parents=True)``
    makes its folders in, which fails with a bare "File exists" or "Not a directory" where it is
    a file."""
    missing = missing_folders(folder)
    return folder.parents[len(missing) - 1] if missing else folder


def refuse_overwrite(path: str | os.PathLike[str], *, force: bool, option: str) -> Path:
    """``path`` (``~`` expanded) if it may be written: absent, or ``force``; else FileExistsError
    naming ``option``.

    A folder is never a valid output file (IsADirectoryError), with or without ``force``, nor
    a name ending in a separator ("out/"); nor is an empty path (ValueError, :func:`given_path`),
    nor a symbolic link, a FIFO, a device or a socket (ValueError, :func:`unwritable_kind`).
    """
    target = given_path(path, option)
    if target.is_dir():
        raise IsADirectoryError(f"{option} {target} is a folder; give a file name")
    if _names_a_folder(path):
        raise IsADirectoryError(
            f"{option} {os.fspath(path)} ends in a separator, which names a folder; give a file name"
        )
    kind = unwritable_kind(target)
    if kind is not None:
        stdout = "; -o - writes to standard output" if option == "-o" else ""
        raise ValueError(
            f"{option} {target} is a {kind}, not a regular file; glassnet writes a file whole, through "
            f"a temporary file renamed onto it: give the name of a file{stdout}"
        )
    if target.exists() and not force:
        raise FileExistsError(f"{option} {target} exists; use --force to overwrite it")
    return target


def refuse_same_file(path: str | os.PathLike[str], other: str | os.PathLike[str], message: str) -> None:
    """ValueError(``message``) when ``path`` and ``other`` name one file: the same path once
    resolved (``./``, ``..``, symbolic links), or, both existing, the same file (a hard link).

    For an output that would overwrite a file the same command reads or writes, which
    ``--force`` (meant for a previous output) must not allow.
    """
    first, second = expand_user(path), expand_user(other)
    if first.resolve() == second.resolve() or (
        first.exists() and second.exists() and os.path.samefile(first, second)
    ):
        raise ValueError(message)


def refuse_standard_input_file(path: str | os.PathLike[str], message: str) -> None:
    """ValueError(``message``) when standard input reads the file ``path`` names (``< FILE``):
    :func:`refuse_same_file` for an input given as ``-``, which has no name to compare."""
    try:
        reading = os.fstat(sys.stdin.fileno())
        named = os.stat(expand_user(path))
    except (AttributeError, OSError, ValueError):  # no stdin, a closed one, or no such file
        return
    if stat.S_ISREG(reading.st_mode) and os.path.samestat(reading, named):
        raise ValueError(message)


# -- folder locks ----------------------------------------------------------------------


def _holder(lock: Path) -> str:
    """The pid written in a lock file, for messages ("unknown" when unreadable)."""
    try:
        text = lock.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie counts as alive until it is reaped)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _held_here(folder: Path) -> bool:
    """Whether a thread of this process holds ``folder``'s lock. A lock file of this process's
    pid that none holds is a killed process's, whose pid came round to this one: stale."""
    with _HELD_IN_PROCESS_LOCK:
        return folder.resolve() in _HELD_IN_PROCESS


def _in_use(folder: Path, holder: str) -> FolderInUseError:
    if holder == str(os.getpid()) and _held_here(folder):
        # its lock file not to be removed: a third writer would come in
        return FolderInUseError(
            f"{folder} is in use by another thread of this process; wait for it to finish, or choose "
            "another folder"
        )
    return FolderInUseError(
        f"{folder} is in use by another glassnet process (pid {holder}); wait for it to finish, "
        f"or choose another folder (remove {folder / LOCK_NAME} if that process no longer exists)"
    )


def _lock_with_flock(folder: Path) -> Callable[[], None]:
    """Take an ``fcntl.flock`` on ``folder/.glassnet.lock``; the kernel frees it if the process dies."""
    import fcntl

    lock = folder / LOCK_NAME
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask, as open applies it
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise _in_use(folder, _holder(lock)) from None
        except BaseException:
            os.close(handle)
            raise
        try:  # the holder may have removed the file between our open and flock: lock the new one
            current = os.stat(lock)
        except FileNotFoundError:
            os.close(handle)
            continue
        if os.path.samestat(os.fstat(handle), current):
            break
        os.close(handle)
    os.ftruncate(handle, 0)
    owner = os.getpid()
    os.write(handle, f"{owner}\n".encode("ascii"))

    def release() -> None:
        try:
            # before closing, so no one locks a file about to vanish; not by a child forked inside
            # the block, whose copy of the handle is its parent's lock: it removed the parent's file,
            # and a third process took the lock the parent still held
            if os.getpid() == owner:
                _remove_quietly(lock)
        finally:
            os.close(handle)

    return release


def _lock_exclusively(folder: Path) -> Callable[[], None]:
    """Create ``folder/.glassnet.lock`` with O_EXCL, holding our pid; a dead holder's file is replaced.

    The fallback where ``fcntl`` is missing (Windows). A lock whose pid no longer runs is
    stale: it is renamed away (atomically, so only one process takes it over) and retried.
    """
    lock = folder / LOCK_NAME
    owner = os.getpid()
    for _ in range(3):
        try:
            handle = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask
        except FileExistsError:
            holder = _holder(lock)
            ours = holder == str(os.getpid())
            if holder.isdigit() and (not _pid_alive(int(holder)) or (ours and not _held_here(folder))):
                stale = folder / f"{LOCK_NAME}.{os.getpid()}.stale"
                with contextlib.suppress(FileNotFoundError):
                    os.replace(lock, stale)
                    stale.unlink(missing_ok=True)
                continue
            raise _in_use(folder, holder) from None
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(f"{owner}\n")

        def release() -> None:
            if os.getpid() == owner:  # the parent's lock, to a child forked inside the block (above)
                _remove_quietly(lock)  # one left behind holds a pid that will have ended: taken over

        return release
    raise _in_use(folder, _holder(lock))


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str], *, exclusive_file: bool = False) -> Iterator[Path]:
    """Hold ``folder``'s lock while the block runs; FolderInUseError if another live process holds it.

    The lock is the file ``folder/.glassnet.lock`` holding the holder's pid, locked with
    ``fcntl.flock`` (freed by the kernel when the process ends, however it ends, so a
    killed run leaves no lock that blocks the next one). Where ``fcntl`` is missing, or
    with ``exclusive_file=True``, the file itself is the lock (created with O_EXCL), and a
    file whose pid no longer runs is taken over. The folder is created if needed; the lock
    file is removed on release. Yields the folder.

    Re-entrant in one thread: a thread that holds the lock takes it again at once (the demo
    holds its folder's while ``write_run`` locks the folder it writes); another thread of the
    process is refused as another process is.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    held: set[Path] = _HELD_BY_THREAD.__dict__.setdefault("folders", set())
    key = out.resolve()
    if key in held:
        yield out
        return
    use_flock = not exclusive_file and sys.platform != "win32"
    # taken and registered in one step: another thread must not find the lock file of this
    # process's pid before it counts as held, and take it for a stale one
    with _HELD_IN_PROCESS_LOCK:
        try:
            release = _lock_with_flock(out) if use_flock else _lock_exclusively(out)
        except FolderInUseError:
            raise
        except OSError as error:  # a folder we may not write into: named, not its lock file
            raise type(error)(error.errno, error.strerror, str(out)) from None
        _HELD_IN_PROCESS.add(key)
    held.add(key)
    try:
        yield out
    finally:
        held.discard(key)
        with _HELD_IN_PROCESS_LOCK:
            _HELD_IN_PROCESS.discard(key)
            release()


_HELD_BY_THREAD = threading.local()  # .folders: the folders whose lock the thread holds, resolved
# the folders whose lock some thread of this process holds: a lock file of this process's pid
# that none holds is a killed process's, whose pid came round again (stale, to remove)
_HELD_IN_PROCESS: set[Path] = set()
_HELD_IN_PROCESS_LOCK = threading.RLock()  # taken again by _held_here, inside folder_lock's


def _forget_held_folders() -> None:
    """In a forked child: no thread of it holds a lock of its parent's threads, and the lock
    guarding that set may have been held by a thread the child does not have (its first
    folder_lock hung, 30 children of 30 forked while threads took locks). Not the thread that
    forked either: its folders, kept in the child's one thread, let the child take the lock its
    parent held as its own and write into the folder the parent was writing."""
    global _HELD_IN_PROCESS_LOCK
    _HELD_IN_PROCESS_LOCK = threading.RLock()
    _HELD_IN_PROCESS.clear()
    _HELD_BY_THREAD.__dict__.pop("folders", None)


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_held_folders)
