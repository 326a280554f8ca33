"""The ``asterisk`` probe's configuration, checked when the agent starts rather than each cycle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AsteriskSettings:
    """The agent's ``asterisk`` probe configuration."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str = ""
    secret_file: str = ""
    timeout_s: float = 5.0
    trunks: tuple[str, ...] = ()
    chan_sip: bool = False
    #: IANA zone Asterisk runs in; CoreStatus gives local wall-clock times. "" = this host's.
    pbx_timezone: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"asterisk.port: {self.port} is not a TCP port")
        if self.timeout_s <= 0:
            raise ValueError(f"asterisk.timeout_s: must be positive, not {self.timeout_s}")
        if self.pbx_timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.pbx_timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"asterisk.pbx_timezone: unknown zone {self.pbx_timezone!r}"
                ) from exc


def read_secret(path: str) -> str:
    """The AMI secret: the file's content without its trailing newline."""
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()
