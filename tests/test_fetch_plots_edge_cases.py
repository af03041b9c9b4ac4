"""The downloader against servers that misbehave (trickling, forged archives, redirect loops),
and the figures on values they cannot draw.

No test touches the internet: servers run on 127.0.0.1, archives come from local files.
"""

from __future__ import annotations

import http.server
import io
import math
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import serving, shared_airfoil
from glassnet.data import DownloadError, fetch_airfoil
from glassnet.plots import (
    plot_decision_boundary,
    plot_loss_curves,
    plot_predicted_vs_measured,
    plot_residuals_vs_frequency,
)

PNG = b"\x89PNG\r\n\x1a\n"


# no proxy (127.0.0.1 must be reached directly), no user cache or data variable
pytestmark = pytest.mark.usefixtures("downloads_isolated")


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _figures_folder(tmp_path: Path) -> Path:
    """A folder of tmp_path for figures alone: tmp_path also holds this module's XDG_CACHE_HOME
    (downloads_isolated), where matplotlib makes its cache when a process draws its first figure."""
    folder = tmp_path / "figures"
    folder.mkdir()
    return folder


# -- the downloader ----------------------------------------------------------------------


def test_a_trickling_server_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    """One byte every 0.1 s never lets a single read wait ``timeout``: the whole download is bounded too.

    (It used to wait for the connection to end: the real archive at that pace takes about an hour.)
    How long the download held on is read from the bytes the server had written when it was
    given up, not from the wall clock: at most 20 (2 s, four times the 0.5-s timeout) of the
    30 it writes before it ends the connection. A loaded machine slows the server's clock as
    much as the download's, so the count stays a measure of the timeout.
    """
    payload = shared_airfoil().read_bytes()
    written = [0]

    class _Trickle(_QuietHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            for at in range(30):  # then the connection ends, so the test ends without the fix too
                try:
                    self.wfile.write(payload[at : at + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return
                written[0] += 1
                time.sleep(0.1)

    with serving(_Trickle) as url:
        pattern = r"could not download .*/a\.csv: the server is too slow, \d+ bytes in the 0\.5 s allowed \(timeout, --timeout\)\. If this machine is offline"
        with pytest.raises(DownloadError, match=pattern):
            fetch_airfoil(url=f"{url}/a.csv", dest=tmp_path / "dest", progress=False, timeout=0.5)
        written_by_then = written[0]
    assert written_by_then <= 20
    assert not (tmp_path / "dest").exists()


def _forged_size_archive(inflated: int, claimed: int) -> bytes:
    """A zip whose airfoil member inflates to ``inflated`` zero bytes while its headers claim ``claimed``."""
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open("airfoil_self_noise.dat", "w") as member:
        block = bytes(1 << 20)
        for _ in range(inflated >> 20):
            member.write(block)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, data.find(b"PK\x03\x04") + 22, claimed)  # local header: uncompressed size
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, claimed)  # central directory: the same
    return bytes(data)


def test_a_member_that_lies_about_its_size_is_not_inflated_whole(tmp_path: Path) -> None:
    """A zip bomb: 96 MiB of zeros (about 100 kB deflated) whose headers claim 100 bytes passes the
    size check; reading it whole used to inflate all 96 MiB at once (16 GiB from a 16 MiB download)."""
    local = tmp_path / "bomb.zip"
    local.write_bytes(_forged_size_archive(96 << 20, 100))
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError, match=r"is damaged or unreadable \(Bad CRC-32 .*; nothing was written"
        ):
            fetch_airfoil(url=local.as_uri(), dest=tmp_path / "dest", progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 48 << 20
    assert not (tmp_path / "dest").exists()


def test_a_redirect_loop_is_reported_on_one_line(tmp_path: Path) -> None:
    """urllib's reason for a redirect loop spans three lines; the CLI printed them as literal \\n."""

    class _Loop(_QuietHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "/a.zip")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(_Loop) as url:
        pattern = r"HTTP 302 The HTTP server returned a redirect error that would lead to an infinite loop\. The last 30x error message was: Found\. If this machine is offline"
        with pytest.raises(DownloadError, match=pattern) as caught:
            fetch_airfoil(url=f"{url}/a.zip", dest=tmp_path / "dest", progress=False)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "dest").exists()


def test_a_url_with_other_than_ascii_is_named(tmp_path: Path) -> None:
    """http.client's UnicodeEncodeError ("'ascii' codec can't encode …") did not say what was wrong."""
    with pytest.raises(
        ValueError,
        match=r"^url must be ASCII, with other characters percent-encoded .*got 'http://127\.0\.0\.1:9/é\.zip'$",
    ):
        fetch_airfoil(url="http://127.0.0.1:9/é.zip", dest=tmp_path / "dest", progress=False)
    assert not (tmp_path / "dest").exists()


# -- the figures -------------------------------------------------------------------------


def test_loss_curves_take_a_nan_training_loss_as_a_gap(tmp_path: Path) -> None:
    """The docstring says a NaN stands for a missing value; a NaN train_loss raised KeyError."""
    history = [
        {"epoch": 1.0, "train_loss": 1.0, "val_loss": 1.1},
        {"epoch": 2.0, "train_loss": float("nan"), "val_loss": 1.0},
        {"epoch": 3.0, "train_loss": 0.5, "val_loss": 0.9},
    ]
    assert plot_loss_curves(history, tmp_path / "loss.png").read_bytes()[:8] == PNG
    only_nan = [{"epoch": 1.0, "train_loss": float("nan")}]  # min() of no values raised ValueError
    assert plot_loss_curves(only_nan, tmp_path / "nan.png").read_bytes()[:8] == PNG


def test_predicted_vs_measured_takes_predictions_near_the_float_limit(tmp_path: Path) -> None:
    """(p − y)² of a prediction of 1e200 overflows: the RMSE is inf, not a FloatingPointError
    (nor, outside the tests, a numpy warning printed by the CLI)."""
    path = plot_predicted_vs_measured(
        {"train": np.array([100.0, 110.0])}, {"train": np.array([1e200, 111.0])}, tmp_path / "pvm.png"
    )
    assert path.read_bytes()[:8] == PNG


def test_residuals_that_are_all_nan_or_inf_still_give_a_figure(tmp_path: Path) -> None:
    """A model that overflowed on every row: the log frequency axis had no range, and matplotlib
    raised "Data cannot be log-scaled because all values are <= 0" (frequencies were positive)."""
    out = _figures_folder(tmp_path)
    path = plot_residuals_vs_frequency(
        {"test": np.array([500.0, 2000.0])}, {"test": np.array([np.inf, np.nan])}, out / "res.png"
    )
    assert path.read_bytes()[:8] == PNG
    assert _files(out) == ["res.png"]


def _predict(grid: Any) -> Any:
    return grid[:, 0]


_POINTS = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
_LABELS = np.array([0.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("draw", "pattern"),
    [
        (  # a blank figure and matplotlib's "No artists with labels found" warning
            lambda path: plot_predicted_vs_measured({}, {}, path),
            r"^plot_predicted_vs_measured needs at least one value, got no parts$",
        ),
        (
            lambda path: plot_predicted_vs_measured(
                {"train": [], "test": []}, {"train": [], "test": []}, path
            ),
            r"^plot_predicted_vs_measured needs at least one value, got 'train', 'test'$",
        ),
        (  # numpy's "operands could not be broadcast together"
            lambda path: plot_predicted_vs_measured({"train": [1.0, 2.0, 3.0]}, {"train": [1.0, 2.0]}, path),
            r"^plot_predicted_vs_measured: part 'train' has 3 measured values but 2 predictions$",
        ),
        (  # KeyError: 'test'
            lambda path: plot_predicted_vs_measured({"test": [1.0]}, {"train": [1.0]}, path),
            r"^plot_predicted_vs_measured: part 'test' has measured values but no predictions$",
        ),
        (
            lambda path: plot_residuals_vs_frequency({"train": []}, {"train": []}, path),
            r"^plot_residuals_vs_frequency needs at least one value, got 'train'$",
        ),
        (
            lambda path: plot_residuals_vs_frequency({"train": [100.0]}, {"train": [1.0, 2.0]}, path),
            r"^plot_residuals_vs_frequency: part 'train' has 1 frequencies but 2 residuals$",
        ),
        (  # "zero-size array to reduction operation minimum which has no identity"
            lambda path: plot_decision_boundary(_predict, np.zeros((0, 2)), [], path, output_activation=None),
            r"^plot_decision_boundary needs at least one point, got shape \(0, 2\)$",
        ),
        (  # a NaN drew a blank figure; an inf raised a numpy warning
            lambda path: plot_decision_boundary(
                _predict, [[0.0, np.nan], [1.0, 1.0]], [0.0, 1.0], path, output_activation=None
            ),
            r"^plot_decision_boundary needs finite inputs, got NaN or inf in X$",
        ),
        (  # IndexError: boolean index did not match indexed array
            lambda path: plot_decision_boundary(_predict, _POINTS, [0.0, 1.0], path, output_activation=None),
            r"^plot_decision_boundary needs one label per point \(3\), got 2$",
        ),
        (  # matplotlib's TypeError "Input z must be at least a \(2, 2\) shaped array"
            lambda path: plot_decision_boundary(
                _predict, _POINTS, _LABELS, path, output_activation=None, resolution=1
            ),
            r"^resolution must be an integer ≥ 2 \(grid points per axis\), got 1$",
        ),
        (
            lambda path: plot_decision_boundary(
                _predict, _POINTS, _LABELS, path, output_activation=None, resolution=2.5
            ),
            r"^resolution must be an integer ≥ 2 \(grid points per axis\), got 2\.5$",
        ),
        (
            lambda path: plot_decision_boundary(
                _predict, _POINTS, _LABELS, path, output_activation=None, held_out=[0, 3]
            ),
            r"^held_out must be indices of the 3 points \(a 1-D integer array\), got array\(\[0, 3\]\)$",
        ),
        (
            lambda path: plot_decision_boundary(
                _predict, _POINTS, _LABELS, path, output_activation=None, held_out=[0.5]
            ),
            r"^held_out must be indices of the 3 points \(a 1-D integer array\), got array\(\[0\.5\]\)$",
        ),
        (  # a log axis left the point out, silently
            lambda path: plot_residuals_vs_frequency(
                {"train": [100.0], "test": [500.0, 0.0, -3.0]},
                {"train": [1.0], "test": [1.0, 2.0, 3.0]},
                path,
            ),
            r"^plot_residuals_vs_frequency needs finite frequencies > 0 \(a log axis\), got 0 at index 1 of "
            r"part 'test'$",
        ),
        (  # NaN and inf were left out as silently
            lambda path: plot_residuals_vs_frequency({"test": [np.nan, 100.0]}, {"test": [1.0, 2.0]}, path),
            r"^plot_residuals_vs_frequency needs finite frequencies > 0 \(a log axis\), got nan at index 0 of "
            r"part 'test'$",
        ),
        (
            lambda path: plot_residuals_vs_frequency({"test": [100.0, np.inf]}, {"test": [1.0, 2.0]}, path),
            r"^plot_residuals_vs_frequency needs finite frequencies > 0 \(a log axis\), got inf at index 1 of "
            r"part 'test'$",
        ),
        (  # "cannot reshape array of size 32 into shape (4,4)"
            lambda path: plot_decision_boundary(
                lambda grid: grid, _POINTS, _LABELS, path, output_activation=None, resolution=4
            ),
            r"^plot_decision_boundary needs predict to give one output per grid point, shape \(16,\) or "
            r"\(16, 1\), got shape \(16, 2\)$",
        ),
        (  # KeyError: 'epoch'
            lambda path: plot_loss_curves([{"train_loss": 1.0}], path),
            r"^plot_loss_curves needs an 'epoch' in every record, got record 0 with keys \['train_loss'\]$",
        ),
        (  # KeyError: 'epoch' too, once the NaN (a missing value) was dropped
            lambda path: plot_loss_curves(
                [{"epoch": 1.0, "train_loss": 1.0}, {"epoch": math.nan, "train_loss": 0.5}], path
            ),
            r"^plot_loss_curves needs a number in 'epoch' of every record, got NaN in record 1$",
        ),
    ],
    ids=[
        "pvm-no-parts",
        "pvm-empty-parts",
        "pvm-sizes-differ",
        "pvm-part-missing",
        "residuals-empty",
        "residuals-sizes-differ",
        "boundary-no-points",
        "boundary-nan",
        "boundary-labels",
        "boundary-resolution-1",
        "boundary-resolution-float",
        "boundary-held-out-range",
        "boundary-held-out-float",
        "residuals-frequency-not-positive",
        "residuals-frequency-nan",
        "residuals-frequency-inf",
        "boundary-two-outputs",
        "loss-no-epoch",
        "loss-nan-epoch",
    ],
)
def test_figures_refuse_inputs_they_cannot_draw(draw: Any, pattern: str, tmp_path: Path) -> None:
    out = _figures_folder(tmp_path)
    with pytest.raises(ValueError, match=pattern):
        draw(out / "figure.png")
    assert _files(out) == []
