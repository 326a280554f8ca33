"""``faultdesk-collector check``: the remote checks the collector runs against a host."""

from __future__ import annotations

import argparse

import yaml
from sqlalchemy import Engine

from collector.commands.console import (
    BadArgument,
    Subparsers,
    counted,
    group,
    leaf,
    now,
    say,
    table,
    when,
)
from collector.config.settings import CollectorConfig
from collector.domain.control_characters import refuse_control_characters
from collector.probes.runner import parse_options
from collector.store import inventory
from collector.store import probe_results as probe_store


def option_pair(text: str) -> tuple[str, object]:
    """``k=v``; the value is read as a YAML scalar, so ``port=2222`` is a number."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, yaml.safe_load(value) if value else ""
    except yaml.YAMLError:
        return key, value


def check_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    options = dict(args.option)
    try:
        refuse_control_characters(args.name or "")
    except ValueError as exc:
        raise BadArgument(f"--name: {exc}") from None
    try:
        parse_options(args.kind, args.target, options)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None
    with engine.begin() as conn:
        inventory.get_host(conn, args.host)
        check = probe_store.add_check(
            conn,
            args.host,
            args.kind,
            args.target,
            now(),
            name=args.name or "",
            options=options,
            interval_s=args.interval or config.probes.default_interval_s,
            enabled=not args.disabled,
            remote_access=args.remote_access,
        )
    state = "disabled" if args.disabled else f"every {check.interval_s:g} s"
    say(f"Check {check.label} of {args.host}: {check.target}, {state} (id {check.id}).")
    return 0


def check_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        inventory.get_host(conn, args.host)
        checks = probe_store.list_checks(conn, args.host)
        latest = probe_store.latest_by_check(conn, args.host)
    rows = []
    for c in checks:
        last = latest.get(c.id)
        seen = f"{last.verdict} at {when(last.at)}" if last else "not run yet"
        every = f"{c.interval_s:g} s" if c.enabled else "disabled"
        options = " ".join(f"{k}={v}" for k, v in sorted(c.options.items()))
        rows.append([str(c.id), c.label, c.target, every, seen, options])
    table(["ID", "CHECK", "TARGET", "INTERVAL", "LAST RESULT (UTC)", "OPTIONS"], rows)
    return 0


def check_remove(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    """Delete a check never run; one with results is refused, or with ``--force`` switched
    off for good, its results kept until the probe-result retention drops them."""
    with engine.begin() as conn:
        check = probe_store.get_check(conn, args.id)
        if check is None or check.host_id != args.host:
            raise inventory.NotFound(f"no check #{args.id} on host {args.host!r}")
        results = probe_store.result_count(conn, check.id)
        if not results:
            probe_store.remove_check(conn, check.id)
            say(f"Check {check.label} of {args.host} (id {check.id}) removed.")
            return 0
        if not args.force:
            raise inventory.AlreadyExists(
                f"check {check.label} of {args.host} has {counted(results, 'result')}: "
                "--force stops it for good and keeps them as its history"
            )
        probe_store.set_enabled(conn, check.id, False)
    kept = counted(results, "result")
    say(f"Check {check.label} of {args.host} stopped for good; its {kept} kept.")
    return 0


def register(subparsers: Subparsers) -> None:
    checks = group(subparsers, "check", "remote checks the collector runs against a host")
    add = leaf(checks, "add", check_add, "add a check to a host, or change the one of that name")
    add.add_argument("host")
    add.add_argument("--kind", required=True, choices=["ssh", "http", "sip", "tcp"])
    add.add_argument("--target", required=True, help="HOST[:PORT], or the URL for http")
    add.add_argument("--name", help="tells two checks of one kind apart")
    add.add_argument("--interval", type=float, metavar="S", help="default: from the config")
    add.add_argument(
        "--option",
        type=option_pair,
        action="append",
        default=[],
        metavar="K=V",
        help="probe option, e.g. user=root, key=/path, expect_status=200 (repeatable)",
    )
    add.add_argument("--disabled", action="store_true", help="store it without running it")
    add.add_argument(
        "--remote-access",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a failure means the customer withholds access and pauses SLA clocks "
        "(default: yes for ssh and http, no for sip and tcp)",
    )
    listing = leaf(checks, "list", check_list, "list a host's checks and their last result")
    listing.add_argument("host")
    summary = "remove a check (one with results only with --force, which keeps them)"
    remove = leaf(checks, "remove", check_remove, summary)
    remove.add_argument("host")
    remove.add_argument("id", type=int, help="the check's ID, from `check list`")
    remove.add_argument(
        "--force", action="store_true", help="a check with results: stop it, keep its history"
    )
