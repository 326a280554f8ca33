"""Polls of one SNMP agent through pysnmp's asyncio high-level API: GETs and a table WALK."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
    walk_cmd,
)
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from collector.snmp.notifications import plain
from collector.snmp.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from collector.store.snmp import SnmpAgent

_MISSING = (NoSuchObject, NoSuchInstance, EndOfMibView)


class PollError(Exception):
    """The agent did not answer, or answered with an error."""


@dataclass(frozen=True)
class PollAnswer:
    values: dict[str, Any] = field(default_factory=dict)  # OID → value, absent when missing
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # column → index → value


class Poller:
    """One pysnmp engine for every poll of this collector."""

    def __init__(self, *, timeout_s: float = 2.0, retries: int = 1) -> None:
        self._engine = SnmpEngine()
        self._timeout_s = timeout_s
        self._retries = retries

    async def poll(
        self, agent: SnmpAgent, scalars: Sequence[str], columns: Sequence[str] = ()
    ) -> PollAnswer:
        target = await UdpTransportTarget.create(
            (agent.address, agent.port), timeout=self._timeout_s, retries=self._retries
        )
        auth = _auth(agent)
        answer = PollAnswer()
        if scalars:
            error, status, index, rows = await get_cmd(
                self._engine, auth, target, ContextData(),
                *(ObjectType(ObjectIdentity(oid)) for oid in scalars), lookupMib=False,
            )  # fmt: skip
            _raise_for(error, status, index)
            for name, value in rows:
                if not isinstance(value, _MISSING):
                    answer.values[str(name)] = plain(value)
        for column in columns:
            answer.columns[column] = await self._walk(auth, target, column)
        return answer

    async def _walk(self, auth: Any, target: Any, column: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        prefix = column + "."
        async for error, status, index, rows in walk_cmd(
            self._engine, auth, target, ContextData(), ObjectType(ObjectIdentity(column)),
            lexicographicMode=False, lookupMib=False,
        ):  # fmt: skip
            _raise_for(error, status, index)
            for name, value in rows:
                oid = str(name)
                if oid.startswith(prefix) and not isinstance(value, _MISSING):
                    found[oid.removeprefix(prefix)] = plain(value)
        return found

    def close(self) -> None:
        self._engine.close_dispatcher()


def _auth(agent: SnmpAgent) -> Any:
    if agent.version == "3":
        return UsmUserData(
            agent.user,
            agent.auth_key or None,
            agent.priv_key or None,
            authProtocol=AUTH_PROTOCOLS[agent.auth_protocol],
            privProtocol=PRIV_PROTOCOLS[agent.priv_protocol],
        )
    return CommunityData(agent.community, mpModel=0 if agent.version == "1" else 1)


def _raise_for(error: Any, status: Any, index: Any) -> None:
    if error:
        raise PollError(str(error))
    if status:
        raise PollError(f"{status.prettyPrint()} at varbind {index}")
