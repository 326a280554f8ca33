"""The overview's triage: problems first, by urgency; search and filters; counts per customer."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.domain.host_status import HostStatus
from collector.store.inventory import Host
from dashboard.triage import Filters, TriageHost, triage

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEVEL = {"critical": "bad", "silent": "bad", "major": "warn", "minor": "warn", "ok": "ok"}
CUSTOMERS = [("acme", "Acme", "cat2"), ("zed", "Zed", "cat1"), ("bob", "Bob's", None)]


def row(host_id: str, customer: str, label: str, **extra: object) -> TriageHost:
    host = Host(host_id, customer, host_id, str(extra.get("kind", "server")), 60.0, NOW, NOW, 1)
    names = {cid: name for cid, name, _ in CUSTOMERS}
    tiers = {cid: tier for cid, _, tier in CUSTOMERS}
    status = HostStatus(label, LEVEL[label], int(label not in ("ok", "silent")), label == "silent")
    return TriageHost(
        host,
        names[customer],
        tiers[customer],
        status,
        bool(extra.get("maintenance", False)),
        tuple(str(t) for t in extra.get("targets", ())),  # type: ignore[attr-defined]
    )


FLEET = [
    row("a-ok", "acme", "ok", targets=["10.0.0.7:22"]),
    row("a-minor", "acme", "minor"),
    row("z-crit", "zed", "critical", kind="pbx"),
    row("z-silent", "zed", "silent", maintenance=True),
    row("b-major", "bob", "major"),
    row("b-ok", "bob", "ok"),
]


def ids(groups: list) -> list[tuple[str, list[str]]]:  # type: ignore[type-arg]
    return [(g.id, [h.host.id for h in g.hosts]) for g in groups]


def test_it_puts_the_most_urgent_customers_and_hosts_first() -> None:
    found = triage(FLEET, CUSTOMERS, [], Filters())
    assert ids(found.problems) == [
        ("zed", ["z-crit", "z-silent"]),
        ("bob", ["b-major"]),
        ("acme", ["a-minor"]),
    ]
    assert [g.id for g in found.customers] == ["acme", "zed", "bob"]
    assert found.customers[1].counts == [("critical", 1), ("silent", 1)]
    assert (found.shown, found.total) == (6, 6)


def test_it_searches_host_customer_and_address() -> None:
    assert ids(triage(FLEET, CUSTOMERS, [], Filters(q="10.0.0.7")).customers) == [
        ("acme", ["a-ok"])
    ]
    assert ids(triage(FLEET, CUSTOMERS, [], Filters(q="BOB")).customers) == [
        ("bob", ["b-major", "b-ok"])
    ]


def test_it_filters_by_tier_kind_and_state() -> None:
    assert triage(FLEET, CUSTOMERS, [], Filters(tier="cat1")).shown == 2
    assert ids(triage(FLEET, CUSTOMERS, [], Filters(kind="pbx")).customers) == [("zed", ["z-crit"])]
    silent = triage(FLEET, CUSTOMERS, [], Filters(state="maintenance"))
    assert ids(silent.problems) == [("zed", ["z-silent"])]
    healthy = triage(FLEET, CUSTOMERS, [], Filters(state="ok"))
    assert healthy.problems == [] and healthy.shown == 2


def test_it_ignores_a_filter_value_it_does_not_offer() -> None:
    query = {"tier": "platinum", "kind": "toaster", "state": "on fire", "q": "  acme "}
    assert Filters.from_query(query, ["cat1", "cat2"]) == Filters(q="acme")
