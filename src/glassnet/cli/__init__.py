"""The ``glassnet`` command: parses arguments, calls the library, prints.

Each sub-command lives in its own module with a ``register(subparsers)`` function that
adds its parser and sets ``handler``. A user mistake (``ValueError``, ``TypeError``,
``OSError``, ``KeyboardInterrupt``, and a PyTorch option without PyTorch installed) becomes
one line on stderr and exit status 2 (130 for Ctrl-C, 128 + N for another stop signal a
command catches: 143 for SIGTERM); ``--traceback`` shows the full
traceback instead, for bug reports. A warning (e.g. a data file that differs from the
published one) is one line on stderr too,
``glassnet COMMAND: warning: …``, without Python's file and source line.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from glassnet import __version__
from glassnet._files import os_error_text
from glassnet._signals import StopSignals, interrupted_status, interrupted_text
from glassnet.cli._output import discard_unwritten_stdout, one_line, standard_streams, write_message

# The commands' modules (and what they import: the training code, torch's bridge) are imported
# by build_parser, inside main's handling of Ctrl-C: imported here, with this module, they took
# a fifth of a second in which a Ctrl-C printed a traceback.


def commands() -> tuple[Any, ...]:
    """The sub-commands' modules, each with its ``register(subparsers)``, in the help's order."""
    from glassnet.cli import _data, _demo, _evaluate, _explain, _predict, _train

    return (_demo, _data, _train, _evaluate, _predict, _explain)


def user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that are a user's mistake, reported in one line: a bad value, type or file,
    a PyTorch option without PyTorch, and a warning made an error (``python -W error``: a data
    file under a numbered header ended in a traceback)."""
    from glassnet.torch_bridge import TorchMissingError

    return (ValueError, TypeError, OSError, TorchMissingError, Warning)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit status 2), like every other error."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        stream = file or sys.stderr
        try:
            write_message(message, stream)
        except AttributeError:  # as argparse's own, which a closed stream leaves unwritten
            pass
        except OSError as error:  # `glassnet --help > /dev/full` said nothing, exit status 120
            if stream is not sys.stdout or isinstance(error, BrokenPipeError):
                return  # no stream left to say it on, or a reader that left (`--help | head`)
            write_message(f"{self.prog}: error: standard output: {error.strerror or error}\n", sys.stderr)
            raise SystemExit(2) from None

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        # the innermost parser (`glassnet train moons`) parses first, so it is the one kept:
        # main() reports arguments none of them knows in that command's name
        if not hasattr(parsed, "_parser"):
            parsed._parser = self
        # "--option=--" is refused, as "--option --" is: argparse up to Python 3.12 reads it as an
        # empty list (appended as [] for an action="append" option), 3.13 as the value "--" itself
        for action in self._actions:
            if not action.option_strings or action.nargs is not None:
                continue
            value = getattr(parsed, action.dest, None)
            given = (value or []) if isinstance(action, argparse._AppendAction) else [value]
            if any(item == [] or item == "--" for item in given):
                self.error(f"argument {'/'.join(action.option_strings)}: expected one value, got '--'")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="glassnet",
        description="Neural networks you can see through: explicit backprop, worked derivations, PyTorch parity.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands():
        command.register(subparsers)
    for command_parser in _subcommand_parsers(parser):
        # after the command too (`glassnet predict … --traceback`); SUPPRESS keeps the value given before it
        command_parser.add_argument(
            "--traceback",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the full traceback on errors",
        )
    return parser


def _subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (``train``, ``train airfoil``, …), depth first."""
    found: list[argparse.ArgumentParser] = []
    for child in dict.fromkeys(_child_choices(parser).values()):  # aliases map to one parser
        found.append(child)
        found.extend(_subcommand_parsers(child))
    return found


def _refuse_unknown(
    parser: argparse.ArgumentParser, args: argparse.Namespace, given: list[str], unknown: list[str]
) -> NoReturn:
    """Refuse the arguments no parser took, named by the command whose place they sit in, as its
    own mistakes are: before the command, glassnet's; between ``train`` and ``airfoil``, train's;
    after the last word, that (sub)command's."""
    words = str(getattr(args, "command_name", args.command)).split()  # "train airfoil", "data fetch"
    chain: list[tuple[int, argparse.ArgumentParser]] = [(-1, parser)]  # (position, parser), outermost first
    current, start = parser, 0
    for word in words:
        if word not in given[start:]:  # not typed as named (no command has another name today)
            args._parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        at = given.index(word, start)
        current = _child_choices(current)[word]
        chain.append((at, current))
        start = at + 1
    # the unknown tokens' positions, in order, skipping the command words themselves
    places: list[int] = []
    command_at = {at for at, _ in chain}
    for position, token in enumerate(given):
        if len(places) < len(unknown) and token == unknown[len(places)] and position not in command_at:
            places.append(position)
    innermost = chain[-1][1]
    for (at, refusing), (next_at, _) in zip(chain, [*chain[1:], (len(given), innermost)], strict=True):
        named = [token for token, place in zip(unknown, places, strict=True) if at < place < next_at]
        if named:  # a task's own option before it was named first (_refuse_options_before_the_task)
            refusing.error(f"unrecognized arguments: {' '.join(named)}")
    innermost.error(f"unrecognized arguments: {' '.join(unknown)}")  # not reached: every token has a place


def _refuse_options_before_the_task(parser: argparse.ArgumentParser, given: list[str]) -> None:
    """Refuse a task's option given between its command and the task (``train --epochs 5
    airfoil``), saying where it goes: argparse read its value as the task ("invalid choice: '5'").
    An option with no value there is refused after parsing, the same way (:func:`_refuse_unknown`).
    Options are read as argparse reads them (abbreviations too, and a value only where it takes
    one); help and the version are left to argparse, which shows them first, unless a value
    before them was already read as the task."""
    at = next((k for k, token in enumerate(given) if not token.startswith("-")), None)  # the command
    commands = _child_choices(parser)
    if at is None or given[at] not in commands:
        return
    if any(_shows_and_exits(_option_actions(parser, token)) for token in given[:at]):
        return
    command = commands[given[at]]
    tasks = _child_choices(command)
    if not tasks:
        return
    # the options before the task, each with the tasks that take it; their values are skipped,
    # so that `train --out moons airfoil` reads airfoil as the task
    misplaced: list[tuple[str, list[str]]] = []
    rest, task = given[at + 1 :], None
    values: list[str] = []  # the values skipped, which argparse would have read as the task
    index = 0
    while index < len(rest):
        token = rest[index]
        index += 1
        if token in tasks:
            task = token
            # help after the task is the task's, which argparse shows before anything else (where a
            # value before it names a task, argparse reads that value as the task)
            read_as = values[0] if values and values[0] in tasks else task
            if any(_shows_and_exits(_option_actions(tasks[read_as], later)) for later in rest[index:]):
                return
            break
        name = token.split("=", 1)[0]
        if not name.startswith("-") or name == "--":
            continue
        own = _option_actions(command, name)  # train's own: --traceback, -h (and what abbreviates them)
        if own:
            # argparse shows help unless a value before it, no task, was read as the task
            if _shows_and_exits(own) and (not values or values[0] in tasks):
                return
            continue
        takers = {
            owner: found
            for owner, task_parser in tasks.items()
            if (found := _option_actions(task_parser, name))
        }
        if takers:
            misplaced.append((name, list(takers)))
            takes_value = any(action.nargs != 0 for found in takers.values() for action in found)
            if takes_value and "=" not in token and index < len(rest) and _is_value(command, rest[index]):
                values.append(rest[index])
                index += 1
    if task is None:  # a task typed as an option's value (`train --epochs moons`) is the one meant
        task = next((value for value in values if value in tasks), None)
    for name, owners in misplaced:
        if task is not None and task not in owners:
            command.error(
                f"{name} is not an option of {tasks[task].prog} (it is one of {tasks[owners[0]].prog})"
            )
        where = task if task is not None else owners[0]
        command.error(f"{name} is an option of {tasks[where].prog}: put it after {where}")


def _is_value(parser: argparse.ArgumentParser, token: str) -> bool:
    """Whether argparse takes ``token`` as an option's value: not an option, or a negative number
    (by ``parser``'s own pattern for them)."""
    return not token.startswith("-") or parser._negative_number_matcher.match(token) is not None


def _option_actions(parser: argparse.ArgumentParser, token: str) -> list[argparse.Action]:
    """The actions of ``parser`` that the option ``token`` may name: its own, else those it
    abbreviates, as argparse takes a prefix (several: an ambiguous one, which argparse refuses
    after the task); none for a token that is no option."""
    name = token.split("=", 1)[0]
    if not name.startswith("-"):
        return []
    if name in parser._option_string_actions:
        return [parser._option_string_actions[name]]
    if not name.startswith("--"):
        return []
    return list(
        {action for option, action in parser._option_string_actions.items() if option.startswith(name)}
    )


def _shows_and_exits(actions: list[argparse.Action]) -> bool:
    """Whether ``actions`` is help or the version, which argparse shows before anything else."""
    return len(actions) == 1 and isinstance(actions[0], argparse._HelpAction | argparse._VersionAction)


def _child_choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-command parsers of ``parser`` by name; empty for one without sub-commands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def warning_printer(command: str) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints ``glassnet COMMAND: warning: MESSAGE`` as one line."""

    def show(message: Warning | str, *_: Any, **__: Any) -> None:
        write_message(f"glassnet {command}: warning: {one_line(str(message))}\n", sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    with standard_streams():  # --help's text too
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        parser = build_parser()
        given = list(sys.argv[1:] if argv is None else argv)
        _refuse_options_before_the_task(parser, given)
        args, unknown = parser.parse_known_args(given)
        if unknown:
            _refuse_unknown(parser, args, given, unknown)
        errors = user_errors()
    except SystemExit as exit_:  # argparse has printed its usage line already
        return int(exit_.code or 0)
    except KeyboardInterrupt as stop:  # Ctrl-C while the parser is built (its commands' modules imported)
        return _interrupted(stop)
    # what messages are prefixed with: the command, or its action where it has them ("data fetch")
    command = getattr(args, "command_name", args.command)
    try:
        # SIGTERM and SIGHUP unwind as Ctrl-C does (a temporary file removed, a lock let go),
        # where they would kill the process mid-write; train and demo hold them in scopes of their own
        with (
            standard_streams(),
            StopSignals(),
            warnings.catch_warnings(),
        ):  # catch_warnings restores showwarning
            warnings.showwarning = warning_printer(command)
            status: int = args.handler(args)
    except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP
        return _interrupted(stop, command)
    except BrokenPipeError:  # the reader left (`glassnet data info | head -1`): no error to report
        discard_unwritten_stdout()
        return 128 + 13  # as a process ended by SIGPIPE
    except errors as error:
        if args.traceback:
            raise
        write_message(f"glassnet {command}: error: {one_line(error_text(error))}\n", sys.stderr)
        return 2
    except (MemoryError, RuntimeError) as error:
        if args.traceback or not out_of_memory(error):
            raise
        # settings each within bounds, whose arrays together the machine cannot hold
        detail = str(error).strip().splitlines()[0] if str(error).strip() else "MemoryError"
        if args.command == "train" and not getattr(args, "resume", False):  # what its options make smaller
            advice = "give fewer rows at a time (--batch-size), a smaller network (--hidden) or less data"
        elif args.command == "train":  # --resume keeps the run's settings, and refuses those options
            advice = "a resumed run keeps its settings: resume it where more memory is free"
        else:  # the other commands take rows
            advice = "give fewer rows, or run it where more memory is free"
        write_message(
            f"glassnet {command}: error: out of memory ({one_line(detail)}); {advice}\n", sys.stderr
        )
        return 2
    return status


def out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` says that memory ran out: NumPy's MemoryError, torch's on the CPU (a
    RuntimeError of its allocator) or on a GPU (torch.OutOfMemoryError, a RuntimeError)."""
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)


def _interrupted(stop: KeyboardInterrupt, command: str | None = None) -> int:
    """Say so, naming the command once it is known, and return 128 + the signal's number, as a
    shell reports a process the signal ended: 130 for Ctrl-C, 143 for a SIGTERM (every command
    catches it, in a scope of stop signals); a ``note`` the stop carries follows ("this run's
    progress is not saved", or the error a held signal met)."""
    signum = getattr(stop, "signum", None)
    if signum is None:  # Ctrl-C before the commands' scope of stop signals was entered
        text, status = "interrupted", 128 + int(signal.SIGINT)
    else:  # a stop signal the scope caught
        text, status = interrupted_text(signum), interrupted_status(signum)
    note = getattr(stop, "note", None)
    if note:  # on one line, as every message: an error's text may hold a line break (a folder's name)
        text += f"; {one_line(note)}"
    with contextlib.suppress(OSError):  # a SIGHUP's terminal may be gone
        write_message(f"glassnet{'' if command is None else ' ' + command}: {text}\n", sys.stderr)
    return status


def error_text(error: BaseException) -> str:
    """What a user mistake says. An OSError straight from the system ("[Errno 13] Permission
    denied: 'runs'") is written as the shell writes it, path first: "runs: Permission denied";
    a character the output's encoding lacks (explain's η on a cp1252 console) names the way out,
    where Python's message names a codec ("'charmap' codec can't encode character '\\u03b7'")."""
    if isinstance(error, UnicodeEncodeError):
        lacking = ascii(error.object[error.start : error.end])  # in ASCII: the stream lacks it
        # the stream's name for it (cp1252), not its codec's ("charmap")
        encoding = getattr(sys.stdout, "encoding", None) or error.encoding
        return (
            f"the output's encoding ({encoding}) cannot write {lacking}; set PYTHONIOENCODING=utf-8 "
            "(or PYTHONUTF8=1), or write to a file where the command takes -o FILE"
        )
    return os_error_text(error) if isinstance(error, OSError) else str(error)
