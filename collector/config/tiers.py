"""Load the tier catalogue (``config/tiers.yaml``) into ``collector.domain.tiers`` objects.

Validation is strict — unknown keys, duplicate keys, bad zones, unknown holiday countries,
unparseable hours and dangling calendar names are all refused — and each error names the file,
the line and the field (schema errors are all listed; past the schema, the first problem of each
calendar and tier), e.g. ``config/tiers.yaml:41: tiers.cat1.targets.first_response.within: ...``.

The shape of the file is documented at the top of ``config/tiers.yaml`` itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays
import yaml
from pydantic import ValidationError

from collector.config.shipped import shipped_file
from collector.config.tiers_schema import (
    DAY_NAMES,
    BillingSpec,
    CalendarSpec,
    CatalogueSpec,
    EscalationSpec,
    TargetSpec,
    TierSpec,
    parse_clock,
    parse_duration,
    parse_weekdays,
)
from collector.domain.calendar import BusinessCalendar, DateOverride, Holiday, WorkingHours
from collector.domain.tiers import (
    SEVERITIES,
    TARGET_NAMES,
    Billing,
    Entitlement,
    Escalation,
    Target,
    Tier,
)

if TYPE_CHECKING:
    from collector.config.settings import CollectorConfig

__all__ = [
    "Catalogue",
    "CatalogueError",
    "catalogue_for",
    "default_catalogue_path",
    "load_catalogue",
    "parse_duration",
]

#: Tiers by name, as every caller reads them.
Catalogue = Mapping[str, Tier]

Loc = tuple[str | int, ...]


def catalogue_for(config: CollectorConfig | None) -> Catalogue:
    """The catalogue the collector runs with: its ``tiers_file``, else the shipped one.

    Read and validated once per file per process; editing the file takes a restart (the
    collector refuses to start on a bad one, so a running collector never loads one).
    """
    tiers_file = config.tiers_file if config is not None else None
    return _catalogue_at(tiers_file or default_catalogue_path())


@functools.cache
def _catalogue_at(path: Path) -> Catalogue:
    return load_catalogue(path)


@functools.cache
def default_catalogue_path() -> Path:
    """``config/tiers.yaml`` next to the source tree, else the installed copy under the prefix.
    Looked for once per process: every sweep asks (a file-system search each time)."""
    return shipped_file("tiers.yaml", "tier catalogue")


class CatalogueError(ValueError):
    """The catalogue is unusable; the message lists every problem as file:line: field: why."""


class _Problems(Exception):
    """Semantic errors collected while building, each with where it is."""

    def __init__(self, found: list[tuple[Loc, str]]) -> None:
        super().__init__(found)
        self.found = found


def load_catalogue(path: str | Path) -> dict[str, Tier]:
    """Read, validate and build every tier in the file, keyed by tier name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        _refuse_duplicate_keys(path, root)
        spec = CatalogueSpec.model_validate(yaml.safe_load(text))
        return _build(spec)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the tier catalogue: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        found = [(tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        raise CatalogueError(_describe(path, root, found)) from exc
    except _Problems as exc:
        raise CatalogueError(_describe(path, root, exc.found)) from exc


def _describe(path: Path, root: yaml.Node | None, found: list[tuple[Loc, str]]) -> str:
    lines = []
    for loc, message in found:
        field = ".".join(str(part) for part in loc) or "(top level)"
        lines.append(f"{path}:{_line_of(root, loc)}: {field}: {message}")
    return "\n".join(lines)


def _line_of(node: yaml.Node | None, loc: Loc) -> int:
    """1-based line of the deepest YAML node ``loc`` reaches (pydantic's own steps are skipped)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _refuse_duplicate_keys(path: Path, node: yaml.Node | None) -> None:
    """PyYAML keeps the last of two equal keys silently; a second ``cat1:`` must be an error."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise CatalogueError(
                    f"{path}:{key.start_mark.line + 1}: duplicate key {key.value!r}"
                )
            seen.add(key.value)
            _refuse_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(path, item)


def _build(spec: CatalogueSpec) -> dict[str, Tier]:
    problems: list[tuple[Loc, str]] = []
    calendars = {}
    for name, cal in spec.calendars.items():
        built = _attempt(problems, ("calendars", name), _build_calendar, name, cal)
        if built is not None:
            calendars[name] = built
    if problems:  # tiers naming a broken calendar would only repeat its error
        raise _Problems(problems)
    tiers = {}
    for name, tier in spec.tiers.items():
        built_tier = _attempt(problems, ("tiers", name), _build_tier, name, tier, calendars)
        if built_tier is not None:
            tiers[name] = built_tier
    if problems:
        raise _Problems(problems)
    return tiers


def _attempt(problems: list[tuple[Loc, str]], loc: Loc, build: Any, *args: Any) -> Any:
    """Run one builder; a ``_Field`` error is recorded under ``loc`` + its own path."""
    try:
        return build(*args)
    except _FieldError as exc:
        problems.append(((*loc, *exc.loc), exc.message))
    return None


class _FieldError(Exception):
    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


def _field(loc: Loc, convert: Any, *args: Any) -> Any:
    """Call ``convert``; a ValueError/KeyError/NotImplementedError becomes a field error."""
    try:
        return convert(*args)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise _FieldError(loc, str(exc).strip("'\"") or type(exc).__name__) from exc


def _build_calendar(name: str, spec: CalendarSpec) -> BusinessCalendar:
    _field(("zone",), ZoneInfo, spec.zone)
    weekly: list[tuple[WorkingHours, ...] | None] = [None] * 7
    for key, texts in spec.hours.items():
        hours = tuple(_field(("hours", key), WorkingHours.parse, text) for text in texts)
        for day in _field(("hours", key), parse_weekdays, key):
            if weekly[day] is not None:
                raise _FieldError(("hours", key), f"{DAY_NAMES[day]} is given twice")
            weekly[day] = hours
    if spec.holidays is not None:
        source = spec.holidays
        _field(("holidays",), lambda: holidays.country_holidays(source.country, source.subdiv))
    overrides = tuple(
        DateOverride(
            day,
            tuple(_field(("overrides", str(day), "hours"), WorkingHours.parse, t) for t in o.hours),
            o.reason,
        )
        for day, o in spec.overrides.items()
    )
    return _field(
        (),
        BusinessCalendar,
        spec.zone,
        tuple(hours or () for hours in weekly),
        spec.holidays.country if spec.holidays else None,
        spec.holidays.subdiv if spec.holidays else None,
        tuple(Holiday(day, reason) for day, reason in spec.closed.items()),
        overrides,
        name,
    )


def _optional_duration(loc: Loc, text: str | None) -> timedelta | None:
    return None if text is None else _field(loc, parse_duration, text)


def _build_tier(name: str, spec: TierSpec, calendars: dict[str, BusinessCalendar]) -> Tier:
    calendar = _calendar_named(("calendar",), spec.calendar, calendars)
    severities = {}
    for severity in SEVERITIES:
        merged = _merged_targets(spec, severity)
        severities[severity] = {
            target: _build_target(_where(spec, severity, target), tspec, calendar, calendars)
            for target, tspec in sorted(merged.items(), key=lambda kv: TARGET_NAMES.index(kv[0]))
            if tspec is not None
        }
        if not spec.covered and severities[severity]:
            raise _FieldError(("covered",), "a tier that is not covered cannot have targets")
    esc = spec.escalation
    if esc.pages_on_call and not (esc.page_severities and esc.page_response):
        raise _FieldError(("escalation",), "paging needs page_severities and page_response")
    return Tier(
        name=name,
        title=spec.title,
        covered=spec.covered,
        calendar=calendar,
        severities=severities,
        escalation=_build_escalation(esc),
        billing=_build_billing(spec.billing),
        entitlement=Entitlement(
            front_of_queue=spec.entitlement.front_of_queue,
            named_contacts=spec.entitlement.named_contacts,
            not_covered=tuple(spec.entitlement.not_covered),
            included=tuple(spec.entitlement.included),
            excluded_checks=tuple(
                (entry.checks, entry.reason) for entry in spec.entitlement.excluded_checks
            ),
        ),
        source=spec.source,
        support_phones=tuple(spec.support_phones),
    )


def _merged_targets(spec: TierSpec, severity: str) -> dict[str, TargetSpec | None]:
    """The tier-wide targets with this severity's additions; ``null`` removes one."""
    merged: dict[str, TargetSpec | None] = {str(k): v for k, v in spec.targets.items()}
    for name, targets in spec.severities.items():
        if name == severity:
            merged.update({str(k): v for k, v in targets.items()})
    return merged


def _where(spec: TierSpec, severity: str, target: str) -> Loc:
    if any(name == severity and target in t for name, t in spec.severities.items()):
        return ("severities", severity, target)
    return ("targets", target)


def _calendar_named(
    loc: Loc, name: str | None, calendars: dict[str, BusinessCalendar]
) -> BusinessCalendar | None:
    if name is None:
        return None
    if name not in calendars:
        known = ", ".join(sorted(calendars)) or "none defined"
        raise _FieldError(loc, f"unknown calendar {name!r} (known: {known})")
    return calendars[name]


def _build_target(
    loc: Loc,
    spec: TargetSpec,
    default: BusinessCalendar | None,
    calendars: dict[str, BusinessCalendar],
) -> Target:
    calendar = _calendar_named((*loc, "calendar"), spec.calendar, calendars) or default
    if calendar is None:
        raise _FieldError(loc, "no calendar: give the tier or the target one")
    days = spec.business_days or {}
    if days and "other" not in days:
        raise _FieldError((*loc, "business_days"), "regional business days need an 'other'")
    cutoff = spec.same_day_cutoff
    return _field(
        loc,
        Target,
        calendar,
        _optional_duration((*loc, "within"), spec.within),
        None,
        tuple(sorted(days.items())),
        None if cutoff is None else _field((*loc, "same_day_cutoff"), parse_clock, cutoff),
    )


def _build_escalation(spec: EscalationSpec) -> Escalation:
    return Escalation(
        pages_on_call=spec.pages_on_call,
        page_severities=frozenset(spec.page_severities),
        page_response=_optional_duration(("escalation", "page_response"), spec.page_response),
        repage_after=_optional_duration(("escalation", "repage_after"), spec.repage_after),
        escalate_after=_optional_duration(("escalation", "escalate_after"), spec.escalate_after),
        outside_hours_only=spec.outside_hours_only,
    )


def _build_billing(spec: BillingSpec) -> Billing:
    if spec.price is not None and spec.currency is None:
        raise _FieldError(("billing", "currency"), "a price needs a currency")
    return Billing(
        price=spec.price,
        currency=spec.currency,
        price_per=spec.price_per,
        plus_vat=spec.plus_vat,
        per_port=spec.per_port,
        max_hours_per_incident=_optional_duration(
            ("billing", "max_hours_per_incident"), spec.max_hours_per_incident
        ),
        credit_valid_days=spec.credit_valid_days,
        charge_product_defects=spec.charge_product_defects,
        vendor_may_decline=spec.vendor_may_decline,
    )
