"""Checkpoints: a trained model with everything needed to use, check and resume it, in one ``.npz``.

Format (version 1, or 2 for members of several hidden activations or a configuration that
names several), a NumPy ``.npz``
archive read with ``allow_pickle=False`` (so loading never runs code):

- ``__meta__``: uint8 array holding UTF-8 JSON: ``format``, ``version``, the architecture
  (:class:`~glassnet.spec.MLPSpec`), the training configuration, metrics, free-form
  ``info`` (task, feature names and units, split), the scalar parts of a resume state,
  the name/dtype/shape of every other array, and a SHA-256 over all of it; version 2 adds
  ``member_activations``, each member's hidden activation, and is written for members of
  different activations and for a configuration that gives them several
  (``TrainConfig.activation`` a tuple); other files are written as version 1 (the lowest
  version that holds them, as NumPy writes ``.npy`` files), which a glassnet that reads
  version 1 only still reads, while it refuses version 2 by its number rather than build
  every member with the spec's activation;
- ``weights/<m>/<name>``: member m's parameters, names as in glassnet and torch
  (``0.weight`` (out, in), ``0.bias`` (out,), …);
- ``preprocessor/<key>``: the fitted preprocessing (``Preprocessor.to_state()``);
- ``history/<column>``: per-epoch records, one float64 array per column;
- ``arrays/<key>``: extra arrays (e.g. the split's row indices);
- ``resume/…``: weights, optimizer buffers, best weights and the weights at the start of
  the epoch in progress (``resume/epoch_start``, when interrupted mid-epoch) and of the
  epoch before it (``resume/previous_start``) of an interrupted run.

Files are written atomically (:func:`glassnet._files.atomic_write`): to a temporary file
in the same folder, flushed to disk, renamed over the target with ``os.replace``, and the
folder flushed; a process killed while saving leaves the old file or the new one. Loading checks the format, version,
checksum, array list, every shape and the split's row indices (``arrays/split_*``: 1-D
integers that hold each row 0…n−1 once), and raises ValueError saying what is wrong.
Weights are engine-neutral: ``Checkpoint.ensemble()`` gives glassnet models and
``Checkpoint.torch_modules()`` torch ones, whichever engine trained them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from glassnet import __version__
from glassnet._checks import Array, shown
from glassnet._files import atomic_write, check_storable, finite_json, json_default
from glassnet.optim._adam import LEGACY_SCALED_MOMENTS, MOMENTS, held_name
from glassnet.spec import MLPSpec, check_weights
from glassnet.train import (
    Ensemble,
    MemberResult,
    ResumeState,
    TrainConfig,
    history_arrays,
    history_records,
)
from glassnet.train._engines import REGRESSION_LOSSES
from glassnet.train._ensemble import member_activations
from glassnet.train._trainer import check_resume_config

if TYPE_CHECKING:  # for the annotation only: load_preprocessor imports it when it is called
    from glassnet.data import Preprocessor

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "META_KEY",
    "Checkpoint",
    "load_checkpoint",
    "save_checkpoint",
]

FORMAT = "glassnet-checkpoint"
FORMAT_VERSION = 2  # the newest version, written only where needed (see save_checkpoint)
READ_VERSIONS = tuple(range(1, FORMAT_VERSION + 1))
META_KEY = "__meta__"
FINISHED_STATUSES = (
    "completed",
    "early_stopped",
    "diverged",
)  # how a finished member of a resume state ended

# the optimizer buffers of a resume state, by optimizer: Adam's moments in either engine's form
# (torch's m and v, glassnet's scaled u and v) or an earlier glassnet's (u and a scaled w = v /
# (1 − β₂)), none before Adam's first step; SGD's momentum buffer, absent without momentum.
# Adam's names are taken from glassnet.optim, which loads every form: a buffer renamed there is
# renamed here, where a copy would refuse every resume state the optimizer writes.
_HELD_ADAM_MOMENTS = [held_name(name) for name in MOMENTS]
_LEGACY_NAME = {held: legacy for legacy, held in LEGACY_SCALED_MOMENTS.items()}
_ADAM_BUFFERS = (
    sorted(MOMENTS),  # torch's (sorted, as the check compares them)
    sorted(_HELD_ADAM_MOMENTS),  # glassnet's
    sorted(_LEGACY_NAME.get(name, name) for name in _HELD_ADAM_MOMENTS),  # an earlier glassnet's
)
OPTIMIZER_BUFFERS = {"sgd": ([], ["momentum_buffer"]), "adam": _ADAM_BUFFERS, "adamw": _ADAM_BUFFERS}


@dataclass
class Checkpoint:
    """A trained model (one member or an ensemble) with its context.

    Attributes:
        spec: The architecture; a member differs from it at most in its hidden activation
            (``activations``).
        members: Each member's weights, by parameter name.
        config: How it was trained; None: not known.
        preprocessor: The fitted preprocessing as ``Preprocessor.to_state()`` gives it
            (:meth:`load_preprocessor` rebuilds it); empty: none.
        metrics: Metrics by part, e.g. ``{"test": {"rmse": …}, …}``.
        info: The run's context: task, feature and target names and units, data source,
            split settings, ….
        history: Per-epoch records of every member.
        arrays: Extra arrays (the split's row indices, …).
        resume: The state of an interrupted run, which ``glassnet train --resume``
            continues from; None: none kept.
        activations: Each member's hidden activation (``Ensemble``'s activations); None: the
            configuration's for members 0, 1, … (``config.member_activation``), or
            ``spec.activation`` for all without one.
    """

    spec: MLPSpec
    members: list[dict[str, Array]]
    config: TrainConfig | None = None
    preprocessor: dict[str, Array] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    arrays: dict[str, Array] = field(default_factory=dict)
    resume: ResumeState | None = None
    activations: list[str] | None = None

    def __repr__(self) -> str:
        """A line, not every weight and history record (a default run's would be about 0.5 MB)."""
        # as robust as the generated repr was: a checkpoint built by hand may hold anything
        parts = [f"sizes={getattr(self.spec, 'sizes', None)}", f"members={len(self.members)}"]
        if self.activations is not None:
            parts.append(f"activations={self.activations}")
        parts.append(f"task={self.info.get('task')!r}" if isinstance(self.info, dict) else "info=?")
        parts.append(f"epochs={getattr(self.config, 'epochs', None)}")
        parts.append(f"metrics={sorted(self.metrics) if isinstance(self.metrics, dict) else '?'}")
        parts.append(f"records={len(self.history)}")
        if self.arrays:
            parts.append(f"arrays={sorted(self.arrays)}")
        parts.append(f"resume={'kept' if self.resume is not None else None}")
        return f"Checkpoint({', '.join(parts)})"

    def __post_init__(self) -> None:
        _check_members(self.members)

    def member_activations(self) -> tuple[str, ...]:
        """Each member's hidden activation: ``activations``, or what None stands for: the
        configuration's, whose first member's must be the architecture's (the Trainer's spec is
        its member 0's; a configuration that says otherwise, the default relu for a tanh spec,
        would make the members other models than the weights are, silently), else the spec's."""
        given = self.activations
        if given is None and self.config is not None:
            given = [self.config.member_activation(member) for member in range(len(self.members))]
            if given and given[0] != self.spec.activation:
                raise ValueError(
                    f"the training configuration's activation {shown(self.config.activation)} gives its first "
                    f"member {given[0]!r}, the architecture's activation is {self.spec.activation!r}; give each "
                    "member's activation (activations=[...]) or a configuration of the architecture's"
                )
        return member_activations(self.spec, given, len(self.members))

    def ensemble(self) -> Ensemble:
        """The members as glassnet models (mean prediction)."""
        return Ensemble(self.spec, self.members, activations=self.member_activations())

    def torch_modules(self, device: str = "cpu") -> list[Any]:
        """The members as ``torch.nn.Sequential`` modules."""
        return self.ensemble().torch_modules(device=device)

    def load_preprocessor(self) -> Preprocessor | None:
        """The fitted :class:`glassnet.data.Preprocessor`, or None if the model has none."""
        if not self.preprocessor:
            return None
        from glassnet.data import Preprocessor

        return Preprocessor.from_state(self.preprocessor)


# -- saving ----------------------------------------------------------------------------


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` to ``path`` atomically; return the path.

    ValueError for a checkpoint that loading would refuse, and for a ``path`` that is a symbolic
    link, a FIFO or a device, which the atomic write would replace with a regular file
    (:func:`glassnet._files.atomic_write`). A checkpoint with a resume state and no ``config``
    is written with the state's own configuration, under which alone it resumes.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_moons
    >>> from glassnet.train import TrainConfig, fit
    >>> from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    >>> X, y = make_moons(64, rng=np.random.default_rng(0))
    >>> config = TrainConfig(hidden=(8,), activation="tanh", loss="logistic", fourier_features=0, epochs=3)
    >>> result = fit(config, X, y)
    >>> checkpoint = Checkpoint(result.spec, result.weights, config=result.config,
    ...                         history=result.history, info={"task": "moons"})
    >>> save_checkpoint("moons.npz", checkpoint).name
    'moons.npz'
    >>> load_checkpoint("moons.npz")  # the model, how it was trained, and its 3 epochs' records
    Checkpoint(sizes=(2, 8, 1), members=1, task='moons', epochs=3, metrics=[], records=3, resume=None)
    """
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"save_checkpoint takes a Checkpoint, got {type(checkpoint).__name__}")
    _check_fields(checkpoint)  # fields may have been set after the checkpoint was made
    _check_members(checkpoint.members)
    if not checkpoint.members:
        raise ValueError("a checkpoint needs at least one member's weights")
    for index, weights in enumerate(checkpoint.members):
        check_weights(checkpoint.spec, weights, what=f"member {index} weights")
    if checkpoint.config is None and checkpoint.resume is not None and checkpoint.resume.config is not None:
        # a resume state loads with the checkpoint's configuration and resumes only under it:
        # without one given, the state's own is the file's (else the state would load without
        # settings, and resume under any)
        checkpoint = replace(checkpoint, config=checkpoint.resume.config)
    activations = checkpoint.member_activations()
    resume, config = checkpoint.resume, checkpoint.config
    # version 2 where a reader of version 1 would build a member with the wrong activation, or
    # could not read the configuration
    several = any(activation != checkpoint.spec.activation for activation in activations) or (
        config is not None and not isinstance(config.activation, str)
    )
    if resume is not None and resume.config is not None and config is not None:
        # a resume state loads with the checkpoint's configuration: it must be its run's
        check_resume_config(resume.config, config)
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for index, weights in enumerate(checkpoint.members):
        _put(arrays, f"weights/{index}", weights)
    _put(arrays, "preprocessor", checkpoint.preprocessor)
    _put(arrays, "history", history_arrays(checkpoint.history))
    _put(arrays, "arrays", checkpoint.arrays)
    # named here: a dict that holds itself was a bare RecursionError from the JSON conversion
    check_storable(checkpoint.info, "checkpoint info")
    check_storable(checkpoint.metrics, "checkpoint metrics")
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION if several else 1,
        "glassnet_version": __version__,
        "spec": checkpoint.spec.to_dict(),
        "n_members": len(checkpoint.members),
        "config": finite_json(checkpoint.config.to_dict()) if checkpoint.config is not None else None,
        "metrics": finite_json(checkpoint.metrics),
        "info": finite_json(checkpoint.info),
        "resume": _put_resume(arrays, checkpoint.resume) if checkpoint.resume is not None else None,
    }
    if several:
        meta["member_activations"] = list(activations)
    meta["arrays"] = {key: [array.dtype.str, list(array.shape)] for key, array in sorted(arrays.items())}
    meta["sha256"] = _digest(meta, arrays)
    text = json.dumps(meta, sort_keys=True, allow_nan=False, default=json_default)
    # the content as load_checkpoint assembles it (the architecture's dtype, finite weights, the
    # configuration, preprocessing, split, resume state): never write a file that it refuses
    _assemble(json.loads(text), arrays, config=checkpoint.config)
    arrays[META_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return _write_atomically(path, arrays)  # as given: "m.npz/" names a folder, which the write refuses


def _check_fields(checkpoint: Checkpoint) -> None:
    """TypeError for a field of another kind than its annotation (an object where its state is
    asked for, say), named here: each was an AttributeError from deep inside the save."""
    from glassnet.data import Preprocessor  # as load_preprocessor: glassnet.data is imported on use

    # (field, value, the kinds it takes, what it takes in words, (a kind given instead, the hint for it))
    kinds: list[tuple[str, Any, tuple[type, ...], str, tuple[type, str] | None]] = [
        ("spec", checkpoint.spec, (MLPSpec,), "an MLPSpec", (Mapping, "build one, MLPSpec.from_dict(settings)")),
        ("config", checkpoint.config, (TrainConfig, type(None)), "a TrainConfig or None",
         (Mapping, "build one, TrainConfig.from_dict(settings)")),
        ("preprocessor", checkpoint.preprocessor, (Mapping,), "a mapping of arrays (Preprocessor.to_state())",
         (Preprocessor, "pass preprocessor.to_state()")),
        ("arrays", checkpoint.arrays, (Mapping,), "a mapping of names to arrays", None),
        ("history", checkpoint.history, (list, tuple), "a list of epoch records (dicts)", None),
        ("resume", checkpoint.resume, (ResumeState, type(None)), "a ResumeState or None", None),
        ("metrics", checkpoint.metrics, (Mapping,), "a mapping", None),
        ("info", checkpoint.info, (Mapping,), "a mapping", None),
    ]  # fmt: skip
    for name, value, accepted, expected, instead in kinds:
        if not isinstance(value, accepted):
            hint = f": {instead[1]}" if instead is not None and isinstance(value, instead[0]) else ""
            raise TypeError(f"Checkpoint {name} must be {expected}, got {type(value).__name__}{hint}")
    for index, record in enumerate(checkpoint.history):
        if not isinstance(record, Mapping):
            raise TypeError(
                f"Checkpoint history must be a list of epoch records (dicts), got {type(record).__name__} "
                f"at index {index}"
            )


def _check_members(members: Any) -> None:
    """TypeError unless ``members`` is a list (or tuple) of state dicts, one per member. A
    single state dict, iterated, gives its parameter names, which the checks further on would
    refuse as weights spelt letter by letter."""
    expected = "Checkpoint members must be a list of state dicts (one per member)"
    if isinstance(members, Mapping):
        raise TypeError(f"{expected}, got a {type(members).__name__}; wrap it: members=[state]")
    if not isinstance(members, list | tuple):
        raise TypeError(f"{expected}, got {type(members).__name__}")
    for index, weights in enumerate(members):
        if not isinstance(weights, Mapping):
            raise TypeError(
                f"{expected}, got a {type(members).__name__} holding {type(weights).__name__} at index {index}"
            )


def _put(arrays: dict[str, np.ndarray[Any, Any]], prefix: str, values: Mapping[str, npt.ArrayLike]) -> None:
    for key, value in values.items():
        if "/" in key:  # loading reads one level under each prefix: a deeper name would be lost
            raise ValueError(f"checkpoint array name {key!r} (in {prefix}) holds '/', which separates groups")
        array = np.asarray(value)
        if array.dtype.kind not in REAL_KINDS:  # loading refuses objects (pickles), strings, complex, …
            raise TypeError(
                f"checkpoint array {prefix}/{key} has dtype {array.dtype}; only real numbers "
                "(float, integer, bool) can be saved"
            )
        # little-endian whatever the host, as x86 and Arm hold them: a file written anywhere reads anywhere
        arrays[f"{prefix}/{key}"] = np.array(array, dtype=array.dtype.newbyteorder("<"), order="C", copy=True)


def _put_resume(arrays: dict[str, np.ndarray[Any, Any]], state: ResumeState) -> dict[str, Any]:
    _put(arrays, "resume/weights", state.weights)
    for buffer, per_name in state.optimizer["buffers"].items():
        _put(arrays, f"resume/optimizer/{buffer}", per_name)
    if state.best_weights is not None:
        _put(arrays, "resume/best", state.best_weights)
    if state.epoch_start_weights is not None:
        _put(arrays, "resume/epoch_start", state.epoch_start_weights)
    if state.previous_epoch_start_weights is not None:
        _put(arrays, "resume/previous_start", state.previous_epoch_start_weights)
    _put(arrays, "resume/history", history_arrays(state.history))
    finished = []
    for index, member in enumerate(state.finished):
        _put(arrays, f"resume/finished/{index}/weights", member.weights)
        _put(arrays, f"resume/finished/{index}/history", history_arrays(member.history))
        finished.append(
            {
                "member": member.member,
                "best_epoch": member.best_epoch,
                "status": member.status,
                "message": member.message,
            }
        )
    return {
        "member": state.member,
        "epoch": state.epoch,
        "batch": state.batch,
        "step": int(state.optimizer["step"]),
        "buffers": sorted(state.optimizer["buffers"]),
        "sums": _sums_json(state.sums),
        "has_best": state.best_weights is not None,
        "has_epoch_start": state.epoch_start_weights is not None,
        "has_previous_start": state.previous_epoch_start_weights is not None,
        "best_val": state.best_val if math.isfinite(state.best_val) else None,
        "best_epoch": state.best_epoch,
        "bad_epochs": state.bad_epochs,
        "finished": finished,
        "seconds": float(state.seconds),
        "rows": None if state.rows is None else [int(n) for n in state.rows],
        "rows_sha256": state.rows_sha256,
        "final_pass_cut": state.final_pass_cut,
    }


def _sums_json(sums: Any) -> list[float | None]:
    """A resume state's running sums for the JSON metadata: +inf as None, as :func:`finite_json`
    writes it (JSON has no infinity), which :func:`_resume_tallies` reads back as +inf.

    Each sum adds terms >= 0 (row losses, r², |r|, counts), so it overflows to +inf and to
    nothing else: a float32 run's Σ r² overflows where its ½ Σ r² (half_sse) is still finite,
    and a run interrupted there must save that state to resume as it would have gone on. A NaN
    or a negative sum comes from no run (a NaN loss ends the run as diverged before any state
    is taken) and is refused rather than read back as something else.
    """
    values = [float(value) for value in sums]
    if any(math.isnan(value) or value < 0.0 for value in values):
        raise ValueError(
            f"resume sums must be 4 sums >= 0 (finite, or +inf where one overflowed), got {shown(values)}"
        )
    encoded: list[float | None] = finite_json(values)
    return encoded


def _digest(meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray[Any, Any]]) -> str:
    """SHA-256 over the metadata (without the digest) and every array's name, dtype, shape and bytes."""
    sha = hashlib.sha256()
    body = {key: value for key, value in meta.items() if key != "sha256"}
    sha.update(json.dumps(body, sort_keys=True, allow_nan=False, default=json_default).encode("utf-8"))
    for key in sorted(arrays):
        array = np.asarray(arrays[key], order="C")
        sha.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def _write_atomically(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray[Any, Any]]) -> Path:
    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:  # a handle: np.savez would add ".npz" to a name
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    return atomic_write(path, write)


# -- loading ---------------------------------------------------------------------------


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, checking everything.

    Raises FileNotFoundError for a missing file, IsADirectoryError for a folder,
    PermissionError (an OSError) for a file that cannot be read, and ValueError for a pipe
    or a device, and for a file that is not a readable ``.npz`` (truncated, corrupt), holds
    pickled objects, is not a glassnet checkpoint, has an unknown format version, fails its
    checksum, or whose arrays do not match its architecture.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.spec import MLPSpec, build_mlp
    >>> from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    >>> spec = MLPSpec(sizes=(2, 3, 1), activation="tanh")
    >>> model = build_mlp(spec, rng=np.random.default_rng(0))
    >>> _ = save_checkpoint("model.npz", Checkpoint(spec, [model.state_dict()]))
    >>> loaded = load_checkpoint("model.npz")
    >>> loaded.spec == spec, len(loaded.members)
    (True, 1)
    >>> x = np.array([[1.0, 2.0]])
    >>> bool(np.array_equal(loaded.ensemble().predict(x), model(x)))  # the same weights, bit for bit
    True
    """
    source = Path(path)
    if source.is_dir():  # "no checkpoint file at" a folder that is there read as if it were not
        raise IsADirectoryError(f"{source} is a folder; expected a checkpoint file (.npz)")
    if not source.exists():
        raise FileNotFoundError(f"no checkpoint file at {source}")
    if not source.is_file():  # a zip is read by seeking, which a pipe or a device cannot do
        raise ValueError(
            f"{source} is not a regular file (a pipe or a device); expected a checkpoint file (.npz)"
        )
    arrays = _read_arrays(source)
    if META_KEY not in arrays:
        raise ValueError(f"{source} is not a glassnet checkpoint (no {META_KEY} entry)")
    meta = _read_meta(source, arrays.pop(META_KEY))
    listed = meta.get("arrays")
    if not isinstance(listed, dict):
        raise ValueError(f"{source}: damaged metadata (no array list)")
    actual = {key: [array.dtype.str, list(array.shape)] for key, array in arrays.items()}
    if actual != listed:
        missing = sorted(set(listed) - set(actual))
        extra = sorted(set(actual) - set(listed))
        changed = sorted(k for k in set(listed) & set(actual) if listed[k] != actual[k])
        raise ValueError(
            f"{source}: arrays do not match the metadata (missing {shown(missing)}, unexpected "
            f"{shown(extra)}, different dtype/shape {shown(changed)})"
        )
    if meta.get("sha256") != _digest(meta, arrays):
        raise ValueError(f"{source}: checksum mismatch; the file was changed or damaged after it was written")
    # in this host's byte order (a file written by another glassnet's host may hold big-endian
    # arrays), once the checksum has read them as they are on disk
    arrays = {key: array.astype(array.dtype.newbyteorder("="), copy=False) for key, array in arrays.items()}
    try:
        return _assemble(meta, arrays)
    except (KeyError, TypeError, IndexError, AttributeError, OverflowError, RecursionError) as error:
        raise ValueError(f"{source}: damaged checkpoint content: {type(error).__name__} {error}") from None
    except ValueError as error:  # the content's own checks (a damaged split, preprocessing, ...)
        raise ValueError(f"{source}: {error}") from None


REAL_KINDS = "fiub"  # float, signed and unsigned integer, bool: what glassnet saves
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    struct.error,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted member
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    MemoryError,
)


def _read_arrays(source: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Every array of the ``.npz`` at ``source``, read without running code; ValueError if damaged.

    Each member must be stored uncompressed (as ``np.savez`` writes them) and hold one
    ``.npy`` array whose header matches its size, so a damaged or crafted file cannot
    make us allocate more memory than the file holds. Object arrays (pickles) are refused
    before their bytes are looked at.
    """
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    # opened here, once: is_zipfile says False for a file it cannot open, and a file without
    # read permission was then "not a readable checkpoint (truncated, …)" instead of PermissionError
    with open(source, "rb") as handle:
        if not zipfile.is_zipfile(handle):
            raise ValueError(f"{source} is not a readable checkpoint (truncated, or not an .npz archive)")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = _checked_members(source, archive, os.fstat(handle.fileno()).st_size)
                for key, info in members.items():
                    arrays[key] = _read_member(source, archive, info)
        except _ZIP_ERRORS as error:
            if isinstance(error, ValueError) and str(error).startswith(str(source)):
                raise  # one of our own messages
            raise ValueError(
                f"{source} is not a readable checkpoint (truncated, damaged or not an .npz file): "
                f"{str(error) or type(error).__name__}"
            ) from None
    return arrays


def _checked_members(source: Path, archive: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, checked before any of their bytes are read: each
    name (:func:`_member_key`); the metadata entry there (200,000 small members took 50 s to
    read before its absence was said); and their sizes together within the file's ``size``:
    members that overlap, each one's bytes the next ones' (Python 3.11's zipfile does not
    look), made a 1.7 MB file take 3.8 GB to read."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        members[_member_key(source, info, members)] = info
    if META_KEY not in members:
        raise ValueError(f"{source} is not a glassnet checkpoint (no {META_KEY} entry)")
    claimed = sum(info.compress_size for info in members.values())
    if claimed > size:
        raise ValueError(
            f"{source} is not a readable checkpoint (damaged: its members claim {claimed} bytes, more than "
            f"the {size} of the file)"
        )
    return members


def _member_key(source: Path, info: zipfile.ZipInfo, seen: Mapping[str, Any]) -> str:
    if not info.filename.endswith(".npy") or info.is_dir():
        raise ValueError(f"{source} holds {shown(info.filename)}, which is not a .npy array")
    key = info.filename[: -len(".npy")]
    if key in seen:
        raise ValueError(f"{source} holds the array {shown(key)} twice")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(
            f"{source}: {shown(info.filename)} is compressed; glassnet writes checkpoints uncompressed"
        )
    return key


def _read_member(source: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray[Any, Any]:
    """One ``.npy`` member: its header checked (no objects, size matching the bytes), then its array."""
    fmt = np.lib.format
    with archive.open(info) as member:
        version = fmt.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(member)
        else:
            raise ValueError(f"{source}: {shown(info.filename)} has .npy format version {version}")
        if dtype.kind not in REAL_KINDS:
            if not dtype.hasobject:
                raise ValueError(
                    f"{source}: {shown(info.filename)} holds {shown(dtype) if dtype.names else dtype} values; "
                    "a checkpoint holds real numbers only"
                )
            raise ValueError(
                f"{source} holds pickled Python objects; refused ({shown(info.filename)} is an object array; "
                "a checkpoint holds numbers only)"
            )
        expected = math.prod(shape) * dtype.itemsize
        available = info.file_size - member.tell()
        if expected != available:
            raise ValueError(
                f"{source}: {shown(info.filename)} declares {expected} bytes of data but holds {available}"
            )
    with archive.open(info) as member:
        return np.asarray(fmt.read_array(member, allow_pickle=False))  # the header again, then the data


def _read_meta(source: Path, raw: np.ndarray[Any, Any]) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{source}: {META_KEY} must be a 1-D uint8 array, got {raw.dtype} {raw.shape}")
    try:  # glassnet writes no NaN or infinity (allow_nan=False): one there was put by hand
        meta = json.loads(
            raw.tobytes().decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_number
        )
    except (UnicodeDecodeError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{source}: damaged metadata ({error})") from None
    except RecursionError:  # lists or mappings nested past the parser's depth (about 1,000)
        raise ValueError(f"{source}: damaged metadata (nested too deeply)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(
            f"{source} is not a glassnet checkpoint (format {shown(meta.get('format') if isinstance(meta, dict) else None)})"
        )
    version = meta.get("version")
    if type(version) is not int or version not in READ_VERSIONS:  # not True, not 1.0
        raise ValueError(
            f"{source} has checkpoint format version {shown(version)}; this glassnet ({__version__}) reads versions "
            f"{' and '.join(map(str, READ_VERSIONS))}"
        )
    return meta


def _no_constant(name: str) -> Any:
    raise ValueError(f"the metadata holds {name}, which glassnet never writes")


def _finite_number(text: str) -> float:
    """A JSON number as a float; refused where float64 reads it as ±inf (1e400, say), which
    glassnet never writes (it writes no infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(
            f"the metadata holds the number {text[:40]}, beyond float64's range, which glassnet never writes"
        )
    return value


class Groups(dict[str, dict[str, np.ndarray[Any, Any]]]):
    """A file's arrays by group (see :func:`_groups`), and the groups read so far (``read``)."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()


def _groups(arrays: Mapping[str, np.ndarray[Any, Any]]) -> Groups:
    """The arrays by group, each under its name after the last '/': ``{"weights/0": {"0.weight":
    …, …}, "history": {…}, …}``, gathered in one pass, so that looking up each of a file's
    members (or finished members, or buffers) does not read every array again."""
    groups = Groups()
    for key, value in arrays.items():
        prefix, slash, name = key.rpartition("/")
        if slash:
            groups.setdefault(prefix, {})[name] = value
    return groups


def _group(groups: Groups, prefix: str) -> dict[str, np.ndarray[Any, Any]]:
    """The arrays named ``prefix/<name>``, by name (a new dict); the group counts as read."""
    groups.read.add(prefix)
    return dict(groups.get(prefix, {}))


def _refuse_unread(arrays: Mapping[str, np.ndarray[Any, Any]], groups: Groups) -> None:
    """ValueError naming the arrays no part of the metadata asked for: a member beyond its
    ``n_members``, the resume weights of a file without a resume state, a name glassnet never
    writes. Ignored, they would drop a trained member without a word."""
    unread = sorted(key for key in arrays if key.rpartition("/")[0] not in groups.read)
    if unread:
        raise ValueError(
            f"damaged checkpoint: it holds arrays its metadata does not describe: {shown(unread)}"
        )


# what a configuration saved before a field existed did, where today's default does otherwise
BEFORE_FIELDS = {
    "fourier_features": 0,  # no Fourier features
    # the σ of the time; None, today's default, would be filled in by the data set's own on
    # resuming, and the resume check would refuse the run for a σ it never had
    "fourier_sigma": 0.2,
    "refit": False,  # one pass: the model validated is the model kept
    "cuda_graph": False,  # eager steps on CUDA
}


def _config(saved: Any) -> TrainConfig:
    if isinstance(saved, Mapping):
        saved = {**BEFORE_FIELDS, **saved}
    return TrainConfig.from_dict(saved)


def _assemble(
    meta: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]], *, config: TrainConfig | None = None
) -> Checkpoint:
    """The checkpoint that ``meta`` and ``arrays`` describe, every part checked; ``config``: the
    configuration itself, when saving (else the one in ``meta``)."""
    spec = MLPSpec.from_dict(meta["spec"])
    n_members = meta["n_members"]
    if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:  # true is no count
        raise ValueError(f"checkpoint n_members must be a positive integer, got {shown(n_members)}")
    groups = _groups(arrays)
    members = []
    for index in range(n_members):
        weights = _group(groups, f"weights/{index}")
        check_weights(spec, weights, what=f"checkpoint member {index} weights")
        members.append(_float_weights(weights, spec, f"member {index}"))
    preprocessor = _group(groups, "preprocessor")
    scales_y = False
    if preprocessor:
        from glassnet.data import Preprocessor

        try:
            checked = Preprocessor.from_state(preprocessor)  # now, so a damaged one is refused on loading
        except (TypeError, ValueError) as error:
            raise ValueError(f"damaged preprocessing: {error}") from None
        if checked.n_outputs != spec.n_inputs:
            raise ValueError(
                f"damaged preprocessing: it gives {checked.n_outputs} columns, the model takes {spec.n_inputs}"
            )
        scales_y = checked.scale_y
    activations = _member_activations(meta, spec, n_members)
    if config is None and meta.get("config") is not None:
        config = _config(meta["config"])
    if config is not None:
        _config_fits(config, spec, activations)
        # as train_dataset refuses to train it (and always has: the Trainer refused standardised
        # labels before that); predict would write such a model's output as logits,
        # probabilities and labels
        if scales_y and config.loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"the training configuration's loss {config.loss!r} trains on targets as given, but "
                "its preprocessing standardises them"
            )
    resume = (
        _assemble_resume(meta["resume"], groups, spec, config) if meta.get("resume") is not None else None
    )
    metrics, info = meta.get("metrics") or {}, meta.get("info") or {}
    for name, value in (("metrics", metrics), ("info", info)):
        if not isinstance(value, Mapping):
            raise ValueError(f"checkpoint {name} must be a mapping, got {type(value).__name__}")
    checkpoint = Checkpoint(
        spec=spec,
        members=members,
        config=config,
        preprocessor=preprocessor,
        metrics=dict(metrics),
        info=dict(info),
        history=history_records(_group(groups, "history")),
        arrays=_checked_split(_group(groups, "arrays")),
        resume=resume,
        activations=list(activations) if meta["version"] >= 2 else None,
    )
    _refuse_unread(arrays, groups)
    return checkpoint


def _member_activations(meta: dict[str, Any], spec: MLPSpec, n_members: int) -> tuple[str, ...]:
    """Each member's hidden activation: version 2's ``member_activations``, checked, or the
    spec's for every member (version 1)."""
    saved = meta.get("member_activations")
    if meta["version"] < 2:
        if saved is not None:  # version 2 added it: a version-1 file holding it is damaged
            raise ValueError(f"damaged metadata: member_activations {shown(saved)} in a version-1 checkpoint")
        return member_activations(spec, None, n_members)
    if not isinstance(saved, list) or not all(isinstance(name, str) for name in saved):
        raise ValueError(
            f"damaged metadata: member_activations must be a list of names, one per member, got {shown(saved)}"
        )
    try:
        return member_activations(spec, saved, n_members)
    except ValueError as error:
        raise ValueError(f"damaged metadata: member_activations {shown(saved)}: {error}") from None


def _config_fits(config: TrainConfig, spec: MLPSpec, activations: tuple[str, ...]) -> None:
    """ValueError unless ``config`` describes ``spec`` and the members' ``activations`` (the
    Trainer builds them from it) and at most its ``ensemble`` members: ``train --resume``
    rebuilds the model from the configuration, and evaluate reads the architecture, so the
    two must agree."""
    n_members = len(activations)
    expected = {
        "hidden": spec.sizes[1:-1],
        "output_activation": spec.output_activation,
        "dtype": spec.dtype,
    }
    for name, value in expected.items():
        if getattr(config, name) != value:
            raise ValueError(
                f"the training configuration's {name} {shown(getattr(config, name))} does not match the "
                f"architecture's {shown(value)}"
            )
    if n_members > config.ensemble:
        raise ValueError(
            f"the checkpoint holds {n_members} members, its configuration trains {config.ensemble}"
        )
    trained = tuple(config.member_activation(member) for member in range(n_members))
    if trained != activations:
        if len(set(activations)) == 1 and isinstance(config.activation, str):
            raise ValueError(
                f"the training configuration's activation {shown(config.activation)} does not match the "
                f"architecture's {activations[0]!r}"
            )
        raise ValueError(
            f"the training configuration's activation {shown(config.activation)} gives the members "
            f"{', '.join(trained)}; the architecture's are {', '.join(activations)}"
        )


def _checked_split(arrays: dict[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]:
    """``arrays``, once the split's row indices in it (``split_train``, ``split_val``, …) are checked.

    Each part is a 1-D integer array, and together they hold every row 0…n−1 of one data set
    once, n being their total length. Damaged indices would index past the data (an
    IndexError deep in evaluation) or, negative, count from its end: wrong rows, silently.
    """
    parts = {key: rows for key, rows in sorted(arrays.items()) if key.startswith("split_")}
    n = sum(rows.size for rows in parts.values())
    for key, rows in parts.items():
        if rows.ndim != 1 or rows.dtype.kind not in "iu":
            raise ValueError(
                f"damaged split: {shown(key)} must be a 1-D array of integer row indices, got {rows.dtype} {rows.shape}"
            )
        outside = rows[(rows < 0) | (rows >= n)]
        if outside.size:
            raise ValueError(
                f"damaged split: {shown(key)} holds row {outside[0]}, outside the rows 0 to {n - 1} its parts share"
            )
    if parts:
        counts = np.bincount(np.concatenate([rows.astype(np.intp) for rows in parts.values()]), minlength=n)
        if (counts > 1).any():  # with n indices in 0…n−1, a row held twice means another is missing
            row = int(np.flatnonzero(counts > 1)[0])
            holders = [key for key, rows in parts.items() for _ in range(int(np.count_nonzero(rows == row)))]
            raise ValueError(f"damaged split: row {row} appears more than once (in {', '.join(holders)})")
    return arrays


def _float_weights(
    weights: dict[str, np.ndarray[Any, Any]], spec: MLPSpec, what: str, *, finite: bool = True
) -> dict[str, Array]:
    dtype = np.dtype(spec.dtype)
    for name, array in weights.items():
        if array.dtype != dtype:
            raise ValueError(f"{what} weight {name!r} has dtype {array.dtype}, the architecture says {dtype}")
        if finite and not np.isfinite(array).all():
            raise ValueError(f"{what} weight {name!r} holds NaN or infinite values")
    return weights


def _assemble_resume(
    state: dict[str, Any], groups: Groups, spec: MLPSpec, config: TrainConfig | None
) -> ResumeState:
    """The resume state, every array checked as a member's weights are (names, shapes, the
    architecture's dtype) and every count for its range. The weights a run may keep (best,
    epoch starts, finished members) must be finite: a damaged state would otherwise put a NaN
    member into the model it ends with. The weights in progress and the optimizer's buffers
    may not be: a run interrupted just after a step that overflowed saves them so, and its
    resumed epoch then ends in the divergence it would have met uninterrupted."""

    def weights_of(prefix: str, what: str, *, finite: bool = True) -> dict[str, Array]:
        group = _group(groups, prefix)
        check_weights(spec, group, what=what)
        return _float_weights(group, spec, what, finite=finite)

    if not isinstance(state, Mapping):
        raise ValueError(f"checkpoint resume must be a mapping, got {type(state).__name__}")
    if not isinstance(state["buffers"], list) or not all(isinstance(n, str) for n in state["buffers"]):
        raise ValueError(f"resume buffers must be a list of names, got {shown(state['buffers'])}")
    if not isinstance(state["finished"], list):
        raise ValueError(f"resume finished must be a list, got {shown(state['finished'])}")
    weights = weights_of("resume/weights", "resume weights", finite=False)
    buffers = {
        name: weights_of(f"resume/optimizer/{name}", f"resume optimizer buffer {shown(name)}", finite=False)
        for name in state["buffers"]
    }
    best = weights_of("resume/best", "resume best weights") if state["has_best"] else None
    # absent from checkpoints saved before glassnet kept the epoch's starting weights
    epoch_start = (
        weights_of("resume/epoch_start", "resume epoch-start weights")
        if state.get("has_epoch_start")
        else None
    )
    previous_start = (
        weights_of("resume/previous_start", "resume previous epoch-start weights")
        if state.get("has_previous_start")
        else None
    )
    counts = _resume_counts(state, config)
    if state["best_val"] is not None and not (
        isinstance(state["best_val"], float | int)
        and math.isfinite(state["best_val"])
        and state["best_val"] >= 0
    ):  # a validation loss: every glassnet loss is >= 0
        raise ValueError(
            f"resume best_val must be a finite number >= 0 (a loss) or null, got {shown(state['best_val'])}"
        )
    finished = [
        _finished_member(index, entry, groups, weights_of) for index, entry in enumerate(state["finished"])
    ]
    sums, seconds, rows, rows_sha256 = _resume_tallies(state)
    # absent from checkpoints saved before a final pass under early stopping was cut to the
    # epochs its validation pass kept: their runs go on as they started, every final pass whole
    final_pass_cut = state.get("final_pass_cut", False)
    if not isinstance(final_pass_cut, bool):
        raise ValueError(f"resume final_pass_cut must be true or false, got {shown(final_pass_cut)}")
    return ResumeState(
        member=counts["member"],
        epoch=counts["epoch"],
        batch=counts["batch"],
        weights=weights,
        optimizer={"step": counts["step"], "buffers": buffers},
        sums=sums,
        history=history_records(_group(groups, "resume/history")),
        best_weights=best,
        best_val=float(state["best_val"]) if state["best_val"] is not None else math.inf,
        best_epoch=counts["best_epoch"],
        bad_epochs=counts["bad_epochs"],
        finished=finished,
        epoch_start_weights=epoch_start,
        previous_epoch_start_weights=previous_start,
        seconds=seconds,
        config=config,  # the checkpoint's: the run's settings, which resuming must keep
        rows=rows,
        rows_sha256=rows_sha256,
        final_pass_cut=final_pass_cut,
    )


def _resume_counts(state: Mapping[str, Any], config: TrainConfig | None) -> dict[str, int]:
    """A resume state's counts (member, epoch, batch, step, best_epoch, bad_epochs), each an
    integer ≥ 0 within the run's ranges, with the optimizer buffers and the finished members
    that go with them."""
    counts = {key: state[key] for key in ("member", "epoch", "batch", "step", "best_epoch", "bad_epochs")}
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"resume {key} must be an integer >= 0, got {shown(value)}")
    if config is not None:
        if counts["epoch"] >= config.epochs or counts["best_epoch"] > counts["epoch"]:
            raise ValueError(
                f"resume epoch {shown(counts['epoch'])} (best {shown(counts['best_epoch'])}) is outside the run's "
                f"{config.epochs} epochs"
            )
        # epochs since the best, of those done; a run stops once they reach its patience
        if counts["bad_epochs"] > counts["epoch"]:
            raise ValueError(
                f"resume bad_epochs {shown(counts['bad_epochs'])} is more than the run's "
                f"{shown(counts['epoch'])} epoch(s) done"
            )
        if 0 < config.patience <= counts["bad_epochs"]:
            raise ValueError(
                f"resume bad_epochs {shown(counts['bad_epochs'])} reaches the run's patience "
                f"{config.patience}, where it would have stopped"
            )
        if counts["member"] >= 2 * config.ensemble:  # a validation and a final pass per member at most
            raise ValueError(
                f"resume member {shown(counts['member'])} is outside the run's {config.ensemble} member(s)"
            )
        held = sorted(set(state["buffers"]))
        allowed = OPTIMIZER_BUFFERS[config.optimizer]
        if held not in allowed and not (held == [] and counts["step"] == 0):
            raise ValueError(
                f"resume optimizer buffers {shown(held)} are not those of {config.optimizer} after "
                f"{shown(counts['step'])} step(s) ({' or '.join(map(str, allowed))})"
            )
    if len(state["finished"]) != counts["member"]:  # jobs 0…member−1, each finished before the next
        raise ValueError(
            f"resume member {shown(counts['member'])} follows {len(state['finished'])} finished member(s), "
            f"not {shown(counts['member'])}"
        )
    return counts


def _finished_member(
    index: int, entry: Any, groups: Groups, weights_of: Callable[[str, str], dict[str, Array]]
) -> MemberResult:
    """Finished member ``index`` of a resume state: numbered ``index``, a status a finished
    member can have, finite weights of the architecture (``weights_of``)."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"resume finished member {index} must be a mapping, got {type(entry).__name__}")
    if isinstance(entry["member"], bool) or not isinstance(entry["member"], int) or entry["member"] != index:
        raise ValueError(
            f"resume finished member {index} is numbered {shown(entry['member'])}; finished members are "
            "numbered 0, 1, … in order"
        )
    best_epoch = entry["best_epoch"]
    if isinstance(best_epoch, bool) or not isinstance(best_epoch, int) or best_epoch < 0:
        raise ValueError(
            f"resume finished member {index} best_epoch must be an integer >= 0, got {shown(best_epoch)}"
        )
    weights = weights_of(f"resume/finished/{index}/weights", f"resume finished member {index}")
    if entry["status"] not in FINISHED_STATUSES:
        raise ValueError(
            f"resume finished member {index} has status {shown(entry['status'])}, not one of {', '.join(FINISHED_STATUSES)}"
        )
    return MemberResult(
        member=index,
        weights=weights,
        history=history_records(_group(groups, f"resume/finished/{index}/history")),
        best_epoch=best_epoch,
        status=str(entry["status"]),
        message=str(entry["message"]),
    )


def _resume_tallies(
    state: Mapping[str, Any],
) -> tuple[list[float], float, tuple[int, int] | None, str | None]:
    """A resume state's running sums of the epoch in progress (null for a sum that overflowed to
    +inf, see :func:`_sums_json`), seconds trained, row counts and rows' SHA-256, each checked;
    the last three may be absent (a state saved before glassnet kept them: not known)."""
    sums = state["sums"]
    if not (
        isinstance(sums, list)
        and len(sums) == 4
        and all(
            v is None or (isinstance(v, float | int) and not isinstance(v, bool) and 0.0 <= v < math.inf)
            for v in sums
        )
    ):
        raise ValueError(
            f"resume sums must be 4 sums >= 0, each finite or null (+inf, one that overflowed), got {shown(sums)}"
        )
    seconds = state.get("seconds", 0.0)
    if isinstance(seconds, bool) or not isinstance(seconds, float | int) or not 0.0 <= seconds < math.inf:
        raise ValueError(f"resume seconds must be a finite number >= 0, got {shown(seconds)}")
    rows = state.get("rows")
    if rows is not None and not (
        isinstance(rows, list)
        and len(rows) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in rows)
    ):
        raise ValueError(f"resume rows must be 2 row counts (training, validation), got {shown(rows)}")
    rows_sha256 = state.get("rows_sha256")
    if rows_sha256 is not None and not (
        isinstance(rows_sha256, str) and re.fullmatch(r"[0-9a-f]{64}(\+[0-9a-f]{64})?", rows_sha256)
    ):
        raise ValueError(
            f"resume rows_sha256 must be one or two SHA-256 hex digests joined by '+', got {shown(rows_sha256)}"
        )
    return (
        [math.inf if v is None else float(v) for v in sums],  # None: +inf, as _sums_json writes it
        float(seconds),
        None if rows is None else (rows[0], rows[1]),
        rows_sha256,
    )
