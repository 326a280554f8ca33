"""Which check's fault explains which, as data: the rules a host's dependencies follow.

A rule names a *cause* (one check key, e.g. ``service:asterisk``) and the checks it *explains*
(check-key patterns, ``*`` matching anything: ``asterisk.trunk:*``). While the cause's fault is
open, every open fault the rule explains is recorded but not mailed; explained faults are
credited to their root: the failing cause that nothing else explains, following the rules
upwards (trunks under AMI under the Asterisk process).

A fault never explains itself, and the rules must not go round in circles: a rule that explains
another rule's cause, which explains the first one's, is refused (``RuleCycle``), naming it.
The rules for a host come from the shipped defaults for its kind, overridden by name per
customer and per host (``collector.config.dependencies``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property


class RuleCycle(ValueError):
    """Rules that explain each other in a circle; the message names a rule on it."""

    def __init__(self, rule: str, path: list[str]) -> None:
        super().__init__(f"dependency rule {rule!r} is part of a cycle: {' → '.join(path)}")
        self.rule = rule
        self.path = path


@dataclass(frozen=True)
class DependencyRule:
    name: str
    cause: str
    explains: tuple[str, ...]

    def covers(self, check_key: str) -> bool:
        """Whether an open fault of ``cause`` explains one of ``check_key``."""
        if check_key == self.cause:
            return False
        return any(fnmatchcase(check_key, pattern) for pattern in self.explains)


@dataclass(frozen=True)
class RuleSet:
    """The dependency rules that hold on one host, checked free of cycles when made."""

    rules: tuple[DependencyRule, ...] = ()

    def __post_init__(self) -> None:
        check_acyclic(self.rules)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.rules)

    def without(self, name: str) -> RuleSet:
        return RuleSet(tuple(rule for rule in self.rules if rule.name != name))

    def explainers(self, check_key: str, failing: Iterable[str]) -> list[str]:
        """The failing checks whose rules explain ``check_key``, sorted."""
        failing = set(failing)
        return sorted(
            {rule.cause for rule in self.rules if rule.cause in failing and rule.covers(check_key)}
        )

    def roots(self, failing: frozenset[str]) -> dict[str, str]:
        """Each explained failing check → the root cause that explains it, itself unexplained.

        Among several explainers the first in sort order is followed, so the answer is the
        same however the facts arrived."""
        if not self.rules:
            return {}
        parent = {}
        for check in failing:
            found = self.explainers(check, failing)
            if found:
                parent[check] = found[0]
        roots = {}
        for check in parent:
            cause = check
            while cause in parent:  # ends: the rules are acyclic, so are the parents
                cause = parent[cause]
            roots[check] = cause
        return roots


def merged(*layers: Iterable[DependencyRule | str]) -> RuleSet:
    """Layers of rules, later ones overriding earlier ones by name; a bare name in a layer
    removes the rule of that name (a customer or host that turns a default off)."""
    found: dict[str, DependencyRule] = {}
    for layer in layers:
        for rule in layer:
            if isinstance(rule, str):
                found.pop(rule, None)
            else:
                found[rule.name] = rule
    return RuleSet(tuple(found.values()))


def check_acyclic(rules: Iterable[DependencyRule]) -> None:
    """Raise ``RuleCycle`` if following "explains the cause of" from some rule returns to it."""
    rules = list(rules)
    edges: Mapping[str, list[DependencyRule]] = {
        rule.name: [other for other in rules if other is not rule and rule.covers(other.cause)]
        for rule in rules
    }
    done: set[str] = set()

    def visit(rule: DependencyRule, path: list[str]) -> None:
        if rule.name in path:
            cycle = [*path[path.index(rule.name) :], rule.name]
            raise RuleCycle(rule.name, cycle)
        if rule.name in done:
            return
        for nxt in edges[rule.name]:
            visit(nxt, [*path, rule.name])
        done.add(rule.name)

    for rule in rules:
        visit(rule, [])


@dataclass(frozen=True, eq=False)
class DependencyCatalogue:
    """Rules by host kind (``every_kind`` first), overridden per customer, then per host."""

    every_kind: tuple[DependencyRule, ...] = ()
    kinds: Mapping[str, tuple[DependencyRule, ...]] | None = None
    customers: Mapping[str, tuple[DependencyRule | str, ...]] | None = None
    hosts: Mapping[str, tuple[DependencyRule | str, ...]] | None = None

    def for_host(self, kind: str, customer_id: str, host_id: str) -> RuleSet:
        """The rules that hold on one host; raises ``RuleCycle`` if its overrides make one."""
        return _rules_for(self, kind, customer_id, host_id)

    def layers(
        self, kind: str, customer_id: str | None, host_id: str | None
    ) -> list[Iterable[DependencyRule | str]]:
        """The layers ``merged`` combines for a host (or a kind, or a customer: None for none)."""
        return [
            self.every_kind,
            (self.kinds or {}).get(kind, ()),
            (self.customers or {}).get(customer_id or "", ()),
            (self.hosts or {}).get(host_id or "", ()),
        ]


@functools.lru_cache(maxsize=4096)
def _rules_for(
    catalogue: DependencyCatalogue, kind: str, customer_id: str, host_id: str
) -> RuleSet:
    return merged(*catalogue.layers(kind, customer_id, host_id))
