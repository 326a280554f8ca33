"""``faultdesk-collector probe ssh|http|sip|tcp|snmp TARGET``: run one probe now, plugin style.

For the engineer setting up a new customer, and for comparing verdicts with other tools: one
line ``SSH OK - SSH-2.0-OpenSSH_9.2p1 in 1.2 ms | time=0.001200s`` and the monitoring-plugin
exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN — usage errors included).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import types
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

from collector.probes.base import ProbeResult, Verdict
from collector.probes.targets import split_target

log = logging.getLogger(__name__)

EXIT_UNKNOWN = Verdict.UNKNOWN.exit_code


class PluginArgumentParser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which a monitoring system reads as CRITICAL."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNKNOWN, f"{self.prog}: error: {message}\n")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "probe", help="run one reachability probe now and print its verdict", description=__doc__
    )
    # The "probe" parser itself is built by the shared registry; give it the plugin exit code.
    parser.error = types.MethodType(PluginArgumentParser.error, parser)  # type: ignore[method-assign]
    kinds = parser.add_subparsers(
        dest="kind", required=True, metavar="KIND", parser_class=PluginArgumentParser
    )
    _add_ssh(kinds)
    _add_http(kinds)
    _add_sip(kinds)
    _add_tcp(kinds)
    _add_snmp(kinds)


def _add_ssh(kinds: argparse._SubParsersAction[PluginArgumentParser]) -> None:
    summary = "SSH banner, or key login with a pinned host key"
    ssh = kinds.add_parser("ssh", help=summary, description=summary)
    ssh.add_argument("target", metavar="HOST[:PORT]", type=host_and_port(22))
    ssh.add_argument("--user", help="log in as this user (needs --key)")
    ssh.add_argument("--key", help="private key file for the login")
    ssh.add_argument(
        "--host-key",
        help="pinned host key: an OpenSSH public key line (ssh-keyscan) or a file of one",
    )
    ssh.add_argument(
        "--trust-any-host-key",
        action="store_true",
        help="log in with --key without --host-key, trusting whatever key the server shows",
    )
    _add_timeout(ssh, 10.0)
    ssh.set_defaults(func=_run_ssh)


def _add_http(kinds: argparse._SubParsersAction[PluginArgumentParser]) -> None:
    http = kinds.add_parser(
        "http",
        help="HTTP(S) status, body text and certificate expiry",
        description="HTTP(S) status, body text and certificate expiry",
    )
    http.add_argument("target", metavar="URL", type=http_url)
    http.add_argument("--expect-status", type=status_set, help="accepted codes, e.g. 200,301")
    http.add_argument("--expect-text", help="text the body must contain")
    http.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    http.add_argument("--ca-file", help="trust this CA (PEM) instead of the system store")
    http.add_argument("--cert-warning-days", type=float, default=14)
    http.add_argument("--cert-critical-days", type=float, default=3)
    _add_timeout(http, 10.0)
    http.set_defaults(func=_run_http)


def _add_sip(kinds: argparse._SubParsersAction[PluginArgumentParser]) -> None:
    summary = "SIP OPTIONS ping"
    sip = kinds.add_parser("sip", help=summary, description=summary)
    sip.add_argument("target", metavar="HOST[:PORT]", type=host_and_port(5060))
    sip.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    _add_timeout(sip, 4.0)
    sip.set_defaults(func=_run_sip)


def _add_tcp(kinds: argparse._SubParsersAction[PluginArgumentParser]) -> None:
    summary = "TCP port open"
    tcp = kinds.add_parser("tcp", help=summary, description=summary)
    tcp.add_argument("target", metavar="HOST:PORT", type=host_and_port(None))
    _add_timeout(tcp, 5.0)
    tcp.set_defaults(func=_run_tcp)


def _add_snmp(kinds: argparse._SubParsersAction[PluginArgumentParser]) -> None:
    summary = "SNMP GET: the Mitel alarm level (by default) or the objects named"
    snmp = kinds.add_parser("snmp", help=summary, description=summary)
    snmp.add_argument("target", metavar="HOST[:PORT]", type=host_and_port(161))
    snmp.add_argument("--version", choices=("1", "2c", "3"), default="2c")
    snmp.add_argument("--community", help="SNMPv1/v2c community")
    snmp.add_argument("--oid", action="append", default=[], help="an object to GET (repeatable)")
    snmp.add_argument("--profile", default="mitel-3300", help="built-in mapping whose alarm "
                      "objects are read when no --oid is given")  # fmt: skip
    snmp.add_argument("--user", help="SNMPv3 user")
    snmp.add_argument("--auth-protocol", choices=("MD5", "SHA", "SHA-256", "SHA-512"))
    snmp.add_argument("--auth-key")
    snmp.add_argument("--priv-protocol", choices=("DES", "AES", "AES-256"))
    snmp.add_argument("--priv-key")
    _add_timeout(snmp, 2.0)
    snmp.set_defaults(func=_run_snmp)


def _add_timeout(parser: argparse.ArgumentParser, default_s: float) -> None:
    parser.add_argument(
        "--timeout", type=float, default=default_s, help=f"seconds (default {default_s:g})"
    )


def host_and_port(default_port: int | None) -> Callable[[str], tuple[str, int]]:
    """Parse ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""

    def parse(text: str) -> tuple[str, int]:
        try:
            return split_target(text, default_port=default_port)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected HOST:PORT: {exc}") from None

    return parse


def http_url(text: str) -> str:
    if not text.lower().startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, got {text!r}")
    return text


def status_set(text: str) -> set[int]:
    try:
        return {int(code) for code in text.split(",") if code.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected codes like 200,301, got {text!r}") from None


def _run_ssh(args: argparse.Namespace) -> int:
    from collector.probes.ssh import SshLogin, probe_ssh

    host, port = args.target
    login = None
    if args.user or args.key or args.host_key:
        if not (args.user and args.key):
            return _usage("ssh: --user and --key go together (--host-key pins the login)")
        if not args.host_key and not args.trust_any_host_key:
            # Sending a login to a server whose key is not checked is how keys get phished.
            return _usage(
                "ssh: a key login needs --host-key (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-),"
                " or --trust-any-host-key to log in without checking the server"
            )
        try:
            login = SshLogin(args.user, args.key, _read_host_key(args.host_key))
        except (OSError, ValueError) as exc:
            return _usage(f"ssh: --host-key: {exc}")
    return _run(probe_ssh(host, port, login=login, timeout_s=args.timeout))


def _read_host_key(value: str | None) -> str | None:
    """A key line as given, or the first key line of the file it names (ssh-keyscan > file)."""
    if value is None or not Path(value).is_file():
        return value
    lines = [line for line in Path(value).read_text().splitlines() if line.strip()]
    keys = [line for line in lines if not line.startswith("#")]
    if not keys:
        raise ValueError(f"no key in {value}")
    return keys[0]


def _run_http(args: argparse.Namespace) -> int:
    from collector.probes.http import probe_http

    return _run(
        probe_http(
            args.target,
            expect_status=args.expect_status,
            expect_text=args.expect_text,
            follow_redirects=not args.no_follow,
            cert_warning_days=args.cert_warning_days,
            cert_critical_days=args.cert_critical_days,
            ca_file=args.ca_file,
            timeout_s=args.timeout,
        )
    )


def _run_sip(args: argparse.Namespace) -> int:
    # Imported here so the other probes work while the SIP probe is missing or broken.
    from collector.probes.sip import probe_sip

    host, port = args.target
    return _run(probe_sip(host, port, transport=args.transport, timeout_s=args.timeout))


def _run_tcp(args: argparse.Namespace) -> int:
    from collector.probes.tcp import probe_tcp

    host, port = args.target
    return _run(probe_tcp(host, port, timeout_s=args.timeout))


def _run_snmp(args: argparse.Namespace) -> int:
    from collector.domain.snmp_profiles import BUILT_IN
    from collector.snmp.probe import probe_snmp
    from collector.store.snmp import SnmpAgent

    host, port = args.target
    if args.version == "3" and not args.user:
        return _usage("snmp: --version 3 needs --user")
    if args.version != "3" and not args.community:
        return _usage(f"snmp: --version {args.version} needs --community")
    profile = BUILT_IN.get(args.profile)
    if profile is None:
        return _usage(f"snmp: --profile: known profiles are {', '.join(sorted(BUILT_IN))}")
    oids = [oid.strip(".") for oid in args.oid]
    if any(not all(part.isdigit() for part in oid.split(".")) for oid in oids):
        return _usage("snmp: --oid takes numeric OIDs, like 1.3.6.1.2.1.1.1.0")
    agent = SnmpAgent(
        "probe", host, profile.name, args.version, community=args.community or "",
        user=args.user or "", auth_protocol=args.auth_protocol or "",
        auth_key=args.auth_key or "", priv_protocol=args.priv_protocol or "",
        priv_key=args.priv_key or "", port=port,
    )  # fmt: skip
    return _run(probe_snmp(agent, profile, oids, timeout_s=args.timeout))


def _run(probe: Coroutine[Any, Any, ProbeResult]) -> int:
    """The one boundary: whatever goes wrong inside a probe is UNKNOWN, never a traceback."""
    try:
        result = asyncio.run(probe)
    except Exception as exc:
        log.debug("probe failed", exc_info=True)
        sys.stdout.write(f"UNKNOWN - {type(exc).__name__}: {exc}\n")
        return EXIT_UNKNOWN
    sys.stdout.write(format_result(result) + "\n")
    return result.verdict.exit_code


def format_result(result: ProbeResult) -> str:
    """``SSH OK - <detail> in 1.2 ms | time=0.001200s``, as Nagios-style plugins print."""
    line = f"{result.kind.upper()} {result.verdict.value.upper()} - {result.detail}"
    if result.latency_ms is None:
        return line
    if not result.detail.endswith(" ms"):  # the SIP probe already says "200 OK in 3.1 ms"
        line += f" in {result.latency_ms:.1f} ms"
    return f"{line} | time={result.latency_ms / 1000:.6f}s"


def _usage(message: str) -> int:
    sys.stderr.write(f"faultdesk-collector probe {message}\n")
    return EXIT_UNKNOWN
