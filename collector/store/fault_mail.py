"""A fault saved for a mail about it, with what the mail needs read back in the same statement.

Every fault mail follows a save of the fault's row (its mail ledger), and the mail needs that
row, its host's and customer's names, whether its incident is covered (and whether it has
one), whether it explains other open faults, whom of the customer to tell in which zone, and
for an opening, the contract in force (its incident's tier). Read back by the save itself,
where the database returns from a write (SQLite 3.35+, PostgreSQL), none of that costs a
statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    String,
    bindparam,
    insert,
    literal_column,
    select,
    text,
    type_coerce,
    update,
)

from collector.domain.faults import FaultState
from collector.store.faults import (
    FaultView,
    fault_view_of,
    opening_values,
    save_state,
    state_values,
)
from collector.store.hot_statements import HotStatement
from collector.store.schema import contracts, faults

_UPDATE = update(faults).where(faults.c.id == bindparam("fault_id"))
_INSERT = insert(faults)


@dataclass(frozen=True)
class SavedFault:
    """A fault as saved for a mail about it: its view, whether its incident is covered (None:
    it has none), whether it explains any other open fault (``fault_causes.explained_by`` would
    find some), its customer's audience (``inventory.zone_and_contacts``: its own zone and its
    contacts' emails in the order given) and the tier of its contract in force at the save's
    moment (None: none is; ``inventory.current_contract``'s)."""

    view: FaultView
    incident_covered: bool | None
    explains_others: bool
    customer_zone: str | None
    contact_emails: tuple[str, ...]
    contract_tier: str | None


#: What else a mail needs, by subqueries on the fault's row (not joins, so that an update can
#: return them): its host's and customer's names, its incident's coverage, whether it explains
#: another open fault (``explained_by``'s condition), its customer's zone and contacts, and the
#: contract in force. Written out in SQL: SQLAlchemy drops the table names inside subqueries of
#: an SQLite RETURNING, which changes what they say.
_HOST_NAME = "(SELECT hosts.name FROM hosts WHERE hosts.id = faults.host_id)"
_CUSTOMER_NAME = "(SELECT customers.name FROM customers WHERE customers.id = faults.customer_id)"
_CUSTOMER_ZONE = (
    "(SELECT customers.timezone FROM customers WHERE customers.id = faults.customer_id)"
)
_INCIDENT_COVERED = "(SELECT incidents.covered FROM incidents WHERE incidents.fault_id = faults.id)"
_EXPLAINS_OTHERS = (
    "EXISTS (SELECT 1 FROM faults AS other WHERE other.customer_id = faults.customer_id"
    " AND other.suppressed_by = faults.check_key AND other.resolved_at IS NULL"
    " AND other.id != faults.id"
    " AND (faults.host_id IS NULL OR other.host_id = faults.host_id))"
)
#: The contacts as a JSON array of [id, email] pairs, sorted by id once read (``save_for_mail``):
#: an aggregate keeps no order in SQLite before 3.44. None in PostgreSQL when there are none.
_CONTACTS = (
    "(SELECT {}({}(contacts.id, contacts.email)) FROM contacts"
    " WHERE contacts.customer_id = faults.customer_id)"
)
#: Each dialect's JSON aggregate and array, by dialect name.
_JSON_PAIRS = {
    "sqlite": ("json_group_array", "json_array"),
    "postgresql": ("json_agg", "json_build_array"),
}
#: ``current_contract``'s choice: the latest contract started by ``at`` and not ended then.
_CONTRACT_TIER = text(
    "(SELECT contracts.tier FROM contracts WHERE contracts.customer_id = faults.customer_id"
    " AND contracts.starts_on <= :at"
    " AND (contracts.ends_on IS NULL OR contracts.ends_on > :at)"
    " ORDER BY contracts.starts_on DESC, contracts.id DESC LIMIT 1)"
).bindparams(bindparam("at", type_=contracts.c.starts_on.type))


def _mail_columns(dialect: str) -> list[Any]:
    """The fault's columns, then the subqueries' answers, named as ``fault_view`` reads them."""
    contacts = _CONTACTS.format(*_JSON_PAIRS[dialect])
    return [
        *faults.c,
        literal_column(_HOST_NAME, String).label("host_name"),
        literal_column(_CUSTOMER_NAME, String).label("customer_name"),
        literal_column(_INCIDENT_COVERED, Boolean).label("incident_covered"),
        literal_column(_EXPLAINS_OTHERS, Boolean).label("explains_others"),
        literal_column(_CUSTOMER_ZONE, String).label("customer_zone"),
        literal_column(contacts, JSON).label("contacts"),
        type_coerce(_CONTRACT_TIER, String).label("contract_tier"),
    ]


@cache
def _statements(dialect: str) -> tuple[HotStatement, HotStatement, HotStatement]:
    """The update and the insert returning what a mail needs, and the read after either; built
    once per dialect (building a statement costs more than running it), and run on SQLite's
    own cursor: every fault mail follows one of them."""
    columns = _mail_columns(dialect)
    read = select(*columns).where(faults.c.id == bindparam("fault_id"))
    update_for_mail, insert_for_mail = _UPDATE.returning(*columns), _INSERT.returning(*columns)
    return HotStatement(update_for_mail), HotStatement(insert_for_mail), HotStatement(read)


def save_for_mail(
    conn: Connection, fault_id: int | None, state: FaultState, title: str, at: datetime
) -> tuple[int, SavedFault | None]:
    """``save_state``, reading back in the same statement what a mail about the fault needs
    (None when its customer is gone): the write that leads to every fault mail, so the mail
    costs no further read of the fault. Where the database cannot return from a write, the
    fault is read after it."""
    values = state_values(state)
    dialect = conn.dialect
    update_for_mail, insert_for_mail, read_for_mail = _statements(dialect.name)
    if fault_id is not None and dialect.update_returning:
        statement, params = update_for_mail, {"fault_id": fault_id, "at": at, **values}
    elif fault_id is None and dialect.insert_returning:
        statement, params = insert_for_mail, {**opening_values(state, title, values), "at": at}
    else:
        fault_id = save_state(conn, fault_id, state, title, at)
        statement, params = read_for_mail, {"fault_id": fault_id, "at": at}
    found = statement.first(conn, params)
    if found is None:  # no such fault (an insert always returns its row)
        assert fault_id is not None
        return fault_id, None
    row = dict(zip(statement.keys, found, strict=True))
    if row["customer_name"] is None:  # as ``get_fault`` finds it: none to mail
        return int(row["id"]), None
    covered = None if row["incident_covered"] is None else bool(row["incident_covered"])
    emails = tuple(email for _, email in sorted(row["contacts"] or ()))
    saved = SavedFault(
        fault_view_of(row), covered, bool(row["explains_others"]), row["customer_zone"], emails,
        row["contract_tier"],
    )  # fmt: skip
    return int(row["id"]), saved
