"""Which lost access pauses an incident's clock: the customer's side withholding it.

Seed 002: remote access (root SSH and HTTP) is a condition of support, and "any delay in
providing access will not be part of our target response times". Made precise:

* Only a host's **remote-access checks** count: those marked so, by default its SSH and HTTP
  checks. A failing SIP, TCP or unmarked HTTP check is a fault to fix, not access withheld.
* Access lost pauses only while the host is **otherwise alive** (its agent still reports): a
  host that is down is the fault itself, and withholds nothing.
* An incident **about** lost access or a silent host (its own outage, and the faults that outage
  explains) never pauses for it: its clock is what the outage is measured by.
* When access fails for **several customers at once**, or a vendor-side canary fails, the
  vendor's own network is to blame: nothing pauses for that time.
* A customer who gives access **on request** withholds it from the incident's opening until an
  operator records that it was given.

Everything here is spans of time in and spans of time out; the store finds the facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from collector.domain.calendar import Pause

#: Check kinds that are remote access unless a check says otherwise.
ACCESS_KINDS = frozenset({"ssh", "http"})
#: Access given only when asked (``access: on_request`` on a customer or host).
ON_REQUEST = "on_request"
ACCESS_RULES = ("always", ON_REQUEST)
#: Check keys an incident can be about that *are* an outage of access or of the host.
_OUTAGE_PREFIXES = ("remote.", "host.down", "site.down", "agent.heartbeat")
#: What each kind of remote check proves reachable, for "paused 40 min while SSH was lost".
_KIND_WORDS = {"ssh": "SSH", "http": "HTTP", "sip": "SIP", "tcp": "TCP"}
WAITING_FOR_GRANT = "access on request not yet given"
VENDOR_NETWORK = "the vendor's network was down"

Span = tuple[datetime, datetime]


def is_access_check(kind: str, flag: bool | None) -> bool:
    """A check's own ``remote_access`` flag, else the default for its kind."""
    return kind in ACCESS_KINDS if flag is None else flag


def check_kind(check_key: str) -> str:
    """``remote.ssh:backup`` → ``ssh``."""
    return check_key.partition(":")[0].removeprefix("remote.")


def access_words(check_key: str) -> str:
    kind = check_kind(check_key)
    return _KIND_WORDS.get(kind, kind.upper() or "remote access")


def is_outage_key(check_key: str) -> bool:
    """The fault is itself an outage of access or of the host: its incident never pauses."""
    return check_key.startswith(_OUTAGE_PREFIXES)


def access_is_on_request(customer_rule: str | None, host_rule: str | None) -> bool:
    """The host's rule wins over the customer's."""
    return (host_rule or customer_rule) == ON_REQUEST


@dataclass(frozen=True)
class AccessLoss:
    """One access check of one customer failing over ``[start, end)``; end None: still."""

    customer_id: str
    check_key: str
    start: datetime
    end: datetime | None

    def span(self, until: datetime) -> Span:
        return (self.start, min(self.end or until, until))


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans as one; empty spans dropped."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(spans: Iterable[Span], holes: Iterable[Span]) -> list[Span]:
    """What of ``spans`` lies outside every hole."""
    result = merge(spans)
    for hole_start, hole_end in merge(holes):
        cut: list[Span] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                cut.append((start, end))
                continue
            if start < hole_start:
                cut.append((start, hole_start))
            if hole_end < end:
                cut.append((hole_end, end))
        result = cut
    return result


def vendor_network_spans(
    losses: Sequence[AccessLoss], canaries: Sequence[Span], until: datetime, customers: int
) -> list[Span]:
    """When the vendor's network was down: ``customers`` or more customers losing access at
    once, or any canary failing."""
    edges: list[tuple[datetime, int, str]] = []
    for loss in losses:
        start, end = loss.span(until)
        if end > start:
            edges += [(start, 1, loss.customer_id), (end, -1, loss.customer_id)]
    down: list[Span] = list(canaries)
    open_by: dict[str, int] = {}
    since: datetime | None = None
    for at, step, customer in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        open_by[customer] = open_by.get(customer, 0) + step
        if open_by[customer] == 0:
            del open_by[customer]
        if since is None and len(open_by) >= customers:
            since = at
        elif since is not None and len(open_by) < customers:
            down.append((since, at))
            since = None
    if since is not None:
        down.append((since, until))
    return merge(down)


def access_pauses(
    losses: Sequence[AccessLoss],
    *,
    host_silent: Sequence[Span],
    vendor_down: Sequence[Span],
    until: datetime,
) -> list[Pause]:
    """The host's access losses as pauses, each naming what was lost: only while the agent
    reported (``host_silent`` cut out) and the vendor's network was up."""
    holes = [*host_silent, *vendor_down]
    pieces: list[tuple[datetime, datetime, str]] = []
    for loss in losses:
        words = access_words(loss.check_key)
        pieces += [(s, e, words) for s, e in subtract([loss.span(until)], holes)]
    merged: list[tuple[datetime, datetime, list[str]]] = []
    for start, end, words in sorted(pieces):
        if merged and start <= merged[-1][1]:
            first, last, names = merged[-1]
            merged[-1] = (first, max(last, end), names if words in names else [*names, words])
        else:
            merged.append((start, end, [words]))
    return [Pause(start, end, _unreachable(names)) for start, end, names in merged]


def grant_pause(opened_at: datetime, granted_at: datetime | None, until: datetime) -> list[Pause]:
    """Access given on request: withheld from the opening until it was given."""
    end = min(granted_at or until, until)
    return [Pause(opened_at, end, WAITING_FOR_GRANT)] if end > opened_at else []


def _unreachable(names: list[str]) -> str:
    verb = "was" if len(names) == 1 else "were"
    return f"{' and '.join(names)} {verb} unreachable"


@dataclass(frozen=True)
class AccessRules:
    """The collector's settings that decide pauses (``monitoring`` in its configuration)."""

    #: An agent is silent this many reporting intervals before its heartbeat fault opens.
    missed_intervals: int = 3
    #: This many customers losing access at once is the vendor's network, not theirs.
    vendor_network_customers: int = 3
    #: Hosts on the vendor's side whose lost access means the vendor's network is down.
    canary_hosts: tuple[str, ...] = ()


def vendor_network_cause(
    losses: Sequence[AccessLoss], failing_canaries: Sequence[str], now: datetime, customers: int
) -> str | None:
    """Why the vendor's network looks down at ``now``, or None when it does not."""
    if failing_canaries:
        return f"vendor-side canary unreachable: {', '.join(sorted(set(failing_canaries)))}"
    lost = sorted({loss.customer_id for loss in losses if loss.start <= now and loss.end is None})
    if len(lost) >= customers:
        return f"{len(lost)} customers lost remote access at once: {', '.join(lost)}"
    return None
