"""``fetch_airfoil``: download the UCI archive, check what it holds, then write it atomically.

Nothing reaches the destination folder until the parsed content matches the published
data (1503 × 6, column means to a relative 1e-6). The file is written atomically
(:func:`glassnet._files.atomic_write_bytes`: a temporary file in the destination folder,
flushed, renamed over the final name), so a reader never sees half a file, and a failed
download leaves nothing behind. The name
written is fixed (``airfoil_self_noise.dat``): names inside the archive are never used
as paths, so an archive cannot write outside the folder.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from tqdm import tqdm

from glassnet._checks import shown
from glassnet._files import atomic_write_bytes, expand_user, missing_folders, unwritable_kind
from glassnet.data._airfoil import (
    AIRFOIL_FILENAMES,
    DATA_ENV_VAR,
    cache_dir,
    compare_with_published,
    parse_airfoil_text,
)
from glassnet.data._errors import DataFormatError, DownloadError
from glassnet.data._table import INFLATED_BY_PARTS, decode_text

AIRFOIL_URL = "https://archive.ics.uci.edu/static/public/291/airfoil+self+noise.zip"
"""The UCI archive of dataset 291; it holds ``airfoil_self_noise.dat``."""

AIRFOIL_PAGE = "https://archive.ics.uci.edu/dataset/291/airfoil+self+noise"

AIRFOIL_ARCHIVE = "airfoil+self+noise.zip"
"""The archive's name, as the UCI page downloads it."""

MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024
"""Refuse larger downloads and archive members: the real archive is about 30 kB."""

MAX_TIMEOUT = 86_400.0
"""The longest network timeout accepted, in seconds (a day)."""

_CHUNK = 16 * 1024


def fetch_airfoil(
    *,
    url: str = AIRFOIL_URL,
    dest: str | os.PathLike[str] | None = None,
    progress: bool = True,
    timeout: float = 30.0,
    force: bool = False,
) -> Path:
    """Download the airfoil data into ``dest`` (default :func:`cache_dir`); return the file written.

    ``url`` may serve the UCI zip archive (its ``airfoil_self_noise.dat`` is taken) or the
    data file itself. The parsed content is checked against the published data before
    anything is written; the file keeps the downloaded bytes. ``progress`` shows a
    progress bar on stderr when it is a terminal. ``timeout`` bounds each wait on the network
    and the whole download, so a server that trickles bytes cannot hold it for hours. Raises
    DownloadError (an OSError) when the download fails, ValueError when the content is not
    the airfoil data or the file to write is a symbolic link, a FIFO or a device (refused
    before the download), OSError naming the folder when it cannot be written.

    A file already there that holds the published data (the downloaded bytes, or the same table
    in another format) is kept as it is, and nothing is downloaded (a fetch works offline once
    the data is there); any other (a copy of one's own) is replaced only with ``force``, else
    FileExistsError naming it, before the download. With ``force`` the download replaces
    whatever is there. "There" is the file the search reads in ``dest``
    (:data:`AIRFOIL_FILENAMES`: ``airfoil_self_noise.dat``, else a copy named
    ``airfoil_self_noise.csv``); the download is always written as the ``.dat``, which the
    search reads first, so a forced download leaves a CSV of one's own beside it, unread.
    """
    return _fetch_airfoil(url=url, dest=dest, progress=progress, timeout=timeout, force=force)[0]


def _fetch_airfoil(
    *, url: str, dest: str | os.PathLike[str] | None, progress: bool, timeout: float, force: bool
) -> tuple[Path, bool]:
    """:func:`fetch_airfoil`, and whether it wrote the file (False: the one there was kept),
    which ``glassnet data fetch`` reports."""
    check_url(url)
    check_timeout(timeout)
    folder = dest_folder(dest)
    target = folder / AIRFOIL_FILENAMES[0]
    hint = "dest (--dest)" if dest is not None else "dest (--dest) or XDG_CACHE_HOME"
    kind = unwritable_kind(target)
    if kind is not None:  # the write would refuse it: said before the download, not after
        raise ValueError(
            f"{target} is a {kind}, where the download writes the data file, a regular file; "
            f"remove it, or choose another folder with {hint}"
        )

    # the file the search reads in this folder (the .dat first, else a CSV under the other name):
    # the published table, in the download's bytes or another format (a mirror's CSV, say), is a
    # good copy, kept as it is without a download (so a fetch works offline once the data is
    # there); any other is the user's own, replaced only when forced
    read = next((folder / name for name in AIRFOIL_FILENAMES if (folder / name).is_file()), None)
    if read is not None and not force:
        if _is_published(read.read_bytes()):
            return read, False
        instead = "replace it with the download" if read == target else f"write the download as {target.name}"
        raise FileExistsError(
            f"{read} exists and is not the published data (a copy of one's own?); it is kept: "
            f"use force=True (--force) to {instead}, or choose another folder with {hint}"
        )

    payload = _download(url, progress=progress, timeout=float(timeout))
    data = _extract(payload, url=url)
    _verify(data, url=url)
    if read is not None and read.read_bytes() == data:  # forced, and already the download's bytes
        return read, False
    made = missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)  # nothing else is written, and only this fixed name
    except OSError as error:  # read-only, a parent that is a file, a full disk
        for empty in made:  # deepest first: a failed fetch leaves no folder it made either
            with contextlib.suppress(OSError):
                empty.rmdir()
        raise OSError(
            f"cannot write the airfoil data into {folder} ({error.strerror or error}); "
            f"choose a folder you can write to with {hint}"
        ) from None
    return target, True


def check_url(url: object, name: str = "url") -> None:
    """ValueError unless ``url`` is an http, https or file URL that names a place; ``name`` is
    what the message calls it (``--url`` at the command line); TypeError for what is not a
    string (a Path: its ``.as_uri()`` is the file URL)."""
    if not isinstance(url, str):
        hint = (
            f"; for that file: {shown(expand_user(url).absolute().as_uri())}" if isinstance(url, Path) else ""
        )
        raise TypeError(f"{name} must be a URL string (http, https or file), got {type(url).__name__}{hint}")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # read to check it: a port that is no number raises here
    except ValueError as error:  # "Invalid IPv6 URL", "Port could not be cast to integer value"
        raise ValueError(f"{name} is not a valid URL ({error}), got {url!r}") from None
    if parts.scheme not in ("http", "https", "file"):
        raise ValueError(f"{name} must be an http, https or file URL, got {url!r}")
    if parts.scheme == "file" and (parts.netloc not in ("", "localhost") or not parts.path.startswith("/")):
        # file://good.zip reads "good.zip" as a host and opens the empty path
        given = parts.netloc + parts.path
        here = ""
        if given:  # the file it was meant to name, from the current folder
            here = f"; for {given} here: {expand_user(urllib.parse.unquote(given)).absolute().as_uri()}"
        raise ValueError(
            f"{name} must be a file URL of an absolute path, file:///PATH (three slashes), got {url!r}{here}"
        )
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise ValueError(f"{name} must name a server, {parts.scheme}://HOST/PATH, got {url!r}")
    if parts.scheme in ("http", "https"):
        # mistakes of typing, found before any network access (they were told to check the connection)
        if any(char.isspace() or not char.isprintable() for char in url):
            raise ValueError(
                f"{name} must not hold spaces or control characters (a space as %20), got {url!r}"
            )
        if not url.isascii():  # http.client sends the path as ASCII (a file: URL takes any path)
            raise ValueError(
                f"{name} must be ASCII, with other characters percent-encoded (é as %C3%A9), got {url!r}"
            )


def check_timeout(timeout: object, name: str = "timeout") -> float:
    """``timeout`` as seconds, in (0, :data:`MAX_TIMEOUT`]; ValueError naming ``name`` else."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT  # also refuses NaN and inf, which sockets cannot take
    ):
        raise ValueError(
            f"{name} must be a positive number of seconds, got {timeout!r} (at most {MAX_TIMEOUT:g})"
        )
    return float(timeout)


def dest_folder(dest: str | os.PathLike[str] | None, name: str = "dest") -> Path:
    """The folder ``fetch_airfoil`` writes into: ``dest`` (``~`` expanded), else the cache;
    ValueError or NotADirectoryError naming ``name`` when it is empty or a file."""
    option = "dest (--dest)" if name == "dest" else name
    if dest is not None and not os.fspath(dest).strip():  # Path("") is the current folder, which nobody meant
        raise ValueError(f"{name} is empty; give a folder, or leave it out for the cache")
    if dest is not None:
        folder = expand_user(dest)
    else:
        try:
            folder = cache_dir()
        except OSError as error:  # no home folder
            raise OSError(f"{error}, or give a folder with {option}") from None
    if folder.exists() and not folder.is_dir():
        if dest is None:  # not an argument the caller gave: the cache, named as such
            raise NotADirectoryError(
                f"the cache folder {folder} (XDG_CACHE_HOME or ~/.cache) is a file; move it away, or "
                f"give a folder with {option}"
            )
        raise NotADirectoryError(f"{name} must be a folder, got the file {folder}")
    return folder


def _offline_advice(url: str) -> str:
    """What to do when the download failed: by hand from UCI; nothing for a file: URL, where
    the error itself (a missing file, say) is about this machine, not the network."""
    if urllib.parse.urlsplit(url).scheme == "file":
        return ""
    return (
        f" If this machine is offline or the server is down, download the archive by hand from "
        f"{AIRFOIL_PAGE}, then fill the cache from it with "
        f"`glassnet data fetch airfoil --url file:///PATH/{AIRFOIL_ARCHIVE}`, or unzip it and "
        f"set {DATA_ENV_VAR}=PATH/{AIRFOIL_FILENAMES[0]} (or give that file to `glassnet train "
        "airfoil`, `glassnet evaluate` or `glassnet data info` as --data)"
    )


class _RedirectsToHttpOnly(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http and https URLs only. urllib's own handler follows them to ftp
    too, a scheme that ``fetch_airfoil`` refuses when it is asked for directly."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        scheme = urllib.parse.urlsplit(newurl).scheme
        if scheme not in ("http", "https"):
            reason = f"redirect to {newurl}, which is not followed (http and https only)"
            raise urllib.error.HTTPError(req.full_url, code, reason, headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_RedirectsToHttpOnly)  # urlopen's handlers, but for redirects


def _one_line(detail: object) -> str:
    """``detail`` as one line: urllib's redirect-loop reason and http.client's bad status line hold line breaks."""
    return " ".join(str(detail).split())


def _open_by(request: urllib.request.Request, timeout: float, deadline: float) -> Any:
    """``_OPENER.open(request)``, the name lookup, the connection and the reply's headers, given
    up at ``deadline``: the socket's timeout bounds each wait only (a server that trickles its
    headers a byte at a time held it for minutes), and none bounds the name lookup. The open
    runs in a daemon thread, which a late reply closes as it arrives; TimeoutError past the
    deadline, or what the open raised."""
    done = threading.Event()
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def open_now() -> None:
        try:
            response = _OPENER.open(request, timeout=timeout)
        except BaseException as error:  # handed to the caller, as the open's own
            outcome["error"] = error
        else:
            with lock:
                if "abandoned" in outcome:  # too late: nobody reads it
                    response.close()
                else:
                    outcome["response"] = response
        done.set()

    def give_up() -> None:
        """Leave the open to its thread, which closes a reply that comes after this; close one
        that came already."""
        with lock:
            outcome["abandoned"] = True
            late = outcome.pop("response", None)
        if late is not None:
            late.close()

    threading.Thread(target=open_now, name="glassnet-download", daemon=True).start()
    try:
        finished = done.wait(max(0.0, deadline - time.monotonic()))
    except BaseException:  # Ctrl-C while waiting: the reply the thread gets must not stay open
        give_up()
        raise
    if not finished:
        with lock:
            answered = "response" in outcome
        if not answered:
            give_up()
            raise TimeoutError(f"timed out, no reply in the {timeout:g} s allowed (timeout, --timeout)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _download(url: str, *, progress: bool, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "glassnet (python urllib)"})
    deadline = time.monotonic() + timeout  # the socket's timeout bounds each wait, not their sum
    try:
        with _open_by(request, timeout, deadline) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None and length.isdigit() else None
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise DownloadError(f"{url} sends {total} bytes, more than the {MAX_DOWNLOAD_BYTES} allowed")
            buffer = io.BytesIO()
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc="airfoil",
                file=sys.stderr,
                disable=not (progress and sys.stderr is not None and sys.stderr.isatty()),
                leave=False,
            ) as bar:
                connection = _socket_of(response)
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0.0:
                        raise _too_slow(url, buffer.tell(), timeout)
                    # each wait bounded by the time left, not a whole timeout; from Python 3.12.x
                    # on, read1 closes the socket once Content-Length bytes have come (gh-113199)
                    if connection is not None and connection.fileno() != -1:
                        connection.settimeout(left)
                    try:
                        chunk = response.read1(_CHUNK)  # read() would wait for all _CHUNK bytes
                    except TimeoutError:
                        raise _too_slow(url, buffer.tell(), timeout) from None
                    if not chunk:
                        break
                    buffer.write(chunk)
                    bar.update(len(chunk))
                    if buffer.tell() > MAX_DOWNLOAD_BYTES:
                        raise DownloadError(f"{url} sends more than the {MAX_DOWNLOAD_BYTES} bytes allowed")
            # a connection closed early ends read() without an error: only the length tells
            if total is not None and buffer.tell() < total:
                raise DownloadError(
                    f"could not download {url}: the transfer stopped after {buffer.tell()} of {total} bytes."
                    f"{_offline_advice(url)}"
                )
    except DownloadError:
        raise
    except urllib.error.HTTPError as error:
        raise DownloadError(
            f"could not download {url}: HTTP {error.code} {_one_line(error.reason)}.{_offline_advice(url)}"
        ) from None
    except urllib.error.URLError as error:
        raise DownloadError(
            f"could not download {url}: {_one_line(error.reason)}.{_offline_advice(url)}"
        ) from None
    except (OSError, http.client.HTTPException) as error:  # timeouts, resets, malformed replies
        raise DownloadError(
            f"could not download {url}: {_one_line(error) or type(error).__name__}.{_offline_advice(url)}"
        ) from None
    except UnicodeEncodeError:  # http.client sends the path as ASCII (a file: URL takes any path)
        raise ValueError(
            f"url must be ASCII, with other characters percent-encoded (é as %C3%A9), got {url!r}"
        ) from None
    return buffer.getvalue()


def _too_slow(url: str, received: int, timeout: float) -> DownloadError:
    return DownloadError(
        f"could not download {url}: the server is too slow, {received} bytes in the {timeout:g} s "
        f"allowed (timeout, --timeout).{_offline_advice(url)}"
    )


def _socket_of(response: Any) -> socket.socket | None:
    """The socket an http or https reply is read from (http.client's, through its buffered
    reader), whose timeout the body's reads set to the time left; None for a file: URL, or
    where http.client keeps it otherwise (each wait is then bounded by the timeout alone)."""
    connection = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    return connection if isinstance(connection, socket.socket) else None


def _extract(payload: bytes, *, url: str) -> bytes:
    """The data file's bytes: the archive member named like the airfoil file, or the payload itself."""
    if not payload.startswith(b"PK"):
        return payload  # a plain data file (a mirror of the .dat or .csv)
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and PurePosixPath(info.filename).name in AIRFOIL_FILENAMES
            ]
            if not members:
                names = ", ".join(info.filename for info in archive.infolist()[:10]) or "nothing"
                raise ValueError(
                    f"the archive from {url} holds no {' or '.join(AIRFOIL_FILENAMES)} (it holds {names}); "
                    "nothing was written"
                )
            member = min(members, key=lambda info: AIRFOIL_FILENAMES.index(PurePosixPath(info.filename).name))
            if member.compress_type not in INFLATED_BY_PARTS:
                raise ValueError(
                    f"{member.filename} in the archive from {url} is compressed with zip method "
                    f"{member.compress_type}, not deflate (UCI's) or none; nothing was written"
                )
            if member.file_size > MAX_DOWNLOAD_BYTES:
                raise ValueError(
                    f"{member.filename} in the archive from {url} is {member.file_size} bytes, more than "
                    f"the {MAX_DOWNLOAD_BYTES} allowed; nothing was written"
                )
            with archive.open(member) as stream:
                # read(n) inflates at most n bytes at a time; read() would inflate a whole
                # compressed block at once, however small the member's (forged) size says it is
                return stream.read(MAX_DOWNLOAD_BYTES + 1)
    # zipfile's own errors, and those it lets through from reading a member: corrupt data
    # (zlib.error), an encrypted member (RuntimeError), a compression it lacks (NotImplementedError)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        zlib.error,
        RuntimeError,
        NotImplementedError,
    ) as error:
        raise ValueError(
            f"the archive from {url} is damaged or unreadable ({error}); nothing was written"
        ) from None


def _is_published(data: bytes) -> bool:
    """Whether ``data`` parses to the published airfoil table (:func:`_verify`'s check)."""
    try:
        _verify(data, url="the existing file")
    except ValueError:
        return False
    return True


def _verify(data: bytes, *, url: str) -> None:
    """Parse ``data`` and check it is the published table (:func:`compare_with_published`: 1503 × 6,
    column means, correlations with the target); else ValueError."""
    source = f"the file downloaded from {url}"
    try:
        table = parse_airfoil_text(decode_text(data, source=source), source=source)  # (N, 6)
    except DataFormatError as error:
        raise ValueError(f"{error}; nothing was written") from None
    problems = compare_with_published(table)
    if problems:
        # each problem names the published figure it missed
        raise ValueError(
            f"{source} is not the published airfoil data ({'; '.join(problems)}); nothing was written"
        )
