"""SSH probe: is the customer's sshd answering, and does the vendor's key still get in?

Remote access is a condition of support, so this is the probe that pauses SLA clocks. Two paths:

* banner only — TCP connect and read the ``SSH-2.0-…`` identification line with a bare asyncio
  Protocol (``collector.probes.wire``). It runs for every host on every interval, so it stays
  cheap: no key exchange, no stream objects.
* key login — a full asyncssh handshake as the configured user, with the host key pinned. The
  pinned key is checked during key exchange, before any authentication request is sent, so a
  host whose key changed (re-installed, or someone in the middle) never sees our key or user.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from collector.probes.asyncssh_import import asyncssh
from collector.probes.base import ProbeResult, Verdict
from collector.probes.tcp import format_target
from collector.probes.wire import (
    ConnectFailed,
    Exchange,
    ReplyError,
    ReplyTimeout,
    describe_connect_error,
    exchange,
)

#: Sent back after the server's banner so its log shows who called, not a bare disconnect.
CLIENT_IDENT = b"SSH-2.0-Faultdesk_probe\r\n"
#: RFC 4253 4.2 lets a server send other lines before its identification; cap how many we read.
MAX_PRE_BANNER_LINES = 20
#: A line longer than this before the banner means the peer is not an SSH server.
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True)
class SshLogin:
    """Who to log in as, with which key, and which host key to accept.

    ``pinned_host_key`` is an OpenSSH public key line (``ssh-ed25519 AAAA…``; an ``ssh-keyscan``
    line with the host name in front is accepted too). ``None`` accepts any host key and reports
    the one presented in ``data["host_key"]`` so it can be pinned. A malformed pin is a
    configuration error and raises ValueError here, at configuration time.
    """

    username: str
    client_key_path: str
    pinned_host_key: str | None = None

    def __post_init__(self) -> None:
        if self.pinned_host_key is not None:
            parse_host_key(self.pinned_host_key)

    def pinned_key(self) -> asyncssh.SSHKey | None:
        if self.pinned_host_key is None:
            return None
        return parse_host_key(self.pinned_host_key)


def parse_host_key(line: str) -> asyncssh.SSHKey:
    """Parse an OpenSSH public key line, with or without a leading ``ssh-keyscan`` host name."""
    fields = line.split()
    for candidate in (line.strip(), " ".join(fields[1:])):
        try:
            return asyncssh.import_public_key(candidate)
        except (asyncssh.KeyImportError, ValueError):
            continue
    raise ValueError(f"not an OpenSSH public key line: {line[:60]!r}")


def openssh_line(key: asyncssh.SSHKey) -> str:
    """The key as ``<type> <base64>``, the form ssh-keyscan prints and SshLogin accepts."""
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"{algorithm} {blob}"


async def probe_ssh(
    host: str, port: int = 22, *, timeout_s: float = 10.0, login: SshLogin | None = None
) -> ProbeResult:
    """Check one SSH endpoint: banner only, or a pinned-host-key login when ``login`` is given."""
    if login is not None:
        return await _probe_login(host, port, login, timeout_s)
    return await _probe_banner(host, port, timeout_s)


class _BannerReader(Exchange[str]):
    """Reads lines until the ``SSH-`` identification, then says who called and is done."""

    closed_early = "connection closed before the SSH banner"

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._pending = b""
        self._lines = 0

    def feed(self, data: bytes) -> None:
        self._pending += data
        while (end := self._pending.find(b"\n")) >= 0:
            line, self._pending = self._pending[:end], self._pending[end + 1 :]
            text = line.decode("ascii", "replace").rstrip("\r")
            if text.startswith("SSH-"):
                if self.transport is not None:
                    self.transport.write(CLIENT_IDENT)
                self.finish(text)
                return
            self._lines += 1
            if self._lines >= MAX_PRE_BANNER_LINES:
                raise ReplyError(f"no SSH banner in the first {MAX_PRE_BANNER_LINES} lines")
        if len(self._pending) > MAX_LINE_BYTES:
            raise ReplyError("not an SSH server: overlong first line")


async def _probe_banner(host: str, port: int, timeout_s: float) -> ProbeResult:
    target = format_target(host, port)
    started = time.perf_counter()
    try:
        reader = await exchange(_BannerReader, host, port, timeout_s)
    except ConnectFailed as exc:
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, str(exc))
    except ReplyTimeout:
        detail = f"no banner within {timeout_s:g} s"
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail)
    except ReplyError as exc:
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, str(exc))
    except OSError as exc:
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, describe_connect_error(exc))
    latency_ms = (time.perf_counter() - started) * 1000.0
    banner = reader.reply.result()
    data = {"banner": banner, "connect_ms": (reader.connected_at - started) * 1000.0}
    if not banner.startswith(("SSH-2.0-", "SSH-1.99-")):
        detail = f"SSH protocol 2 not offered: {banner}"
        return ProbeResult("ssh", target, Verdict.CRITICAL, latency_ms, detail, data)
    return ProbeResult("ssh", target, Verdict.OK, latency_ms, banner, data)


class _HostKeyRecorder(asyncssh.SSHClient):
    """Remembers the key a server presented when it was not the pinned one, and refuses it."""

    def __init__(self) -> None:
        self.presented: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.presented = key
        return False


async def _probe_login(host: str, port: int, login: SshLogin, timeout_s: float) -> ProbeResult:
    target = format_target(host, port)
    pinned = login.pinned_key()
    try:
        client_key = asyncssh.read_private_key(login.client_key_path)
    except (OSError, asyncssh.KeyImportError) as exc:
        detail = f"cannot read client key {login.client_key_path}: {exc}"
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail)
    recorder = _HostKeyRecorder()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            conn = await _connect(host, port, login.username, client_key, pinned, recorder)
    except asyncssh.HostKeyNotVerifiable:
        return _host_key_changed(target, pinned, recorder.presented)
    except (asyncssh.KeyExchangeFailed, asyncssh.ConnectionLost, ConnectionResetError) as exc:
        detail = _describe_login_error(exc, login.username, timeout_s)
        if pinned is None:
            return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail)
        # OpenSSH hangs up without a word when it has no host key of the pinned type, so ask
        # (key exchange only) which key it presents now; the pinned one means another cause.
        presented = await _fetch_host_key(host, port, timeout_s)
        if presented is None or presented == pinned:
            return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail)
        return _host_key_changed(target, pinned, presented)
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        detail = _describe_login_error(exc, login.username, timeout_s)
        return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail)
    latency_ms = (time.perf_counter() - started) * 1000.0
    try:
        banner = str(conn.get_extra_info("server_version"))
        host_key = conn.get_server_host_key()
    finally:
        conn.close()
        await conn.wait_closed()
    data = {
        "banner": banner,
        "login": login.username,
        "host_key_changed": False,
        "host_key": openssh_line(host_key) if host_key is not None else None,
    }
    detail = f"logged in as {login.username}, {banner}"
    return ProbeResult("ssh", target, Verdict.OK, latency_ms, detail, data)


async def _connect(
    host: str,
    port: int,
    username: str,
    client_key: asyncssh.SSHKey,
    pinned: asyncssh.SSHKey | None,
    recorder: _HostKeyRecorder,
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        host,
        port,
        username=username,
        client_keys=[client_key],
        # A (keys, CA keys, revoked keys) tuple trusts exactly the pinned key and makes asyncssh
        # offer only its algorithm, so the server cannot pick another key type. The key is
        # checked when the server signs the exchange, before any authentication request.
        known_hosts=([pinned], [], []) if pinned is not None else None,
        client_factory=lambda: recorder,
        config=None,  # ignore ~/.ssh/config: the probe is configured by the collector
        agent_path=None,
        preferred_auth="publickey",
    )


def _describe_login_error(exc: Exception, username: str, timeout_s: float) -> str:
    if isinstance(exc, asyncssh.PermissionDenied):
        return f"login refused for user {username}"
    if isinstance(exc, TimeoutError):
        return f"no login within {timeout_s:g} s"
    if isinstance(exc, OSError):
        return describe_connect_error(exc)
    if isinstance(exc, asyncssh.Error):
        return f"SSH error: {exc.reason}"
    return str(exc)


def _host_key_changed(
    target: str, pinned: asyncssh.SSHKey | None, presented: asyncssh.SSHKey | None
) -> ProbeResult:
    """Its own result, distinct from "unreachable": the fault engine raises a separate fault."""
    shown = presented.get_fingerprint() if presented is not None else "no usable key"
    expected = pinned.get_fingerprint() if pinned is not None else "?"
    detail = f"host key changed: server presented {shown}, pinned {expected}; login not attempted"
    data = {
        "host_key_changed": True,
        "host_key": openssh_line(presented) if presented is not None else None,
    }
    return ProbeResult("ssh", target, Verdict.CRITICAL, None, detail, data)


async def _fetch_host_key(host: str, port: int, timeout_s: float) -> asyncssh.SSHKey | None:
    """Key exchange only (never authentication) to learn which key the server now presents."""
    try:
        async with asyncio.timeout(timeout_s):
            key: asyncssh.SSHKey | None = await asyncssh.get_server_host_key(
                host, port, config=None
            )
            return key
    except (TimeoutError, OSError, asyncssh.Error):
        return None
