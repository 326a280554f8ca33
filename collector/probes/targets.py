"""Where a probe points: ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""

from __future__ import annotations

#: The port each kind of probe uses when the target names none.
DEFAULT_PORT = {"ssh": 22, "sip": 5060}


def split_target(
    target: str, port: int | None = None, default_port: int | None = None
) -> tuple[str, int]:
    """The host and port of ``target``; ``port`` is a separate port option, which must agree
    with one in the target, and ``default_port`` fills in when neither gives one.

    Raises ValueError saying what is wrong.
    """
    host, port_text = target, ""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif target.count(":") == 1:
        host, port_text = target.split(":")
    if not host:
        raise ValueError(f"no host in target {target!r}")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port in target {target!r}")
        if port is not None and port != int(port_text):
            raise ValueError(f"target {target!r} and port option {port} disagree")
        return host, int(port_text)
    chosen = port if port is not None else default_port
    if chosen is None:
        raise ValueError(f"target {target!r} needs a port (host:port or the port option)")
    return host, chosen
