"""A storm of new problems on one host becomes one fault that lists them.

A host reporting 5,000 stopped processes at once would otherwise open 5,000 faults, 5,000
incidents and 10,000 mails, and every other customer's mail would queue behind them. When one
report raises more than ``limit`` new problems (checks failing that were not failing before),
they are left unobserved and one ``host.many_problems`` observation stands for them, its detail
naming them. Problems already failing keep their own faults; once a report raises ``limit`` or
fewer new ones, each is observed on its own again and the storm's fault clears.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.domain.policy import Status
from collector.domain.watches import Observation, WatchState

MANY_PROBLEMS = "host.many_problems"
#: New problems in one report above which they become one fault.
DEFAULT_LIMIT = 20
#: Problems named in the storm's detail; the rest are counted.
NAMED = 50

_FAILING = (Status.WARNING, Status.CRITICAL)


def _is_new_problem(observation: Observation, previous: Mapping[str, WatchState]) -> bool:
    if observation.status not in _FAILING:
        return False
    before = previous.get(observation.check_key)
    return before is None or before.status not in _FAILING


def calm(
    found: list[Observation], previous: Mapping[str, WatchState], limit: int = DEFAULT_LIMIT
) -> list[Observation]:
    """``found`` as it is when it raises ``limit`` new problems or fewer (with the storm, if
    one was raised, observed over); else without its new problems and with one storm."""
    new = [o for o in found if _is_new_problem(o, previous)]
    if len(new) <= limit:
        if MANY_PROBLEMS not in previous or not found:
            return found
        at = found[0].at
        return [*found, Observation(MANY_PROBLEMS, at, Status.OK, 0.0, "no storm of problems")]
    kept = [o for o in found if not _is_new_problem(o, previous)]
    named = "; ".join(o.detail or o.check_key for o in new[:NAMED])
    more = f"; and {len(new) - NAMED} more" if len(new) > NAMED else ""
    detail = f"{len(new)} problems at once: {named}{more}"
    worst = Status.CRITICAL if any(o.status is Status.CRITICAL for o in new) else Status.WARNING
    return [*kept, Observation(MANY_PROBLEMS, new[0].at, worst, float(len(new)), detail)]
