"""``FixedIn``: an ``IN`` bound to a fixed number of parameters finds what the list names."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from collector.store.fixed_in import MOST_FIXED, FixedIn, padded_size

_metadata = MetaData()
_things = Table(
    "things", _metadata, Column("id", Integer, primary_key=True), Column("name", String)
)
_BY_ID = FixedIn(_things.c.id, select(_things.c.name).where)


@pytest.mark.parametrize(("count", "size"), [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (64, 64)])
def test_it_pads_a_list_to_a_power_of_two(count: int, size: int) -> None:
    assert padded_size(count) == size


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 8, 9, MOST_FIXED, MOST_FIXED + 1, 200])
def test_it_finds_exactly_the_rows_named(count: int) -> None:
    engine = create_engine("sqlite://")
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(_things), [{"id": i, "name": f"t{i}"} for i in range(1000)])
        wanted = [i * 3 for i in range(count)]
        names = {name for (name,) in conn.execute(*_BY_ID.bind(wanted))}
    assert names == {f"t{i}" for i in wanted}


def test_it_builds_one_statement_per_padded_size() -> None:
    three, _ = _BY_ID.bind([1, 2, 3])
    four, params = _BY_ID.bind([4, 5, 6, 7])
    assert three is four
    assert params == {"in_0": 4, "in_1": 5, "in_2": 6, "in_3": 7}
    assert _BY_ID.bind([1, 2, 3])[1] == {"in_0": 1, "in_1": 2, "in_2": 3, "in_3": 3}
    long, params = _BY_ID.bind(list(range(MOST_FIXED + 1)))
    assert params == {"in_values": list(range(MOST_FIXED + 1))}
    assert _BY_ID.bind(list(range(MOST_FIXED + 5)))[0] is long


def test_it_binds_up_to_the_most_it_is_given_to_fixed_parameters() -> None:
    wanted = list(range(100))
    statement, params = _BY_ID.bind(wanted, most=128)
    assert len(params) == 128 and params["in_99"] == params["in_127"] == 99
    assert statement is _BY_ID.bind(list(range(70)), most=128)[0]
