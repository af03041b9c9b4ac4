"""The downloader, against a real HTTP server on 127.0.0.1 serving archives built from the shared copy.

No test touches the internet: every URL points at 127.0.0.1 or at a local file.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import http.server
import io
import os
import re
import signal
import socket
import threading
import time
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import SHARED_AIRFOIL, serving, shared_airfoil
from glassnet.cli import main
from glassnet.data import (
    AIRFOIL_URL,
    DATA_ENV_VAR,
    DataWarning,
    DownloadError,
    _download,
    cache_dir,
    fetch_airfoil,
    find_airfoil,
    load_airfoil,
)

SHARED = SHARED_AIRFOIL


@pytest.fixture(scope="module")
def uci_dat() -> bytes:
    """The shared CSV written the way UCI publishes it: tab-separated, no header, CRLF."""
    lines = shared_airfoil().read_text().splitlines()[1:]
    return ("\r\n".join(line.replace(",", "\t") for line in lines) + "\r\n").encode()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 in a thread, serving the folder it yields with its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    with serving(functools.partial(_QuietHandler, directory=str(root))) as url:
        yield url, root


# no proxy (127.0.0.1 must be reached directly), no user cache or data variable
pytestmark = pytest.mark.usefixtures("downloads_isolated")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_writes_the_checked_file(server: tuple[str, Path], uci_dat: bytes, tmp_path: Path) -> None:
    url, root = server
    (root / "airfoil+self+noise.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    dest = tmp_path / "dest"
    path = fetch_airfoil(url=f"{url}/airfoil+self+noise.zip", dest=dest, progress=False)
    assert path == dest / "airfoil_self_noise.dat"
    assert path.read_bytes() == uci_dat  # the archive's bytes, unchanged
    assert _files(dest) == ["airfoil_self_noise.dat"]  # no temporary file left
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        data = load_airfoil(dest)
    assert data.X.shape == (1503, 5)
    np.testing.assert_array_equal(data.y, np.loadtxt(SHARED, delimiter=",", skiprows=1)[:, 5])


def test_fetch_into_the_cache_is_then_found(server: tuple[str, Path], uci_dat: bytes) -> None:
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil+self+noise/airfoil_self_noise.dat": uci_dat, "x.txt": b"x"}))
    path = fetch_airfoil(url=f"{url}/a.zip", progress=True)  # stderr is not a terminal: no bar
    assert path == cache_dir() / "airfoil_self_noise.dat"
    assert find_airfoil() == path


def test_fetch_accepts_a_plain_data_file_and_a_file_url(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path
) -> None:
    url, root = server
    (root / "airfoil_self_noise.dat").write_bytes(uci_dat)
    assert fetch_airfoil(url=f"{url}/airfoil_self_noise.dat", dest=tmp_path / "a").read_bytes() == uci_dat
    local = tmp_path / "local.zip"
    local.write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    assert fetch_airfoil(url=local.as_uri(), dest=tmp_path / "b").read_bytes() == uci_dat


def _served_archive(server: tuple[str, Path], uci_dat: bytes) -> str:
    """The URL of a UCI-like archive of ``uci_dat`` on the local server."""
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    return f"{url}/a.zip"


def _own_copy(folder: Path) -> Path:
    """A data file of one's own, other bytes than the download's, in a new ``folder``."""
    folder.mkdir()
    target = folder / "airfoil_self_noise.dat"
    target.write_text("my own copy")
    return target


def test_fetch_replaces_a_file_of_other_bytes_only_when_forced(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path
) -> None:
    """A file there of other bytes (a copy of one's own, say) was replaced without a word; it is
    kept, and replaced with force=True. One of the same bytes is left as it is."""
    archive = _served_archive(server, uci_dat)
    target = _own_copy(tmp_path / "dest")
    dest = target.parent
    with pytest.raises(
        FileExistsError,
        match=re.escape(
            f"{target} exists and is not the published data (a copy of one's own?); it is kept: use "
            "force=True (--force) to replace it with the download, or choose another folder with dest (--dest)"
        ),
    ):
        fetch_airfoil(url=archive, dest=dest, progress=False)
    assert target.read_text() == "my own copy" and _files(dest) == ["airfoil_self_noise.dat"]
    assert fetch_airfoil(url=archive, dest=dest, progress=False, force=True) == target
    assert target.read_bytes() == uci_dat
    written = target.stat().st_mtime_ns
    os.utime(target, ns=(written - 10**9, written - 10**9))  # a second earlier: a rewrite would show
    fetch_airfoil(url=archive, dest=dest, progress=False)
    assert target.stat().st_mtime_ns == written - 10**9 and target.read_bytes() == uci_dat
    # the published table in another format (a mirror's CSV, a copy fetched from one) is a good
    # copy too: kept, where it was refused as a copy of one's own
    as_csv = shared_airfoil().read_bytes()
    target.write_bytes(as_csv)
    assert fetch_airfoil(url=archive, dest=dest, progress=False) == target and target.read_bytes() == as_csv


UNREACHABLE = "http://127.0.0.1:1/airfoil+self+noise.zip"  # port 1: nothing listens, refused at once


def test_fetch_keeps_the_published_data_without_downloading(
    uci_dat: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The download came first, then the look at the file already there: with the checked data
    in the cache, an offline `data fetch airfoil` failed (exit 2) with advice to download the
    archive by hand, where the data it would have kept was already there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cached = tmp_path / "xdg" / "glassnet" / "airfoil_self_noise.dat"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(uci_dat)
    assert fetch_airfoil(url=UNREACHABLE, progress=False) == cached
    assert main(["data", "fetch", "airfoil", "--url", UNREACHABLE, "--quiet"]) == 0
    assert capsys.readouterr().out == f"airfoil data already at {cached} (1503 rows, content checked)\n"
    with pytest.raises(DownloadError):  # forced, it downloads: and fails offline
        fetch_airfoil(url=UNREACHABLE, progress=False, force=True)
    assert cached.read_bytes() == uci_dat
    # a copy of one's own is named before the download, not after it
    cached.write_text("my own copy")
    with pytest.raises(FileExistsError, match="is not the published data"):
        fetch_airfoil(url=UNREACHABLE, progress=False)


def test_a_download_survives_a_read_that_closes_the_connection_at_its_end(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python 3.12.x on, HTTPResponse.read1 closes the connection once Content-Length bytes
    have come (gh-113199); the body's loop then set the closed socket's timeout, and every
    download failed, 'Bad file descriptor', with advice for the offline. That read1, here on
    any Python."""
    original = http.client.HTTPResponse.read1

    def read1_closing(self: http.client.HTTPResponse, n: int = -1) -> bytes:
        data = original(self, n)
        if self.length == 0 and self.fp is not None:  # once, as 3.12.x does
            self._close_conn()  # type: ignore[attr-defined]
        return data

    monkeypatch.setattr(http.client.HTTPResponse, "read1", read1_closing)
    written = fetch_airfoil(url=_served_archive(server, uci_dat), dest=tmp_path / "d", progress=False)
    assert written.read_bytes() == uci_dat


def test_cli_fetch_keeps_a_file_of_other_bytes_without_force(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _served_archive(server, uci_dat)
    target = _own_copy(tmp_path / "dest")
    dest = target.parent
    fetch = ["data", "fetch", "airfoil", "--url", archive, "--dest", str(dest), "--quiet"]
    assert main(fetch) == 2
    err = capsys.readouterr().err
    assert err == (
        f"glassnet data fetch: error: {target} exists and is not the published data (a copy of one's own?); "
        "it is kept: use force=True (--force) to replace it with the download, or choose another folder with "
        "dest (--dest)\n"
    )
    assert target.read_text() == "my own copy"
    assert main([*fetch, "--force"]) == 0
    assert capsys.readouterr().out == f"airfoil data written to {target} (1503 rows, content checked)\n"
    assert main(fetch) == 0
    assert capsys.readouterr().out == f"airfoil data already at {target} (1503 rows, content checked)\n"


def test_fetch_reads_a_csv_copy_in_the_destination_as_the_search_does(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path
) -> None:
    """Only the .dat was looked at: a CSV of one's own in the destination, which the search
    reads, was shadowed by a new .dat without a word, and a published CSV got a second copy."""
    archive = _served_archive(server, uci_dat)
    dest = tmp_path / "dest"
    dest.mkdir()
    own = dest / "airfoil_self_noise.csv"
    own.write_text("my own copy")
    with pytest.raises(
        FileExistsError,
        match=re.escape(
            f"{own} exists and is not the published data (a copy of one's own?); it is kept: use "
            "force=True (--force) to write the download as airfoil_self_noise.dat, or choose another "
            "folder with dest (--dest)"
        ),
    ):
        fetch_airfoil(url=archive, dest=dest, progress=False)
    assert _files(dest) == ["airfoil_self_noise.csv"]
    forced = fetch_airfoil(url=archive, dest=dest, progress=False, force=True)
    assert forced == dest / "airfoil_self_noise.dat" and forced.read_bytes() == uci_dat
    assert own.read_text() == "my own copy"  # the user's, left beside it
    published = tmp_path / "published"
    published.mkdir()
    (published / "airfoil_self_noise.csv").write_bytes(shared_airfoil().read_bytes())
    kept = fetch_airfoil(url=archive, dest=published, progress=False)
    assert kept == published / "airfoil_self_noise.csv" and _files(published) == ["airfoil_self_noise.csv"]


def _bad_payloads(uci_dat: bytes) -> dict[str, tuple[bytes, str]]:
    lines = uci_dat.decode().splitlines()
    edited = list(lines)
    edited[0] = edited[0].replace("126.201", "136.201")
    good_zip = _zip({"airfoil_self_noise.dat": uci_dat})
    return {
        "zip-without-the-file": (
            _zip({"readme.txt": b"hello"}),
            r"holds no airfoil_self_noise.dat or airfoil_self_noise.csv \(it holds readme.txt\); nothing was written",
        ),
        "damaged-zip": (good_zip[: len(good_zip) // 2], r"is damaged or unreadable .*; nothing was written"),
        "corrupt-deflate-data": (
            _corrupt_member_data(good_zip),
            r"is damaged or unreadable .*; nothing was written",
        ),
        "encrypted-member": (
            _flag_encrypted(good_zip),
            r"is damaged or unreadable \(.*encrypted.*; nothing was written",
        ),
        "changed-number": (
            _zip({"airfoil_self_noise.dat": "\n".join(edited).encode()}),
            r"is not the published airfoil data \(column means differ: sound_pressure_level .*nothing was written",
        ),
        "target-sorted-alone": (  # the published means, on rows that no longer belong together
            _zip(
                {
                    "airfoil_self_noise.dat": "\n".join(
                        "\t".join([*line.split("\t")[:5], level])
                        for line, level in zip(
                            lines, sorted((line.split("\t")[5] for line in lines), key=float), strict=True
                        )
                    ).encode()
                }
            ),
            # named alone: the rows and means it has are the published ones
            r"is not the published airfoil data \(rows differ \(correlation with the target\): [^;]*\); nothing was written$",
        ),
        "rows-reordered": (  # the published rows, which a seed would split otherwise
            _zip({"airfoil_self_noise.dat": "\n".join(lines[::-1]).encode()}),
            r"is not the published airfoil data \(the published rows in another order, which a split by "
            r"seed draws otherwise\); nothing was written$",
        ),
        "missing-rows": (
            _zip({"airfoil_self_noise.dat": "\n".join(lines[:1000]).encode()}),
            r"1000 rows, expected 1503; .*nothing was written",
        ),
        "corrupt-number": (
            _zip(
                {
                    "airfoil_self_noise.dat": "\n".join(
                        [*lines[:5], "800\t0\t0.3O48\t71.3\t0.002\t126"]
                    ).encode()
                }
            ),
            r"line 6, column 3 \(chord_length\): expected a number, got '0.3O48'; nothing was written",
        ),
        "bzip2-member": (  # zipfile unpacks such a member a whole chunk at once: 925 bytes gave 2 GB
            _zip({"airfoil_self_noise.dat": uci_dat}, zipfile.ZIP_BZIP2),
            r"airfoil_self_noise\.dat in the archive from .* is compressed with zip method 12, not deflate "
            r"\(UCI's\) or none; nothing was written$",
        ),
        "html-page": (
            b"<html><body>Moved</body></html>",
            r"bad\.zip: is a web page \(HTML\), expected a text file of numbers; a download that gave a page "
            r"instead of the file\?; nothing was written$",
        ),
    }


def _corrupt_member_data(archive: bytes) -> bytes:
    """The archive with its first member's deflate stream starting with a reserved block type
    (0xff: BTYPE 11), headers intact: zlib, not zipfile, fails on it (zlib.error)."""
    start = 30 + int.from_bytes(archive[26:28], "little") + int.from_bytes(archive[28:30], "little")
    return archive[:start] + b"\xff" + archive[start + 1 :]


def _flag_encrypted(archive: bytes) -> bytes:
    """The archive with its members flagged as encrypted (bit 0 of the general-purpose flags)."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 1
            at = data.find(signature, at + 4)
    return bytes(data)


@pytest.mark.parametrize(
    "case",
    [
        "zip-without-the-file",
        "damaged-zip",
        "corrupt-deflate-data",
        "encrypted-member",
        "changed-number",
        "rows-reordered",
        "missing-rows",
        "corrupt-number",
        "bzip2-member",
        "html-page",
    ],
)
def test_bad_content_is_refused_and_nothing_is_written(
    case: str, server: tuple[str, Path], uci_dat: bytes, tmp_path: Path
) -> None:
    url, root = server
    payload, pattern = _bad_payloads(uci_dat)[case]
    (root / "bad.zip").write_bytes(payload)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "airfoil_self_noise.dat").write_bytes(uci_dat)  # a good earlier copy must survive
    with pytest.raises(ValueError, match=pattern):  # forced: without, the good copy is kept unasked
        fetch_airfoil(url=f"{url}/bad.zip", dest=dest, progress=False, force=True)
    assert _files(dest) == ["airfoil_self_noise.dat"]
    assert (dest / "airfoil_self_noise.dat").read_bytes() == uci_dat


def test_http_404_is_a_clear_error(server: tuple[str, Path], tmp_path: Path) -> None:
    url, _root = server
    with pytest.raises(DownloadError, match=r"could not download .*/missing.zip: HTTP 404") as caught:
        fetch_airfoil(url=f"{url}/missing.zip", dest=tmp_path / "dest", progress=False)
    message = str(caught.value)
    assert "download the archive by hand from https://archive.ics.uci.edu/dataset/291" in message
    # data fetch takes no --data: the advice fills the cache from the archive, or names the
    # commands that take --data
    assert "`glassnet data fetch airfoil --url file:///PATH/airfoil+self+noise.zip`" in message
    assert "set GLASSNET_DATA=PATH/airfoil_self_noise.dat" in message
    assert "`glassnet train airfoil`, `glassnet evaluate` or `glassnet data info` as --data" in message
    assert not (tmp_path / "dest").exists()


def test_a_transfer_cut_short_is_a_download_error(uci_dat: bytes, tmp_path: Path) -> None:
    """A server that closes the connection early: read() just ends, so the Content-Length tells."""
    payload = _zip({"airfoil_self_noise.dat": uci_dat})

    class _HalfHandler(_QuietHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True

    with serving(_HalfHandler) as url:
        pattern = rf"the transfer stopped after {len(payload) // 2} of {len(payload)} bytes\. If this machine is offline"
        with pytest.raises(DownloadError, match=pattern):
            fetch_airfoil(url=f"{url}/a.zip", dest=tmp_path / "dest", progress=False)
    assert not (tmp_path / "dest").exists()


@pytest.fixture
def redirecting_server(uci_dat: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 whose /to/<target> answers 302 with Location <target> (the rest of
    the path after /to/, percent-decoding not needed here), and whose /a.zip is the archive."""
    payload = _zip({"airfoil_self_noise.dat": uci_dat})

    class _RedirectHandler(_QuietHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/to/"):
                self.send_response(302)
                self.send_header("Location", self.path.removeprefix("/to/"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with serving(_RedirectHandler) as url:
        yield url


def test_redirects_are_followed_to_http_only(redirecting_server: str, uci_dat: bytes, tmp_path: Path) -> None:
    """UCI's links redirect, so http(s) redirects are followed; urllib's default handler also
    followed a redirect to ftp:, a scheme fetch_airfoil refuses when asked for it directly."""
    url = redirecting_server
    path = fetch_airfoil(url=f"{url}/to/{url}/a.zip", dest=tmp_path / "a", progress=False)
    assert path.read_bytes() == uci_dat
    target = "ftp://127.0.0.1:9/a.zip"
    says = f"could not download {url}/to/{target}: HTTP 302 redirect to {target}, which is not followed (http and https only)."
    with pytest.raises(DownloadError) as caught:
        fetch_airfoil(url=f"{url}/to/{target}", dest=tmp_path / "b", progress=False)
    assert str(caught.value).startswith(says)
    local = (tmp_path / "a" / "airfoil_self_noise.dat").as_uri()  # urllib itself refuses file: redirects
    with pytest.raises(DownloadError, match=f"HTTP 302 Found - Redirection to url '{local}' is not allowed"):
        fetch_airfoil(url=f"{url}/to/{local}", dest=tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()


def test_a_missing_local_file_gets_no_advice_about_the_network(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "a.zip"
    with pytest.raises(DownloadError) as caught:
        fetch_airfoil(url=missing.as_uri(), dest=tmp_path / "dest", progress=False)
    assert str(caught.value) == (
        f"could not download {missing.as_uri()}: [Errno 2] No such file or directory: '{missing}'."
    )
    assert not (tmp_path / "dest").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_server_down_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"could not download .*refused.*If this machine is offline"):
        fetch_airfoil(url=f"http://127.0.0.1:{_free_port()}/a.zip", dest=tmp_path / "dest", progress=False)
    assert not (tmp_path / "dest").exists()


def test_a_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(DownloadError, match=r"could not download .*timed out.*GLASSNET_DATA"):
            fetch_airfoil(url=f"http://127.0.0.1:{port}/a.zip", dest=tmp_path / "dest", timeout=0.3)


@contextlib.contextmanager
def _one_connection(
    serve: Callable[[socket.socket, threading.Event], None],
) -> Iterator[tuple[str, threading.Thread]]:
    """A server on 127.0.0.1 that hands its first connection to ``serve(connection, stop)`` in a
    thread of its own; yields the URL of a.zip there and the thread. On leaving, ``stop`` is set
    and the thread joined."""
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def accept() -> None:
            connection, _ = listener.accept()
            with connection:
                serve(connection, stop)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}/a.zip", thread
        finally:
            stop.set()
            thread.join(timeout=5)


def test_a_server_that_trickles_its_headers_is_given_up_at_the_timeout(tmp_path: Path) -> None:
    """The deadline was checked while the body was read only: headers sent a byte every 0.1 s
    (each wait within the socket's timeout) held a 2-s download for 44 s, then it was called
    "5 bytes in the 2 s allowed". How long the download held on is read from the bytes the
    server had sent when it was given up, not from the wall clock: at most 20 (2 s, four
    times the 0.5-s timeout) where the server has 255 to send. A loaded machine slows the
    server's clock as much as the download's, so the count stays a measure of the timeout."""
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nX-Slow: " + b"a" * 200  # never ends
    sent = [0]

    def trickle(connection: socket.socket, stop: threading.Event) -> None:
        for byte in headers:
            if stop.wait(0.1):
                return
            connection.sendall(bytes([byte]))
            sent[0] += 1

    with _one_connection(trickle) as (url, _server):
        with pytest.raises(
            DownloadError, match=r"timed out, no reply in the 0\.5 s allowed \(timeout, --timeout\)\. If"
        ):
            fetch_airfoil(url=url, dest=tmp_path / "d", timeout=0.5)
        sent_by_then = sent[0]
    assert sent_by_then <= 20 < len(headers)
    assert not (tmp_path / "d").exists()


def test_a_body_that_stalls_is_given_up_at_the_deadline_not_a_timeout_later(tmp_path: Path) -> None:
    """The body's reads waited a whole socket timeout each, checking the deadline only after a
    chunk came: headers sent 0.8 s into a 1-s download, then a body that never comes, held it to
    1.8 s (5.85 s of a 3-s timeout in a review). The wait after the headers is counted in the
    server's 0.05-s ticks until the download closes the connection: the 0.2 s left is 4, a whole
    timeout 20, and at most 12 pass (a loaded machine slows both clocks alike)."""
    ticks = [0]

    def stall(connection: socket.socket, stop: threading.Event) -> None:
        if stop.wait(0.8):
            return
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        connection.settimeout(0.05)
        while not stop.is_set():
            try:
                if connection.recv(1) == b"":  # the download closed it
                    return
            except TimeoutError:
                ticks[0] += 1
            except OSError:
                return

    with _one_connection(stall) as (url, server):
        with pytest.raises(DownloadError, match=r"the server is too slow, 0 bytes in the 1 s allowed"):
            fetch_airfoil(url=url, dest=tmp_path / "d", timeout=1.0, progress=False)
        server.join(timeout=5)  # until it sees the connection closed: every tick counted
    assert ticks[0] <= 12, ticks
    assert not (tmp_path / "d").exists()


def test_a_name_lookup_that_hangs_is_given_up_at_the_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No socket timeout bounds the name lookup (getaddrinfo): a resolver that did not answer held
    the download for as long as it waited. The stand-in resolver counts 0.1-s ticks for up to
    10 s; when the download gives up it must still be waiting, at most 12 ticks in (1.2 s, four
    times the 0.3-s timeout). Ticks rather than the wall clock: a loaded machine slows both."""
    release = threading.Event()
    ticks = [0]
    answered = threading.Event()

    def hanging(*args: Any, **kwargs: Any) -> Any:
        while ticks[0] < 100 and not release.wait(0.1):
            ticks[0] += 1
        answered.set()
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    try:
        with pytest.raises(
            DownloadError,
            match=r"could not download http://airfoil\.invalid/a\.zip: timed out, no reply in the 0\.3 s",
        ):
            fetch_airfoil(
                url="http://airfoil.invalid/a.zip", dest=tmp_path / "d", progress=False, timeout=0.3
            )
        ticks_by_then, still_waiting = ticks[0], not answered.is_set()
    finally:
        release.set()
    assert still_waiting
    assert ticks_by_then <= 12


def _give_up_on_a_late_reply() -> None:
    """_open_by given up at a deadline of 0.2 s."""
    request = urllib.request.Request("http://127.0.0.1:9/a.zip")
    with pytest.raises(TimeoutError, match=r"^timed out, no reply in the 0\.2 s allowed"):
        _download._open_by(request, 0.2, time.monotonic() + 0.2)


def _interrupt_the_wait_for_a_reply() -> None:
    """Ctrl-C while _open_by waits (its deadline 30 s away)."""
    request = urllib.request.Request("http://127.0.0.1:9/a.zip")
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        _download._open_by(request, 30.0, time.monotonic() + 30.0)


@pytest.mark.parametrize(
    "give_up", [_give_up_on_a_late_reply, _interrupt_the_wait_for_a_reply], ids=["deadline", "ctrl-c"]
)
def test_a_reply_that_comes_after_the_caller_gave_up_is_closed(
    give_up: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The open given up goes on in its thread: the reply it gets at last is closed, not leaked
    (after Ctrl-C it stayed open until garbage collection)."""
    arrived, closed = threading.Event(), threading.Event()

    class _Reply:
        def close(self) -> None:
            closed.set()

    def late_open(request: Any, timeout: float) -> _Reply:
        arrived.wait(10)
        return _Reply()

    monkeypatch.setattr(_download._OPENER, "open", late_open)
    give_up()
    arrived.set()
    assert closed.wait(5)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (
            {"url": "ftp://example.org/a.zip"},
            ValueError,
            r"url must be an http, https or file URL, got 'ftp:",
        ),
        ({"url": "archive.zip"}, ValueError, r"url must be an http, https or file URL"),
        ({"timeout": 0}, ValueError, r"timeout must be a positive number of seconds, got 0"),
        ({"timeout": True}, ValueError, r"timeout must be a positive number of seconds, got True"),
        (  # "good.zip" read as a host: it said "No such file or directory: ''"
            {"url": "file://good.zip"},
            ValueError,
            r"^url must be a file URL of an absolute path, file:///PATH \(three slashes\), got 'file://good\.zip'; "
            r"for good\.zip here: file:///.*/good\.zip$",
        ),
        ({"url": "file:good.zip"}, ValueError, r"^url must be a file URL of an absolute path"),
        (
            {"url": "https:///a.zip"},
            ValueError,
            r"^url must name a server, https://HOST/PATH, got 'https:///a\.zip'$",
        ),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], pattern: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=pattern):
        fetch_airfoil(dest=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_dest_must_be_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(NotADirectoryError, match=r"dest must be a folder, got the file .*a-file"):
        fetch_airfoil(url="http://127.0.0.1:9/a.zip", dest=file)


def test_a_data_file_that_is_a_link_is_refused_before_the_download(tmp_path: Path) -> None:
    """A cache holding a link to a shared copy: the write would replace the link with a file, so
    it is refused, before the download (the port is closed: no download is tried)."""
    shared = tmp_path / "shared.dat"
    shared.write_text("mine")
    (tmp_path / "airfoil_self_noise.dat").symlink_to(shared)
    with pytest.raises(
        ValueError,
        match=rf"airfoil_self_noise\.dat is a symbolic link \(to {re.escape(str(shared))}\), where the download "
        r"writes the data file, a regular file; remove it, or choose another folder with dest \(--dest\)$",
    ):
        fetch_airfoil(url="http://127.0.0.1:9/a.zip", dest=tmp_path)
    assert shared.read_text() == "mine" and (tmp_path / "airfoil_self_noise.dat").is_symlink()


def test_default_url_is_the_uci_archive() -> None:
    assert AIRFOIL_URL == "https://archive.ics.uci.edu/static/public/291/airfoil+self+noise.zip"


def test_cli_fetch(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    dest = tmp_path / "dest"
    assert main(["data", "fetch", "airfoil", "--url", f"{url}/a.zip", "--dest", str(dest), "--quiet"]) == 0
    assert f"airfoil data written to {dest / 'airfoil_self_noise.dat'}" in capsys.readouterr().out
    fetch = ["data", "fetch", "airfoil", "--url", f"{url}/nothing.zip", "--dest", str(dest), "--quiet"]
    assert main(fetch) == 0  # the data is there: kept, nothing downloaded
    assert capsys.readouterr().out.startswith("airfoil data already at")
    assert main([*fetch, "--force"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet data fetch: error: could not download") and err.count("\n") == 1
    assert main(["data", "fetch", "iris"]) == 2  # argparse refuses unknown data sets


def test_an_empty_dest_is_refused_not_the_current_folder(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--dest "$UNSET"`` must not write into the current folder (Path("") is ".")."""
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for blank in ("", " "):
        with pytest.raises(ValueError, match=r"^dest is empty; give a folder, or leave it out for the cache"):
            fetch_airfoil(url=f"{url}/a.zip", dest=blank, progress=False)
    assert main(["data", "fetch", "airfoil", "--url", f"{url}/a.zip", "--dest", "", "--quiet"]) == 2
    assert _files(work) == []


@pytest.mark.parametrize("where", ["dest-under-a-file", "cache-under-a-file"])
def test_a_folder_that_cannot_be_written_is_named_with_what_to_do(
    where: str, server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dest = blocker / "sub" if where == "dest-under-a-file" else None
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    folder = dest if dest is not None else blocker / "glassnet"
    hint = "choose a folder you can write to with dest \\(--dest\\)" + (
        "" if dest is not None else " or XDG_CACHE_HOME"
    )
    pattern = rf"^cannot write the airfoil data into {folder} \(Not a directory\); {hint}$"
    with pytest.raises(OSError, match=pattern):
        fetch_airfoil(url=f"{url}/a.zip", dest=dest, progress=False)
    assert blocker.read_text() == "x"


def test_a_home_that_cannot_be_found_does_not_break_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No $HOME and a uid without a passwd entry (``docker run --user 1234``): Path.home() raises."""
    import pwd

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert main(["--version"]) == 0
    assert main(["data", "info", "--data", str(SHARED)]) == 0
    assert f"file: {SHARED}" in capsys.readouterr().out
    no_cache = r"no cache folder: the home folder cannot be found \(no \$HOME and no user entry\); set XDG_CACHE_HOME"
    with pytest.raises(OSError, match=no_cache):
        cache_dir()
    assert main(["data", "fetch", "airfoil", "--url", "http://127.0.0.1:9/a.zip", "--quiet"]) == 2
    assert capsys.readouterr().err.endswith(
        "set XDG_CACHE_HOME or HOME to an absolute path, or give a folder with --dest\n"
    )
    assert find_airfoil() == SHARED  # the cache is skipped; the checkout's copy is still found
    monkeypatch.setattr("glassnet.data._airfoil.source_checkout_data_dir", lambda: None)
    with pytest.raises(
        FileNotFoundError, match=r"looked at: \$GLASSNET_DATA \(not set\); the user cache \(no cache"
    ):
        find_airfoil()


def test_cli_fetch_into_the_cache_says_when_the_data_variable_wins(
    server: tuple[str, Path],
    uci_dat: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The file written to the cache is not the one used while $GLASSNET_DATA is set: say so."""
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "nowhere"))
    assert main(["data", "fetch", "airfoil", "--url", f"{url}/a.zip", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err == (
        f"glassnet data fetch: note: {DATA_ENV_VAR}={tmp_path / 'nowhere'} is set and is looked at before "
        f"the cache, so commands will not use {cache_dir() / 'airfoil_self_noise.dat'}; unset it to use that file\n"
    )
    for value in (str(cache_dir()), str(cache_dir() / "airfoil_self_noise.dat")):  # it names this file
        monkeypatch.setenv(DATA_ENV_VAR, value)
        assert main(["data", "fetch", "airfoil", "--url", f"{url}/a.zip", "--quiet"]) == 0
        assert capsys.readouterr().err == ""
    monkeypatch.delenv(DATA_ENV_VAR)
    assert main(["data", "fetch", "airfoil", "--url", f"{url}/a.zip", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1/x", "--url is not a valid URL (Invalid IPv6 URL), got 'http://[::1/x'"),
        ("http://127.0.0.1:abc/x", "--url is not a valid URL (Port could not be cast"),
        ("http://127.0.0.1:1/a b.zip", "--url must not hold spaces or control characters (a space as %20)"),
        ("http://127.0.0.1:1/é.zip", "--url must be ASCII, with other characters percent-encoded"),
    ],
    ids=["ipv6", "port", "space", "not-ascii"],
)
def test_a_url_mistyped_is_named_by_the_option_before_any_download(
    url: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They were 'Invalid IPv6 URL' naming nothing, 'url must be ASCII' naming the library's
    argument, or a download failure followed by advice for an offline machine (a later review)."""
    assert main(["data", "fetch", "airfoil", "--url", url, "--dest", str(tmp_path / "d"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert said in err and "offline" not in err
    assert not (tmp_path / "d").exists()


def test_a_fetch_that_cannot_write_leaves_no_folder_it_made(
    server: tuple[str, Path], uci_dat: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a full disk the folders made for the file stayed behind, empty (a review, 2026-11-28)."""
    url, root = server
    (root / "a.zip").write_bytes(_zip({"airfoil_self_noise.dat": uci_dat}))

    def full_disk(path: Any, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("glassnet.data._download.atomic_write_bytes", full_disk)
    with pytest.raises(
        OSError, match=r"cannot write the airfoil data into .*dest/a/b \(No space left on device\)"
    ):
        fetch_airfoil(url=f"{url}/a.zip", dest=tmp_path / "dest" / "a" / "b", progress=False)
    assert not (tmp_path / "dest").exists()
