"""TrainConfig and `glassnet train` take every numeric setting within the same bounds."""

from __future__ import annotations

import pytest

from glassnet.cli._train import NUMERIC_OPTIONS, PARSED_OPTIONS
from glassnet.train import TrainConfig
from glassnet.train._config import FIELD_BOUNDS


def _outside(name: str) -> list[float]:
    """Values just outside the field's bounds (an open end itself), and non-finite ones."""
    bounds = FIELD_BOUNDS[name]
    step = 1 if bounds.integer else 1e-9 * max(1.0, abs(bounds.high))
    low = bounds.low if bounds.low_open else bounds.low - step
    high = bounds.high if bounds.high_open else bounds.high + step
    return [low, high] if bounds.integer else [low, high, float("nan"), float("inf")]


@pytest.mark.parametrize("name", NUMERIC_OPTIONS)
def test_an_option_refuses_what_the_configuration_refuses(name: str) -> None:
    parse = PARSED_OPTIONS[name][1]
    option = "--" + name.replace("_", "-")
    for value in _outside(name):
        text = str(int(value)) if FIELD_BOUNDS[name].integer else repr(value)
        with pytest.raises(ValueError, match=rf"^{option} must be "):
            parse(text)
        with pytest.raises(ValueError, match=rf"^{name} must be "):
            TrainConfig(**{name: int(value) if FIELD_BOUNDS[name].integer else value})


@pytest.mark.parametrize("name", NUMERIC_OPTIONS)
def test_an_option_takes_the_ends_the_configuration_takes(name: str) -> None:
    bounds = FIELD_BOUNDS[name]
    ends = [
        end
        for end, is_open in ((bounds.low, bounds.low_open), (bounds.high, bounds.high_open))
        if not is_open
    ]
    for end in ends:
        value = int(end) if bounds.integer else end
        assert PARSED_OPTIONS[name][1](str(value)) == value
        assert getattr(TrainConfig(**{name: value}), name) == value


def test_every_numeric_field_has_its_bounds() -> None:
    numeric = {
        name
        for name, value in vars(TrainConfig()).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    assert numeric == set(FIELD_BOUNDS)


@pytest.mark.parametrize("name", [name for name, bounds in FIELD_BOUNDS.items() if bounds.integer])
def test_an_integer_past_any_float_is_out_of_bounds_in_words(name: str) -> None:
    """10**400 has no float: refused as out of range (ValueError), not with an OverflowError."""
    with pytest.raises(
        ValueError, match=rf"^{name} must be an integer in .*, got an integer of about 401 digits$"
    ):
        TrainConfig(**{name: 10**400})
