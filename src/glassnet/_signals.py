"""The stop signals: Ctrl-C, SIGTERM and SIGHUP, caught, held and reported.

A Trainer stops after the current batch when asked; these decide who asks. A library call
catches Ctrl-C alone (the program owns its other signals); every ``glassnet`` command catches
all three in a :class:`StopSignals` scope, so that a SIGTERM unwinds as Ctrl-C does (a
temporary file of ``explain -o`` removed, not left behind), and ``glassnet train`` and
``glassnet demo`` in one of their own, which also holds them back while a finished run's files
are written (:func:`interrupts_held`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from glassnet._files import os_error_text

if TYPE_CHECKING:
    from glassnet.train._trainer import Trainer, TrainResult

# The signals that stop a training as Ctrl-C does: SIGINT (Ctrl-C), SIGTERM (`kill`, `timeout`,
# a job scheduler) and, where the platform has it, SIGHUP (the terminal closed)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


# A second stop signal, the same as the one that asked a training to stop and this soon after
# it, is that same interruption sent twice (to the process group and forwarded by a parent, as
# uv does: 0.5 to 2 ms apart), not a second Ctrl-C asking to stop at once
REPEAT_WINDOW = 0.5  # seconds


def catchable_stop_signals() -> list[signal.Signals]:
    """Those of :data:`STOP_SIGNALS` that come to this thread through a handler Python may replace
    and put back: none outside the main thread; not one the process ignores (SIGINT in a
    background job, SIGHUP under ``nohup``), which it goes on ignoring; not one under a handler
    installed outside Python."""
    if threading.current_thread() is not threading.main_thread():
        return []
    return [signum for signum in STOP_SIGNALS if signal.getsignal(signum) not in (signal.SIG_IGN, None)]


def signal_name(signum: int) -> str:
    """ "SIGTERM" for 15, say; "signal N" for a number the platform does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def interrupted_text(signum: int | None) -> str:
    """How a message says the run was stopped: "interrupted" for Ctrl-C (SIGINT) or a stop asked
    for in code (None), "interrupted by SIGTERM" for another stop signal."""
    return (
        "interrupted"
        if signum is None or signum == signal.SIGINT
        else f"interrupted by {signal_name(signum)}"
    )


class StopSignalInterrupt(KeyboardInterrupt):
    """A stop signal that ends the work at once, raised where it lands as Ctrl-C raises
    KeyboardInterrupt (which it is); ``signum`` says which signal, for the exit status
    (128 + signum, as a shell reports a process the signal ended)."""

    def __init__(self, signum: int, note: str | None = None) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.note = note  # what the stop cost, for the message: "this run's progress is not saved"


_STOP_SIGNALS_SCOPE: ContextVar[StopSignals | None] = ContextVar("glassnet_stop_signals", default=None)


class StopSignals:
    """The stop signals (:data:`STOP_SIGNALS`) of a command: of every one, and, nested in it, of one
    that trains, then writes what it trained (``glassnet train``, ``glassnet demo``).

    As a context manager in the main thread it catches every stop signal that reaches Python
    (:func:`catchable_stop_signals`) and puts the previous handlers back on exit. A signal

    - before any training raises :class:`StopSignalInterrupt` at once, as Ctrl-C raises
      KeyboardInterrupt (a SIGTERM then unwinds as Ctrl-C does, what was set up taken down,
      instead of killing the process);
    - while a ``Trainer(handle_sigint=True)`` runs inside the scope asks it to stop after the
      current batch (its result then names the signal); a second one raises at once (its note
      says the run's progress is not saved), unless it is the first signal again within
      :data:`REPEAT_WINDOW`, as one sent twice (a SIGTERM after a Ctrl-C stops at once);
    - from the end of that training on is held back and recorded in :attr:`held`: a run that has
      finished is never lost to a signal in the moment between its last batch and its files,
      which the caller writes before it reports the signal. A training that raises puts the
      scope back to raising.

    Outside the main thread it does nothing (no signal reaches it there).
    """

    def __init__(self) -> None:
        self.held: list[int] = []  # signals held back since training ended, in order
        self._mode = "raise"  # "raise", "train" or "hold"
        self._trainer: Trainer | None = None
        self._training: list[int] = []  # signals received while the trainer ran
        self._first_at = 0.0  # time.monotonic() of the first of them
        self._previous: dict[int, Any] = {}
        self._token: Token[StopSignals | None] | None = None

    def __enter__(self) -> StopSignals:
        # held while the handlers go in: one signal between two of them must not raise with
        # the first installed and nothing to put it back
        self._mode = "hold"
        try:
            for signum in catchable_stop_signals():
                self._previous[signum] = signal.signal(signum, self._on_signal)
        except BaseException:
            self._restore()
            raise
        if self._previous:
            self._token = _STOP_SIGNALS_SCOPE.set(self)
        self._mode = "raise"
        if self.held:  # one came while they went in: as it would have, now, with them back out
            first = self.take_held()[0]
            self.__exit__()
            raise StopSignalInterrupt(first)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _STOP_SIGNALS_SCOPE.reset(self._token)
            self._token = None
        self._mode = "hold"  # one coming while the handlers go back is held, not raised half-way
        self._restore()
        # a signal held and not reported (its caller took it with take_held): delivered now to
        # the handler it would have met, so a process told to end ends
        for signum in self.take_held():
            signal.raise_signal(signum)

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def take_held(self) -> list[int]:
        """The signals held so far, which the caller reports (and so takes: they are not
        delivered again when the scope ends)."""
        taken, self.held[:] = list(self.held), []
        return taken

    @property
    def active(self) -> bool:
        """Whether the scope catches any signal (it was entered in the main thread, and not every
        stop signal is ignored)."""
        return bool(self._previous)

    @contextlib.contextmanager
    def holding(self) -> Iterator[list[int]]:
        """Hold the signals back while the block runs (files being written); yields :attr:`held`."""
        mode, self._mode = self._mode, "hold"
        try:
            yield self.held
        finally:
            self._mode = mode

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._mode == "raise":
            raise StopSignalInterrupt(signum)
        if self._mode == "train" and self._trainer is not None:
            if self._training:  # a second one: stop at once, unless it is the first sent twice
                if signum == self._training[0] and time.monotonic() - self._first_at < REPEAT_WINDOW:
                    return
                raise StopSignalInterrupt(
                    signum, note="stopped at once by a second signal: this run's progress is not saved"
                )
            self._training.append(signum)
            self._first_at = time.monotonic()
            self._trainer._stop_for(signum)
            return
        self.held.append(signum)

    def _start_training(self, trainer: Trainer) -> None:
        self._trainer, self._training = trainer, []
        self._mode = "train"

    def _end_training(self, result: TrainResult | None) -> None:
        """After ``Trainer.run``: ``result`` None when it raised."""
        self._mode = "hold" if result is not None else "raise"  # first: a signal from now on is held
        self._trainer = None
        if result is not None and result.status != "interrupted":
            # received in the last batch, or after it: the run finished all the same
            self.held.extend(self._training)
        self._training = []


def active_stop_signals() -> StopSignals | None:
    """The :class:`StopSignals` scope this code runs in, or None; always None outside the main
    thread, which a context copied into a worker thread (``asyncio.to_thread``) would carry."""
    if threading.current_thread() is not threading.main_thread():
        return None
    scope = _STOP_SIGNALS_SCOPE.get()
    return scope if scope is not None and scope.active else None


def interrupted_status(signum: int | None) -> int:
    """The exit status of a command a stop signal ended: 128 + its number, as a shell reports a
    process the signal ended (130 for Ctrl-C, 143 for SIGTERM); 130 for None (a stop asked for
    in code)."""
    return 128 + int(signal.SIGINT if signum is None else signum)


def catch_sigint(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    """Install ``handler`` for Ctrl-C where it reaches this thread through Python
    (:func:`catchable_stop_signals`); return {SIGINT: the handler it replaced} for
    :func:`restore_handlers`, or {} where nothing was installed."""
    if signal.SIGINT not in catchable_stop_signals():
        return {}
    return {signal.SIGINT: signal.signal(signal.SIGINT, handler)}


def restore_handlers(previous: dict[int, Any]) -> None:
    """Put back the handlers :func:`catch_sigint` (or a scope) replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@contextlib.contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM and SIGHUP (:data:`STOP_SIGNALS`) held back until
    the block ends; yields the list of the signals received meanwhile.

    For the writing of a run's files (a second or so): an interruption half-way would leave
    a ``--force`` folder with the new model beside the previous run's plots, or a folder with
    a model and no plots. The caller says, once the block ends, that the files were finished
    (``glassnet train``, ``glassnet demo``), and exits with 128 + the first signal's number.
    Inside a :class:`StopSignals` scope the scope holds them, and the
    list is its :attr:`StopSignals.held`: the signals held since its
    training ended too; the caller clears the list once it has reported them (a signal left
    in it reaches its handler when the scope ends). An error the block raises while a signal
    is held is raised as that signal's :class:`StopSignalInterrupt`, the error's text its
    ``note`` ("error: …"), so that neither is lost, inside a scope or not. Outside a scope (a
    program calling the library) only Ctrl-C is held, as a Trainer catches only Ctrl-C there:
    SIGTERM and SIGHUP are the program's. Outside the main thread nothing is changed and the list stays empty;
    a signal the process ignores (SIGINT in a background job, SIGHUP under ``nohup``) stays
    ignored.
    """
    scope = active_stop_signals()
    holding = _HOLDING.get()
    try:
        _HOLDING.set(True)  # inside the try: a Ctrl-C just after it must not leave it set
        if scope is not None:
            with scope.holding() as held, _reported_with_an_error(held):
                yield held
            return
        received: list[int] = []
        previous = catch_sigint(lambda caught, frame: received.append(caught))
        try:
            with _reported_with_an_error(received):
                yield received
        finally:
            restore_handlers(previous)
    finally:
        _HOLDING.set(holding)


# whether interrupts_held() holds the stop signals here (a caller's block that writes a run)
_HOLDING: ContextVar[bool] = ContextVar("glassnet_interrupts_held", default=False)


def holding_interrupts() -> bool:
    """Whether the stop signals are held back here already: inside :func:`interrupts_held`, or
    by a :class:`StopSignals` scope since its training ended (its caller reports them)."""
    scope = active_stop_signals()
    return _HOLDING.get() or (scope is not None and scope._mode == "hold")


@contextlib.contextmanager
def _reported_with_an_error(held: list[int]) -> Iterator[None]:
    """An error the block raises while a signal is held is raised as that signal's
    :class:`StopSignalInterrupt`, the error's text its note: delivered at the scope's end, the
    signal would replace the error, and with it what the files are; outside a scope, the held
    Ctrl-C was dropped, and the program went on."""
    try:
        yield
    except Exception as error:
        if not held:
            raise
        signum = held[0]
        held.clear()  # reported here, not delivered again
        text = os_error_text(error) if isinstance(error, OSError) else str(error)
        raise StopSignalInterrupt(signum, note=f"error: {text or type(error).__name__}") from error
