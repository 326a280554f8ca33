"""``faultdesk-agent``: ``run`` the daemon, or ``check`` every configured probe once.

Importing this module pulls in the standard library, and PyYAML only when a config is read;
the daemon, the probes and the HTTP client are imported by the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from agent.config import DEFAULT_CONFIG_PATH, AgentConfig, ConfigError, load_config

_OK_STATUSES = ("ok", "warning")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        sys.stderr.write(f"faultdesk-agent: {exc}\n")
        return 2
    _setup_logging(config.log_level)
    if args.command == "run":
        return _run(args.config, config)
    return _check(config)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faultdesk-agent", description="Faultdesk agent: host and PBX health reports."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "run the agent daemon (logs to stderr)"),
        ("check", "run every configured probe once and print the results"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument(
            "--config", type=Path, default=DEFAULT_CONFIG_PATH, help="agent YAML config file"
        )
    return parser


def _setup_logging(level: str) -> None:
    # Under systemd, journald stamps each line itself.
    stamp = "" if "JOURNAL_STREAM" in os.environ else "%(asctime)s "
    logging.basicConfig(
        stream=sys.stderr, level=level.upper(), format=stamp + "%(levelname)s %(name)s: %(message)s"
    )


def _run(config_path: Path, config: AgentConfig) -> int:
    from agent.keyfile import KeyFileError, read_host_key

    try:
        key = read_host_key(config.key_file)
    except KeyFileError as exc:
        sys.stderr.write(f"faultdesk-agent: {exc}\n")
        return 2
    from agent.daemon import run_agent

    return run_agent(config_path, config, key)


def _check(config: AgentConfig) -> int:
    """A table for the engineer installing the agent; exit 1 when something needs attention."""
    from agent.daemon import build_probes, sample_probes

    entries, _ = sample_probes(build_probes(config), {})
    rows = [
        (name, e["status"], summarize(name, e["metrics"]), e["error"])
        for name, e in entries.items()
    ]
    rows += [_key_row(config), _collector_row(config), _dead_letter_row(config)]
    width = max(len(row[0]) for row in rows) + 2
    out = sys.stdout
    out.write(f"{'PROBE':<{width}}{'STATUS':<10}DETAILS\n")
    for name, status, details, error in rows:
        out.write(f"{name:<{width}}{status:<10}{details}\n")
        if error:
            out.write(f"{'':<{width}}{'':<10}error: {error}\n")
    return 0 if all(row[1] in _OK_STATUSES for row in rows) else 1


def _key_row(config: AgentConfig) -> tuple[str, str, str, str | None]:
    from agent.keyfile import KeyFileError, read_host_key

    try:
        read_host_key(config.key_file)
    except KeyFileError as exc:
        return ("key_file", "error", str(config.key_file), str(exc))
    return ("key_file", "ok", f"{config.key_file} readable by this user only", None)


def _collector_row(config: AgentConfig) -> tuple[str, str, str, str | None]:
    from agent.sender import check_collector

    try:
        answer = check_collector(config.collector_url, config.timeout_s, config.ca_bundle)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return ("collector", "error", config.collector_url, f"not reachable: {reason}")
    return ("collector", "ok", answer, None)


def _dead_letter_row(config: AgentConfig) -> tuple[str, str, str, str | None]:
    """How many reports the collector refused for good, and the newest one's reason and place."""
    from agent.dead_letter import DEAD_LETTER_DIR, DeadLetters
    from agent.spool import STATE_FILE, AgentState

    folder = config.spool_dir / DEAD_LETTER_DIR
    try:
        total = AgentState.read(config.spool_dir / STATE_FILE).totals["dead_lettered"]
    except FileNotFoundError:
        total = 0
    except (OSError, ValueError) as exc:
        return ("dead_letters", "error", str(folder), f"cannot read the agent state: {exc}")
    dead_letters = DeadLetters(folder)
    try:
        total = max(total, len(dead_letters.seqs()))  # a lost or reset state file still counts them
        latest = dead_letters.latest()
    except OSError as exc:
        return ("dead_letters", "error", str(folder), f"cannot read: {exc}")
    if latest is None:
        return ("dead_letters", "ok", f"{total} reports refused by the collector", None)
    details = (
        f"{total} reports refused by the collector and set aside in {folder}; "
        f"latest seq {latest.seq} at {latest.refused_at}: HTTP {latest.status}: {latest.reason}"
    )
    return ("dead_letters", "warning", details, None)


def summarize(name: str, metrics: dict[str, Any]) -> str:
    """The few numbers an engineer looks at first."""
    if name == "system" and metrics:
        return _summarize_system(metrics)
    if name == "services":
        parts = [
            f"{len(metrics.get(kind) or {})} {kind}" for kind in ("processes", "units", "ports")
        ]
        return f"{', '.join(parts)} checked; {len(metrics.get('down', []))} down"
    scalars = [f"{k}={v}" for k, v in metrics.items() if isinstance(v, str | int | float | bool)]
    text = ", ".join(scalars[:8])
    return text if len(text) <= 110 else text[:109] + "…"


def _summarize_system(metrics: dict[str, Any]) -> str:
    parts = [
        f"cpu {metrics.get('cpu_percent')}%",
        f"mem {(metrics.get('memory') or {}).get('used_percent')}%",
        f"swap {(metrics.get('swap') or {}).get('used_percent')}%",
        f"load {metrics.get('load_1m', 0):.2f}",
    ]
    filesystems = metrics.get("filesystems") or {}
    if filesystems:
        mount, fs = max(filesystems.items(), key=lambda item: item[1]["used_percent"])
        parts.append(f"{len(filesystems)} filesystems, fullest {mount} {fs['used_percent']}%")
    if "uptime_s" in metrics:
        parts.append(f"up {metrics['uptime_s'] / 86400:.1f} d")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
