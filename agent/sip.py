"""The SIP OPTIONS exchange on the wire: is a SIP stack answering, and how fast?

Any final response proves the stack is alive, because a PBX that answers 401 or 404 to a
stranger's OPTIONS has parsed the request and run its routing logic; only 5xx means it is there
but unwell, and silence means it is down. Standard library only: the agent's ``sip`` probe runs
it on customer hosts, and the collector's SIP probe runs the same exchange from the vendor's
side, so both read responses the same way.
"""

from __future__ import annotations

import secrets
import socket
import time
from dataclasses import dataclass

T2_S = 4.0  # RFC 3261 timer T2: the cap on the retransmission interval of non-INVITE requests
TRANSPORTS = ("udp", "tcp")
_MAX_DATAGRAM = 65535
_COMPACT_HEADERS = {"v": "via", "i": "call-id", "f": "from", "t": "to", "l": "content-length"}


@dataclass(frozen=True)
class SipPing:
    """The outcome of one OPTIONS ping."""

    state: str  # "up" | "degraded" | "down"
    code: int | None
    reason: str
    rtt_ms: float | None
    error: str | None


class SipNoAnswer(Exception):
    """No final response came back; the message says why (timeout, refused, closed)."""


@dataclass(frozen=True)
class SipResponse:
    """A parsed SIP response; header names are lower-case full forms, values in order."""

    code: int
    reason: str
    headers: dict[str, list[str]]

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def is_final(self) -> bool:
        return self.code >= 200


@dataclass(frozen=True)
class OptionsRequest:
    """One OPTIONS request, and the identifiers its responses must echo back."""

    host: str
    port: int
    transport: str
    local_host: str
    local_port: int
    uri_user: str | None
    call_id: str
    branch: str
    from_tag: str
    cseq: int = 1

    @classmethod
    def new(
        cls,
        host: str,
        port: int,
        transport: str,
        local: tuple[str, int],
        uri_user: str | None = None,
    ) -> OptionsRequest:
        """A request with fresh random Call-ID, branch (RFC 3261 magic cookie) and From tag."""
        return cls(
            host=host,
            port=port,
            transport=transport,
            local_host=local[0],
            local_port=local[1],
            uri_user=uri_user,
            call_id=f"{secrets.token_hex(16)}@{_uri_host(local[0])}",
            branch=f"z9hG4bK{secrets.token_hex(12)}",
            from_tag=secrets.token_hex(8),
        )

    def encode(self) -> bytes:
        user = f"{self.uri_user}@" if self.uri_user else ""
        target = f"sip:{user}{_uri_host(self.host)}:{self.port}"
        uri_params = ";transport=tcp" if self.transport == "tcp" else ""
        local = f"{_uri_host(self.local_host)}:{self.local_port}"
        lines = [
            f"OPTIONS {target}{uri_params} SIP/2.0",
            f"Via: SIP/2.0/{self.transport.upper()} {local};branch={self.branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:faultdesk@{_uri_host(self.local_host)}>;tag={self.from_tag}",
            f"To: <{target}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} OPTIONS",
            f"Contact: <sip:faultdesk@{local}{uri_params}>",
            "Accept: application/sdp",
            "User-Agent: faultdesk-agent",
            "Content-Length: 0",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def is_answered_by(self, response: SipResponse) -> bool:
        """Match a response to this request by Call-ID, CSeq and the top Via's branch."""
        return (
            response.header("call-id") == self.call_id
            and _cseq(response.header("cseq")) == (self.cseq, "OPTIONS")
            and _via_branch(response.header("via")) == self.branch
        )


def retransmit_schedule(timeout_s: float, t1_s: float = 0.5, t2_s: float = T2_S) -> list[float]:
    """Seconds after the first send at which a UDP request is (re)sent before ``timeout_s``.

    RFC 3261 17.1.2.2 timer E: the interval starts at T1 and doubles, capped at T2.
    """
    if t1_s <= 0:
        raise ValueError("t1_s must be positive")
    times, at, interval = [], 0.0, t1_s
    while at < timeout_s:
        times.append(at)
        at += interval
        interval = min(interval * 2, t2_s)
    return times


def parse_response(data: bytes) -> SipResponse | None:
    """Parse a SIP response; ``None`` for requests or garbage, which a ping ignores."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
    lines = head.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ", 2)
    code = parts[1] if len(parts) > 1 else ""
    # ASCII digits only: str.isdigit() also says yes to "²²²", which int() refuses.
    if parts[0] != "SIP/2.0" or len(code) != 3 or not (code.isascii() and code.isdigit()):
        return None
    headers: dict[str, list[str]] = {}
    last: str | None = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last is not None:  # folded continuation line
            headers[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        last = _COMPACT_HEADERS.get(key, key)
        headers.setdefault(last, []).append(value.strip())
    reason = parts[2].strip() if len(parts) > 2 else ""
    return SipResponse(code=int(parts[1]), reason=reason, headers=headers)


def frame_message(buffer: bytes) -> tuple[bytes, bytes] | None:
    """Split one whole message off a TCP stream by Content-Length; ``None`` if incomplete."""
    buffer = buffer.lstrip(b"\r\n")  # RFC 5626 CRLF keep-alives between messages
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in buffer[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l") and value.strip().isdigit():
            length = int(value.strip())
    total = end + 4 + length
    if len(buffer) < total:
        return None
    return buffer[:total], buffer[total:]


def classify(code: int) -> str:
    """5xx is a stack that is there but failing; every other final answer proves it alive."""
    return "degraded" if 500 <= code < 600 else "up"


def options_ping(
    host: str,
    port: int = 5060,
    *,
    transport: str = "udp",
    timeout_s: float = 4.0,
    t1_s: float = 0.5,
    uri_user: str | None = None,
) -> SipPing:
    """Send OPTIONS and wait for a final response; network failures become ``down``."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS}, not {transport!r}")
    try:
        if transport == "udp":
            response, rtt_ms = _ping_udp(host, port, timeout_s, t1_s, uri_user)
        else:
            response, rtt_ms = _ping_tcp(host, port, timeout_s, uri_user)
    except SipNoAnswer as exc:
        return SipPing("down", None, "no answer", None, str(exc))
    except ConnectionRefusedError:
        return SipPing("down", None, "no answer", None, "connection refused")
    except OSError as exc:  # resolution failures, unreachable networks, resets
        return SipPing("down", None, "no answer", None, f"{type(exc).__name__}: {exc}")
    return SipPing(classify(response.code), response.code, response.reason, rtt_ms, None)


def _ping_udp(
    host: str, port: int, timeout_s: float, t1_s: float, uri_user: str | None
) -> tuple[SipResponse, float]:
    family, address = _resolve(host, port, socket.SOCK_DGRAM)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        # connect() fixes the local address for Via/Contact and turns ICMP refusals into errors
        sock.connect(address)
        request = OptionsRequest.new(host, port, "udp", _local(sock), uri_user)
        payload = request.encode()
        sends = retransmit_schedule(timeout_s, t1_s)
        start = time.monotonic()
        deadline = start + timeout_s
        sent = 0
        while (now := time.monotonic()) < deadline:
            if sent < len(sends) and now >= start + sends[sent]:
                sock.send(payload)
                while sent < len(sends) and now >= start + sends[sent]:
                    sent += 1  # a late wake-up sends once, not a burst
            wake = min(deadline, start + sends[sent]) if sent < len(sends) else deadline
            sock.settimeout(max(wake - now, 0.001))
            try:
                data = sock.recv(_MAX_DATAGRAM)
            except TimeoutError:
                continue
            response = parse_response(data)
            if response and response.is_final and request.is_answered_by(response):
                return response, (time.monotonic() - start) * 1000
    raise SipNoAnswer(f"no final response within {timeout_s:g} s")


def _ping_tcp(
    host: str, port: int, timeout_s: float, uri_user: str | None
) -> tuple[SipResponse, float]:
    deadline = time.monotonic() + timeout_s
    family, address = _resolve(host, port, socket.SOCK_STREAM)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(address)
        except TimeoutError as exc:
            raise SipNoAnswer(f"connect timed out after {timeout_s:g} s") from exc
        request = OptionsRequest.new(host, port, "tcp", _local(sock), uri_user)
        start = time.monotonic()
        sock.sendall(request.encode())
        buffer = b""
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(_MAX_DATAGRAM)
            except TimeoutError:
                break
            if not chunk:
                raise SipNoAnswer("connection closed before a final response")
            buffer += chunk
            while (framed := frame_message(buffer)) is not None:
                message, buffer = framed
                response = parse_response(message)
                if response and response.is_final and request.is_answered_by(response):
                    return response, (time.monotonic() - start) * 1000
    raise SipNoAnswer(f"no final response within {timeout_s:g} s")


def _resolve(host: str, port: int, kind: socket.SocketKind) -> tuple[int, tuple[str, int]]:
    family, _, _, _, address = socket.getaddrinfo(host, port, type=kind)[0]
    return family, (str(address[0]), int(address[1]))


def _local(sock: socket.socket) -> tuple[str, int]:
    name = sock.getsockname()
    return str(name[0]), int(name[1])


def _uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _cseq(value: str | None) -> tuple[int, str] | None:
    number, _, method = (value or "").partition(" ")
    if not (number.isascii() and number.isdigit()):  # not "²", which int() refuses
        return None
    return int(number), method.strip().upper()


def _via_branch(value: str | None) -> str | None:
    top = (value or "").split(",", 1)[0]
    for param in top.split(";")[1:]:
        name, _, branch = param.partition("=")
        if name.strip().lower() == "branch":
            return branch.strip()
    return None
