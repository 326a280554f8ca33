"""``faultdesk-collector sla due``: quote a fault's due times, as an operator would on the phone.

Times must carry their offset (``2026-12-24T18:10Z`` or ``...+01:00``): a bare wall time is
refused rather than guessed as UTC, because the caller is usually thinking in the customer's
zone and a silent guess would quote the wrong hour. On-site and parts clocks start at ``--at``
unless given their own times, so the quote shows every target the tier has.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collector.config.tiers import CatalogueError, default_catalogue_path, load_catalogue
from collector.domain.sla import Explanation, explain
from collector.domain.tiers import DEFAULT_REGION, SEVERITIES, Tier

REGIONS = ("north_america", DEFAULT_REGION)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    summary = "contract SLA clocks: when a fault's response targets fall due"
    sla = subparsers.add_parser("sla", help=summary, description=summary)
    commands = sla.add_subparsers(dest="sla_command", required=True, metavar="SLA_COMMAND")
    due = commands.add_parser(
        "due",
        help="print each target's due time for a fault raised at a given time",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    due.add_argument("--tier", required=True, help="tier name from the catalogue, e.g. cat1")
    due.add_argument("--severity", required=True, choices=SEVERITIES)
    due.add_argument(
        "--at", required=True, type=aware_time, help="ISO 8601 with offset or Z, or now"
    )
    due.add_argument("--onsite-requested-at", type=aware_time, help="default: --at")
    due.add_argument("--failure-confirmed-at", type=aware_time, help="default: --at")
    due.add_argument("--region", choices=REGIONS, default=DEFAULT_REGION, help="for part return")
    due.add_argument("--catalogue", type=Path, help="tier catalogue (default: shipped tiers.yaml)")
    due.add_argument("--json", action="store_true", help='print {"targets": {name: UTC ISO}}')
    due.set_defaults(func=run_due)


def aware_time(text: str) -> datetime:
    """Parse ISO 8601 with an offset, or ``now``; naive times are an argument error."""
    if text.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; add Z or an offset such as +01:00"
        )
    return parsed.astimezone(UTC)


def run_due(args: argparse.Namespace) -> int:
    try:
        catalogue = load_catalogue(args.catalogue or default_catalogue_path())
    except (CatalogueError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    tier = catalogue.get(args.tier)
    if tier is None:
        sys.stderr.write(f"error: unknown tier {args.tier!r}; one of {', '.join(catalogue)}\n")
        return 2
    explanations = explain(
        tier,
        args.severity,
        args.at,
        onsite_requested_at=args.onsite_requested_at or args.at,
        failure_confirmed_at=args.failure_confirmed_at or args.at,
        region=args.region,
    )
    if args.json:
        sys.stdout.write(json.dumps(_as_json(tier, args, explanations), indent=2) + "\n")
    else:
        sys.stdout.write(_as_text(tier, args, explanations))
    return 0


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _as_json(tier: Tier, args: argparse.Namespace, found: dict[str, Explanation]) -> Any:
    return {
        "tier": tier.name,
        "severity": args.severity,
        "opened_at": utc_iso(args.at),
        "covered": tier.covered,
        "targets": {name: utc_iso(e.due) for name, e in found.items()},
        "local": {name: _local(e).isoformat() for name, e in found.items()},
        "zones": {name: e.zone for name, e in found.items()},
        "explanations": {name: e.sentence for name, e in found.items()},
    }


def _local(explanation: Explanation) -> datetime:
    return explanation.due.astimezone(ZoneInfo(explanation.zone))


def _as_text(tier: Tier, args: argparse.Namespace, found: dict[str, Explanation]) -> str:
    lines = [f"{tier.name} ({tier.title}), {args.severity}, raised {utc_iso(args.at)}"]
    if not tier.covered:
        lines.append(
            "not covered: no response target. Faults are still recorded and emailed;"
            " refer the customer to sales."
        )
    elif not found:
        lines.append(f"no response targets for {args.severity} faults on this tier")
    width = max((len(name) for name in found), default=0)
    for name, e in found.items():
        local = _local(e)
        lines.append(
            f"{name:<{width}}  {utc_iso(e.due)}  {local:%Y-%m-%d %H:%M} {local.tzname()} {e.zone}"
        )
        lines.append(f"{'':<{width}}  {e.rule}: {e.sentence}")
    return "\n".join(lines) + "\n"
