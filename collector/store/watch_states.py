"""Per-host check states: the fault engine's memory between observations.

Evaluation loads and saves these for every report, so the batch functions use one prepared
statement for any number of hosts (compiled once, then cached by SQLAlchemy).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Text, bindparam, case, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite

from collector.domain.watches import WatchState
from collector.store.hot_statements import HotFixedIn, HotStatement
from collector.store.schema import check_states, hosts

# The state as stored, as text: it is its own version (see ``load_versioned``).
_STATES = select(check_states.c.host_id, check_states.c.check_key, cast(check_states.c.state, Text))
#: Evaluation reads the states of a report's host or two for every batch: run hot.
_STATES_OF_HOSTS = HotFixedIn(check_states.c.host_id, _STATES.where, "hosts")

_SOME_STATES_OF_HOSTS = _STATES.where(
    check_states.c.host_id.in_(bindparam("hosts", expanding=True)),
    check_states.c.check_key.in_(bindparam("keys", expanding=True)),
)


#: Of each of a customer's hosts: its kind, whether it is live (not archived), and of each of
#: its checks whether its fault is raised, read from the JSON rather than decoding it all.
def _keys_of_customer(raised: ColumnElement[Any]) -> Select[Any]:
    return (
        select(hosts.c.id, hosts.c.kind, hosts.c.archived_at.is_(None), check_states.c.check_key)
        .add_columns(raised)
        .select_from(hosts.outerjoin(check_states, check_states.c.host_id == hosts.c.id))
        .where(hosts.c.customer_id == bindparam("customer"))
        .order_by(hosts.c.id)
    )


_KEYS_OF_CUSTOMER = _keys_of_customer(check_states.c.state["raised"].as_boolean())
#: ``_KEYS_OF_CUSTOMER`` on SQLite, run hot (every run that acts on a customer reads it), its
#: JSON read only where the state's text names ``"raised"``: ``WatchState.to_json`` writes the
#: flag only when it is true, so most states (those at rest) are not parsed at all, and a
#: state whose text merely mentions the word (in its detail, say) is still judged by its flag
#: (0/1, which ``kinds_and_raised`` only tests for truth). Parsing every state's JSON cost
#: SQLite more than the rest of the query.
_SQLITE_KEYS_OF_CUSTOMER = HotStatement(
    _keys_of_customer(
        case(
            (
                func.instr(check_states.c.state, '"raised"') > 0,
                func.json_extract(check_states.c.state, '$."raised"'),
            )
        )
    )
)


def load(
    conn: Connection, host_id: str, keys: Iterable[str] | None = None
) -> dict[str, WatchState]:
    query = select(check_states.c.check_key, check_states.c.state).where(
        check_states.c.host_id == host_id
    )
    if keys is not None:
        query = query.where(check_states.c.check_key.in_(list(keys)))
    return {key: WatchState.from_json(state) for key, state in conn.execute(query)}


Versions = dict[tuple[str, str], str]


def load_many(
    conn: Connection, host_ids: Collection[str], keys: Collection[str] | None = None
) -> dict[str, dict[str, WatchState]]:
    """The states of each host (all of them, or those named by ``keys``), by host id; a host
    without states maps to an empty dict."""
    return load_versioned(conn, host_ids, keys)[0]


def load_versioned(
    conn: Connection, host_ids: Collection[str], keys: Collection[str] | None = None
) -> tuple[dict[str, dict[str, WatchState]], Versions]:
    """``load_many``, and each state's version: its stored text, by (host id, check key).

    Equal text is an equal state, so comparing versions later tells whether anyone changed a
    state in between, without the ABA problem of timestamps or counters.
    """
    versions = state_versions(conn, host_ids, keys)
    found: dict[str, dict[str, WatchState]] = {host_id: {} for host_id in host_ids}
    for (host_id, key), text in versions.items():
        found[host_id][key] = WatchState.from_json(json.loads(text))
    return found, versions


def state_versions(
    conn: Connection, host_ids: Collection[str], keys: Collection[str] | None = None
) -> Versions:
    """The stored text of each state of the hosts, by (host id, check key)."""
    if not host_ids:
        return {}
    if keys is None:
        rows = _STATES_OF_HOSTS.rows(conn, {"hosts": list(host_ids)})
    else:
        params = {"hosts": list(host_ids), "keys": list(keys)}
        rows = conn.execute(_SOME_STATES_OF_HOSTS, params).all()
    return {(host_id, key): text for host_id, key, text in rows}


def raised_by_host(conn: Connection, customer_id: str) -> dict[str, tuple[set[str], set[str]]]:
    """For each of the customer's hosts, by id: its check keys and those whose fault is raised."""
    return kinds_and_raised(conn, customer_id)[1]


def kinds_and_raised(
    conn: Connection, customer_id: str
) -> tuple[dict[str, str], dict[str, tuple[set[str], set[str]]]]:
    """What dependencies need of the customer's hosts, in one query: the kind of each live
    (not archived) host, by id; and for each host, by id, its check keys and those whose fault
    is raised. The states are not decoded, only their ``raised`` flag read."""
    if conn.dialect.name == "sqlite":
        rows: Iterable[Any] = _SQLITE_KEYS_OF_CUSTOMER.rows(conn, {"customer": customer_id})
    else:
        rows = conn.execute(_KEYS_OF_CUSTOMER, {"customer": customer_id})
    kinds: dict[str, str] = {}
    found: dict[str, tuple[set[str], set[str]]] = {}
    current: str | None = None
    checks: set[str] = set()
    raised_keys: set[str] = set()
    for host_id, kind, live, key, raised in rows:
        if host_id != current:  # the host's first row: its rows come together, in host order
            current, checks, raised_keys = host_id, set(), set()
            found[host_id] = (checks, raised_keys)
            if live:
                kinds[host_id] = kind
        if key is not None:
            checks.add(key)
            if raised:
                raised_keys.add(key)
    return kinds, found


@cache
def _upsert(dialect: str) -> HotStatement:
    """The upsert of states, run hot: evaluation saves a state per observation, and
    SQLAlchemy's statement and per-row handling cost more than SQLite's upsert."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(check_states)
    return HotStatement(
        statement.on_conflict_do_update(
            index_elements=["host_id", "check_key"],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
        )
    )


def save(conn: Connection, host_id: str, states: Mapping[str, WatchState], now: datetime) -> None:
    """Insert or replace the given states in one statement."""
    save_many(conn, {host_id: states}, now)


def save_many(
    conn: Connection, states: Mapping[str, Mapping[str, WatchState]], now: datetime
) -> None:
    """Insert or replace the given states of many hosts (host id → check key → state)."""
    if not any(states.values()):
        return
    rows: list[dict[str, Any]] = [
        {"host_id": host_id, "check_key": key, "state": state.to_json()}
        for host_id, by_key in states.items()
        for key, state in by_key.items()
    ]
    _upsert(conn.dialect.name).execute_many(conn, rows, {"updated_at": now})
