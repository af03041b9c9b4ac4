"""The public dataclasses document every field in their docstring's ``Attributes:`` section,
which ``help()``, IDE hovers and Sphinx show (a ``#`` comment beside a field they never do)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
from typing import Any

import pytest

from glassnet.checkpoint import Checkpoint
from glassnet.cli import _subcommand_parsers, build_parser
from glassnet.data import Split
from glassnet.train import Run, TrainConfig

# python -OO strips docstrings, which these tests read
pytestmark = pytest.mark.skipif(sys.flags.optimize >= 2, reason="docstrings stripped (python -OO)")

DOCUMENTED = (TrainConfig, Checkpoint, Run, Split)
ENTRY = re.compile(r"    (\w+): (\S.*)")  # "    name: text", under "Attributes:"
CONTINUATION = re.compile(r"        (\S.*)")  # its further lines, 4 spaces deeper
DEFAULT = re.compile(r"\bDefault (\([^)]*\)|\"[^\"]*\"|None|True|False|-?\d+(?:\.\d+)?(?:e-?\d+)?)")
OPTION = re.compile(r"``(--[a-z0-9-]+)``")


def attributes(cls: type) -> dict[str, str]:
    """The entries of ``cls``'s ``Attributes:`` section (Google style, as napoleon reads it),
    name -> text with its lines joined; ValueError for a line that is neither an entry nor
    part of one, so that a malformed section cannot pass for a short one."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    if "Attributes:" not in lines:
        raise ValueError(f"{cls.__name__}'s docstring has no 'Attributes:' section")
    entries: dict[str, list[str]] = {}
    for line in lines[lines.index("Attributes:") + 1 :]:
        if line and not line.startswith(" "):  # the next section, or text after this one
            break
        entry, more = ENTRY.fullmatch(line), CONTINUATION.fullmatch(line)
        if entry:
            if entry[1] in entries:
                raise ValueError(f"{cls.__name__}: {entry[1]} is documented twice")
            entries[entry[1]] = [entry[2]]
        elif more and entries:
            entries[list(entries)[-1]].append(more[1])
        elif line.strip():
            raise ValueError(f"{cls.__name__}: {line!r} is neither an attribute nor part of one")
    return {name: " ".join(text) for name, text in entries.items()}


def undocumented(cls: type) -> list[str]:
    """The dataclass fields of ``cls`` that its Attributes section does not name."""
    documented = attributes(cls)
    return [field.name for field in dataclasses.fields(cls) if field.name not in documented]


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda cls: cls.__name__)
def test_every_field_is_documented_in_the_docstring(cls: type) -> None:
    assert undocumented(cls) == []


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda cls: cls.__name__)
def test_the_docstring_documents_the_fields_alone_in_their_order(cls: type) -> None:
    """No entry for a field that is gone or renamed; the order of the class body, to read them by."""
    assert list(attributes(cls)) == [field.name for field in dataclasses.fields(cls)]


def test_a_new_field_without_documentation_is_found() -> None:
    @dataclasses.dataclass
    class Settings:
        """Settings.

        Attributes:
            rate: How fast, in steps per second; spread over
                two lines.
        """

        rate: float = 1.0
        burst: int = 4  # a comment is no documentation

    assert attributes(Settings) == {"rate": "How fast, in steps per second; spread over two lines."}
    assert undocumented(Settings) == ["burst"]


@pytest.mark.parametrize(
    "docstring",
    ["Settings.", "Settings.\n\nAttributes:\n    rate: How fast.\n  burst - how many."],
    ids=["no section", "a line that is no entry"],
)
def test_a_missing_or_malformed_section_is_refused(docstring: str) -> None:
    class Settings:
        pass

    Settings.__doc__ = docstring
    with pytest.raises(ValueError, match=r"^Settings"):
        attributes(Settings)


@pytest.mark.parametrize(
    "field",
    [field for field in dataclasses.fields(TrainConfig) if field.default is not dataclasses.MISSING],
    ids=lambda field: field.name,
)
def test_the_default_a_train_config_entry_states_is_the_fields(field: dataclasses.Field[Any]) -> None:
    """Each entry states its default once, as a Python literal, and it is the one the code has."""
    stated = DEFAULT.findall(attributes(TrainConfig)[field.name])
    assert len(stated) == 1, stated
    value = ast.literal_eval(stated[0])
    assert (value, type(value)) == (field.default, type(field.default))


def test_the_options_train_config_names_are_glassnet_trains() -> None:
    """Every ``--option`` an entry names is an option of both `glassnet train` tasks, and the
    fields that name none are those the class's summary lists as no option's."""
    tasks = [
        parser for parser in _subcommand_parsers(build_parser()) if parser.prog.startswith("glassnet train ")
    ]
    assert sorted(parser.prog for parser in tasks) == ["glassnet train airfoil", "glassnet train moons"]
    entries = attributes(TrainConfig)
    named = {name: OPTION.findall(text) for name, text in entries.items()}
    for parser in tasks:
        options = {option for action in parser._actions for option in action.option_strings}
        assert {name: found for name, found in named.items() if not set(found) <= options} == {}
    summary = re.search(r"all but ([\w ,]+)\.", " ".join(inspect.cleandoc(TrainConfig.__doc__ or "").split()))
    assert summary is not None
    without = set(re.split(r", | and ", summary[1]))
    assert {name for name, found in named.items() if not found} == without
