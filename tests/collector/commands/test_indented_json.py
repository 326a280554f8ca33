"""``indented_json`` writes exactly what ``json.dumps(value, indent=2)`` writes."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.commands.indented_json import indented_json

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner) | st.tuples(inner, inner),
    max_leaves=30,
)


class Colour(StrEnum):
    RED = "red"


class Rank(IntEnum):
    HIGH = 3


@given(_VALUES)
def test_it_writes_what_json_dumps_writes(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2)


def test_it_writes_enums_and_escapes_as_json_dumps_does() -> None:
    value = {
        "colour": Colour.RED, "rank": Rank.HIGH, "quoted": 'a "b"\n\t\\ é ☃ 😀',
        "empty": [{}, [], ()], "zero": -0.0, "big": 10**30,
    }  # fmt: skip
    assert indented_json(value) == json.dumps(value, indent=2)


@pytest.mark.parametrize("value", [{1: "x"}, float("nan"), {"s": {1, 2}}, object()])
def test_it_refuses_what_it_does_not_write(value: Any) -> None:
    with pytest.raises(TypeError):
        indented_json(value)
