"""What people do to incidents, each recorded with who and when (contract changes:
``collector.operations.contract_terms``).

Lifecycle: open → responded → onsite_requested → on_site → resolved → closed. A visit is
optional (responded → resolved), and a fault that clears resolves its incident by itself, with
the first-response target's outcome (``collector.store.incidents.resolve_for_fault``).
Resolving or closing by hand while the fault is still open needs ``force``. Waiting on the
customer can start and stop in any state before resolved; it pauses the response and resolution
clocks. Anything else is refused with ``TransitionRefused`` saying what the incident's state allows.

After every change the due times are recalculated from the incident's frozen terms (see
``collector.engine.incident_terms``) and the stored response due time follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from collector.domain.access import ON_REQUEST, AccessRules
from collector.domain.sla import TargetClock, format_local
from collector.domain.tiers import Tier, format_duration
from collector.engine.clock_facts import ClockFacts
from collector.engine.incident_clock import DEFAULT_RULES, incident_clocks
from collector.store import faults as fault_store
from collector.store import incident_pauses
from collector.store import incidents as incident_store
from collector.store.incident_view import IncidentView


class IncidentError(Exception):
    """Base of what an incident action refuses."""


class IncidentNotFound(IncidentError, LookupError):
    pass


class TransitionRefused(IncidentError):
    """The action does not apply to the incident in its current state."""


class FaultStillOpen(TransitionRefused):
    """Resolving or closing an incident whose fault is still open needs saying so (``force``)."""


#: How each status reads in a sentence.
STATUS_WORDS = {
    "open": "open (no response yet)",
    "responded": "responded to",
    "onsite_requested": "waiting for an on-site visit",
    "on_site": "being worked on on site",
    "resolved": "resolved",
    "closed": "closed",
}
_WORKING = frozenset({"open", "responded", "onsite_requested", "on_site"})


def status_words(status: str) -> str:
    """``onsite_requested`` → ``waiting for an on-site visit``: what people read, on the
    operators' pages, the customers' and in refusals alike."""
    return STATUS_WORDS.get(status, status)


@dataclass(frozen=True)
class IncidentStep:
    """A lifecycle step: from which states, to which, and the moment column it sets."""

    allowed_from: frozenset[str]
    to: str
    stamp: str
    event: str
    words: str


STEPS = {
    "respond": IncidentStep(
        frozenset({"open"}), "responded", "responded_at", "responded", "first response given"
    ),
    "onsite": IncidentStep(
        frozenset({"responded"}),
        "onsite_requested",
        "onsite_requested_at",
        "onsite_requested",
        "on-site visit requested",
    ),
    "arrived": IncidentStep(
        frozenset({"onsite_requested"}), "on_site", "on_site_at", "on_site", "engineer on site"
    ),
    "resolve": IncidentStep(
        frozenset({"responded", "onsite_requested", "on_site"}),
        "resolved",
        "resolved_at",
        "resolved",
        "resolved",
    ),
    "close": IncidentStep(frozenset({"resolved"}), "closed", "closed_at", "closed", "closed"),
}


@dataclass(frozen=True)
class PartsStep:
    """A parts-lifecycle moment: recorded once, after the one before it, whatever the status
    (a part goes back after the incident is resolved)."""

    column: str
    after: str | None
    event: str
    words: str


PARTS_STEPS = {
    "confirm": PartsStep(
        "failure_confirmed_at", None, "failure_confirmed", "failure confirmed, parts needed"
    ),
    "dispatch": PartsStep(
        "parts_dispatched_at", "failure_confirmed_at", "parts_dispatched", "parts dispatched"
    ),
    "deliver": PartsStep(
        "parts_delivered_at", "parts_dispatched_at", "parts_delivered", "parts delivered"
    ),
    "return": PartsStep("part_returned_at", "parts_delivered_at", "part_returned", "part returned"),
}
#: Parts are a diagnosis's consequence: after the first response, and on after resolution.
_PARTS_FROM = frozenset({"responded", "onsite_requested", "on_site", "resolved"})
_BEFORE_WORDS = {step.column: step.words for step in PARTS_STEPS.values()}
#: Every action, in the order buttons and help list them.
ACTIONS = (*STEPS, *PARTS_STEPS, "wait", "resume", "access-granted")


def perform(
    conn: Connection,
    incident: int | IncidentView,
    action: str,
    *,
    by: str,
    now: datetime,
    catalogue: Mapping[str, Tier],
    note: str = "",
    rules: AccessRules = DEFAULT_RULES,
    force: bool = False,
) -> IncidentView:
    """Apply ``action`` as ``by`` at ``now`` to ``incident`` (its id, or its view as the
    caller read it in this transaction); returns the incident as it is afterwards.

    Resolving or closing while the incident's fault is still open is refused
    (``FaultStillOpen``) unless ``force``; then the timeline says it was done anyway."""
    incident = incident if isinstance(incident, IncidentView) else _get(conn, incident)
    incident_id = incident.id
    step = STEPS.get(action)
    if step is not None and incident.status not in step.allowed_from:
        raise _refuse(incident, step.words, step.allowed_from)  # before reading anything more
    still_open = action in _ENDINGS and _fault_open(conn, incident)
    if still_open and not force:
        raise FaultStillOpen(
            f"the fault of incident {incident.reference} ({incident.title}) is still open; "
            f"to {action} the incident anyway, confirm it (--force)"
        )
    # The clocks' facts are read once for before and after: no step touches them but the
    # waits on the customer, read again after the steps that start or end one.
    facts = ClockFacts.read(conn, [incident], now, rules) if incident.covered else None
    clocks = incident_clocks(conn, incident, catalogue, now, rules, facts)
    before: dict[str, datetime | None] = {name: clock.due for name, clock in clocks.items()}
    before["first_response"] = incident.response_due_at  # as last stored and shown
    if step is not None:
        detail = _step(conn, incident, step, now)
    elif action == "wait":
        detail = _wait(conn, incident, now)
    elif action == "resume":
        detail = _resume(conn, incident, now)
    elif action == "access-granted":
        detail = _grant(conn, incident, by, now)
    elif action in PARTS_STEPS:
        detail = _parts(conn, incident, PARTS_STEPS[action], now)
    else:
        raise TransitionRefused(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    incident = _as_written(incident, action, by, now)
    if facts is not None and _moved_a_wait(action, facts, incident_id):
        facts.read_waits(conn)
    after = recompute_due(conn, incident, catalogue, now, rules, facts)
    incident = _as_stored(incident, after, now)
    if incident.responded_at is not None:  # met: where it would fall now is beside the point
        after.pop("first_response", None)
    detail += _moved(before, after)
    if still_open:
        detail += " while its fault was still open (confirmed)"
    event = _event(action)
    detail = f"{detail}: {note}" if note else detail
    incident_store.record_event(conn, incident_id, now, event, by, detail)
    return incident


#: The actions that end a wait on the customer if there is one (resolving or closing too).
_ENDING_WAITS = frozenset({"resume", "resolve", "close"})


def _moved_a_wait(action: str, facts: ClockFacts, incident_id: int) -> bool:
    """Whether the action (done) started or ended a wait on the customer: the waits in
    ``facts`` were read before it, in the same transaction."""
    return action == "wait" or (action in _ENDING_WAITS and facts.waiting(incident_id))


def _as_written(incident: IncidentView, action: str, by: str, now: datetime) -> IncidentView:
    """The incident once ``action`` (done) was written: what reading it back would return,
    known from the writes, which each changed the row or refused (compare-and-set)."""
    at = now.astimezone(UTC)  # as the store hands it back
    written: dict[str, Any] = {}  # waits are rows of their own: they change nothing here
    if action in STEPS:
        written = {"status": STEPS[action].to, STEPS[action].stamp: at}
    elif action in PARTS_STEPS:
        written = {PARTS_STEPS[action].column: at}
    elif action == "access-granted":
        written = {"access_granted_at": at, "access_granted_by": by[:100]}
    return replace(incident, **written)


def _as_stored(
    incident: IncidentView, clocks: Mapping[str, TargetClock], now: datetime
) -> IncidentView:
    """The incident once ``recompute_due`` stored its response due time from ``clocks``."""
    if not _response_due_moves(incident, now):
        return incident
    response = clocks.get("first_response")
    return replace(incident, response_due_at=response.due if response else None)


#: The timeline entry of a wait on the customer started: the only way one starts.
WAITING_EVENT = "waiting_on_customer"
_EVENTS = {"wait": WAITING_EVENT, "resume": "resumed", "access-granted": "access_granted"}
_ENDINGS = frozenset({"resolve", "close"})


def _event(action: str) -> str:
    if action in STEPS:
        return STEPS[action].event
    if action in PARTS_STEPS:
        return PARTS_STEPS[action].event
    return _EVENTS[action]


def _parts(conn: Connection, incident: IncidentView, step: PartsStep, now: datetime) -> str:
    if incident.status not in _PARTS_FROM:
        raise _refuse(incident, step.words, _PARTS_FROM)
    if step.after is not None and getattr(incident, step.after) is None:
        needed = _BEFORE_WORDS[step.after]
        raise TransitionRefused(
            f"incident {incident.reference}: '{step.words}' needs {needed} first"
        )
    if not incident_store.record_moment(conn, incident.id, step.column, now):
        raise TransitionRefused(f"incident {incident.reference}: {step.words} was recorded already")
    return step.words


def _fault_open(conn: Connection, incident: IncidentView) -> bool:
    fault = fault_store.get_fault(conn, incident.fault_id)
    return fault is not None and fault.is_open


def allowed_actions(incident: IncidentView, waiting: bool) -> list[str]:
    """The actions the incident's state allows now, in ``ACTIONS`` order."""
    found = [name for name, t in STEPS.items() if incident.status in t.allowed_from]
    if incident.status in _PARTS_FROM:
        found += [name for name, step in PARTS_STEPS.items() if _parts_due(incident, step)]
    if incident.status in _WORKING:
        found.append("resume" if waiting else "wait")
        if _awaits_grant(incident):
            found.append("access-granted")
    return found


def _parts_due(incident: IncidentView, step: PartsStep) -> bool:
    done = getattr(incident, step.column) is not None
    return not done and (step.after is None or getattr(incident, step.after) is not None)


def _awaits_grant(incident: IncidentView) -> bool:
    return incident.access_rule == ON_REQUEST and incident.access_granted_at is None


def _get(conn: Connection, incident_id: int) -> IncidentView:
    incident = incident_store.get_incident(conn, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return incident


def _refuse(incident: IncidentView, words: str, allowed: frozenset[str]) -> TransitionRefused:
    wanted = " or ".join(STATUS_WORDS[s] for s in sorted(allowed, key=list(STATUS_WORDS).index))
    return TransitionRefused(
        f"incident {incident.reference} is {status_words(incident.status)}; "
        f"'{words}' needs it to be {wanted}"
    )


def _step(conn: Connection, incident: IncidentView, step: IncidentStep, now: datetime) -> str:
    """Take the step the incident's status allows (``perform`` refused it otherwise)."""
    changed = incident_store.transition(
        conn, incident.id, from_status=incident.status, to_status=step.to, stamp=step.stamp, at=now
    )
    if not changed:  # someone else moved it in between: say what it is now
        raise _refuse(_get(conn, incident.id), step.words, step.allowed_from)
    if step.to in ("resolved", "closed") and incident_pauses.stop_waiting(conn, incident.id, now):
        return f"{step.words} (no longer waiting on the customer)"
    return step.words


def _wait(conn: Connection, incident: IncidentView, now: datetime) -> str:
    if incident.status not in _WORKING:
        raise _refuse(incident, "waiting on the customer", _WORKING)
    since = incident_pauses.waiting_since(conn, incident.id)
    if since is not None:
        raise TransitionRefused(
            f"incident {incident.reference} is already waiting on the customer, "
            f"since {since:%H:%M} UTC"
        )
    incident_pauses.start_waiting(conn, incident.id, now)
    return "waiting on the customer: the response and resolution clocks stop"


def _resume(conn: Connection, incident: IncidentView, now: datetime) -> str:
    since = incident_pauses.stop_waiting(conn, incident.id, now)
    if since is None:
        raise TransitionRefused(f"incident {incident.reference} is not waiting on the customer")
    waited = format_duration(max(now - since, timedelta()))
    return f"the customer answered after {waited}; the clocks run again"


def _grant(conn: Connection, incident: IncidentView, by: str, now: datetime) -> str:
    if incident.access_rule != ON_REQUEST:
        raise TransitionRefused(
            f"incident {incident.reference}: the customer gives access without being asked; "
            "there is nothing to grant"
        )
    if incident.status not in _WORKING:
        raise _refuse(incident, "access granted", _WORKING)
    if not incident_store.grant_access(conn, incident.id, by=by, at=now):
        raise TransitionRefused(
            f"incident {incident.reference}: access was already recorded as given"
        )
    waited = format_duration(max(now - incident.opened_at, timedelta()))
    return f"the customer gave access after {waited}; the clocks run again"


def recompute_due(
    conn: Connection,
    incident: IncidentView,
    catalogue: Mapping[str, Tier],
    now: datetime,
    rules: AccessRules = DEFAULT_RULES,
    facts: ClockFacts | None = None,
) -> dict[str, TargetClock]:
    """Every started target's clock with the pauses so far; stores the response due time
    while it may still move: until the response (or the incident's end), the last time at the
    moment it comes. ``facts``: as ``incident_clocks`` takes them."""
    clocks = incident_clocks(conn, incident, catalogue, now, rules, facts)
    if _response_due_moves(incident, now):
        response = clocks.get("first_response")
        due = response.due if response else None
        if due != incident.response_due_at:
            incident_store.set_response_due(conn, incident.id, due)
    return clocks


def _response_due_moves(incident: IncidentView, now: datetime) -> bool:
    """A covered incident's stored response due time follows its clock until the target
    finished, before ``now``: after that it is history."""
    return incident.covered and not incident.finished_before("first_response", now)


def _moved(before: Mapping[str, datetime | None], after: Mapping[str, TargetClock]) -> str:
    """Which due times the change started or moved, on each target's own wall clock."""
    said = [
        f"{name.replace('_', ' ')} due {due_words(clock)}"
        for name, clock in after.items()
        if before.get(name) != clock.due
    ]
    return f"; {', '.join(said)}" if said else ""


def due_words(clock: TargetClock) -> str:
    """``Tue 29 Dec 11:00 Europe/London``: the due time as the customer's clock shows it."""
    return f"{format_local(clock.due, clock.calendar)} {clock.calendar.zone}"
