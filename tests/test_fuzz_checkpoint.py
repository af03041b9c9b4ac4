"""Fuzzing checkpoint files: damaged, forged or foreign files load correctly or raise ValueError.

Truncations at random lengths, random bit flips, arrays of the wrong shape or dtype (with
the metadata re-sealed, as a forger would), mutated metadata (other format versions,
wrong types, huge numbers), pickle payloads. ``load_checkpoint`` must return a usable
Checkpoint or raise ValueError; never another exception, never run code. The CLI turns
each into one line on stderr.
"""

from __future__ import annotations

import copy
import io
import json
import math
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from glassnet.checkpoint import META_KEY, Checkpoint, _digest, load_checkpoint, save_checkpoint
from glassnet.cli import main
from glassnet.data import Preprocessor
from glassnet.train import TrainConfig, fit

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
Arrays = dict[str, np.ndarray[Any, Any]]


def _checkpoint() -> Checkpoint:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 3))
    y = np.sin(x[:, 0]) + x[:, 2]
    prep = Preprocessor(log_columns=()).fit(x, y)
    config = TrainConfig(hidden=(4,), epochs=2, batch_size=16, seed=1, refit=False)
    result = fit(
        config, prep.transform_x(x), prep.transform_y(y), prep.transform_x(x[:8]), prep.transform_y(y[:8])
    )
    return Checkpoint(
        spec=result.spec,
        members=result.weights,
        config=config,
        preprocessor=prep.to_state(),
        metrics={"test": {"rmse": 1.5}},
        info={"task": "toy", "feature_names": ["a", "b", "c"]},
        history=result.history,
        arrays={"split_train": np.arange(48)},
    )


class Saved(bytes):
    """The bytes of a valid checkpoint, shown briefly when hypothesis reports a case."""

    def __repr__(self) -> str:
        return f"<checkpoint, {len(self)} bytes>"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "m.npz", _checkpoint())
    return Saved(path.read_bytes())


def _arrays_and_meta(data: bytes) -> tuple[Arrays, dict[str, Any]]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays.pop(META_KEY).tobytes())
    return arrays, meta


def _sealed(arrays: Arrays, meta: dict[str, Any]) -> bytes:
    """The archive with the array list and checksum recomputed: only the content checks remain."""
    meta = dict(meta)
    meta["arrays"] = {key: [a.dtype.str, list(a.shape)] for key, a in sorted(arrays.items())}
    try:
        meta["sha256"] = _digest(meta, arrays)
    except ValueError:  # NaN or inf in the metadata: no checksum can be computed, the loader says so
        meta["sha256"] = "0" * 64
    text = json.dumps(meta, allow_nan=True, default=str)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{META_KEY: np.frombuffer(text.encode(), dtype=np.uint8)})  # type: ignore[arg-type]
    return buffer.getvalue()


def check_load(path: Path) -> str:
    """Load ``path``: a usable Checkpoint ("ok") or a one-line ValueError; anything else fails the test."""
    try:
        checkpoint = load_checkpoint(path)
        prediction = checkpoint.ensemble().predict(np.zeros((2, checkpoint.spec.n_inputs)))
        assert prediction.shape[0] == 2
        checkpoint.load_preprocessor()
    except ValueError as error:
        assert "\n" not in str(error), error
        event(f"refused: {str(error).split(':')[1][:40] if ':' in str(error) else str(error)[:40]}")
        return "refused"
    event("loaded")
    return "ok"


@FUZZ
@given(fraction=st.floats(0.0, 1.0, exclude_max=True))
def test_truncated_files_are_refused(saved: bytes, tmp_path: Path, fraction: float) -> None:
    path = tmp_path / "t.npz"
    path.write_bytes(saved[: int(len(saved) * fraction)])
    assert check_load(path) == "refused"


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 7)), min_size=1, max_size=8))
def test_bit_flips_are_caught(saved: bytes, tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    data = bytearray(saved)
    for position, bit in flips:
        data[position % len(data)] ^= 1 << bit
    path = tmp_path / "f.npz"
    path.write_bytes(bytes(data))
    if check_load(path) == "ok":  # a flip in an unchecked zip field (a timestamp): the content is intact
        original = tmp_path / "original.npz"
        original.write_bytes(saved)
        ours, theirs = load_checkpoint(path), load_checkpoint(original)
        assert ours.info == theirs.info and ours.metrics == theirs.metrics
        for name, value in theirs.members[0].items():
            assert np.array_equal(ours.members[0][name], value)


DTYPES = ["<f4", "<f8", "<i4", "<i8", "|b1", "<c16", "<U3", "|u1", ">f8", "<f2", "|V8"]


@FUZZ
@given(
    data=st.data(),
    change=st.sampled_from(["reshape", "transpose", "dtype", "drop", "add", "empty", "scalar", "huge_dim"]),
)
def test_wrong_shapes_and_dtypes_are_refused(
    saved: bytes, tmp_path: Path, data: st.DataObject, change: str
) -> None:
    arrays, meta = _arrays_and_meta(saved)
    key = data.draw(st.sampled_from(sorted(arrays)))
    array = arrays[key]
    if change == "reshape":
        arrays[key] = array.reshape(-1)[: data.draw(st.integers(0, array.size))]
    elif change == "transpose":
        arrays[key] = np.ascontiguousarray(np.atleast_2d(array).T)
    elif change == "dtype":
        dtype = np.dtype(data.draw(st.sampled_from(DTYPES)))
        arrays[key] = np.zeros(array.shape, dtype=dtype) if dtype.kind == "V" else array.astype(dtype)
    elif change == "drop":
        del arrays[key]
    elif change == "add":
        arrays[key + "x"] = array
    elif change == "empty":
        arrays[key] = np.zeros((0, *array.shape[1:]), dtype=array.dtype)
    elif change == "scalar":
        arrays[key] = np.asarray(array.reshape(-1)[:1].sum())
    else:
        arrays[key] = np.zeros((1,) * 6, dtype=array.dtype)
    path = tmp_path / "s.npz"
    path.write_bytes(_sealed(arrays, meta))
    check_load(path)  # some changes (a history column in float32) still describe a valid model


ODD = st.one_of(
    st.sampled_from([None, True, -1, 0, 2, 10**30, 10**400, 1e308, -1.5, "", "x", [], {}, [None], {"a": 1}]),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=3), lambda c: st.lists(c, max_size=3), max_leaves=6
    ),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += _paths(item, (*prefix, index))
    return found


@FUZZ
@given(data=st.data(), value=ODD, delete=st.booleans())
def test_forged_metadata_is_refused_or_harmless(
    saved: bytes, tmp_path: Path, data: st.DataObject, value: Any, delete: bool
) -> None:
    """Any field of __meta__ (format, version, spec, config, resume, ...) set to an odd value, re-sealed."""
    arrays, meta = _arrays_and_meta(saved)
    meta = copy.deepcopy(meta)
    path_in_meta = data.draw(st.sampled_from([p for p in _paths(meta) if p[0] not in ("sha256", "arrays")]))
    node: Any = meta
    for key in path_in_meta[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path_in_meta[-1]]
    else:
        node[path_in_meta[-1]] = value
    path = tmp_path / "m.npz"
    path.write_bytes(_sealed(arrays, meta))
    check_load(path)


def test_other_format_versions_are_refused(saved: bytes, tmp_path: Path) -> None:
    arrays, meta = _arrays_and_meta(saved)
    for version in (0, 3, "1", 1.0, 1.0001, True, None, 10**400):
        path = tmp_path / "v.npz"
        path.write_bytes(_sealed(arrays, {**meta, "version": version}))
        with pytest.raises(ValueError, match="format version"):
            load_checkpoint(path)


@pytest.mark.parametrize("listed", [None, "relu", ["relu", 3], ["relu", "relu"], ["rleu"]])
def test_a_version_2_file_without_one_activation_per_member_is_refused(
    saved: bytes, tmp_path: Path, listed: Any
) -> None:
    """Version 2 is version 1 with each member's activation: a list of one known name per member."""
    arrays, meta = _arrays_and_meta(saved)
    assert meta["n_members"] == 1
    changed = {key: value for key, value in meta.items() if key != "member_activations"}
    changed["version"] = 2
    if listed is not None:
        changed["member_activations"] = listed
    path = tmp_path / "v2.npz"
    path.write_bytes(_sealed(arrays, changed))
    with pytest.raises(ValueError, match="activation"):  # member_activations, or the activation refused
        load_checkpoint(path)


def test_a_pickle_payload_never_runs(saved: bytes, tmp_path: Path) -> None:
    """An object array whose unpickling would create a file: refused, and the file never appears."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[Any, tuple[str]]:
            return (Path.touch, (str(marker),))  # type: ignore[return-value]

    arrays, meta = _arrays_and_meta(saved)
    for key in (META_KEY, "weights/0/0.weight", "arrays/evil"):
        payload = np.empty(1, dtype=object)
        payload[0] = Payload()
        buffer = io.BytesIO()
        forged = dict(arrays)
        if key == META_KEY:
            np.savez(buffer, **{META_KEY: payload})  # type: ignore[arg-type]
        else:
            forged[key] = payload
            text = json.dumps(meta).encode()
            np.savez(buffer, **forged, **{META_KEY: np.frombuffer(text, dtype=np.uint8)})  # type: ignore[arg-type]
        path = tmp_path / "evil.npz"
        path.write_bytes(buffer.getvalue())
        with pytest.raises(ValueError, match="pickled Python objects; refused"):
            load_checkpoint(path)
        assert not marker.exists()


def test_compressed_duplicate_and_oversized_members_are_refused(saved: bytes, tmp_path: Path) -> None:
    arrays, meta = _arrays_and_meta(saved)
    path = tmp_path / "c.npz"
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, **{META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)})  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="compressed"):
        load_checkpoint(path)
    # a member whose .npy header promises 10¹² values: refused before anything is allocated
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{META_KEY}.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match="declares 8000000000000 bytes"):
        load_checkpoint(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", b"hello")
        archive.writestr("a.npy", header.getvalue())
    with pytest.raises(ValueError, match=r"not a \.npy array"):
        load_checkpoint(path)


def _overlapping_archive(names: list[str], tail: bytes) -> bytes:
    """A zip whose members overlap: each one's data is a uint8 .npy array whose bytes hold the
    local headers and data of every member after it; each header matches its data, so that
    only the members' sizes together, past the file's, tell it from a sound archive."""
    members: list[tuple[str, int, int, int]] = []  # name, CRC, size, length of the .npy header
    for name in reversed(names):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "|u1", "fortran_order": False, "shape": (len(tail),)}
        )
        data = header.getvalue() + tail
        crc, encoded = zlib.crc32(data), name.encode()
        local = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(encoded), 0
        )
        members.insert(0, (name, crc, len(data), len(header.getvalue())))
        tail = local + encoded + data
    central, offset = b"", 0
    for name, crc, size, header_size in members:
        encoded = name.encode()
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                0,
                0,
                0,
                crc,
                size,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
        offset += 30 + len(encoded) + header_size  # the next member's local header, inside this one's data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(tail), 0)
    return tail + central + end


def test_members_that_overlap_are_refused_before_they_are_read(tmp_path: Path) -> None:
    """Each member's bytes the next ones' (Python 3.11's zipfile does not look): a 1.7 MB file of
    3,000 such members took 3.8 GB to read, the memory growing with the square of their count."""
    path = tmp_path / "overlap.npz"
    path.write_bytes(
        _overlapping_archive([f"{META_KEY}.npy", *(f"a{i}.npy" for i in range(20))], b"\0" * 1000)
    )
    with zipfile.ZipFile(path) as archive:  # sound to zipfile, member by member
        assert len(archive.read(f"{META_KEY}.npy")) > path.stat().st_size // 2
    with pytest.raises(
        ValueError,
        match=r"is not a readable checkpoint \(damaged: its members claim \d+ bytes, more than the \d+ of the file\)",
    ):
        load_checkpoint(path)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
@given(fraction=st.floats(0.0, 1.0, exclude_max=True), flip=st.integers(0, 10**9))
def test_cli_evaluate_and_predict_give_one_line(
    saved: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], fraction: float, flip: int
) -> None:
    data = bytearray(saved)
    data[flip % len(data)] ^= 0xFF
    path = tmp_path / "model.npz"
    path.write_bytes(bytes(data[: max(1, int(len(data) * (0.5 + fraction / 2)))]))
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2,3\n")
    intact = tmp_path / "intact.npz"
    intact.write_bytes(saved)
    for argv in (["evaluate", str(path)], ["predict", str(path), str(rows)]):
        status = main(argv)
        captured = capsys.readouterr()
        if status == 0:
            # Some bytes of the zip container are not read back (a version field, the last
            # byte of an empty archive comment): the arrays and their checksum are intact,
            # and the model must then behave exactly as the intact file does.
            assert main([argv[0], str(intact), *argv[2:]]) == 0
            assert capsys.readouterr().out == captured.out
            continue
        err = captured.err
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("cut", [0.0, 0.3, 0.999])
def test_cli_subprocess_one_line(saved: bytes, tmp_path: Path, cut: float) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(saved[: int(len(saved) * cut)])
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "evaluate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a readable checkpoint" in done.stderr, done.stderr


def test_math_of_the_checks() -> None:
    """The size check multiplies Python integers: no overflow for any shape a header can hold."""
    assert math.prod((10**12, 10**12)) * 8 == 8 * 10**24
