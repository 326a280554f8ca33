"""Load the dependency rules (``config/dependencies.yaml``) into a ``DependencyCatalogue``.

The shape of the file is documented at its top. A bad file, or rules that explain each other
in a circle (for a kind, or once a customer's or a host's overrides apply), is refused naming
the file, the line when known and the rule.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from collector.config.settings import ConfigError, describe_errors, load_yaml
from collector.config.shipped import shipped_file
from collector.domain.dependency_rules import (
    DependencyCatalogue,
    DependencyRule,
    RuleCycle,
    merged,
)

if TYPE_CHECKING:
    from collector.config.settings import CollectorConfig

#: A check key names one check; a cause is one of them, never a pattern.
_CHECK_KEY = r"^[^*?\[\]\x00-\x1f\x7f]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    cause: str = Field(min_length=1, max_length=300, pattern=_CHECK_KEY)
    explains: list[str] = Field(min_length=1)

    def rule(self) -> DependencyRule:
        return DependencyRule(self.name, self.cause, tuple(self.explains))


class OverrideSpec(_Strict):
    #: Rules to add, or to put in place of the inherited rule of the same name.
    rules: list[RuleSpec] = []
    #: Names of inherited rules that do not hold here.
    remove: list[str] = []

    def layer(self) -> tuple[DependencyRule | str, ...]:
        return (*self.remove, *(spec.rule() for spec in self.rules))


class DependenciesSpec(_Strict):
    every_kind: list[RuleSpec] = []
    kinds: dict[str, list[RuleSpec]] = {}
    customers: dict[str, OverrideSpec] = {}
    hosts: dict[str, OverrideSpec] = {}


def dependencies_for(config: CollectorConfig | None) -> DependencyCatalogue:
    """The rules the collector runs with: its ``dependencies_file``, else the shipped one.
    Read once per file per process, like the tier catalogue."""
    path = config.dependencies_file if config is not None else None
    return _catalogue_at(path or default_dependencies_path())


@functools.cache
def _catalogue_at(path: Path) -> DependencyCatalogue:
    return load_dependencies(path)


@functools.cache
def default_dependencies_path() -> Path:
    """``config/dependencies.yaml`` in the source tree, else the installed copy. Looked for
    once per process, as the tier catalogue's: every run that acts on a customer asks."""
    return shipped_file("dependencies.yaml", "dependency rules")


def load_dependencies(path: Path | str) -> DependencyCatalogue:
    """Read and validate a rules file, or raise ``ConfigError`` naming file, line and rule."""
    path = Path(path)
    data, node = load_yaml(path)
    try:
        spec = DependenciesSpec.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, node, exc)) from None
    catalogue = DependencyCatalogue(
        every_kind=tuple(rule.rule() for rule in spec.every_kind),
        kinds={kind: tuple(r.rule() for r in rules) for kind, rules in spec.kinds.items()},
        customers={name: o.layer() for name, o in spec.customers.items()},
        hosts={name: o.layer() for name, o in spec.hosts.items()},
    )
    _refuse_cycles(path, node, catalogue)
    return catalogue


def _refuse_cycles(path: Path, node: yaml.Node | None, catalogue: DependencyCatalogue) -> None:
    """Every kind alone, then with each customer's and each host's overrides, and with both."""
    kinds = sorted({"server", "pbx", *(catalogue.kinds or {})})
    customers = [None, *sorted(catalogue.customers or {})]
    hosts = [None, *sorted(catalogue.hosts or {})]
    for kind in kinds:
        for customer in customers:
            for host in hosts:
                try:
                    merged(*catalogue.layers(kind, customer, host))
                except RuleCycle as exc:
                    message = _cycle_message(path, node, exc, (kind, customer, host))
                    raise ConfigError(message) from None


def _cycle_message(
    path: Path, node: yaml.Node | None, exc: RuleCycle, layer: tuple[str, str | None, str | None]
) -> str:
    """The cycle, at the line of its rule in the most specific layer: the override that made
    it, rather than the default it closes the circle with."""
    kind, customer, host = layer
    places = [("hosts", host, "rules"), ("customers", customer, "rules"), ("kinds", kind),
              ("every_kind",)]  # fmt: skip
    for place in places:
        for rule in exc.path:
            line = _rule_line(node, place, rule)
            if line is not None:
                return f"{path}:{line}: {RuleCycle(rule, _from(exc.path, rule))}"
    return f"{path}: {exc}"


def _from(cycle: list[str], rule: str) -> list[str]:
    """The same cycle told from ``rule``."""
    start = cycle.index(rule)
    return cycle[start:-1] + cycle[:start] + [rule]


def _rule_line(node: yaml.Node | None, place: tuple[str | None, ...], rule: str) -> int | None:
    """The line of the entry named ``rule`` in the list of rules at ``place``, if there."""
    for part in place:
        if part is None or not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if k.value == part), None)
    if not isinstance(node, yaml.SequenceNode):
        return None
    for entry in node.value:
        if isinstance(entry, yaml.MappingNode):
            for key, value in entry.value:
                if key.value == "name" and value.value == rule:
                    return int(entry.start_mark.line) + 1
    return None
