"""AMI messages as plain values, so nothing above the wire handles raw ``Key: Value`` text.

Keys may repeat (``Output:``, ``Contacts:``), so a message is an ordered list of pairs rather
than a dict; keys compare case-insensitively, as Asterisk's ``manager.c`` compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AmiMessage:
    """One AMI message: ordered ``(key, value)`` pairs plus raw legacy command output."""

    fields: tuple[tuple[str, str], ...]
    raw_output: tuple[str, ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (AMI keys are case-insensitive, as in manager.c)."""
        wanted = key.lower()
        return next((v for k, v in self.fields if k.lower() == wanted), default)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in order."""
        wanted = key.lower()
        return [v for k, v in self.fields if k.lower() == wanted]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def message(self) -> str:
        return self.get("Message") or ""

    @property
    def is_error(self) -> bool:
        return (self.response or "").lower() == "error"

    def output(self) -> list[str]:
        """Command output lines, whichever of the two forms Asterisk used."""
        return list(self.raw_output) if self.raw_output else self.get_all("Output")

    def as_dict(self) -> dict[str, str]:
        """Keys to their first value: convenient where no key repeats."""
        result: dict[str, str] = {}
        for key, value in self.fields:
            result.setdefault(key, value)
        return result


@dataclass(frozen=True)
class AmiList:
    """The answer to a list action: the response, the item events and the closing event."""

    response: AmiMessage
    events: list[AmiMessage] = field(default_factory=list)
    complete: AmiMessage | None = None

    def items(self, event_name: str) -> list[AmiMessage]:
        """The events of one kind (some lists interleave others, e.g. ``AuthDetail``)."""
        wanted = event_name.lower()
        return [e for e in self.events if (e.event or "").lower() == wanted]
