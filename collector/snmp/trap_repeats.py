"""Traps read before, kept as patterns for the same notification sent again.

A sender repeating a notification (a storm, an alarm re-sent until it is cleared) renews only
a few elements of the datagram each time: the request-id and sysUpTime.0 of an SNMPv2c trap,
the time-stamp of a v1 trap. Every other byte repeats. So a datagram ``TrapReader`` has read
whole is kept with those elements as holes (where they lie, and the type pysnmp's schema
gives each). A later datagram from the same source, of the same length and equal to it outside
the holes, carries the same notification once each of its holes holds, exactly, an element
pyasn1 decodes as that type: the reader decodes two elements instead of eleven.

This module only keeps and finds the patterns; the decoding is the reader's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from collector.snmp.notifications import Notification

#: The last bytes of a datagram, part of its key: in a trap they are those of its last
#: binding, which no sender renews, so notifications of one length are told apart cheaply.
TAIL = 16


@dataclass(frozen=True)
class Hole:
    """Where a renewed element lies in the datagram, and what pyasn1 must decode it as."""

    start: int
    end: int
    spec: Any


@dataclass(frozen=True)
class Pattern:
    data: bytes
    holes: tuple[Hole, ...]  # in the order they lie, none overlapping
    notification: Notification

    def fits(self, data: bytes) -> bool:
        """Whether ``data`` is this datagram but for what lies in the holes."""
        if len(data) != len(self.data):
            return False
        at = 0
        for hole in self.holes:
            if data[at : hole.start] != self.data[at : hole.start]:
                return False
            at = hole.end
        return data[at:] == self.data[at:]

    def renewed(self, data: bytes) -> Iterator[tuple[bytes, Any]]:
        """The elements in ``data``'s holes with their types; none when ``data`` is this
        very datagram again."""
        if data == self.data:
            return
        for hole in self.holes:
            yield data[hole.start : hole.end], hole.spec


class Patterns:
    """At most ``bound`` patterns of at most ``largest`` bytes; past it the oldest goes."""

    def __init__(self, bound: int, largest: int) -> None:
        self._bound = bound
        self._largest = largest
        self._kept: dict[tuple[str, int, bytes], Pattern] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def find(self, source: str, data: bytes) -> Pattern | None:
        pattern = self._kept.get((source, len(data), data[-TAIL:]))
        return pattern if pattern is not None and pattern.fits(data) else None

    def keep(self, data: bytes, holes: tuple[Hole, ...], notification: Notification) -> None:
        if len(data) > self._largest:
            return
        key = (notification.source, len(data), data[-TAIL:])
        if key not in self._kept and len(self._kept) >= self._bound:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = Pattern(data, holes, notification)
