"""Hosts' SNMP settings, received traps waiting for the leader, alarm status and host events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, union_all, update

from collector.store.columns import UtcDateTime
from collector.store.schema import hosts, probe_results
from collector.store.telemetry_schema import host_events, host_snmp, snmp_status, snmp_traps

VERSIONS = ("1", "2c", "3")


@dataclass(frozen=True)
class SnmpAgent:
    """How the collector talks SNMP with one host: where, which version, which secret."""

    host_id: str
    address: str
    profile: str
    version: str = "2c"
    community: str = ""
    user: str = ""
    auth_protocol: str = ""
    auth_key: str = ""
    priv_protocol: str = ""
    priv_key: str = ""
    engine_id: str = ""
    port: int = 161

    def public(self) -> dict[str, Any]:
        """The settings without their secrets, for the API and the host page."""
        shown = {"version": self.version, "profile": self.profile, "port": self.port}
        if self.version == "3":
            shown |= {"user": self.user, "auth_protocol": self.auth_protocol,
                      "priv_protocol": self.priv_protocol, "engine_id": self.engine_id}  # fmt: skip
        return shown


@dataclass(frozen=True)
class ReceivedTrap:
    host_id: str
    received_at: datetime
    notification: str
    varbinds: dict[str, Any]
    count: int = 1
    id: int = 0


@dataclass(frozen=True)
class AlarmStatus:
    host_id: str
    level: str | None = None
    categories: list[dict[str, str]] = field(default_factory=list)
    sys_descr: str = ""
    polled_at: datetime | None = None
    poll_error: str = ""
    traps_total: int = 0
    last_trap_at: datetime | None = None
    restarted_at: datetime | None = None


@dataclass(frozen=True)
class HostEvent:
    at: datetime
    kind: str
    detail: str
    count: int = 1


def set_agent(conn: Connection, agent: SnmpAgent) -> None:
    """Create or replace the host's SNMP settings."""
    conn.execute(delete(host_snmp).where(host_snmp.c.host_id == agent.host_id))
    conn.execute(insert(host_snmp).values(**asdict(agent)))


def get_agent(conn: Connection, host_id: str) -> SnmpAgent | None:
    row = conn.execute(select(host_snmp).where(host_snmp.c.host_id == host_id)).first()
    return _agent(row) if row is not None else None


def all_agents(conn: Connection) -> list[SnmpAgent]:
    """The SNMP agents traps are taken from and polls go to: an archived host's are not."""
    query = (
        select(host_snmp)
        .join(hosts, hosts.c.id == host_snmp.c.host_id)
        .where(hosts.c.archived_at.is_(None))
        .order_by(host_snmp.c.host_id)
    )
    return [_agent(row) for row in conn.execute(query)]


def address_taken(conn: Connection, address: str, host_id: str) -> bool:
    query = select(host_snmp.c.host_id).where(
        host_snmp.c.address == address, host_snmp.c.host_id != host_id
    )
    return conn.execute(query).first() is not None


def _agent(row: Any) -> SnmpAgent:
    return SnmpAgent(**{f.name: getattr(row, f.name) for f in fields(SnmpAgent)})


def add_traps(conn: Connection, traps: Sequence[ReceivedTrap]) -> int:
    rows = [
        {"host_id": t.host_id, "received_at": t.received_at, "notification": t.notification,
         "varbinds": t.varbinds, "count": t.count}
        for t in traps
    ]  # fmt: skip
    if rows:
        conn.execute(insert(snmp_traps), rows)
    return len(rows)


def claim_traps(conn: Connection, now: datetime, limit: int = 500) -> list[ReceivedTrap]:
    """The oldest unprocessed traps, marked processed here (only rows still unclaimed count:
    one statement marks them all and names those it marked)."""
    query = (
        select(snmp_traps)
        .where(snmp_traps.c.processed_at.is_(None))
        .order_by(snmp_traps.c.id)
        .limit(limit)
    )
    rows = conn.execute(query).all()
    if not rows:
        return []
    mark = (
        update(snmp_traps)
        .where(snmp_traps.c.id.in_([row.id for row in rows]), snmp_traps.c.processed_at.is_(None))
        .values(processed_at=now)
        .returning(snmp_traps.c.id)
    )
    marked = set(conn.scalars(mark))
    return [
        ReceivedTrap(
            row.host_id, row.received_at, row.notification, dict(row.varbinds),
            row._mapping["count"], row.id,
        )
        for row in rows
        if row.id in marked
    ]  # fmt: skip


def prune_traps(conn: Connection, before: datetime) -> int:
    """Delete traps processed before ``before``: their effect is in the check states, the
    status and the events; the rows only hand traps from receivers to the leader."""
    done = snmp_traps.c.processed_at.is_not(None) & (snmp_traps.c.processed_at < before)
    return int(conn.execute(delete(snmp_traps).where(done)).rowcount)


def load_status(conn: Connection, host_id: str) -> AlarmStatus:
    row = conn.execute(select(snmp_status).where(snmp_status.c.host_id == host_id)).first()
    if row is None:
        return AlarmStatus(host_id)
    return AlarmStatus(
        host_id, row.level, list(row.categories or []), row.sys_descr, row.polled_at,
        row.poll_error, int(row.traps_total), row.last_trap_at, row.restarted_at,
    )  # fmt: skip


def save_status(conn: Connection, status: AlarmStatus, now: datetime) -> None:
    values = {k: v for k, v in asdict(status).items() if k != "host_id"}
    values["updated_at"] = now
    done = conn.execute(
        update(snmp_status).where(snmp_status.c.host_id == status.host_id).values(**values)
    )
    if not done.rowcount:
        conn.execute(insert(snmp_status).values(host_id=status.host_id, **values))


def last_watched(conn: Connection, host_ids: Iterable[str]) -> dict[str, datetime]:
    """When what watches each host from outside last had its say: its newest SNMP poll
    (answered or not), trap or remote check run; a host never watched yet is left out.
    What a host with no agent has instead of its agent's last report."""
    ids = sorted(set(host_ids))
    if not ids:
        return {}
    of_hosts = snmp_status.c.host_id.in_(ids)
    runs = (
        select(probe_results.c.host_id, func.max(probe_results.c.at))
        .where(probe_results.c.host_id.in_(ids))
        .group_by(probe_results.c.host_id)
    )
    said = union_all(
        select(snmp_status.c.host_id, snmp_status.c.polled_at.label("at")).where(of_hosts),
        select(snmp_status.c.host_id, snmp_status.c.last_trap_at).where(of_hosts),
        runs,
    ).subquery()
    query = select(said.c.host_id, func.max(said.c.at, type_=UtcDateTime)).group_by(said.c.host_id)
    return {host_id: at for host_id, at in conn.execute(query) if at is not None}


def add_event(
    conn: Connection, host_id: str, at: datetime, kind: str, detail: str, count: int = 1
) -> None:
    conn.execute(
        insert(host_events).values(host_id=host_id, at=at, kind=kind, detail=detail, count=count)
    )


def recent_events(conn: Connection, host_id: str, limit: int = 50) -> list[HostEvent]:
    query = (
        select(host_events)
        .where(host_events.c.host_id == host_id)
        .order_by(host_events.c.at.desc(), host_events.c.id.desc())
        .limit(limit)
    )
    return [HostEvent(r.at, r.kind, r.detail, r._mapping["count"]) for r in conn.execute(query)]
