"""Removing a customer or a host: deleted outright when nothing refers to it; while history
does (reports, faults, incidents, hosts of a customer…) refused, unless forced, which archives
it instead (``collector.store.archive``), so what happened stays readable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from collector.store import archive
from collector.store.inventory import AlreadyExists


class HasHistory(AlreadyExists):
    """Refused: rows refer to it; ``dependents`` says which, by name and count."""

    def __init__(self, what: str, dependents: dict[str, int]) -> None:
        super().__init__(what)
        self.what = what
        self.dependents = dependents


@dataclass(frozen=True)
class Removal:
    what: str  # "host h1", "customer acme"
    archived: bool
    #: What the archived row keeps as history, by name and count.
    kept: dict[str, int] = field(default_factory=dict)
    #: Open faults that resolved with it.
    resolved: int = 0


class Remover(Protocol):
    def __call__(
        self, conn: Connection, item_id: str, /, *, force: bool, now: datetime, by: str
    ) -> Removal: ...


def remove_host(conn: Connection, host_id: str, *, force: bool, now: datetime, by: str) -> Removal:
    what = f"host {host_id}"
    dependents = archive.host_dependents(conn, host_id)
    if not dependents:
        archive.delete_host(conn, host_id)
        return Removal(what, archived=False)
    if not force:
        raise HasHistory(what, dependents)
    resolved = archive.archive_hosts(conn, [host_id], now, f"host archived by {by}")
    return Removal(what, archived=True, kept=dependents, resolved=resolved)


def remove_customer(
    conn: Connection, customer_id: str, *, force: bool, now: datetime, by: str
) -> Removal:
    what = f"customer {customer_id}"
    dependents = archive.customer_dependents(conn, customer_id)
    if not dependents:
        archive.delete_customer(conn, customer_id)
        return Removal(what, archived=False)
    if not force:
        raise HasHistory(what, dependents)
    resolved = archive.archive_customer(conn, customer_id, now, f"customer archived by {by}")
    return Removal(what, archived=True, kept=dependents, resolved=resolved)
